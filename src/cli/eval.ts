/**
 * `mlpot eval -m MODEL -i DATA [--from FORMAT] [--json] [--energy-key K] [--forces-key K]`:
 * error metrics of a model (or any potential spec) against the reference labels of a data file.
 *
 *   energy  MAE / RMSE of (E_pred - E_ref) / N over frames        (eV/atom; the table shows meV/atom)
 *   forces  MAE / RMSE over all Cartesian force components         (eV/Å)
 *
 * computed exactly as `evaluatePotential` (training/metrics.ts); for a model fitted with w_E = 0
 * (energies known only up to a constant) the mean per-atom energy error is removed first and
 * `energy_offset_removed` is true.
 *
 * `-m` takes a model file written by `mlpot train` (`Si.model.json`) or any `-p` spec (`sw`,
 * `model.json+lj:...`). Labels: `--energy-key` / `--forces-key` name them; by default `REF_energy`
 * / `REF_forces` when the file has them (mlearn JSON is read into these keys; `mlpot calc` keeps
 * labels there), else `energy` / `forces` with a note on stderr, since in a file written by
 * `mlpot calc` those keys hold that potential's predictions.
 *
 * With `--json`, stdout is exactly one JSON object: n_structures, n_atoms, energy_mae,
 * energy_rmse, force_mae, force_rmse (eV/atom, eV/Å; null when the data have no such labels),
 * energy_offset_removed, model, data, energy_key, forces_key.
 *
 * Models with an uncertainty (GP, committees) are also scored for calibration on the force
 * components (training/calibration.ts): `force_within_1sigma`, `force_within_2sigma` (fractions of
 * |F_pred - F_ref| <= 1 or 2 predicted sigma; 0.683 / 0.954 for calibrated Gaussian errors),
 * `sigma_error_spearman` (rank correlation of sigma and |error|), `mean_force_sigma`; these keys are
 * null for models without one. `--calibration-svg FILE` writes the calibration plot (observed vs
 * expected fraction within z sigma).
 */
import { writeFileSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';
import { calibration, calibrationSVG } from '../training/calibration.js';
import type { MetricsRecord } from '../training/metrics.js';
import { readStructures } from '../node/files.js';
import { loadPotential } from '../node/potentials.js';
import { chooseLabelKeys, predictSet } from './train.js';
import { createProgress } from './progress.js';

export interface EvalOptions {
  model: string;
  input: string;
  from?: string;
  json?: boolean;
  energyKey?: string;
  forcesKey?: string;
  progress?: boolean;
  calibrationSvg?: string;
}

export interface EvalSummary extends MetricsRecord {
  model: string;
  data: string;
  energy_key: string;
  forces_key: string;
  force_within_1sigma: number | null;
  force_within_2sigma: number | null;
  sigma_error_spearman: number | null;
  mean_force_sigma: number | null;
}

export async function evalCommand(opts: EvalOptions): Promise<EvalSummary> {
  const pot = loadPotential(opts.model);
  const frames = await readStructures(opts.input, opts.from !== undefined ? { format: opts.from } : {});
  if (frames.length === 0) throw new ValidationError(`${opts.input}: no structures found`);
  const given: { energy?: string; forces?: string } = {};
  if (opts.energyKey !== undefined) given.energy = opts.energyKey;
  if (opts.forcesKey !== undefined) given.forces = opts.forcesKey;
  const { keys, notes } = chooseLabelKeys(frames, given, opts.input, ['energy', 'forces']);
  if (!opts.json) for (const n of notes) process.stderr.write(`note: ${n}\n`);
  const hasE = frames.some((s) => keys.energy in s.info);
  const hasF = frames.some((s) => keys.forces in s.arrays);
  if (!hasE && !hasF) {
    throw new ValidationError(`${opts.input}: no labels to compare with: no frame has the energy key "${keys.energy}" (info) or the forces key "${keys.forces}" (per-atom array); name them with --energy-key / --forces-key`);
  }
  const own = (pot as { offsetDetermined?: unknown }).offsetDetermined;
  const offsetDetermined = typeof own === 'boolean' ? own : true;
  const progress = createProgress('eval', frames.length, { enabled: (opts.progress ?? true) && !opts.json });
  let done = 0;
  let set;
  try {
    set = predictSet('data', frames, keys, pot, offsetDetermined, () => progress.update(++done, {}), opts.input);
  } finally {
    progress.stop();
  }
  let cal = null;
  if (set.forceSigma) {
    const err = new Float64Array(set.forcePred.length);
    for (let c = 0; c < err.length; c++) err[c] = set.forcePred[c]! - set.forceRef[c]!;
    cal = calibration(err, set.forceSigma);
    if (opts.calibrationSvg) writeFileSync(opts.calibrationSvg, calibrationSVG(err, set.forceSigma, `Force uncertainty calibration: ${pot.name}`));
  } else if (opts.calibrationSvg) {
    throw new ValidationError(`--calibration-svg: ${pot.name} has no uncertainty (use a GP or committee model)`);
  }
  const summary: EvalSummary = {
    ...set.metrics, model: opts.model, data: opts.input, energy_key: keys.energy, forces_key: keys.forces,
    force_within_1sigma: cal?.force_within_1sigma ?? null,
    force_within_2sigma: cal?.force_within_2sigma ?? null,
    sigma_error_spearman: cal?.sigma_error_spearman ?? null,
    mean_force_sigma: cal?.mean_sigma ?? null,
  };
  const out = process.stdout;
  if (opts.json) {
    out.write(JSON.stringify(summary) + '\n');
    return summary;
  }
  const m = set.metrics;
  const f = (v: number | null, scale = 1) => (v === null ? '-' : (v * scale).toPrecision(4));
  const rows = [
    ['quantity', 'MAE', 'RMSE', 'unit'],
    ['energy', f(m.energy_mae, 1000), f(m.energy_rmse, 1000), 'meV/atom'],
    ['forces', f(m.force_mae), f(m.force_rmse), 'eV/Å'],
  ];
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  out.write(`# model: ${pot.name} (${opts.model})\n# data: ${opts.input}, ${m.n_structures} frames, ${m.n_atoms} atoms; labels ${hasE ? keys.energy : '-'} / ${hasF ? keys.forces : '-'}\n`);
  for (const r of rows) out.write(r.map((v, j) => (j === 0 || j === 3 ? v.padEnd(w[j]!) : v.padStart(w[j]!))).join('  ').trimEnd() + '\n');
  if (cal) {
    const p = (v: number | null) => (v === null ? '-' : v.toFixed(3));
    out.write(`# force calibration: within 1 sigma ${p(cal.force_within_1sigma)} (Gaussian 0.683), within 2 sigma ${p(cal.force_within_2sigma)} (0.954), Spearman(sigma, |error|) ${p(cal.sigma_error_spearman)}, mean sigma ${p(cal.mean_sigma)} eV/Å\n`);
    if (opts.calibrationSvg) out.write(`# calibration plot: ${opts.calibrationSvg}\n`);
  }
  if (m.energy_offset_removed) out.write('# energies are known only up to a constant (model fitted with w_E = 0): the mean per-atom energy error was removed\n');
  return summary;
}
