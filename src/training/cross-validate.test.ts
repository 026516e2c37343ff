import { test, assert } from '../node/test-support.js';
import { crossValidateLinear } from './cross-validate.js';
import { fitLinear } from './linear-fit.js';
import { kFold, makeDataset } from './dataset.js';
import { evaluatePotential, type MetricsRecord } from './metrics.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { StillingerWeber } from '../potentials/sw.js';
import { randomStructure } from '../structure/random.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';

const sw = StillingerWeber.silicon();
const desc = new BodyOrderDescriptor({ species: [14], cutoff: 4.0, rMin: 1.5, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 });

function label(s: Structure): Structure {
  const r = sw.compute(s, { forces: true, stress: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
  s.info['REF_stress'] = Array.from(r.stress!);
  return s;
}

/** A small SW-labelled Si set: rattled/strained diamond cells and random dense cells of 8-14 atoms. */
function siFrames(count: number): Structure[] {
  const rng = new Rng(7);
  const out: Structure[] = [];
  for (let k = 0; k < count; k++) {
    if (k % 2 === 0) {
      const d = supercell(bulk('Si', 'diamond', { a: 5.43, cubic: true }), [1, 1, 1]);
      out.push(label(perturbCell(rattle(d, 0.08 + 0.02 * (k % 3), rng), 0.02, rng)));
    } else {
      const n = 8 + (k % 4) * 2;
      const a = Math.cbrt(n * 20.0);
      out.push(label(randomStructure({ numbers: [14], n, cell: [a, 0, 0, 0.2, a, 0, 0, 0.3, a], minDistance: 2.0, seed: 50 + k })));
    }
  }
  return out;
}

function close(a: number | null, b: number | null, what: string, tol = 1e-9): void {
  assert.ok(a !== null && b !== null, `${what}: null`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: cv ${a} vs explicit ${b}`);
}

function sameMetrics(a: MetricsRecord, b: MetricsRecord, what: string): void {
  assert.equal(a.n_structures, b.n_structures);
  assert.equal(a.n_atoms, b.n_atoms);
  close(a.energy_mae, b.energy_mae, `${what} energy_mae`);
  close(a.energy_rmse, b.energy_rmse, `${what} energy_rmse`);
  close(a.force_mae, b.force_mae, `${what} force_mae`);
  close(a.force_rmse, b.force_rmse, `${what} force_rmse`);
}

const frames = siFrames(15);
const records = makeDataset(frames);

for (const cfg of [
  { name: 'per-element offset, energy per atom, stress rows', offset: 'per-element' as const, energyPerAtom: true, weights: { energy: 3, forces: 1, stress: 0.5 } },
  { name: 'global offset, total energies, no stress', offset: 'global' as const, energyPerAtom: false, weights: { energy: 1, forces: 2 } },
]) {
  test(`CV metrics equal explicit per-fold fitLinear + evaluatePotential to 1e-9 (${cfg.name})`, () => {
    const lambda = 1e-6;
    const cv = crossValidateLinear(records, { descriptor: desc, weights: cfg.weights, lambda, folds: 5, seed: 3, offset: cfg.offset, energyPerAtom: cfg.energyPerAtom });
    assert.equal(cv.lambdas.length, 1);
    assert.equal(cv.best.folds.length, 5);
    const folds = kFold(frames.length, 5, 3);
    const heldAll: number[] = [];
    folds.forEach((held, f) => {
      const inFold = new Set(held);
      const trainFrames = frames.filter((_, i) => !inFold.has(i));
      const { potential } = fitLinear(trainFrames, { descriptor: desc, weights: cfg.weights, lambda, offset: cfg.offset, energyPerAtom: cfg.energyPerAtom });
      const explicit = evaluatePotential(potential, held.map((i) => records[i]!));
      sameMetrics(cv.best.folds[f]!.metrics, explicit, `fold ${f}`);
      assert.equal(cv.best.folds[f]!.nTest, held.length);
      heldAll.push(...held);
    });
    // pooled = all held-out frames together, each predicted by its own fold's model
    assert.equal(cv.best.pooled.n_structures, frames.length);
    assert.equal(new Set(heldAll).size, frames.length);
    // the full-data solution equals fitLinear on everything
    const full = fitLinear(frames, { descriptor: desc, weights: cfg.weights, lambda, offset: cfg.offset, energyPerAtom: cfg.energyPerAtom }).potential;
    const th = cv.theta!;
    for (let c = 0; c < desc.size; c++) close(th[c]!, full.coefficients[c]!, `theta[${c}]`, 1e-7);
    // held-out errors are real (SW is not in the span of this small basis) and larger than training errors
    assert.ok(cv.best.pooled.force_rmse! > 1e-3);
    assert.ok(cv.timings.fullFitS! > 0 && cv.timings.designS > 0);
  });
}

test('several lambdas share one design pass; too large a ridge is worse than a small one', () => {
  const cv = crossValidateLinear(records, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambdas: [1e-8, 1e-4, 1e4], folds: 3, energyPerAtom: true, select: 'force_rmse' });
  assert.equal(cv.lambdas.length, 3);
  const f = cv.lambdas.map((l) => l.pooled.force_rmse!);
  assert.ok(f[2]! > f[0]!, `force RMSE ${f}`);
  assert.notEqual(cv.best.lambda, 1e4);
  assert.equal(cv.best.pooled.force_rmse, Math.min(...f));
});

test('bad options are rejected with the cause named', () => {
  assert.throws(() => crossValidateLinear(records, { descriptor: desc, weights: { energy: 0, forces: 0 } }), ValidationError);
  assert.throws(() => crossValidateLinear(records, { descriptor: desc, weights: { energy: 1, forces: 1 }, folds: 1 }), /k >= 2/);
  assert.throws(() => crossValidateLinear(records.slice(0, 3), { descriptor: desc, weights: { energy: 1, forces: 1 }, folds: 5 }), /at least 5 frames/);
  assert.throws(() => crossValidateLinear(records, { descriptor: desc, weights: { energy: 1, forces: 1 }, lambda: -1 }), /lambda/);
});
