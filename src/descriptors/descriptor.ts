/**
 * The Descriptor contract: per-atom feature vectors B(i) that are smooth functions of the
 * displacement vectors d_ij = r_j - r_i to the neighbours of i within the cutoff, invariant under
 * rotation, translation and permutation of like neighbours.
 *
 * Derivatives are stored per neighbour pair, which is general for any atom-centred descriptor:
 *
 *   D[p] = dB(i)/d d_ij     (3 x size values for pair p = (i, j, image) of the neighbour list)
 *
 * from which everything else follows (translation invariance):
 *
 *   dB(i)/dr_j   = sum over pairs p of i with partner j of D[p]
 *   dB(i)/dr_i   = - sum_p D[p]
 *   dB(i)/d eps_ab = sum_p d_p,a D[p]_b          (virial, for stress)
 *
 * | symbol        | variable                                        |
 * |---------------|-------------------------------------------------|
 * | B_k(i)        | features[i * size + k]                          |
 * | dB_k(i)/dd_a  | derivatives[(p * 3 + a) * size + k], p a pair   |
 *
 * Pairs are those of the neighbour list passed in (which may carry a skin: pairs beyond `cutoff`
 * have zero derivative and contribute nothing).
 */
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';

export interface DescriptorDerivatives {
  /** Features, N x size. */
  features: Float64Array;
  /** Per-pair derivatives, (number of pairs) x 3 x size, laid out [(p*3 + a)*size + k]. */
  derivatives: Float64Array;
}

export interface Descriptor {
  readonly name: string;
  /** Å. */
  readonly cutoff: number;
  /** Atomic numbers of the species the descriptor distinguishes (neighbour channels). */
  readonly species: readonly number[];
  /** Features per atom. */
  readonly size: number;
  /** Features only: out has N x size values. */
  compute(s: Structure, nl: NeighborList, out: Float64Array): void;
  /** Features and per-pair derivatives (buffers sized N x size and pairs x 3 x size). */
  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void;
  /** Versioned, JSON-able hyper-parameters, enough to rebuild the descriptor (`descriptorFromJSON`). */
  toJSON(): { type: string; version: number; [k: string]: unknown };
}
