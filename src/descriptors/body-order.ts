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
 * | symbol          | variable                                         |
 * |-----------------|--------------------------------------------------|
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
import type { Descriptor, DescriptorDerivatives } from './descriptor.js';
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
