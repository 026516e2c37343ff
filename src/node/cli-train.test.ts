/**
 * End-to-end: `mlpot train`, `mlpot eval`, and a trained model used by `mlpot calc` and `mlpot md`,
 * run as a user runs them (separate processes of this build's CLI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readStructures, writeStructures } from './files.js';
import { cliSandbox, swLabelledFrames } from './cli-test-kit.js';
import { loadPotential } from './potentials.js';
import { evaluatePotential } from '../training/metrics.js';
import { makeDataset } from '../training/dataset.js';
import { modelFromText } from '../models/registry.js';

const { dir, mlpot } = cliSandbox('mlpot-cli-train-');


const trainFrames = swLabelledFrames(12, 21);
const testFrames = swLabelledFrames(4, 22);
await writeStructures(join(dir, 'train.extxyz'), trainFrames);
await writeStructures(join(dir, 'test.extxyz'), testFrames);
writeFileSync(join(dir, 'train.yaml'), `seed: 0
data:
  train: train.extxyz
  test_fraction: 0.2
model:
  type: linear
  descriptor: {type: body-order, cutoff: 3.8, r_min: 1.5, max_body_order: 3, n_max: 8, n_max3: 4, l_max3: 3}
  offset: per-element
fit:
  weights: {energy: 1.0, forces: 1.0}
  lambda: 1.0e-8
`);

test('mlpot train writes the model and the report and prints the error table', () => {
  const r = mlpot('train', '-c', 'train.yaml', '-o', 'si.model.json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /set\s+frames\s+atoms\s+E MAE meV\/atom\s+E RMSE meV\/atom\s+F MAE eV\/Å\s+F RMSE eV\/Å/);
  assert.match(r.stdout, /^train\s+10\s/m);
  assert.match(r.stdout, /^holdout \(test_fraction\)\s+2\s/m);
  assert.match(r.stderr, /train: \d+\/\d+ \(100%\)/, 'progress lines on stderr in CI');
  for (const f of ['report.json', 'report.md', 'parity-energy.svg', 'parity-forces.svg', 'error-histogram.svg']) assert.ok(existsSync(join(dir, 'si.model-report', f)), f);
  const json = JSON.parse(readFileSync(join(dir, 'si.model.json'), 'utf8'));
  assert.equal(json.format, 'mlpot-model');
  assert.equal(json.version, 1);
  assert.equal(json.type, 'linear');
});

test('mlpot eval --json prints exactly one object whose metrics equal evaluatePotential on the same data', async () => {
  const r = mlpot('eval', '-m', 'si.model.json', '-i', 'test.extxyz', '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const got = JSON.parse(lines[0]!);
  for (const k of ['n_structures', 'n_atoms', 'energy_mae', 'energy_rmse', 'force_mae', 'force_rmse']) assert.ok(k in got, k);
  const model = modelFromText(readFileSync(join(dir, 'si.model.json'), 'utf8'));
  const want = evaluatePotential(model, makeDataset(await readStructures(join(dir, 'test.extxyz'))));
  for (const k of ['n_structures', 'n_atoms', 'energy_mae', 'energy_rmse', 'force_mae', 'force_rmse'] as const) assert.equal(got[k], want[k], k);
  assert.equal(got.n_structures, 4);
  let q = 0, n = 0;
  for (const s of testFrames) for (const v of s.arrays['REF_forces']!.data as Float64Array) (q += v * v), n++;
  const scale = Math.sqrt(q / n);
  assert.ok(got.force_rmse < 0.03 * scale, `held-out force RMSE ${got.force_rmse} eV/Å vs force scale ${scale} eV/Å`);
  const table = mlpot('eval', '-m', 'si.model.json', '-i', 'test.extxyz');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^energy\s+\S+\s+\S+\s+meV\/atom$/m);
  assert.match(table.stdout, /^forces\s+\S+\s+\S+\s+eV\/Å$/m);
});

test('mlpot calc -p MODEL.json and a 20-step mlpot md -p MODEL.json run; eval reads REF_* from calc output by default', () => {
  const c = mlpot('calc', '-p', 'si.model.json', '-i', 'test.extxyz', '-o', 'pred.extxyz', '--json');
  assert.equal(c.status, 0, c.stderr);
  const rows = JSON.parse(c.stdout).frames as { energy: number }[];
  const model = loadPotential(join(dir, 'si.model.json'));
  // energy-only (features) and energy+forces (contracted gradient) paths sum in different orders
  testFrames.forEach((s, k) => {
    const e = model.compute(s, { forces: false }).energy;
    assert.ok(Math.abs(rows[k]!.energy - e) <= 1e-12 * Math.abs(e), `frame ${k}: ${rows[k]!.energy} vs ${e}`);
  });
  // calc kept the labels as REF_*: eval of its output compares against them, not against the predictions
  const a = JSON.parse(mlpot('eval', '-m', 'si.model.json', '-i', 'pred.extxyz', '--json').stdout);
  const b = JSON.parse(mlpot('eval', '-m', 'si.model.json', '-i', 'test.extxyz', '--json').stdout);
  assert.equal(a.energy_key, 'REF_energy');
  assert.equal(a.force_rmse, b.force_rmse);
  const self = JSON.parse(mlpot('eval', '-m', 'si.model.json', '-i', 'pred.extxyz', '--energy-key', 'energy', '--forces-key', 'forces', '--json').stdout);
  assert.ok(self.force_rmse < 1e-6 && self.energy_rmse < 1e-6, 'a model against its own predictions');
  const md = mlpot('md', '-p', 'si.model.json', '-i', 'test.extxyz', '--frame', '1', '--steps', '20', '--timestep', '1', '--temperature', '300', '--interval', '5', '--json', '--no-progress');
  assert.equal(md.status, 0, md.stderr);
  const sum = JSON.parse(md.stdout);
  assert.equal(sum.steps, 20);
  assert.ok(Math.abs(sum.conserved_drift_eV_per_atom) < 1e-3, `NVE drift ${sum.conserved_drift_eV_per_atom} eV/atom`);
  const opt = mlpot('opt', '-p', 'si.model.json', '-i', 'test.extxyz', '--steps', '5', '--json');
  assert.equal(opt.status, 0, opt.stderr);
});

test('train and eval errors: bad config key with its line, missing labels, a data file given as a model', async () => {
  writeFileSync(join(dir, 'bad.yaml'), `data:\n  train: train.extxyz\n  tset: test.extxyz\nmodel:\n  descriptor: {type: body-order, cutoff: 3.8}\n`);
  const r = mlpot('train', '-c', 'bad.yaml');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown key "data\.tset" \(bad\.yaml line 3\); did you mean "test"\?/);
  await writeStructures(join(dir, 'unlabelled.extxyz'), testFrames.map((f) => {
    const c = f.clone();
    delete c.info['REF_energy'];
    delete c.arrays['REF_forces'];
    return c;
  }));
  const bare = mlpot('calc', '-p', 'sw', '-i', 'unlabelled.extxyz', '-o', 'bare.extxyz');
  assert.equal(bare.status, 0, bare.stderr);
  // SW predictions under energy/forces and no REF_*: eval reads them as labels and says so
  const plain = mlpot('eval', '-m', 'si.model.json', '-i', 'bare.extxyz');
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stderr, /no "REF_forces" labels; reading "forces" as the reference forces/);
  assert.match(plain.stdout, /labels energy \/ forces/);
  assert.doesNotMatch(plain.stderr, /stress/, 'eval does not use stress labels');
  const noLabels = mlpot('eval', '-m', 'si.model.json', '-i', 'test.extxyz', '--energy-key', 'E_dft', '--forces-key', 'F_dft');
  assert.equal(noLabels.status, 1);
  assert.match(noLabels.stderr, /no labels to compare with: no frame has the energy key "E_dft"/);
  writeFileSync(join(dir, 'data.json'), '[{"structure": {}}]');
  const wrong = mlpot('calc', '-p', 'data.json', '-i', 'test.extxyz', '-o', 'x.extxyz');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /model file data\.json: expected a model object/);
});

test('the example examples/train/si-sw.yaml runs as its README says (labels from calc -p sw, then train)', () => {
  const root = resolve('.'); // tests run from the repository root, as examples.test.ts assumes
  const cfg = join(root, 'examples/train/si-sw.yaml');
  const si = join(root, 'examples/si.xyz');
  assert.ok(existsSync(cfg) && existsSync(si), `examples not found under ${root}`);
  const c = mlpot('calc', '-p', 'sw', '-i', si, '-o', 'ex-labelled.extxyz', '--json');
  assert.equal(c.status, 0, c.stderr);
  const t = mlpot('train', '-c', cfg, '--data', 'ex-labelled.extxyz', '-o', 'ex.model.json', '--json');
  assert.equal(t.status, 0, t.stderr);
  const s = JSON.parse(t.stdout);
  assert.equal(s.model, join(dir, 'ex.model.json'));
  assert.ok(s.metrics.holdout.force_rmse < 0.05, `held-out force RMSE ${s.metrics.holdout.force_rmse}`);
  assert.ok(existsSync(join(dir, 'ex.model-report', 'report.md')));
});

test('mlpot train with descriptor type ace: trains and reloads; list-shape errors name the key and line', async () => {
  writeFileSync(join(dir, 'ace.yaml'), `seed: 0
data:
  train: train.extxyz
  test: test.extxyz
model:
  type: linear
  descriptor: {type: ace, cutoff: 3.8, r_min: 1.5, max_body_order: 4, n_max: [6, 4, 2], l_max: [3, 2]}
fit:
  weights: {energy: 1.0, forces: 1.0}
  lambda: 1.0e-8
`);
  const r = mlpot('train', '-c', 'ace.yaml', '-o', 'ace.model.json');
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'ace.model.json'), 'utf8')) as { descriptor: { type: string; nMax: number[]; lMax: number[]; maxBodyOrder: number } };
  assert.equal(json.descriptor.type, 'ace');
  assert.deepEqual([json.descriptor.nMax, json.descriptor.lMax, json.descriptor.maxBodyOrder], [[6, 4, 2], [3, 2], 4]);
  const m = evaluatePotential(loadPotential(join(dir, 'ace.model.json')), makeDataset(testFrames, { require: { energy: true, forces: true } }));
  assert.ok(m.force_rmse! < 0.1, `held-out force RMSE of the ACE model ${m.force_rmse} eV/Å`);
  const cases: [string, RegExp][] = [
    ['{type: ace, cutoff: 3.8, max_body_order: 3, n_max: 6, l_max: [3]}', /key "model\.descriptor\.n_max" \(bad-ace\.yaml line 5\): descriptor type "ace" needs a list/],
    ['{type: ace, cutoff: 3.8, max_body_order: 4, n_max: [6, 4, 2], l_max: [3]}', /key "model\.descriptor\.l_max" \(bad-ace\.yaml line 5\): needs 2 entries for max_body_order 4/],
    ['{type: ace, cutoff: 3.8, max_body_order: 3, n_max: [6, 4]}', /needs l_max/],
    ['{type: body-order, cutoff: 3.8, n_max: [6, 4]}', /descriptor type "body-order" takes one integer/],
    ['{type: body-order, cutoff: 3.8, l_max: [3]}', /key "model\.descriptor\.l_max" \(bad-ace\.yaml line 5\) does not apply to descriptor type "body-order"/],
    ['{type: ace, cutoff: 3.8, max_body_order: 4, n_max: [6, 4, 2], l_max: [3, 2], l_int_max: 2}', /model\.descriptor: .*lIntMax bounds the body-order-5 couplings; it needs maxBodyOrder 5/],
    ['{type: body-order, cutoff: 3.8, l_int_max: 2}', /key "model\.descriptor\.l_int_max" \(bad-ace\.yaml line 5\) does not apply to descriptor type "body-order"/],
  ];
  for (const [desc, re] of cases) {
    writeFileSync(join(dir, 'bad-ace.yaml'), `data:\n  train: train.extxyz\nmodel:\n  type: linear\n  descriptor: ${desc}\n`);
    const b = mlpot('train', '-c', 'bad-ace.yaml');
    assert.equal(b.status, 1, desc);
    assert.match(b.stderr, re, desc);
  }
});
