/**
 * Fitting linear potentials (`models/linear.ts`) by the force-matching loss, as exact weighted
 * ridge least squares streamed through `NormalEquations` one structure at a time.
 *
 *   L(theta, b) = sum_k [ w_E (E_theta(R_k) - E_ref,k - b)^2
 *                        + (w_F / N_k) sum_{i,a} (F_theta,ia - F_ref,ia)^2
 *                        + w_S sum_{v=1..6} (sigma_theta,v - sigma_ref,v)^2 ]  +  lambda |theta|^2
 *
 * E_theta = X^E . theta; F_theta = X^F theta; sigma_theta = X^W theta / V (design rows from
 * `linearDesign`, the same assembly `LinearPotential.compute` uses). The offset b is
 *  - 'global':      one learnable b (column -1 in every energy row; the model stores E_shift = -b,
 *                   which is not extensive, see docs/training.md),
 *  - 'per-element': reference atomic energies e0_z (column n_z, atoms of element z, so E_model
 *                   includes sum_i e0_{Z_i}); determined only if the compositions vary,
 *  - 'none':        no offset.
 * Energy rows are per structure, as the loss is written (a 64-atom cell weighs as much as a
 * 2-atom one); `energyPerAtom: true` divides the energy row and target by N_k, i.e. fits energies
 * per atom, as many codes do. Stress is compared in Voigt order (6 components, off-diagonals once).
 * The ridge acts on the descriptor coefficients only, never on b / e0.
 *
 * With w_E = 0 no energy rows are added, the offset columns are dropped (e0 = 0, b = 0) and the
 * model says `offsetDetermined = false`: its energies are right only up to a constant.
 *
 * Solving: columns are scaled by their weighted RMS, d_j = 1 / sqrt(G_jj) (centring would need an
 * intercept in every row type; forces have none). In exact arithmetic the scaling changes nothing:
 *   (D G D + lambda D_theta^2) theta_s = D r,   theta = D theta_s
 * solved by Cholesky. If the scaled matrix is not positive definite or its squared Cholesky pivot
 * ratio is below 1e-13, it is solved instead by the eigen-decomposition pseudo-inverse (directions
 * with eigenvalue < 1e-12 x the largest dropped: the minimum-norm solution in scaled variables),
 * with a warning in the report. (The rows are not stored, so QR is not available; a jitter would
 * bias the determined directions.)
 *
 * Cross-validation (`lambdas`): frames are split into k seeded folds; one accumulator per fold,
 * so every (lambda, fold) fit costs one solve and no descriptor work. The held-out loss is exact
 * from the accumulated sums: res = theta^T G_f theta - 2 theta^T r_f + s_f.
 *
 * | symbol        | variable                                            |
 * |---------------|-----------------------------------------------------|
 * | theta         | theta[0 .. ncol-1] (model coefficients)             |
 * | b, e0_z       | theta[ncol] (global) or theta[ncol + s] (per element) |
 * | w_E, w_F, w_S | weights.energy, weights.forces, weights.stress      |
 * | N_k           | record.natoms                                        |
 * | lambda        | lambda                                               |
 * | G, r, s       | gram, rhs, targetSquareSum of a NormalEquations     |
 * | D             | scale[j] = 1 / sqrt(G_jj)                            |
 */
import { ValidationError } from '../core/errors.js';
import { cholesky, choleskySolve, eighSymmetric, NormalEquations, NotPositiveDefiniteError } from '../core/linalg.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { LabelKeys } from '../io/labels.js';
import { LinearPotential, linearDesign, type LinearDesign } from '../models/linear.js';
import { buildNeighborList } from '../neighbors/build.js';
import { assertNoOverlap } from '../neighbors/checked.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { kFold, makeDataset, type DatasetOptions, type TrainingRecord } from './dataset.js';
import { evaluatePotential, type MetricsRecord } from './metrics.js';

export type OffsetMode = 'global' | 'per-element' | 'none';

export interface LossWeights {
  /** w_E (>= 0). */
  energy: number;
  /** w_F (>= 0). */
  forces: number;
  /** w_S (>= 0; default 0: stress labels unused). */
  stress?: number;
}

export interface LinearFitOptions {
  descriptor: Descriptor;
  weights: LossWeights;
  /** Ridge lambda on the descriptor coefficients (default 0). Ignored when `lambdas` is given. */
  lambda?: number;
  /** Candidate lambdas: k-fold cross-validation picks one, then the model is refitted on all frames. */
  lambdas?: readonly number[];
  /** Folds for cross-validation (default 5, at most the number of frames). */
  folds?: number;
  /** Seed of the fold shuffle (default 0). */
  seed?: number;
  /** What cross-validation minimises: the held-out loss (default) or the held-out force RMSE. */
  cvMetric?: 'loss' | 'force_rmse';
  /** Energy offset (default 'per-element'). */
  offset?: OffsetMode;
  /** Divide each energy row (and target) by N_k: fit energies per atom. Default false. */
  energyPerAtom?: boolean;
  labels?: LabelKeys;
  /** Frames only evaluated (metrics in the report), never fitted. */
  validation?: readonly Structure[];
  /**
   * Design rows computed elsewhere (in parallel by `computeLinearDesigns` of src/node/design-pool.ts),
   * one per frame in `frames` order, with force rows where the frame's forces are fitted and virial
   * rows where its stress is (`designWants` says which). Omitted: computed here one frame at a time.
   * Either way the fit is the same to the last bit (the rows are accumulated in frame order).
   */
  designs?: readonly LinearDesign[];
}

export interface LambdaPoint {
  lambda: number;
  /** Sum over folds of the held-out data loss. */
  cvLoss: number;
  /** Held-out force RMSE per component (eV/Å), when force rows exist. */
  cvForceRmse: number | null;
}

export interface LinearFitReport {
  lambda: number;
  lambdaPath: LambdaPoint[];
  cvFolds: number;
  cvMetric: 'loss' | 'force_rmse';
  weights: Required<LossWeights>;
  energyPerAtom: boolean;
  offset: OffsetMode;
  offsetDetermined: boolean;
  /** Fitted b (eV) for offset 'global', else null. */
  energyOffset: number | null;
  /** Fitted e0 per species (eV/atom); zeros unless offset 'per-element' and w_E > 0. */
  e0: number[];
  species: number[];
  nFrames: number;
  nRows: number;
  nColumns: number;
  /** Loss at the solution on all frames: data part, ridge part, total. */
  loss: { data: number; penalty: number; total: number };
  /** How the final system was solved; rank = determined directions of nColumns. */
  solver: { method: 'cholesky' | 'eigen-pinv'; rank: number; reciprocalConditionEstimate: number };
  /** Wall time of the whole fit (s), including design rows made before it (`designs`) when the caller adds them. */
  fitTimeS: number;
  /** Worker threads that made the design rows (set by callers that pass `designs`; absent: this thread). */
  designWorkers?: number;
  warnings: string[];
  metrics: { train: MetricsRecord; validation?: MetricsRecord };
}

export interface LinearFitResult {
  potential: LinearPotential;
  report: LinearFitReport;
}

export interface Layout {
  ns: number;
  size: number;
  ncol: number;
  nOff: number;
  ntot: number;
}

/** One accumulator per fold: all rows (loss weights) and, optionally, force rows with unit weight. */
interface Accumulator {
  all: NormalEquations;
  forces: NormalEquations | null;
}

/** Dense copy of an accumulator's sums. */
export interface Sums {
  g: Float64Array;
  r: Float64Array;
  s: number;
  rows: number;
}

export function fitLinear(frames: readonly Structure[], opts: LinearFitOptions): LinearFitResult {
  const t0 = Date.now();
  const desc = opts.descriptor;
  const w = { energy: opts.weights.energy, forces: opts.weights.forces, stress: opts.weights.stress ?? 0 };
  for (const [k, v] of Object.entries(w)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValidationError(`fitLinear: weights.${k} must be a finite number >= 0, got ${v}`);
  }
  if (w.energy === 0 && w.forces === 0 && w.stress === 0) throw new ValidationError('fitLinear: all loss weights are 0; nothing to fit');
  const offset = opts.offset ?? 'per-element';
  if (offset !== 'global' && offset !== 'per-element' && offset !== 'none') throw new ValidationError(`fitLinear: offset must be 'global', 'per-element' or 'none', got ${JSON.stringify(offset)}`);
  const energyPerAtom = opts.energyPerAtom ?? false;
  const lambdas = opts.lambdas ? [...opts.lambdas] : [opts.lambda ?? 0];
  if (lambdas.length === 0) throw new ValidationError('fitLinear: lambdas is empty');
  lambdas.forEach((l, k) => {
    if (!(l >= 0) || !Number.isFinite(l)) throw new ValidationError(`fitLinear: lambda ${opts.lambdas ? `lambdas[${k}]` : ''} must be a finite number >= 0, got ${l}`);
  });
  const cvMetric = opts.cvMetric ?? 'loss';
  const records = fitRecords(frames, opts);
  if (w.stress > 0 && !records.some((r) => r.stress)) throw new ValidationError(`fitLinear: weights.stress is ${w.stress} but no frame has a stress label "${opts.labels?.stress ?? 'REF_stress'}"`);

  const ns = desc.species.length;
  const size = desc.size;
  const ncol = ns * size;
  const offsetDetermined = w.energy > 0;
  const nOff = !offsetDetermined ? 0 : offset === 'per-element' ? ns : offset === 'global' ? 1 : 0;
  const L: Layout = { ns, size, ncol, nOff, ntot: ncol + nOff };
  const warnings: string[] = [];
  if (!offsetDetermined) warnings.push('w_E = 0: energies were not fitted; the model predicts energies only up to a constant (offsetDetermined = false)');

  // --- accumulate, one structure at a time, into one accumulator per fold ---
  const cv = lambdas.length > 1;
  const k = cv ? Math.min(opts.folds ?? 5, records.length) : 1;
  const foldOf = new Int32Array(records.length);
  if (cv) kFold(records.length, k, opts.seed ?? 0).forEach((f, fi) => f.forEach((i) => (foldOf[i] = fi)));
  const wantForceAcc = cv && w.forces > 0;
  const acc: Accumulator[] = Array.from({ length: k }, () => ({ all: new NormalEquations(L.ntot), forces: wantForceAcc ? new NormalEquations(L.ntot) : null }));
  let nRows = 0;
  if (opts.designs && opts.designs.length !== records.length) throw new ValidationError(`fitLinear: designs has ${opts.designs.length} entries for ${records.length} frames`);
  for (const rec of records) nRows += addFrame(desc, rec, L, w, offset, energyPerAtom, acc[foldOf[rec.index]!]!, opts.designs?.[rec.index]);
  const sums = acc.map((a) => ({ all: sumsOf(a.all), forces: a.forces ? sumsOf(a.forces) : null }));
  const total = addSums(sums.map((s) => s.all), L.ntot);
  if (total.rows === 0) throw new ValidationError('fitLinear: no rows to fit (no labels with a positive weight)');

  // --- cross-validation over lambda ---
  const lambdaPath: LambdaPoint[] = [];
  let best = lambdas[0]!;
  if (cv) {
    let bestScore = Infinity;
    const cvWarnings: string[] = [];
    for (const lambda of lambdas) {
      let loss = 0, fsq = 0, fn = 0;
      for (let f = 0; f < k; f++) {
        const train = addSums(sums.filter((_, j) => j !== f).map((s) => s.all), L.ntot);
        const { theta } = solveRidge(train, L, lambda, cvWarnings);
        loss += Math.max(0, residual(sums[f]!.all, theta, L.ntot));
        const fs = sums[f]!.forces;
        if (fs) {
          fsq += Math.max(0, residual(fs, theta, L.ntot));
          fn += fs.rows;
        }
      }
      const point: LambdaPoint = { lambda, cvLoss: loss, cvForceRmse: fn > 0 ? Math.sqrt(fsq / fn) : null };
      lambdaPath.push(point);
      const score = cvMetric === 'force_rmse' && point.cvForceRmse !== null ? point.cvForceRmse : loss;
      if (score < bestScore) {
        bestScore = score;
        best = lambda;
      }
    }
    if (cvWarnings.length) warnings.push(`cross-validation: ${cvWarnings.length} fold fit(s) were singular and solved by pseudo-inverse`);
  }

  // --- final fit on all frames ---
  const sol = solveRidge(total, L, best, warnings);
  const theta = sol.theta;
  const data = residual(total, theta, L.ntot);
  let pen = 0;
  for (let j = 0; j < ncol; j++) pen += theta[j]! * theta[j]!;
  pen *= best;
  const e0 = new Float64Array(ns);
  let energyOffset: number | null = null;
  if (nOff === ns && offset === 'per-element') for (let s = 0; s < ns; s++) e0[s] = theta[ncol + s]!;
  if (offset === 'global' && nOff === 1) energyOffset = theta[ncol]!;
  const training = {
    fitter: 'linear-ridge',
    lambda: best,
    weights: w,
    energyPerAtom,
    offset,
    nFrames: records.length,
  };
  const potential = new LinearPotential({
    descriptor: desc,
    coefficients: theta.subarray(0, ncol),
    e0,
    energyShift: energyOffset === null ? 0 : -energyOffset,
    offsetDetermined,
    training,
  });
  const metrics: LinearFitReport['metrics'] = { train: evaluatePotential(potential, records) };
  if (opts.validation && opts.validation.length) {
    const vOpts: DatasetOptions = {};
    if (opts.labels) vOpts.labels = opts.labels;
    metrics.validation = evaluatePotential(potential, makeDataset(opts.validation, vOpts));
  }
  (training as Record<string, unknown>)['metrics'] = metrics;
  const report: LinearFitReport = {
    lambda: best,
    lambdaPath,
    cvFolds: cv ? k : 0,
    cvMetric,
    weights: w,
    energyPerAtom,
    offset,
    offsetDetermined,
    energyOffset,
    e0: Array.from(e0),
    species: [...desc.species],
    nFrames: records.length,
    nRows,
    nColumns: L.ntot,
    loss: { data, penalty: pen, total: data + pen },
    solver: { method: sol.method, rank: sol.rank, reciprocalConditionEstimate: sol.rcond },
    fitTimeS: (Date.now() - t0) / 1000,
    warnings,
    metrics,
  };
  return { potential, report };
}

/** The energy design row of one frame (features, then the offset columns) times `scale`, into out[0..ntot). */
export function energyRow(d: LinearDesign, L: Layout, offset: OffsetMode, scale: number, out: Float64Array): void {
  for (let c = 0; c < L.ncol; c++) out[c] = scale * d.energy[c]!;
  if (L.nOff > 0) {
    if (offset === 'global') out[L.ncol] = -scale;
    else for (let z = 0; z < L.ns; z++) out[L.ncol + z] = scale * d.counts[z]!;
  }
}

/** Weighted least-squares rows of one frame: an energy row, 3N force rows, 6 stress rows (each when used). */
export interface FrameRows {
  /** rows x ntot. */
  block: Float64Array;
  weights: Float64Array;
  targets: Float64Array;
  rows: number;
  /** First force row (= number of energy rows). */
  fStart: number;
}

/**
 * The rows of one frame from its design `d`: energy (per atom when `perAtom`, weight w_E), forces
 * (weight w_F / N), stress (virial / V, weight w_S), each only when `use` says so.
 */
export function frameRows(d: LinearDesign, rec: TrainingRecord, L: Layout, w: Required<LossWeights>, offset: OffsetMode, perAtom: boolean, use: { energy: boolean; forces: boolean; stress: boolean }): FrameRows {
  const n = rec.natoms;
  const { ncol, ntot } = L;
  const rows = (use.energy ? 1 : 0) + (use.forces ? 3 * n : 0) + (use.stress ? 6 : 0);
  const block = new Float64Array(rows * ntot);
  const weights = new Float64Array(rows);
  const targets = new Float64Array(rows);
  let r = 0;
  if (use.energy) {
    const sc = perAtom ? 1 / n : 1;
    energyRow(d, L, offset, sc, block);
    weights[0] = w.energy;
    targets[0] = sc * rec.energy!;
    r = 1;
  }
  const fStart = r;
  if (use.forces) {
    const F = d.forces!;
    const wf = w.forces / n;
    for (let q = 0; q < 3 * n; q++, r++) {
      block.set(F.subarray(q * ncol, (q + 1) * ncol), r * ntot);
      weights[r] = wf;
      targets[r] = rec.forces![q]!;
    }
  }
  if (use.stress) {
    const V = volume(rec.structure.cell);
    const W = d.virial!;
    for (let v = 0; v < 6; v++, r++) {
      for (let c = 0; c < ncol; c++) block[r * ntot + c] = W[v * ncol + c]! / V;
      weights[r] = w.stress;
      targets[r] = rec.stress![v]!;
    }
  }
  return { block, weights, targets, rows, fStart };
}

/** What a frame's design must hold: force rows, virial rows (`LinearFitOptions.designs`). */
export interface DesignWant {
  forces: boolean;
  virial: boolean;
}

/**
 * The design rows each record needs under loss weights `w` (forces where its forces are fitted or,
 * with `keepForces`, present at all; virial where its stress is fitted), for `LinearFitOptions.designs`.
 */
export function designWants(records: readonly TrainingRecord[], w: LossWeights, keepForces = false): DesignWant[] {
  return records.map((r) => ({ forces: r.forces !== undefined && (keepForces || w.forces > 0), virial: (w.stress ?? 0) > 0 && r.stress !== undefined }));
}

/** The design rows of frame `index` (structure `s`): neighbour list, the shared overlapping-atoms check, `linearDesign`. */
export function frameDesign(desc: Descriptor, s: Structure, index: number, want: DesignWant): LinearDesign {
  const nl = buildNeighborList(s, desc.cutoff);
  try {
    assertNoOverlap(s, nl);
  } catch (e) {
    throw e instanceof ValidationError ? new ValidationError(`frame ${index}: ${e.message}`) : e;
  }
  return linearDesign(desc, s, nl, want);
}

/** The design rows `fitLinear(frames, opts)` needs for each frame (for `LinearFitOptions.designs`). */
export function linearFitWants(frames: readonly Structure[], opts: Pick<LinearFitOptions, 'weights' | 'labels'>): DesignWant[] {
  return designWants(fitRecords(frames, opts), opts.weights);
}

/** The records `fitLinear` fits: labels as given, energies and forces required where their weight is > 0. */
function fitRecords(frames: readonly Structure[], opts: Pick<LinearFitOptions, 'weights' | 'labels'>): TrainingRecord[] {
  const dsOpts: DatasetOptions = { require: { energy: opts.weights.energy > 0, forces: opts.weights.forces > 0 } };
  if (opts.labels) dsOpts.labels = opts.labels;
  return makeDataset(frames, dsOpts);
}

/** The design of one record, computed here (with the overlapping-atoms check) or taken from `pre` after checking it fits. */
export function recordDesign(desc: Descriptor, rec: TrainingRecord, want: DesignWant, pre: LinearDesign | undefined, who: string): LinearDesign {
  if (pre) {
    if (pre.n !== rec.natoms || pre.ncol !== desc.species.length * desc.size) throw new ValidationError(`${who}: designs[${rec.index}] is for ${pre.n} atoms x ${pre.ncol} columns, frame ${rec.index} needs ${rec.natoms} x ${desc.species.length * desc.size}`);
    if (want.forces && !pre.forces) throw new ValidationError(`${who}: designs[${rec.index}] has no force rows but frame ${rec.index}'s forces are used`);
    if (want.virial && !pre.virial) throw new ValidationError(`${who}: designs[${rec.index}] has no virial rows but frame ${rec.index}'s stress is fitted`);
    return pre;
  }
  return frameDesign(desc, rec.structure, rec.index, want);
}

/** Add the rows of one frame (energy row, 3N force rows, 6 stress rows) to `acc`; returns the row count. */
function addFrame(desc: Descriptor, rec: TrainingRecord, L: Layout, w: Required<LossWeights>, offset: OffsetMode, perAtom: boolean, acc: Accumulator, pre: LinearDesign | undefined): number {
  const n = rec.natoms;
  const use = { energy: w.energy > 0 && rec.energy !== undefined, forces: w.forces > 0 && rec.forces !== undefined, stress: w.stress > 0 && rec.stress !== undefined };
  if (!use.energy && !use.forces && !use.stress) return 0;
  const d = recordDesign(desc, rec, { forces: use.forces, virial: use.stress }, pre, 'fitLinear');
  const { block, weights, targets, rows, fStart } = frameRows(d, rec, L, w, offset, perAtom, use);
  const ntot = L.ntot;
  acc.all.addRows(block, weights, targets, rows);
  if (acc.forces && use.forces) acc.forces.addRows(block.subarray(fStart * ntot, (fStart + 3 * n) * ntot), null, targets.subarray(fStart, fStart + 3 * n), 3 * n);
  return rows;
}

function sumsOf(ne: NormalEquations): Sums {
  return { g: ne.gram(), r: ne.rhs(), s: ne.targetSquareSum, rows: ne.rowCount };
}

function addSums(list: readonly Sums[], n: number): Sums {
  const out: Sums = { g: new Float64Array(n * n), r: new Float64Array(n), s: 0, rows: 0 };
  for (const x of list) {
    for (let i = 0; i < n * n; i++) out.g[i] += x.g[i]!;
    for (let i = 0; i < n; i++) out.r[i] += x.r[i]!;
    out.s += x.s;
    out.rows += x.rows;
  }
  return out;
}

/** ||W^(1/2)(A theta - b)||^2 = theta^T G theta - 2 theta^T r + s. */
function residual(x: Sums, theta: Float64Array, n: number): number {
  let q = 0, l = 0;
  for (let i = 0; i < n; i++) {
    let gi = 0;
    for (let j = 0; j < n; j++) gi += x.g[i * n + j]! * theta[j]!;
    q += theta[i]! * gi;
    l += theta[i]! * x.r[i]!;
  }
  return q - 2 * l + x.s;
}

/** Reciprocal condition estimate (squared pivot ratio) below which the Cholesky solution is not trusted. */
const RCOND_MIN = 1e-13;
/** Relative eigenvalue cut of the pseudo-inverse fallback. */
const EIG_TOL = 1e-12;

export interface SolveResult {
  theta: Float64Array;
  method: 'cholesky' | 'eigen-pinv';
  /** Directions determined (n minus dropped null directions and zero columns). */
  rank: number;
  rcond: number;
}

/** Solve (G + lambda I_theta) x = r in the scaled variables (see the module comment). */
export function solveRidge(x: Sums, L: Layout, lambda: number, warnings: string[]): SolveResult {
  const n = L.ntot;
  const d = new Float64Array(n);
  let gmax = 0;
  for (let j = 0; j < n; j++) gmax = Math.max(gmax, x.g[j * n + j]!);
  let dead = 0;
  for (let j = 0; j < n; j++) {
    const gjj = x.g[j * n + j]!;
    if (gjj > 1e-300 && gjj > 1e-28 * gmax) d[j] = 1 / Math.sqrt(gjj);
    else dead++;
  }
  if (dead > 0) warnings.push(`${dead} column(s) are zero in every row (a feature never active, or an element absent); their coefficients are set to 0`);
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    b[i] = d[i]! * x.r[i]!;
    for (let j = 0; j < n; j++) a[i * n + j] = d[i]! * x.g[i * n + j]! * d[j]!;
    if (d[i] === 0) a[i * n + i] = 1;
    else if (i < L.ncol) a[i * n + i] += lambda * d[i]! * d[i]!;
  }
  let rcond = 0;
  try {
    const l = cholesky(a, n, undefined, { where: 'fitLinear' });
    let lo = Infinity, hi = 0;
    for (let i = 0; i < n; i++) {
      const v = l[i * n + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    rcond = (lo / hi) ** 2;
    if (rcond >= RCOND_MIN) {
      const ts = choleskySolve(l, n, b);
      for (let j = 0; j < n; j++) ts[j] = ts[j]! * d[j]!;
      return { theta: ts, method: 'cholesky', rank: n - dead, rcond };
    }
  } catch (e) {
    if (!(e instanceof NotPositiveDefiniteError)) throw e;
  }
  // Fallback: pseudo-inverse through the eigen-decomposition, dropping directions with
  // eigenvalue < EIG_TOL x the largest (the minimum-norm solution in the scaled variables).
  const { values, vectors } = eighSymmetric(a, n);
  const top = values[n - 1]!;
  const ts = new Float64Array(n);
  let rank = 0;
  for (let m = 0; m < n; m++) {
    const lam = values[m]!;
    if (!(lam > EIG_TOL * top)) continue;
    rank++;
    let proj = 0;
    for (let i = 0; i < n; i++) proj += vectors[i * n + m]! * b[i]!;
    const cm = proj / lam;
    for (let i = 0; i < n; i++) ts[i] += cm * vectors[i * n + m]!;
  }
  for (let j = 0; j < n; j++) ts[j] = ts[j]! * d[j]!;
  const lost = n - rank;
  warnings.push(
    `the normal equations are singular or ill-conditioned (Cholesky reciprocal condition estimate ${rcond.toExponential(2)} < ${RCOND_MIN}); ` +
      `solved by the eigen-decomposition pseudo-inverse: ${lost} direction(s) of ${n} undetermined by the data were set to zero ` +
      `(e.g. cross-species pair coefficients enter only as sums c_{A,(B,n)} + c_{B,(A,n)}, or e0 with a fixed composition); add ridge (lambda) to choose them instead`,
  );
  return { theta: ts, method: 'eigen-pinv', rank, rcond };
}
