/**
 * Sparse Gaussian-process potential (GAP / FLARE style; projected-process or DTC approximation)
 * with predictive variances of the energy and of every force component.
 *
 * Local energies are a GP over scaled descriptor vectors u = B (x) w_{Z_i} (w = invScale, per
 * species and feature; fitted once from the training atoms and stored), with kernel k (kernels.ts),
 * zero between different species. The posterior mean is carried by M sparse environments x_m:
 *
 *   eps_i  = e0_{Z_i} + sum_{m: Z_m = Z_i} alpha_m k(u_i, x_m)
 *   E      = sum_i eps_i                                   = sum_i e0_{Z_i} + K^E . alpha
 *   F_j,a  = -dE/dr_j,a                                    = K^F_{(j,a)} . alpha
 *   sigma  = (1/V) dE/d eps                                = K^W alpha / V
 *
 * where the "design rows" K^E, K^F, K^W are those of `linearDesign` (linear.ts) with the kernel
 * values k(u_i, x_m) in the role of the features (one derivative assembly for fit and prediction):
 *
 *   K^E_m          = sum_{i: Z_i = Z_m} k(u_i, x_m)
 *   K^F_{(j,a),m}  = sum over pairs p = (i -> j') of: +g_{p,a,m} on row (i, a), -g_{p,a,m} on row (j', a)
 *   K^W_{ab,m}     = sum_p d_{p,a} g_{p,b,m}          (Voigt xx yy zz yz xz xy)
 *   g_{p,a,m}      = dk(u_i, x_m)/du_i . (D[p]_a (x) w) = 2 f_p (u_i (x) w).D[p]_a + f_q (x_m (x) w).D[p]_a
 *
 * (D[p] = dB(i)/dd_ij from the descriptor; f_p, f_q from `kernelTerms`.)
 *
 * Predictive variance of a linear functional f* of the local energies (a total energy or a force
 * component), projected process / DTC:
 *
 *   var f* = k** - k_*M K_MM^+ k_M* + k_*M A^+ k_M*  =  k** - |P_K k_M*|^2 + |P_A k_M*|^2
 *   A      = K_MM + K_MN Sigma^-1 K_NM                  (assembled by training/gp-fit.ts)
 *
 * with the r x M factors P_K, P_A stored with the model (P_K^T P_K = K_MM^+ on the r kept
 * eigen-directions of K_MM, P_A^T P_A = the matching A^+; with r = M and no truncation they are
 * L_K^-1 and L_A^-1 of the Cholesky factors), *
 * with k_M* the design row of f* above, and the prior variance k** computed exactly:
 *
 *   energy:        k** = sum_{i,i'} k(u_i, u_i')                                 O(N^2 size)
 *   force (j,a):   k** = sum_{i,i' in S_j} V_i^T [d2k/du dv](u_i, u_i') V_i'      O(N |S|^2 size)
 *                  V_i = du_i/dr_j,a, S_j = {j} + the atoms within the cutoff of j
 *
 * (`mixedFromTerms` gives the contracted mixed derivative from five inner products, so each pair
 * costs O(size)). The posterior part costs O(3N M^2) (two triangular solves with 3N right-hand
 * sides); `compute` always uses this exact form. With `uncertaintyIncludesNoise` (default true)
 * the reported variances include the observation noise (sigma_F^2 per force component,
 * (sigma_E N)^2 for the energy), i.e. they are the predictive variances of a new *label*; the
 * latent variances are `predictVariance(..., {includeNoise: false})`. Stress variance is not
 * computed.
 *
 * | symbol            | variable                                         |
 * |-------------------|--------------------------------------------------|
 * | w_{z_s,k}         | invScale[s * size + k]                            |
 * | x_m               | sparse[m * size ..] (scaled), species sparseSpecies[m] |
 * | alpha_m           | alpha[m]                                          |
 * | e0_z              | e0[s]                                             |
 * | P_K, P_A          | pK, pA (r x M, row-major)                         |
 * | sigma_E, sigma_F, sigma_S | noise.energy (eV/atom), noise.forces (eV/Å), noise.stress (eV/Å^3) |
 * | K^E, K^F, K^W     | GPDesign.energy, .forces ((3N) x M), .virial (6 x M) |
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import { gemm } from '../core/linalg.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import { pairCount, type NeighborList } from '../neighbors/neighbor-list.js';
import { assertStressPeriodic, assertValidStructure, neighborsFor, outputBuffers } from '../neighbors/checked.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { checkKernel, kernelTerms, KERNEL_TERMS, KP, KQ, mixedFromTerms, type KernelSpec } from './kernels.js';
import { speciesIndices, type TrainingInfo } from './linear.js';
import { readModelHeader, readTraining } from './model-json.js';

/** Descriptor + kernel + scaling + sparse points: everything that defines the design rows. */
export interface GPBasisOptions {
  descriptor: Descriptor;
  kernel: KernelSpec;
  /** Feature scaling w (species x size): u = B (x) w. */
  invScale: ArrayLike<number>;
  /** Species index (into descriptor.species) of every sparse point, non-decreasing. */
  sparseSpecies: ArrayLike<number>;
  /** Scaled sparse points, M x size. */
  sparse: ArrayLike<number>;
}

/** The design rows' building blocks, with per-species precomputation. */
export class GPBasis {
  readonly descriptor: Descriptor;
  readonly kernel: KernelSpec;
  readonly invScale: Float64Array;
  readonly sparseSpecies: Int32Array;
  readonly sparse: Float64Array;
  readonly size: number;
  readonly ns: number;
  readonly m: number;
  /** First sparse point of species s and the count: block [start[s], start[s] + count[s]). */
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** |x_m|^2. */
  readonly sparseNorm2: Float64Array;
  /** x_m (x) w_{Z_m}, M x size (contracted with raw descriptor derivatives). */
  readonly sparseW: Float64Array;

  constructor(o: GPBasisOptions) {
    const d = o.descriptor;
    this.descriptor = d;
    this.kernel = checkKernel(o.kernel, 'GP kernel');
    this.size = d.size;
    this.ns = d.species.length;
    const size = this.size, ns = this.ns;
    if (o.invScale.length !== ns * size) throw new ParameterError(`GP: invScale has ${o.invScale.length} values; expected ${ns} species x ${size} features`);
    this.invScale = Float64Array.from(o.invScale);
    this.sparseSpecies = Int32Array.from(o.sparseSpecies);
    this.m = this.sparseSpecies.length;
    if (o.sparse.length !== this.m * size) throw new ParameterError(`GP: sparse has ${o.sparse.length} values; expected ${this.m} points x ${size} features`);
    this.sparse = Float64Array.from(o.sparse);
    this.start = new Int32Array(ns);
    this.count = new Int32Array(ns);
    for (let m = 0; m < this.m; m++) {
      const s = this.sparseSpecies[m]!;
      if (!(s >= 0 && s < ns)) throw new ParameterError(`GP: sparse point ${m} has species index ${s}; expected 0..${ns - 1}`);
      if (m > 0 && s < this.sparseSpecies[m - 1]!) throw new ParameterError('GP: sparse points must be grouped by species (non-decreasing species index)');
      this.count[s]! += 1;
    }
    for (let s = 1; s < ns; s++) this.start[s] = this.start[s - 1]! + this.count[s - 1]!;
    this.sparseNorm2 = new Float64Array(this.m);
    this.sparseW = new Float64Array(this.m * size);
    for (let m = 0; m < this.m; m++) {
      const w = this.sparseSpecies[m]! * size;
      let acc = 0;
      for (let k = 0; k < size; k++) {
        const v = this.sparse[m * size + k]!;
        if (!Number.isFinite(v)) throw new ParameterError(`GP: sparse point ${m} feature ${k} is ${v}`);
        acc += v * v;
        this.sparseW[m * size + k] = v * this.invScale[w + k]!;
      }
      this.sparseNorm2[m] = acc;
    }
  }
}

/** Design rows of one structure (see the module comment). */
export interface GPDesign {
  n: number;
  m: number;
  /** Species index of every atom. */
  sp: Int32Array;
  /** Scaled features u (N x size). */
  u: Float64Array;
  /** Raw per-pair descriptor derivatives (when forces or virial were asked). */
  deriv?: Float64Array;
  /** k(u_i, x_m), N x M (zero outside the atom's species block). */
  kval: Float64Array;
  /** K^E (M). */
  energy: Float64Array;
  /** Atoms per species. */
  counts: Float64Array;
  /** K^F, (3N) x M. */
  forces?: Float64Array;
  /** K^W, 6 x M (dE/d eps, not divided by V). */
  virial?: Float64Array;
}

/** Design rows of `s` on `basis` (neighbour list of range >= the descriptor cutoff). */
export function gpDesign(basis: GPBasis, s: Structure, nl: NeighborList, want: { forces?: boolean; virial?: boolean } = {}): GPDesign {
  const d = basis.descriptor;
  const n = s.length, size = basis.size, M = basis.m, ns = basis.ns;
  const sp = speciesIndices(d.species, s, d.name);
  const features = new Float64Array(n * size);
  const needDeriv = !!(want.forces || want.virial);
  let deriv: Float64Array | undefined;
  if (needDeriv) {
    deriv = new Float64Array(pairCount(nl) * 3 * size);
    d.computeWithDerivatives(s, nl, { features, derivatives: deriv });
  } else {
    d.compute(s, nl, features);
  }
  const w = basis.invScale;
  const u = new Float64Array(n * size);
  for (let i = 0; i < n; i++) {
    const o = sp[i]! * size;
    for (let k = 0; k < size; k++) u[i * size + k] = features[i * size + k]! * w[o + k]!;
  }
  const kval = new Float64Array(n * M);
  const c1 = needDeriv ? new Float64Array(n * M) : null;
  const c2 = needDeriv ? new Float64Array(n * M) : null;
  const energy = new Float64Array(M);
  const counts = new Float64Array(ns);
  const t = new Float64Array(KERNEL_TERMS);
  const X = basis.sparse, xn = basis.sparseNorm2;
  for (let i = 0; i < n; i++) {
    const s0 = sp[i]!;
    counts[s0]! += 1;
    const ui = i * size;
    let p = 0;
    for (let k = 0; k < size; k++) p += u[ui + k]! * u[ui + k]!;
    const m0 = basis.start[s0]!, m1 = m0 + basis.count[s0]!;
    for (let m = m0; m < m1; m++) {
      let q = 0;
      const xm = m * size;
      for (let k = 0; k < size; k++) q += u[ui + k]! * X[xm + k]!;
      const f = kernelTerms(basis.kernel, p, q, xn[m]!, t);
      kval[i * M + m] = f;
      energy[m] += f;
      if (c1 && c2) {
        c1[i * M + m] = 2 * t[KP]!;
        c2[i * M + m] = t[KQ]!;
      }
    }
  }
  const out: GPDesign = { n, m: M, sp, u, kval, energy, counts };
  if (!needDeriv || !deriv || !c1 || !c2) return out;
  out.deriv = deriv;
  const F = want.forces ? new Float64Array(3 * n * M) : undefined;
  const W = want.virial ? new Float64Array(6 * M) : undefined;
  const x = s.positions;
  const { offsets, neighbors, shifts } = nl;
  let maxPairs = 0;
  for (let i = 0; i < n; i++) maxPairs = Math.max(maxPairs, offsets[i + 1]! - offsets[i]!);
  let maxBlock = 0;
  for (let k = 0; k < ns; k++) maxBlock = Math.max(maxBlock, basis.count[k]!);
  const proj = new Float64Array(3 * maxPairs * maxBlock); // (x_m (x) w) . D[p]_a
  const ud = new Float64Array(size); // u_i (x) w
  const g = new Float64Array(maxBlock);
  for (let i = 0; i < n; i++) {
    const s0 = sp[i]!;
    const m0 = basis.start[s0]!, ms = basis.count[s0]!;
    const pa = offsets[i]!, pb = offsets[i + 1]!;
    const np = pb - pa;
    if (np === 0 || ms === 0) continue;
    const wo = s0 * size;
    for (let k = 0; k < size; k++) ud[k] = u[i * size + k]! * w[wo + k]!;
    gemm(false, true, 3 * np, ms, size, 1, deriv.subarray(pa * 3 * size, pb * 3 * size), size, basis.sparseW.subarray(m0 * size, (m0 + ms) * size), size, 0, proj, ms);
    const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
    const ci = i * M + m0;
    for (let p = pa; p < pb; p++) {
      const j = neighbors[p]!;
      const dx = x[3 * j]! + shifts[3 * p]! - xi;
      const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
      const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
      for (let a = 0; a < 3; a++) {
        const row = ((p - pa) * 3 + a);
        const dr = (p * 3 + a) * size;
        let uw = 0;
        for (let k = 0; k < size; k++) uw += ud[k]! * deriv[dr + k]!;
        const pr = row * ms;
        let any = false;
        for (let m = 0; m < ms; m++) {
          const v = c1[ci + m]! * uw + c2[ci + m]! * proj[pr + m]!;
          g[m] = v;
          if (v !== 0) any = true;
        }
        if (!any) continue;
        if (F) {
          const ri = (3 * i + a) * M + m0;
          const rj = (3 * j + a) * M + m0;
          for (let m = 0; m < ms; m++) {
            F[ri + m] += g[m]!;
            F[rj + m] -= g[m]!;
          }
        }
        if (W) {
          // a = 0: xx (dx gx), xy (dx gy)... accumulate by component b = a
          for (let m = 0; m < ms; m++) {
            const v = g[m]!;
            const c = m0 + m;
            if (a === 0) {
              W[c] += dx * v;
            } else if (a === 1) {
              W[M + c] += dy * v;
              W[5 * M + c] += dx * v;
            } else {
              W[2 * M + c] += dz * v;
              W[3 * M + c] += dy * v;
              W[4 * M + c] += dx * v;
            }
          }
        }
      }
    }
  }
  if (F) out.forces = F;
  if (W) out.virial = W;
  return out;
}

/** In place: B (M x nrhs, row-major) <- L^-1 B for L lower triangular M x M. */
export function forwardSolveColumns(l: Float64Array, M: number, b: Float64Array, nrhs: number): Float64Array {
  for (let i = 0; i < M; i++) {
    const bi = i * nrhs;
    for (let j = 0; j < i; j++) {
      const f = l[i * M + j]!;
      if (f === 0) continue;
      const bj = j * nrhs;
      for (let c = 0; c < nrhs; c++) b[bi + c] -= f * b[bj + c]!;
    }
    const inv = 1 / l[i * M + i]!;
    for (let c = 0; c < nrhs; c++) b[bi + c] *= inv;
  }
  return b;
}

/** Prior variance of the total energy: sum_{i,i'} k(u_i, u_i'). */
function energyPriorVariance(basis: GPBasis, dsn: GPDesign, gram: Float64Array, norm2: Float64Array): number {
  const n = dsn.n;
  const t = new Float64Array(KERNEL_TERMS);
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += kernelTerms(basis.kernel, norm2[i]!, norm2[i]!, norm2[i]!, t);
    for (let k = i + 1; k < n; k++) {
      if (dsn.sp[i] !== dsn.sp[k]) continue;
      v += 2 * kernelTerms(basis.kernel, norm2[i]!, gram[i * n + k]!, norm2[k]!, t);
    }
  }
  return v;
}

/**
 * Prior variance of every force component (3N): sum_{i,i' in S_j} V_i^T H(u_i, u_i') V_i'. See
 * the module comment; cost O(N |S|^2 size) with |S| the neighbours within the cutoff.
 */
function forcePriorVariance(basis: GPBasis, dsn: GPDesign, nl: NeighborList, gram: Float64Array, norm2: Float64Array, out: Float64Array): void {
  const n = dsn.n, size = basis.size;
  const deriv = dsn.deriv!;
  const { offsets, neighbors } = nl;
  const w = basis.invScale;
  const mark = new Int32Array(n).fill(-1);
  let maxS = 1;
  for (let j = 0; j < n; j++) maxS = Math.max(maxS, offsets[j + 1]! - offsets[j]! + 1);
  const S = new Int32Array(maxS);
  const V = new Float64Array(maxS * 3 * size); // V[(t*3+a)*size + k]
  const Vu = new Float64Array(3 * maxS * maxS); // V_t^a . u_{S[t']}: [(a*maxS + t)*maxS + t']
  const VV = new Float64Array(3 * maxS * maxS);
  const terms = new Float64Array(KERNEL_TERMS);
  const sp = dsn.sp, u = dsn.u;
  for (let j = 0; j < n; j++) {
    let ns = 0;
    S[ns] = j;
    mark[j] = ns++;
    for (let p = offsets[j]!; p < offsets[j + 1]!; p++) {
      const i = neighbors[p]!;
      if (mark[i]! < 0) {
        S[ns] = i;
        mark[i] = ns++;
      }
    }
    V.fill(0, 0, ns * 3 * size);
    for (let t = 0; t < ns; t++) {
      const i = S[t]!;
      const wo = sp[i]! * size;
      for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
        const sign = (neighbors[p] === j ? 1 : 0) - (i === j ? 1 : 0);
        if (sign === 0) continue;
        for (let a = 0; a < 3; a++) {
          const vo = (t * 3 + a) * size, dr = (p * 3 + a) * size;
          for (let k = 0; k < size; k++) V[vo + k] += sign * deriv[dr + k]! * w[wo + k]!;
        }
      }
    }
    for (let a = 0; a < 3; a++) {
      for (let t = 0; t < ns; t++) {
        const vo = (t * 3 + a) * size;
        for (let t2 = 0; t2 < ns; t2++) {
          const uo = S[t2]! * size;
          let acc = 0;
          for (let k = 0; k < size; k++) acc += V[vo + k]! * u[uo + k]!;
          Vu[(a * maxS + t) * maxS + t2] = acc;
          if (t2 >= t) {
            const vo2 = (t2 * 3 + a) * size;
            let ab = 0;
            for (let k = 0; k < size; k++) ab += V[vo + k]! * V[vo2 + k]!;
            VV[(a * maxS + t) * maxS + t2] = ab;
            VV[(a * maxS + t2) * maxS + t] = ab;
          }
        }
      }
    }
    let vx = 0, vy = 0, vz = 0;
    for (let t = 0; t < ns; t++) {
      const i = S[t]!;
      for (let t2 = 0; t2 < ns; t2++) {
        const i2 = S[t2]!;
        if (sp[i] !== sp[i2]) continue;
        kernelTerms(basis.kernel, norm2[i]!, gram[i * n + i2]!, norm2[i2]!, terms);
        for (let a = 0; a < 3; a++) {
          const r = a * maxS;
          const val = mixedFromTerms(terms, VV[(r + t) * maxS + t2]!, Vu[(r + t) * maxS + t]!, Vu[(r + t) * maxS + t2]!, Vu[(r + t2) * maxS + t]!, Vu[(r + t2) * maxS + t2]!);
          if (a === 0) vx += val;
          else if (a === 1) vy += val;
          else vz += val;
        }
      }
    }
    out[3 * j] = vx;
    out[3 * j + 1] = vy;
    out[3 * j + 2] = vz;
    for (let t = 0; t < ns; t++) mark[S[t]!] = -1;
  }
}

interface Request { forces?: boolean; stress?: boolean; energies?: boolean; uncertainty?: boolean }
interface Context { neighbors?: NeighborList; out?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array } }
interface Uncertainty { energyStd?: number; forceStd?: Float64Array; atomForceDeviation?: Float64Array; maxForceDeviation?: number }
interface Result { energy: number; forces?: Float64Array; stress?: Float64Array; energies?: Float64Array; uncertainty?: Uncertainty }

/** Observation noise standard deviations. */
export interface GPNoise {
  /** eV per atom: the total energy of an N-atom frame has noise std energy * N. */
  energy: number;
  /** eV/Å per force component. */
  forces: number;
  /** eV/Å^3 per stress component. */
  stress: number;
}

export interface GPPotentialOptions extends GPBasisOptions {
  alpha: ArrayLike<number>;
  /** Per-species reference energies (eV/atom). */
  e0: ArrayLike<number>;
  noise: GPNoise;
  /** Variance factors P_K, P_A (r x M, row-major, same r); without them no uncertainty. */
  variance?: { pK: ArrayLike<number>; pA: ArrayLike<number> };
  /** Reported variances include the observation noise (default true). */
  uncertaintyIncludesNoise?: boolean;
  training?: TrainingInfo;
}

/** Versioned JSON form of a GPPotential. Variance factors are r x M, flattened by rows. */
export interface GPModelJSON {
  format: 'mlpot-model';
  version: 1;
  type: 'gp';
  descriptor: { type: string; version: number; [k: string]: unknown };
  species: number[];
  kernel: KernelSpec;
  /** Feature scaling w, one array per species. */
  invScale: number[][];
  sparse: { species: number[]; points: number[][] };
  alpha: number[];
  e0: number[];
  noise: GPNoise;
  variance: { rank: number; pK: number[]; pA: number[] } | null;
  uncertaintyIncludesNoise: boolean;
  training?: TrainingInfo;
}

/** Latent (or label) variances of one structure. */
export interface GPVariance {
  energy: number;
  /** 3N, when forces were asked. */
  forces?: Float64Array;
}

export class GPPotential {
  readonly name: string;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly capabilities: { readonly forces: true; readonly stress: true; readonly energies: true; readonly uncertainty: boolean };
  readonly basis: GPBasis;
  readonly alpha: Float64Array;
  readonly e0: Float64Array;
  readonly noise: GPNoise;
  readonly pK: Float64Array | null;
  readonly pA: Float64Array | null;
  /** Rows r of the variance factors. */
  readonly rank: number;
  readonly uncertaintyIncludesNoise: boolean;
  readonly training: TrainingInfo | undefined;
  readonly offsetDetermined = true;

  constructor(o: GPPotentialOptions) {
    this.basis = new GPBasis(o);
    const d = o.descriptor, M = this.basis.m, ns = this.basis.ns;
    this.cutoff = d.cutoff;
    this.species = [...d.species];
    const k = this.basis.kernel;
    this.name = `gp(${d.name}, ${k.type === 'se' ? `se l=${k.lengthScale}` : `${k.type} zeta=${k.zeta}`}, ${M} sparse)`;
    if (o.alpha.length !== M) throw new ParameterError(`GPPotential: alpha has ${o.alpha.length} values; expected one per sparse point (${M})`);
    this.alpha = Float64Array.from(o.alpha);
    this.alpha.forEach((v, m) => {
      if (!Number.isFinite(v)) throw new ParameterError(`GPPotential: alpha[${m}] is ${v}`);
    });
    if (o.e0.length !== ns) throw new ParameterError(`GPPotential: e0 has ${o.e0.length} values; expected one per species (${ns})`);
    this.e0 = Float64Array.from(o.e0);
    this.e0.forEach((v, s) => {
      if (!Number.isFinite(v)) throw new ParameterError(`GPPotential: e0 of ${symbolOf(this.species[s]!)} is ${v}`);
    });
    for (const key of ['energy', 'forces', 'stress'] as const) {
      const v = o.noise[key];
      if (!(v > 0) || !Number.isFinite(v)) throw new ParameterError(`GPPotential: noise.${key} must be a finite number > 0, got ${v}`);
    }
    this.noise = { energy: o.noise.energy, forces: o.noise.forces, stress: o.noise.stress };
    if (o.variance) {
      const len = o.variance.pK.length;
      if (M === 0 || len % M !== 0 || o.variance.pA.length !== len) throw new ParameterError(`GPPotential: variance factors must both be r x ${M} (got ${len} and ${o.variance.pA.length} values)`);
      this.pK = Float64Array.from(o.variance.pK);
      this.pA = Float64Array.from(o.variance.pA);
      this.rank = len / M;
    } else {
      this.pK = null;
      this.pA = null;
      this.rank = 0;
    }
    this.uncertaintyIncludesNoise = o.uncertaintyIncludesNoise ?? true;
    this.capabilities = { forces: true, stress: true, energies: true, uncertainty: this.pK !== null };
    this.training = o.training;
  }

  get descriptor(): Descriptor {
    return this.basis.descriptor;
  }

  get kernel(): KernelSpec {
    return this.basis.kernel;
  }

  /**
   * Energy, forces, stress, per-atom energies, and with `uncertainty: true` the energy std and
   * (when forces are asked) the std of every force component, the per-atom deviation
   * sqrt(sum_a var F_ia) and its maximum. Input checks as for every built-in potential.
   */
  compute(s: Structure, request: Request = { forces: true, stress: false, energies: false }, ctx?: Context): Result {
    const req = request;
    const n = s.length;
    assertValidStructure(s);
    assertStressPeriodic(s, req);
    const nl = neighborsFor(s, this.cutoff, this.name, ctx?.neighbors);
    const { forces, stress, energies } = outputBuffers(n, req, ctx?.out);
    const dsn = gpDesign(this.basis, s, nl, { forces: !!forces, virial: !!stress });
    const M = this.basis.m, a = this.alpha;
    let energy = 0;
    for (let m = 0; m < M; m++) energy += dsn.energy[m]! * a[m]!;
    for (let k = 0; k < this.e0.length; k++) energy += dsn.counts[k]! * this.e0[k]!;
    if (!Number.isFinite(energy)) throw new ValidationError(`${this.name} produced a non-finite energy (${energy}); check the structure and model`);
    const res: Result = { energy };
    if (forces && dsn.forces) {
      const F = dsn.forces;
      for (let r = 0; r < 3 * n; r++) {
        let acc = 0;
        for (let m = 0; m < M; m++) acc += F[r * M + m]! * a[m]!;
        forces[r] = acc;
      }
      res.forces = forces;
    }
    if (stress && dsn.virial) {
      const v = volume(s.cell);
      for (let r = 0; r < 6; r++) {
        let acc = 0;
        for (let m = 0; m < M; m++) acc += dsn.virial[r * M + m]! * a[m]!;
        stress[r] = acc / v;
      }
      res.stress = stress;
    }
    if (energies) {
      for (let i = 0; i < n; i++) {
        let e = this.e0[dsn.sp[i]!]!;
        for (let m = 0; m < M; m++) e += dsn.kval[i * M + m]! * a[m]!;
        energies[i] = e;
      }
      res.energies = energies;
    }
    if (req.uncertainty) {
      if (!this.pK) throw new ValidationError(`${this.name}: this model has no variance factors (saved without them); uncertainty is not available`);
      const v = this.varianceOf(dsn, nl, { forces: !!forces, includeNoise: this.uncertaintyIncludesNoise });
      const unc: Uncertainty = { energyStd: Math.sqrt(v.energy) };
      if (v.forces) {
        const std = new Float64Array(3 * n);
        const atom = new Float64Array(n);
        let max = 0;
        for (let i = 0; i < n; i++) {
          let tot = 0;
          for (let c = 0; c < 3; c++) {
            std[3 * i + c] = Math.sqrt(v.forces[3 * i + c]!);
            tot += v.forces[3 * i + c]!;
          }
          atom[i] = Math.sqrt(tot);
          max = Math.max(max, atom[i]!);
        }
        unc.forceStd = std;
        unc.atomForceDeviation = atom;
        unc.maxForceDeviation = max;
      }
      res.uncertainty = unc;
    }
    return res;
  }

  /** Predictive variances (latent unless includeNoise) of the energy and, optionally, every force component. */
  predictVariance(s: Structure, o: { forces?: boolean; includeNoise?: boolean } = {}, nlGiven?: NeighborList): GPVariance {
    assertValidStructure(s);
    const nl = neighborsFor(s, this.cutoff, this.name, nlGiven);
    const dsn = gpDesign(this.basis, s, nl, { forces: !!o.forces });
    return this.varianceOf(dsn, nl, { forces: !!o.forces, includeNoise: !!o.includeNoise });
  }

  private varianceOf(dsn: GPDesign, nl: NeighborList, o: { forces: boolean; includeNoise: boolean }): GPVariance {
    const pK = this.pK, pA = this.pA, R = this.rank;
    if (!pK || !pA) throw new ValidationError(`${this.name}: no variance factors`);
    const n = dsn.n, size = this.basis.size, M = this.basis.m;
    const norm2 = new Float64Array(n);
    const gram = new Float64Array(n * n);
    const u = dsn.u;
    for (let i = 0; i < n; i++) {
      for (let k = i; k < n; k++) {
        if (dsn.sp[i] !== dsn.sp[k]) continue;
        let acc = 0;
        for (let c = 0; c < size; c++) acc += u[i * size + c]! * u[k * size + c]!;
        gram[i * n + k] = acc;
        gram[k * n + i] = acc;
      }
      norm2[i] = gram[i * n + i]!;
    }
    let ve = energyPriorVariance(this.basis, dsn, gram, norm2);
    for (let q = 0; q < R; q++) {
      let yk = 0, ya = 0;
      for (let m = 0; m < M; m++) {
        yk += pK[q * M + m]! * dsn.energy[m]!;
        ya += pA[q * M + m]! * dsn.energy[m]!;
      }
      ve += ya * ya - yk * yk;
    }
    ve = Math.max(ve, 0);
    if (o.includeNoise) ve += (this.noise.energy * n) ** 2;
    const res: GPVariance = { energy: ve };
    if (o.forces && dsn.forces && n > 0) {
      const nr = 3 * n;
      const prior = new Float64Array(nr);
      forcePriorVariance(this.basis, dsn, nl, gram, norm2, prior);
      const F = dsn.forces;
      const bk = new Float64Array(R * nr), ba = new Float64Array(R * nr);
      gemm(false, true, R, nr, M, 1, pK, M, F, M, 0, bk, nr);
      gemm(false, true, R, nr, M, 1, pA, M, F, M, 0, ba, nr);
      for (let m = 0; m < R; m++) {
        const o2 = m * nr;
        for (let r = 0; r < nr; r++) prior[r] += ba[o2 + r]! * ba[o2 + r]! - bk[o2 + r]! * bk[o2 + r]!;
      }
      const add = o.includeNoise ? this.noise.forces ** 2 : 0;
      for (let r = 0; r < nr; r++) prior[r] = Math.max(prior[r]!, 0) + add;
      res.forces = prior;
    }
    return res;
  }

  toJSON(): GPModelJSON {
    const b = this.basis, size = b.size;
    const json: GPModelJSON = {
      format: 'mlpot-model',
      version: 1,
      type: 'gp',
      descriptor: b.descriptor.toJSON(),
      species: [...this.species],
      kernel: { ...b.kernel },
      invScale: this.species.map((_, s) => Array.from(b.invScale.subarray(s * size, (s + 1) * size))),
      sparse: { species: Array.from(b.sparseSpecies, (s) => this.species[s]!), points: Array.from({ length: b.m }, (_, m) => Array.from(b.sparse.subarray(m * size, (m + 1) * size))) },
      alpha: Array.from(this.alpha),
      e0: Array.from(this.e0),
      noise: { ...this.noise },
      variance: this.pK && this.pA ? { rank: this.rank, pK: Array.from(this.pK), pA: Array.from(this.pA) } : null,
      uncertaintyIncludesNoise: this.uncertaintyIncludesNoise,
    };
    if (this.training !== undefined) json.training = this.training;
    return json;
  }

  /** Rebuild from `toJSON()` output (after JSON.parse); errors name the offending field. */
  static fromJSON(json: unknown): GPPotential {
    const h = readModelHeader(json, 'gp');
    const { j, desc, bad } = h;
    let kernel: KernelSpec;
    try {
      kernel = checkKernel(j['kernel'], 'kernel');
    } catch (e) {
      return bad('kernel', (e as Error).message);
    }
    const ns = desc.species.length, size = desc.size;
    const nums = (v: unknown, len: number, field: string): number[] => {
      if (!Array.isArray(v) || v.length !== len) return bad(field, `must be an array of ${len} numbers, got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
      v.forEach((x, k) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) bad(`${field}[${k}]`, `must be a finite number, got ${JSON.stringify(x)}`);
      });
      return v as number[];
    };
    const inv = j['invScale'];
    if (!Array.isArray(inv) || inv.length !== ns) bad('invScale', `must be ${ns} arrays (one per species)`);
    const invScale = (inv as unknown[]).flatMap((row, s) => nums(row, size, `invScale[${s}]`));
    const sparse = j['sparse'] as { species?: unknown; points?: unknown } | undefined;
    if (typeof sparse !== 'object' || sparse === null) bad('sparse', 'must be an object {species, points}');
    const sps = sparse!.species, pts = sparse!.points;
    if (!Array.isArray(sps)) return bad('sparse.species', 'must be an array of atomic numbers');
    const M = sps.length;
    const sparseSpecies = sps.map((z, m) => {
      const k = desc.species.indexOf(z as number);
      if (k < 0) bad(`sparse.species[${m}]`, `must be one of ${JSON.stringify(desc.species)}, got ${JSON.stringify(z)}`);
      return k;
    });
    if (!Array.isArray(pts) || pts.length !== M) bad('sparse.points', `must have ${M} points (one per sparse.species entry)`);
    const points = (pts as unknown[]).flatMap((row, m) => nums(row, size, `sparse.points[${m}]`));
    const alpha = nums(j['alpha'], M, 'alpha');
    const e0 = nums(j['e0'], ns, 'e0');
    const noise = j['noise'] as { [k: string]: unknown } | undefined;
    if (typeof noise !== 'object' || noise === null) bad('noise', 'must be an object {energy, forces, stress}');
    for (const key of ['energy', 'forces', 'stress']) {
      const v = noise![key];
      if (typeof v !== 'number' || !(v > 0)) bad(`noise.${key}`, `must be a number > 0, got ${JSON.stringify(v)}`);
    }
    const opts: GPPotentialOptions = {
      descriptor: desc,
      kernel,
      invScale,
      sparseSpecies,
      sparse: points,
      alpha,
      e0,
      noise: { energy: noise!['energy'] as number, forces: noise!['forces'] as number, stress: noise!['stress'] as number },
    };
    const v = j['variance'];
    if (v !== null && v !== undefined) {
      const vv = v as { rank?: unknown; pK?: unknown; pA?: unknown };
      const r = vv.rank;
      if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > M) bad('variance.rank', `must be an integer in 1..${M}, got ${JSON.stringify(r)}`);
      opts.variance = { pK: nums(vv.pK, (r as number) * M, 'variance.pK'), pA: nums(vv.pA, (r as number) * M, 'variance.pA') };
    }
    const inc = j['uncertaintyIncludesNoise'];
    if (inc !== undefined && typeof inc !== 'boolean') bad('uncertaintyIncludesNoise', 'must be true or false');
    if (typeof inc === 'boolean') opts.uncertaintyIncludesNoise = inc;
    const training = readTraining(h);
    if (training !== undefined) opts.training = training;
    return new GPPotential(opts);
  }
}
