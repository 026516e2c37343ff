/**
 * `mlpot train` in-process: config loading (errors naming key path, file and line; environment
 * expansion; path resolution), a fit of Stillinger-Weber silicon with every report file, the w_E = 0
 * report, the label-key choice, and fitted models as potentials (alone and in a sum).
 */
import { test } from 'node:test';
import type { LinearFitReport } from '../training/linear-fit.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseLabelKeys, loadTrainConfig, runTrainJob, type TrainReport } from './train.js';
import { ConfigError } from './config.js';
import { writeStructures } from '../node/files.js';
import { swLabelledFrames } from '../node/cli-test-kit.js';
import { loadPotential } from '../node/potentials.js';
import { LennardJones } from '../potentials/lj.js';
import { svgProblems } from '../training/svg-check.js';
import { evaluatePotential } from '../training/metrics.js';
import { makeDataset } from '../training/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'mlpot-train-'));


const data = join(dir, 'data');
mkdirSync(data);
const trainFrames = swLabelledFrames(10, 7, { stress: true });
const testFrames = swLabelledFrames(3, 8, { stress: true });
await writeStructures(join(data, 'train.extxyz'), trainFrames);
await writeStructures(join(data, 'test.extxyz'), testFrames);

const DESCRIPTOR = `  descriptor:
    type: body-order
    cutoff: 3.8
    r_min: 1.5
    max_body_order: 3
    n_max: 8
    n_max3: 4
    l_max3: 3`;

function config(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

test('config errors name the key path, the file and the line', () => {
  const p = config('bad.yaml', `data:\n  train: data/train.extxyz\nmodel:\n  descriptor:\n    type: body-order\n    cutof: 3.8\n  offset: per-atom\nfit:\n  lambda: small\n  wieghts: {energy: 1}\n`);
  assert.throws(() => loadTrainConfig(p), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    const m = e.message;
    assert.match(m, /unknown key "model\.descriptor\.cutof" \(.*bad\.yaml line 6\); did you mean "cutoff"\?/);
    assert.match(m, /missing required key "model\.descriptor\.cutoff" \(.*bad\.yaml line 4\)/);
    assert.match(m, /key "model\.offset" \(.*bad\.yaml line 7\) must be one of "per-element", "global", "none"/);
    assert.match(m, /key "fit\.lambda" \(.*bad\.yaml line 9\) must be number/);
    assert.match(m, /unknown key "fit\.wieghts" \(.*bad\.yaml line 10\); did you mean "weights"\?/);
    return true;
  });
  const gp = config('gp.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: gaussian\n  descriptor: {type: acsf, cutoff: 4}\n`);
  assert.throws(() => loadTrainConfig(gp), /key "model\.type" \(.*gp\.yaml line 3\) is "gaussian"; mlpot train fits: linear, gp, nn, committee/);
  const wrongBlock = config('nnblock.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: gp\n  descriptor: {type: acsf, cutoff: 4}\n  nn: {epochs: 3}\n`);
  assert.throws(() => loadTrainConfig(wrongBlock), /key "model\.nn" \(.*nnblock\.yaml line 5\) does not apply to model type "gp"/);
  const lin = config('lincom.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: committee\n  descriptor: {type: acsf, cutoff: 4}\n  committee: {resample: none}\n`);
  assert.throws(() => loadTrainConfig(lin), /linear members would be identical/);
  const foreign = config('foreign.yaml', `data: {train: data/train.extxyz}\nmodel:\n  descriptor:\n    type: body-order\n    cutoff: 4\n    n_radial: 6\n`);
  assert.throws(() => loadTrainConfig(foreign), /key "model\.descriptor\.n_radial" \(.*foreign\.yaml line 6\) does not apply to descriptor type "body-order"/);
  const both = config('both.yaml', `data: {train: data/train.extxyz}\nmodel: {descriptor: {type: acsf, cutoff: 4}}\nfit: {lambda: 1.0e-8, lambdas: [1.0e-8]}\n`);
  assert.throws(() => loadTrainConfig(both), /"fit\.lambda" .* and "fit\.lambdas" .*: give one/);
  const env = config('env.yaml', `data: {train: "\${MLPOT_TEST_UNSET_DIR}/train.extxyz"}\nmodel: {descriptor: {type: acsf, cutoff: 4}}\n`);
  assert.throws(() => loadTrainConfig(env, {}, {}), /key "data\.train" \(.*env\.yaml line 1\): environment variable MLPOT_TEST_UNSET_DIR is not set/);
});

test('model.gp keys: poly kernel with offset, fixed_noise; offset on another kernel and an unknown noise type are errors', () => {
  const ok = config('gp-poly.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: gp\n  descriptor: {type: acsf, cutoff: 4}\n  gp: {kernel: poly, zeta: 2, offset: 10, noise: {energy: 0.003}, fixed_noise: [energy]}\n`);
  const c = loadTrainConfig(ok);
  assert.equal(c.model.gp!.kernel, 'poly');
  assert.equal(c.model.gp!.offset, 10);
  assert.deepEqual(c.model.gp!.fixed_noise, ['energy']);
  const off = config('gp-off.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: gp\n  descriptor: {type: acsf, cutoff: 4}\n  gp: {kernel: dot, offset: 10}\n`);
  assert.throws(() => loadTrainConfig(off), /key "model\.gp\.offset" \(.*gp-off\.yaml line 5\) applies to kernel "poly", not "dot"/);
  const bad = config('gp-fix.yaml', `data: {train: data/train.extxyz}\nmodel:\n  type: gp\n  descriptor: {type: acsf, cutoff: 4}\n  gp: {fixed_noise: [energies]}\n`);
  assert.throws(() => loadTrainConfig(bad), /key "model\.gp\.fixed_noise\.0" .* must be one of "energy", "forces", "stress"/);
});

test('config paths: ${VAR:-default} expansion, resolution against the config directory, defaults for outputs, --data and -o', () => {
  mkdirSync(join(dir, 'cfg'), { recursive: true });
  const p = config('cfg/si.yaml', `data:\n  train: "\${MLPOT_TEST_DATA:-../data}/train.extxyz"\n  test: {path: "\${MLPOT_TEST_DATA:-../data}/test.extxyz", labels: {energy: E}}\nmodel:\n${DESCRIPTOR}\n`);
  const c = loadTrainConfig(p, {}, {});
  assert.equal(c.data.train.path, join(dir, 'data', 'train.extxyz'));
  assert.equal(c.data.test!.labels!.energy, 'E');
  assert.equal(c.output.model, join(dir, 'cfg', 'si.model.json'));
  assert.equal(c.output.report, join(dir, 'cfg', 'si.model-report'));
  assert.deepEqual(c.fit.weights, { energy: 1, forces: 1, stress: 0 });
  assert.equal(c.seed, 0);
  const c2 = loadTrainConfig(p, { data: 'x.extxyz', output: 'out/m.json' }, { MLPOT_TEST_DATA: '/somewhere' });
  assert.equal(c2.data.train.path, join(process.cwd(), 'x.extxyz'));
  assert.equal(c2.data.test!.path, '/somewhere/test.extxyz');
  assert.equal(c2.output.model, join(process.cwd(), 'out', 'm.json'));
  assert.equal(c2.output.report, join(process.cwd(), 'out', 'm-report'));
});

let fitted: Awaited<ReturnType<typeof runTrainJob>> | undefined;

test('train fits SW silicon: model file, report.json/md and well-formed SVGs; held-out force RMSE small; the model file is a potential', async () => {
  const p = config('si.yaml', `seed: 3\ndata:\n  train: data/train.extxyz\n  test: data/test.extxyz\nmodel:\n  type: linear\n${DESCRIPTOR}\nfit:\n  lambdas: [1.0e-10, 1.0e-8, 1.0e-6]\n  folds: 3\noutput:\n  model: out/si.model.json\n`);
  const c = loadTrainConfig(p);
  const res = await runTrainJob(c, { print: false, progress: false });
  fitted = res;
  assert.equal(res.modelPath, join(dir, 'out', 'si.model.json'));
  for (const f of ['report.json', 'report.md', 'parity-energy.svg', 'parity-forces.svg', 'error-histogram.svg']) assert.ok(existsSync(join(res.reportDir, f)), f);
  for (const f of ['parity-energy.svg', 'parity-forces.svg', 'error-histogram.svg']) assert.deepEqual(svgProblems(readFileSync(join(res.reportDir, f), 'utf8')), [], f);
  const rep = JSON.parse(readFileSync(join(res.reportDir, 'report.json'), 'utf8')) as TrainReport;
  // force RMSE against the scale of the forces (~3 eV/Å per component here)
  assert.ok(rep.metrics.train.force_rmse! < 0.05, `train force RMSE ${rep.metrics.train.force_rmse}`);
  assert.ok(rep.metrics.test!.force_rmse! < 0.05, `test force RMSE ${rep.metrics.test!.force_rmse}`);
  assert.ok(rep.metrics.test!.energy_rmse! < 0.01, `test energy RMSE ${rep.metrics.test!.energy_rmse} eV/atom`);
  assert.equal(rep.metrics.cv!.folds, 3);
  const fit = rep.fit as LinearFitReport;
  assert.equal(rep.model_type, 'linear');
  assert.equal(fit.lambdaPath.length, 3);
  // the saved model (rebuilt from its JSON) reproduces the fit's own train metrics
  for (const k of ['energy_mae', 'energy_rmse', 'force_mae', 'force_rmse'] as const) {
    assert.ok(Math.abs(rep.metrics.train[k]! - fit.metrics.train[k]!) <= 1e-9 * fit.metrics.train[k]!, k);
  }
  assert.ok(rep.fit_time_s > 0 && rep.total_time_s >= rep.fit_time_s);
  assert.equal(rep.config.seed, 3);
  const md = readFileSync(join(res.reportDir, 'report.md'), 'utf8');
  assert.match(md, /\| train \| 10 \| 120 \|/);
  assert.match(md, /\| test \| 3 \| 32 \|/);
  assert.match(md, /\| CV \(3-fold\) \|/);
  assert.match(md, /### Lambda path/);
  assert.doesNotMatch(md, /known only up to a constant/);
  // the model file as a potential: same numbers as evaluatePotential on the returned model
  const pot = loadPotential(res.modelPath);
  const recs = makeDataset(testFrames);
  assert.deepEqual(evaluatePotential(pot, recs), rep.metrics.test);
});

test('a model file is a term of a sum: model.json+lj equals model plus LJ', () => {
  assert.ok(fitted, 'the fit test ran first');
  const lj = new LennardJones({ epsilon: 0.001, sigma: 2.5, cutoff: 5, shift: true });
  const sum = loadPotential(`${fitted.modelPath}+lj:epsilon=0.001,sigma=2.5,cutoff=5`);
  const viaPrefix = loadPotential(`model:${fitted.modelPath}`);
  const s = testFrames[1]!;
  const a = sum.compute(s, { forces: true, stress: true });
  const m = fitted.model.compute(s, { forces: true, stress: true });
  const l = lj.compute(s, { forces: true, stress: true });
  assert.ok(Math.abs(a.energy - (m.energy + l.energy)) < 1e-9);
  for (let k = 0; k < a.forces!.length; k++) assert.ok(Math.abs(a.forces![k]! - (m.forces![k]! + l.forces![k]!)) < 1e-9);
  assert.equal(viaPrefix.compute(s).energy, m.energy);
  assert.throws(() => loadPotential(join(dir, 'missing.model.json')), /model file ".*missing\.model\.json" not found/);
  assert.throws(() => loadPotential(join(dir, 'data', 'train.extxyz') + '.json'), /not found/);
});

test('w_E = 0: the report says energies are known only up to a constant, energy errors have the offset removed', async () => {
  const p = config('fonly.yaml', `data: {train: data/train.extxyz}\nmodel:\n${DESCRIPTOR}\nfit:\n  weights: {energy: 0, forces: 1}\n  lambda: 1.0e-8\n`);
  const res = await runTrainJob(loadTrainConfig(p), { print: false, progress: false });
  const rep = JSON.parse(readFileSync(join(res.reportDir, 'report.json'), 'utf8')) as TrainReport;
  assert.equal((rep.fit as LinearFitReport).offsetDetermined, false);
  assert.equal(rep.fit_summary.offsetDetermined, false);
  assert.equal(rep.metrics.train.energy_offset_removed, true);
  // energies from forces alone: the offset-free error is small against the spread of E/N in the data
  const epa = trainFrames.map((s) => (s.info['REF_energy'] as number) / s.length);
  const mean = epa.reduce((a, b) => a + b, 0) / epa.length;
  const std = Math.sqrt(epa.reduce((a, b) => a + (b - mean) ** 2, 0) / epa.length);
  assert.ok(rep.metrics.train.energy_rmse! < 0.25 * std, `offset-free energy RMSE ${rep.metrics.train.energy_rmse} eV/atom, spread ${std}`);
  const md = readFileSync(join(res.reportDir, 'report.md'), 'utf8');
  assert.match(md, /Energies are known only up to a constant \(w_E = 0\)/);
  assert.match(readFileSync(join(res.reportDir, 'parity-energy.svg'), 'utf8'), /mean offset removed: w_E = 0/);
  assert.equal(JSON.parse(readFileSync(res.modelPath, 'utf8')).offsetDetermined, false);
});

test('label keys: REF_* when present, else the plain keys with a note, explicit keys win', () => {
  const withRef = trainFrames.slice(0, 2);
  assert.deepEqual(chooseLabelKeys(withRef).keys, { energy: 'REF_energy', forces: 'REF_forces', stress: 'REF_stress' });
  const plain = withRef.map((s) => {
    const c = s.clone();
    c.info['energy'] = c.info['REF_energy']!;
    delete c.info['REF_energy'];
    c.arrays['forces'] = c.arrays['REF_forces']!;
    delete c.arrays['REF_forces'];
    return c;
  });
  const r = chooseLabelKeys(plain, {}, 'f.xyz');
  assert.equal(r.keys.energy, 'energy');
  assert.equal(r.keys.forces, 'forces');
  assert.equal(r.keys.stress, 'REF_stress');
  assert.equal(r.notes.length, 2);
  assert.match(r.notes[0]!, /f\.xyz: no "REF_energy" labels; reading "energy" as the reference energy \(in a file written by mlpot calc these are that potential's predictions\)/);
  assert.equal(chooseLabelKeys(plain, { energy: 'E_dft' }).keys.energy, 'E_dft');
});

test('descriptor type product: inner + one selection key trains a model that reloads as a potential; misplaced keys are errors', async () => {
  const prod = `  descriptor:\n    type: product\n    radial_below: [0, 2]\n    inner: {type: body-order, cutoff: 3.8, r_min: 1.5, max_body_order: 3, n_max: 6, n_max3: 3, l_max3: 2}\n`;
  const p = config('prod.yaml', `data:\n  train: data/train.extxyz\n  test: data/test.extxyz\nmodel:\n${prod}fit:\n  lambda: 1.0e-8\noutput:\n  model: out/prod.model.json\n`);
  const c = loadTrainConfig(p);
  const res = await runTrainJob(c, { print: false, progress: false });
  const rep = JSON.parse(readFileSync(join(res.reportDir, 'report.json'), 'utf8')) as TrainReport;
  // inner: 6 two-body + 3 ranks x 3 channel pairs (n < 3); S: the 3-body features with n < 2 (3 ranks x 3 pairs = 9): 45 products
  assert.equal(rep.descriptor.size, 6 + 18 + 45);
  assert.ok(rep.metrics.test!.force_rmse! < 0.1, `test force RMSE ${rep.metrics.test!.force_rmse}`);
  const model = JSON.parse(readFileSync(res.modelPath, 'utf8')) as { descriptor: { type: string; inner: { type: string }; indices: number[] } };
  assert.equal(model.descriptor.type, 'product');
  assert.equal(model.descriptor.inner.type, 'body-order');
  assert.equal(model.descriptor.indices.length, 9);
  assert.deepEqual(evaluatePotential(loadPotential(res.modelPath), makeDataset(testFrames)), rep.metrics.test);
  const bad = (name: string, d: string, re: RegExp) => {
    const q = config(name, `data: {train: data/train.extxyz}\nmodel:\n${d}`);
    assert.throws(() => loadTrainConfig(q), (e: unknown) => e instanceof ConfigError && re.test(e.message), name);
  };
  bad('p1.yaml', prod.replace('    type: product\n', '    type: product\n    cutoff: 4\n'), /key "model\.descriptor\.cutoff" \(.*line 5\) does not apply to descriptor type "product"/);
  bad('p2.yaml', prod.replace('radial_below: [0, 2]', 'per_body_order: [0, 3]\n    indices: [1, 2]'), /exactly one of indices, per_body_order, radial_below \(got indices, per_body_order\)/);
  bad('p3.yaml', `  descriptor: {type: product, indices: [0], inner: {type: body-order, n_max: 4}}\n`, /missing required key "model\.descriptor\.inner\.cutoff"/);
  bad('p4.yaml', `  descriptor: {type: product, indices: [0], inner: {type: body-order, cutoff: 4, n_radial: 3}}\n`, /key "model\.descriptor\.inner\.n_radial".* does not apply to descriptor type "body-order"/);
  bad('p5.yaml', `  descriptor: {type: product, per_body_order: [2]}\n`, /missing required key "model\.descriptor\.inner"/);
  bad('p6.yaml', `  descriptor: {type: body-order}\n`, /missing required key "model\.descriptor\.cutoff"/);
});

test('fit.workers: design rows in 2 worker threads give the same model file as in this thread; the report says which', async () => {
  const outs: string[] = [];
  for (const workers of [0, 2]) {
    const p = config(`w${workers}.yaml`, `seed: 3\ndata:\n  train: data/train.extxyz\nmodel:\n  type: linear\n${DESCRIPTOR}\nfit:\n  weights: {energy: 1.0, forces: 1.0, stress: 0.1}\n  lambdas: [1.0e-10, 1.0e-8]\n  folds: 3\n  workers: ${workers}\noutput:\n  model: out/w${workers}.model.json\n`);
    const res = await runTrainJob(loadTrainConfig(p), { print: false, progress: false });
    const json = JSON.parse(readFileSync(res.modelPath, 'utf8')) as { coefficients: unknown };
    outs.push(JSON.stringify(json.coefficients));
    const md = readFileSync(join(res.reportDir, 'report.md'), 'utf8');
    assert.match(md, workers === 2 ? /design rows: 2 worker threads/ : /design rows: this thread/);
  }
  assert.equal(outs[1], outs[0]);
  // designs too large for memory: made one frame at a time instead, with a note, same model
  const res = await runTrainJob(loadTrainConfig(join(dir, 'w2.yaml')), { print: false, progress: false, designMemoryBytes: 1000 });
  assert.equal(JSON.stringify((JSON.parse(readFileSync(res.modelPath, 'utf8')) as { coefficients: unknown }).coefficients), outs[0]);
  const rep = JSON.parse(readFileSync(join(res.reportDir, 'report.json'), 'utf8')) as TrainReport;
  assert.ok(rep.notes.some((n) => /design rows of all frames would take .* made one frame at a time/.test(n)), rep.notes.join('; '));
  assert.match(readFileSync(join(res.reportDir, 'report.md'), 'utf8'), /design rows: this thread/);
  assert.throws(() => loadTrainConfig(config('wbad.yaml', `data:\n  train: data/train.extxyz\nmodel:\n  type: linear\n${DESCRIPTOR}\nfit:\n  workers: -1\n`)), /fit\.workers/);
});
