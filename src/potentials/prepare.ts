/**
 * Shared entry checks and set-up for every built-in potential: finite coordinates, a valid cell,
 * known elements, no overlapping atoms, a neighbour list of sufficient range, output buffers.
 */
import { CapabilityError, ParameterError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import { assertStressPeriodic, assertValidStructure, neighborsFor, outputBuffers, type Outputs } from '../neighbors/checked.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import type { ComputeContext, ComputeRequest, ComputeResult, Potential } from './potential.js';

export { MIN_ATOM_DISTANCE, assertFinitePositions, assertNoOverlap, assertStressPeriodic, type Outputs } from '../neighbors/checked.js';

export interface Prepared extends Outputs {
  nl: NeighborList;
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
  assertValidStructure(s);
  assertSpecies(pot, s);
  if (req.stress && !pot.capabilities.stress) throw new CapabilityError(`${pot.name} does not compute stress`);
  assertStressPeriodic(s, req);
  const nl = neighborsFor(s, pot.cutoff, pot.name, ctx?.neighbors);
  return { nl, ...outputBuffers(s.length, req, ctx?.out) };
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
