/**
 * A systematically improvable body-ordered basis from Cartesian moment tensors (the moment tensor
 * potential / atomic cluster expansion family; Shapeev 2016, Drautz 2019), with analytic pair
 * derivatives.
 *
 * Atomic base (per atom i, per neighbour element z and radial index n, rank l = 0..3), with
 * u_ij = d_ij / r_ij and R_n the Chebyshev radial basis of `radial.ts`:
 *
 *   M_l[z,n] = sum_{j: Z_j = z} R_n(r_ij) u_ij^{(x) l}      (M_0 scalar, M_1 vector, M_2, M_3 symmetric)
 *
 * A "channel" mu = (z, n). Invariants are full contractions of products of moments; a product of
 * nu moments is a (nu+1)-body function:
 *
 *   2-body  B1:  M_0[mu]                                     n < nMax
 *   3-body  B2:  M_l[mu] . M_l[nu]   (l = 0..lMax3, mu <= nu)    n < nMax3
 *                = sum_{j,k} R R cos^l theta_jik, spanning the power spectrum up to lMax3
 *   4-body  B3:  (n < nMax4; ranks up to lMax4)
 *     (0,0,0)  M_0[mu] M_0[nu] M_0[la]                       mu <= nu <= la
 *     (0,l,l)  M_0[mu] (M_l[nu] . M_l[la])          l=1..3   nu <= la
 *     (1,1,2)  M_1[mu]_a M_2[la]_ab M_1[nu]_b                mu <= nu
 *     (2,2,2)  tr(M_2[mu] M_2[nu] M_2[la])                   mu <= nu <= la
 *     (1,2,3)  M_1[mu]_a M_2[nu]_bc M_3[la]_abc              all
 *     (2,3,3)  M_2[mu]_ab M_3[nu]_acd M_3[la]_bcd            nu <= la
 *   (every rank triple with l1 + l2 + l3 even and the triangle rule, up to lMax4 <= 3).
 *
 * Size: with K_b = (number of species) x nMax_b channels, B1 has K_2, B2 has (lMax3+1) K_3 (K_3+1)/2
 * features, B3 is listed above. The hyper-parameters nMax, nMax3, lMax3, nMax4, lMax4 and
 * maxBodyOrder set the size; raising any of them only adds features (the basis is nested).
 *
 * Derivatives (the adjoint method): for a feature B with moment slots t (channel (z_t, n_t),
 * rank l_t), G_t = dB/dM_t is computed once per atom and symmetrised; then for each neighbour j
 * with element z_j, only slots with z_t = z_j contribute:
 *
 *   q_t = G_t . u^{(x) l},  w_t = G_t . u^{(x) (l-1)}   (so q_t = w_t . u)
 *   dB/dd_ij = sum_t [ R'_{n_t}(r) q_t u + R_{n_t}(r) (l_t / r) (w_t - q_t u) ]
 *
 * Contracted gradient (`computeGradient`, for given weights w = dE/dB of the atom): the feature-level
 * adjoints are contracted first into one adjoint per moment slot, G[z,n,c] = sum_k w_k dB_k/dM[z,n,c]
 * (c a symmetric component: 1 + 3 + 6 + 10 monomials mono_c(u) of u = d/r, rank l_c), using shared
 * intermediates so that the cost per atom is O(features) (see `ContractedPlan`); then one pass over
 * the neighbours, O(neighbours x channels x components):
 *
 *   A_c = sum_n R'_n(r) G[z_j,n,c],   B_c = sum_n R_n(r) G[z_j,n,c]
 *   g_ij = (sum_c A_c mono_c - (1/r) sum_c l_c B_c mono_c) u + (1/r) sum_c B_c grad_u mono_c
 *
 * (d mono_c/dd = (grad_u mono_c - l_c mono_c u) / r by Euler's relation for a degree-l_c monomial.)
 * Moments are accumulated in symmetric storage (msym, 20 per channel, only up to the rank each n
 * needs); contractions use folded intermediates (ContractedPlan), so G is obtained directly in
 * symmetric storage with no symmetrisation step. Cost per atom: O(neighbours x channels x 20) for
 * the two neighbour passes plus O(features) for the terms (4-body terms cost O(1) each after
 * O(K4^2) per-pair intermediates), against O(neighbours x features) for `computeWithDerivatives`.
 *
 * | symbol          | variable                                         |
 * |-----------------|--------------------------------------------------|
 * | M[z,n,c] (sym)  | plan.msym[(z * N + n) * 20 + c]                  |
 * | G[z,n,c]        | plan.gsym[(z * N + n) * 20 + c]                  |
 * | A_c, B_c        | locals a0..a19, b0..b19 (per neighbour)           |
 * | M_l[z,n]        | mom[(z * N + n) * 40 + OFF[l] + comp]            |
 * | R_n, R'_n       | sR[m * N + n], sdR[m * N + n] (short-list entry m) |
 * | u, u (x) u      | su[3m..], uu                                     |
 * | G_t             | adj[(k * 3 + t) * 27 + comp]                     |
 * | feature term k  | terms[4k] kind, terms[4k+1..4k+3] channels       |
 * | N               | nRad = max(nMax, nMax3, nMax4)                   |
 */
import { ParameterError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { COSINE_CUTOFF, parseCutoffFunction, type CutoffFunction } from './cutoff.js';
import { checkGradientArgs, type Descriptor, type DescriptorDerivatives, type DescriptorGradientOutput, type DescriptorWeights } from './descriptor.js';
import { ChebyshevRadialBasis, LINEAR_TRANSFORM, parseRadialTransform, type RadialTransform } from './radial.js';
import { checkBuffer, checkInput, normalizeSpecies, speciesTable } from './species.js';

export interface BodyOrderOptions {
  /** Atomic numbers of the neighbour channels (and of every atom accepted). */
  species: readonly number[];
  /** Å. */
  cutoff: number;
  /** Inner end of the radial scaling (Å, default 0). */
  rMin?: number;
  /** Default cosine. */
  cutoffFunction?: CutoffFunction;
  /** Highest body order (2, 3 or 4; default 4). */
  maxBodyOrder?: number;
  /** Radial functions of the 2-body features (default 8). */
  nMax?: number;
  /** Radial functions and highest rank of the 3-body features (defaults 6 and 3). */
  nMax3?: number;
  lMax3?: number;
  /** Radial functions and highest rank of the 4-body features (defaults 3 and 2). */
  nMax4?: number;
  lMax4?: number;
  /** Distance transform of the radial basis (default linear; see radial.ts). */
  radialTransform?: RadialTransform;
}

const WHO = 'body-order';
const MC = 40; // components per channel: 1 + 3 + 9 + 27
const OFF = [0, 1, 4, 13];
const NCOMP = [1, 3, 9, 27];

// term kinds
const B1 = 0, P0 = 1, P1 = 2, P2 = 3, P3 = 4, T000 = 5, T011 = 6, T022 = 7, T033 = 8, T112 = 9, T222 = 10, T123 = 11, T233 = 12;
/** Ranks of the slots of each kind (-1: no slot). */
const SLOTS: readonly (readonly number[])[] = [
  [0], [0, 0], [1, 1], [2, 2], [3, 3],
  [0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 3, 3], [1, 1, 2], [2, 2, 2], [1, 2, 3], [2, 3, 3],
];
const NSLOT = Int32Array.from(SLOTS, (s) => s.length);
const RANK = Int32Array.from(SLOTS.flatMap((s) => [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0]));
const KIND_NAMES = ['M0', 'M0.M0', 'M1.M1', 'M2:M2', 'M3:M3', 'M0 M0 M0', 'M0 (M1.M1)', 'M0 (M2:M2)', 'M0 (M3:M3)', 'M1.M2.M1', 'tr(M2 M2 M2)', 'M1.M2:M3', 'M2:(M3.M3)'];

export class BodyOrderDescriptor implements Descriptor {
  readonly name = 'body-order';
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly size: number;
  readonly rMin: number;
  readonly cutoffFunction: CutoffFunction;
  readonly maxBodyOrder: number;
  readonly nMax: number;
  readonly nMax3: number;
  readonly lMax3: number;
  readonly nMax4: number;
  readonly lMax4: number;
  readonly radial: ChebyshevRadialBasis;
  readonly radialTransform: RadialTransform;
  /** Number of features of body order 2, 3, 4. */
  readonly counts: readonly [number, number, number];

  private readonly nRad: number;
  private readonly table: Int32Array;
  private readonly terms: Int32Array;
  private readonly maxRank: number;
  // per-atom scratch
  private cap = 0;
  private sp = new Int32Array(0);
  private st = new Int32Array(0);
  private su = new Float64Array(0);
  private sr = new Float64Array(0);
  private sR = new Float64Array(0);
  private sdR = new Float64Array(0);
  private readonly mom: Float64Array;
  private readonly adj: Float64Array;
  private readonly tu = new Float64Array(MC);
  private readonly w9 = new Float64Array(9);
  private readonly w9b = new Float64Array(9);
  private readonly w27 = new Float64Array(27);
  /** Tables and scratch of `computeGradient` (built on first use). */
  private plan: ContractedPlan | null = null;

  constructor(o: BodyOrderOptions) {
    this.species = normalizeSpecies(o.species, WHO);
    if (!(o.cutoff > 0) || !Number.isFinite(o.cutoff)) throw new ParameterError(`${WHO}: cutoff must be a positive finite number of Å, got ${o.cutoff}`);
    this.cutoff = o.cutoff;
    this.rMin = o.rMin ?? 0;
    this.cutoffFunction = parseCutoffFunction(o.cutoffFunction ?? COSINE_CUTOFF);
    const mbo = o.maxBodyOrder ?? 4;
    if (mbo !== 2 && mbo !== 3 && mbo !== 4) throw new ParameterError(`${WHO}: maxBodyOrder must be 2, 3 or 4, got ${mbo}`);
    this.maxBodyOrder = mbo;
    const int = (v: number | undefined, d: number, lo: number, hi: number, what: string): number => {
      const x = v ?? d;
      if (!Number.isInteger(x) || x < lo || x > hi) throw new ParameterError(`${WHO}: ${what} must be an integer in [${lo}, ${hi}], got ${x}`);
      return x;
    };
    this.nMax = int(o.nMax, 8, 1, 64, 'nMax');
    this.nMax3 = mbo >= 3 ? int(o.nMax3, Math.min(6, this.nMax), 1, 64, 'nMax3') : 0;
    this.lMax3 = mbo >= 3 ? int(o.lMax3, 3, 0, 3, 'lMax3') : 0;
    this.nMax4 = mbo >= 4 ? int(o.nMax4, Math.min(3, this.nMax), 1, 64, 'nMax4') : 0;
    this.lMax4 = mbo >= 4 ? int(o.lMax4, 2, 0, 3, 'lMax4') : 0;
    this.nRad = Math.max(this.nMax, this.nMax3, this.nMax4);
    this.radialTransform = parseRadialTransform(o.radialTransform ?? LINEAR_TRANSFORM);
    this.radial = new ChebyshevRadialBasis(this.nRad, this.cutoff, this.rMin, this.cutoffFunction, this.radialTransform);
    this.maxRank = Math.max(mbo >= 3 ? this.lMax3 : 0, mbo >= 4 ? this.lMax4 : 0);
    const ns = this.species.length;

    this.table = speciesTable(this.species);
    // enumerate terms
    const N = this.nRad;
    const t: number[] = [];
    const chans = (nmax: number): number[] => {
      const c: number[] = [];
      for (let z = 0; z < ns; z++) for (let n = 0; n < nmax; n++) c.push(z * N + n);
      return c;
    };
    const add = (kind: number, a: number, b = -1, c = -1) => t.push(kind, a, b, c);
    for (const c of chans(this.nMax)) add(B1, c);
    const c2 = t.length / 4;
    if (mbo >= 3) {
      const C = chans(this.nMax3);
      for (let l = 0; l <= this.lMax3; l++) for (let a = 0; a < C.length; a++) for (let b = a; b < C.length; b++) add(P0 + l, C[a]!, C[b]!);
    }
    const c3 = t.length / 4 - c2;
    if (mbo >= 4) {
      const C = chans(this.nMax4), K = C.length, L = this.lMax4;
      for (let a = 0; a < K; a++) for (let b = a; b < K; b++) for (let c = b; c < K; c++) add(T000, C[a]!, C[b]!, C[c]!);
      for (let l = 1; l <= L; l++) for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) for (let c = b; c < K; c++) add(T000 + l, C[a]!, C[b]!, C[c]!);
      if (L >= 2) {
        for (let a = 0; a < K; a++) for (let b = a; b < K; b++) for (let c = 0; c < K; c++) add(T112, C[a]!, C[b]!, C[c]!);
        for (let a = 0; a < K; a++) for (let b = a; b < K; b++) for (let c = b; c < K; c++) add(T222, C[a]!, C[b]!, C[c]!);
      }
      if (L >= 3) {
        for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) for (let c = 0; c < K; c++) add(T123, C[a]!, C[b]!, C[c]!);
        for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) for (let c = b; c < K; c++) add(T233, C[a]!, C[b]!, C[c]!);
      }
    }
    this.terms = Int32Array.from(t);
    this.size = t.length / 4;
    this.counts = [c2, c3, this.size - c2 - c3];
    this.mom = new Float64Array(ns * N * MC);
    this.adj = new Float64Array(this.size * 3 * 27);
  }

  /** Human-readable label of feature k, e.g. "M1.M2.M1 [Si n0, Si n1, O n2]". */
  featureLabel(k: number): string {
    const kind = this.terms[4 * k]!;
    const N = this.nRad;
    const ch: string[] = [];
    for (let s = 0; s < SLOTS[kind]!.length; s++) {
      const c = this.terms[4 * k + 1 + s]!;
      ch.push(`${symbolOf(this.species[Math.floor(c / N)]!)} n${c % N}`);
    }
    return `${KIND_NAMES[kind]} [${ch.join(', ')}]`;
  }

  /** Radial indices n of the moments multiplied in feature k (one per slot, body order - 1 of them). */
  radialIndices(k: number): number[] {
    const kind = this.terms[4 * k]!;
    const out: number[] = [];
    for (let t = 0; t < SLOTS[kind]!.length; t++) out.push(this.terms[4 * k + 1 + t]! % this.nRad);
    return out;
  }

  /** Body order (2, 3 or 4) of feature k. */
  bodyOrder(k: number): number {
    return SLOTS[this.terms[4 * k]!]!.length + 1;
  }

  toJSON(): { type: string; version: number; [k: string]: unknown } {
    return {
      type: 'body-order',
      version: 1,
      species: [...this.species],
      cutoff: this.cutoff,
      rMin: this.rMin,
      cutoffFunction: { ...this.cutoffFunction },
      maxBodyOrder: this.maxBodyOrder,
      nMax: this.nMax,
      nMax3: this.nMax3,
      lMax3: this.lMax3,
      nMax4: this.nMax4,
      lMax4: this.lMax4,
      ...(this.radialTransform.kind !== 'linear' ? { radialTransform: { ...this.radialTransform } } : {}),
    };
  }

  static fromJSON(json: { [k: string]: unknown }): BodyOrderDescriptor {
    if (json['type'] !== 'body-order') throw new ParameterError(`body-order.fromJSON: type is ${JSON.stringify(json['type'])}, expected "body-order"`);
    if (json['version'] !== 1) throw new ParameterError(`body-order.fromJSON: unsupported version ${JSON.stringify(json['version'])} (this build reads version 1)`);
    const mbo = json['maxBodyOrder'] as number;
    const num = (k: string) => json[k] as number;
    return new BodyOrderDescriptor({
      species: json['species'] as number[],
      cutoff: num('cutoff'),
      rMin: num('rMin'),
      cutoffFunction: parseCutoffFunction(json['cutoffFunction']),
      maxBodyOrder: mbo,
      nMax: num('nMax'),
      ...(mbo >= 3 ? { nMax3: num('nMax3'), lMax3: num('lMax3') } : {}),
      ...(mbo >= 4 ? { nMax4: num('nMax4'), lMax4: num('lMax4') } : {}),
      ...(json['radialTransform'] !== undefined ? { radialTransform: parseRadialTransform(json['radialTransform']) } : {}),
    });
  }

  /** Features only: the forward pass of the contracted path (moments in symmetric storage, per-kind term loops). */
  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    const n = s.numbers.length;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkBuffer(WHO, 'features', out, n * this.size);
    this.contracted(s, nl, null, null, null, out);
  }

  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    this.run(s, nl, out.features, out.derivatives);
  }

  // ---------------------------------------------------------------------------------------------
  // Contracted gradient (Descriptor.computeGradient): see the "Contracted gradient" section above.

  computeGradient(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void {
    const n = s.numbers.length;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkGradientArgs(WHO, n, nl.offsets[n]!, this.size, w, out);
    this.contracted(s, nl, w, out.pairGradients, out.energies ?? null, out.features ?? null);
  }

  /** The contracted pass; without weights (w = null) only the features (forward pass). */
  private contracted(s: Structure, nl: NeighborList, w: DescriptorWeights | null, pg: Float64Array | null, energies: Float64Array | null, features: Float64Array | null): void {
    const n = s.numbers.length;
    const size = this.size;
    const plan = (this.plan ??= new ContractedPlan({
      terms: this.terms, size, ns: this.species.length, nRad: this.nRad, maxBodyOrder: this.maxBodyOrder,
      nMax3: this.nMax3, lMax3: this.lMax3, nMax4: this.nMax4, lMax4: this.lMax4,
    }));
    const x = s.positions, off = nl.offsets, nb = nl.neighbors, sh = nl.shifts;
    const rc2 = this.cutoff * this.cutoff;
    const table = this.table, numbers = s.numbers;
    const N = this.nRad;
    let maxRow = 0;
    for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, off[i + 1]! - off[i]!);
    plan.ensure(maxRow);
    const sp = plan.sp, st = plan.st, su = plan.su, sr = plan.sr, sR = plan.sR, sdR = plan.sdR;
    const msym = plan.msym, gsym = plan.gsym, ncs = plan.ncs;
    const radial = this.radial;
    const nsym = this.species.length * N * SC;
    const weights = w ? w.weights : plan.zeroWeights, rows = w ? w.rows ?? null : null;

    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      const p0 = off[i]!, p1 = off[i + 1]!;
      msym.fill(0, 0, nsym);
      // forward: symmetric moments M[z,n,c] = sum_j R_n(r) mono_c(u), only the components n needs
      let m = 0;
      for (let p = p0; p < p1; p++) {
        const j = nb[p]!;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2 || r2 === 0) {
          if (pg) { pg[3 * p] = 0; pg[3 * p + 1] = 0; pg[3 * p + 2] = 0; } // beyond the cutoff (skin): no contribution
          continue;
        }
        const r = Math.sqrt(r2);
        const ir = 1 / r;
        const ux = dx * ir, uy = dy * ir, uz = dz * ir;
        const z = table[numbers[j]!]!;
        sp[m] = p;
        st[m] = z;
        su[3 * m] = ux; su[3 * m + 1] = uy; su[3 * m + 2] = uz;
        sr[m] = r;
        const rb = m * N;
        radial.evaluate(r, sR, sdR, rb);
        const xx = ux * ux, xy = ux * uy, xz = ux * uz, yy = uy * uy, yz = uy * uz, zz = uz * uz;
        const xxx = xx * ux, xxy = xx * uy, xxz = xx * uz, xyy = xy * uy, xyz = xy * uz, xzz = xz * uz, yyy = yy * uy, yyz = yy * uz, yzz = yz * uz, zzz = zz * uz;
        let mb = z * N * SC;
        for (let nn = 0; nn < N; nn++, mb += SC) {
          const Rv = sR[rb + nn]!;
          const nc = ncs[nn]!;
          msym[mb] += Rv;
          if (nc > 1) {
            msym[mb + 1] += Rv * ux; msym[mb + 2] += Rv * uy; msym[mb + 3] += Rv * uz;
          }
          if (nc > 4) {
            msym[mb + 4] += Rv * xx; msym[mb + 5] += Rv * xy; msym[mb + 6] += Rv * xz; msym[mb + 7] += Rv * yy; msym[mb + 8] += Rv * yz; msym[mb + 9] += Rv * zz;
          }
          if (nc > 10) {
            msym[mb + 10] += Rv * xxx; msym[mb + 11] += Rv * xxy; msym[mb + 12] += Rv * xxz; msym[mb + 13] += Rv * xyy; msym[mb + 14] += Rv * xyz; msym[mb + 15] += Rv * xzz; msym[mb + 16] += Rv * yyy; msym[mb + 17] += Rv * yyz; msym[mb + 18] += Rv * yzz; msym[mb + 19] += Rv * zzz;
          }
        }
        m++;
      }
      // features, energy and dE/dM (folded into symmetric storage: gsym)
      const wb = w ? (rows ? rows[i]! : i) * size : 0;
      const e = plan.terms(weights, wb, features, i * size, pg !== null);
      if (energies) energies[i] = e;
      if (!pg) continue;
      // backward: one pass over the neighbours, O(channels x components) each
      for (let q = 0; q < m; q++) {
        const rb = q * N;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0, a16 = 0, a17 = 0, a18 = 0, a19 = 0;
        let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0, b8 = 0, b9 = 0, b10 = 0, b11 = 0, b12 = 0, b13 = 0, b14 = 0, b15 = 0, b16 = 0, b17 = 0, b18 = 0, b19 = 0;
        let gb = st[q]! * N * SC;
        for (let nn = 0; nn < N; nn++, gb += SC) {
          const dRv = sdR[rb + nn]!, Rv = sR[rb + nn]!;
          const nc = ncs[nn]!;
          let g = gsym[gb]!;
          a0 += dRv * g; b0 += Rv * g;
          if (nc > 1) {
            g = gsym[gb + 1]!; a1 += dRv * g; b1 += Rv * g;
            g = gsym[gb + 2]!; a2 += dRv * g; b2 += Rv * g;
            g = gsym[gb + 3]!; a3 += dRv * g; b3 += Rv * g;
          }
          if (nc > 4) {
            g = gsym[gb + 4]!; a4 += dRv * g; b4 += Rv * g;
            g = gsym[gb + 5]!; a5 += dRv * g; b5 += Rv * g;
            g = gsym[gb + 6]!; a6 += dRv * g; b6 += Rv * g;
            g = gsym[gb + 7]!; a7 += dRv * g; b7 += Rv * g;
            g = gsym[gb + 8]!; a8 += dRv * g; b8 += Rv * g;
            g = gsym[gb + 9]!; a9 += dRv * g; b9 += Rv * g;
          }
          if (nc > 10) {
            g = gsym[gb + 10]!; a10 += dRv * g; b10 += Rv * g;
            g = gsym[gb + 11]!; a11 += dRv * g; b11 += Rv * g;
            g = gsym[gb + 12]!; a12 += dRv * g; b12 += Rv * g;
            g = gsym[gb + 13]!; a13 += dRv * g; b13 += Rv * g;
            g = gsym[gb + 14]!; a14 += dRv * g; b14 += Rv * g;
            g = gsym[gb + 15]!; a15 += dRv * g; b15 += Rv * g;
            g = gsym[gb + 16]!; a16 += dRv * g; b16 += Rv * g;
            g = gsym[gb + 17]!; a17 += dRv * g; b17 += Rv * g;
            g = gsym[gb + 18]!; a18 += dRv * g; b18 += Rv * g;
            g = gsym[gb + 19]!; a19 += dRv * g; b19 += Rv * g;
          }
        }
        const ux = su[3 * q]!, uy = su[3 * q + 1]!, uz = su[3 * q + 2]!;
        const xx = ux * ux, xy = ux * uy, xz = ux * uz, yy = uy * uy, yz = uy * uz, zz = uz * uz;
        // s1 = sum_c A_c mono_c; lB = sum_c l_c B_c mono_c; w = sum_c B_c grad(mono_c) (zero entries beyond each n's rank)
        const s1 = a0 + a1 * ux + a2 * uy + a3 * uz + a4 * xx + a5 * xy + a6 * xz + a7 * yy + a8 * yz + a9 * zz
          + ux * (a10 * xx + a11 * xy + a12 * xz + a13 * yy + a14 * yz + a15 * zz) + uy * (a16 * yy + a17 * yz + a18 * zz) + a19 * zz * uz;
        const lB = b1 * ux + b2 * uy + b3 * uz + 2 * (b4 * xx + b5 * xy + b6 * xz + b7 * yy + b8 * yz + b9 * zz)
          + 3 * (ux * (b10 * xx + b11 * xy + b12 * xz + b13 * yy + b14 * yz + b15 * zz) + uy * (b16 * yy + b17 * yz + b18 * zz) + b19 * zz * uz);
        const wx = b1 + 2 * ux * b4 + uy * b5 + uz * b6 + 3 * xx * b10 + 2 * xy * b11 + 2 * xz * b12 + yy * b13 + yz * b14 + zz * b15;
        const wy = b2 + ux * b5 + 2 * uy * b7 + uz * b8 + xx * b11 + 2 * xy * b13 + xz * b14 + 3 * yy * b16 + 2 * yz * b17 + zz * b18;
        const wz = b3 + ux * b6 + uy * b8 + 2 * uz * b9 + xx * b12 + xy * b14 + 2 * xz * b15 + yy * b17 + 2 * yz * b18 + 3 * zz * b19;
        const ir = 1 / sr[q]!;
        const a = s1 - lB * ir;
        const pp = 3 * sp[q]!;
        pg[pp] = a * ux + wx * ir;
        pg[pp + 1] = a * uy + wy * ir;
        pg[pp + 2] = a * uz + wz * ir;
      }
    }
  }

  private ensureScratch(m: number): void {
    if (m <= this.cap) return;
    const c = Math.max(m, 2 * this.cap, 32);
    this.cap = c;
    this.sp = new Int32Array(c);
    this.st = new Int32Array(c);
    this.su = new Float64Array(3 * c);
    this.sr = new Float64Array(c);
    this.sR = new Float64Array(c * this.nRad);
    this.sdR = new Float64Array(c * this.nRad);
  }

  private run(s: Structure, nl: NeighborList, feat: Float64Array, der: Float64Array | null): void {
    const n = s.numbers.length;
    const size = this.size;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkBuffer(WHO, 'features', feat, n * size);
    const np = nl.offsets[n]!;
    if (der) {
      checkBuffer(WHO, 'derivatives', der, np * 3 * size);
      der.fill(0, 0, np * 3 * size);
    }
    const x = s.positions, off = nl.offsets, nb = nl.neighbors, sh = nl.shifts;
    const rc2 = this.cutoff * this.cutoff;
    const table = this.table, numbers = s.numbers;
    const N = this.nRad;
    let maxRow = 0;
    for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, off[i + 1]! - off[i]!);
    this.ensureScratch(maxRow);
    const sp = this.sp, st = this.st, su = this.su, sr = this.sr, sR = this.sR, sdR = this.sdR;
    const mom = this.mom, tu = this.tu, radial = this.radial;
    const ncomp = OFF[this.maxRank]! + NCOMP[this.maxRank]!;

    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      let m = 0;
      mom.fill(0);
      for (let p = off[i]!; p < off[i + 1]!; p++) {
        const j = nb[p]!;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2 || r2 === 0) continue;
        const r = Math.sqrt(r2);
        const ux = dx / r, uy = dy / r, uz = dz / r;
        const z = table[numbers[j]!]!;
        sp[m] = p;
        st[m] = z;
        su[3 * m] = ux; su[3 * m + 1] = uy; su[3 * m + 2] = uz;
        sr[m] = r;
        radial.evaluate(r, sR, sdR, m * N);
        // T(u) = (1, u, u u, u u u) in full storage
        tu[0] = 1; tu[1] = ux; tu[2] = uy; tu[3] = uz;
        if (ncomp > 4) {
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) tu[4 + 3 * a + b] = tu[1 + a]! * tu[1 + b]!;
          if (ncomp > 13) for (let a = 0; a < 9; a++) for (let c = 0; c < 3; c++) tu[13 + 3 * a + c] = tu[4 + a]! * tu[1 + c]!;
        }
        for (let nn = 0; nn < N; nn++) {
          const Rv = sR[m * N + nn]!;
          const base = (z * N + nn) * MC;
          for (let q = 0; q < ncomp; q++) mom[base + q] += Rv * tu[q]!;
        }
        m++;
      }
      this.evaluateTerms(feat, i * size, der !== null);
      if (!der) continue;
      this.scatterDerivatives(der, m);
    }
  }

  /** Feature values of one atom from the moments; with `adjoints`, also G_t = dB/dM_t (symmetrised). */
  private evaluateTerms(feat: Float64Array, fb: number, adjoints: boolean): void {
    const terms = this.terms, mom = this.mom, adj = this.adj, size = this.size;
    const Y = this.w27;
    for (let k = 0; k < size; k++) {
      const kind = terms[4 * k]!;
      const a0 = terms[4 * k + 1]! * MC, b0 = terms[4 * k + 2]! * MC, c0 = terms[4 * k + 3]! * MC;
      const g = k * 81;
      let v = 0;
      switch (kind) {
        case B1:
          v = mom[a0]!;
          if (adjoints) adj[g] = 1;
          break;
        case P0: case P1: case P2: case P3: {
          const l = kind - P0, o = OFF[l]!, nc = NCOMP[l]!;
          for (let q = 0; q < nc; q++) v += mom[a0 + o + q]! * mom[b0 + o + q]!;
          if (adjoints) for (let q = 0; q < nc; q++) { adj[g + q] = mom[b0 + o + q]!; adj[g + 27 + q] = mom[a0 + o + q]!; }
          break;
        }
        case T000: {
          const A = mom[a0]!, B = mom[b0]!, C = mom[c0]!;
          v = A * B * C;
          if (adjoints) { adj[g] = B * C; adj[g + 27] = A * C; adj[g + 54] = A * B; }
          break;
        }
        case T011: case T022: case T033: {
          const l = kind - T000, o = OFF[l]!, nc = NCOMP[l]!;
          let sdot = 0;
          for (let q = 0; q < nc; q++) sdot += mom[b0 + o + q]! * mom[c0 + o + q]!;
          const A = mom[a0]!;
          v = A * sdot;
          if (adjoints) {
            adj[g] = sdot;
            for (let q = 0; q < nc; q++) { adj[g + 27 + q] = A * mom[c0 + o + q]!; adj[g + 54 + q] = A * mom[b0 + o + q]!; }
          }
          break;
        }
        case T112: {
          // x = M1[a], y = M1[b], M = M2[c]
          const xo = a0 + 1, yo = b0 + 1, Mo = c0 + 4;
          for (let p = 0; p < 3; p++) {
            let My = 0, Mx = 0;
            for (let q = 0; q < 3; q++) { My += mom[Mo + 3 * p + q]! * mom[yo + q]!; Mx += mom[Mo + 3 * p + q]! * mom[xo + q]!; }
            v += mom[xo + p]! * My;
            if (adjoints) { adj[g + p] = My; adj[g + 27 + p] = Mx; }
          }
          if (adjoints) for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) adj[g + 54 + 3 * p + q] = 0.5 * (mom[xo + p]! * mom[yo + q]! + mom[yo + p]! * mom[xo + q]!);
          break;
        }
        case T222: {
          const A = a0 + 4, B = b0 + 4, C = c0 + 4;
          const BC = this.w9, CA = this.w9b;
          for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
            let bc = 0, ca = 0;
            for (let r = 0; r < 3; r++) { bc += mom[B + 3 * p + r]! * mom[C + 3 * r + q]!; ca += mom[C + 3 * p + r]! * mom[A + 3 * r + q]!; }
            BC[3 * p + q] = bc; CA[3 * p + q] = ca;
          }
          for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) v += mom[A + 3 * p + q]! * BC[3 * q + p]!;
          if (adjoints) {
            for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
              let ab = 0, ba = 0;
              for (let r = 0; r < 3; r++) { ab += mom[A + 3 * p + r]! * mom[B + 3 * r + q]!; ba += mom[B + 3 * p + r]! * mom[A + 3 * r + q]!; }
              adj[g + 3 * p + q] = 0.5 * (BC[3 * p + q]! + BC[3 * q + p]!); // sym(BC) = (BC + CB)/2
              adj[g + 27 + 3 * p + q] = 0.5 * (CA[3 * p + q]! + CA[3 * q + p]!);
              adj[g + 54 + 3 * p + q] = 0.5 * (ab + ba);
            }
          }
          break;
        }
        case T123: {
          const xo = a0 + 1, Mo = b0 + 4, To = c0 + 13;
          for (let a = 0; a < 3; a++) {
            let s = 0;
            for (let bc = 0; bc < 9; bc++) s += mom[Mo + bc]! * mom[To + 9 * a + bc]!;
            v += mom[xo + a]! * s;
            if (adjoints) adj[g + a] = s;
          }
          if (adjoints) {
            for (let bc = 0; bc < 9; bc++) {
              let s = 0;
              for (let a = 0; a < 3; a++) s += mom[xo + a]! * mom[To + 9 * a + bc]!;
              adj[g + 27 + bc] = s;
            }
            for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) {
              adj[g + 54 + 9 * a + 3 * b + c] = (mom[xo + a]! * mom[Mo + 3 * b + c]! + mom[xo + b]! * mom[Mo + 3 * a + c]! + mom[xo + c]! * mom[Mo + 3 * a + b]!) / 3;
            }
          }
          break;
        }
        case T233: {
          const Mo = a0 + 4, So = b0 + 13, To = c0 + 13;
          // v = sum_ab M_ab sum_cd S_acd T_bcd
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
            let st = 0;
            for (let cd = 0; cd < 9; cd++) st += mom[So + 9 * a + cd]! * mom[To + 9 * b + cd]!;
            v += mom[Mo + 3 * a + b]! * st;
            if (adjoints) this.w9[3 * a + b] = st;
          }
          if (adjoints) {
            for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) adj[g + 3 * a + b] = 0.5 * (this.w9[3 * a + b]! + this.w9[3 * b + a]!);
            // G_S: Y_acd = sum_b M_ab T_bcd, symmetrised; G_T: Z_bcd = sum_a M_ab S_acd (M symmetric)
            for (let slot = 1; slot <= 2; slot++) {
              const Oo = slot === 1 ? To : So;
              for (let a = 0; a < 3; a++) for (let cd = 0; cd < 9; cd++) {
                let y = 0;
                for (let b = 0; b < 3; b++) y += mom[Mo + 3 * a + b]! * mom[Oo + 9 * b + cd]!;
                Y[9 * a + cd] = y;
              }
              const gs = g + 27 * slot;
              for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) for (let d = 0; d < 3; d++) {
                adj[gs + 9 * a + 3 * c + d] = (Y[9 * a + 3 * c + d]! + Y[9 * c + 3 * a + d]! + Y[9 * d + 3 * a + c]!) / 3;
              }
            }
          }
          break;
        }
      }
      feat[fb + k] = v;
    }
  }

  /** dB_k/dd_ij for every short-list neighbour of the current atom, from the adjoints. */
  private scatterDerivatives(der: Float64Array, m: number): void {
    const terms = this.terms, adj = this.adj, size = this.size, N = this.nRad;
    const sp = this.sp, st = this.st, su = this.su, sr = this.sr, sR = this.sR, sdR = this.sdR;
    const uu = this.w9;
    for (let e = 0; e < m; e++) {
      const z = st[e]!;
      const ux = su[3 * e]!, uy = su[3 * e + 1]!, uz = su[3 * e + 2]!;
      const ir = 1 / sr[e]!;
      uu[0] = ux * ux; uu[1] = ux * uy; uu[2] = ux * uz;
      uu[3] = uy * ux; uu[4] = uy * uy; uu[5] = uy * uz;
      uu[6] = uz * ux; uu[7] = uz * uy; uu[8] = uz * uz;
      const zlo = z * N, zhi = zlo + N;
      const rb = e * N - zlo;
      const db = sp[e]! * 3 * size;
      for (let k = 0; k < size; k++) {
        const kind = terms[4 * k]!;
        const nsl = NSLOT[kind]!;
        let gx = 0, gy = 0, gz = 0;
        for (let t = 0; t < nsl; t++) {
          const c = terms[4 * k + 1 + t]!;
          if (c < zlo || c >= zhi) continue;
          const l = RANK[3 * kind + t]!;
          const G = k * 81 + 27 * t;
          const Rv = sR[rb + c]!, dRv = sdR[rb + c]!;
          if (l === 0) {
            const q = adj[G]! * dRv;
            gx += q * ux; gy += q * uy; gz += q * uz;
            continue;
          }
          let wx: number, wy: number, wz: number;
          if (l === 1) {
            wx = adj[G]!; wy = adj[G + 1]!; wz = adj[G + 2]!;
          } else if (l === 2) {
            wx = adj[G]! * ux + adj[G + 1]! * uy + adj[G + 2]! * uz;
            wy = adj[G + 3]! * ux + adj[G + 4]! * uy + adj[G + 5]! * uz;
            wz = adj[G + 6]! * ux + adj[G + 7]! * uy + adj[G + 8]! * uz;
          } else {
            wx = 0; wy = 0; wz = 0;
            for (let q = 0; q < 9; q++) { const w = uu[q]!; wx += adj[G + q]! * w; wy += adj[G + 9 + q]! * w; wz += adj[G + 18 + q]! * w; }
          }
          const q = wx * ux + wy * uy + wz * uz;
          const a = dRv * q - Rv * l * ir * q;
          const b = Rv * l * ir;
          gx += a * ux + b * wx; gy += a * uy + b * wy; gz += a * uz + b * wz;
        }
        der[db + k] = gx;
        der[db + size + k] = gy;
        der[db + 2 * size + k] = gz;
      }
    }
  }
}

/** Symmetric components per channel: 1 + 3 + 6 + 10 (M_0, M_1, M_2 upper triangle, M_3 sorted a<=b<=c). */
const SC = 20;
/** Full-storage component (0..39) -> symmetric component (0..19). */
const FULL_TO_SYM: Int32Array = (() => {
  const t = new Int32Array(MC);
  const key = (idx: number[]): number => {
    const s = [...idx].sort((a, b) => a - b);
    if (s.length === 0) return 0;
    if (s.length === 1) return 1 + s[0]!;
    if (s.length === 2) return 4 + [[0, 1, 2], [-1, 3, 4], [-1, -1, 5]][s[0]!]![s[1]!]!;
    const list = ['000', '001', '002', '011', '012', '022', '111', '112', '122', '222'];
    return 10 + list.indexOf(s.join(''));
  };
  t[0] = 0;
  for (let a = 0; a < 3; a++) t[1 + a] = key([a]);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) t[4 + 3 * a + b] = key([a, b]);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) t[13 + 9 * a + 3 * b + c] = key([a, b, c]);
  return t;
})();

/** Offset and count of rank l's symmetric components; multiplicity of each component in a full contraction. */
const SYM_OFF = [0, 1, 4, 10];
const SYM_N = [1, 3, 6, 10];
const SYM_MULT = Float64Array.from([1, 1, 1, 1, 1, 2, 2, 1, 2, 1, 1, 3, 3, 3, 6, 3, 1, 3, 3, 1]);
/** Rank-2 symmetric component c = (SYM2_P[c], SYM2_Q[c]), p <= q. */
const SYM2_P = Int32Array.from([0, 0, 0, 1, 1, 2]);
const SYM2_Q = Int32Array.from([0, 1, 2, 1, 2, 2]);
/** Rank-3 symmetric component (0..9) of the index triple (p, SYM2_P[c], SYM2_Q[c]), at IDX3[6p + c]. */
const IDX3 = Int32Array.from({ length: 18 }, (_, k) => FULL_TO_SYM[13 + 9 * Math.floor(k / 6) + 3 * SYM2_P[k % 6]! + SYM2_Q[k % 6]!]! - 10);

interface PlanInput {
  terms: Int32Array;
  size: number;
  ns: number;
  nRad: number;
  maxBodyOrder: number;
  nMax3: number;
  lMax3: number;
  nMax4: number;
  lMax4: number;
}

/**
 * Tables and scratch of the contracted gradient of one BodyOrderDescriptor (built on first use).
 *
 * Energy e = sum_k w_k B_k(M) and G = de/dM (symmetric storage) from intermediates shared between
 * features, one tight loop per feature kind:
 *
 *   dots       D_d = M_l[a] . M_l[b] = sum_c mult_c M[a,c] M[b,c]   (3-body, and 4-body (0,l,l))
 *   (1,1,2)    v = M_2[c] : O_ab,  O_ab = M_1[a] M_1[b]^T;          S_ab = sum_c w M_2[c]
 *   (2,2,2)    v = M_2[c] : PP_ab, PP_ab = M_2[a] M_2[b]
 *   (1,2,3)    v = M_1[a] . V_bc, V_bc = M_2[b] : M_3[c];  U_ac = M_1[a] . M_3[c];  y_bc = sum_a w M_1[a]
 *   (2,3,3)    v = M_2[a] : ST_bc, ST_bc = M_3[b] : M_3[c] (contracting the last two indices);  Mw_bc = sum_a w M_2[a]
 *
 * A full contraction X : Y of a symmetric rank-2 X with any Y equals sum_c Xsym_c fold(Y)_c, where
 * fold sums Y over the index permutations of component c; so O, PP, U, ST are stored folded (6
 * numbers) and their products give both v and dv/dM_sym directly. Rank-3 gradients from the
 * accumulators y and Mw are formed in full storage and folded at the end.
 */
class ContractedPlan {
  readonly ncs: Int32Array;
  private readonly N: number;
  /** Feature range [kFrom[kind], kFrom[kind + 1]) of each kind (kinds are enumerated in order). */
  private readonly kFrom: Int32Array;
  private readonly aux: Int32Array;
  private readonly dotN: Int32Array;
  private readonly dotA: Int32Array;
  private readonly dotB: Int32Array;
  private readonly K4: number;
  /** Offset of 4-body local channel L in the full-storage copy `mom` (L * MC) and in msym (channel * SC). */
  private readonly k4full: Int32Array;
  private readonly k4sym: Int32Array;
  /** Pair list i <= j of the 4-body local channels. */
  private readonly pI: Int32Array;
  private readonly pJ: Int32Array;
  private readonly has112: boolean;
  private readonly has222: boolean;
  private readonly has123: boolean;
  private readonly has233: boolean;
  /** Full-storage components of the 4-body channels (up to rank lMax4). */
  private readonly nFull: number;
  // per-atom buffers
  readonly msym: Float64Array;
  readonly gsym: Float64Array;
  private readonly mm: Float64Array;
  private readonly mom: Float64Array;
  /** Rank-3 moments of the 4-body channels as 3 x 6 matrices T[p, (q<=r)], plain and times mult(q,r). */
  private readonly t36: Float64Array;
  private readonly tm36: Float64Array;
  private readonly x36: Float64Array;
  private readonly dot: Float64Array;
  private readonly qdot: Float64Array;
  private readonly O6: Float64Array;
  private readonly S6: Float64Array;
  private readonly PP6: Float64Array;
  private readonly V3: Float64Array;
  private readonly U6: Float64Array;
  private readonly Y3: Float64Array;
  private readonly ST6: Float64Array;
  private readonly MW6: Float64Array;
  private readonly size: number;
  private zw: Float64Array | null = null;
  // short-list scratch
  private cap = 0;
  sp = new Int32Array(0);
  st = new Int32Array(0);
  su = new Float64Array(0);
  sr = new Float64Array(0);
  sR = new Float64Array(0);
  sdR = new Float64Array(0);

  constructor(d: PlanInput) {
    const { terms, size, ns, nRad: N } = d;
    this.N = N;
    this.size = size;
    const rankOf = (n: number): number => Math.max(d.maxBodyOrder >= 3 && n < d.nMax3 ? d.lMax3 : 0, d.maxBodyOrder >= 4 && n < d.nMax4 ? d.lMax4 : 0);
    this.ncs = Int32Array.from({ length: N }, (_, n) => [1, 4, 10, 20][rankOf(n)]!);
    const K4 = d.maxBodyOrder >= 4 ? ns * d.nMax4 : 0;
    this.K4 = K4;
    this.nFull = [1, 4, 13, 40][K4 > 0 ? d.lMax4 : 0]!;
    const local = (c: number): number => Math.floor(c / N) * d.nMax4 + (c % N);
    const chanOf = (L: number): number => Math.floor(L / d.nMax4) * N + (L % d.nMax4);
    this.k4full = Int32Array.from({ length: K4 }, (_, L) => L * MC);
    this.k4sym = Int32Array.from({ length: K4 }, (_, L) => chanOf(L) * SC);
    const pairIdx = new Int32Array(K4 * K4);
    const pI: number[] = [], pJ: number[] = [];
    for (let i = 0; i < K4; i++) for (let j = i; j < K4; j++) { pairIdx[i * K4 + j] = pairIdx[j * K4 + i] = pI.length; pI.push(i); pJ.push(j); }
    this.pI = Int32Array.from(pI);
    this.pJ = Int32Array.from(pJ);
    const np4 = pI.length;
    const dots = new Map<string, number>();
    const dN: number[] = [], dA: number[] = [], dB: number[] = [];
    const dotOf = (l: number, a: number, b: number): number => {
      const lo = Math.min(a, b), hi = Math.max(a, b);
      const key = `${l},${lo},${hi}`;
      let id = dots.get(key);
      if (id === undefined) { id = dN.length; dots.set(key, id); dN.push(SYM_N[l]!); dA.push(lo * SC + SYM_OFF[l]!); dB.push(hi * SC + SYM_OFF[l]!); }
      return id;
    };
    this.kFrom = new Int32Array(T233 + 2);
    this.aux = new Int32Array(size * 6);
    const aux = this.aux;
    let last = -1;
    for (let k = 0; k < size; k++) {
      const kind = terms[4 * k]!;
      if (kind < last) throw new Error('body-order: internal error, feature kinds out of order');
      for (let q = last + 1; q <= kind; q++) this.kFrom[q] = k;
      last = kind;
      const a = terms[4 * k + 1]!, b = terms[4 * k + 2]!, c = terms[4 * k + 3]!;
      const o = 6 * k;
      switch (kind) {
        case B1: aux[o] = a * SC; break;
        case P0: case P1: case P2: case P3: aux[o] = dotOf(kind - P0, a, b); break;
        case T000: aux[o] = a * SC; aux[o + 1] = b * SC; aux[o + 2] = c * SC; break;
        case T011: case T022: case T033: aux[o] = a * SC; aux[o + 1] = dotOf(kind - T000, b, c); break;
        case T112: aux[o] = pairIdx[local(a) * K4 + local(b)]!; aux[o + 1] = c * SC + 4; break;
        case T222: {
          const la = local(a), lb = local(b), lc = local(c);
          aux[o] = pairIdx[la * K4 + lb]!; aux[o + 1] = pairIdx[lb * K4 + lc]!; aux[o + 2] = pairIdx[la * K4 + lc]!;
          aux[o + 3] = a * SC + 4; aux[o + 4] = b * SC + 4; aux[o + 5] = c * SC + 4;
          break;
        }
        case T123: aux[o] = a * SC + 1; aux[o + 1] = b * SC + 4; aux[o + 2] = local(b) * K4 + local(c); aux[o + 3] = local(a) * K4 + local(c); break;
        case T233: aux[o] = a * SC + 4; aux[o + 1] = pairIdx[local(b) * K4 + local(c)]!; break;
      }
    }
    for (let q = last + 1; q <= T233 + 1; q++) this.kFrom[q] = size;
    this.dotN = Int32Array.from(dN);
    this.dotA = Int32Array.from(dA);
    this.dotB = Int32Array.from(dB);
    const count = (kd: number): number => this.kFrom[kd + 1]! - this.kFrom[kd]!;
    this.has112 = count(T112) > 0;
    this.has222 = count(T222) > 0;
    this.has123 = count(T123) > 0;
    this.has233 = count(T233) > 0;
    this.msym = new Float64Array(ns * N * SC);
    this.gsym = new Float64Array(ns * N * SC);
    this.mm = new Float64Array(ns * N * SC);
    this.mom = new Float64Array(K4 * MC);
    this.t36 = new Float64Array(K4 * 18);
    this.tm36 = new Float64Array(K4 * 18);
    this.x36 = new Float64Array(K4 * 18);
    this.dot = new Float64Array(dN.length);
    this.qdot = new Float64Array(dN.length);
    this.O6 = new Float64Array(this.has112 ? np4 * 6 : 0);
    this.S6 = new Float64Array(this.has112 ? np4 * 6 : 0);
    this.PP6 = new Float64Array(this.has222 ? np4 * 6 : 0);
    this.V3 = new Float64Array(this.has123 ? K4 * K4 * 3 : 0);
    this.U6 = new Float64Array(this.has123 ? K4 * K4 * 6 : 0);
    this.Y3 = new Float64Array(this.has123 ? K4 * K4 * 3 : 0);
    this.ST6 = new Float64Array(this.has233 ? np4 * 6 : 0);
    this.MW6 = new Float64Array(this.has233 ? np4 * 6 : 0);
  }

  /** Weights for a features-only pass (all zero). */
  get zeroWeights(): Float64Array {
    return (this.zw ??= new Float64Array(this.size));
  }

  ensure(m: number): void {
    if (m <= this.cap) return;
    const c = Math.max(m, 2 * this.cap, 32);
    this.cap = c;
    this.sp = new Int32Array(c);
    this.st = new Int32Array(c);
    this.su = new Float64Array(3 * c);
    this.sr = new Float64Array(c);
    this.sR = new Float64Array(c * this.N);
    this.sdR = new Float64Array(c * this.N);
  }

  /**
   * From the symmetric moments `msym` of one atom: e = w . B (returned), B into `feat` at `fb` when
   * given, and G = de/dM_sym into `gsym`. Weights are w[wb + k].
   */
  terms(w: Float64Array, wb: number, feat: Float64Array | null, fb: number, gradient: boolean): number {
    const { aux, msym: M, gsym: G, dot, qdot, kFrom, mm: MM } = this;
    G.fill(0);
    // MM = multiplicity x M, so that a full contraction M_l[a] . M_l[b] = sum_c MM[a,c] M[b,c]
    const nsc = M.length;
    for (let o = 0; o < nsc; o += SC) for (let q = 0; q < SC; q++) MM[o + q] = SYM_MULT[q]! * M[o + q]!;
    const dotN = this.dotN, dotA = this.dotA, dotB = this.dotB, nd = dotN.length;
    for (let d = 0; d < nd; d++) {
      const a = dotA[d]!, b = dotB[d]!, nc = dotN[d]!;
      let v = 0;
      for (let q = 0; q < nc; q++) v += MM[a + q]! * M[b + q]!;
      dot[d] = v;
      qdot[d] = 0;
    }
    if (this.K4 > 0) this.pairTables();
    let e = 0;
    // 2-body
    for (let k = kFrom[B1]!, ke = kFrom[B1 + 1]!; k < ke; k++) {
      const wk = w[wb + k]!, a = aux[6 * k]!;
      const v = M[a]!;
      G[a] += wk;
      if (feat) feat[fb + k] = v;
      e += wk * v;
    }
    // 3-body and 4-body (0,l,l): dots
    for (let k = kFrom[P0]!, ke = kFrom[T000]!; k < ke; k++) {
      const wk = w[wb + k]!, d = aux[6 * k]!;
      const v = dot[d]!;
      qdot[d] += wk;
      if (feat) feat[fb + k] = v;
      e += wk * v;
    }
    for (let k = kFrom[T000]!, ke = kFrom[T011]!; k < ke; k++) {
      const wk = w[wb + k]!, o = 6 * k;
      const a = aux[o]!, b = aux[o + 1]!, c = aux[o + 2]!;
      const A = M[a]!, B = M[b]!, C = M[c]!;
      const v = A * B * C;
      G[a] += wk * B * C; G[b] += wk * A * C; G[c] += wk * A * B;
      if (feat) feat[fb + k] = v;
      e += wk * v;
    }
    for (let k = kFrom[T011]!, ke = kFrom[T112]!; k < ke; k++) {
      const wk = w[wb + k]!, o = 6 * k;
      const a = aux[o]!, d = aux[o + 1]!;
      const A = M[a]!, D = dot[d]!;
      const v = A * D;
      G[a] += wk * D; qdot[d] += wk * A;
      if (feat) feat[fb + k] = v;
      e += wk * v;
    }
    if (this.has112) {
      const O6 = this.O6, S6 = this.S6;
      for (let k = kFrom[T112]!, ke = kFrom[T222]!; k < ke; k++) {
        const wk = w[wb + k]!, o = 6 * k;
        const po = 6 * aux[o]!, c = aux[o + 1]!;
        let v = 0;
        for (let q = 0; q < 6; q++) { const m = M[c + q]!, x = O6[po + q]!; v += m * x; G[c + q] += wk * x; S6[po + q] += wk * m; }
        if (feat) feat[fb + k] = v;
        e += wk * v;
      }
    }
    if (this.has222) {
      const PP6 = this.PP6;
      for (let k = kFrom[T222]!, ke = kFrom[T123]!; k < ke; k++) {
        const wk = w[wb + k]!, o = 6 * k;
        const ab = 6 * aux[o]!, bc = 6 * aux[o + 1]!, ac = 6 * aux[o + 2]!;
        const a = aux[o + 3]!, b = aux[o + 4]!, c = aux[o + 5]!;
        let v = 0;
        for (let q = 0; q < 6; q++) {
          v += PP6[ab + q]! * M[c + q]!;
          G[a + q] += wk * PP6[bc + q]!; G[b + q] += wk * PP6[ac + q]!; G[c + q] += wk * PP6[ab + q]!;
        }
        if (feat) feat[fb + k] = v;
        e += wk * v;
      }
    }
    if (this.has123) {
      const V3 = this.V3, U6 = this.U6, Y3 = this.Y3;
      for (let k = kFrom[T123]!, ke = kFrom[T233]!; k < ke; k++) {
        const wk = w[wb + k]!, o = 6 * k;
        const x = aux[o]!, b = aux[o + 1]!, vb = 3 * aux[o + 2]!, ub = 6 * aux[o + 3]!;
        const x0 = M[x]!, x1 = M[x + 1]!, x2 = M[x + 2]!;
        const v0 = V3[vb]!, v1 = V3[vb + 1]!, v2 = V3[vb + 2]!;
        const v = x0 * v0 + x1 * v1 + x2 * v2;
        G[x] += wk * v0; G[x + 1] += wk * v1; G[x + 2] += wk * v2;
        G[b] += wk * U6[ub]!; G[b + 1] += wk * U6[ub + 1]!; G[b + 2] += wk * U6[ub + 2]!;
        G[b + 3] += wk * U6[ub + 3]!; G[b + 4] += wk * U6[ub + 4]!; G[b + 5] += wk * U6[ub + 5]!;
        Y3[vb] += wk * x0; Y3[vb + 1] += wk * x1; Y3[vb + 2] += wk * x2;
        if (feat) feat[fb + k] = v;
        e += wk * v;
      }
    }
    if (this.has233) {
      const ST6 = this.ST6, MW6 = this.MW6;
      for (let k = kFrom[T233]!, ke = kFrom[T233 + 1]!; k < ke; k++) {
        const wk = w[wb + k]!, o = 6 * k;
        const a = aux[o]!, po = 6 * aux[o + 1]!;
        let v = 0;
        for (let q = 0; q < 6; q++) { const m = M[a + q]!, x = ST6[po + q]!; v += m * x; G[a + q] += wk * x; MW6[po + q] += wk * m; }
        if (feat) feat[fb + k] = v;
        e += wk * v;
      }
    }
    for (let d = 0; d < nd; d++) {
      const g = qdot[d]!;
      if (g === 0) continue;
      const a = dotA[d]!, b = dotB[d]!, nc = dotN[d]!;
      for (let q = 0; q < nc; q++) { G[a + q] += g * MM[b + q]!; G[b + q] += g * MM[a + q]!; }
    }
    if (this.K4 > 0 && gradient) this.pairAdjoints();
    return e;
  }

  /** Full-storage 4-body moments and the per-pair intermediates (folded), accumulators zeroed. */
  private pairTables(): void {
    const { msym, mom, K4, k4full, k4sym, pI, pJ } = this;
    const np4 = pI.length;
    const nf = this.nFull;
    for (let L = 0; L < K4; L++) {
      const fo = k4full[L]!, so = k4sym[L]!;
      for (let q = 0; q < nf; q++) mom[fo + q] = msym[so + FULL_TO_SYM[q]!]!;
    }
    if (this.has112) {
      const O6 = this.O6;
      for (let t = 0; t < np4; t++) {
        const x = k4sym[pI[t]!]! + 1, y = k4sym[pJ[t]!]! + 1, o = 6 * t;
        const x0 = msym[x]!, x1 = msym[x + 1]!, x2 = msym[x + 2]!, y0 = msym[y]!, y1 = msym[y + 1]!, y2 = msym[y + 2]!;
        O6[o] = x0 * y0; O6[o + 1] = x0 * y1 + x1 * y0; O6[o + 2] = x0 * y2 + x2 * y0;
        O6[o + 3] = x1 * y1; O6[o + 4] = x1 * y2 + x2 * y1; O6[o + 5] = x2 * y2;
      }
      this.S6.fill(0);
    }
    if (this.has222) {
      const PP6 = this.PP6;
      for (let t = 0; t < np4; t++) {
        const A = k4full[pI[t]!]! + 4, B = k4full[pJ[t]!]! + 4, o = 6 * t;
        for (let c = 0; c < 6; c++) {
          const p = SYM2_P[c]!, q = SYM2_Q[c]!;
          let s = mom[A + 3 * p]! * mom[B + q]! + mom[A + 3 * p + 1]! * mom[B + 3 + q]! + mom[A + 3 * p + 2]! * mom[B + 6 + q]!;
          if (p !== q) s += mom[A + 3 * q]! * mom[B + p]! + mom[A + 3 * q + 1]! * mom[B + 3 + p]! + mom[A + 3 * q + 2]! * mom[B + 6 + p]!;
          PP6[o + c] = s;
        }
      }
    }
    if (this.has123 || this.has233) {
      const t36 = this.t36, tm36 = this.tm36;
      for (let L = 0; L < K4; L++) {
        const so = k4sym[L]! + 10, o = 18 * L;
        for (let q = 0; q < 18; q++) { const v = msym[so + IDX3[q]!]!; t36[o + q] = v; tm36[o + q] = SYM_MULT[4 + (q % 6)]! * v; }
      }
    }
    if (this.has123) {
      // V_bc[p] = sum_(q<=r) mult M_b[qr] T_c[p,qr];  U6_ac[qr] = mult(qr) sum_p x_p T_c[p,qr]
      const V3 = this.V3, U6 = this.U6, MM = this.mm, t36 = this.t36, tm36 = this.tm36;
      for (let c = 0; c < K4; c++) {
        const T = 18 * c;
        for (let b = 0; b < K4; b++) {
          const Mb = k4sym[b]! + 4, o = 3 * (b * K4 + c);
          for (let p = 0; p < 3; p++) {
            let s = 0;
            for (let q = 0; q < 6; q++) s += MM[Mb + q]! * t36[T + 6 * p + q]!;
            V3[o + p] = s;
          }
        }
        for (let a = 0; a < K4; a++) {
          const x = k4sym[a]! + 1, o = 6 * (a * K4 + c);
          const x0 = msym[x]!, x1 = msym[x + 1]!, x2 = msym[x + 2]!;
          for (let q = 0; q < 6; q++) U6[o + q] = x0 * tm36[T + q]! + x1 * tm36[T + 6 + q]! + x2 * tm36[T + 12 + q]!;
        }
      }
      this.Y3.fill(0);
    }
    if (this.has233) {
      // ST_bc[pq] = sum_(r<=s) mult S_b[p,rs] T_c[q,rs], folded: diagonal ST_pp, off-diagonal ST_pq + ST_qp
      const ST6 = this.ST6, t36 = this.t36, tm36 = this.tm36;
      for (let t = 0; t < np4; t++) {
        const Sb = 18 * pI[t]!, Tc = 18 * pJ[t]!, o = 6 * t;
        let s00 = 0, s01 = 0, s02 = 0, s10 = 0, s11 = 0, s12 = 0, s20 = 0, s21 = 0, s22 = 0;
        for (let rs = 0; rs < 6; rs++) {
          const a0 = tm36[Sb + rs]!, a1 = tm36[Sb + 6 + rs]!, a2 = tm36[Sb + 12 + rs]!;
          const b0 = t36[Tc + rs]!, b1 = t36[Tc + 6 + rs]!, b2 = t36[Tc + 12 + rs]!;
          s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2;
          s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2;
          s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2;
        }
        ST6[o] = s00; ST6[o + 1] = s01 + s10; ST6[o + 2] = s02 + s20; ST6[o + 3] = s11; ST6[o + 4] = s12 + s21; ST6[o + 5] = s22;
      }
      this.MW6.fill(0);
    }
  }

  /** Adjoints of the per-pair accumulators back onto G. */
  private pairAdjoints(): void {
    const { gsym: G, K4, k4sym, pI, pJ } = this;
    const np4 = pI.length;
    if (this.has112) {
      // sum_c w x^T M_c y = x^T S y: de/dx = S y, de/dy = S x (S symmetric, stored as 6 values)
      const S6 = this.S6;
      for (let t = 0; t < np4; t++) {
        const x = k4sym[pI[t]!]! + 1, y = k4sym[pJ[t]!]! + 1, o = 6 * t;
        const s00 = S6[o]!, s01 = S6[o + 1]!, s02 = S6[o + 2]!, s11 = S6[o + 3]!, s12 = S6[o + 4]!, s22 = S6[o + 5]!;
        const x0 = this.msym[x]!, x1 = this.msym[x + 1]!, x2 = this.msym[x + 2]!, y0 = this.msym[y]!, y1 = this.msym[y + 1]!, y2 = this.msym[y + 2]!;
        G[x] += s00 * y0 + s01 * y1 + s02 * y2; G[x + 1] += s01 * y0 + s11 * y1 + s12 * y2; G[x + 2] += s02 * y0 + s12 * y1 + s22 * y2;
        G[y] += s00 * x0 + s01 * x1 + s02 * x2; G[y + 1] += s01 * x0 + s11 * x1 + s12 * x2; G[y + 2] += s02 * x0 + s12 * x1 + s22 * x2;
      }
    }
    if (!this.has123 && !this.has233) return;
    // rank-3 gradients accumulated densely as 3 x 6 matrices X_L[p, (q<=r)] (full-storage entry
    // (p,q,r), times the count mult(q,r) of its (q,r) orderings), folded onto G once per channel
    const X = this.x36, tm36 = this.tm36;
    X.fill(0);
    if (this.has123) {
      // de/dT_c[pqr] = sum_b y_bc[p] M_b[qr]
      const Y3 = this.Y3, MM = this.mm;
      for (let b = 0; b < K4; b++) {
        const Mb = k4sym[b]! + 4;
        const m0 = MM[Mb]!, m1 = MM[Mb + 1]!, m2 = MM[Mb + 2]!, m3 = MM[Mb + 3]!, m4 = MM[Mb + 4]!, m5 = MM[Mb + 5]!;
        for (let c = 0; c < K4; c++) {
          const yo = 3 * (b * K4 + c), xo = 18 * c;
          for (let p = 0; p < 3; p++) {
            const y = Y3[yo + p]!, o = xo + 6 * p;
            X[o] += y * m0; X[o + 1] += y * m1; X[o + 2] += y * m2; X[o + 3] += y * m3; X[o + 4] += y * m4; X[o + 5] += y * m5;
          }
        }
      }
    }
    if (this.has233) {
      // de/dS_b[p,rs] = sum_q Mw[pq] T_c[q,rs];  de/dT_c[q,rs] = sum_p Mw[pq] S_b[p,rs]
      const MW6 = this.MW6;
      for (let t = 0; t < np4; t++) {
        const Sb = 18 * pI[t]!, Tc = 18 * pJ[t]!, o = 6 * t;
        const w00 = MW6[o]!, w01 = MW6[o + 1]!, w02 = MW6[o + 2]!, w11 = MW6[o + 3]!, w12 = MW6[o + 4]!, w22 = MW6[o + 5]!;
        for (let rs = 0; rs < 6; rs++) {
          const t0 = tm36[Tc + rs]!, t1 = tm36[Tc + 6 + rs]!, t2 = tm36[Tc + 12 + rs]!;
          const s0 = tm36[Sb + rs]!, s1 = tm36[Sb + 6 + rs]!, s2 = tm36[Sb + 12 + rs]!;
          X[Sb + rs] += w00 * t0 + w01 * t1 + w02 * t2;
          X[Sb + 6 + rs] += w01 * t0 + w11 * t1 + w12 * t2;
          X[Sb + 12 + rs] += w02 * t0 + w12 * t1 + w22 * t2;
          X[Tc + rs] += w00 * s0 + w01 * s1 + w02 * s2;
          X[Tc + 6 + rs] += w01 * s0 + w11 * s1 + w12 * s2;
          X[Tc + 12 + rs] += w02 * s0 + w12 * s1 + w22 * s2;
        }
      }
    }
    for (let L = 0; L < K4; L++) {
      const g = k4sym[L]! + 10, xo = 18 * L;
      for (let k = 0; k < 18; k++) G[g + IDX3[k]!] += X[xo + k]!;
    }
  }
}
