/**
 * The mlearn benchmark's repeated cross-validation (src/bench/mlearn.ts) on a small SW-labelled
 * silicon set written in mlearn's JSON format: repeat r is exactly a single CV with fold seed
 * seed + r, the row reports their mean and the per-seed values, and bad repeat counts are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cvRepeatsFromEnv, designWorkersFromEnv, MLEARN_CV_REPEATS, planFromFile, runMlearnBench, runPlan, spread } from '../bench/mlearn.js';
import { writeMlearnJson } from '../io/mlearn.js';
import { defaultDesignWorkers } from './design-pool.js';
import { swLabelledFrames } from './cli-test-kit.js';

const root = mkdtempSync(join(tmpdir(), 'mlpot-mlearn-bench-'));
mkdirSync(join(root, 'examples', 'mlearn'), { recursive: true });
mkdirSync(join(root, 'data', 'Si'), { recursive: true });
writeFileSync(join(root, 'data', 'Si', 'training.json'), writeMlearnJson(swLabelledFrames(15, 31)));
const config = join(root, 'examples', 'mlearn', 'Si.yaml');
writeFileSync(
  config,
  `seed: 4
data:
  train: \${MLPOT_MLEARN_DIR:-../../data}/Si/training.json
model:
  type: linear
  descriptor: {type: body-order, cutoff: 3.8, r_min: 1.5, max_body_order: 3, n_max: 6, n_max3: 3, l_max3: 2}
  offset: per-element
fit:
  weights: {energy: 10.0, forces: 1.0}
  lambda: 1.0e-8
  energy_per_atom: true
  folds: 5
`,
);
const env = { MLPOT_MLEARN_ELEMENTS: 'Si', MLPOT_MLEARN_CV_REPEATS: '3', MLPOT_DESIGN_WORKERS: '0' };

test('mlearn bench: repeat r is the single CV with fold seed seed + r; the row holds their mean', async () => {
  const lines: string[] = [];
  const rows = await runMlearnBench({ log: (l) => lines.push(l), root, env });
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.equal(row.cv_repeats, 3);
  assert.deepEqual(row.cv_seeds, [4, 5, 6]);
  const plan = planFromFile(config, env);
  for (let r = 0; r < 3; r++) {
    const single = await runPlan({ ...plan, seed: plan.seed + r }, undefined, 0, 1);
    assert.equal(row.energy_mae_mev_by_seed[r], 1000 * single.cv.best.pooled.energy_mae!, `energy, seed ${plan.seed + r}`);
    assert.equal(row.force_mae_by_seed[r], single.cv.best.pooled.force_mae!, `force, seed ${plan.seed + r}`);
  }
  assert.ok(new Set(row.energy_mae_mev_by_seed).size > 1, 'different fold seeds give different splits');
  assert.ok(Math.abs(row.energy_mae_mev - spread(row.energy_mae_mev_by_seed).mean) <= 1e-12 * row.energy_mae_mev);
  assert.ok(Math.abs(row.force_mae - spread(row.force_mae_by_seed).mean) <= 1e-12 * row.force_mae);
  assert.ok(row.fit_time_s > 0 && row.design_time_s > 0);
  assert.ok(lines.some((l) => /3 fold seeds 4\.\.6: E MAE \d+\.\d\d-\d+\.\d\d meV\/atom/.test(l)), lines.join('\n'));
});

test('mlearn bench: CV repeat count from MLPOT_MLEARN_CV_REPEATS, errors name the variable', async () => {
  assert.equal(cvRepeatsFromEnv({}), MLEARN_CV_REPEATS);
  assert.equal(cvRepeatsFromEnv({ MLPOT_MLEARN_CV_REPEATS: '1' }), 1);
  for (const bad of ['0', '-2', '1.5', 'five']) assert.throws(() => cvRepeatsFromEnv({ MLPOT_MLEARN_CV_REPEATS: bad }), /MLPOT_MLEARN_CV_REPEATS must be an integer >= 1/);
  await assert.rejects(runPlan(planFromFile(config, env), undefined, 0, 0), /CV repeats must be an integer >= 1, got 0/);
  assert.deepEqual(spread([1, 3, 2]), { mean: 2, min: 1, max: 3 });
});

test('mlearn bench: design worker count from MLPOT_DESIGN_WORKERS, errors name the variable', async () => {
  assert.equal(designWorkersFromEnv({}), defaultDesignWorkers());
  assert.equal(designWorkersFromEnv({ MLPOT_DESIGN_WORKERS: '0' }), 0);
  assert.equal(designWorkersFromEnv({ MLPOT_DESIGN_WORKERS: ' 2 ' }), 2);
  for (const bad of ['-1', '1.5', 'two']) assert.throws(() => designWorkersFromEnv({ MLPOT_DESIGN_WORKERS: bad }), /MLPOT_DESIGN_WORKERS must be an integer >= 0/);
  await assert.rejects(runMlearnBench({ log: () => {}, root, env: { ...env, MLPOT_DESIGN_WORKERS: 'two' } }), /MLPOT_DESIGN_WORKERS must be an integer >= 0, got "two"/);
});
