/**
 * Product features: a wrapper that raises the body order of any inner descriptor by appending
 * pairwise products of a chosen subset of its features (as moment tensor potentials build their
 * basis from products of contractions: a product of a nu-body and a nu'-body invariant is a
 * (nu + nu' - 1)-body invariant of the same atom).
 *
 * Features of atom i, with B(i) the inner features (m of them) and S = (s_0 < s_1 < ...) a subset of
 * inner feature indices:
 *
 *   P(i) = [ B_0(i) .. B_{m-1}(i),  B_a(i) B_b(i) for (a, b) = (s_u, s_v), u <= v ]
 *
 * so size = m + |S| (|S| + 1) / 2; product q multiplies inner features pa[q] and pb[q].
 *
 * Derivatives (product rule), per pair p of atom i and direction c:
 *
 *   dP_q(i)/dd_p,c = B_a(i) dB_b(i)/dd_p,c + B_b(i) dB_a(i)/dd_p,c
 *
 * Contracted gradient (`computeGradient`) for weights w_i over the product features (rows of `size`
 * values): the energy e_i = sum_k w_k B_k(i) + sum_q w_q B_a(i) B_b(i) is linear in dB, with
 * effective inner weights
 *
 *   w_eff,k(i) = w_k + sum_{q: pa[q] = k} w_q B_pb[q](i) + sum_{q: pb[q] = k} w_q B_pa[q](i)
 *
 * (a square, a = b, contributes 2 w_q B_a), so g_p = sum_k w_eff,k(i) dB_k(i)/dd_p is ONE call of the
 * inner `computeGradient` with per-atom weight rows (N x m), after one inner forward pass for B(i).
 * The cost of forces is about that of the inner descriptor (forward pass + contracted gradient) plus
 * O(N |S|^2), independent of the number of pairs.
 *
 * | symbol            | variable                                                   |
 * |-------------------|------------------------------------------------------------|
 * | B_k(i)            | this.fb[i * m + k] (inner features, scratch)               |
 * | dB_k(i)/dd_p,c    | out.derivatives[(p * 3 + c) * size + k] (k < m; see computeWithDerivatives) |
 * | P_k(i)            | out.features[i * size + k]                                 |
 * | a, b of product q | this.pa[q], this.pb[q]  (feature m + q)                    |
 * | w_k, w_q          | w.weights[row_i * size + k], w.weights[row_i * size + m + q] |
 * | w_eff,k(i)        | this.weff[i * m + k]                                       |
 * | m, |S|            | this.inner.size, this.indices.length                       |
 *
 * Choosing S: `ProductDescriptor` takes explicit indices (stored in its JSON); `selectProductIndices`
 * builds them from a `ProductSelection`: explicit indices, the first K_b features of body order b
 * (`perBodyOrder`, inners that report `bodyOrder(k)`; for BodyOrderDescriptor the first 3-body
 * features are all rank 0), or every feature of body order b whose radial indices are all below N_b
 * (`radialBelow`, inners that report `radialIndices(k)`: BodyOrderDescriptor; all ranks, all
 * species channels). Products of 2-body features duplicate 3-body rank-0 ones and 2-body x 3-body
 * products duplicate 4-body (0,l,l) ones when the radial indices are in range, so the useful
 * products are mostly 3-body x 3-body (5-body) ones.
 */
import { ParameterError } from '../core/errors.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { checkGradientArgs, type Descriptor, type DescriptorDerivatives, type DescriptorGradientOutput, type DescriptorWeights } from './descriptor.js';
import { checkBuffer } from './species.js';

const WHO = 'product';

export interface ProductOptions {
  /** The descriptor whose features are kept and multiplied. */
  inner: Descriptor;
  /** Inner feature indices whose pairwise products (with squares) are appended; distinct, in [0, inner.size). */
  indices: readonly number[];
}

/** An inner descriptor that can say the body order of each feature (BodyOrderDescriptor). */
interface BodyOrdered {
  bodyOrder(k: number): number;
}

/** ... and the radial indices of the moments in each feature (BodyOrderDescriptor). */
interface RadialIndexed extends BodyOrdered {
  radialIndices(k: number): readonly number[];
}

/** How to choose the subset S (exactly one key; see `productIndices`). */
export interface ProductSelection {
  /** Explicit inner feature indices. */
  indices?: readonly number[];
  /** [K2, K3, K4]: the first K_b features of body order b. */
  perBodyOrder?: readonly number[];
  /** [N2, N3, N4]: every feature of body order b whose radial indices are all below N_b (0: none of that order). */
  radialBelow?: readonly number[];
}

function hasBodyOrder(d: Descriptor): d is Descriptor & BodyOrdered {
  return typeof (d as Partial<BodyOrdered>).bodyOrder === 'function';
}

/** The subset S of a selection (sorted inner feature indices). */
export function selectProductIndices(inner: Descriptor, sel: ProductSelection): number[] {
  const given = (['indices', 'perBodyOrder', 'radialBelow'] as const).filter((k) => sel[k] !== undefined);
  if (given.length !== 1) throw new ParameterError(`${WHO}: give exactly one of indices, perBodyOrder, radialBelow (got ${given.length ? given.join(', ') : 'none'})`);
  if (sel.indices) return [...sel.indices].sort((a, b) => a - b);
  if (sel.perBodyOrder) return productIndices(inner, sel.perBodyOrder);
  const nb = sel.radialBelow!;
  if (typeof (inner as Partial<RadialIndexed>).radialIndices !== 'function' || !hasBodyOrder(inner)) throw new ParameterError(`${WHO}: inner descriptor "${inner.name}" does not report radial indices; give explicit indices`);
  if (nb.length === 0 || nb.length > 3 || nb.some((v) => !Number.isInteger(v) || v < 0)) throw new ParameterError(`${WHO}: radialBelow must list 1 to 3 non-negative integers (body orders 2, 3, 4), got ${JSON.stringify(nb)}`);
  const ri = inner as Descriptor & RadialIndexed;
  const out: number[] = [];
  for (let k = 0; k < inner.size; k++) {
    const lim = nb[ri.bodyOrder(k) - 2] ?? 0;
    if (ri.radialIndices(k).every((n) => n < lim)) out.push(k);
  }
  if (out.length === 0) throw new ParameterError(`${WHO}: radialBelow ${JSON.stringify(nb)} selects no feature`);
  return out;
}

/**
 * The first `perOrder[b - 2]` features of each body order b = 2, 3, 4 of `inner` (in feature
 * order), for `ProductDescriptor`'s `indices`. Throws when the inner descriptor does not report body
 * orders or has fewer features of an order than asked.
 */
export function productIndices(inner: Descriptor, perOrder: readonly number[]): number[] {
  if (!hasBodyOrder(inner)) throw new ParameterError(`${WHO}: inner descriptor "${inner.name}" does not report body orders; give explicit indices`);
  if (perOrder.length === 0 || perOrder.length > 3) throw new ParameterError(`${WHO}: per-body-order counts must list 1 to 3 values (body orders 2, 3, 4), got ${perOrder.length}`);
  const out: number[] = [];
  perOrder.forEach((want, o) => {
    if (!Number.isInteger(want) || want < 0) throw new ParameterError(`${WHO}: count for body order ${o + 2} must be a non-negative integer, got ${want}`);
    let got = 0;
    for (let k = 0; k < inner.size && got < want; k++) {
      if (inner.bodyOrder(k) === o + 2) {
        out.push(k);
        got++;
      }
    }
    if (got < want) throw new ParameterError(`${WHO}: asked for ${want} features of body order ${o + 2}; the inner descriptor has ${got}`);
  });
  return out.sort((a, b) => a - b);
}

export class ProductDescriptor implements Descriptor {
  readonly name = 'product';
  readonly inner: Descriptor;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly size: number;
  /** The subset S (sorted inner feature indices). */
  readonly indices: readonly number[];
  /** Inner features of product q (feature m + q): B_pa[q] B_pb[q]. */
  readonly pa: Int32Array;
  readonly pb: Int32Array;

  // scratch (grown on demand, reused across calls)
  private fb = new Float64Array(0);
  private db = new Float64Array(0);
  private weff = new Float64Array(0);
  private readonly ca: Float64Array;
  private readonly cb: Float64Array;

  constructor(o: ProductOptions) {
    const inner = o.inner;
    const m = inner.size;
    const idx = [...o.indices];
    for (const k of idx) if (!Number.isInteger(k) || k < 0 || k >= m) throw new ParameterError(`${WHO}: feature index ${k} is outside [0, ${m}) (inner "${inner.name}" has ${m} features)`);
    idx.sort((a, b) => a - b);
    for (let u = 1; u < idx.length; u++) if (idx[u] === idx[u - 1]) throw new ParameterError(`${WHO}: feature index ${idx[u]} is listed twice`);
    this.inner = inner;
    this.cutoff = inner.cutoff;
    this.species = inner.species;
    this.indices = idx;
    const np = (idx.length * (idx.length + 1)) / 2;
    this.pa = new Int32Array(np);
    this.pb = new Int32Array(np);
    let q = 0;
    for (let u = 0; u < idx.length; u++) {
      for (let v = u; v < idx.length; v++, q++) {
        this.pa[q] = idx[u]!;
        this.pb[q] = idx[v]!;
      }
    }
    this.size = m + np;
    this.ca = new Float64Array(np);
    this.cb = new Float64Array(np);
  }

  /** Number of product features (size - inner.size). */
  get productCount(): number {
    return this.pa.length;
  }

  /** Body order of feature k when the inner reports body orders (a product of orders b, b' has b + b' - 1). */
  bodyOrder(k: number): number {
    const inner = this.inner;
    if (!hasBodyOrder(inner)) throw new ParameterError(`${WHO}: inner descriptor "${inner.name}" does not report body orders`);
    const m = inner.size;
    if (k < m) return inner.bodyOrder(k);
    return inner.bodyOrder(this.pa[k - m]!) + inner.bodyOrder(this.pb[k - m]!) - 1;
  }

  toJSON(): { type: string; version: number; [k: string]: unknown } {
    return { type: 'product', version: 1, inner: this.inner.toJSON(), indices: [...this.indices] };
  }

  /**
   * Rebuild from `toJSON()`; `readInner` rebuilds the nested descriptor (the registry passes
   * `descriptorFromJSON`, which this module cannot import without a cycle).
   */
  static fromJSON(json: { [k: string]: unknown }, readInner: (j: unknown) => Descriptor): ProductDescriptor {
    if (json['type'] !== 'product') throw new ParameterError(`product.fromJSON: type is ${JSON.stringify(json['type'])}, expected "product"`);
    if (json['version'] !== 1) throw new ParameterError(`product.fromJSON: unsupported version ${JSON.stringify(json['version'])} (this build reads version 1)`);
    const idx = json['indices'];
    if (!Array.isArray(idx) || !idx.every((v) => typeof v === 'number')) throw new ParameterError('product.fromJSON: "indices" must be a list of feature indices');
    return new ProductDescriptor({ inner: readInner(json['inner']), indices: idx as number[] });
  }

  private ensure(n: number, pairs: number, derivatives: boolean, weights: boolean): void {
    const m = this.inner.size;
    if (this.fb.length < n * m) this.fb = new Float64Array(n * m);
    if (derivatives && this.db.length < pairs * 3 * m) this.db = new Float64Array(pairs * 3 * m);
    if (weights && this.weff.length < n * m) this.weff = new Float64Array(n * m);
  }

  /** Full features of every atom from the inner ones in this.fb. */
  private expand(n: number, out: Float64Array): void {
    const m = this.inner.size, size = this.size, np = this.pa.length;
    const fb = this.fb, pa = this.pa, pb = this.pb;
    for (let i = 0; i < n; i++) {
      const bi = i * m, oi = i * size;
      for (let k = 0; k < m; k++) out[oi + k] = fb[bi + k]!;
      const om = oi + m;
      for (let q = 0; q < np; q++) out[om + q] = fb[bi + pa[q]!]! * fb[bi + pb[q]!]!;
    }
  }

  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    const n = s.numbers.length;
    checkBuffer(WHO, 'features', out, n * this.size);
    this.ensure(n, 0, false, false);
    this.inner.compute(s, nl, this.fb);
    this.expand(n, out);
  }

  /**
   * The inner derivatives are written into the front of `out.derivatives` (stride m) and spread in
   * place to stride `size`, last row first (row r moves from r m to r size >= r m, so no unread row
   * is overwritten), then the products are formed from the moved row: no pairs x 3 x m scratch.
   */
  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    const n = s.numbers.length;
    const pairs = nl.offsets[n]!;
    const m = this.inner.size, size = this.size, np = this.pa.length;
    checkBuffer(WHO, 'features', out.features, n * size);
    checkBuffer(WHO, 'derivatives', out.derivatives, pairs * 3 * size);
    this.ensure(n, 0, false, false);
    const fb = this.fb, pa = this.pa, pb = this.pb, D = out.derivatives;
    this.inner.computeWithDerivatives(s, nl, { features: fb, derivatives: D });
    this.expand(n, out.features);
    const off = nl.offsets;
    const ca = this.ca, cb = this.cb;
    for (let i = n - 1; i >= 0; i--) {
      const bi = i * m;
      // per atom: dP_q = ca[q] dB_pb[q] + cb[q] dB_pa[q] with ca = B_pa, cb = B_pb
      for (let q = 0; q < np; q++) {
        ca[q] = fb[bi + pa[q]!]!;
        cb[q] = fb[bi + pb[q]!]!;
      }
      for (let p = off[i + 1]! - 1; p >= off[i]!; p--) {
        for (let c = 2; c >= 0; c--) {
          const src = (p * 3 + c) * m, dst = (p * 3 + c) * size;
          if (dst !== src) for (let k = m - 1; k >= 0; k--) D[dst + k] = D[src + k]!;
          const dm = dst + m;
          for (let q = 0; q < np; q++) D[dm + q] = ca[q]! * D[dst + pb[q]!]! + cb[q]! * D[dst + pa[q]!]!;
        }
      }
    }
  }

  computeGradient(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void {
    const n = s.numbers.length;
    const pairs = nl.offsets[n]!;
    const m = this.inner.size, size = this.size, np = this.pa.length;
    checkGradientArgs(WHO, n, pairs, size, w, out);
    const innerGradient = this.inner.computeGradient?.bind(this.inner);
    this.ensure(n, innerGradient ? 0 : pairs, !innerGradient, true);
    const fb = this.fb, weff = this.weff, pa = this.pa, pb = this.pb, W = w.weights, rows = w.rows;
    if (innerGradient) this.inner.compute(s, nl, fb);
    else this.inner.computeWithDerivatives(s, nl, { features: fb, derivatives: this.db });
    const e = out.energies;
    for (let i = 0; i < n; i++) {
      const wb = (rows ? rows[i]! : i) * size, bi = i * m;
      let ei = 0;
      for (let k = 0; k < m; k++) {
        const wk = W[wb + k]!;
        weff[bi + k] = wk;
        ei += wk * fb[bi + k]!;
      }
      const wq0 = wb + m;
      for (let q = 0; q < np; q++) {
        const wq = W[wq0 + q]!;
        if (wq === 0) continue;
        const a = pa[q]!, b = pb[q]!;
        const ba = fb[bi + a]!, bb = fb[bi + b]!;
        ei += wq * ba * bb;
        weff[bi + a] += wq * bb;
        weff[bi + b] += wq * ba;
      }
      if (e) e[i] = ei;
    }
    if (out.features) this.expand(n, out.features);
    const g = out.pairGradients;
    if (innerGradient) {
      innerGradient(s, nl, { weights: weff.subarray(0, n * m) }, { pairGradients: g });
      return;
    }
    // inner without a contracted path: contract its per-pair derivatives with w_eff
    const db = this.db, off = nl.offsets;
    for (let i = 0; i < n; i++) {
      const bi = i * m;
      for (let p = off[i]!; p < off[i + 1]!; p++) {
        for (let c = 0; c < 3; c++) {
          const src = (p * 3 + c) * m;
          let acc = 0;
          for (let k = 0; k < m; k++) acc += weff[bi + k]! * db[src + k]!;
          g[3 * p + c] = acc;
        }
      }
    }
  }
}
