/**
 * The Potential contract: energy, forces, stress (and per-atom energies, uncertainty when the
 * potential has them) for a Structure, computed synchronously.
 *
 * Units and signs (ASE's conventions, so results can be handed to ASE unchanged):
 *   energy    E                       eV
 *   forces    F_i = -dE/dr_i          eV/Å, 3N values (x0 y0 z0 x1 ...)
 *   stress    sigma = (1/V) dE/d eps  eV/Å^3, Voigt order xx yy zz yz xz xy; positive = tensile
 *             (so pressure P = -(s_xx + s_yy + s_zz)/3; LAMMPS' pressure tensor is -sigma)
 *   energies  e_i with sum_i e_i = E  eV
 *
 * No caching: `compute` always computes. Reuse across MD steps goes through an explicit
 * context (a neighbour list with skin, preallocated output buffers).
 */
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';

export interface Capabilities {
  readonly forces: boolean;
  readonly stress: boolean;
  /** Per-atom energies. */
  readonly energies: boolean;
  /** Predictive uncertainty (models with a variance or committees). */
  readonly uncertainty: boolean;
  /**
   * Honours `ctx.atomRange` (computes only the terms owned by a range of central atoms), so the
   * work can be split between threads (node/parallel.ts). Absent = false.
   */
  readonly atomRange?: boolean;
}

export interface ComputeRequest {
  forces?: boolean;
  stress?: boolean;
  energies?: boolean;
  uncertainty?: boolean;
}

export interface Uncertainty {
  /** Standard deviation of the energy (eV). */
  energyStd?: number;
  /** Standard deviation of every force component (eV/Å, 3N). */
  forceStd?: Float64Array;
  /** Per-atom force deviation sqrt(<|F_i - <F_i>|^2>) (eV/Å, N) and its maximum. */
  atomForceDeviation?: Float64Array;
  maxForceDeviation?: number;
}

export interface ComputeResult {
  energy: number;
  forces?: Float64Array;
  stress?: Float64Array;
  energies?: Float64Array;
  uncertainty?: Uncertainty;
}

/** Optional reusable state the caller owns: a neighbour list and output buffers. */
export interface ComputeContext {
  /** A list for this structure built with cutoff >= potential.cutoff (may carry a skin). */
  neighbors?: NeighborList;
  /** Output buffers to fill instead of allocating (sizes 3N, 6, N). */
  out?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array };
  /**
   * Compute only the terms owned by central atoms start..end-1: their energy, and the forces,
   * virial (stress) and per-atom energies those terms produce on any atom. Summing the results
   * of ranges that partition 0..N-1 gives the full result (up to the order of additions). Only
   * potentials declaring `capabilities.atomRange` honour it; `ParallelPotential` rejects others.
   * Which atom owns a term is the potential's choice (SW: the central atom of each three-body
   * term and the atom whose row computes a pair term), so ranges must come from one potential.
   */
  atomRange?: { start: number; end: number };
}

export interface Potential {
  /** Short name for logs and errors, e.g. "sw(Si.sw)". */
  readonly name: string;
  /** Interaction range in Å (0 for potentials that need no neighbour list). */
  readonly cutoff: number;
  readonly capabilities: Capabilities;
  /** Atomic numbers the potential has parameters for; undefined means any element. */
  readonly species?: readonly number[];
  compute(s: Structure, request?: ComputeRequest, ctx?: ComputeContext): ComputeResult;
}

export const DEFAULT_REQUEST: Readonly<ComputeRequest> = { forces: true, stress: false, energies: false };
