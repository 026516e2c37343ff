/**
 * Entry checks shared by everything that evaluates energies on a neighbour list (built-in
 * potentials, trained models, compositions, the parallel evaluator): finite coordinates, a valid
 * periodic cell, no overlapping atoms, a list of sufficient range; and caller-owned output buffers.
 * They live here, below both `models` and `potentials` in the layer order, so that neither keeps
 * its own copy.
 */
import { CapabilityError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import { assertValidCell } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { buildNeighborList } from './build.js';
import type { NeighborList } from './neighbor-list.js';

/** Atoms closer than this (Å) are rejected as overlapping. */
export const MIN_ATOM_DISTANCE = 0.1;

export function assertFinitePositions(s: Structure): void {
  const x = s.positions;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new ValidationError(`atom ${Math.floor(i / 3)} (${symbolOf(s.numbers[Math.floor(i / 3)]!)}) has a non-finite ${'xyz'[i % 3]} coordinate (${x[i]})`);
    }
  }
}

/** Finite coordinates and, when periodic, a non-degenerate cell. */
export function assertValidStructure(s: Structure): void {
  assertFinitePositions(s);
  if (s.periodic) assertValidCell(s.cell, s.pbc);
}

/** Stress needs a cell periodic in all three directions. */
export function assertStressPeriodic(s: Structure, req: { stress?: boolean | undefined }): void {
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

/**
 * The neighbour list to evaluate `s` with: the caller's `given` list, checked for atom count and
 * range, or a new one for `cutoff` (checked for overlapping atoms). `owner` names the evaluator in errors.
 */
export function neighborsFor(s: Structure, cutoff: number, owner: string, given?: NeighborList): NeighborList {
  if (given) {
    if (given.n !== s.length) throw new ValidationError(`neighbour list is for ${given.n} atoms, structure has ${s.length}`);
    if (given.cutoff + given.skin < cutoff) throw new ValidationError(`neighbour list range ${given.cutoff + given.skin} Å is shorter than the ${owner} cutoff ${cutoff} Å`);
    return given;
  }
  const nl = buildNeighborList(s, cutoff);
  assertNoOverlap(s, nl);
  return nl;
}

export interface OutputRequest {
  forces?: boolean | undefined;
  stress?: boolean | undefined;
  energies?: boolean | undefined;
}

export interface Outputs {
  forces: Float64Array | undefined;
  /** Virial accumulator (Voigt 6), turned into stress by the evaluator. */
  stress: Float64Array | undefined;
  energies: Float64Array | undefined;
}

/** Output arrays for `req` (sizes 3N, 6, N): the caller's buffers, length-checked and zeroed, or fresh ones. */
export function outputBuffers(n: number, req: OutputRequest, given?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array }): Outputs {
  return {
    forces: outputBuffer(req.forces, given?.forces, 3 * n),
    stress: outputBuffer(req.stress, given?.stress, 6),
    energies: outputBuffer(req.energies, given?.energies, n),
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
