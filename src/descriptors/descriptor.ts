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
 *
 * Contracted gradient (optional, `computeGradient`): the adjoint ("backpropagation with fixed
 * weights") path for anything whose energy is E = sum_i E_i(B(i)) with per-atom weights
 * w_i = dE_i/dB(i) supplied by the caller (the coefficients of atom i's species for a linear model;
 * dE/dB from a network or GP in general). It returns, without forming the per-feature array D,
 *
 *   g_p = sum_k w_i,k dB_k(i)/dd_ij              (3 numbers per pair p = (i, j, image))
 *   e_i = w_i . B(i)                              (optional)
 *
 * from which forces and virial follow exactly as from D (for a linear E, E = sum_i e_i):
 *
 *   F_i += g_p,   F_j -= g_p,   W_ab += d_p,a g_p,b     (stress sigma = W / V)
 *
 * These depend on the pair totals g_p - g_p' only (p' = the reverse direction j -> i of p, which a
 * full list always holds), so a descriptor may return any split of a pair's total between its two
 * directions; ACE puts it all on one direction and evaluates each unordered pair once.
 *
 * | symbol        | variable                                                      |
 * |---------------|---------------------------------------------------------------|
 * | w_i,k         | w.weights[row_i * size + k], row_i = w.rows ? w.rows[i] : i   |
 * | g_p,a         | out.pairGradients[3 p + a]                                    |
 * | e_i           | out.energies[i]                                               |
 * | B_k(i)        | out.features[i * size + k] (optional)                         |
 */
import { ValidationError } from '../core/errors.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';

export interface DescriptorDerivatives {
  /** Features, N x size. */
  features: Float64Array;
  /**
   * Per-pair derivatives, (number of pairs) x 3 x size, laid out [(p*3 + a)*size + k]. Every entry
   * of that range is overwritten (callers may pass a reused, dirty buffer).
   */
  derivatives: Float64Array;
}

/** Outputs of `computeGradient` (caller-owned buffers, overwritten). */
export interface DescriptorGradientOutput {
  /** g_p = sum_k w_i,k dB_k(i)/dd_ij up to the split between p and its reverse (see above), (number of pairs) x 3. Pairs beyond the cutoff get 0. */
  pairGradients: Float64Array;
  /** e_i = w_i . B(i), N values (optional). */
  energies?: Float64Array;
  /** B(i), N x size (optional). */
  features?: Float64Array;
}

/** Per-atom weights w_i for `computeGradient`. */
export interface DescriptorWeights {
  /** Rows of `size` values. */
  weights: Float64Array;
  /**
   * Row of `weights` used for atom i (N values). Omitted: row i (weights is N x size). A linear model
   * passes its species x size coefficient blocks and each atom's species index, so nothing is copied.
   */
  rows?: Int32Array;
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
  /**
   * Optional contracted gradient (see the module comment): per-pair g_p = sum_k w_i,k dB_k(i)/dd_ij,
   * and optionally e_i = w_i . B(i) and the features, at a cost independent of materialising the
   * (pairs x 3 x size) derivative array.
   */
  computeGradient?(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void;
  /** Versioned, JSON-able hyper-parameters, enough to rebuild the descriptor (`descriptorFromJSON`). */
  toJSON(): { type: string; version: number; [k: string]: unknown };
}

/**
 * Check `computeGradient` arguments: weight rows of `size` values, row indices in range, output
 * buffers large enough. Throws a ValidationError naming the buffer.
 */
export function checkGradientArgs(who: string, n: number, pairs: number, size: number, w: DescriptorWeights, out: DescriptorGradientOutput): void {
  const rows = w.rows;
  const nrow = Math.floor(w.weights.length / size);
  if (w.weights.length !== nrow * size) throw new ValidationError(`${who}: weights has ${w.weights.length} values, not a whole number of rows of ${size}`);
  if (rows) {
    if (rows.length < n) throw new ValidationError(`${who}: weight rows has ${rows.length} entries; needs one per atom (${n})`);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      if (r < 0 || r >= nrow) throw new ValidationError(`${who}: weight row ${r} of atom ${i} is outside [0, ${nrow})`);
    }
  } else if (nrow < n) {
    throw new ValidationError(`${who}: weights has ${nrow} rows of ${size}; needs one per atom (${n}) when no row indices are given`);
  }
  if (out.pairGradients.length < 3 * pairs) throw new ValidationError(`${who}: pairGradients buffer has ${out.pairGradients.length} values; needs ${3 * pairs}`);
  if (out.energies && out.energies.length < n) throw new ValidationError(`${who}: energies buffer has ${out.energies.length} values; needs ${n}`);
  if (out.features && out.features.length < n * size) throw new ValidationError(`${who}: features buffer has ${out.features.length} values; needs ${n * size}`);
}
