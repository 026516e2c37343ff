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
 * needs) and expanded to full storage for the contractions.
 *
 * | symbol          | variable                                         |
 * |-----------------|--------------------------------------------------|
 * | M[z,n,c] (sym)  | plan.msym[(z * N + n) * 20 + c]                  |
 * | G[z,n,c]        | plan.gsym[(z * N + n) * 20 + c]                  |
 * | A_c, B_c        | plan.accA[c], plan.accB[c]                       |
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
import { ChebyshevRadialBasis } from './radial.js';
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
    this.radial = new ChebyshevRadialBasis(this.nRad, this.cutoff, this.rMin, this.cutoffFunction);
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
    });
  }

  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    this.run(s, nl, out, null);
  }

  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    this.run(s, nl, out.features, out.derivatives);
  }

  // ---------------------------------------------------------------------------------------------
  // Contracted gradient (Descriptor.computeGradient): see the "Contracted gradient" section above.

  computeGradient(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void {
    const n = s.numbers.length;
    const size = this.size;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    const np = nl.offsets[n]!;
    checkGradientArgs(WHO, n, np, size, w, out);
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
    const sp = plan.sp, st = plan.st, su = plan.su, sr = plan.sr, sR = plan.sR, sdR = plan.sdR, smono = plan.smono;
    const msym = plan.msym, gsym = plan.gsym, ncs = plan.ncs, A = plan.accA, B = plan.accB;
    const radial = this.radial;
    const nsym = this.species.length * N * SC;
    const weights = w.weights, rows = w.rows ?? null;
    const pg = out.pairGradients, energies = out.energies ?? null, features = out.features ?? null;
    const topRank = this.maxRank;

    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      const p0 = off[i]!, p1 = off[i + 1]!;
      pg.fill(0, 3 * p0, 3 * p1);
      msym.fill(0, 0, nsym);
      // forward: symmetric moments M_l[z,n] = sum_j R_n(r) mono_q(u)
      let m = 0;
      for (let p = p0; p < p1; p++) {
        const j = nb[p]!;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2 || r2 === 0) continue;
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
        const mo = m * SC;
        smono[mo] = 1;
        if (topRank >= 1) {
          smono[mo + 1] = ux; smono[mo + 2] = uy; smono[mo + 3] = uz;
          if (topRank >= 2) {
            const xx = ux * ux, xy = ux * uy, xz = ux * uz, yy = uy * uy, yz = uy * uz, zz = uz * uz;
            smono[mo + 4] = xx; smono[mo + 5] = xy; smono[mo + 6] = xz; smono[mo + 7] = yy; smono[mo + 8] = yz; smono[mo + 9] = zz;
            if (topRank >= 3) {
              smono[mo + 10] = xx * ux; smono[mo + 11] = xx * uy; smono[mo + 12] = xx * uz; smono[mo + 13] = xy * uy; smono[mo + 14] = xy * uz;
              smono[mo + 15] = xz * uz; smono[mo + 16] = yy * uy; smono[mo + 17] = yy * uz; smono[mo + 18] = yz * uz; smono[mo + 19] = zz * uz;
            }
          }
        }
        let mb = z * N * SC;
        for (let nn = 0; nn < N; nn++, mb += SC) {
          const Rv = sR[rb + nn]!;
          const nc = ncs[nn]!;
          for (let q = 0; q < nc; q++) msym[mb + q] += Rv * smono[mo + q]!;
        }
        m++;
      }
      // features, energy and dE/dM (folded into symmetric storage: gsym)
      const wb = (rows ? rows[i]! : i) * size;
      const e = plan.terms(weights, wb, features, i * size);
      if (energies) energies[i] = e;
      // backward: one pass over the neighbours, O(channels x components) each
      for (let q = 0; q < m; q++) {
        const z = st[q]!;
        const rb = q * N;
        A.fill(0);
        B.fill(0);
        let gb = z * N * SC;
        for (let nn = 0; nn < N; nn++, gb += SC) {
          const dRv = sdR[rb + nn]!, Rv = sR[rb + nn]!;
          const nc = ncs[nn]!;
          for (let c = 0; c < nc; c++) {
            const g = gsym[gb + c]!;
            A[c] += dRv * g;
            B[c] += Rv * g;
          }
        }
        const mo = q * SC;
        const ux = su[3 * q]!, uy = su[3 * q + 1]!, uz = su[3 * q + 2]!;
        // s1 = sum_c A_c mono_c ; lB = sum_c l_c B_c mono_c ; wv = sum_c B_c grad(mono_c)
        let s1 = A[0]!, lB = 0, wx = 0, wy = 0, wz = 0;
        if (topRank >= 1) {
          const b1 = B[1]!, b2 = B[2]!, b3 = B[3]!;
          s1 += A[1]! * ux + A[2]! * uy + A[3]! * uz;
          lB += b1 * ux + b2 * uy + b3 * uz;
          wx += b1; wy += b2; wz += b3;
          if (topRank >= 2) {
            const b4 = B[4]!, b5 = B[5]!, b6 = B[6]!, b7 = B[7]!, b8 = B[8]!, b9 = B[9]!;
            for (let c = 4; c < 10; c++) s1 += A[c]! * smono[mo + c]!;
            lB += 2 * (b4 * smono[mo + 4]! + b5 * smono[mo + 5]! + b6 * smono[mo + 6]! + b7 * smono[mo + 7]! + b8 * smono[mo + 8]! + b9 * smono[mo + 9]!);
            wx += 2 * ux * b4 + uy * b5 + uz * b6;
            wy += ux * b5 + 2 * uy * b7 + uz * b8;
            wz += ux * b6 + uy * b8 + 2 * uz * b9;
            if (topRank >= 3) {
              let t3 = 0;
              for (let c = 10; c < 20; c++) { s1 += A[c]! * smono[mo + c]!; t3 += B[c]! * smono[mo + c]!; }
              lB += 3 * t3;
              const xx = smono[mo + 4]!, xy = smono[mo + 5]!, xz = smono[mo + 6]!, yy = smono[mo + 7]!, yz = smono[mo + 8]!, zz = smono[mo + 9]!;
              const c10 = B[10]!, c11 = B[11]!, c12 = B[12]!, c13 = B[13]!, c14 = B[14]!, c15 = B[15]!, c16 = B[16]!, c17 = B[17]!, c18 = B[18]!, c19 = B[19]!;
              wx += 3 * xx * c10 + 2 * xy * c11 + 2 * xz * c12 + yy * c13 + yz * c14 + zz * c15;
              wy += xx * c11 + 2 * xy * c13 + xz * c14 + 3 * yy * c16 + 2 * yz * c17 + zz * c18;
              wz += xx * c12 + xy * c14 + 2 * xz * c15 + yy * c17 + 2 * yz * c18 + 3 * zz * c19;
            }
          }
        }
        const ir = 1 / sr[q]!;
        const a = s1 - lB * ir;
        const p = 3 * sp[q]!;
        pg[p] = a * ux + wx * ir;
        pg[p + 1] = a * uy + wy * ir;
        pg[p + 2] = a * uz + wz * ir;
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
 * Energy E_i = sum_k w_k B_k(M) and dE/dM from intermediates shared between features:
 *   dots       D_d = M_l[a] . M_l[b]                           (3-body features and 4-body (0,l,l))
 *   (1,1,2)    O_ab = M_1[a] M_1[b]^T;  v = M_2[c] : O_ab;  S_ab = sum_c w M_2[c]
 *   (2,2,2)    PP_ab = M_2[a] M_2[b];   v = PP_ab : M_2[c]
 *   (1,2,3)    V_bc = M_2[b] : M_3[c] (vector), U_ac = M_1[a] . M_3[c] (matrix); y_bc = sum_a w M_1[a]
 *   (2,3,3)    ST_bc = M_3[b] : M_3[c] (matrix);  Mw_bc = sum_a w M_2[a]
 * Gradients are taken with respect to every full-storage entry as if independent, then folded
 * (summed) onto the symmetric components (which is exactly d/dM_sym, no symmetrisation needed).
 */
class ContractedPlan {
  readonly ncs: Int32Array;
  private readonly nfull: Int32Array;
  private readonly size: number;
  private readonly ns: number;
  private readonly N: number;
  private readonly kind: Int32Array;
  private readonly aux: Int32Array;
  private readonly dotL: Int32Array;
  private readonly dotA: Int32Array;
  private readonly dotB: Int32Array;
  private readonly K4: number;
  /** Full-storage offset (channel * MC) of 4-body local channel L. */
  private readonly k4off: Int32Array;
  /** Pair list i <= j of the 4-body local channels. */
  private readonly pI: Int32Array;
  private readonly pJ: Int32Array;
  private readonly has112: boolean;
  private readonly has222: boolean;
  private readonly has123: boolean;
  private readonly has233: boolean;
  // per-atom buffers
  readonly msym: Float64Array;
  readonly gsym: Float64Array;
  private readonly mom: Float64Array;
  private readonly gmom: Float64Array;
  private readonly dot: Float64Array;
  private readonly qdot: Float64Array;
  private readonly O: Float64Array;
  private readonly S: Float64Array;
  private readonly PP: Float64Array;
  private readonly V: Float64Array;
  private readonly U: Float64Array;
  private readonly Y: Float64Array;
  private readonly ST: Float64Array;
  private readonly MW: Float64Array;
  readonly accA = new Float64Array(SC);
  readonly accB = new Float64Array(SC);
  // short-list scratch
  private cap = 0;
  sp = new Int32Array(0);
  st = new Int32Array(0);
  su = new Float64Array(0);
  sr = new Float64Array(0);
  sR = new Float64Array(0);
  sdR = new Float64Array(0);
  smono = new Float64Array(0);

  constructor(d: PlanInput) {
    const { terms, size, ns, nRad: N } = d;
    this.size = size;
    this.ns = ns;
    this.N = N;
    const rankOf = (n: number): number => Math.max(d.maxBodyOrder >= 3 && n < d.nMax3 ? d.lMax3 : 0, d.maxBodyOrder >= 4 && n < d.nMax4 ? d.lMax4 : 0);
    this.ncs = Int32Array.from({ length: N }, (_, n) => [1, 4, 10, 20][rankOf(n)]!);
    this.nfull = Int32Array.from({ length: N }, (_, n) => [1, 4, 13, 40][rankOf(n)]!);
    const K4 = d.maxBodyOrder >= 4 ? ns * d.nMax4 : 0;
    this.K4 = K4;
    const local = (c: number): number => Math.floor(c / N) * d.nMax4 + (c % N);
    this.k4off = Int32Array.from({ length: K4 }, (_, L) => (Math.floor(L / d.nMax4) * N + (L % d.nMax4)) * MC);
    const pairIdx = new Int32Array(K4 * K4);
    const pI: number[] = [], pJ: number[] = [];
    for (let i = 0; i < K4; i++) for (let j = i; j < K4; j++) { pairIdx[i * K4 + j] = pairIdx[j * K4 + i] = pI.length; pI.push(i); pJ.push(j); }
    this.pI = Int32Array.from(pI);
    this.pJ = Int32Array.from(pJ);
    const np4 = pI.length;
    const dots = new Map<string, number>();
    const dL: number[] = [], dA: number[] = [], dB: number[] = [];
    const dotOf = (l: number, a: number, b: number): number => {
      const lo = Math.min(a, b), hi = Math.max(a, b);
      const key = `${l},${lo},${hi}`;
      let id = dots.get(key);
      if (id === undefined) { id = dL.length; dots.set(key, id); dL.push(l); dA.push(lo * MC + OFF[l]!); dB.push(hi * MC + OFF[l]!); }
      return id;
    };
    this.kind = new Int32Array(size);
    this.aux = new Int32Array(size * 6);
    const aux = this.aux;
    for (let k = 0; k < size; k++) {
      const kind = terms[4 * k]!;
      const a = terms[4 * k + 1]!, b = terms[4 * k + 2]!, c = terms[4 * k + 3]!;
      this.kind[k] = kind;
      const o = 6 * k;
      switch (kind) {
        case B1: aux[o] = a * MC; break;
        case P0: case P1: case P2: case P3: aux[o] = dotOf(kind - P0, a, b); break;
        case T000: aux[o] = a * MC; aux[o + 1] = b * MC; aux[o + 2] = c * MC; break;
        case T011: case T022: case T033: aux[o] = a * MC; aux[o + 1] = dotOf(kind - T000, b, c); break;
        case T112: aux[o] = pairIdx[local(a) * K4 + local(b)]!; aux[o + 1] = c * MC; break;
        case T222: {
          const la = local(a), lb = local(b), lc = local(c);
          aux[o] = pairIdx[la * K4 + lb]!; aux[o + 1] = pairIdx[lb * K4 + lc]!; aux[o + 2] = pairIdx[la * K4 + lc]!;
          aux[o + 3] = a * MC; aux[o + 4] = b * MC; aux[o + 5] = c * MC;
          break;
        }
        case T123: {
          const la = local(a), lb = local(b), lc = local(c);
          aux[o] = a * MC; aux[o + 1] = b * MC; aux[o + 2] = lb * K4 + lc; aux[o + 3] = la * K4 + lc;
          break;
        }
        case T233: aux[o] = a * MC; aux[o + 1] = pairIdx[local(b) * K4 + local(c)]!; break;
      }
    }
    this.dotL = Int32Array.from(dL);
    this.dotA = Int32Array.from(dA);
    this.dotB = Int32Array.from(dB);
    const has = (kd: number): boolean => this.kind.includes(kd);
    this.has112 = has(T112);
    this.has222 = has(T222);
    this.has123 = has(T123);
    this.has233 = has(T233);
    this.msym = new Float64Array(ns * N * SC);
    this.gsym = new Float64Array(ns * N * SC);
    this.mom = new Float64Array(ns * N * MC);
    this.gmom = new Float64Array(ns * N * MC);
    this.dot = new Float64Array(dL.length);
    this.qdot = new Float64Array(dL.length);
    this.O = new Float64Array(this.has112 ? np4 * 9 : 0);
    this.S = new Float64Array(this.has112 ? np4 * 9 : 0);
    this.PP = new Float64Array(this.has222 ? np4 * 9 : 0);
    this.V = new Float64Array(this.has123 ? K4 * K4 * 3 : 0);
    this.U = new Float64Array(this.has123 ? K4 * K4 * 9 : 0);
    this.Y = new Float64Array(this.has123 ? K4 * K4 * 3 : 0);
    this.ST = new Float64Array(this.has233 ? np4 * 9 : 0);
    this.MW = new Float64Array(this.has233 ? np4 * 9 : 0);
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
    this.smono = new Float64Array(c * SC);
  }

  /**
   * From the symmetric moments `msym` of one atom: e = w . B (returned), B into `feat` at `fb` when
   * given, and dE/dM_sym into `gsym`. Weights are w[wb + k].
   */
  terms(w: Float64Array, wb: number, feat: Float64Array | null, fb: number): number {
    const { size, kind, aux, mom, gmom, msym, gsym, dot, qdot, N, ns, ncs, nfull } = this;
    const nch = ns * N;
    // expand symmetric -> full storage; zero the full gradient
    for (let c = 0; c < nch; c++) {
      const nf = nfull[c % N]!;
      const fo = c * MC, so = c * SC;
      for (let q = 0; q < nf; q++) { mom[fo + q] = msym[so + FULL_TO_SYM[q]!]!; gmom[fo + q] = 0; }
    }
    const dotL = this.dotL, dotA = this.dotA, dotB = this.dotB, nd = dotL.length;
    for (let d = 0; d < nd; d++) {
      const a = dotA[d]!, b = dotB[d]!, nc = NCOMP[dotL[d]!]!;
      let v = 0;
      for (let q = 0; q < nc; q++) v += mom[a + q]! * mom[b + q]!;
      dot[d] = v;
      qdot[d] = 0;
    }
    this.pairTables();
    let e = 0;
    const O = this.O, S = this.S, PP = this.PP, V = this.V, U = this.U, Y = this.Y, ST = this.ST, MW = this.MW;
    for (let k = 0; k < size; k++) {
      const wk = w[wb + k]!;
      const o = 6 * k;
      let v = 0;
      switch (kind[k]!) {
        case B1: { const a = aux[o]!; v = mom[a]!; gmom[a] += wk; break; }
        case P0: case P1: case P2: case P3: { const d = aux[o]!; v = dot[d]!; qdot[d] += wk; break; }
        case T000: {
          const a = aux[o]!, b = aux[o + 1]!, c = aux[o + 2]!;
          const A = mom[a]!, Bv = mom[b]!, C = mom[c]!;
          v = A * Bv * C;
          gmom[a] += wk * Bv * C; gmom[b] += wk * A * C; gmom[c] += wk * A * Bv;
          break;
        }
        case T011: case T022: case T033: {
          const a = aux[o]!, d = aux[o + 1]!;
          const A = mom[a]!, D = dot[d]!;
          v = A * D;
          gmom[a] += wk * D; qdot[d] += wk * A;
          break;
        }
        case T112: {
          const po = 9 * aux[o]!, c = aux[o + 1]! + 4;
          for (let q = 0; q < 9; q++) { const M = mom[c + q]!; v += M * O[po + q]!; gmom[c + q] += wk * O[po + q]!; S[po + q] += wk * M; }
          break;
        }
        case T222: {
          const ab = 9 * aux[o]!, bc = 9 * aux[o + 1]!, ac = 9 * aux[o + 2]!;
          const a = aux[o + 3]! + 4, b = aux[o + 4]! + 4, c = aux[o + 5]! + 4;
          for (let q = 0; q < 9; q++) {
            v += PP[ab + q]! * mom[c + q]!;
            gmom[a + q] += wk * PP[bc + q]!; gmom[b + q] += wk * PP[ac + q]!; gmom[c + q] += wk * PP[ab + q]!;
          }
          break;
        }
        case T123: {
          const x = aux[o]! + 1, b = aux[o + 1]! + 4, vb = 3 * aux[o + 2]!, ub = 9 * aux[o + 3]!;
          const x0 = mom[x]!, x1 = mom[x + 1]!, x2 = mom[x + 2]!;
          const v0 = V[vb]!, v1 = V[vb + 1]!, v2 = V[vb + 2]!;
          v = x0 * v0 + x1 * v1 + x2 * v2;
          gmom[x] += wk * v0; gmom[x + 1] += wk * v1; gmom[x + 2] += wk * v2;
          for (let q = 0; q < 9; q++) gmom[b + q] += wk * U[ub + q]!;
          Y[vb] += wk * x0; Y[vb + 1] += wk * x1; Y[vb + 2] += wk * x2;
          break;
        }
        case T233: {
          const a = aux[o]! + 4, po = 9 * aux[o + 1]!;
          for (let q = 0; q < 9; q++) { const M = mom[a + q]!; v += M * ST[po + q]!; gmom[a + q] += wk * ST[po + q]!; MW[po + q] += wk * M; }
          break;
        }
      }
      if (feat) feat[fb + k] = v;
      e += wk * v;
    }
    this.pairAdjoints();
    for (let d = 0; d < nd; d++) {
      const a = dotA[d]!, b = dotB[d]!, nc = NCOMP[dotL[d]!]!, g = qdot[d]!;
      if (g === 0) continue;
      for (let q = 0; q < nc; q++) { gmom[a + q] += g * mom[b + q]!; gmom[b + q] += g * mom[a + q]!; }
    }
    // fold full -> symmetric
    for (let c = 0; c < nch; c++) {
      const nf = nfull[c % N]!, ncs_ = ncs[c % N]!;
      const fo = c * MC, so = c * SC;
      for (let q = 0; q < ncs_; q++) gsym[so + q] = 0;
      for (let q = 0; q < nf; q++) gsym[so + FULL_TO_SYM[q]!] += gmom[fo + q]!;
    }
    return e;
  }

  /** Per-pair intermediates of the 4-body contractions (and zeroed accumulators). */
  private pairTables(): void {
    const { mom, K4, k4off, pI, pJ } = this;
    const np4 = pI.length;
    if (this.has112) {
      const O = this.O, S = this.S;
      for (let t = 0; t < np4; t++) {
        const x = k4off[pI[t]!]! + 1, y = k4off[pJ[t]!]! + 1, o = 9 * t;
        for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) O[o + 3 * p + q] = mom[x + p]! * mom[y + q]!;
      }
      S.fill(0);
    }
    if (this.has222) {
      const PP = this.PP;
      for (let t = 0; t < np4; t++) {
        const A = k4off[pI[t]!]! + 4, B = k4off[pJ[t]!]! + 4, o = 9 * t;
        for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
          PP[o + 3 * p + q] = mom[A + 3 * p]! * mom[B + q]! + mom[A + 3 * p + 1]! * mom[B + 3 + q]! + mom[A + 3 * p + 2]! * mom[B + 6 + q]!;
        }
      }
    }
    if (this.has123) {
      const V = this.V, U = this.U;
      for (let c = 0; c < K4; c++) {
        const T = k4off[c]! + 13;
        for (let b = 0; b < K4; b++) {
          const M = k4off[b]! + 4, o = 3 * (b * K4 + c);
          for (let p = 0; p < 3; p++) {
            let s = 0;
            for (let qr = 0; qr < 9; qr++) s += mom[M + qr]! * mom[T + 9 * p + qr]!;
            V[o + p] = s;
          }
        }
        for (let a = 0; a < K4; a++) {
          const x = k4off[a]! + 1, o = 9 * (a * K4 + c);
          const x0 = mom[x]!, x1 = mom[x + 1]!, x2 = mom[x + 2]!;
          for (let qr = 0; qr < 9; qr++) U[o + qr] = x0 * mom[T + qr]! + x1 * mom[T + 9 + qr]! + x2 * mom[T + 18 + qr]!;
        }
      }
      this.Y.fill(0);
    }
    if (this.has233) {
      const ST = this.ST;
      for (let t = 0; t < np4; t++) {
        const Sb = k4off[pI[t]!]! + 13, Tb = k4off[pJ[t]!]! + 13, o = 9 * t;
        for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
          let s = 0;
          for (let rs = 0; rs < 9; rs++) s += mom[Sb + 9 * p + rs]! * mom[Tb + 9 * q + rs]!;
          ST[o + 3 * p + q] = s;
        }
      }
      this.MW.fill(0);
    }
  }

  /** Adjoints of the per-pair intermediates back onto the moments. */
  private pairAdjoints(): void {
    const { mom, gmom, K4, k4off, pI, pJ } = this;
    const np4 = pI.length;
    if (this.has112) {
      // v = x^T M y summed with weights: dE/dx = S y, dE/dy = S x (S symmetric)
      const S = this.S;
      for (let t = 0; t < np4; t++) {
        const x = k4off[pI[t]!]! + 1, y = k4off[pJ[t]!]! + 1, o = 9 * t;
        for (let p = 0; p < 3; p++) {
          let sy = 0, sx = 0;
          for (let q = 0; q < 3; q++) { sy += S[o + 3 * p + q]! * mom[y + q]!; sx += S[o + 3 * q + p]! * mom[x + q]!; }
          gmom[x + p] += sy;
          gmom[y + p] += sx;
        }
      }
    }
    if (this.has123) {
      // dE/dT_c[pqr] += y_bc[p] M_b[qr]
      const Y = this.Y;
      for (let b = 0; b < K4; b++) {
        const M = k4off[b]! + 4;
        for (let c = 0; c < K4; c++) {
          const yo = 3 * (b * K4 + c), T = k4off[c]! + 13;
          const y0 = Y[yo]!, y1 = Y[yo + 1]!, y2 = Y[yo + 2]!;
          if (y0 === 0 && y1 === 0 && y2 === 0) continue;
          for (let qr = 0; qr < 9; qr++) {
            const Mq = mom[M + qr]!;
            gmom[T + qr] += y0 * Mq; gmom[T + 9 + qr] += y1 * Mq; gmom[T + 18 + qr] += y2 * Mq;
          }
        }
      }
    }
    if (this.has233) {
      // dE/dS_b[prs] += sum_q Mw[pq] T_c[qrs];  dE/dT_c[qrs] += sum_p Mw[pq] S_b[prs]
      const MW = this.MW;
      for (let t = 0; t < np4; t++) {
        const Sb = k4off[pI[t]!]! + 13, Tb = k4off[pJ[t]!]! + 13, o = 9 * t;
        for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
          const mw = MW[o + 3 * p + q]!;
          if (mw === 0) continue;
          for (let rs = 0; rs < 9; rs++) {
            gmom[Sb + 9 * p + rs] += mw * mom[Tb + 9 * q + rs]!;
            gmom[Tb + 9 * q + rs] += mw * mom[Sb + 9 * p + rs]!;
          }
        }
      }
    }
  }
}
