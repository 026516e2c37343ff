/**
 * Atomic cluster expansion (ACE) basis in spherical harmonics (Drautz 2019; the linear ACE of
 * ACEpotentials.jl / PACE), with analytic pair derivatives and a contracted gradient.
 *
 * Atomic base (per atom i, neighbour element z, radial index n, real harmonic (l, m)), with
 * u_ij = d_ij / r_ij, R_n the Chebyshev radial basis of `radial.ts` and Y_lm of `spherical.ts`:
 *
 *   A[z,n,lm] = sum_{j: Z_j = z} R_n(r_ij) Y_lm(u_ij)
 *
 * A slot t = (z_t, n_t, l_t). Invariants of correlation order nu (body order nu + 1), slots sorted
 * (t_1 <= t_2 <= ...), so every product of like factors appears once:
 *
 *   nu = 1  B = A[z,n,00]                                                       (2-body, l = 0)
 *   nu = 2  B = sum_m A[t1, l m] A[t2, l m]                           l1 = l2   (3-body: power spectrum)
 *   nu = 3  B = sum_{m1 m2 m3} G(l1 m1, l2 m2, l3 m3) A[t1] A[t2] A[t3]         (4-body: bispectrum)
 *   nu = 4  B = sum_{m1..m4, M} G(l1 m1, l2 m2, L M) G(l3 m3, l4 m4, L M) A[t1] A[t2] A[t3] A[t4]
 *                                                                              (5-body, each L allowed)
 *
 * G are real Gaunt coefficients (nonzero only for l1 + l2 + l3 even and the triangle rule), so every
 * feature is invariant under rotations and inversion. Basis selection: for body order b = nu + 1,
 * n_t < nMax[b-2], l_t <= lMax[b-3] (nu >= 2), and, when `degree` is given, the ACE total degree
 *
 *   sum_t (n_t + 1 + lWeight l_t) <= degree[b-2].
 *
 * and, when `lIntMax` is given, nu = 4 terms only for intermediate L <= lIntMax. The (l1 l2)_L
 * couplings with large L carry the most Gaunt entries (e.g. 97 for (4 4)_4 against 41 for (2 3)_3),
 * so this bound is the cheapest way to make a 5-body basis fast (mlearn Si: lIntMax 4 halves the MD
 * cost of the basis at a small loss of accuracy, see examples/mlearn/Si-fast.yaml).
 *
 * Derivatives (adjoint method): per atom, the slot adjoints P_t[m] = dB/dA[t, l_t m] are formed
 * (for nu = 2 the other slot's A itself); then for a neighbour j of element z_j, with
 * dA[z_j,n,lm]/dd_ij = R'_n(r) Y_lm u + R_n(r) dY_lm/dd,
 *
 *   dB/dd_ij = sum_{t: z_t = z_j} [ R'_{n_t} (P_t . Y_l) u + R_{n_t} (P_t . dY_l) ]
 *
 * For nu = 2 the per-neighbour sums S[c, l] = A[c, l .] . Y_l(u_ij) and T[c, l] = A[c, l .] . dY_l are
 * formed once per neighbour for every channel c, making each power-spectrum feature O(1) per pair.
 *
 * Contracted gradient (`computeGradient`): GA[z,n,lm] = sum_k w_k dB_k/dA[z,n,lm] is accumulated over
 * the features once per atom; then per neighbour g_ij = sum_{n,lm} GA[z_j,n,lm] dA[z_j,n,lm]/dd_ij,
 * O(neighbours x radial x harmonics), independent of the number of features. It walks unordered pairs
 * (see `gradientPass`): Y_lm(-u) = (-1)^l Y_lm(u), so one evaluation of R_n Y_lm per pair serves both
 * atoms, and the pair's derivative sum_{n,lm} (GA_i[z_j] + (-1)^l GA_j[z_i]) dA/dd goes on one direction.
 *
 * | symbol          | variable                                                    |
 * |-----------------|-------------------------------------------------------------|
 * | A[z,n,lm]       | A[(z * nR + n) * nLM + lm]                                  |
 * | GA[z,n,lm]      | GA[same index]                                              |
 * | R_n, R'_n       | sR[q * nR + n], sdR[q * nR + n] (neighbour q of the short list) |
 * | Y_lm, dY_lm/dd  | sY[q * nLM + lm], sdY[3 (q * nLM + lm) + a]                 |
 * | slot t of term k| tc[4k + t] channel z * nR + n, tl[4k + t] = l                |
 * | P_t             | adj[aoff[4k + t] + m + l]                                   |
 * | nu of term k    | tnu[k]; coupling table index tcp[k]                         |
 */
import { ParameterError } from '../core/errors.js';
import { gemm } from '../core/linalg.js';
import { symbolOf } from '../core/elements.js';
import { ownsPair, type NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { COSINE_CUTOFF, parseCutoffFunction, type CutoffFunction } from './cutoff.js';
import { checkGradientArgs, type Descriptor, type DescriptorDerivatives, type DescriptorGradientOutput, type DescriptorWeights } from './descriptor.js';
import { ChebyshevRadialBasis, LINEAR_TRANSFORM, parseRadialTransform, type RadialTransform } from './radial.js';
import { checkBuffer, checkInput, normalizeSpecies, speciesTable } from './species.js';
import { RealSphericalHarmonics, gaunt, gauntAllowed, shCount, type GauntTable } from './spherical.js';

export interface AceOptions {
  /** Atomic numbers of the neighbour channels (and of every atom accepted). */
  species: readonly number[];
  /** Å. */
  cutoff: number;
  /** Inner end of the radial scaling (Å, default 0). */
  rMin?: number;
  /** Default cosine. */
  cutoffFunction?: CutoffFunction;
  /** Distance transform of the radial basis (default linear; see radial.ts). */
  radialTransform?: RadialTransform;
  /** Highest body order, 2..5 (default 4). */
  maxBodyOrder?: number;
  /** Radial functions per body order 2, 3, ... (one entry per body order up to maxBodyOrder). */
  nMax: readonly number[];
  /** Highest l per body order 3, 4, ... (one entry per body order from 3 up to maxBodyOrder). */
  lMax?: readonly number[];
  /** Total-degree bound per body order 2, 3, ... (optional; see the module comment). */
  degree?: readonly number[];
  /** Weight of l in the total degree (default 1). */
  lWeight?: number;
  /**
   * Highest intermediate L through which the body-order-5 terms couple (l1 l2)_L (l3 l4)_L (default:
   * no bound, L up to min(l1 + l2, l3 + l4)). A bound drops the terms with large L, whose Gaunt
   * couplings are the most expensive part of the evaluation.
   */
  lIntMax?: number;
}

const WHO = 'ace';
const Y00 = 1 / Math.sqrt(4 * Math.PI);

/** A 4-slot coupling: (l1 l2 -> L) and (l3 l4 -> L), contracted over M. */
interface PairCoupling {
  L: number;
  g12: GauntTable;
  g34: GauntTable;
}

export class AceDescriptor implements Descriptor {
  readonly name = 'ace';
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly size: number;
  readonly rMin: number;
  readonly cutoffFunction: CutoffFunction;
  readonly radialTransform: RadialTransform;
  readonly maxBodyOrder: number;
  readonly nMax: readonly number[];
  readonly lMax: readonly number[];
  readonly degree: readonly number[] | null;
  readonly lWeight: number;
  readonly lIntMax: number | null;
  readonly radial: ChebyshevRadialBasis;
  /** Number of features of body order 2, 3, ... maxBodyOrder. */
  readonly counts: readonly number[];

  private readonly table: Int32Array;
  private readonly nR: number;
  private readonly L: number;
  private readonly nLM: number;
  /** Harmonics needed per radial index n: (lNeed[n] + 1)^2. */
  private readonly nlmOf: Int32Array;
  private readonly nR2: number;
  private readonly L2: number;
  private readonly sh: RealSphericalHarmonics;
  // terms
  private readonly tnu: Int32Array;
  private readonly tc: Int32Array;
  private readonly tl: Int32Array;
  private readonly tcp: Int32Array;
  private readonly aoff: Int32Array;
  /** Slot-adjoint rows (nu >= 3 slots) grouped by slot type b = (z * nR + n) * (L + 1) + l: first row and first adj entry of block b. */
  private readonly blockRow0: Int32Array;
  private readonly blockAdj0: Int32Array;
  /** Term of each slot-adjoint row. */
  private readonly rowK: Int32Array;
  private sQ = new Int32Array(0);
  private readonly sGR: Float64Array;
  private readonly sGdR: Float64Array;
  // Pair couplings shared by the nu >= 3 terms on the forward / contracted path:
  // C_p[M] = sum G(la ma, lb mb, L M) A[a, ma] A[b, mb]; a nu = 3 term is C_p . A[t3], a nu = 4 term C_p . C_p'
  private readonly pcOff: Int32Array;
  private readonly pcVal: Float64Array;
  /** Slot indices (i1, i2) of each Gaunt entry of the pair couplings, interleaved (one stream for both). */
  private readonly pe12: Int32Array;
  /** Entries of output o of the pair couplings: [pseg[o], pseg[o + 1]). */
  private readonly pseg: Int32Array;
  private readonly pec: Float64Array;
  private readonly pcAdj: Float64Array;
  /** Per term: nu = 3: [pair id, A offset of slot 3]; nu = 4: [pair id, pair id]. */
  private readonly tpc: Int32Array;
  /** contracted-path rows per body order: [k, i1, i2, count] (nu=1: A index; 2: two A bases; 3: C offset, A base; 4: two C offsets) */
  private readonly pt1: Int32Array;
  private readonly pt2: Int32Array;
  private readonly pt3: Int32Array;
  private readonly pt4: Int32Array;
  private readonly adjTotal: number;
  /** Length of A and GA (species x radial x harmonics). */
  private readonly nA: number;
  private readonly maxBlockRows: number;
  private sYT = new Float64Array(0);
  private sOut = new Float64Array(0);
  private readonly g3: { l: readonly [number, number, number]; m1: Int32Array; m2: Int32Array; m3: Int32Array; c: Float64Array }[] = [];
  private readonly g4: PairCoupling[] = [];
  /** U_M, V_M (intermediate couplings of a 5-body term) and their adjoints. */
  private readonly sU: Float64Array;
  private readonly sV: Float64Array;
  // scratch
  private cap = 0;
  private sp = new Int32Array(0);
  private st = new Int32Array(0);
  private su = new Float64Array(0);
  private sR = new Float64Array(0);
  private sdR = new Float64Array(0);
  private sY = new Float64Array(0);
  private sdY = new Float64Array(0);
  private readonly A: Float64Array;
  /** (-1)^l per harmonic index lm (the parity of Y_lm). */
  private readonly parity: Float64Array;
  /** A and GA of every atom (the unordered-pair gradient path), grown on demand. */
  private allA = new Float64Array(0);
  private allGA = new Float64Array(0);
  /** allGA with the parity (-1)^l of each entry applied (the partner's share of a pair). */
  private allGAp = new Float64Array(0);
  /** Owner pairs inside the cutoff of the last gradient pass: pair index, (i, j), (u, r). */
  private vp = new Int32Array(0);
  private vij = new Int32Array(0);
  private vu = new Float64Array(0);
  /** sum_n nlmOf[n]: used (n, lm) entries of one channel z. */
  private readonly nlmSum: number;
  /** R_n, R'_n, Y_lm, dY_lm of one pair. */
  private readonly sR1: Float64Array;
  private readonly sdR1: Float64Array;
  private readonly sY1: Float64Array;
  private readonly sdY1: Float64Array;
  private readonly GA: Float64Array;
  private readonly adj: Float64Array;
  /** Views of adj per slot type b (rows x (2l+1), row-major), made once. */
  private readonly adjBlocks: Float64Array[];
  private readonly S2: Float64Array;
  private readonly T2: Float64Array;

  constructor(o: AceOptions) {
    this.species = normalizeSpecies(o.species, WHO);
    if (!(o.cutoff > 0) || !Number.isFinite(o.cutoff)) throw new ParameterError(`${WHO}: cutoff must be a positive finite number of Å, got ${o.cutoff}`);
    this.cutoff = o.cutoff;
    this.rMin = o.rMin ?? 0;
    this.cutoffFunction = parseCutoffFunction(o.cutoffFunction ?? COSINE_CUTOFF);
    this.radialTransform = parseRadialTransform(o.radialTransform ?? LINEAR_TRANSFORM);
    const mbo = o.maxBodyOrder ?? 4;
    if (!Number.isInteger(mbo) || mbo < 2 || mbo > 5) throw new ParameterError(`${WHO}: maxBodyOrder must be 2, 3, 4 or 5, got ${mbo}`);
    this.maxBodyOrder = mbo;
    const ints = (v: readonly number[] | undefined, len: number, lo: number, hi: number, what: string): number[] => {
      if (!Array.isArray(v) || v.length !== len) throw new ParameterError(`${WHO}: ${what} must be a list of ${len} integers (one per body order), got ${JSON.stringify(v)}`);
      for (const x of v) if (!Number.isInteger(x) || x < lo || x > hi) throw new ParameterError(`${WHO}: ${what} entries must be integers in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
      return [...v];
    };
    this.nMax = ints(o.nMax, mbo - 1, 1, 64, 'nMax (body orders 2..maxBodyOrder)');
    this.lMax = mbo >= 3 ? ints(o.lMax, mbo - 2, 0, 20, 'lMax (body orders 3..maxBodyOrder)') : [];
    if (o.degree !== undefined) {
      if (!Array.isArray(o.degree) || o.degree.length !== mbo - 1 || !o.degree.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
        throw new ParameterError(`${WHO}: degree must be a list of ${mbo - 1} positive numbers (body orders 2..maxBodyOrder), got ${JSON.stringify(o.degree)}`);
      }
      this.degree = [...o.degree];
    } else this.degree = null;
    this.lWeight = o.lWeight ?? 1;
    if (!(this.lWeight >= 0) || !Number.isFinite(this.lWeight)) throw new ParameterError(`${WHO}: lWeight must be a finite number >= 0, got ${o.lWeight}`);
    if (o.lIntMax !== undefined && (!Number.isInteger(o.lIntMax) || o.lIntMax < 0)) throw new ParameterError(`${WHO}: lIntMax must be an integer >= 0, got ${o.lIntMax}`);
    if (o.lIntMax !== undefined && mbo < 5) throw new ParameterError(`${WHO}: lIntMax bounds the body-order-5 couplings; it needs maxBodyOrder 5, got ${mbo}`);
    this.lIntMax = o.lIntMax ?? null;
    this.nR = Math.max(...this.nMax);
    this.L = mbo >= 3 ? Math.max(...this.lMax) : 0;
    this.nLM = shCount(this.L);
    this.nR2 = mbo >= 3 ? this.nMax[1]! : 0;
    this.L2 = mbo >= 3 ? this.lMax[0]! : 0;
    this.radial = new ChebyshevRadialBasis(this.nR, this.cutoff, this.rMin, this.cutoffFunction, this.radialTransform);
    this.sh = new RealSphericalHarmonics(this.L);
    this.table = speciesTable(this.species);
    const ns = this.species.length, nR = this.nR;
    const lNeed = new Int32Array(nR);
    for (let b = 3; b <= mbo; b++) for (let n = 0; n < this.nMax[b - 2]!; n++) lNeed[n] = Math.max(lNeed[n]!, this.lMax[b - 3]!);
    this.nlmOf = Int32Array.from(lNeed, (l) => shCount(l));

    // enumerate the terms
    const tnu: number[] = [], tc: number[] = [], tl: number[] = [], tcp: number[] = [];
    const counts: number[] = [];
    const g3key = new Map<string, number>(), g4key = new Map<string, number>();
    const deg = (slots: readonly [number, number][]): number => slots.reduce((s, [c, l]) => s + (c % nR) + 1 + this.lWeight * l, 0);
    const within = (b: number, slots: readonly [number, number][]): boolean => !this.degree || deg(slots) <= this.degree[b - 2]! + 1e-9;
    const push = (slots: readonly [number, number][], cp: number) => {
      tnu.push(slots.length);
      tcp.push(cp);
      for (let t = 0; t < 4; t++) {
        tc.push(t < slots.length ? slots[t]![0] : -1);
        tl.push(t < slots.length ? slots[t]![1] : 0);
      }
    };
    // slots of body order b: (channel, l), ordered by channel then l
    const slotList = (b: number): [number, number][] => {
      const out: [number, number][] = [];
      const nm = this.nMax[b - 2]!, lm = b >= 3 ? this.lMax[b - 3]! : 0;
      for (let z = 0; z < ns; z++) for (let n = 0; n < nm; n++) for (let l = 0; l <= lm; l++) out.push([z * nR + n, l]);
      return out;
    };
    {
      let c = 0;
      for (const s of slotList(2)) if (s[1] === 0 && within(2, [s])) { push([s], -1); c++; }
      counts.push(c);
    }
    if (mbo >= 3) {
      const S = slotList(3);
      let c = 0;
      for (let a = 0; a < S.length; a++) for (let b = a; b < S.length; b++) {
        if (S[a]![1] !== S[b]![1]) continue;
        if (!within(3, [S[a]!, S[b]!])) continue;
        push([S[a]!, S[b]!], -1);
        c++;
      }
      counts.push(c);
    }
    if (mbo >= 4) {
      const S = slotList(4);
      let c = 0;
      for (let a = 0; a < S.length; a++) for (let b = a; b < S.length; b++) for (let d = b; d < S.length; d++) {
        const l1 = S[a]![1], l2 = S[b]![1], l3 = S[d]![1];
        if (!gauntAllowed(l1, l2, l3) || !within(4, [S[a]!, S[b]!, S[d]!])) continue;
        const key = `${l1},${l2},${l3}`;
        let id = g3key.get(key);
        if (id === undefined) {
          id = this.g3.length;
          this.g3.push(gaunt(l1, l2, l3));
          g3key.set(key, id);
        }
        push([S[a]!, S[b]!, S[d]!], id);
        c++;
      }
      counts.push(c);
    }
    if (mbo >= 5) {
      const S = slotList(5);
      let c = 0;
      for (let a = 0; a < S.length; a++) for (let b = a; b < S.length; b++) for (let d = b; d < S.length; d++) for (let e = d; e < S.length; e++) {
        const l1 = S[a]![1], l2 = S[b]![1], l3 = S[d]![1], l4 = S[e]![1];
        if ((l1 + l2 + l3 + l4) % 2 !== 0 || !within(5, [S[a]!, S[b]!, S[d]!, S[e]!])) continue;
        for (let L = Math.max(Math.abs(l1 - l2), Math.abs(l3 - l4)); L <= Math.min(l1 + l2, l3 + l4, this.lIntMax ?? Infinity); L++) {
          if (!gauntAllowed(l1, l2, L) || !gauntAllowed(l3, l4, L)) continue;
          const key = `${l1},${l2},${l3},${l4},${L}`;
          let id = g4key.get(key);
          if (id === undefined) {
            id = this.g4.length;
            this.g4.push({ L, g12: gaunt(l1, l2, L), g34: gaunt(l3, l4, L) });
            g4key.set(key, id);
          }
          push([S[a]!, S[b]!, S[d]!, S[e]!], id);
          c++;
        }
      }
      counts.push(c);
    }
    this.tnu = Int32Array.from(tnu);
    this.tc = Int32Array.from(tc);
    this.tl = Int32Array.from(tl);
    this.tcp = Int32Array.from(tcp);
    this.size = tnu.length;
    this.counts = counts;
    if (this.size === 0) throw new ParameterError(`${WHO}: the basis is empty (check nMax and degree)`);
    // slot adjoints of the nu >= 3 terms as one matrix per slot type b = (z, n, l): rows = slots of
    // that type (in term order), 2l+1 columns
    const aoff = new Int32Array(4 * this.size);
    const rowK: number[] = [];
    const nb = ns * nR * (this.L + 1);
    this.blockRow0 = new Int32Array(nb + 1);
    this.blockAdj0 = new Int32Array(nb + 1);
    let at = 0;
    for (let b = 0; b < nb; b++) {
      const l = b % (this.L + 1), c = (b - l) / (this.L + 1);
      this.blockRow0[b] = rowK.length;
      this.blockAdj0[b] = at;
      for (let k = 0; k < this.size; k++) {
        if (tnu[k]! < 3) continue;
        for (let t = 0; t < tnu[k]!; t++) {
          if (tl[4 * k + t] !== l || tc[4 * k + t] !== c) continue;
          aoff[4 * k + t] = at;
          at += 2 * l + 1;
          rowK.push(k);
        }
      }
    }
    this.blockRow0[nb] = rowK.length;
    this.blockAdj0[nb] = at;
    this.rowK = Int32Array.from(rowK);
    this.aoff = aoff;
    this.adj = new Float64Array(Math.max(1, at));
    this.adjBlocks = Array.from({ length: nb }, (_, b) => this.adj.subarray(this.blockAdj0[b]!, this.blockAdj0[b + 1]!));
    this.adjTotal = at;
    let maxRows = 0;
    for (let b = 0; b < nb; b++) maxRows = Math.max(maxRows, this.blockRow0[b + 1]! - this.blockRow0[b]!);
    this.maxBlockRows = maxRows;
    {
      const key = new Map<string, number>();
      const pa: number[] = [], pb: number[] = [], pg: GauntTable[] = [], po: number[] = [];
      let off = 0;
      const pair = (ca: number, la: number, cb: number, lb: number, L: number): number => {
        const kk = `${ca},${la},${cb},${lb},${L}`;
        let id = key.get(kk);
        if (id === undefined) {
          id = pa.length;
          key.set(kk, id);
          pa.push(ca * this.nLM + la * la);
          pb.push(cb * this.nLM + lb * lb);
          pg.push(gaunt(la, lb, L));
          po.push(off);
          off += 2 * L + 1;
        }
        return id;
      };
      const tpc = new Int32Array(2 * this.size);
      for (let k = 0; k < this.size; k++) {
        if (tnu[k] !== 4) continue;
        const c = (t: number) => tc[4 * k + t]!, l = (t: number) => tl[4 * k + t]!;
        const L = this.g4[tcp[k]!]!.L;
        tpc[2 * k] = pair(c(0), l(0), c(1), l(1), L);
        tpc[2 * k + 1] = pair(c(2), l(2), c(3), l(3), L);
      }
      // nu = 3: B = sum G A_a A_b A_c is symmetric in its three slots (the real Gaunt coefficient is),
      // so any two slots can form the pair coupling and the third is dotted with it. Pick the pairs
      // greedily: a coupling already built (for the nu = 4 terms or an earlier choice) costs nothing,
      // otherwise the one covering the most remaining terms per Gaunt entry.
      const CHOICES = [[0, 1, 2], [0, 2, 1], [1, 2, 0]] as const;
      const gcost = new Map<string, number>();
      const costOf = (la: number, lb: number, L: number): number => {
        const kk = `${la},${lb},${L}`;
        let v = gcost.get(kk);
        if (v === undefined) gcost.set(kk, (v = gaunt(la, lb, L).c.length));
        return v;
      };
      const keyOf = (k: number, ch: readonly [number, number, number]): string =>
        `${tc[4 * k + ch[0]]},${tl[4 * k + ch[0]]},${tc[4 * k + ch[1]]},${tl[4 * k + ch[1]]},${tl[4 * k + ch[2]]}`;
      const assign = (k: number, ch: readonly [number, number, number]): void => {
        const c = (t: number) => tc[4 * k + ch[t]!]!, l = (t: number) => tl[4 * k + ch[t]!]!;
        tpc[2 * k] = pair(c(0), l(0), c(1), l(1), l(2));
        tpc[2 * k + 1] = c(2) * this.nLM + l(2) * l(2);
      };
      let pending: number[] = [];
      for (let k = 0; k < this.size; k++) if (tnu[k] === 3) pending.push(k);
      while (pending.length > 0) {
        const left: number[] = [];
        for (const k of pending) {
          const ch = CHOICES.find((h) => key.has(keyOf(k, h)));
          if (ch) assign(k, ch);
          else left.push(k);
        }
        if (left.length === 0) break;
        const cover = new Map<string, number>();
        for (const k of left) for (const h of new Set(CHOICES.map((hh) => keyOf(k, hh)))) cover.set(h, (cover.get(h) ?? 0) + 1);
        let best = -1, bestK = -1, bestH: readonly [number, number, number] = CHOICES[0];
        for (const k of left) {
          for (const h of CHOICES) {
            const score = cover.get(keyOf(k, h))! / costOf(tl[4 * k + h[0]]!, tl[4 * k + h[1]]!, tl[4 * k + h[2]]!);
            if (score > best) { best = score; bestK = k; bestH = h; }
          }
        }
        assign(bestK, bestH);
        pending = left;
      }
      this.tpc = tpc;
      po.push(off); // end of the last pair: pcOff[p + 1] - pcOff[p] = 2L + 1
      this.pcOff = Int32Array.from(po);
      const rowsOf: number[][] = [[], [], [], []];
      for (let k = 0; k < this.size; k++) {
        const nu = tnu[k]!, c = (t: number) => tc[4 * k + t]!, l = (t: number) => tl[4 * k + t]!, p1 = tpc[2 * k]!;
        if (nu === 1) rowsOf[0]!.push(k, c(0) * this.nLM, 0, 1);
        else if (nu === 2) rowsOf[1]!.push(k, c(0) * this.nLM + l(0) * l(0), c(1) * this.nLM + l(0) * l(0), 2 * l(0) + 1);
        else if (nu === 3) rowsOf[2]!.push(k, po[p1]!, tpc[2 * k + 1]!, po[p1 + 1]! - po[p1]!);
        else rowsOf[3]!.push(k, po[p1]!, po[tpc[2 * k + 1]!]!, po[p1 + 1]! - po[p1]!);
      }
      [this.pt1, this.pt2, this.pt3, this.pt4] = rowsOf.map((r) => Int32Array.from(r)) as [Int32Array, Int32Array, Int32Array, Int32Array];
      // every Gaunt entry of every pair as flat absolute indices, grouped by output: C[o] = sum over
      // entries e in [pseg[o], pseg[o+1]) of c_e A[e1] A[e2] (no read-modify-write of C)
      const ent: [number, number, number, number][] = [];
      for (let p = 0; p < pg.length; p++) {
        const g = pg[p]!;
        for (let q = 0; q < g.c.length; q++) ent.push([po[p]! + g.m3[q]!, pa[p]! + g.m1[q]!, pb[p]! + g.m2[q]!, g.c[q]!]);
      }
      // c A[a] A[b] + c A[b] A[a] (the mirrored entry of a pair of like slots) is one entry 2c A[a] A[b]
      for (const e of ent) if (e[1] > e[2]) [e[1], e[2]] = [e[2], e[1]];
      ent.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
      let w = 0;
      for (let r = 0; r < ent.length; r++) {
        const e = ent[r]!, last = w > 0 ? ent[w - 1]! : null;
        if (last && last[0] === e[0] && last[1] === e[1] && last[2] === e[2]) last[3] += e[3];
        else ent[w++] = e;
      }
      ent.length = w;
      const ne = ent.length;
      this.pec = new Float64Array(ne);
      this.pe12 = new Int32Array(2 * ne);
      this.pseg = new Int32Array(off + 1);
      for (let e = 0; e < ne; e++) {
        const [o, i1, i2, c] = ent[e]!;
        this.pe12[2 * e] = i1;
        this.pe12[2 * e + 1] = i2;
        this.pec[e] = c;
        this.pseg[o + 1]++;
      }
      for (let o = 0; o < off; o++) this.pseg[o + 1] += this.pseg[o]!;
      this.pcVal = new Float64Array(Math.max(1, off));
      this.pcAdj = new Float64Array(Math.max(1, off));
    }
    this.nlmSum = this.nlmOf.reduce((a, b) => a + b, 0);
    this.parity = new Float64Array(this.nLM);
    for (let l = 0; l <= this.L; l++) this.parity.fill(l % 2 === 0 ? 1 : -1, l * l, (l + 1) * (l + 1));
    this.sR1 = new Float64Array(this.nR);
    this.sdR1 = new Float64Array(this.nR);
    this.sY1 = new Float64Array(this.nLM);
    this.sdY1 = new Float64Array(3 * this.nLM);
    this.sGR = new Float64Array(this.nLM);
    this.sGdR = new Float64Array(this.nLM);
    this.sU = new Float64Array(4 * this.L + 1);
    this.sV = new Float64Array(4 * this.L + 1);
    this.nA = ns * nR * this.nLM;
    this.A = new Float64Array(this.nA);
    this.GA = new Float64Array(this.nA);
    this.S2 = new Float64Array(Math.max(1, ns * nR * (this.L2 + 1)));
    this.T2 = new Float64Array(Math.max(1, 3 * ns * nR * (this.L2 + 1)));
  }

  /** Body order (2..5) of feature k. */
  bodyOrder(k: number): number {
    return this.tnu[k]! + 1;
  }

  /** Intermediate coupling L of a body-order-5 feature k (null for lower body orders). */
  couplingL(k: number): number | null {
    return this.tnu[k] === 4 ? this.g4[this.tcp[k]!]!.L : null;
  }

  /** Radial indices n of the slots of feature k. */
  radialIndices(k: number): number[] {
    const out: number[] = [];
    for (let t = 0; t < this.tnu[k]!; t++) out.push(this.tc[4 * k + t]! % this.nR);
    return out;
  }

  /** Human-readable label of feature k, e.g. "nu3 [Si n0 l2, Si n1 l2, Si n0 l0]". */
  featureLabel(k: number): string {
    const s: string[] = [];
    for (let t = 0; t < this.tnu[k]!; t++) {
      const c = this.tc[4 * k + t]!;
      s.push(`${symbolOf(this.species[Math.floor(c / this.nR)]!)} n${c % this.nR} l${this.tl[4 * k + t]}`);
    }
    return `nu${this.tnu[k]} [${s.join(', ')}]`;
  }

  toJSON(): { type: string; version: number; [k: string]: unknown } {
    return {
      type: 'ace',
      version: 1,
      species: [...this.species],
      cutoff: this.cutoff,
      rMin: this.rMin,
      cutoffFunction: { ...this.cutoffFunction },
      maxBodyOrder: this.maxBodyOrder,
      nMax: [...this.nMax],
      lMax: [...this.lMax],
      ...(this.degree ? { degree: [...this.degree] } : {}),
      lWeight: this.lWeight,
      ...(this.lIntMax !== null ? { lIntMax: this.lIntMax } : {}),
      ...(this.radialTransform.kind !== 'linear' ? { radialTransform: { ...this.radialTransform } } : {}),
    };
  }

  static fromJSON(json: { [k: string]: unknown }): AceDescriptor {
    if (json['type'] !== 'ace') throw new ParameterError(`ace.fromJSON: type is ${JSON.stringify(json['type'])}, expected "ace"`);
    if (json['version'] !== 1) throw new ParameterError(`ace.fromJSON: unsupported version ${JSON.stringify(json['version'])} (this build reads version 1)`);
    return new AceDescriptor({
      species: json['species'] as number[],
      cutoff: json['cutoff'] as number,
      rMin: json['rMin'] as number,
      cutoffFunction: parseCutoffFunction(json['cutoffFunction']),
      maxBodyOrder: json['maxBodyOrder'] as number,
      nMax: json['nMax'] as number[],
      lMax: json['lMax'] as number[],
      ...(json['degree'] !== undefined ? { degree: json['degree'] as number[] } : {}),
      lWeight: json['lWeight'] as number,
      ...(json['lIntMax'] !== undefined ? { lIntMax: json['lIntMax'] as number } : {}),
      ...(json['radialTransform'] !== undefined ? { radialTransform: parseRadialTransform(json['radialTransform']) } : {}),
    });
  }

  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkBuffer(WHO, 'features', out, s.numbers.length * this.size);
    this.pass(s, nl, out, null);
  }

  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    const n = s.numbers.length;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkBuffer(WHO, 'features', out.features, n * this.size);
    const np = nl.offsets[n]!;
    checkBuffer(WHO, 'derivatives', out.derivatives, np * 3 * this.size);
    this.pass(s, nl, out.features, out.derivatives);
  }

  computeGradient(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void {
    const n = s.numbers.length;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    checkGradientArgs(WHO, n, nl.offsets[n]!, this.size, w, out);
    this.gradientPass(s, nl, out.features ?? null, w, out.pairGradients, out.energies ?? null);
  }

  /**
   * Features (into feat[fb..] when given) and, with `adjoint`, GA = sum_k w_k dB_k/dA, through the
   * shared pair couplings: C_p = sum G A_a A_b once per pair p, then each nu = 3 term is C_p . A[t3]
   * and each nu = 4 term C_p . C_p'; the adjoints of the C_p are pushed back to A once per pair.
   * Returns sum_k w_k B_k (0 without weights).
   */
  private pooledTerms(feat: Float64Array | null, fb: number, weights: Float64Array | null, wb: number, adjoint: boolean): number {
    const A = this.A, GA = this.GA, size = this.size, nLM = this.nLM;
    const tnu = this.tnu, tc = this.tc, tl = this.tl, tpc = this.tpc;
    const pcOff = this.pcOff, C = this.pcVal, dC = this.pcAdj;
    this.couplingsForward();
    if (adjoint) dC.fill(0);
    let e = 0;
    for (let k = 0; k < size; k++) {
      const nu = tnu[k]!;
      const wk = weights ? weights[wb + k]! : 0;
      let f = 0;
      if (nu === 1) {
        const a = tc[4 * k]! * nLM;
        f = A[a]!;
        if (adjoint) GA[a] += wk;
      } else if (nu === 2) {
        const l = tl[4 * k]!, base = l * l, cnt = 2 * l + 1;
        const a1 = tc[4 * k]! * nLM + base, a2 = tc[4 * k + 1]! * nLM + base;
        for (let q = 0; q < cnt; q++) f += A[a1 + q]! * A[a2 + q]!;
        if (adjoint && wk !== 0) for (let q = 0; q < cnt; q++) { GA[a1 + q] += wk * A[a2 + q]!; GA[a2 + q] += wk * A[a1 + q]!; }
      } else if (nu === 3) {
        const p = tpc[2 * k]!, o = pcOff[p]!, a3 = tpc[2 * k + 1]!, cnt = pcOff[p + 1]! - o;
        for (let q = 0; q < cnt; q++) f += C[o + q]! * A[a3 + q]!;
        if (adjoint && wk !== 0) for (let q = 0; q < cnt; q++) { dC[o + q] += wk * A[a3 + q]!; GA[a3 + q] += wk * C[o + q]!; }
      } else {
        const p1 = tpc[2 * k]!, o1 = pcOff[p1]!, o2 = pcOff[tpc[2 * k + 1]!]!, cnt = pcOff[p1 + 1]! - o1;
        for (let q = 0; q < cnt; q++) f += C[o1 + q]! * C[o2 + q]!;
        if (adjoint && wk !== 0) for (let q = 0; q < cnt; q++) { dC[o1 + q] += wk * C[o2 + q]!; dC[o2 + q] += wk * C[o1 + q]!; }
      }
      if (feat) feat[fb + k] = f;
      e += wk * f;
    }
    if (adjoint) this.couplingsBackward();
    return e;
  }

  /**
   * The contracted path without features: GA = sum_k w_k dB_k/dA and the energy sum_k w_k B_k from
   * the adjoints alone (Euler: B of degree 2 in A or C gives sum w B = 1/2 A . GA_2, 1/2 C . dC_4; the
   * nu = 3 terms are linear in C, sum w B = C . dC_3), so each term costs its adjoint update only.
   */
  private pooledAdjoint(weights: Float64Array, wb: number): number {
    const A = this.A, GA = this.GA, C = this.pcVal, dC = this.pcAdj, nout = this.pseg.length - 1, nA = this.nA;
    this.couplingsForward();
    const t1 = this.pt1, t2 = this.pt2, t3 = this.pt3, t4 = this.pt4;
    for (let r = 0; r < t2.length; r += 4) {
      const wk = weights[wb + t2[r]!]!, a1 = t2[r + 1]!, a2 = t2[r + 2]!, cnt = t2[r + 3]!;
      for (let q = 0; q < cnt; q++) { GA[a1 + q] += wk * A[a2 + q]!; GA[a2 + q] += wk * A[a1 + q]!; }
    }
    let e2s = 0;
    for (let a = 0; a < nA; a++) e2s += A[a]! * GA[a]!;
    let e = 0.5 * e2s;
    for (let r = 0; r < t1.length; r += 4) {
      const wk = weights[wb + t1[r]!]!, a = t1[r + 1]!;
      e += wk * A[a]!;
      GA[a] += wk;
    }
    dC.fill(0);
    for (let r = 0; r < t3.length; r += 4) {
      const wk = weights[wb + t3[r]!]!, o = t3[r + 1]!, a3 = t3[r + 2]!, cnt = t3[r + 3]!;
      for (let q = 0; q < cnt; q++) { dC[o + q] += wk * A[a3 + q]!; GA[a3 + q] += wk * C[o + q]!; }
    }
    let e3 = 0;
    for (let o = 0; o < nout; o++) e3 += C[o]! * dC[o]!;
    for (let r = 0; r < t4.length; r += 4) {
      const wk = weights[wb + t4[r]!]!, o1 = t4[r + 1]!, o2 = t4[r + 2]!, cnt = t4[r + 3]!;
      for (let q = 0; q < cnt; q++) { dC[o1 + q] += wk * C[o2 + q]!; dC[o2 + q] += wk * C[o1 + q]!; }
    }
    let e34 = 0;
    for (let o = 0; o < nout; o++) e34 += C[o]! * dC[o]!;
    e += 0.5 * (e3 + e34); // e3 + (e34 - e3) / 2
    this.couplingsBackward();
    return e;
  }

  /** C[o] = sum of c_e A[e1] A[e2] over the Gaunt entries e of output o (every pair coupling). */
  private couplingsForward(): void {
    const A = this.A, C = this.pcVal, e12 = this.pe12, ec = this.pec, seg = this.pseg, nout = seg.length - 1;
    for (let o = 0, q = 0; o < nout; o++) {
      let acc = 0;
      for (const end = seg[o + 1]!; q < end; q++) acc += ec[q]! * A[e12[2 * q]!]! * A[e12[2 * q + 1]!]!;
      C[o] = acc;
    }
  }

  /** GA += dC pushed back through the pair couplings (the adjoint of `couplingsForward`). */
  private couplingsBackward(): void {
    const A = this.A, GA = this.GA, dC = this.pcAdj, e12 = this.pe12, ec = this.pec, seg = this.pseg, nout = seg.length - 1;
    for (let o = 0; o < nout; o++) {
      const d = dC[o]!;
      if (d === 0) continue;
      for (let q = seg[o]!, end = seg[o + 1]!; q < end; q++) {
        const c = ec[q]! * d, i1 = e12[2 * q]!, i2 = e12[2 * q + 1]!;
        GA[i1] += c * A[i2]!;
        GA[i2] += c * A[i1]!;
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
    this.sR = new Float64Array(c * this.nR);
    this.sdR = new Float64Array(c * this.nR);
    this.sY = new Float64Array(c * this.nLM);
    this.sdY = new Float64Array(3 * c * this.nLM);
    this.sYT = new Float64Array(3 * c * (2 * this.L + 1));
    this.sOut = new Float64Array(3 * c * this.maxBlockRows);
    this.sQ = new Int32Array(c);
  }


  /**
   * One pass over the atoms: the features and, with der, the per-pair derivatives (every entry
   * written). The contracted gradient has its own pass over unordered pairs (`gradientPass`).
   */
  private pass(s: Structure, nl: NeighborList, feat: Float64Array, der: Float64Array | null): void {
    const n = s.numbers.length, size = this.size, off = nl.offsets;
    let maxRow = 0;
    for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, off[i + 1]! - off[i]!);
    this.ensureScratch(maxRow);
    for (let i = 0; i < n; i++) {
      const m = this.gather(s, nl, i, der);
      if (der) {
        this.slotTerms(feat, i * size);
        this.pairDerivatives(m, der);
      } else {
        this.pooledTerms(feat, i * size, null, 0, false);
      }
    }
  }

  /**
   * The contracted gradient over unordered pairs. The list is full (every pair listed as i->j and
   * j->i), and for the pair's owner direction p (i < j, or i = j with a positive image) R_n(r) and
   * Y_lm(u) are evaluated once: Y_lm(-u) = (-1)^l Y_lm(u), so the pair adds R Y to A_i[z_j] and
   * (-1)^l R Y to A_j[z_i]. After the per-atom adjoints GA_i, the pair's gradient is contracted once
   * with GA_i[z_j] + (-1)^l GA_j[z_i] and stored at p; the reverse direction gets 0 (the pair's total
   * derivative is all on p, which gives the same forces and virial).
   */
  private gradientPass(s: Structure, nl: NeighborList, feat: Float64Array | null, w: DescriptorWeights, pg: Float64Array, energies: Float64Array | null): void {
    const n = s.numbers.length, size = this.size, nA = this.nA, ns = this.species.length, nR = this.nR, nLM = this.nLM, L = this.L;
    const x = s.positions, off = nl.offsets, nb = nl.neighbors, sh = nl.shifts, img = nl.images, numbers = s.numbers, table = this.table;
    const rc2 = this.cutoff * this.cutoff, nlmOf = this.nlmOf, par = this.parity;
    // per-atom A and GA stored compactly: channel (z, n) keeps its nlmOf[n] used entries only
    const nZ = this.nlmSum, cA = this.species.length * nZ;
    if (this.allA.length < n * cA) {
      this.allA = new Float64Array(n * cA);
      this.allGA = new Float64Array(n * cA);
      this.allGAp = new Float64Array(n * cA);
    }
    const allA = this.allA, allGA = this.allGA, allGAp = this.allGAp, A = this.A, GA = this.GA;
    const sR = this.sR1, sdR = this.sdR1, sY = this.sY1, sdY = this.sdY1, GR = this.sGR, GdR = this.sGdR;
    const radial = this.radial, harm = this.sh;
    allA.fill(0, 0, n * cA);
    // the owner pairs inside the cutoff, recorded for the gradient pass: pair index, atoms, u, r
    const np = off[n]!;
    if (this.vp.length < np) {
      this.vp = new Int32Array(np);
      this.vij = new Int32Array(2 * np);
      this.vu = new Float64Array(4 * np);
    }
    const vp = this.vp, vij = this.vij, vu = this.vu;
    let nv = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!, zI = table[numbers[i]!]!;
      for (let p = off[i]!; p < off[i + 1]!; p++) {
        const j = nb[p]!;
        if (!ownsPair(i, j, img, p)) continue;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2 || r2 === 0) continue;
        const r = Math.sqrt(r2), ux = dx / r, uy = dy / r, uz = dz / r;
        vp[nv] = p;
        vij[2 * nv] = i;
        vij[2 * nv + 1] = j;
        vu[4 * nv] = ux; vu[4 * nv + 1] = uy; vu[4 * nv + 2] = uz; vu[4 * nv + 3] = r;
        nv++;
        radial.evaluate(r, sR, sdR, 0);
        harm.values(ux, uy, uz, L, sY, 0);
        let ai = i * cA + table[numbers[j]!]! * nZ, aj = j * cA + zI * nZ;
        for (let nn = 0; nn < nR; nn++) {
          const Rv = sR[nn]!, cnt = nlmOf[nn]!;
          for (let lm = 0; lm < cnt; lm++) {
            const v = Rv * sY[lm]!;
            allA[ai + lm] += v;
            allA[aj + lm] += par[lm]! * v;
          }
          ai += cnt;
          aj += cnt;
        }
      }
    }
    const weights = w.weights, rows = w.rows ?? null;
    for (let i = 0; i < n; i++) {
      for (let z = 0, c = i * cA, a0 = 0; z < ns; z++) {
        for (let nn = 0; nn < nR; nn++, a0 += nLM) {
          const cnt = nlmOf[nn]!;
          for (let lm = 0; lm < cnt; lm++) A[a0 + lm] = allA[c + lm]!;
          c += cnt;
        }
      }
      const wb = (rows ? rows[i]! : i) * size;
      GA.fill(0, 0, nA);
      const e = feat ? this.pooledTerms(feat, i * size, weights, wb, true) : this.pooledAdjoint(weights, wb);
      if (energies) energies[i] = e;
      for (let z = 0, c = i * cA, a0 = 0; z < ns; z++) {
        for (let nn = 0; nn < nR; nn++, a0 += nLM) {
          const cnt = nlmOf[nn]!;
          for (let lm = 0; lm < cnt; lm++) {
            const g = GA[a0 + lm]!;
            allGA[c + lm] = g;
            allGAp[c + lm] = par[lm]! * g;
          }
          c += cnt;
        }
      }
    }
    pg.fill(0, 0, 3 * np);
    for (let v = 0; v < nv; v++) {
      const i = vij[2 * v]!, j = vij[2 * v + 1]!, pp = 3 * vp[v]!;
      const ux = vu[4 * v]!, uy = vu[4 * v + 1]!, uz = vu[4 * v + 2]!, r = vu[4 * v + 3]!;
      radial.evaluate(r, sR, sdR, 0);
      harm.evaluate(ux, uy, uz, r, L, sY, 0, sdY);
      GR.fill(0);
      GdR.fill(0);
      let gi = i * cA + table[numbers[j]!]! * nZ, gj = j * cA + table[numbers[i]!]! * nZ;
      for (let nn = 0; nn < nR; nn++) {
        const cnt = nlmOf[nn]!, Rv = sR[nn]!, dRv = sdR[nn]!;
        for (let lm = 0; lm < cnt; lm++) {
          const g = allGA[gi + lm]! + allGAp[gj + lm]!;
          GR[lm] += Rv * g;
          GdR[lm] += dRv * g;
        }
        gi += cnt;
        gj += cnt;
      }
      let sa = 0, bx = 0, by = 0, bz = 0;
      for (let lm = 0; lm < nLM; lm++) {
        sa += GdR[lm]! * sY[lm]!;
        const g = GR[lm]!, d = 3 * lm;
        bx += g * sdY[d]!; by += g * sdY[d + 1]!; bz += g * sdY[d + 2]!;
      }
      pg[pp] = sa * ux + bx;
      pg[pp + 1] = sa * uy + by;
      pg[pp + 2] = sa * uz + bz;
    }
  }

  /**
   * A of atom i and the short list of its neighbours inside the cutoff (R_n, Y_lm and, with der, the
   * harmonic gradients into the scratch); pairs beyond the cutoff get zero der entries.
   * Returns the short-list length.
   */
  private gather(s: Structure, nl: NeighborList, i: number, der: Float64Array | null): number {
    const x = s.positions, off = nl.offsets, nb = nl.neighbors, sh = nl.shifts, numbers = s.numbers, table = this.table;
    const rc2 = this.cutoff * this.cutoff, size = this.size;
    const nR = this.nR, nLM = this.nLM, L = this.L, nlmOf = this.nlmOf, A = this.A;
    const sp = this.sp, st = this.st, su = this.su, sR = this.sR, sdR = this.sdR, sY = this.sY, sdY = this.sdY;
    const radial = this.radial, harm = this.sh;
    const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
    A.fill(0, 0, this.nA);
    let m = 0;
    for (let p = off[i]!; p < off[i + 1]!; p++) {
      const j = nb[p]!;
      const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 >= rc2 || r2 === 0) {
        if (der) der.fill(0, 3 * p * size, 3 * (p + 1) * size); // beyond the cutoff (skin): zero derivative
        continue;
      }
      const r = Math.sqrt(r2);
      const ux = dx / r, uy = dy / r, uz = dz / r;
      const z = table[numbers[j]!]!;
      sp[m] = p;
      st[m] = z;
      su[3 * m] = ux; su[3 * m + 1] = uy; su[3 * m + 2] = uz;
      const rb = m * nR, yb = m * nLM;
      radial.evaluate(r, sR, sdR, rb);
      harm.evaluate(ux, uy, uz, r, L, sY, yb, der ? sdY : null);
      let ab = z * nR * nLM;
      for (let nn = 0; nn < nR; nn++, ab += nLM) {
        const Rv = sR[rb + nn]!, cnt = nlmOf[nn]!;
        for (let lm = 0; lm < cnt; lm++) A[ab + lm] += Rv * sY[yb + lm]!;
      }
      m++;
    }
    return m;
  }

  /** Features (into feat[fb..]) and the slot adjoints P_t = dB_k/dA[t] of every term (per-feature derivative path). */
  private slotTerms(feat: Float64Array | null, fb: number): void {
    const A = this.A, adj = this.adj, size = this.size, nLM = this.nLM;
    const tnu = this.tnu, tc = this.tc, tl = this.tl, tcp = this.tcp, aoff = this.aoff, g3 = this.g3, g4 = this.g4;
    adj.fill(0, 0, this.adjTotal);
    for (let k = 0; k < size; k++) {
      const nu = tnu[k]!;
      let f: number;
      if (nu === 1) {
        f = A[tc[4 * k]! * nLM]!;
      } else if (nu === 2) {
        const l = tl[4 * k]!, base = l * l, cnt = 2 * l + 1;
        const a1 = tc[4 * k]! * nLM + base, a2 = tc[4 * k + 1]! * nLM + base;
        f = 0;
        for (let q = 0; q < cnt; q++) f += A[a1 + q]! * A[a2 + q]!;
      } else if (nu === 3) {
        const l1 = tl[4 * k]!, l2 = tl[4 * k + 1]!, l3 = tl[4 * k + 2]!;
        const a1 = tc[4 * k]! * nLM + l1 * l1, a2 = tc[4 * k + 1]! * nLM + l2 * l2, a3 = tc[4 * k + 2]! * nLM + l3 * l3;
        const g = g3[tcp[k]!]!, gm1 = g.m1, gm2 = g.m2, gm3 = g.m3, gc = g.c, ne = gc.length;
        const o1 = aoff[4 * k]!, o2 = aoff[4 * k + 1]!, o3 = aoff[4 * k + 2]!;
        f = 0;
        for (let q = 0; q < ne; q++) {
          const c = gc[q]!, i1 = gm1[q]!, i2 = gm2[q]!, i3 = gm3[q]!;
          const v1 = A[a1 + i1]!, v2 = A[a2 + i2]!, v3 = A[a3 + i3]!;
          f += c * v1 * v2 * v3;
          adj[o1 + i1] += c * v2 * v3;
          adj[o2 + i2] += c * v1 * v3;
          adj[o3 + i3] += c * v1 * v2;
        }
      } else {
        const l1 = tl[4 * k]!, l2 = tl[4 * k + 1]!, l3 = tl[4 * k + 2]!, l4 = tl[4 * k + 3]!;
        const a1 = tc[4 * k]! * nLM + l1 * l1, a2 = tc[4 * k + 1]! * nLM + l2 * l2, a3 = tc[4 * k + 2]! * nLM + l3 * l3, a4 = tc[4 * k + 3]! * nLM + l4 * l4;
        const g = g4[tcp[k]!]!, nM = 2 * g.L + 1, U = this.sU, V = this.sV;
        const p1 = g.g12.m1, p2 = g.g12.m2, pM = g.g12.m3, pc = g.g12.c, ne12 = pc.length;
        const q3 = g.g34.m1, q4 = g.g34.m2, qM = g.g34.m3, qc = g.g34.c, ne34 = qc.length;
        // U_M = sum G(l1 m1, l2 m2, L M) A1 A2, V_M = sum G(l3 m3, l4 m4, L M) A3 A4, B = U . V
        U.fill(0, 0, nM);
        V.fill(0, 0, nM);
        for (let q = 0; q < ne12; q++) U[pM[q]!] += pc[q]! * A[a1 + p1[q]!]! * A[a2 + p2[q]!]!;
        for (let q = 0; q < ne34; q++) V[qM[q]!] += qc[q]! * A[a3 + q3[q]!]! * A[a4 + q4[q]!]!;
        f = 0;
        for (let M = 0; M < nM; M++) f += U[M]! * V[M]!;
        // adjoints: dB/dU = V, dB/dV = U
        const o1 = aoff[4 * k]!, o2 = aoff[4 * k + 1]!, o3 = aoff[4 * k + 2]!, o4 = aoff[4 * k + 3]!;
        for (let q = 0; q < ne12; q++) {
          const c = pc[q]! * V[pM[q]!]!, i1 = p1[q]!, i2 = p2[q]!;
          adj[o1 + i1] += c * A[a2 + i2]!;
          adj[o2 + i2] += c * A[a1 + i1]!;
        }
        for (let q = 0; q < ne34; q++) {
          const c = qc[q]! * U[qM[q]!]!, i3 = q3[q]!, i4 = q4[q]!;
          adj[o3 + i3] += c * A[a4 + i4]!;
          adj[o4 + i4] += c * A[a3 + i3]!;
        }
      }
      if (feat) feat[fb + k] = f;
    }
  }

  /** Per-feature pair derivatives dB_k/dd_q of the m short-list neighbours (after `slotTerms`). */
  private pairDerivatives(m: number, der: Float64Array): void {
    const size = this.size, nR = this.nR, nLM = this.nLM, L = this.L, ns = this.species.length;
    const A = this.A, tnu = this.tnu, tc = this.tc, tl = this.tl;
    const sp = this.sp, st = this.st, su = this.su, sR = this.sR, sdR = this.sdR, sY = this.sY, sdY = this.sdY;
    const L2 = this.L2, nR2 = this.nR2, S2 = this.S2, T2 = this.T2;
    const nl2 = L2 + 1;
    for (let q = 0; q < m; q++) {
      const rb = q * nR, yb = q * nLM, zq = st[q]!;
      const ux = su[3 * q]!, uy = su[3 * q + 1]!, uz = su[3 * q + 2]!;
      // S[c, l] = A[c, l .] . Y_l(u_q), T[c, l] = A[c, l .] . dY_l(u_q), for the power-spectrum channels
      if (nR2 > 0) {
        for (let z = 0; z < ns; z++) {
          for (let nn = 0; nn < nR2; nn++) {
            const c = z * nR + nn, ab = c * nLM;
            for (let l = 0; l <= L2; l++) {
              let sy = 0, gx = 0, gy = 0, gz = 0;
              for (let lm = l * l; lm < (l + 1) * (l + 1); lm++) {
                const a = A[ab + lm]!;
                sy += a * sY[yb + lm]!;
                const d = 3 * (yb + lm);
                gx += a * sdY[d]!; gy += a * sdY[d + 1]!; gz += a * sdY[d + 2]!;
              }
              const si = c * nl2 + l;
              S2[si] = sy;
              T2[3 * si] = gx; T2[3 * si + 1] = gy; T2[3 * si + 2] = gz;
            }
          }
        }
      }
      const d0 = sp[q]! * 3 * size, d1 = d0 + size, d2 = d1 + size;
      for (let k = 0; k < size; k++) {
        const nu = tnu[k]!;
        let ax = 0, ay = 0, az = 0;
        if (nu === 1) {
          const c = tc[4 * k]!;
          const v = ((c / nR) | 0) === zq ? sdR[rb + (c % nR)]! * Y00 : 0;
          ax = v * ux; ay = v * uy; az = v * uz;
        } else if (nu === 2) {
          const c1 = tc[4 * k]!, c2 = tc[4 * k + 1]!, l = tl[4 * k]!;
          let s = 0;
          if (((c1 / nR) | 0) === zq) {
            const n1 = c1 % nR, si = c2 * nl2 + l, Rv = sR[rb + n1]!;
            s += sdR[rb + n1]! * S2[si]!;
            ax += Rv * T2[3 * si]!; ay += Rv * T2[3 * si + 1]!; az += Rv * T2[3 * si + 2]!;
          }
          if (((c2 / nR) | 0) === zq) {
            const n2 = c2 % nR, si = c1 * nl2 + l, Rv = sR[rb + n2]!;
            s += sdR[rb + n2]! * S2[si]!;
            ax += Rv * T2[3 * si]!; ay += Rv * T2[3 * si + 1]!; az += Rv * T2[3 * si + 2]!;
          }
          ax += s * ux; ay += s * uy; az += s * uz;
        }
        der[d0 + k] = ax;
        der[d1 + k] = ay;
        der[d2 + k] = az;
      }
    }
    // nu >= 3, per slot type b = (z, n, l): Out (3m_z x rows) = dphi (3m_z x (2l+1)) times the slot
    // adjoints^T, where dphi[(q, a), m] = d(R_n Y_lm)/dd_q,a = R'_n Y_lm u_a + R_n dY_lm,a for the
    // neighbours q of element z; then dB_k/dd_q,a += Out[(q, a), r] for the term k of each row r
    const YT = this.sYT, Out = this.sOut, rowK = this.rowK, qz = this.sQ, Lp = L + 1;
    for (let z = 0; z < ns; z++) {
      let mz = 0;
      for (let q = 0; q < m; q++) if (st[q] === z) qz[mz++] = q;
      if (mz === 0) continue;
      for (let nn = 0; nn < nR; nn++) {
        for (let l = 0; l <= L; l++) {
          const b = (z * nR + nn) * Lp + l;
          const r0 = this.blockRow0[b]!, cnt = this.blockRow0[b + 1]! - r0;
          if (cnt === 0) continue;
          const w2 = 2 * l + 1, y0 = l * l;
          for (let e = 0; e < mz; e++) {
            const q = qz[e]!, yb = q * nLM + y0, o = 3 * e * w2;
            const dRv = sdR[q * nR + nn]!, Rv = sR[q * nR + nn]!;
            const ux = su[3 * q]! * dRv, uy = su[3 * q + 1]! * dRv, uz = su[3 * q + 2]! * dRv;
            for (let mm = 0; mm < w2; mm++) {
              const Y = sY[yb + mm]!, d = 3 * (yb + mm);
              YT[o + mm] = ux * Y + Rv * sdY[d]!;
              YT[o + w2 + mm] = uy * Y + Rv * sdY[d + 1]!;
              YT[o + 2 * w2 + mm] = uz * Y + Rv * sdY[d + 2]!;
            }
          }
          gemm(false, true, 3 * mz, cnt, w2, 1, YT, w2, this.adjBlocks[b]!, w2, 0, Out, cnt);
          for (let e = 0; e < mz; e++) {
            const d0 = sp[qz[e]!]! * 3 * size, d1 = d0 + size, d2 = d1 + size;
            const o0 = 3 * e * cnt, o1 = o0 + cnt, o2 = o1 + cnt;
            for (let r = 0; r < cnt; r++) {
              const k = rowK[r0 + r]!;
              der[d0 + k] += Out[o0 + r]!;
              der[d1 + k] += Out[o1 + r]!;
              der[d2 + k] += Out[o2 + r]!;
            }
          }
        }
      }
    }
  }
}

