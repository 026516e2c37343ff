/**
 * Speed of a fitted linear body-order model in molecular dynamics, next to Stillinger-Weber in the
 * same run (`npm run bench -- ml-md`).
 *
 * System: diamond Si, 8x8x8 conventional cells (4096 atoms, a = 5.431 Å), Maxwell-Boltzmann
 * velocities for 300 K (seeded, zero momentum). NVE velocity Verlet, 1 fs, `ForceEngine` with a
 * 1 Å skin (neighbour-list rebuilds included in the timing), one thread. Each engine first runs a
 * short warm-up on a copy (JIT), then `steps` timed steps; the figure of merit is
 * atom-steps/s = atoms x steps / seconds. Wall time is what the table shows; the process CPU time
 * is printed too because this machine is shared (CPU time is less disturbed by other load).
 *
 * Models: for each size setting (small, medium, large, the range the accuracy study searches:
 * cutoff 5.0-5.5 Å, maxBodyOrder 4, nMax 8-12, nMax3 6-8, lMax3 3, nMax4 3-5, lMax4 2-3) a linear
 * model is fitted in seconds to SW energies and forces of rattled/strained 64-atom cells (ridge,
 * lambda by 3-fold CV), so its forces are physical and the MD is stable; the held-out force RMSE
 * against SW is printed. When the environment variable MLPOT_SI_MODEL names a saved model JSON
 * (e.g. a fitted `examples/mlearn/Si.model.json`), that model is run as an extra row. The model the
 * issue's speed goal is about, the linear ACE fit of `examples/mlearn/Si-fast.yaml` to the mlearn Si
 * DFT data, is fitted in the run (about 20 s) and timed as another row whenever that data is present
 * (MLPOT_ML_MD_MLEARN names other configs under examples/mlearn, comma-separated; empty: none).
 * MLPOT_ML_MD_SIZES (comma list of small,medium,large; empty: none) picks the built-in fitted sizes;
 * MLPOT_BENCH_STEPS (default 200) and MLPOT_BENCH_REPEATS (default 1; fastest run kept) set the
 * length of the timed runs.
 *
 * The model's forces come from `LinearPotential.compute` through the descriptor's contracted
 * gradient (`Descriptor.computeGradient`), not from the per-feature design rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rng } from '../core/rng.js';
import { BodyOrderDescriptor, type BodyOrderOptions } from '../descriptors/body-order.js';
import { ForceEngine } from '../dynamics/forces.js';
import { velocityVerlet } from '../dynamics/integrator.js';
import { createState, kineticEnergy } from '../dynamics/state.js';
import { LinearPotential } from '../models/linear.js';
import type { Potential } from '../potentials/potential.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { fitLinear, linearFitWants } from '../training/linear-fit.js';
import { swMdSystem } from './md.js';
import { planDescriptor, planFromFile, repoRoot } from './mlearn.js';
import { readMlearnJson } from '../io/mlearn.js';
import { computeLinearDesigns } from '../node/design-pool.js';
import { enableNativeLinalg } from '../node/linalg-native.js';

/** Descriptor size settings (Si, maxBodyOrder 4). */
export const ML_MD_SIZES: readonly { label: string; options: Omit<BodyOrderOptions, 'species'> }[] = [
  { label: 'small', options: { cutoff: 5.0, nMax: 8, nMax3: 6, lMax3: 3, nMax4: 3, lMax4: 2 } },
  { label: 'medium', options: { cutoff: 5.2, nMax: 10, nMax3: 7, lMax3: 3, nMax4: 4, lMax4: 3 } },
  { label: 'large', options: { cutoff: 5.5, nMax: 12, nMax3: 8, lMax3: 3, nMax4: 5, lMax4: 3 } },
];

export interface MlMdRow {
  engine: string;
  /** Features per atom and per body order (2, 3, 4); absent for SW. */
  features?: number;
  counts?: readonly number[];
  cutoff: number;
  atoms: number;
  steps: number;
  seconds: number;
  cpuSeconds: number;
  atomStepsPerSec: number;
  atomStepsPerCpuSec: number;
  rebuilds: number;
  /** |E_tot(end) - E_tot(start)| / atoms over the timed run, eV/atom. */
  driftPerAtom: number;
  /** This row's atom-steps/s divided by SW's (wall). */
  vsSw?: number;
  fitSeconds?: number;
  /** Held-out force RMSE against SW (eV/Å). */
  heldOutForceRmse?: number;
}

export interface MlMdOptions {
  log?: (line: string) => void;
  steps?: number;
  repeats?: number;
  warmupSteps?: number;
  /** Size labels to run (default all). */
  sizes?: readonly string[];
  /** Path of a saved linear model to run as an extra row. */
  modelPath?: string;
  /** train.yaml files of linear models to fit (on all their data) and run as extra rows. */
  configs?: readonly string[];
}

/** SW-labelled 64-atom Si cells: rattled (0.05-0.15 Å), every third one strained (2 %). */
function swFrames(count: number, seed: number): Structure[] {
  const sw = StillingerWeber.silicon();
  const rng = new Rng(seed);
  const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 2, 2]);
  const out: Structure[] = [];
  for (let k = 0; k < count; k++) {
    let s = k % 3 === 0 ? perturbCell(base, 0.02, rng) : base.clone();
    s = rattle(s, 0.05 + 0.05 * (k % 3), rng);
    const r = sw.compute(s, { forces: true, stress: true });
    s.info['REF_energy'] = r.energy;
    s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
    s.info['REF_stress'] = Array.from(r.stress!);
    out.push(s);
  }
  return out;
}

/** One timed NVE run (after a warm-up on a copy). */
function nve(pot: Potential, s0: Structure, v0: Float64Array, steps: number, warmup: number): { seconds: number; cpuSeconds: number; rebuilds: number; drift: number } {
  if (warmup > 0) {
    const w = createState(s0.clone(), { velocities: v0 });
    const md = velocityVerlet({ engine: new ForceEngine(pot, { skinA: 1 }), timestepFs: 1 });
    md.init(w);
    for (let k = 0; k < warmup; k++) md.step(w);
  }
  const state = createState(s0.clone(), { velocities: v0 });
  const engine = new ForceEngine(pot, { skinA: 1 });
  const md = velocityVerlet({ engine, timestepFs: 1 });
  md.init(state);
  const e0 = state.energy + kineticEnergy(state);
  const r0 = engine.rebuilds;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) md.step(state);
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const e1 = state.energy + kineticEnergy(state);
  return { seconds, cpuSeconds: (c.user + c.system) / 1e6, rebuilds: engine.rebuilds - r0, drift: Math.abs(e1 - e0) / s0.length };
}

export async function runMlMdBench(opts: MlMdOptions = {}): Promise<MlMdRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const steps = opts.steps ?? 200;
  const repeats = opts.repeats ?? 1;
  const warmup = opts.warmupSteps ?? 10;
  const { s, v } = swMdSystem(8, 300, 7);
  const train = swFrames(18, 1);
  const heldOut = swFrames(4, 2);
  interface Entry { row: Omit<MlMdRow, 'seconds' | 'cpuSeconds' | 'atomStepsPerSec' | 'atomStepsPerCpuSec' | 'rebuilds' | 'driftPerAtom'>; pot: Potential }
  const entries: Entry[] = [];
  const sw = StillingerWeber.silicon();
  entries.push({ row: { engine: 'SW (built-in)', cutoff: sw.cutoff, atoms: s.length, steps }, pot: sw });
  for (const size of ML_MD_SIZES) {
    if (opts.sizes && !opts.sizes.includes(size.label)) continue;
    const d = new BodyOrderDescriptor({ species: [14], maxBodyOrder: 4, ...size.options });
    const { potential, report } = fitLinear(train, { descriptor: d, weights: { energy: 1, forces: 1 }, lambdas: [1e-8, 1e-6, 1e-4], folds: 3, validation: heldOut });
    entries.push({
      row: {
        engine: `linear body-order ${size.label}`, features: d.size, counts: d.counts, cutoff: d.cutoff, atoms: s.length, steps,
        fitSeconds: report.fitTimeS, heldOutForceRmse: report.metrics.validation?.force_rmse ?? NaN,
      },
      pot: potential as unknown as Potential,
    });
  }
  if (opts.modelPath) {
    const pot = LinearPotential.fromJSON(JSON.parse(readFileSync(opts.modelPath, 'utf8')));
    const d = pot.descriptor;
    const counts = (d as { counts?: readonly number[] }).counts;
    entries.push({ row: { engine: `loaded ${opts.modelPath.split('/').pop()}`, features: d.size, ...(counts ? { counts } : {}), cutoff: d.cutoff, atoms: s.length, steps }, pot: pot as unknown as Potential });
  }
  for (const config of opts.configs ?? []) {
    const plan = planFromFile(config);
    const frames = readMlearnJson(readFileSync(plan.trainPath, 'utf8'), { file: plan.trainPath });
    const d = planDescriptor(plan.descriptor, frames);
    // as mlpot train does: the design rows in worker threads, then the fit (its time includes them)
    const fitOpts = {
      descriptor: d, weights: plan.weights, ...(plan.lambdas ? { lambdas: plan.lambdas } : { lambda: plan.lambda ?? 0 }),
      folds: plan.folds, seed: plan.seed, cvMetric: plan.cvMetric, offset: plan.offset, energyPerAtom: plan.energyPerAtom,
    };
    const t = performance.now();
    const designs = await computeLinearDesigns(d, frames, linearFitWants(frames, fitOpts));
    const designS = (performance.now() - t) / 1000;
    const { potential, report } = fitLinear(frames, { ...fitOpts, designs });
    report.fitTimeS += designS;
    const counts = (d as { counts?: readonly number[] }).counts;
    entries.push({
      row: { engine: `mlearn ${basename(config, '.yaml')} (fit here)`, features: d.size, ...(counts ? { counts } : {}), cutoff: d.cutoff, atoms: s.length, steps, fitSeconds: report.fitTimeS },
      pot: potential as unknown as Potential,
    });
  }
  log(`system: diamond Si 8x8x8 (${s.length} atoms), NVE 1 fs, 300 K, skin 1 Å, ${steps} timed steps after ${warmup} warm-up, best of ${repeats}`);
  for (const e of entries) {
    if (e.row.features !== undefined) log(`  ${e.row.engine}: ${e.row.features} features (per body order: ${e.row.counts?.join('/') ?? '?'}), cutoff ${e.row.cutoff} Å${e.row.fitSeconds !== undefined ? `, fit ${e.row.fitSeconds.toFixed(1)} s${e.row.heldOutForceRmse !== undefined ? ` on ${train.length} SW frames, held-out force RMSE ${e.row.heldOutForceRmse.toFixed(4)} eV/Å` : ' on the mlearn DFT data'}` : ''}`);
  }
  log(ML_MD_HEADER);
  const best = new Map<Entry, ReturnType<typeof nve>>();
  for (let r = 0; r < repeats; r++) {
    for (const e of entries) {
      const x = nve(e.pot, s, v, steps, r === 0 ? warmup : 0);
      const b = best.get(e);
      if (!b || x.seconds < b.seconds) best.set(e, x);
    }
  }
  const rows: MlMdRow[] = entries.map((e) => {
    const b = best.get(e)!;
    return {
      ...e.row,
      seconds: b.seconds,
      cpuSeconds: b.cpuSeconds,
      atomStepsPerSec: (s.length * steps) / b.seconds,
      atomStepsPerCpuSec: (s.length * steps) / b.cpuSeconds,
      rebuilds: b.rebuilds,
      driftPerAtom: b.drift,
    };
  });
  const swRate = rows[0]!.atomStepsPerSec;
  for (const r of rows) {
    if (r !== rows[0]) r.vsSw = r.atomStepsPerSec / swRate;
    log(formatRow(r));
  }
  return rows;
}

export const ML_MD_HEADER = 'engine                         | feats | cut Å | seconds | cpu s   | atom-steps/s | per cpu-s | rebuilds | drift eV/atom | vs SW';

function formatRow(r: MlMdRow): string {
  return [
    r.engine.padEnd(30),
    (r.features === undefined ? '-' : String(r.features)).padStart(5),
    r.cutoff.toFixed(2).padStart(5),
    r.seconds.toFixed(2).padStart(7),
    r.cpuSeconds.toFixed(2).padStart(7),
    r.atomStepsPerSec.toExponential(3).padStart(12),
    r.atomStepsPerCpuSec.toExponential(3).padStart(9),
    String(r.rebuilds).padStart(8),
    r.driftPerAtom.toExponential(2).padStart(13),
    (r.vsSw === undefined ? '-' : `${r.vsSw.toFixed(3)}x`).padStart(6),
  ].join(' | ');
}

function envInt(name: string, d: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return d;
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new Error(`bench ml-md: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return x;
}

/** Registration record for bench/index.ts (`npm run bench -- ml-md`). */
export const ML_MD_BENCH = {
  name: 'ml-md',
  header: 'fitted linear Si models (body-order on SW data; the mlearn Si-fast ACE fit) vs Stillinger-Weber in NVE MD (4096 atoms, one thread), atom-steps per second',
  run: (log: (line: string) => void): unknown => {
    const modelPath = process.env['MLPOT_SI_MODEL'];
    const sizes = process.env['MLPOT_ML_MD_SIZES'];
    const configs = mlearnConfigs(process.env['MLPOT_ML_MD_MLEARN'] ?? 'Si-fast', log);
    if (configs.length > 0 && process.env['MLPOT_LINALG'] !== 'typescript') enableNativeLinalg();
    return runMlMdBench({ log, steps: envInt('MLPOT_BENCH_STEPS', 200), repeats: envInt('MLPOT_BENCH_REPEATS', 1), configs, ...(modelPath ? { modelPath } : {}), ...(sizes !== undefined ? { sizes: sizes.split(',').filter(Boolean) } : {}) });
  },
};

/** examples/mlearn/NAME.yaml for each comma-separated name whose training data exists (others are reported and skipped). */
function mlearnConfigs(names: string, log: (line: string) => void): string[] {
  const out: string[] = [];
  for (const name of names.split(',').map((x) => x.trim()).filter(Boolean)) {
    const config = join(repoRoot(), 'examples', 'mlearn', `${name}.yaml`);
    if (!existsSync(config)) {
      log(`  (no ${config}: skipped)`);
      continue;
    }
    const data = planFromFile(config).trainPath;
    if (!existsSync(data)) {
      log(`  (mlearn data ${data} not found: ${name} skipped; set MLPOT_MLEARN_DIR)`);
      continue;
    }
    out.push(config);
  }
  return out;
}
