/**
 * Stillinger-Weber, with the semantics of LAMMPS `pair_style sw` (parameters per element triplet):
 *
 *   E = sum_{i<j} phi2(r_ij) + sum_i sum_{j<k, j,k != i} phi3(r_ij, r_ik, theta_jik)
 *
 *   phi2(r)  = A_ij eps_ij [B_ij (sigma_ij/r)^p_ij - (sigma_ij/r)^q_ij] exp(sigma_ij / (r - a_ij sigma_ij))
 *   phi3     = lambda_ijk eps_ijk (cos theta_jik - cos theta0_ijk)^2
 *              * exp(gamma_ij sigma_ij / (r_ij - a_ij sigma_ij)) * exp(gamma_ik sigma_ik / (r_ik - a_ik sigma_ik))
 *
 * Two-body quantities ("ij") come from the file entry (i, j, j), three-body lambda, eps, cos theta0
 * from the entry (i, j, k) — as in LAMMPS. A pair enters only when r < a sigma (shortened by
 * sigma / ln(tol) when tol > 0, tol capped at 0.01, exactly like LAMMPS' cutsq).
 *
 * | symbol            | variable (per entry)          | unit |
 * |-------------------|-------------------------------|------|
 * | eps               | epsilon                       | eV   |
 * | sigma             | sigma                         | Å    |
 * | a                 | a (cutoff a*sigma = `cut`)    | -    |
 * | lambda            | lambda                        | -    |
 * | gamma             | gamma                         | -    |
 * | cos theta0        | costheta0                     | -    |
 * | A, B, p, q        | A, B, p, q                    | -    |
 * | tol               | tol                           | -    |
 * | r_ij, d_ij        | sr[m], sdx/sdy/sdz[m] (short list of atom i) | Å |
 * | exp(gamma sigma/(r - a sigma)) | sE[m]            | -    |
 *
 * Per-atom energies follow LAMMPS' eatom: phi2 split 1/2 + 1/2 between i and j, each phi3 split
 * 1/3 to each of i, j, k. Stress is the virial sum over pair vectors d (x) dE/dd divided by V.
 *
 * Implementation: for each atom, one pass over its neighbour-list row gathers the neighbours
 * within the SW cutoff ("short list", as in LAMMPS) into preallocated scratch arrays with their
 * unit vectors and exp factors; the two-body term (each pair once, j > i) and the three-body
 * term (all j < k pairs of the short list, no exp per triplet) then run on that scratch, and the
 * accumulated gradient per short neighbour is scattered to forces and virial once.
 *
 * `ctx.atomRange` (declared in `capabilities.atomRange`): only the rows i = start..end-1 are
 * visited, i.e. the three-body terms centred on those atoms and the pair terms their rows compute
 * (each pair is computed by exactly one row, by the parity rule above); their forces, virial and
 * per-atom energies still land on every atom they touch. Used by node/parallel.ts.
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { atomicNumber, MAX_Z } from '../core/elements.js';
import { maxNeighborCount } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { SI_SW } from './data/si-sw.js';
import { namedValues, nearlyEqual, readLammpsTriplets, uniqueElements } from './lammps-params.js';
import { finishResult, prepare } from './prepare.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';

/** One LAMMPS sw entry (element triplet i, j, k). */
export interface SwParams {
  epsilon: number;
  sigma: number;
  a: number;
  lambda: number;
  gamma: number;
  costheta0: number;
  A: number;
  B: number;
  p: number;
  q: number;
  tol: number;
}

const SW_KEYS = ['epsilon', 'sigma', 'a', 'lambda', 'gamma', 'costheta0', 'A', 'B', 'p', 'q', 'tol'] as const;

export class StillingerWeber implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false, atomRange: true };
  readonly species: readonly number[];
  /** Element symbol per internal type. */
  readonly elements: readonly string[];
  /** Parameters per triplet, index (i * ne + j) * ne + k. */
  readonly params: readonly Readonly<SwParams>[];

  private readonly nt: number;
  private readonly zType: Int32Array;
  // pair tables (entry i j j), index ti * nt + tj
  private readonly pCutsq: Float64Array;
  private readonly pCut: Float64Array;
  private readonly pSigma: Float64Array;
  private readonly pSigmaGamma: Float64Array;
  private readonly pC5: Float64Array; // A eps B sigma^p
  private readonly pC6: Float64Array; // A eps sigma^q
  private readonly pP: Float64Array;
  private readonly pQ: Float64Array;
  private readonly p4q0: boolean;
  // triplet tables (entry i j k)
  private readonly tLamEps: Float64Array;
  private readonly tCos0: Float64Array;
  // scratch for one atom's short list, grown on demand
  private cap = 0;
  private sj = new Int32Array(0);
  private st = new Int32Array(0);
  private sd = new Float64Array(0); // dx dy dz per neighbour
  private su = new Float64Array(0); // unit vector per neighbour
  private sir = new Float64Array(0); // 1/r
  private sE = new Float64Array(0); // exp(gamma sigma / (r - cut))
  private sH = new Float64Array(0); // gamma sigma / (r - cut)^2 = -d ln(sE)/dr
  private sG = new Float64Array(0); // dE/dd accumulated per neighbour
  private sEn = new Float64Array(0); // per-atom energy share for the neighbour

  /**
   * @param elements element symbol per type (duplicates collapse, like pair_coeff * * file Si Si)
   * @param params one entry per triplet, index (i * ne + j) * ne + k over the unique elements
   */
  constructor(elements: readonly string[], params: readonly SwParams[], label = 'sw') {
    const el = uniqueElements(elements);
    const nt = el.length;
    if (params.length !== nt * nt * nt) throw new ParameterError(`sw: expected ${nt ** 3} triplet entries for ${el.join(' ')}, got ${params.length}`);
    params.forEach((p, s) => {
      for (const k of SW_KEYS) {
        const v = p[k];
        if (!Number.isFinite(v) || (k !== 'costheta0' && v < 0)) throw new ParameterError(`sw: ${k} of entry ${tripletName(el, s)} must be a finite${k === 'costheta0' ? '' : ' non-negative'} number, got ${v}`);
      }
    });
    this.elements = el;
    this.params = params.map((p) => ({ ...p }));
    this.nt = nt;
    this.species = el.map(atomicNumber);
    this.zType = new Int32Array(MAX_Z + 1).fill(-1);
    this.species.forEach((z, t) => (this.zType[z] = t));
    const np = nt * nt;
    this.pCutsq = new Float64Array(np);
    this.pCut = new Float64Array(np);
    this.pSigma = new Float64Array(np);
    this.pSigmaGamma = new Float64Array(np);
    this.pC5 = new Float64Array(np);
    this.pC6 = new Float64Array(np);
    this.pP = new Float64Array(np);
    this.pQ = new Float64Array(np);
    let cutmax = 0;
    let p4q0 = true;
    for (let i = 0; i < nt; i++)
      for (let j = 0; j < nt; j++) {
        const p = params[(i * nt + j) * nt + j]!;
        const q = i * nt + j;
        const cut = p.sigma * p.a;
        let rc = cut;
        if (p.tol > 0) {
          const tol = Math.min(p.tol, 0.01);
          rc += (p.gamma < 1 ? p.gamma * p.sigma : p.sigma) / Math.log(tol);
        }
        this.pCutsq[q] = rc * rc;
        this.pCut[q] = cut;
        this.pSigma[q] = p.sigma;
        this.pSigmaGamma[q] = p.sigma * p.gamma;
        this.pC5[q] = p.A * p.epsilon * p.B * Math.pow(p.sigma, p.p);
        this.pC6[q] = p.A * p.epsilon * Math.pow(p.sigma, p.q);
        this.pP[q] = p.p;
        this.pQ[q] = p.q;
        if (p.p !== 4 || p.q !== 0) p4q0 = false;
        cutmax = Math.max(cutmax, rc);
      }
    this.p4q0 = p4q0;
    this.tLamEps = new Float64Array(nt * np);
    this.tCos0 = new Float64Array(nt * np);
    for (let i = 0; i < nt; i++)
      for (let j = 0; j < nt; j++)
        for (let k = 0; k < nt; k++) {
          const p = params[(i * nt + j) * nt + k]!;
          const r = params[(i * nt + k) * nt + j]!;
          // LAMMPS takes (i j k) with j, k in its neighbour-list order; we take the mean of (i j k)
          // and (i k j), which is the same number when the file is symmetric
          if (!nearlyEqual(p.lambda * p.epsilon, r.lambda * r.epsilon) || !nearlyEqual(p.costheta0, r.costheta0)) {
            throw new ParameterError(`sw: entries ${el[i]} ${el[j]} ${el[k]} and ${el[i]} ${el[k]} ${el[j]} differ in lambda*epsilon or costheta0; the three-body term would depend on neighbour order (in LAMMPS too)`);
          }
          this.tLamEps[(i * nt + j) * nt + k] = 0.5 * (p.lambda * p.epsilon + r.lambda * r.epsilon);
          this.tCos0[(i * nt + j) * nt + k] = 0.5 * (p.costheta0 + r.costheta0);
        }
    this.cutoff = cutmax;
    this.name = `sw(${label})`;
  }

  /** Read a LAMMPS sw file; `elements` gives the element of every type, like `pair_coeff * * file Si`. */
  static fromLammps(text: string, elements: readonly string[], source = 'sw file'): StillingerWeber {
    const params: SwParams[] = readLammpsTriplets(text, elements, SW_KEYS, source);
    return new StillingerWeber(elements, params, `${source}: ${uniqueElements(elements).join(' ')}`);
  }

  /** Silicon with the parameters of LAMMPS' Si.sw (Stillinger and Weber 1985). */
  static silicon(): StillingerWeber {
    return new StillingerWeber(['Si'], [{ ...SI_SW }], 'Si.sw');
  }

  private ensureScratch(maxNeighbors: number): void {
    if (maxNeighbors <= this.cap) return;
    const c = Math.max(maxNeighbors, 2 * this.cap, 16);
    this.cap = c;
    this.sj = new Int32Array(c);
    this.st = new Int32Array(c);
    this.sd = new Float64Array(3 * c);
    this.su = new Float64Array(3 * c);
    this.sir = new Float64Array(c);
    this.sE = new Float64Array(c);
    this.sH = new Float64Array(c);
    this.sG = new Float64Array(3 * c);
    this.sEn = new Float64Array(c);
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, energies } = prep;
    const n = s.length;
    const forces = prep.forces ?? new Float64Array(3 * n);
    const { offsets, neighbors, shifts } = nl;
    const { start: i0, end: i1 } = atomRange(ctx, n);
    this.ensureScratch(maxNeighborCount(nl));
    const x = s.positions, Z = s.numbers, zType = this.zType, nt = this.nt;
    const { pCutsq, pCut, pSigma, pSigmaGamma, pC5, pC6, pP, pQ, p4q0, tLamEps, tCos0 } = this;
    const { sj, st, sd, su, sir, sE, sH, sG, sEn } = this;
    const perAtom = energies !== undefined;
    let energy = 0;
    let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;

    for (let i = i0; i < i1; i++) {
      const ti = zType[Z[i]!]!;
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      let ei = 0;
      let ns = 0;
      // gather the short list and do the two-body term (each pair once: j > i; self images half)
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        const tj = zType[Z[j]!]!;
        const q = ti * nt + tj;
        if (r2 >= pCutsq[q]!) continue;
        const r = Math.sqrt(r2);
        const ir = 1 / r;
        const ux = dx * ir, uy = dy * ir, uz = dz * ir;
        const rc = 1 / (r - pCut[q]!);
        const gs = pSigmaGamma[q]! * rc;
        sj[ns] = j;
        st[ns] = tj;
        sd[3 * ns] = dx; sd[3 * ns + 1] = dy; sd[3 * ns + 2] = dz;
        su[3 * ns] = ux; su[3 * ns + 1] = uy; su[3 * ns + 2] = uz;
        sir[ns] = ir;
        sE[ns] = Math.exp(gs);
        sH[ns] = gs * rc;
        let g = 0;
        let en = 0;
        // LAMMPS' rule for which side computes a pair (atom ids i+1, j+1): keeps asymmetric
        // (i j j) / (j i i) entries exactly as LAMMPS; a periodic self image counts half from each side
        const w = j === i ? 0.5 : ((i + j) & 1) === (i > j ? 1 : 0) ? 1 : 0;
        if (w !== 0) {
          // phi2 = (c5 r^-p - c6 r^-q) exp(sigma rc); dphi2/dr
          let rp: number, rq: number, drp: number, drq: number;
          if (p4q0) {
            const ir2 = ir * ir;
            rp = ir2 * ir2; rq = 1;
            drp = -4 * rp * ir; drq = 0;
          } else {
            rp = Math.pow(r, -pP[q]!); rq = Math.pow(r, -pQ[q]!);
            drp = -pP[q]! * rp * ir; drq = -pQ[q]! * rq * ir;
          }
          const sr = pSigma[q]! * rc;
          const ex = Math.exp(sr);
          const pre = pC5[q]! * rp - pC6[q]! * rq;
          const phi = pre * ex;
          const dphi = (pC5[q]! * drp - pC6[q]! * drq) * ex - phi * sr * rc;
          energy += w * phi;
          g = w * dphi;
          if (perAtom) { ei += 0.5 * w * phi; en = 0.5 * w * phi; }
        }
        sG[3 * ns] = g * ux; sG[3 * ns + 1] = g * uy; sG[3 * ns + 2] = g * uz;
        sEn[ns] = en;
        ns++;
      }
      // three-body term over pairs (a, b) of the short list
      const tiBase = ti * nt;
      for (let a = 0; a < ns - 1; a++) {
        const uax = su[3 * a]!, uay = su[3 * a + 1]!, uaz = su[3 * a + 2]!;
        const Ea = sE[a]!, Ha = sH[a]!, ira = sir[a]!;
        const tBase = (tiBase + st[a]!) * nt;
        let gax = 0, gay = 0, gaz = 0, ena = 0;
        for (let b = a + 1; b < ns; b++) {
          const ubx = su[3 * b]!, uby = su[3 * b + 1]!, ubz = su[3 * b + 2]!;
          const cs = uax * ubx + uay * uby + uaz * ubz;
          const tq = tBase + st[b]!;
          const le = tLamEps[tq]!;
          const dc = cs - tCos0[tq]!;
          const lee = le * Ea * sE[b]!;
          const facrad = lee * dc * dc;
          const facang = 2 * lee * dc;
          energy += facrad;
          // dE/dd_a = (facang / r_a) (u_b - cs u_a) - facrad H_a u_a, and likewise for b
          const fa = facang * ira, fb = facang * sir[b]!;
          const ca = fa * cs + facrad * Ha, cb = fb * cs + facrad * sH[b]!;
          gax += fa * ubx - ca * uax; gay += fa * uby - ca * uay; gaz += fa * ubz - ca * uaz;
          sG[3 * b] = sG[3 * b]! + fb * uax - cb * ubx;
          sG[3 * b + 1] = sG[3 * b + 1]! + fb * uay - cb * uby;
          sG[3 * b + 2] = sG[3 * b + 2]! + fb * uaz - cb * ubz;
          if (perAtom) { const e3 = facrad / 3; ei += e3; ena += e3; sEn[b] = sEn[b]! + e3; }
        }
        sG[3 * a] = sG[3 * a]! + gax; sG[3 * a + 1] = sG[3 * a + 1]! + gay; sG[3 * a + 2] = sG[3 * a + 2]! + gaz;
        if (perAtom) sEn[a] = sEn[a]! + ena;
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

/** The central-atom range of ctx.atomRange (all atoms when absent), checked. */
function atomRange(ctx: ComputeContext | undefined, n: number): { start: number; end: number } {
  const r = ctx?.atomRange;
  if (!r) return { start: 0, end: n };
  if (!Number.isInteger(r.start) || !Number.isInteger(r.end) || r.start < 0 || r.end > n || r.start > r.end) {
    throw new ValidationError(`atomRange must satisfy 0 <= start <= end <= ${n} (integers), got start ${r.start}, end ${r.end}`);
  }
  return r;
}

function tripletName(el: readonly string[], s: number): string {
  const ne = el.length;
  return `${el[Math.floor(s / (ne * ne))]} ${el[Math.floor(s / ne) % ne]} ${el[s % ne]}`;
}

/** Guard used by tests and callers that build parameters by hand. */
export function swParamsFromValues(values: readonly number[]): SwParams {
  if (values.length !== SW_KEYS.length) throw new ValidationError(`sw: an entry has ${SW_KEYS.length} values (${SW_KEYS.join(', ')}), got ${values.length}`);
  return namedValues(SW_KEYS, values);
}
