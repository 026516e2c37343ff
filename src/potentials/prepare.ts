/**
 * Shared entry checks and set-up for every built-in potential: finite coordinates, a valid cell,
 * known elements, no overlapping atoms, a neighbour list of sufficient range, output buffers.
 */
import { CapabilityError, ParameterError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import { buildNeighborList } from '../neighbors/build.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import { assertValidCell, volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import type { ComputeContext, ComputeRequest, ComputeResult, Potential } from './potential.js';

/** Atoms closer than this (Å) are rejected as overlapping. */
export const MIN_ATOM_DISTANCE = 0.1;

/** The requested output arrays: the caller's `ctx.out` buffers (checked and zeroed) or fresh ones. */
export interface Outputs {
  forces: Float64Array | undefined;
  /** Virial accumulator W_ab = sum over pairs of r_a f_b style terms; converted to stress by `finishStress`. */
  stress: Float64Array | undefined;
  energies: Float64Array | undefined;
}

export interface Prepared extends Outputs {
  nl: NeighborList;
}

export function assertFinitePositions(s: Structure): void {
  const x = s.positions;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new ValidationError(`atom ${Math.floor(i / 3)} (${symbolOf(s.numbers[Math.floor(i / 3)]!)}) has a non-finite ${'xyz'[i % 3]} coordinate (${x[i]})`);
    }
  }
}

export function assertSpecies(pot: Potential, s: Structure): void {
  if (!pot.species) return;
  const ok = new Set(pot.species);
  for (let i = 0; i < s.length; i++) {
    const z = s.numbers[i]!;
    if (!ok.has(z)) {
      throw new ParameterError(`${pot.name} has no parameters for element ${symbolOf(z)} (atom ${i}); it covers ${pot.species.map(symbolOf).join(', ')}`);
    }
  }
}

export function prepare(pot: Potential, s: Structure, req: ComputeRequest, ctx: ComputeContext | undefined): Prepared {
  assertFinitePositions(s);
  if (s.periodic) assertValidCell(s.cell, s.pbc);
  assertSpecies(pot, s);
  if (req.stress && !pot.capabilities.stress) throw new CapabilityError(`${pot.name} does not compute stress`);
  assertStressPeriodic(s, req);
  let nl = ctx?.neighbors;
  if (nl) {
    if (nl.n !== s.length) throw new ValidationError(`neighbour list is for ${nl.n} atoms, structure has ${s.length}`);
    if (nl.cutoff + nl.skin < pot.cutoff) throw new ValidationError(`neighbour list range ${nl.cutoff + nl.skin} Å is shorter than the ${pot.name} cutoff ${pot.cutoff} Å`);
  } else {
    nl = buildNeighborList(s, pot.cutoff);
    assertNoOverlap(s, nl);
  }
  return { nl, ...outputBuffers(s, req, ctx) };
}

/** Stress needs a cell periodic in all three directions. */
export function assertStressPeriodic(s: Structure, req: ComputeRequest): void {
  if (req.stress && !(s.pbc[0] && s.pbc[1] && s.pbc[2])) {
    throw new CapabilityError(`stress needs a cell periodic in all three directions (pbc is ${s.pbc.map((b) => (b ? 'T' : 'F')).join(' ')})`);
  }
}

/** Reject overlapping atoms (closer than `MIN_ATOM_DISTANCE`), found while building `nl`. */
export function assertNoOverlap(s: Structure, nl: NeighborList): void {
  if (nl.minDistance < MIN_ATOM_DISTANCE) {
    const [i, j] = nl.minPair;
    throw new ValidationError(
      `atoms ${i} (${symbolOf(s.numbers[i]!)}) and ${j} (${symbolOf(s.numbers[j]!)}) are ${nl.minDistance.toPrecision(3)} Å apart, closer than ${MIN_ATOM_DISTANCE} Å (overlapping atoms)`,
    );
  }
}

/** Output arrays for `req` (sizes 3N, 6, N): the caller's `ctx.out` buffers, length-checked and zeroed, or fresh ones. */
export function outputBuffers(s: Structure, req: ComputeRequest, ctx: ComputeContext | undefined): Outputs {
  const n = s.length;
  const out = ctx?.out;
  return {
    forces: outputBuffer(req.forces, out?.forces, 3 * n),
    stress: outputBuffer(req.stress, out?.stress, 6),
    energies: outputBuffer(req.energies, out?.energies, n),
  };
}

function outputBuffer(want: boolean | undefined, given: Float64Array | undefined, size: number): Float64Array | undefined {
  if (!want) return undefined;
  if (given) {
    if (given.length !== size) throw new ValidationError(`output buffer has length ${given.length}, expected ${size}`);
    given.fill(0);
    return given;
  }
  return new Float64Array(size);
}

/**
 * Turn an accumulated virial W (Voigt xx yy zz yz xz xy, W_ab = sum_pairs d_a * dE/dd_b, i.e. dE/d eps)
 * into ASE stress sigma = W / V, in place.
 */
export function finishStress(s: Structure, w: Float64Array): Float64Array {
  const v = volume(s.cell);
  for (let k = 0; k < 6; k++) w[k] = w[k]! / v;
  return w;
}

/** Throw if a computed energy is not finite: never hand back a silent NaN. */
export function assertFiniteEnergy(pot: Potential, e: number): void {
  if (!Number.isFinite(e)) throw new ValidationError(`${pot.name} produced a non-finite energy (${e}); check the structure and parameters`);
}

/**
 * The common end of every built-in's `compute`: reject a non-finite energy, attach the requested
 * forces and per-atom energies, and turn the virial W (Voigt xx yy zz yz xz xy) into stress W / V.
 * `out` holds the arrays from `prepare` or `outputBuffers`; nothing is allocated but the result record.
 */
export function finishResult(
  pot: Potential, s: Structure, out: Outputs, energy: number,
  wxx: number, wyy: number, wzz: number, wyz: number, wxz: number, wxy: number,
): ComputeResult {
  assertFiniteEnergy(pot, energy);
  const res: ComputeResult = { energy };
  const { forces, stress, energies } = out;
  if (forces) res.forces = forces;
  if (energies) res.energies = energies;
  if (stress) {
    stress[0] = wxx; stress[1] = wyy; stress[2] = wzz; stress[3] = wyz; stress[4] = wxz; stress[5] = wxy;
    res.stress = finishStress(s, stress);
  }
  return res;
}
