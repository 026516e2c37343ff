import { test, assert } from '../node/test-support.js';
import { fitLinear } from './linear-fit.js';
import { LinearPotential } from '../models/linear.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { StillingerWeber } from '../potentials/sw.js';
import type { Potential } from '../potentials/potential.js';
import { randomStructure } from '../structure/random.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import { kFold, shuffledIndices, trainTestSplit } from './dataset.js';

const desc = new BodyOrderDescriptor({ species: [14, 32], cutoff: 4.2, rMin: 1.5, maxBodyOrder: 3, nMax: 4, nMax3: 2, lMax3: 1 });

function trueModel(seed = 1, e0: [number, number] = [-4.1, -3.7]): LinearPotential {
  const rng = new Rng(seed);
  const c = new Float64Array(desc.species.length * desc.size);
  for (let k = 0; k < c.length; k++) c[k] = 0.05 * rng.normal();
  return new LinearPotential({ descriptor: desc, coefficients: c, e0 });
}

/** Put reference labels from `pot` (plus optional energy shift / noise) under REF_* keys. */
function label(s: Structure, pot: Potential, o: { shift?: number; noise?: number; rng?: Rng; stress?: boolean } = {}): Structure {
  const r = pot.compute(s, { forces: true, stress: o.stress ?? true });
  const f = Float64Array.from(r.forces!);
  if (o.noise && o.rng) for (let k = 0; k < f.length; k++) f[k] = f[k]! + o.noise * o.rng.normal();
  s.info['REF_energy'] = r.energy + (o.shift ?? 0) + (o.noise && o.rng ? o.noise * s.length * 0.1 * o.rng.normal() : 0);
  s.setArray('REF_forces', floatArray(f, 3));
  if (r.stress) s.info['REF_stress'] = Array.from(r.stress);
  return s;
}

function sige(seed: number, n = 12, a = 6.6): Structure {
  return randomStructure({ numbers: [14, 32], n, cell: [a, 0.2, 0, 0, a, 0.1, 0.3, 0, a], minDistance: 2.1, seed });
}

function frames(pot: Potential, count: number, o: Parameters<typeof label>[2] = {}): Structure[] {
  return Array.from({ length: count }, (_, k) => label(sige(100 + k, 10 + (k % 4)), pot, o));
}

/**
 * Cross-species pair coefficients are identifiable only as sums: sum_{i in A, j in B} c_{A,(B,n)} R_n +
 * sum_{i in B, j in A} c_{B,(A,n)} R_n = sum_{A-B pairs} (c_{A,(B,n)} + c_{B,(A,n)}) R_n. Canonical
 * form: the sum on the first species' block, zero on the second's. Everything else is unique.
 */
function canonical(c: ArrayLike<number>, d: BodyOrderDescriptor = desc): Float64Array {
  const out = Float64Array.from(c);
  const size = d.size;
  const lab = Array.from({ length: size }, (_, k) => (d.bodyOrder(k) === 2 ? d.featureLabel(k) : ''));
  for (let k = 0; k < size; k++) {
    const m = /^M0 \[Ge (n\d+)\]$/.exec(lab[k]!);
    if (!m) continue;
    const partner = lab.indexOf(`M0 [Si ${m[1]}]`);
    out[k] = out[k]! + out[size + partner]!;
    out[size + partner] = 0;
  }
  return out;
}

/** Relative error of the canonical coefficients (see `canonical`). */
function coefErr(fit: LinearPotential, truth: LinearPotential): number {
  return relErr(canonical(fit.coefficients), canonical(truth.coefficients));
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let k = 0; k < b.length; k++) {
    d += (a[k]! - b[k]!) ** 2;
    n += b[k]! ** 2;
  }
  return Math.sqrt(d / n);
}

test('exact labels from a known linear model: the fit recovers coefficients and e0 to 1e-8 relative (lambda = 0)', () => {
  const truth = trueModel();
  const data = frames(truth, 14);
  const { potential, report } = fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambda: 0, offset: 'per-element' });
  const err = coefErr(potential, truth);
  assert.ok(err < 1e-8, `coefficient relative error ${err} (${JSON.stringify(report.solver)})`);
  assert.ok(relErr(potential.e0, truth.e0) < 1e-8, `e0 ${potential.e0}`);
  // the Si-Ge pair coefficients are determined only as sums: 4 null directions (nMax = 4), reported
  assert.equal(report.solver.method, 'eigen-pinv');
  assert.equal(report.nColumns - report.solver.rank, 4);
  assert.ok(report.warnings.some((w) => /undetermined/.test(w)));
  const s = sige(999, 12);
  const a = truth.compute(s, { forces: true, stress: true });
  const b = potential.compute(s, { forces: true, stress: true });
  assert.ok(Math.abs(a.energy - b.energy) < 1e-8 * Math.abs(a.energy));
  assert.ok(relErr(b.forces!, a.forces!) < 1e-8 && relErr(b.stress!, a.stress!) < 1e-8);
  assert.equal(report.offsetDetermined, true);
  assert.ok(report.metrics.train.force_rmse! < 1e-8 && report.metrics.train.energy_rmse! < 1e-8);
});

test('a constant shift of all reference energies is absorbed by the global offset b', () => {
  const truth = trueModel(2, [0, 0]);
  const data = frames(truth, 12, { shift: 3.25 });
  const { potential, report } = fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, offset: 'global' });
  assert.ok(coefErr(potential, truth) < 1e-8);
  // loss term (E_theta - E_ref - b): E_ref = E_true + 3.25 -> b = -3.25; the model adds -b back
  assert.ok(Math.abs(report.energyOffset! + 3.25) < 1e-7, `b = ${report.energyOffset}`);
  const s = data[0]!;
  assert.ok(Math.abs(potential.compute(s, { forces: false }).energy - (s.info['REF_energy'] as number)) < 1e-7);
});

test('per-element e0 absorbs per-element shifts when two elements appear in varying ratios', () => {
  const truth = trueModel(3, [0, 0]);
  const shifted = new LinearPotential({ descriptor: desc, coefficients: truth.coefficients, e0: [-5.5, 1.25] });
  const data = frames(shifted, 12);
  const ratios = new Set(data.map((s) => s.numbers.filter((z) => z === 14).length / s.length));
  assert.ok(ratios.size > 2, 'compositions vary');
  const { potential } = fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, offset: 'per-element' });
  assert.ok(coefErr(potential, truth) < 1e-8);
  assert.ok(Math.abs(potential.e0[0]! + 5.5) < 1e-7 && Math.abs(potential.e0[1]! - 1.25) < 1e-7, `e0 ${potential.e0}`);
});

test('w_E = 0: coefficients from forces alone, offset reported undetermined, metrics flagged', () => {
  const truth = trueModel(4);
  const data = frames(truth, 12, { shift: 100 });
  const { potential, report } = fitLinear(data, { descriptor: desc, weights: { energy: 0, forces: 1 }, offset: 'per-element' });
  assert.ok(coefErr(potential, truth) < 1e-8);
  assert.equal(report.offsetDetermined, false);
  assert.equal(potential.offsetDetermined, false);
  assert.deepEqual(report.e0, [0, 0]);
  assert.ok(report.warnings.some((w) => /up to a constant/.test(w)));
  assert.equal(report.metrics.train.energy_offset_removed, true);
  assert.equal(LinearPotential.fromJSON(JSON.parse(JSON.stringify(potential.toJSON()))).offsetDetermined, false);
});

test('stress rows are used: stress + forces (no energies) recover the same coefficients; stress alone adds rows', () => {
  const truth = trueModel(5);
  const data = frames(truth, 12);
  const withS = fitLinear(data, { descriptor: desc, weights: { energy: 0, forces: 1, stress: 10 } });
  assert.ok(coefErr(withS.potential, truth) < 1e-8);
  const noS = fitLinear(data, { descriptor: desc, weights: { energy: 0, forces: 1 } });
  assert.equal(withS.report.nRows - noS.report.nRows, 6 * data.length);
  assert.throws(() => fitLinear(data.map((s) => { const c = s.clone(); delete c.info['REF_stress']; return c; }), { descriptor: desc, weights: { energy: 0, forces: 1, stress: 1 } }), /stress/);
});

test('missing and NaN labels are clear errors naming the frame and key', () => {
  const truth = trueModel(6);
  const data = frames(truth, 3);
  const a = data.map((s) => s.clone());
  delete a[1]!.info['REF_energy'];
  assert.throws(() => fitLinear(a, { descriptor: desc, weights: { energy: 1, forces: 1 } }), (e: unknown) => e instanceof ValidationError && /frame 1/.test(e.message) && /REF_energy/.test(e.message));
  const b = data.map((s) => s.clone());
  b[2]!.arrays['REF_forces']!.data[4] = NaN;
  assert.throws(() => fitLinear(b, { descriptor: desc, weights: { energy: 1, forces: 1 } }), /frame 2.*REF_forces.*atom 1/);
});

test('cross-validation on noisy labels picks an interior lambda of a wide grid with the lowest held-out error', () => {
  const truth = trueModel(7);
  const rng = new Rng(9);
  const big = new BodyOrderDescriptor({ species: [14, 32], cutoff: 4.2, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 });
  const data = Array.from({ length: 10 }, (_, k) => label(sige(300 + k, 8), truth, { noise: 0.05, rng }));
  const lambdas = [1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1, 1e2, 1e4];
  const { report } = fitLinear(data, { descriptor: big, weights: { energy: 1, forces: 1 }, lambdas, folds: 5, seed: 3 });
  const losses = report.lambdaPath.map((p) => p.cvLoss);
  const iBest = losses.indexOf(Math.min(...losses));
  assert.equal(report.lambda, lambdas[iBest]);
  assert.ok(iBest > 0 && iBest < lambdas.length - 1, `chosen lambda ${report.lambda}; path ${JSON.stringify(report.lambdaPath)}`);
  assert.equal(report.cvFolds, 5);
});

test('SW-labelled silicon: a linear body-order model reproduces SW forces on held-out frames', () => {
  const sw = StillingerWeber.silicon();
  const rng = new Rng(11);
  const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 1, 1]);
  const make = (k: number): Structure => {
    let s = k % 3 === 0 ? perturbCell(base, 0.02, rng) : base.clone();
    s = rattle(s, k % 4 === 0 ? 0.15 : 0.1, rng); // every 4th frame 'hot', every 3rd strained
    return label(s, sw);
  };
  const train = Array.from({ length: 32 }, (_, k) => make(k));
  const test_ = Array.from({ length: 8 }, (_, k) => make(100 + k));
  const si = new BodyOrderDescriptor({ species: [14], cutoff: 3.8, rMin: 1.5, maxBodyOrder: 3, nMax: 8, nMax3: 6, lMax3: 3 });
  const { report } = fitLinear(train, { descriptor: si, weights: { energy: 1, forces: 1, stress: 0 }, lambdas: [1e-8, 1e-6, 1e-4, 1e-2], folds: 4, validation: test_ });
  const v = report.metrics.validation!;
  console.log(`SW-Si held-out force RMSE ${v.force_rmse!.toFixed(4)} eV/Å, MAE ${v.force_mae!.toFixed(4)}, energy RMSE ${(v.energy_rmse! * 1000).toFixed(2)} meV/atom, lambda ${report.lambda}, fit ${report.fitTimeS.toFixed(1)} s`);
  assert.ok(v.force_rmse! < 0.05, `held-out force RMSE ${v.force_rmse}`); // measured 0.0079 eV/Å
  assert.equal(v.n_structures, 8);
});

test('invalid options are rejected naming the option', () => {
  const data = frames(trueModel(8), 2);
  assert.throws(() => fitLinear(data, { descriptor: desc, weights: { energy: -1, forces: 1 } }), /weights.energy/);
  assert.throws(() => fitLinear(data, { descriptor: desc, weights: { energy: 0, forces: 0 } }), /all loss weights/);
  assert.throws(() => fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambdas: [] }), /lambdas/);
  assert.throws(() => fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, offset: 'atomic' as 'none' }), /offset/);
});

test('energyPerAtom divides the energy rows by N; CV can minimise the held-out force RMSE instead', () => {
  const truth = trueModel(12);
  const data = frames(truth, 10);
  const per = fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, energyPerAtom: true });
  assert.ok(coefErr(per.potential, truth) < 1e-8);
  assert.equal(per.report.energyPerAtom, true);
  const cv = fitLinear(data, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambdas: [1e-6, 1], cvMetric: 'force_rmse', folds: 3 });
  assert.equal(cv.report.lambdaPath.length, 2);
  assert.ok(cv.report.lambdaPath.every((p) => p.cvForceRmse !== null));
  assert.equal(cv.report.lambda, 1e-6);
});

test('dataset split helpers are seeded and cover every frame once', () => {
  const folds = kFold(11, 3, 5);
  assert.deepEqual(folds.flat().sort((a, b) => a - b), Array.from({ length: 11 }, (_, i) => i));
  assert.deepEqual(kFold(11, 3, 5), folds);
  assert.ok(folds.every((f) => f.length === 3 || f.length === 4));
  const sp = trainTestSplit(10, 0.2, 1);
  assert.equal(sp.test.length, 2);
  assert.equal(sp.train.length + sp.test.length, 10);
  assert.deepEqual(shuffledIndices(6, 2), shuffledIndices(6, 2));
  assert.throws(() => kFold(2, 3, 0), /at least 3 frames/);
});
