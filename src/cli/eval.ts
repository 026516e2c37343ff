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
 */
import { ValidationError } from '../core/errors.js';
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
}

export interface EvalSummary extends MetricsRecord {
  model: string;
  data: string;
  energy_key: string;
  forces_key: string;
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
  const summary: EvalSummary = { ...set.metrics, model: opts.model, data: opts.input, energy_key: keys.energy, forces_key: keys.forces };
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
  if (m.energy_offset_removed) out.write('# energies are known only up to a constant (model fitted with w_E = 0): the mean per-atom energy error was removed\n');
  return summary;
}
