import { test, assert } from '../node/test-support.js';
import { computeMetrics, evaluatePotential } from './metrics.js';
import { makeDataset } from './dataset.js';
import { LinearPotential } from '../models/linear.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { randomStructure } from '../structure/random.js';
import { floatArray } from '../structure/structure.js';

test('energy metrics are per atom, force metrics per component', () => {
  const m = computeMetrics([
    { natoms: 2, energyPred: 1, energyRef: 0, forcesPred: Float64Array.of(1, 0, 0, 0, 0, 0), forcesRef: new Float64Array(6) },
    { natoms: 4, energyPred: -2, energyRef: 0, forcesPred: Float64Array.of(0, 0, 0, 0, 0, 0), forcesRef: Float64Array.of(0, 0, 0, 0, 0, -2) },
  ]);
  assert.equal(m.n_structures, 2);
  assert.equal(m.n_atoms, 6);
  assert.equal(m.energy_mae, 0.5); // |0.5| and |-0.5|
  assert.equal(m.energy_rmse, 0.5);
  assert.equal(m.force_mae, 3 / 12);
  assert.equal(m.force_rmse, Math.sqrt(5 / 12));
  assert.equal(m.energy_offset_removed, false);
});

test('with an undetermined offset the mean per-atom energy error is removed and flagged', () => {
  const samples = [
    { natoms: 2, energyPred: 2 * 3 + 0.2, energyRef: 0 },
    { natoms: 2, energyPred: 2 * 3 - 0.2, energyRef: 0 },
  ];
  const m = computeMetrics(samples, { offsetDetermined: false });
  assert.ok(Math.abs(m.energy_mae! - 0.1) < 1e-12 && Math.abs(m.energy_rmse! - 0.1) < 1e-12);
  assert.equal(m.energy_offset_removed, true);
  assert.ok(computeMetrics(samples).energy_mae! > 2.9);
});

test('missing labels give null metrics (JSON-able)', () => {
  const m = computeMetrics([{ natoms: 3, energyPred: 1 }]);
  assert.equal(m.energy_mae, null);
  assert.equal(m.force_rmse, null);
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('evaluatePotential predicts each record and uses the model offset flag', () => {
  const desc = new BodyOrderDescriptor({ species: [14], cutoff: 4, maxBodyOrder: 2, nMax: 3 });
  const pot = new LinearPotential({ descriptor: desc, coefficients: [0.1, -0.2, 0.05], e0: [-3], offsetDetermined: false });
  const frames = [1, 2, 3].map((seed) => {
    const s = randomStructure({ numbers: [14], n: 6, cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], minDistance: 2.2, seed });
    const r = pot.compute(s);
    s.info['REF_energy'] = r.energy + 7; // constant shift: removed because the offset is undetermined
    s.setArray('REF_forces', floatArray(r.forces!, 3));
    return s;
  });
  const m = evaluatePotential(pot, makeDataset(frames));
  assert.equal(m.n_structures, 3);
  assert.equal(m.force_rmse, 0);
  assert.equal(m.energy_offset_removed, true);
  assert.ok(m.energy_rmse! < 1e-12, `${m.energy_rmse}`); // a 7 eV shift is undetectable once the mean error is removed
});
