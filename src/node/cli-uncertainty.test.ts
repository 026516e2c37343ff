/**
 * End-to-end: a model with an uncertainty (a committee of linear models) through `mlpot eval`
 * (calibration keys, calibration SVG) and `mlpot calc` (per-atom force uncertainty arrays), run
 * as separate processes of this build's CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStructures, writeStructures } from './files.js';
import { cliSandbox } from './cli-test-kit.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { StillingerWeber } from '../potentials/sw.js';
import { fitLinearCommittee } from '../training/committee-fit.js';
import { calibration } from '../training/calibration.js';
import { svgProblems } from '../training/svg-check.js';

const { dir, mlpot } = cliSandbox('mlpot-cli-unc-');

const sw = StillingerWeber.silicon();
const rng = new Rng(31);
const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 1, 1]);
function frame(k: number, amp = 0.1): Structure {
  const s = rattle(k % 3 === 0 ? perturbCell(base, 0.015, rng) : base.clone(), amp, rng);
  const r = sw.compute(s, { forces: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
  return s;
}
const train = Array.from({ length: 20 }, (_, k) => frame(k));
const desc = new BodyOrderDescriptor({ species: [14], cutoff: 3.8, rMin: 1.5, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 });
const { potential: committee } = fitLinearCommittee(train, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambda: 1e-6 }, { members: 4, seed: 1 });
writeFileSync(join(dir, 'com.model.json'), JSON.stringify(committee.toJSON()));
const test_ = [...Array.from({ length: 4 }, (_, k) => frame(100 + k)), frame(200, 0.3)];
await writeStructures(join(dir, 'test.extxyz'), test_);

test('mlpot eval --json on a committee reports calibration keys equal to the library computation, and writes the SVG', () => {
  const r = mlpot('eval', '-m', 'com.model.json', '-i', 'test.extxyz', '--json', '--calibration-svg', 'cal.svg');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]!);
  for (const k of ['n_structures', 'n_atoms', 'energy_mae', 'energy_rmse', 'force_mae', 'force_rmse', 'force_within_1sigma', 'force_within_2sigma', 'sigma_error_spearman']) assert.ok(k in j, `key ${k}`);
  const err: number[] = [], sig: number[] = [];
  for (const s of test_) {
    const p = committee.compute(s, { forces: true, uncertainty: true });
    const ref = s.floatArray('REF_forces')!;
    for (let c = 0; c < ref.length; c++) {
      err.push(p.forces![c]! - ref[c]!);
      sig.push(p.uncertainty!.forceStd![c]!);
    }
  }
  const want = calibration(err, sig);
  assert.ok(Math.abs(j.force_within_1sigma - want.force_within_1sigma!) < 1e-12);
  assert.ok(Math.abs(j.force_within_2sigma - want.force_within_2sigma!) < 1e-12);
  assert.ok(Math.abs(j.sigma_error_spearman - want.sigma_error_spearman!) < 1e-12);
  assert.ok(j.force_within_2sigma > 0 && j.force_within_2sigma <= 1);
  assert.deepEqual(svgProblems(readFileSync(join(dir, 'cal.svg'), 'utf8')), []);
  // the table form names the calibration line
  const t = mlpot('eval', '-m', 'com.model.json', '-i', 'test.extxyz', '--no-progress');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /force calibration: within 1 sigma/);
});

test('mlpot eval on a model without uncertainty gives null calibration keys; --calibration-svg is refused', () => {
  const r = mlpot('eval', '-m', 'sw', '-i', 'test.extxyz', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.force_within_2sigma, null);
  assert.equal(j.sigma_error_spearman, null);
  const bad = mlpot('eval', '-m', 'sw', '-i', 'test.extxyz', '--calibration-svg', 'x.svg');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /no uncertainty/);
});

test('mlpot calc with a committee writes force_std, force_dev, energy_std and max_force_dev per frame', async () => {
  const r = mlpot('calc', '-p', 'com.model.json', '-i', 'test.extxyz', '-o', 'out.extxyz', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout).frames as { max_force_dev: number; energy_std: number }[];
  const out = await readStructures(join(dir, 'out.extxyz'));
  assert.equal(out.length, test_.length);
  for (let k = 0; k < out.length; k++) {
    const want = committee.compute(test_[k]!, { forces: true, uncertainty: true }).uncertainty!;
    const std = out[k]!.floatArray('force_std')!;
    const dev = out[k]!.floatArray('force_dev')!;
    assert.equal(std.length, 3 * out[k]!.length);
    for (let c = 0; c < std.length; c++) assert.ok(Math.abs(std[c]! - want.forceStd![c]!) <= 1e-9 * (1 + want.forceStd![c]!));
    for (let i = 0; i < dev.length; i++) assert.ok(Math.abs(dev[i]! - want.atomForceDeviation![i]!) <= 1e-9 * (1 + want.atomForceDeviation![i]!));
    assert.ok(Math.abs((out[k]!.info['max_force_dev'] as number) - want.maxForceDeviation!) < 1e-9);
    assert.ok(Math.abs(rows[k]!.max_force_dev - want.maxForceDeviation!) < 1e-12);
    assert.ok(Math.abs(rows[k]!.energy_std - want.energyStd!) < 1e-12);
  }
  // the hot frame (rattle 0.3 Å) is the least certain
  const devs = rows.map((x) => x.max_force_dev);
  assert.equal(devs.indexOf(Math.max(...devs)), devs.length - 1);
});
