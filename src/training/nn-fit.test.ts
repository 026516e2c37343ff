import { test, assert } from '../node/test-support.js';
import { fitNN, NNLoss, prepareNNFrames, type NNFitOptions } from './nn-fit.js';
import { makeDataset } from './dataset.js';
import { evaluatePotential } from './metrics.js';
import { MLP, NNPotential } from '../models/nn.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { StillingerWeber } from '../potentials/sw.js';
import type { Potential } from '../potentials/potential.js';
import { randomStructure } from '../structure/random.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import type { OffsetMode } from './linear-fit.js';

function label(s: Structure, pot: Potential): Structure {
  const r = pot.compute(s, { forces: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
  return s;
}

const sw = StillingerWeber.silicon();

/** SW-labelled rattled (and every 3rd strained) 16-atom diamond Si cells. */
function siFrames(count: number, seed: number): Structure[] {
  const rng = new Rng(seed);
  const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 1, 1]);
  return Array.from({ length: count }, (_, k) => {
    let s = k % 3 === 0 ? perturbCell(base, 0.02, rng) : base.clone();
    s = rattle(s, k % 4 === 0 ? 0.15 : 0.1, rng);
    return label(s, sw);
  });
}

const siDesc = new BodyOrderDescriptor({ species: [14], cutoff: 3.8, rMin: 1.5, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 });

// --- the loss gradient against central finite differences -------------------------------------

/** Two-element frames with arbitrary (non-physical) labels: every residual is non-zero. */
function sigeFrames(): Structure[] {
  const rng = new Rng(21);
  return [7, 5, 6].map((n, k) => {
    const a = 5.2;
    const s = randomStructure({ numbers: [14, 32], n, cell: [a, 0.2, 0, 0, a, 0.1, 0.3, 0, a], minDistance: 2.0, seed: 40 + k });
    s.info['REF_energy'] = -4 * n + rng.normal();
    const f = new Float64Array(3 * n);
    for (let q = 0; q < f.length; q++) f[q] = rng.normal();
    s.setArray('REF_forces', floatArray(f, 3));
    return s;
  });
}

const tinyDesc = new BodyOrderDescriptor({ species: [14, 32], cutoff: 3.6, maxBodyOrder: 3, nMax: 3, nMax3: 2, lMax3: 1 });

function gradientCheck(o: { wE: number; wF: number; lambda: number; offset: OffsetMode; perAtom?: boolean; activation?: 'tanh' | 'silu' | 'softplus' }): number {
  const { frames } = prepareNNFrames(tinyDesc, makeDataset(sigeFrames()), true);
  const net = new MLP([tinyDesc.size, 4, 3, 1], o.activation ?? 'tanh');
  const loss = new NNLoss(net, 2, { weights: { energy: o.wE, forces: o.wF }, lambda: o.lambda, offset: o.offset, energyPerAtom: o.perAtom ?? false });
  const rng = new Rng(5);
  const theta = new Float64Array(loss.nParams);
  theta.set(net.initialParameters(2, rng, 1));
  for (let k = 0; k < theta.length; k++) theta[k] += 0.2 * rng.normal();
  const grad = new Float64Array(loss.nParams);
  loss.evaluate(theta, frames, grad);
  const h = 1e-5;
  let worst = 0;
  let gmax = 0;
  for (let k = 0; k < theta.length; k++) gmax = Math.max(gmax, Math.abs(grad[k]!));
  for (let k = 0; k < theta.length; k++) {
    const tp = Float64Array.from(theta), tm = Float64Array.from(theta);
    tp[k] += h;
    tm[k] -= h;
    const fd = (loss.evaluate(tp, frames, null).total - loss.evaluate(tm, frames, null).total) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grad[k]!) / Math.max(Math.abs(fd), 1e-3 * gmax));
  }
  return worst;
}

test('NN loss gradient (through the forces: second derivatives) equals central finite differences: energy + forces, per-element e0, L2', () => {
  const e = gradientCheck({ wE: 1, wF: 1, lambda: 0.05, offset: 'per-element' });
  assert.ok(e < 1e-6, `max relative error ${e}`);
});

test('NN loss gradient equals finite differences with w_E = 0 (forces only, no offset parameters), with and without L2', () => {
  for (const lambda of [0, 0.1]) {
    const e = gradientCheck({ wE: 0, wF: 1, lambda, offset: 'per-element' });
    assert.ok(e < 1e-6, `lambda ${lambda}: max relative error ${e}`);
  }
});

test('NN loss gradient equals finite differences: global offset b, energies per atom, no L2, silu and softplus', () => {
  for (const activation of ['silu', 'softplus'] as const) {
    const e = gradientCheck({ wE: 2, wF: 0.5, lambda: 0, offset: 'global', perAtom: true, activation });
    assert.ok(e < 1e-6, `${activation}: max relative error ${e}`);
  }
  assert.ok(gradientCheck({ wE: 1, wF: 0, lambda: 0.01, offset: 'none' }) < 1e-6, 'energies only');
});

test('NNLoss counts offset parameters by mode and leaves biases out of the ridge', () => {
  const net = new MLP([3, 2, 1], 'tanh');
  const w = { energy: 1, forces: 1 };
  assert.equal(new NNLoss(net, 2, { weights: w, offset: 'per-element' }).nOff, 2);
  assert.equal(new NNLoss(net, 2, { weights: w, offset: 'global' }).nOff, 1);
  assert.equal(new NNLoss(net, 2, { weights: w, offset: 'none' }).nOff, 0);
  assert.equal(new NNLoss(net, 2, { weights: { energy: 0, forces: 1 }, offset: 'per-element' }).nOff, 0);
  const l = new NNLoss(net, 1, { weights: w, offset: 'none', lambda: 1 });
  // layout: W1 (2x3) b1 (2) W2 (1x2) b2 (1)
  assert.deepEqual(Array.from({ length: net.count }, (_, k) => l.penalised(k)), [true, true, true, true, true, true, false, false, true, true, false]);
});

// --- training --------------------------------------------------------------------------------

const train = siFrames(24, 11);
const held = siFrames(8, 12);

test('Adam on SW-labelled Si cells: held-out force RMSE drops well below that of the initial network, within seconds', () => {
  const opts: NNFitOptions = { descriptor: siDesc, hidden: [16], weights: { energy: 1, forces: 1 }, energyPerAtom: true, epochs: 80, batchSize: 4, learningRate: 1e-2, schedule: { type: 'cosine', minFactor: 0.05 }, validationFraction: 0, seed: 1 };
  const t0 = Date.now();
  const { potential, report } = fitNN(train, opts);
  const dt = (Date.now() - t0) / 1000;
  const init = fitNN(train, { ...opts, epochs: 1, learningRate: 1e-12 }).potential;
  const recs = makeDataset(held);
  const before = evaluatePotential(init, recs), after = evaluatePotential(potential, recs);
  console.log(`Adam SW-Si: held-out force RMSE ${before.force_rmse!.toFixed(3)} -> ${after.force_rmse!.toFixed(4)} eV/Å, energy RMSE ${(after.energy_rmse! * 1000).toFixed(1)} meV/atom, ${report.epochs} epochs, ${dt.toFixed(1)} s`);
  assert.ok(after.force_rmse! < 0.25, `held-out force RMSE ${after.force_rmse}`); // measured 0.115 eV/Å
  assert.ok(after.force_rmse! < 0.3 * before.force_rmse!, `${before.force_rmse} -> ${after.force_rmse}`);
  assert.ok(after.energy_rmse! < 0.03, `held-out energy RMSE ${after.energy_rmse} eV/atom`);
  assert.equal(report.history.length, 80);
  assert.ok(report.history[79]!.learningRate < report.history[0]!.learningRate, 'cosine schedule decays');
});

test('L-BFGS on the same data lowers the full loss monotonically and fits forces', () => {
  const { potential, report } = fitNN(train, { descriptor: siDesc, hidden: [8], weights: { energy: 1, forces: 1 }, energyPerAtom: true, optimizer: 'lbfgs', epochs: 60, validationFraction: 0, seed: 2 });
  const h = report.history.map((r) => r.trainLoss);
  for (let k = 1; k < h.length; k++) assert.ok(h[k]! <= h[k - 1]!, `loss rose at iteration ${k}`);
  const v = evaluatePotential(potential, makeDataset(held));
  console.log(`L-BFGS SW-Si: loss ${h[0]!.toExponential(2)} -> ${h[h.length - 1]!.toExponential(2)}, held-out force RMSE ${v.force_rmse!.toFixed(4)} eV/Å, ${report.epochs} iterations, ${report.trainTimeS.toFixed(1)} s`);
  assert.ok(h[h.length - 1]! < 0.1 * h[0]!);
  assert.ok(v.force_rmse! < 0.3, `held-out force RMSE ${v.force_rmse}`);
});

test('early stopping: training stops after `patience` epochs without validation improvement and returns the best-validation parameters', () => {
  // A large constant learning rate makes the validation loss noisy, so it stops early.
  const { potential, report } = fitNN(train, { descriptor: siDesc, hidden: [8], weights: { energy: 1, forces: 1 }, energyPerAtom: true, epochs: 200, batchSize: 2, learningRate: 0.05, schedule: { type: 'constant' }, validationFraction: 0.25, patience: 4, seed: 3 });
  assert.ok(report.stoppedEarly, `ran ${report.epochs} epochs`);
  assert.equal(report.stopReason, 'early-stopping');
  assert.ok(report.epochs < 200);
  assert.equal(report.epochs - report.bestEpoch, 4);
  const vl = report.history.map((r) => r.validationLoss!);
  const best = Math.min(...vl);
  assert.equal(vl[report.bestEpoch - 1], best);
  assert.ok(vl[vl.length - 1]! > best);
  // the returned model reproduces the best validation loss (recomputed from its predictions)
  const val = makeDataset(report.validationIndices.map((i) => train[i]!));
  let loss = 0;
  for (const r of val) {
    const p = potential.compute(r.structure, { forces: true });
    loss += ((p.energy - r.energy!) / r.natoms) ** 2;
    for (let k = 0; k < 3 * r.natoms; k++) loss += ((p.forces![k]! - r.forces![k]!) ** 2) / r.natoms;
  }
  assert.ok(Math.abs(loss - best) < 1e-9 * best, `model validation loss ${loss} vs best ${best}`);
  assert.equal(report.nValidation, 6);
});

test('seeded: the same seed gives identical parameters, another seed different ones; save/load predicts identically', () => {
  const opts: NNFitOptions = { descriptor: siDesc, hidden: [6], weights: { energy: 1, forces: 1 }, epochs: 3, batchSize: 5, seed: 7 };
  const few = train.slice(0, 10);
  const a = fitNN(few, opts).potential, b = fitNN(few, opts).potential, c = fitNN(few, { ...opts, seed: 8 }).potential;
  assert.deepEqual(a.parameters, b.parameters);
  assert.deepEqual(a.e0, b.e0);
  assert.notDeepEqual(a.parameters, c.parameters);
  const back = NNPotential.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  const s = held[0]!;
  const p = a.compute(s, { forces: true, stress: true, energies: true }), q = back.compute(s, { forces: true, stress: true, energies: true });
  assert.equal(q.energy, p.energy);
  assert.deepEqual(q.forces, p.forces);
  assert.deepEqual(q.stress, p.stress);
  assert.deepEqual(q.energies, p.energies);
  assert.equal((back.training as { fitter?: string }).fitter, 'nn-adam');
});

test('onEpoch sees every epoch and can stop training', () => {
  const seen: number[] = [];
  const { report } = fitNN(train.slice(0, 6), { descriptor: siDesc, hidden: [4], weights: { energy: 1, forces: 1 }, epochs: 50, validationFraction: 0, onEpoch: (e) => (seen.push(e.epoch), e.epoch < 3) });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(report.epochs, 3);
  assert.equal(report.stopReason, 'callback');
});

test('w_E = 0: the model says offsetDetermined = false and the report warns', () => {
  const { potential, report } = fitNN(train.slice(0, 6), { descriptor: siDesc, hidden: [4], weights: { energy: 0, forces: 1 }, epochs: 2, validationFraction: 0 });
  assert.equal(potential.offsetDetermined, false);
  assert.equal(report.offsetDetermined, false);
  assert.equal(report.energyOffset, null);
  assert.ok(report.warnings.some((w) => /w_E = 0/.test(w)));
  assert.equal(report.metrics.train.energy_offset_removed, true);
});

test('invalid options are rejected naming the option', () => {
  const f = train.slice(0, 3);
  const base: NNFitOptions = { descriptor: siDesc, weights: { energy: 1, forces: 1 }, epochs: 1 };
  const cases: [Partial<NNFitOptions>, RegExp][] = [
    [{ weights: { energy: 0, forces: 0 } }, /all loss weights/],
    [{ weights: { energy: -1, forces: 1 } }, /weights.energy/],
    [{ lambda: -1 }, /lambda/],
    [{ epochs: 0 }, /epochs/],
    [{ batchSize: 1.5 }, /batchSize/],
    [{ learningRate: 0 }, /learningRate/],
    [{ optimizer: 'sgd' as 'adam' }, /optimizer/],
    [{ offset: 'x' as OffsetMode }, /offset/],
  ];
  for (const [o, re] of cases) assert.throws(() => fitNN(f, { ...base, ...o }), (e: unknown) => e instanceof ValidationError && re.test(e.message), String(re));
  const unlabelled = bulk('Si', 'diamond', { a: 5.431 });
  assert.throws(() => fitNN([unlabelled], base), /REF_energy/);
});
