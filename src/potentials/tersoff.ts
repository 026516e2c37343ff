/**
 * Tersoff, with the semantics of LAMMPS `pair_style tersoff` (analytic form, no shift; parameters
 * per element triplet):
 *
 *   E = sum_{i<j} f_C(r_ij) f_R(r_ij)  +  sum_i sum_{j != i} (1/2) b_ij f_C(r_ij) f_A(r_ij)
 *
 *   f_R(r) = A exp(-lambda1 r)            f_A(r) = -B exp(-lambda2 r)
 *   f_C(r) = 1                                       r < R - D
 *          = 1/2 - 1/2 sin(pi/2 (r - R)/D)            R - D < r < R + D
 *          = 0                                       r > R + D
 *   b_ij   = (1 + (beta zeta_ij)^n)^(-1/(2n))
 *   zeta_ij = sum_{k != i,j} f_C(r_ik) g(theta_ijk) exp[(lambda3 (r_ij - r_ik))^m]
 *   g(theta) = gamma_ijk (1 + c^2/d^2 - c^2 / (d^2 + (cos theta0 - cos theta)^2))
 *
 * Pair quantities (A, lambda1, B, lambda2, R, D, beta, n) come from the entry (i, j, j); the
 * zeta term of atom k (gamma, lambda3, m, c, d, cos theta0 and its R, D) from (i, j, k) — as in
 * LAMMPS. b_ij uses LAMMPS' four asymptotic branches (thresholds c1..c4 from n), and
 * exp[(lambda3 dr)^m] is clamped to 1e30 / 0 beyond |argument| 69.0776, also like LAMMPS.
 *
 * | symbol        | variable (per entry) | unit  |
 * |---------------|----------------------|-------|
 * | m             | m (1 or 3)           | -     |
 * | gamma         | gamma                | -     |
 * | lambda3       | lambda3              | 1/Å   |
 * | c, d          | c, d                 | -     |
 * | cos theta0 (h)| costheta0            | -     |
 * | n, beta       | n, beta              | -     |
 * | lambda2, B    | lambda2, B           | 1/Å, eV |
 * | R, D          | R, D (cutoff R + D)  | Å     |
 * | lambda1, A    | lambda1, A           | 1/Å, eV |
 * | zeta_ij       | zeta                 | -     |
 * | b_ij          | bij                  | -     |
 * | d zeta/d d_ij, d zeta / d d_ik | dzj, sDz[k] | 1/Å |
 *
 * Per-atom energies follow LAMMPS' eatom: the repulsive pair term and each (1/2) b_ij f_C f_A
 * term are split half to i, half to j. Stress is the virial sum d (x) dE/dd over V.
 */
import { ParameterError } from '../core/errors.js';
import { atomicNumber, MAX_Z } from '../core/elements.js';
import { maxNeighborCount } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { SI_TERSOFF } from './data/si-tersoff.js';
import { readLammpsTriplets, uniqueElements } from './lammps-params.js';
import { finishResult, prepare } from './prepare.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';

/** One LAMMPS tersoff entry (element triplet i, j, k). */
export interface TersoffParams {
  m: number;
  gamma: number;
  lambda3: number;
  c: number;
  d: number;
  costheta0: number;
  n: number;
  beta: number;
  lambda2: number;
  B: number;
  R: number;
  D: number;
  lambda1: number;
  A: number;
}

const TERSOFF_KEYS = ['m', 'gamma', 'lambda3', 'c', 'd', 'costheta0', 'n', 'beta', 'lambda2', 'B', 'R', 'D', 'lambda1', 'A'] as const;
const HALF_PI = Math.PI / 2;
const QUARTER_PI = Math.PI / 4;
/** LAMMPS clamps exp(arg) of the zeta term beyond this |arg| (ln 1e30). */
const EXP_ARG_MAX = 69.0776;

export class Tersoff implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false };
  readonly species: readonly number[];
  readonly elements: readonly string[];
  readonly params: readonly Readonly<TersoffParams>[];

  private readonly nt: number;
  private readonly zType: Int32Array;
  // pair tables (entry i j j), index ti * nt + tj
  private readonly pCutsq: Float64Array;
  private readonly pA: Float64Array;
  private readonly pL1: Float64Array;
  private readonly pB: Float64Array;
  private readonly pL2: Float64Array;
  private readonly pBeta: Float64Array;
  private readonly pN: Float64Array;
  private readonly pC1: Float64Array;
  private readonly pC2: Float64Array;
  private readonly pC3: Float64Array;
  private readonly pC4: Float64Array;
  // triplet tables (entry i j k)
  private readonly tCutsq: Float64Array;
  private readonly tR: Float64Array;
  private readonly tD: Float64Array;
  private readonly tGamma: Float64Array;
  private readonly tG0: Float64Array; // 1 + c^2/d^2
  private readonly tC2: Float64Array;
  private readonly tD2: Float64Array;
  private readonly tH: Float64Array;
  private readonly tL3: Float64Array;
  private readonly tM3: Uint8Array; // 1 when m = 3, 0 when m = 1
  // scratch for one atom's short list
  private cap = 0;
  private sj = new Int32Array(0);
  private st = new Int32Array(0);
  private sd = new Float64Array(0);
  private su = new Float64Array(0);
  private sr = new Float64Array(0);
  private sr2 = new Float64Array(0);
  private sFcK = new Float64Array(0); // f_C(r_ik) per (k, type of j) with entry (i j k)
  private sDFcK = new Float64Array(0);
  private sDz = new Float64Array(0);
  private sG = new Float64Array(0);
  private sEn = new Float64Array(0);

  constructor(elements: readonly string[], params: readonly TersoffParams[], label = 'tersoff') {
    const el = uniqueElements(elements);
    const nt = el.length;
    if (params.length !== nt ** 3) throw new ParameterError(`tersoff: expected ${nt ** 3} triplet entries for ${el.join(' ')}, got ${params.length}`);
    params.forEach((p, s) => {
      const name = `${el[Math.floor(s / (nt * nt))]} ${el[Math.floor(s / nt) % nt]} ${el[s % nt]}`;
      for (const k of TERSOFF_KEYS) {
        const v = p[k];
        if (!Number.isFinite(v) || (k !== 'costheta0' && v < 0)) throw new ParameterError(`tersoff: ${k} of entry ${name} must be a finite${k === 'costheta0' ? '' : ' non-negative'} number, got ${v}`);
      }
      if (p.m !== 1 && p.m !== 3) throw new ParameterError(`tersoff: m of entry ${name} must be 1 or 3 (as in LAMMPS), got ${p.m}`);
      if (p.D > p.R) throw new ParameterError(`tersoff: entry ${name} has D = ${p.D} > R = ${p.R}`);
    });
    this.elements = el;
    this.params = params.map((p) => ({ ...p }));
    this.nt = nt;
    this.species = el.map(atomicNumber);
    this.zType = new Int32Array(MAX_Z + 1).fill(-1);
    this.species.forEach((z, t) => (this.zType[z] = t));
    const np = nt * nt;
    const f = () => new Float64Array(np);
    this.pCutsq = f(); this.pA = f(); this.pL1 = f(); this.pB = f(); this.pL2 = f();
    this.pBeta = f(); this.pN = f(); this.pC1 = f(); this.pC2 = f(); this.pC3 = f(); this.pC4 = f();
    let cutmax = 0;
    for (let i = 0; i < nt; i++)
      for (let j = 0; j < nt; j++) {
        const p = params[(i * nt + j) * nt + j]!;
        const q = i * nt + j;
        if (!(p.n > 0)) throw new ParameterError(`tersoff: n of entry ${el[i]} ${el[j]} ${el[j]} must be positive, got ${p.n}`);
        this.pCutsq[q] = (p.R + p.D) ** 2;
        this.pA[q] = p.A; this.pL1[q] = p.lambda1; this.pB[q] = p.B; this.pL2[q] = p.lambda2;
        this.pBeta[q] = p.beta; this.pN[q] = p.n;
        this.pC1[q] = Math.pow(2 * p.n * 1e-16, -1 / p.n);
        this.pC2[q] = Math.pow(2 * p.n * 1e-8, -1 / p.n);
        this.pC3[q] = 1 / this.pC2[q]!;
        this.pC4[q] = 1 / this.pC1[q]!;
      }
    const nq = nt * np;
    const g = () => new Float64Array(nq);
    this.tCutsq = g(); this.tR = g(); this.tD = g(); this.tGamma = g(); this.tG0 = g(); this.tC2 = g(); this.tD2 = g(); this.tH = g(); this.tL3 = g();
    this.tM3 = new Uint8Array(nq);
    params.forEach((p, s) => {
      this.tCutsq[s] = (p.R + p.D) ** 2;
      this.tR[s] = p.R; this.tD[s] = p.D;
      this.tGamma[s] = p.gamma;
      this.tC2[s] = p.c * p.c;
      this.tD2[s] = p.d * p.d;
      this.tG0[s] = 1 + (p.c * p.c) / (p.d * p.d);
      this.tH[s] = p.costheta0;
      this.tL3[s] = p.lambda3;
      this.tM3[s] = p.m === 3 ? 1 : 0;
      cutmax = Math.max(cutmax, p.R + p.D);
    });
    this.cutoff = cutmax;
    this.name = `tersoff(${label})`;
  }

  /** Read a LAMMPS tersoff file; `elements` gives the element of every type, like `pair_coeff * * file Si`. */
  static fromLammps(text: string, elements: readonly string[], source = 'tersoff file'): Tersoff {
    const params: TersoffParams[] = readLammpsTriplets(text, elements, TERSOFF_KEYS, source);
    return new Tersoff(elements, params, `${source}: ${uniqueElements(elements).join(' ')}`);
  }

  /** Silicon with the parameters of LAMMPS' Si.tersoff (Tersoff 1988). */
  static silicon(): Tersoff {
    return new Tersoff(['Si'], [{ ...SI_TERSOFF }], 'Si.tersoff');
  }

  private ensureScratch(c0: number): void {
    if (c0 <= this.cap) return;
    const c = Math.max(c0, 2 * this.cap, 16);
    this.cap = c;
    this.sj = new Int32Array(c);
    this.st = new Int32Array(c);
    this.sd = new Float64Array(3 * c);
    this.su = new Float64Array(3 * c);
    this.sr = new Float64Array(c);
    this.sr2 = new Float64Array(c);
    this.sFcK = new Float64Array(c * this.nt);
    this.sDFcK = new Float64Array(c * this.nt);
    this.sDz = new Float64Array(3 * c);
    this.sG = new Float64Array(3 * c);
    this.sEn = new Float64Array(c);
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, energies } = prep;
    const n = s.length;
    const forces = prep.forces ?? new Float64Array(3 * n);
    const { offsets, neighbors, shifts } = nl;
    this.ensureScratch(maxNeighborCount(nl));
    const x = s.positions, Z = s.numbers, zType = this.zType, nt = this.nt;
    const { pCutsq, pA, pL1, pB, pL2, pBeta, pN, pC1, pC2, pC3, pC4 } = this;
    const { tCutsq, tR, tD, tGamma, tG0, tC2, tD2, tH, tL3, tM3 } = this;
    const { sj, st, sd, su, sr, sr2, sFcK, sDFcK, sDz, sG, sEn } = this;
    const cutShortSq = this.cutoff * this.cutoff;
    const perAtom = energies !== undefined;
    let energy = 0;
    let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;

    for (let i = 0; i < n; i++) {
      const ti = zType[Z[i]!]!;
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      let ei = 0;
      let ns = 0;
      // short list, repulsive pair term (each pair once: j > i; self images half)
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= cutShortSq) continue;
        const tj = zType[Z[j]!]!;
        const r = Math.sqrt(r2);
        const ir = 1 / r;
        const ux = dx * ir, uy = dy * ir, uz = dz * ir;
        sj[ns] = j; st[ns] = tj;
        sd[3 * ns] = dx; sd[3 * ns + 1] = dy; sd[3 * ns + 2] = dz;
        su[3 * ns] = ux; su[3 * ns + 1] = uy; su[3 * ns + 2] = uz;
        sr[ns] = r; sr2[ns] = r2;
        // f_C(r_ik) for this atom as a "k" partner, for every type of j (entry i j k)
        for (let tjj = 0; tjj < nt; tjj++) {
          const tq = (ti * nt + tjj) * nt + tj;
          const R = tR[tq]!, D = tD[tq]!;
          let fc = 0, dfc = 0;
          if (r < R - D) fc = 1;
          else if (r <= R + D) {
            const arg = HALF_PI * (r - R) / D;
            fc = 0.5 * (1 - Math.sin(arg));
            dfc = -(QUARTER_PI / D) * Math.cos(arg);
          }
          sFcK[ns * nt + tjj] = fc;
          sDFcK[ns * nt + tjj] = dfc;
        }
        let g = 0, en = 0;
        const q = ti * nt + tj;
        // LAMMPS' rule for which side computes a pair (atom ids i+1, j+1): keeps asymmetric
        // (i j j) / (j i i) entries exactly as LAMMPS; a periodic self image counts half from each side
        const w = j === i ? 0.5 : ((i + j) & 1) === (i > j ? 1 : 0) ? 1 : 0;
        if (w !== 0 && r2 < pCutsq[q]!) {
          const fc = sFcK[ns * nt + tj]!, dfc = sDFcK[ns * nt + tj]!; // entry i j j
          const ex = Math.exp(-pL1[q]! * r);
          const vr = fc * pA[q]! * ex;
          energy += w * vr;
          g = w * pA[q]! * ex * (dfc - pL1[q]! * fc);
          if (perAtom) { ei += 0.5 * w * vr; en = 0.5 * w * vr; }
        }
        sG[3 * ns] = g * ux; sG[3 * ns + 1] = g * uy; sG[3 * ns + 2] = g * uz;
        sEn[ns] = en;
        ns++;
      }
      // bond-order attractive term for every j of the short list within the i-j cutoff
      for (let a = 0; a < ns; a++) {
        const ta = st[a]!;
        const q = ti * nt + ta;
        if (sr2[a]! >= pCutsq[q]!) continue;
        const ra = sr[a]!, ira = 1 / ra;
        const uax = su[3 * a]!, uay = su[3 * a + 1]!, uaz = su[3 * a + 2]!;
        const tBase = q * nt;
        let zeta = 0, dzx = 0, dzy = 0, dzz = 0;
        for (let b = 0; b < ns; b++) {
          if (b === a) continue;
          const tq = tBase + st[b]!;
          if (sr2[b]! >= tCutsq[tq]!) { sDz[3 * b] = 0; sDz[3 * b + 1] = 0; sDz[3 * b + 2] = 0; continue; }
          const rb = sr[b]!;
          const ubx = su[3 * b]!, uby = su[3 * b + 1]!, ubz = su[3 * b + 2]!;
          const cs = uax * ubx + uay * uby + uaz * ubz;
          const hc = tH[tq]! - cs;
          const den = tD2[tq]! + hc * hc;
          const gam = tGamma[tq]!;
          const gv = gam * (tG0[tq]! - tC2[tq]! / den);
          const gd = (gam * -2 * tC2[tq]! * hc) / (den * den);
          const dr = ra - rb;
          const l3 = tL3[tq]!;
          let arg: number, darg: number;
          if (tM3[tq]) { const t = l3 * dr; arg = t * t * t; darg = 3 * l3 * l3 * l3 * dr * dr; }
          else { arg = l3 * dr; darg = l3; }
          const ex = arg > EXP_ARG_MAX ? 1e30 : arg < -EXP_ARG_MAX ? 0 : Math.exp(arg);
          const exd = darg * ex;
          const fcb = sFcK[b * nt + ta]!, dfcb = sDFcK[b * nt + ta]!;
          zeta += fcb * gv * ex;
          // d z / d d_a = fc [g' ex (u_b - cs u_a)/r_a + g ex' u_a]
          const ka = fcb * gd * ex * ira, la = fcb * gv * exd - ka * cs;
          dzx += ka * ubx + la * uax; dzy += ka * uby + la * uay; dzz += ka * ubz + la * uaz;
          // d z / d d_b = fc' g ex u_b + fc g' ex (u_a - cs u_b)/r_b - fc g ex' u_b
          const kb = (fcb * gd * ex) / rb, lb = dfcb * gv * ex - fcb * gv * exd - kb * cs;
          sDz[3 * b] = kb * uax + lb * ubx; sDz[3 * b + 1] = kb * uay + lb * uby; sDz[3 * b + 2] = kb * uaz + lb * ubz;
        }
        // b_ij and d b_ij / d zeta, LAMMPS' branches
        const beta = pBeta[q]!, nn = pN[q]!;
        const tmp = beta * zeta;
        let bij: number, bijd: number;
        if (tmp > pC1[q]!) {
          bij = 1 / Math.sqrt(tmp);
          bijd = beta * -0.5 * Math.pow(tmp, -1.5);
        } else if (tmp > pC2[q]!) {
          const tn = Math.pow(tmp, -nn);
          bij = (1 - tn / (2 * nn)) / Math.sqrt(tmp);
          bijd = beta * (-0.5 * Math.pow(tmp, -1.5) * (1 - (1 + 1 / (2 * nn)) * tn));
        } else if (tmp < pC4[q]!) {
          bij = 1; bijd = 0;
        } else if (tmp < pC3[q]!) {
          bij = 1 - Math.pow(tmp, nn) / (2 * nn);
          bijd = -0.5 * beta * Math.pow(tmp, nn - 1);
        } else {
          const tn = Math.pow(tmp, nn);
          bij = Math.pow(1 + tn, -1 / (2 * nn));
          bijd = (-0.5 * Math.pow(1 + tn, -1 - 1 / (2 * nn)) * tn) / zeta;
        }
        // f_A and its derivative with entry i j j
        const fc = sFcK[a * nt + ta]!, dfc = sDFcK[a * nt + ta]!;
        const ex2 = Math.exp(-pL2[q]! * ra);
        const fa = -pB[q]! * ex2 * fc;
        const fad = pB[q]! * ex2 * (pL2[q]! * fc - dfc);
        const eatt = 0.5 * bij * fa;
        energy += eatt;
        if (perAtom) { ei += 0.5 * eatt; sEn[a] = sEn[a]! + 0.5 * eatt; }
        const pref = 0.5 * fa * bijd; // dE / d zeta
        const gr = 0.5 * bij * fad;
        sG[3 * a] = sG[3 * a]! + gr * uax + pref * dzx;
        sG[3 * a + 1] = sG[3 * a + 1]! + gr * uay + pref * dzy;
        sG[3 * a + 2] = sG[3 * a + 2]! + gr * uaz + pref * dzz;
        if (pref !== 0) {
          for (let b = 0; b < ns; b++) {
            if (b === a) continue;
            sG[3 * b] = sG[3 * b]! + pref * sDz[3 * b]!;
            sG[3 * b + 1] = sG[3 * b + 1]! + pref * sDz[3 * b + 1]!;
            sG[3 * b + 2] = sG[3 * b + 2]! + pref * sDz[3 * b + 2]!;
          }
        }
      }
      // scatter: F_i += G, F_j -= G, W += d (x) G
      let fix = 0, fiy = 0, fiz = 0;
      for (let m = 0; m < ns; m++) {
        const gx = sG[3 * m]!, gy = sG[3 * m + 1]!, gz = sG[3 * m + 2]!;
        const j = sj[m]!;
        fix += gx; fiy += gy; fiz += gz;
        forces[3 * j] = forces[3 * j]! - gx;
        forces[3 * j + 1] = forces[3 * j + 1]! - gy;
        forces[3 * j + 2] = forces[3 * j + 2]! - gz;
        const dx = sd[3 * m]!, dy = sd[3 * m + 1]!, dz = sd[3 * m + 2]!;
        wxx += dx * gx; wyy += dy * gy; wzz += dz * gz;
        wyz += dy * gz; wxz += dx * gz; wxy += dx * gy;
        if (perAtom) energies[j] = energies[j]! + sEn[m]!;
      }
      forces[3 * i] = forces[3 * i]! + fix;
      forces[3 * i + 1] = forces[3 * i + 1]! + fiy;
      forces[3 * i + 2] = forces[3 * i + 2]! + fiz;
      if (perAtom) energies[i] = energies[i]! + ei;
    }
    return finishResult(this, s, prep, energy, wxx, wyy, wzz, wyz, wxz, wxy);
  }
}
