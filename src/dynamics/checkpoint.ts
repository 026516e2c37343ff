/**
 * MD checkpoints: a JSON-able record from which a run continues bit-identically.
 *
 * Format (version 1):
 * {
 *   format: "mlpot-md-checkpoint", version: 1,
 *   natoms, step, timeFs, energy, dof,
 *   positions, velocities, forces, cell, stress|null, fixed   -- Float64 arrays as base64 of
 *                                                               their little-endian bytes (exact,
 *                                                               keeps -0, NaN); fixed: base64 bytes
 *   couplers: [ <coupler.getState()> ... ]                     -- same order as the integrator's
 *   rng: RngState | null,                                      -- core/rng getState()
 *   neighbors: { refPositions, refCell, shiftCell } | null     -- base64; lets the engine rebuild
 *                                                                the identical neighbour list, so
 *                                                                forces are summed in the same order
 * }
 *
 * Restoring: build a fresh state over the same structure (same atoms and pbc) and an integrator
 * with the same couplers, call `integrator.init(state)`, then `restore(record, state, integrator, rng)`.
 */
import { ValidationError } from '../core/errors.js';
import type { Rng, RngState } from '../core/rng.js';
import type { ForceEngine } from './forces.js';
import type { Coupler, CouplerState } from './integrator.js';
import type { MDState } from './state.js';

export interface CheckpointRecord {
  format: 'mlpot-md-checkpoint';
  version: 1;
  natoms: number;
  step: number;
  timeFs: number;
  energy: number;
  dof: number;
  positions: string;
  velocities: string;
  forces: string;
  cell: string;
  stress: string | null;
  fixed: string;
  couplers: CouplerState[];
  rng: RngState | null;
  neighbors: { refPositions: string; refCell: string; shiftCell: string } | null;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INV = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Base64 of bytes (no Buffer/btoa: this layer is browser-safe and dependency-free). */
export function bytesToBase64(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INV[c]! : -1;
    if (v < 0) throw new ValidationError(`checkpoint: invalid base64 character '${clean[i]}' at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/** Exact encoding of a Float64Array (little-endian bytes, base64). */
export function encodeF64(a: Float64Array): string {
  const bytes = new Uint8Array(a.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat64(8 * i, a[i]!, true);
  return bytesToBase64(bytes);
}

export function decodeF64(s: string, expectLength?: number, what = 'array'): Float64Array {
  const bytes = base64ToBytes(s);
  if (bytes.length % 8 !== 0) throw new ValidationError(`checkpoint: ${what} has ${bytes.length} bytes, not a multiple of 8`);
  const n = bytes.length / 8;
  if (expectLength !== undefined && n !== expectLength) throw new ValidationError(`checkpoint: ${what} has ${n} values, expected ${expectLength}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
  return out;
}

/** What a checkpoint needs from the integrator: its couplers and force engine. */
export interface CheckpointSubject {
  readonly couplers: readonly Coupler[];
  readonly engine?: ForceEngine;
}

/** A JSON-able record of everything a run needs to continue bit-identically. */
export function checkpoint(state: MDState, integrator: CheckpointSubject, rng: Rng | null = null): CheckpointRecord {
  const s = state.structure;
  const nl = integrator.engine?.getListState() ?? null;
  return {
    format: 'mlpot-md-checkpoint',
    version: 1,
    natoms: s.length,
    step: state.step,
    timeFs: state.timeFs,
    energy: state.energy,
    dof: state.dof,
    positions: encodeF64(s.positions),
    velocities: encodeF64(state.velocities),
    forces: encodeF64(state.forces),
    cell: encodeF64(s.cell),
    stress: state.stress ? encodeF64(state.stress) : null,
    fixed: bytesToBase64(state.fixed),
    couplers: integrator.couplers.map((c) => c.getState()),
    rng: rng ? rng.getState() : null,
    neighbors: nl ? { refPositions: encodeF64(nl.refPositions), refCell: encodeF64(nl.refCell), shiftCell: encodeF64(nl.shiftCell) } : null,
  };
}

/** Load a checkpoint into `state` (same atoms), the integrator's couplers and engine, and `rng`. */
export function restore(rec: CheckpointRecord, state: MDState, integrator: CheckpointSubject, rng: Rng | null = null): void {
  if (rec.format !== 'mlpot-md-checkpoint') throw new ValidationError(`not an mlpot MD checkpoint (format is ${String(rec.format)})`);
  if (rec.version !== 1) throw new ValidationError(`checkpoint version ${rec.version} is not supported (expected 1)`);
  const s = state.structure;
  const n = s.length;
  if (rec.natoms !== n) throw new ValidationError(`checkpoint has ${rec.natoms} atoms, the state has ${n}`);
  if (rec.couplers.length !== integrator.couplers.length) {
    throw new ValidationError(`checkpoint has ${rec.couplers.length} coupler states, the integrator has ${integrator.couplers.length} couplers`);
  }
  rec.couplers.forEach((cs, k) => {
    const c = integrator.couplers[k]!;
    if (cs['kind'] !== undefined && cs['kind'] !== c.kind) {
      throw new ValidationError(`checkpoint coupler ${k} is '${String(cs['kind'])}', the integrator's is '${c.kind}'`);
    }
  });
  const fixed = base64ToBytes(rec.fixed);
  for (let i = 0; i < n; i++) {
    if ((fixed[i] ?? 0) !== state.fixed[i]) throw new ValidationError(`checkpoint fixed-atom mask differs from the state's at atom ${i}`);
  }
  s.positions.set(decodeF64(rec.positions, 3 * n, 'positions'));
  state.velocities.set(decodeF64(rec.velocities, 3 * n, 'velocities'));
  state.forces.set(decodeF64(rec.forces, 3 * n, 'forces'));
  s.cell.set(decodeF64(rec.cell, 9, 'cell'));
  state.stress = rec.stress === null ? null : decodeF64(rec.stress, 6, 'stress');
  state.energy = rec.energy;
  state.step = rec.step;
  state.timeFs = rec.timeFs;
  state.dof = rec.dof;
  rec.couplers.forEach((cs, k) => integrator.couplers[k]!.setState(cs));
  if (rng && rec.rng) rng.setState(rec.rng);
  if (integrator.engine) {
    const nl = rec.neighbors;
    integrator.engine.setListState(
      s,
      nl ? { refPositions: decodeF64(nl.refPositions, 3 * n, 'neighbors.refPositions'), refCell: decodeF64(nl.refCell, 9, 'neighbors.refCell'), shiftCell: decodeF64(nl.shiftCell, 9, 'neighbors.shiftCell') } : null,
    );
  }
}
