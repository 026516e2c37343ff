/**
 * k-fold cross-validation of linear potentials (`models/linear.ts`) at the cost of one fit: every
 * frame's design rows are computed once, accumulated into the normal equations of its fold and
 * kept; each fold is then solved from the sums of the other folds and its held-out frames are
 * predicted from their stored rows (no descriptor work per fold or per lambda).
 *
 * Conventions are those of `fitLinear` (training/linear-fit.ts), which this module shares the
 * solver with (`solveRidge`: column scaling, ridge on the descriptor coefficients only, Cholesky
 * with a pseudo-inverse fallback):
 *
 *   G_f = sum_{rows of fold f} w a a^T,  r_f = sum w y a,  s_f = sum w y^2
 *   theta_f(lambda) = argmin ||W^(1/2)(A_{-f} theta - y_{-f})||^2 + lambda |theta_desc|^2
 *                   from G_{-f} = sum_{g != f} G_g (likewise r, s)
 *   E_pred,k = x^E_k . theta_f  (+ offset columns: sum_z n_z e0_z, or -b)      k in fold f
 *   F_pred,k = X^F_k theta_f
 *
 * Metrics per fold and pooled over all held-out frames (`computeMetrics`): energy error per atom
 * (eV/atom), force error per Cartesian component (eV/Å), MAE and RMSE. With several lambdas every
 * lambda is scored the same way and the one minimising `select` is reported as `best` (default:
 * the summed held-out loss, as in `fitLinear`; or the pooled held-out force or energy RMSE).
 *
 * | symbol          | variable                                              |
 * |-----------------|-------------------------------------------------------|
 * | G_f, r_f, s_f   | sums[f] (gram, rhs, targetSquareSum)                   |
 * | theta_f         | the per-fold solution (ncol + offset columns)          |
 * | x^E_k, X^F_k    | stored[k].energy (ntot), stored[k].forces (3N x ncol)  |
 * | w_E, w_F, w_S   | weights.energy, weights.forces, weights.stress         |
 * | lambda          | lambdas[m]                                             |
 */
import { ValidationError } from '../core/errors.js';
import { NormalEquations } from '../core/linalg.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { LinearDesign } from '../models/linear.js';
import { kFold, type TrainingRecord } from './dataset.js';
import { energyRow, frameRows, recordDesign, solveRidge, type Layout, type LossWeights, type OffsetMode, type Sums } from './linear-fit.js';
import { computeMetrics, type MetricSample, type MetricsRecord } from './metrics.js';

export interface CrossValidateOptions {
  descriptor: Descriptor;
  weights: LossWeights;
  /** Ridge lambda (default 0). Ignored when `lambdas` is given. */
  lambda?: number;
  /** Several candidate lambdas: each is cross-validated (the design work is shared). */
  lambdas?: readonly number[];
  /** Number of folds (default 5; at least 2, at most the number of frames). */
  folds?: number;
  /** Seed of the fold shuffle (default 0; the same folds as `fitLinear` with this seed). */
  seed?: number;
  /** Energy offset (default 'per-element'). */
  offset?: OffsetMode;
  /** Fit energies per atom (default false). */
  energyPerAtom?: boolean;
  /** What picks the lambda among `lambdas`: the held-out loss (default) or a held-out metric. */
  select?: 'loss' | 'force_rmse' | 'energy_rmse';
  /** Also solve the full data set with the chosen lambda (default true); its time is reported. */
  fullFit?: boolean;
  /** Progress callback (frames featurised so far). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Design rows computed elsewhere, one per record (force rows wherever a record has forces, virial
   * rows where its stress is fitted: `designWants(records, weights, true)`); see `LinearFitOptions.designs`.
   */
  designs?: readonly LinearDesign[];
}

export interface FoldResult {
  fold: number;
  nTrain: number;
  nTest: number;
  metrics: MetricsRecord;
}

export interface LambdaResult {
  lambda: number;
  /** Summed held-out loss (same loss as the fit, ridge excluded). */
  loss: number;
  folds: FoldResult[];
  /** Metrics over all held-out frames together. */
  pooled: MetricsRecord;
  /** Fold solves that fell back to the pseudo-inverse. */
  singularFolds: number;
  /** Held-out energy error per atom of every record, (E_pred - E_ref) / N (eV/atom; NaN without an energy label). */
  energyErrors: Float64Array;
}

export interface CrossValidationTimings {
  /** Neighbour lists, features and derivatives, design rows (s). */
  designS: number;
  /** Accumulation into the normal equations (s). */
  accumulateS: number;
  /** All fold solves over all lambdas (s). */
  solveS: number;
  /** Held-out predictions (s). */
  predictS: number;
  /** One fit on all data = designS + accumulateS + one full solve (s); null without `fullFit`. */
  fullFitS: number | null;
  totalS: number;
}

export interface CrossValidationResult {
  folds: number;
  seed: number;
  nFrames: number;
  nAtoms: number;
  /** Columns of the least-squares problem (descriptor columns + offset columns). */
  nColumns: number;
  nRows: number;
  /** One entry per lambda, in the order given. */
  lambdas: LambdaResult[];
  /** The entry picked by `select`. */
  best: LambdaResult;
  /** Full-data solution (ncol descriptor coefficients, then offsets) for `best.lambda`. */
  theta: Float64Array | null;
  timings: CrossValidationTimings;
  warnings: string[];
}

/** Stored prediction rows of one frame. */
interface Stored {
  natoms: number;
  /** Unscaled energy row incl. offset columns (ntot), or null without an energy label. */
  energy: Float64Array | null;
  forces: Float64Array | null;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now()) / 1000;

/** k-fold cross-validation of a linear ridge fit (see the module comment). */
export function crossValidateLinear(records: readonly TrainingRecord[], opts: CrossValidateOptions): CrossValidationResult {
  const t0 = now();
  const desc = opts.descriptor;
  const w: Required<LossWeights> = { energy: opts.weights.energy, forces: opts.weights.forces, stress: opts.weights.stress ?? 0 };
  for (const [k, v] of Object.entries(w)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValidationError(`crossValidateLinear: weights.${k} must be a finite number >= 0, got ${v}`);
  }
  if (w.energy === 0 && w.forces === 0 && w.stress === 0) throw new ValidationError('crossValidateLinear: all loss weights are 0; nothing to fit');
  const offset = opts.offset ?? 'per-element';
  if (offset !== 'global' && offset !== 'per-element' && offset !== 'none') throw new ValidationError(`crossValidateLinear: offset must be 'global', 'per-element' or 'none', got ${JSON.stringify(offset)}`);
  const perAtom = opts.energyPerAtom ?? false;
  const lambdas = opts.lambdas ? [...opts.lambdas] : [opts.lambda ?? 0];
  if (lambdas.length === 0) throw new ValidationError('crossValidateLinear: lambdas is empty');
  for (const l of lambdas) if (!(l >= 0) || !Number.isFinite(l)) throw new ValidationError(`crossValidateLinear: lambda must be a finite number >= 0, got ${l}`);
  const n = records.length;
  const k = opts.folds ?? 5;
  const seed = opts.seed ?? 0;
  const folds = kFold(n, k, seed); // validates k
  const foldOf = new Int32Array(n);
  folds.forEach((f, fi) => f.forEach((i) => (foldOf[i] = fi)));
  if (w.stress > 0 && !records.some((r) => r.stress)) throw new ValidationError(`crossValidateLinear: weights.stress is ${w.stress} but no record has a stress label`);

  const ns = desc.species.length;
  const size = desc.size;
  const ncol = ns * size;
  const offsetDetermined = w.energy > 0;
  const nOff = !offsetDetermined ? 0 : offset === 'per-element' ? ns : offset === 'global' ? 1 : 0;
  const L: Layout = { ns, size, ncol, nOff, ntot: ncol + nOff };
  const ntot = L.ntot;
  const warnings: string[] = [];

  // --- design rows once per frame, into the fold's accumulator; keep the prediction rows ---
  if (opts.designs && opts.designs.length !== n) throw new ValidationError(`crossValidateLinear: designs has ${opts.designs.length} entries for ${n} records`);
  const acc = Array.from({ length: k }, () => new NormalEquations(ntot));
  const stored: Stored[] = new Array<Stored>(n);
  let designS = 0, accumulateS = 0, nRows = 0, nAtoms = 0;
  for (let fi = 0; fi < n; fi++) {
    const rec = records[fi]!;
    const ta = now();
    const na = rec.natoms;
    nAtoms += na;
    const use = { energy: w.energy > 0 && rec.energy !== undefined, forces: w.forces > 0 && rec.forces !== undefined, stress: w.stress > 0 && rec.stress !== undefined };
    const d = recordDesign(desc, rec, { forces: rec.forces !== undefined, virial: use.stress }, opts.designs?.[fi], 'crossValidateLinear');
    let erow: Float64Array | null = null;
    if (rec.energy !== undefined) {
      erow = new Float64Array(ntot);
      energyRow(d, L, offset, 1, erow);
    }
    stored[fi] = { natoms: na, energy: erow, forces: rec.forces !== undefined ? d.forces! : null };
    const tb = now();
    designS += tb - ta;
    if (!use.energy && !use.forces && !use.stress) continue;
    const { block, weights, targets, rows } = frameRows(d, rec, L, w, offset, perAtom, use);
    acc[foldOf[fi]!]!.addRows(block, weights, targets, rows);
    nRows += rows;
    accumulateS += now() - tb;
    opts.onProgress?.(fi + 1, n);
  }
  if (nRows === 0) throw new ValidationError('crossValidateLinear: no rows to fit (no labels with a positive weight)');

  // --- per-fold sums and their complements ---
  const tc = now();
  const sums: Sums[] = acc.map((a) => ({ g: a.gram(), r: a.rhs(), s: a.targetSquareSum, rows: a.rowCount }));
  const total: Sums = { g: new Float64Array(ntot * ntot), r: new Float64Array(ntot), s: 0, rows: 0 };
  for (const x of sums) addInto(total, x, 1);
  accumulateS += now() - tc;

  let solveS = 0, predictS = 0;
  const results: LambdaResult[] = [];
  const train: Sums = { g: new Float64Array(ntot * ntot), r: new Float64Array(ntot), s: 0, rows: 0 };
  for (const lambda of lambdas) {
    const foldResults: FoldResult[] = [];
    const all: MetricSample[] = [];
    const energyErrors = new Float64Array(n).fill(NaN);
    let loss = 0, singular = 0;
    for (let f = 0; f < k; f++) {
      const ts = now();
      // sum of the other folds (added, not total - G_f, to avoid cancellation)
      train.g.fill(0);
      train.r.fill(0);
      train.s = 0;
      train.rows = 0;
      for (let g = 0; g < k; g++) if (g !== f) addInto(train, sums[g]!, 1);
      const fw: string[] = [];
      const sol = solveRidge(train, L, lambda, fw);
      if (sol.method !== 'cholesky') singular++;
      const theta = sol.theta;
      loss += Math.max(0, quad(sums[f]!, theta, ntot));
      const tp = now();
      solveS += tp - ts;
      const samples: MetricSample[] = [];
      for (const i of folds[f]!) {
        const st = stored[i]!, rec = records[i]!;
        const smp: MetricSample = { natoms: st.natoms };
        if (st.energy) {
          let e = 0;
          for (let c = 0; c < ntot; c++) e += st.energy[c]! * theta[c]!;
          smp.energyPred = e;
          smp.energyRef = rec.energy!;
          energyErrors[i] = (e - rec.energy!) / st.natoms;
        }
        if (st.forces) {
          const m = 3 * st.natoms;
          const F = st.forces;
          const out = new Float64Array(m);
          for (let q = 0; q < m; q++) {
            let acc2 = 0;
            const o = q * ncol;
            for (let c = 0; c < ncol; c++) acc2 += F[o + c]! * theta[c]!;
            out[q] = acc2;
          }
          smp.forcesPred = out;
          smp.forcesRef = rec.forces!;
        }
        samples.push(smp);
        all.push(smp);
      }
      foldResults.push({ fold: f, nTrain: n - folds[f]!.length, nTest: folds[f]!.length, metrics: computeMetrics(samples, { offsetDetermined }) });
      predictS += now() - tp;
    }
    results.push({ lambda, loss, folds: foldResults, pooled: computeMetrics(all, { offsetDetermined }), singularFolds: singular, energyErrors });
    if (singular > 0) warnings.push(`lambda ${lambda}: ${singular} fold solve(s) were singular or ill-conditioned and used the pseudo-inverse`);
  }
  const sel = opts.select ?? 'loss';
  const score = (r: LambdaResult): number => (sel === 'loss' ? r.loss : sel === 'force_rmse' ? r.pooled.force_rmse ?? Infinity : r.pooled.energy_rmse ?? Infinity);
  let best = results[0]!;
  for (const r of results) if (score(r) < score(best)) best = r;

  let theta: Float64Array | null = null;
  let fullFitS: number | null = null;
  if (opts.fullFit ?? true) {
    const ts = now();
    theta = solveRidge(total, L, best.lambda, warnings).theta;
    fullFitS = designS + accumulateS + (now() - ts);
  }
  return {
    folds: k,
    seed,
    nFrames: n,
    nAtoms,
    nColumns: ntot,
    nRows,
    lambdas: results,
    best,
    theta,
    timings: { designS, accumulateS, solveS, predictS, fullFitS, totalS: now() - t0 },
    warnings,
  };
}

/** out += sign * x (Gram, rhs, square sum, row count). */
function addInto(out: Sums, x: Sums, sign: 1 | -1): void {
  const g = out.g, xg = x.g;
  for (let i = 0; i < g.length; i++) g[i] += sign * xg[i]!;
  for (let i = 0; i < out.r.length; i++) out.r[i] += sign * x.r[i]!;
  out.s += sign * x.s;
  out.rows += sign * x.rows;
}

/** theta^T G theta - 2 theta^T r + s (the weighted residual of the rows summed in x). */
function quad(x: Sums, theta: Float64Array, n: number): number {
  let q = 0, l = 0;
  for (let i = 0; i < n; i++) {
    let gi = 0;
    for (let j = 0; j < n; j++) gi += x.g[i * n + j]! * theta[j]!;
    q += theta[i]! * gi;
    l += theta[i]! * x.r[i]!;
  }
  return q - 2 * l + x.s;
}
