/**
 * Fitting sparse GP potentials (`models/gp.ts`): feature scaling, sparse-point selection (CUR or
 * farthest-point, per species, seeded), the DTC / projected-process solve from accumulated sums,
 * hyper-parameters by maximising the log marginal likelihood, and incremental updates.
 *
 * Observations y (energies minus sum_i e0_{Z_i}, force components, stress components) are linear
 * functionals of the local energies; their rows K_NM come from `gpDesign`. With Sigma diagonal
 * (per type t: energy rows sigma_E^2 N_k^2, force rows sigma_F^2, stress rows sigma_S^2), the
 * kernel k = sigma^2 k~ and K~_MM = V Lambda V^T, the trainer works in the weight space of the
 * Nystrom features phi_n = W^T k~_n, W = V_r Lambda_r^-1/2 (the r eigen-directions with
 * lambda > kmmTolerance x lambda_max), so that Q = K_NM K_MM^+ K_MN = sigma^2 Phi Phi^T. Per type
 * it accumulates, at sigma = 1 and with rows whitened *before* they are squared,
 *
 *   D_t = sum_rows w phi_n phi_n^T,   z_t = sum_rows w phi_n y_n,   s_t = sum_rows w y_n^2,   n_t
 *
 * (w = 1/N_k^2 for energy rows, 1 otherwise), so that for any noise levels and sigma
 *
 *   B     = I + sigma^2 sum_t D_t / sigma_t^2 = L_B L_B^T                 (r x r, eigenvalues >= 1)
 *   b_w   = sigma sum_t z_t / sigma_t^2,   alpha = W B^-1 b_w / sigma
 *   log p(y) = -1/2 [ sum_t s_t/sigma_t^2 - b_w^T B^-1 b_w + log|B| + log|Sigma| + n log 2 pi ]
 *
 * (the DTC evidence log N(y; 0, Q + Sigma) by the Woodbury identity and the matrix determinant
 * lemma). Changing noise levels or sigma costs one r x r Cholesky and no kernel work; adding
 * frames adds to the sums (`GPTrainer.add`), so the model updates without refitting from scratch.
 * The energy sums are kept linear in e0 (z_E = z0 - P e0, s_E = s0 - 2 e0.c + e0^T NN e0) so the
 * per-element offsets e0 = argmin sum_k (E_k - n_k.e0)^2 / N_k^2 are re-estimated on every update.
 * Accumulating W^T G W from an M-space Gram matrix G instead squares the condition number of
 * K_MM; on mlearn Si that lost a third of the directions or broke the factorisation (docs/gp.md).
 *
 * Hyper-parameters: sigma and the noise levels by Nelder-Mead on their logarithms (cheap, only
 * scalars change; levels named in `fixNoise` stay at their starting values); the kernel's shape (zeta or length scale) by evaluating the optimised evidence
 * on a small list of candidates (each recomputes the kernels).
 *
 * | symbol            | variable                                           |
 * |-------------------|----------------------------------------------------|
 * | K~_MM             | kmm (sigma = 1)                                    |
 * | W                 | wUnit (M x r)                                      |
 * | D_t, z_t, s_t, n_t | sums[t].g (upper triangle), .r, .s, .n            |
 * | P, c, NN, s0      | eP (r x ns), eC, eNN, sums.energy.s (at e0 = 0)    |
 * | sigma, sigma_t    | hyper.sigma, hyper.noise.{energy, forces, stress}  |
 */
import { ValidationError } from '../core/errors.js';
import { cholesky, eighSymmetric, gemm, NotPositiveDefiniteError, solveLower, solveLowerTransposed, syrk } from '../core/linalg.js';
import { Rng } from '../core/rng.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { LabelKeys } from '../io/labels.js';
import { forwardSolveColumns, GPBasis, GPPotential, gpDesign, type GPNoise } from '../models/gp.js';
import { kernelValue, shapeParameter, withShape, withSigma, type KernelSpec } from '../models/kernels.js';
import { speciesIndices } from '../models/linear.js';
import { buildNeighborList } from '../neighbors/build.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { calibration, type CalibrationRecord } from './calibration.js';
import { makeDataset, type DatasetOptions, type TrainingRecord } from './dataset.js';
import { evaluatePotential, type MetricsRecord } from './metrics.js';

export type SparseMethod = 'cur' | 'fps' | 'random' | 'all';

export interface GPHyper {
  /** Kernel signal std sigma (eV). */
  sigma: number;
  noise: GPNoise;
}

export interface GPFitOptions {
  descriptor: Descriptor;
  /** Kernel; its sigma is the starting value when optimising. Default dot, zeta = 2, sigma = 1. */
  kernel?: KernelSpec;
  /** Candidate zetas (dot) or length scales (se): the one with the largest optimised evidence wins. */
  shapes?: readonly number[];
  /** Sparse points per species (default 200, at most the atoms of that species) and how they are chosen (default 'cur'). */
  sparse?: { method?: SparseMethod; count?: number; seed?: number };
  /** Feature scaling: divide by the per-species feature std (default 'std') or none. */
  scaling?: 'std' | 'none';
  /** Starting noise levels (defaults 0.005 eV/atom, 0.1 eV/Å, 0.01 eV/Å^3). */
  noise?: Partial<GPNoise>;
  /** Optimise sigma and the noise levels by the evidence (default true). */
  optimize?: boolean;
  /**
   * Noise levels held at their starting values (`noise`) while the others and sigma are optimised
   * (default none). Use: the evidence is dominated by the many force rows, so on data whose
   * energies the model cannot match as well as its forces (mlearn surfaces) it raises sigma_E and
   * the energies are fitted loosely; a fixed sigma_E weights them as the user chooses.
   */
  fixNoise?: readonly ('energy' | 'forces' | 'stress')[];
  /** Lower bounds for the optimised noise levels (defaults 1e-4 eV/atom, 1e-3 eV/Å, 1e-5 eV/Å^3). */
  minNoise?: Partial<GPNoise>;
  /** Observation types to use (defaults: energy and forces when labelled, stress false). */
  use?: { energy?: boolean; forces?: boolean; stress?: boolean };
  /** Fixed per-species e0 (eV/atom); default: least squares on the energies per atom. */
  e0?: readonly number[];
  /** Eigen-directions of K_MM with eigenvalue <= kmmTolerance x the largest are dropped (default 1e-12). */
  kmmTolerance?: number;
  labels?: LabelKeys;
  /** Frames only evaluated (metrics and calibration in the report), never fitted. */
  validation?: readonly Structure[];
}

/** Calibration of a GP's predicted uncertainties on labelled records. */
export interface GPCalibration {
  /** Force components: fraction within 1 and 2 sigma, sigma-error rank correlation (calibration.ts). */
  forces: CalibrationRecord;
  /** Fraction of total-energy errors within 1 and 2 predicted sigma (null without energy labels). */
  energyWithin1: number | null;
  energyWithin2: number | null;
}

export interface GPFitReport {
  kernel: KernelSpec;
  noise: GPNoise;
  logEvidence: number;
  /** Optimised evidence for every shape candidate. */
  shapePath: { shape: number; logEvidence: number; sigma: number; noise: GPNoise }[];
  sparse: { method: SparseMethod; perSpecies: number[]; total: number; seed: number; /** Kept eigen-directions of K_MM. */ rank: number };
  e0: number[];
  nFrames: number;
  observations: { energy: number; forces: number; stress: number };
  /** Wall times (s): descriptors + scaling + selection, accumulation (all shapes), optimisation, total. */
  timeS: { select: number; accumulate: number; optimize: number; total: number };
  metrics: { train: MetricsRecord; validation?: MetricsRecord };
  calibration?: { train?: GPCalibration; validation?: GPCalibration };
}

export interface GPFitResult {
  potential: GPPotential;
  report: GPFitReport;
  /** The accumulated sums of the chosen shape: `trainer.add(frames)` then `trainer.model(hyper)` updates. */
  trainer: GPTrainer;
  hyper: GPHyper;
}

type ObsType = 'energy' | 'forces' | 'stress';
const TYPES: readonly ObsType[] = ['energy', 'forces', 'stress'];

interface Sums {
  g: Float64Array;
  r: Float64Array;
  s: number;
  n: number;
}

/**
 * Accumulated sufficient statistics of a sparse GP on a fixed basis (sparse points, scaling,
 * kernel shape). `add` streams frames; `model`/`logEvidence` solve for any sigma and noise.
 */
export class GPTrainer {
  readonly basis: GPBasis;
  readonly use: { energy: boolean; forces: boolean; stress: boolean };
  readonly kmmTolerance: number;
  /** Kept eigen-directions of K~_MM. */
  readonly rank: number;
  readonly fixedE0: Float64Array | null;
  private readonly kmm: Float64Array;
  /** W = V_r Lambda_r^-1/2 (M x r): W W^T = K~_MM^+ on the kept directions. */
  private readonly wUnit: Float64Array;
  private readonly sums: Record<ObsType, Sums>;
  private readonly eP: Float64Array;
  private readonly eC: Float64Array;
  private readonly eNN: Float64Array;
  private logN2 = 0;
  private cache: { d: Record<ObsType, Float64Array | null>; z: Record<ObsType, Float64Array | null>; s: Record<ObsType, number>; e0: Float64Array } | null = null;
  nFrames = 0;

  constructor(basis: GPBasis, o: { use?: { energy?: boolean; forces?: boolean; stress?: boolean }; kmmTolerance?: number; e0?: readonly number[] } = {}) {
    this.basis = new GPBasis({ descriptor: basis.descriptor, kernel: withSigma(basis.kernel, 1), invScale: basis.invScale, sparseSpecies: basis.sparseSpecies, sparse: basis.sparse });
    const b = this.basis, M = b.m, ns = b.ns, size = b.size;
    if (M === 0) throw new ValidationError('GP: no sparse points');
    this.use = { energy: o.use?.energy ?? true, forces: o.use?.forces ?? true, stress: o.use?.stress ?? false };
    this.kmmTolerance = o.kmmTolerance ?? 1e-12;
    if (!(this.kmmTolerance >= 0 && this.kmmTolerance < 1)) throw new ValidationError(`GP: kmmTolerance must be in [0, 1), got ${this.kmmTolerance}`);
    if (o.e0 && o.e0.length !== ns) throw new ValidationError(`GP: e0 has ${o.e0.length} values; expected one per species (${ns})`);
    this.fixedE0 = o.e0 ? Float64Array.from(o.e0) : null;
    this.kmm = new Float64Array(M * M);
    for (let m = 0; m < M; m++) {
      for (let m2 = m; m2 < M; m2++) {
        if (b.sparseSpecies[m] !== b.sparseSpecies[m2]) continue;
        const v = kernelValue(b.kernel, b.sparse, m * size, b.sparse, m2 * size, size);
        this.kmm[m * M + m2] = v;
        this.kmm[m2 * M + m] = v;
      }
    }
    const { values, vectors } = eighSymmetric(this.kmm, M);
    const top = values[M - 1]!;
    const keep: number[] = [];
    for (let k = M - 1; k >= 0; k--) if (values[k]! > this.kmmTolerance * top && values[k]! > 0) keep.push(k);
    if (keep.length === 0) throw new ValidationError('GP: K_MM has no positive eigenvalue (all sparse points have zero kernel)');
    this.rank = keep.length;
    const r = this.rank;
    this.wUnit = new Float64Array(M * r);
    keep.forEach((k, c) => {
      const f = 1 / Math.sqrt(values[k]!);
      for (let m = 0; m < M; m++) this.wUnit[m * r + c] = vectors[m * M + k]! * f;
    });
    const mk = (): Sums => ({ g: new Float64Array(r * r), r: new Float64Array(r), s: 0, n: 0 });
    this.sums = { energy: mk(), forces: mk(), stress: mk() };
    this.eP = new Float64Array(r * ns);
    this.eC = new Float64Array(ns);
    this.eNN = new Float64Array(ns * ns);
  }

  /** Observations accumulated per type. */
  get observations(): { energy: number; forces: number; stress: number } {
    return { energy: this.sums.energy.n, forces: this.sums.forces.n, stress: this.sums.stress.n };
  }

  /**
   * Add labelled records (from `makeDataset`): their rows, whitened (phi = W^T k~, so the sums are
   * accumulated directly in the r-dimensional weight space and never squared in the M-space), go
   * into the sums.
   */
  add(records: readonly TrainingRecord[]): void {
    this.cache = null;
    const b = this.basis, M = b.m, ns = b.ns, R = this.rank, W = this.wUnit;
    for (const rec of records) {
      const s = rec.structure;
      const wantF = this.use.forces && rec.forces !== undefined;
      const wantS = this.use.stress && rec.stress !== undefined;
      const wantE = this.use.energy && rec.energy !== undefined;
      if (!wantF && !wantS && !wantE) continue;
      const nl = buildNeighborList(s, b.descriptor.cutoff);
      const d = gpDesign(b, s, nl, { forces: wantF, virial: wantS });
      this.nFrames++;
      if (wantE) {
        const N = rec.natoms, w = 1 / (N * N);
        const t = this.sums.energy;
        const e = rec.energy!;
        const phi = new Float64Array(R);
        gemm(true, false, R, 1, M, 1, W, R, d.energy, 1, 0, phi, 1);
        for (let c = 0; c < R; c++) {
          const pc = phi[c]! * w;
          if (pc === 0) continue;
          for (let c2 = c; c2 < R; c2++) t.g[c * R + c2] += pc * phi[c2]!;
          t.r[c] += pc * e;
          for (let k = 0; k < ns; k++) this.eP[c * ns + k] += pc * d.counts[k]!;
        }
        t.s += w * e * e;
        t.n += 1;
        for (let k = 0; k < ns; k++) {
          this.eC[k] += w * d.counts[k]! * e;
          for (let k2 = 0; k2 < ns; k2++) this.eNN[k * ns + k2] += w * d.counts[k]! * d.counts[k2]!;
        }
        this.logN2 += Math.log(N * N);
      }
      if (wantF && d.forces) {
        const nr = 3 * rec.natoms;
        this.addRows(this.sums.forces, d.forces, nr, rec.forces!);
      }
      if (wantS && d.virial) {
        const rows = new Float64Array(6 * M);
        const iv = 1 / volume(s.cell);
        for (let k = 0; k < 6 * M; k++) rows[k] = d.virial[k]! * iv;
        this.addRows(this.sums.stress, rows, 6, rec.stress!);
      }
    }
  }

  /** Whiten `nr` design rows (nr x M) and add them with targets y (unit weights). */
  private addRows(t: Sums, rows: Float64Array, nr: number, y: ArrayLike<number>): void {
    const M = this.basis.m, R = this.rank;
    const phi = new Float64Array(nr * R);
    gemm(false, false, nr, R, M, 1, rows, M, this.wUnit, R, 0, phi, R);
    syrk(true, R, nr, 1, phi, R, 1, t.g, R);
    for (let r = 0; r < nr; r++) {
      const yr = y[r]!;
      t.s += yr * yr;
      if (yr === 0) continue;
      const o = r * R;
      for (let c = 0; c < R; c++) t.r[c] += phi[o + c]! * yr;
    }
    t.n += nr;
  }

  /** e0 in use: fixed, or least squares on energies per atom (pseudo-inverse; 0 without energies). */
  e0(): Float64Array {
    if (this.fixedE0) return this.fixedE0;
    const ns = this.basis.ns;
    const out = new Float64Array(ns);
    if (this.sums.energy.n === 0) return out;
    const { values, vectors } = eighSymmetric(this.eNN, ns);
    const top = values[ns - 1]!;
    for (let k = 0; k < ns; k++) {
      if (!(values[k]! > 1e-12 * top)) continue;
      let proj = 0;
      for (let c = 0; c < ns; c++) proj += vectors[c * ns + k]! * this.eC[c]!;
      for (let c = 0; c < ns; c++) out[c] += (vectors[c * ns + k]! * proj) / values[k]!;
    }
    return out;
  }

  /** r_E and s_E at the current e0. */
  private energyTerms(e0: Float64Array): { r: Float64Array; s: number } {
    const R = this.rank, ns = this.basis.ns, t = this.sums.energy;
    const r = Float64Array.from(t.r);
    for (let c = 0; c < R; c++) for (let k = 0; k < ns; k++) r[c] -= this.eP[c * ns + k]! * e0[k]!;
    let s = t.s;
    for (let k = 0; k < ns; k++) {
      s -= 2 * e0[k]! * this.eC[k]!;
      for (let k2 = 0; k2 < ns; k2++) s += e0[k]! * this.eNN[k * ns + k2]! * e0[k2]!;
    }
    return { r, s };
  }

  /**
   * Per-type whitened sums (cached until the next `add`): D_t = W^T G_t W and z_t = W^T r_t
   * (r_E at the current e0), W = V_r Lambda_r^-1/2 from K~_MM = V Lambda V^T, as accumulated.
   */
  private whitened(): { d: Record<ObsType, Float64Array | null>; z: Record<ObsType, Float64Array | null>; s: Record<ObsType, number>; e0: Float64Array } {
    if (this.cache) return this.cache;
    const e0 = this.e0();
    const en = this.energyTerms(e0);
    const d: Record<ObsType, Float64Array | null> = { energy: null, forces: null, stress: null };
    const z: Record<ObsType, Float64Array | null> = { energy: null, forces: null, stress: null };
    const sv: Record<ObsType, number> = { energy: 0, forces: 0, stress: 0 };
    const R = this.rank;
    for (const t of TYPES) {
      const sm = this.sums[t];
      if (sm.n === 0) continue;
      const dt = new Float64Array(R * R);
      for (let c = 0; c < R; c++) {
        for (let c2 = c; c2 < R; c2++) {
          dt[c * R + c2] = sm.g[c * R + c2]!;
          dt[c2 * R + c] = sm.g[c * R + c2]!;
        }
      }
      d[t] = dt;
      z[t] = t === 'energy' ? en.r : Float64Array.from(sm.r);
      sv[t] = t === 'energy' ? en.s : sm.s;
    }
    this.cache = { d, z, s: sv, e0 };
    return this.cache;
  }

  /**
   * Solve for hyper-parameters h: alpha, variance factors, log evidence, in the weight space of
   * the Nystrom features phi = sigma k~_{M} W (so Q = Phi Phi^T, K_MM^+ = W W^T / sigma^2):
   *   B = I + Phi^T Sigma^-1 Phi = I + sigma^2 sum_t D_t / sigma_t^2 = L_B L_B^T
   *   z = L_B^-1 (sigma sum_t z_t / sigma_t^2),   alpha = W L_B^-T z / sigma
   *   log p = -1/2 [ sum_t s_t / sigma_t^2 - |z|^2 + log|B| + log|Sigma| + n log 2 pi ]
   *   P_K = W^T / sigma,  P_A = L_B^-1 W^T / sigma        (variance factors, r x M)
   * B has eigenvalues >= 1 in exact arithmetic; if rounding breaks its Cholesky factorisation, its
   * eigenvalues are clamped at 1 (reported by `clamped`).
   */
  solve(h: GPHyper): { alpha: Float64Array; pK: Float64Array; pA: Float64Array; logEvidence: number; e0: Float64Array; clamped: boolean } {
    const M = this.basis.m, R = this.rank, W = this.wUnit;
    const w = this.whitened();
    const s2 = h.sigma * h.sigma;
    const B = new Float64Array(R * R);
    for (let m = 0; m < R; m++) B[m * R + m] = 1;
    const y = new Float64Array(R);
    let quad = 0, logSigma = 0, nObs = 0;
    for (const t of TYPES) {
      const d = w.d[t], z = w.z[t];
      if (!d || !z) continue;
      const sm = this.sums[t];
      const nv = h.noise[t];
      if (!(nv > 0)) throw new ValidationError(`GP: noise.${t} must be > 0, got ${nv}`);
      const inv = 1 / (nv * nv);
      const c = s2 * inv;
      for (let k = 0; k < R * R; k++) B[k] += c * d[k]!;
      for (let m = 0; m < R; m++) y[m] += h.sigma * inv * z[m]!;
      quad += w.s[t] * inv;
      logSigma += sm.n * Math.log(nv * nv);
      nObs += sm.n;
    }
    if (this.sums.energy.n > 0) logSigma += this.logN2;
    let lB: Float64Array;
    let clamped = false;
    try {
      lB = cholesky(B, R, undefined, { where: 'GP B = I + Phi^T Sigma^-1 Phi' });
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      clamped = true;
      const { values, vectors } = eighSymmetric(B, R);
      const Bc = new Float64Array(R * R);
      for (let k = 0; k < R; k++) {
        const lam = Math.max(values[k]!, 1);
        for (let a = 0; a < R; a++) {
          const va = vectors[a * R + k]! * lam;
          if (va === 0) continue;
          for (let b = a; b < R; b++) Bc[a * R + b] += va * vectors[b * R + k]!;
        }
      }
      lB = cholesky(Bc, R, undefined, { where: 'GP B (clamped)' });
    }
    const z = solveLower(lB, R, y);
    let zz = 0, ldB = 0;
    for (let m = 0; m < R; m++) {
      zz += z[m]! * z[m]!;
      ldB += 2 * Math.log(lB[m * R + m]!);
    }
    const logEvidence = -0.5 * (quad - zz + ldB + logSigma + nObs * Math.log(2 * Math.PI));
    const wv = solveLowerTransposed(lB, R, z);
    const alpha = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let acc = 0;
      for (let c = 0; c < R; c++) acc += W[m * R + c]! * wv[c]!;
      alpha[m] = acc / h.sigma;
    }
    const pK = new Float64Array(R * M);
    for (let m = 0; m < M; m++) for (let c = 0; c < R; c++) pK[c * M + m] = W[m * R + c]! / h.sigma;
    const pA = forwardSolveColumns(lB, R, Float64Array.from(pK), M);
    return { alpha, pK, pA, logEvidence, e0: w.e0, clamped };
  }

  logEvidence(h: GPHyper): number {
    return this.solve(h).logEvidence;
  }

  /** The potential for hyper-parameters h (kernel sigma = h.sigma). */
  model(h: GPHyper, training?: { [k: string]: unknown }): GPPotential {
    const sol = this.solve(h);
    const b = this.basis;
    return new GPPotential({
      descriptor: b.descriptor,
      kernel: withSigma(b.kernel, h.sigma),
      invScale: b.invScale,
      sparseSpecies: b.sparseSpecies,
      sparse: b.sparse,
      alpha: sol.alpha,
      e0: sol.e0,
      noise: { ...h.noise },
      variance: { pK: sol.pK, pA: sol.pA },
      ...(training ? { training } : {}),
    });
  }

  /**
   * Maximise the evidence over log sigma and the log noise levels of the observed types not in
   * `fixed` (those stay at `start`) (Nelder-Mead; noise clamped below by `minNoise`).
   */
  optimize(start: GPHyper, minNoise: GPNoise, maxIter = 300, fixed: readonly ObsType[] = []): { hyper: GPHyper; logEvidence: number; evaluations: number } {
    const active = TYPES.filter((t) => this.sums[t].n > 0 && !fixed.includes(t));
    const x0 = [Math.log(start.sigma), ...active.map((t) => Math.log(start.noise[t]))];
    const toHyper = (x: readonly number[]): GPHyper => {
      const noise = { ...start.noise };
      active.forEach((t, k) => (noise[t] = Math.max(Math.exp(x[k + 1]!), minNoise[t])));
      return { sigma: Math.exp(x[0]!), noise };
    };
    let evaluations = 0;
    const f = (x: readonly number[]): number => {
      evaluations++;
      try {
        return -this.logEvidence(toHyper(x));
      } catch {
        return Infinity;
      }
    };
    const best = nelderMead(f, x0, 0.7, maxIter, 1e-7);
    return { hyper: toHyper(best.x), logEvidence: -best.f, evaluations };
  }
}

/** Minimise f from x0 (simplex edge `step`), until the simplex's f spread < tol (absolute) or maxIter. */
export function nelderMead(f: (x: readonly number[]) => number, x0: readonly number[], step: number, maxIter: number, tol: number): { x: number[]; f: number } {
  const n = x0.length;
  let pts: { x: number[]; f: number }[] = [{ x: [...x0], f: f(x0) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] = x[i]! + step;
    pts.push({ x, f: f(x) });
  }
  const comb = (a: readonly number[], b: readonly number[], t: number): number[] => a.map((v, k) => v + t * (b[k]! - v));
  for (let it = 0; it < maxIter; it++) {
    pts.sort((a, b) => a.f - b.f);
    if (Math.abs(pts[n]!.f - pts[0]!.f) < tol) break;
    const c = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) c[k] = c[k]! + pts[i]!.x[k]! / n;
    const worst = pts[n]!;
    const xr = comb(c, worst.x, -1);
    const fr = f(xr);
    if (fr < pts[0]!.f) {
      const xe = comb(c, worst.x, -2);
      const fe = f(xe);
      pts[n] = fe < fr ? { x: xe, f: fe } : { x: xr, f: fr };
    } else if (fr < pts[n - 1]!.f) {
      pts[n] = { x: xr, f: fr };
    } else {
      const xc = fr < worst.f ? comb(c, xr, 0.5) : comb(c, worst.x, 0.5);
      const fc = f(xc);
      if (fc < Math.min(fr, worst.f)) {
        pts[n] = { x: xc, f: fc };
      } else {
        const b = pts[0]!;
        pts = pts.map((p, i) => (i === 0 ? p : { x: comb(b.x, p.x, 0.5), f: 0 }));
        for (let i = 1; i <= n; i++) pts[i]!.f = f(pts[i]!.x);
      }
    }
  }
  pts.sort((a, b) => a.f - b.f);
  return pts[0]!;
}

/** Raw per-atom descriptor rows of the records, grouped by species (rows of `size`). */
export function featuresBySpecies(desc: Descriptor, records: readonly TrainingRecord[]): Float64Array[] {
  const ns = desc.species.length, size = desc.size;
  const chunks: number[][] = Array.from({ length: ns }, () => []);
  for (const rec of records) {
    const s = rec.structure;
    const sp = speciesIndices(desc.species, s, desc.name);
    const feats = new Float64Array(s.length * size);
    desc.compute(s, buildNeighborList(s, desc.cutoff), feats);
    for (let i = 0; i < s.length; i++) for (let k = 0; k < size; k++) chunks[sp[i]!]!.push(feats[i * size + k]!);
  }
  return chunks.map((c) => Float64Array.from(c));
}

/** Per-species feature scaling w: 1/std (0 for features constant within the species) or 1. */
export function featureScaling(perSpecies: readonly Float64Array[], size: number, mode: 'std' | 'none'): Float64Array {
  const ns = perSpecies.length;
  const w = new Float64Array(ns * size).fill(1);
  if (mode === 'none') return w;
  for (let s = 0; s < ns; s++) {
    const X = perSpecies[s]!, n = X.length / size;
    if (n < 2) continue;
    const std = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += X[i * size + k]!;
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (X[i * size + k]! - mean) ** 2;
      std[k] = Math.sqrt(v / n);
    }
    const top = Math.max(...std);
    for (let k = 0; k < size; k++) w[s * size + k] = std[k]! > 1e-10 * top && std[k]! > 0 ? 1 / std[k]! : 0;
  }
  return w;
}

/**
 * Choose `count` rows of the scaled n x size matrix U (one species):
 *  - 'fps': farthest-point sampling from a seeded random start; distance |u - v| ('se', 'poly') or
 *    the angle 1 - u.v/(|u||v|) ('dot'), so the choice does not depend on zeta or the length scale;
 *  - 'cur': leverage scores l_i = (1/k) sum_{j<k} (U_i . v_j)^2 / s_j^2 of the top-k right
 *    singular vectors (k = min(count, rank)), rows drawn without replacement with p ~ l (seeded);
 *  - 'random': uniform without replacement; 'all': every row.
 */
export function selectSparse(U: Float64Array, size: number, count: number, method: SparseMethod, kernel: KernelSpec['type'], seed: number): number[] {
  const n = U.length / size;
  const c = Math.min(count, n);
  const rng = new Rng(seed);
  if (method === 'all' || c >= n) return Array.from({ length: n }, (_, i) => i);
  if (c <= 0) return [];
  if (method === 'random') return rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, c).sort((a, b) => a - b);
  if (method === 'fps') {
    const norm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let a = 0;
      for (let k = 0; k < size; k++) a += U[i * size + k]! ** 2;
      norm[i] = Math.sqrt(a);
    }
    const dist = (i: number, j: number): number => {
      let q = 0, d2 = 0;
      for (let k = 0; k < size; k++) {
        const a = U[i * size + k]!, b = U[j * size + k]!;
        q += a * b;
        d2 += (a - b) ** 2;
      }
      if (kernel !== 'dot') return d2;
      return norm[i]! > 0 && norm[j]! > 0 ? 1 - q / (norm[i]! * norm[j]!) : 1;
    };
    const chosen = [rng.int(n)];
    const dmin = new Float64Array(n).fill(Infinity);
    while (chosen.length < c) {
      const last = chosen[chosen.length - 1]!;
      let best = -1, bestD = -1;
      for (let i = 0; i < n; i++) {
        const d = Math.min(dmin[i]!, dist(i, last));
        dmin[i] = d;
        if (d > bestD) {
          bestD = d;
          best = i;
        }
      }
      if (bestD <= 0) break; // only duplicates left
      chosen.push(best);
    }
    return chosen.sort((a, b) => a - b);
  }
  // CUR leverage scores from the Gram matrix U^T U = V S^2 V^T
  const gram = new Float64Array(size * size);
  syrk(true, size, n, 1, U, size, 0, gram, size);
  for (let a = 0; a < size; a++) for (let b = 0; b < a; b++) gram[a * size + b] = gram[b * size + a]!;
  const { values, vectors } = eighSymmetric(gram, size);
  const top = values[size - 1]!;
  const cols: number[] = [];
  for (let j = size - 1; j >= 0 && cols.length < c; j--) if (values[j]! > 1e-12 * top) cols.push(j);
  const lev = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const j of cols) {
      let p = 0;
      for (let k = 0; k < size; k++) p += U[i * size + k]! * vectors[k * size + j]!;
      acc += (p * p) / values[j]!;
    }
    lev[i] = acc / Math.max(1, cols.length) + 1e-300;
  }
  // weighted sampling without replacement: keys u^(1/l) (Efraimidis-Spirakis), largest c
  const keys = Array.from({ length: n }, (_, i) => ({ i, key: Math.log(Math.max(rng.uniform(), 1e-300)) / lev[i]! }));
  keys.sort((a, b) => b.key - a.key);
  return keys.slice(0, c).map((k) => k.i).sort((a, b) => a - b);
}

/**
 * Predicted std (`compute(..., {uncertainty: true})`, i.e. including the noise unless the model
 * says otherwise) against actual errors: force components through `calibration` (within 1 and 2
 * sigma, Spearman rank correlation of sigma and |error|), energies within 1 and 2 sigma.
 */
export function gpCalibration(pot: GPPotential, records: readonly TrainingRecord[]): GPCalibration {
  const errors: number[] = [], sigmas: number[] = [];
  let ne = 0, e1 = 0, e2 = 0;
  for (const r of records) {
    const res = pot.compute(r.structure, { forces: r.forces !== undefined, uncertainty: true });
    const u = res.uncertainty!;
    if (r.forces && res.forces && u.forceStd) {
      for (let k = 0; k < r.forces.length; k++) {
        errors.push(res.forces[k]! - r.forces[k]!);
        sigmas.push(u.forceStd[k]!);
      }
    }
    if (r.energy !== undefined && u.energyStd !== undefined) {
      const e = Math.abs(res.energy - r.energy);
      ne++;
      if (e <= u.energyStd) e1++;
      if (e <= 2 * u.energyStd) e2++;
    }
  }
  return { forces: calibration(errors, sigmas), energyWithin1: ne ? e1 / ne : null, energyWithin2: ne ? e2 / ne : null };
}

/** The basis (scaling + sparse points) for records: features, scaling, per-species selection. */
export function gpBasisFor(records: readonly TrainingRecord[], desc: Descriptor, kernel: KernelSpec, o: { method: SparseMethod; count: number; seed: number; scaling: 'std' | 'none' }): { basis: GPBasis; perSpecies: number[] } {
  const size = desc.size;
  const raw = featuresBySpecies(desc, records);
  const w = featureScaling(raw, size, o.scaling);
  const sparse: number[] = [];
  const sparseSpecies: number[] = [];
  const perSpecies: number[] = [];
  raw.forEach((X, s) => {
    const n = X.length / size;
    const U = new Float64Array(X.length);
    for (let i = 0; i < n; i++) for (let k = 0; k < size; k++) U[i * size + k] = X[i * size + k]! * w[s * size + k]!;
    const idx = selectSparse(U, size, o.count, o.method, kernel.type, o.seed + 7919 * s);
    perSpecies.push(idx.length);
    for (const i of idx) {
      sparseSpecies.push(s);
      for (let k = 0; k < size; k++) sparse.push(U[i * size + k]!);
    }
  });
  return { basis: new GPBasis({ descriptor: desc, kernel, invScale: w, sparseSpecies, sparse }), perSpecies };
}

/** Fit a sparse GP potential to labelled frames (see the module comment). */
export function fitGP(frames: readonly Structure[], opts: GPFitOptions): GPFitResult {
  const t0 = Date.now();
  const desc = opts.descriptor;
  const kernel0: KernelSpec = opts.kernel ?? { type: 'dot', zeta: 2, sigma: 1 };
  const dsOpts: DatasetOptions = {};
  if (opts.labels) dsOpts.labels = opts.labels;
  const records = makeDataset(frames, dsOpts);
  const use = {
    energy: opts.use?.energy ?? records.some((r) => r.energy !== undefined),
    forces: opts.use?.forces ?? records.some((r) => r.forces !== undefined),
    stress: opts.use?.stress ?? false,
  };
  if (use.stress && !records.some((r) => r.stress)) throw new ValidationError('fitGP: use.stress is true but no frame has a stress label');
  if (!use.energy && !use.forces && !use.stress) throw new ValidationError('fitGP: no observation type to fit (no energy or force labels)');
  const method = opts.sparse?.method ?? 'cur';
  const count = opts.sparse?.count ?? 200;
  const seed = opts.sparse?.seed ?? 0;
  const { basis, perSpecies } = gpBasisFor(records, desc, kernel0, { method, count, seed, scaling: opts.scaling ?? 'std' });
  const t1 = Date.now();
  const noise0: GPNoise = { energy: opts.noise?.energy ?? 0.005, forces: opts.noise?.forces ?? 0.1, stress: opts.noise?.stress ?? 0.01 };
  const minNoise: GPNoise = { energy: opts.minNoise?.energy ?? 1e-4, forces: opts.minNoise?.forces ?? 1e-3, stress: opts.minNoise?.stress ?? 1e-5 };
  const shapes = opts.shapes && opts.shapes.length ? [...opts.shapes] : [shapeParameter(kernel0)];
  const trainerOpts: { use: typeof use; kmmTolerance?: number; e0?: readonly number[] } = { use };
  if (opts.kmmTolerance !== undefined) trainerOpts.kmmTolerance = opts.kmmTolerance;
  if (opts.e0) trainerOpts.e0 = opts.e0;
  const shapePath: GPFitReport['shapePath'] = [];
  let best: { trainer: GPTrainer; hyper: GPHyper; logEvidence: number; kernel: KernelSpec } | null = null;
  let tAcc = 0, tOpt = 0;
  for (const shape of shapes) {
    const kernel = withShape(kernel0, shape);
    const ta = Date.now();
    const trainer = new GPTrainer(new GPBasis({ descriptor: desc, kernel, invScale: basis.invScale, sparseSpecies: basis.sparseSpecies, sparse: basis.sparse }), trainerOpts);
    trainer.add(records);
    const tb = Date.now();
    let hyper: GPHyper = { sigma: kernel0.sigma, noise: noise0 };
    let le: number;
    if (opts.optimize ?? true) {
      const r = trainer.optimize(hyper, minNoise, 300, opts.fixNoise ?? []);
      hyper = r.hyper;
      le = r.logEvidence;
    } else {
      le = trainer.logEvidence(hyper);
    }
    tAcc += tb - ta;
    tOpt += Date.now() - tb;
    shapePath.push({ shape, logEvidence: le, sigma: hyper.sigma, noise: { ...hyper.noise } });
    if (!best || le > best.logEvidence) best = { trainer, hyper, logEvidence: le, kernel };
  }
  const chosen = best!;
  const potential = chosen.trainer.model(chosen.hyper, { fitter: 'fitGP', sparse: method, frames: records.length, logEvidence: chosen.logEvidence });
  const report: GPFitReport = {
    kernel: potential.kernel,
    noise: { ...chosen.hyper.noise },
    logEvidence: chosen.logEvidence,
    shapePath,
    sparse: { method, perSpecies, total: basis.m, seed, rank: chosen.trainer.rank },
    e0: Array.from(potential.e0),
    nFrames: records.length,
    observations: chosen.trainer.observations,
    timeS: { select: (t1 - t0) / 1000, accumulate: tAcc / 1000, optimize: tOpt / 1000, total: 0 },
    metrics: { train: evaluatePotential(potential, records) },
  };
  if (opts.validation && opts.validation.length) {
    const vOpts: DatasetOptions = {};
    if (opts.labels) vOpts.labels = opts.labels;
    const val = makeDataset(opts.validation, vOpts);
    report.metrics.validation = evaluatePotential(potential, val);
    report.calibration = { validation: gpCalibration(potential, val) };
  }
  report.timeS.total = (Date.now() - t0) / 1000;
  return { potential, report, trainer: chosen.trainer, hyper: chosen.hyper };
}
