/**
 * Uncertainty benchmark on the mlearn sets: for each element and model type (linear, gp, nn,
 * committee), 5-fold cross-validation (seeded by the config's `seed`, folds by structure, `kFold`
 * in training/dataset.ts) on `training.json`, fitting with the ready config
 * (`examples/mlearn/<El>.yaml` for linear, `examples/mlearn/<El>-<type>.yaml` otherwise) through
 * the same `loadTrainConfig` / `fitModel` path as `mlpot train`. Each fold's model is rebuilt from
 * its JSON (what `mlpot train` would write) and predicts the held-out fold.
 *
 * Reported, pooled over the five held-out folds:
 *
 *   E MAE / RMSE  = mean / RMS over structures of |E_pred - E_ref| / N           (meV/atom)
 *   F MAE / RMSE  = mean / RMS over force components of F_pred - F_ref          (eV/Å)
 *   fit s         = mean wall time of one fold's fit (descriptors + fit, as fitModel reports)
 *   within 1, 2 s = fraction of force components with |e_c| <= z sigma_c     (calibration.ts)
 *   Spearman      = rank correlation of sigma_c and |e_c|, pooled; "rho folds" is the mean of the
 *                   five per-fold values (a GP's sigma includes its fitted noise level, which differs
 *                   a little between folds; when sigma is mostly noise, pooling ranks folds rather
 *                   than components)
 *   mean sigma    = mean predicted sigma_c                                      (eV/Å)
 *   sigma scale s = the 68.27% quantile of |e_c| / sigma_c over the held-out components: the factor
 *                   that puts 68.27% of the errors within s sigma (1 = calibrated at 1 sigma; > 1:
 *                   sigmas too small). A quantile, not sqrt(mean (e/sigma)^2), because force errors
 *                   are heavy-tailed and a few components with tiny sigma dominate that mean.
 *   scaled 1s, 2s = within 1 and 2 sigma after multiplying each fold's sigmas by the s of the *other*
 *                   four folds (a calibration factor fitted on held-out data, cross-fitted so the
 *                   fold it is applied to never saw it)
 *
 * Models without an uncertainty (linear, nn) print n/a in the calibration columns.
 *
 *   npm run bench -- uq                                   Si and Mo, all four model types
 *   MLPOT_UQ_ELEMENTS=Si MLPOT_UQ_MODELS=gp,committee npm run bench -- uq
 *   MLPOT_UQ_MAX_FOLDS=1                                  only the first fold (a quick look; not the CV figure)
 *   MLPOT_MLEARN_DIR=/path/to/mlearn                      data root (the configs' default otherwise)
 *
 * | symbol   | variable                               |
 * |----------|----------------------------------------|
 * | e_c      | forcePred[c] - forceRef[c] (pooled)    |
 * | sigma_c  | forceSigma[c] (pooled)                 |
 * | s        | UqRow.sigma_scale                      |
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParameterError } from '../core/errors.js';
import { linalgBackendName } from '../core/linalg.js';
import { modelFromJSON } from '../models/registry.js';
import { readStructures } from '../node/files.js';
import { enableNativeLinalg } from '../node/linalg-native.js';
import { calibration, spearman, type CalibrationRecord } from '../training/calibration.js';
import { kFold } from '../training/dataset.js';
import { chooseLabelKeys, descriptorFromConfig, fitModel, loadTrainConfig, predictSet, TRAINABLE_MODEL_TYPES, type ModelType } from '../cli/train.js';

export const UQ_ELEMENTS = ['Si', 'Mo'] as const;
/** Folds of the cross-validation (fixed: the benchmark's figures are 5-fold CV). */
export const UQ_FOLDS = 5;

export interface UqRow {
  element: string;
  model: ModelType;
  config: string;
  folds: number;
  n_structures: number;
  n_features: number;
  energy_mae_mev: number;
  energy_rmse_mev: number;
  force_mae: number;
  force_rmse: number;
  /** Mean fit time of one fold (s) and the mean time to predict one held-out fold (s). */
  fit_time_s: number;
  predict_time_s: number;
  /** Pooled force calibration (null for models without an uncertainty). */
  calibration: CalibrationRecord | null;
  /** 68.27% quantile of |e_c| / sigma_c, pooled (null without uncertainty). */
  sigma_scale: number | null;
  /** Mean over folds of the per-fold Spearman(sigma, |e|) (null without uncertainty). */
  spearman_fold_mean: number | null;
  scaled_within_2sigma: number | null;
  scaled_within_1sigma: number | null;
  /** One line per fold from the fitter (e.g. GP noise levels, NN epochs). */
  headlines: string[];
}

/** The repository root: the nearest directory above this file with a package.json. */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, d = dirname(d)) if (existsSync(join(d, 'package.json'))) return d;
  return process.cwd();
}

/** Config of (element, model type): `<El>.yaml` for linear, `<El>-<type>.yaml` otherwise. */
export function uqConfigPath(root: string, element: string, model: ModelType): string {
  return join(root, 'examples', 'mlearn', model === 'linear' ? `${element}.yaml` : `${element}-${model}.yaml`);
}

/** The q-quantile (0..1, nearest rank) of |err[c]| / sig[c] over every c outside [skip[0], skip[1]). */
export function ratioQuantile(err: ArrayLike<number>, sig: ArrayLike<number>, q: number, skip: [number, number] = [0, 0]): number {
  const r: number[] = [];
  for (let c = 0; c < err.length; c++) {
    if (c >= skip[0] && c < skip[1]) continue;
    const sd = sig[c]!, e = Math.abs(err[c]!);
    r.push(sd > 0 ? e / sd : e === 0 ? 0 : Infinity);
  }
  if (r.length === 0) return NaN;
  r.sort((a, b) => a - b);
  return r[Math.min(r.length - 1, Math.max(0, Math.ceil(q * r.length) - 1))]!;
}

/** Gaussian fraction within 1 sigma, erf(1/sqrt 2). */
const P1 = 0.6826894921370859;

/** Run the CV of one config. `maxFolds` (default all) limits the folds evaluated (quick looks only). */
export async function runUqCase(config: string, o: { element: string; model?: ModelType; maxFolds?: number; log?: (s: string) => void; env?: Record<string, string | undefined> }): Promise<UqRow> {
  const c = loadTrainConfig(config, {}, o.env ?? process.env);
  const model = c.model.type;
  if (o.model && o.model !== model) throw new ParameterError(`${config}: model.type is ${model}, expected ${o.model}`);
  const frames = await readStructures(c.data.train.path, c.data.train.format !== undefined ? { format: c.data.train.format } : {});
  const { keys } = chooseLabelKeys(frames, c.data.train.labels ?? {}, c.data.train.path, ['energy', 'forces']);
  const desc = descriptorFromConfig(c.model.descriptor, frames);
  const K = UQ_FOLDS;
  const folds = kFold(frames.length, K, c.seed);
  const nRun = Math.min(K, o.maxFolds ?? K);
  const eErr: number[] = [];
  const fErr: number[] = [], fSig: number[] = [];
  const foldEnds: number[] = [];
  let fitS = 0, predS = 0;
  const headlines: string[] = [];
  let uncertain = false;
  for (let k = 0; k < nRun; k++) {
    const held = new Set(folds[k]);
    const train = frames.filter((_, i) => !held.has(i));
    const test = folds[k]!.map((i) => frames[i]!);
    const t0 = performance.now();
    const fitted = fitModel(c, train, desc, keys, () => {});
    const t1 = performance.now();
    const m = modelFromJSON(JSON.parse(JSON.stringify(fitted.json)) as unknown, `${config} fold ${k}`);
    const set = predictSet(`fold ${k}`, test, keys, m, m.offsetDetermined ?? true);
    const t2 = performance.now();
    fitS += (t1 - t0) / 1000;
    predS += (t2 - t1) / 1000;
    for (let s = 0; s < set.energyRef.length; s++) eErr.push(set.energyPred[s]! - set.energyRef[s]!);
    for (let q = 0; q < set.forceRef.length; q++) fErr.push(set.forcePred[q]! - set.forceRef[q]!);
    if (set.forceSigma) {
      uncertain = true;
      for (const v of set.forceSigma) fSig.push(v);
    }
    foldEnds.push(fErr.length);
    headlines.push(fitted.headline);
    o.log?.(`    fold ${k + 1}/${nRun}: fit ${((t1 - t0) / 1000).toFixed(1)} s, predict ${((t2 - t1) / 1000).toFixed(1)} s; ${fitted.headline}`);
  }
  const absMean = (v: number[]) => v.reduce((a, x) => a + Math.abs(x), 0) / v.length;
  const rms = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
  const row: UqRow = {
    element: o.element,
    model,
    config,
    folds: nRun,
    n_structures: frames.length,
    n_features: desc.size,
    energy_mae_mev: 1000 * absMean(eErr),
    energy_rmse_mev: 1000 * rms(eErr),
    force_mae: absMean(fErr),
    force_rmse: rms(fErr),
    fit_time_s: fitS / nRun,
    predict_time_s: predS / nRun,
    calibration: null,
    sigma_scale: null,
    spearman_fold_mean: null,
    scaled_within_1sigma: null,
    scaled_within_2sigma: null,
    headlines,
  };
  if (uncertain) {
    const err = Float64Array.from(fErr), sig = Float64Array.from(fSig);
    row.calibration = calibration(err, sig);
    row.sigma_scale = ratioQuantile(err, sig, P1);
    let rs = 0, from0 = 0;
    for (let k = 0; k < nRun; k++) {
      const to = foldEnds[k]!;
      rs += spearman(sig.subarray(from0, to), err.subarray(from0, to).map(Math.abs)) ?? NaN;
      from0 = to;
    }
    row.spearman_fold_mean = rs / nRun;
    if (nRun >= 2) {
      // cross-fitted scale: fold k's sigmas times the quantile factor of the other folds' held-out predictions
      const scaled = new Float64Array(sig.length);
      let from = 0;
      for (let k = 0; k < nRun; k++) {
        const to = foldEnds[k]!;
        const sOther = ratioQuantile(err, sig, P1, [from, to]);
        for (let q = from; q < to; q++) scaled[q] = sig[q]! * sOther;
        from = to;
      }
      const cs = calibration(err, scaled);
      row.scaled_within_1sigma = cs.force_within_1sigma;
      row.scaled_within_2sigma = cs.force_within_2sigma;
    }
  }
  return row;
}

export const UQ_BENCH_HEADER =
  'El | model     | feats | E MAE / RMSE (meV/at) | F MAE / RMSE (eV/Å) | fit/fold (s) | pred/fold (s) | in 1σ | in 2σ | Spearman | ρ folds | mean σ | σ scale | scaled 1σ / 2σ';

export function formatUqRow(r: UqRow): string {
  const f = (x: number | null | undefined, d: number, w: number) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d)).padStart(w);
  const cal = r.calibration;
  return [
    r.element.padEnd(2),
    r.model.padEnd(9),
    String(r.n_features).padStart(5),
    `${f(r.energy_mae_mev, 2, 6)} / ${f(r.energy_rmse_mev, 2, 6)}`.padEnd(21),
    `${f(r.force_mae, 4, 6)} / ${f(r.force_rmse, 4, 6)}`.padEnd(19),
    f(r.fit_time_s, 1, 12),
    f(r.predict_time_s, 1, 13),
    f(cal?.force_within_1sigma, 3, 5),
    f(cal?.force_within_2sigma, 3, 5),
    f(cal?.sigma_error_spearman, 3, 8),
    f(r.spearman_fold_mean, 3, 7),
    f(cal?.mean_sigma, 4, 6),
    f(r.sigma_scale, 2, 7),
    `${f(r.scaled_within_1sigma, 3, 5)} / ${f(r.scaled_within_2sigma, 3, 5)}`,
  ].join(' | ') + (r.folds < 5 ? `   (${r.folds} of 5 folds only)` : '');
}

function listEnv(v: string | undefined, dflt: readonly string[]): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [...dflt];
}

export async function runUqBench(o: { log: (line: string) => void; root?: string; env?: Record<string, string | undefined> }): Promise<UqRow[]> {
  const env = o.env ?? process.env;
  const root = o.root ?? repoRoot();
  const elements = listEnv(env['MLPOT_UQ_ELEMENTS'], UQ_ELEMENTS);
  const models = listEnv(env['MLPOT_UQ_MODELS'], TRAINABLE_MODEL_TYPES);
  for (const m of models) if (!(TRAINABLE_MODEL_TYPES as readonly string[]).includes(m)) throw new ParameterError(`MLPOT_UQ_MODELS: unknown model type "${m}"; known: ${TRAINABLE_MODEL_TYPES.join(', ')}`);
  const maxFolds = env['MLPOT_UQ_MAX_FOLDS'] ? Number(env['MLPOT_UQ_MAX_FOLDS']) : undefined;
  if (maxFolds !== undefined && !(Number.isInteger(maxFolds) && maxFolds >= 1)) throw new ParameterError(`MLPOT_UQ_MAX_FOLDS must be an integer >= 1, got ${env['MLPOT_UQ_MAX_FOLDS']}`);
  if (env['MLPOT_LINALG'] !== 'typescript') enableNativeLinalg();
  o.log(`(linear algebra: ${linalgBackendName()})`);
  const rows: UqRow[] = [];
  for (const el of elements) {
    for (const m of models as ModelType[]) {
      const config = uqConfigPath(root, el, m);
      if (!existsSync(config)) {
        o.log(`${el} ${m}: no config ${config}; skipped`);
        continue;
      }
      const c = loadTrainConfig(config, {}, env);
      if (!existsSync(c.data.train.path)) {
        o.log(`${el} ${m}: no data at ${c.data.train.path} (set MLPOT_MLEARN_DIR); skipped`);
        continue;
      }
      const row = await runUqCase(config, { element: el, model: m, log: o.log, env, ...(maxFolds !== undefined ? { maxFolds } : {}) });
      rows.push(row);
      o.log(formatUqRow(row));
    }
  }
  if (rows.length) {
    o.log(`\n${UQ_BENCH_HEADER}`);
    for (const r of rows) o.log(formatUqRow(r));
  }
  return rows;
}

export const UQ_BENCH = {
  name: 'uq',
  header: `mlearn Si/Mo, linear | gp | nn | committee from examples/mlearn/<El>[-<type>].yaml, 5-fold CV on training.json (seeded, by structure), force calibration pooled over held-out folds\n${UQ_BENCH_HEADER}`,
  run: (log: (line: string) => void): Promise<UqRow[]> => runUqBench({ log }),
};
