import { test, assert } from '../node/test-support.js';
import { modelFromJSON, modelFromText, modelTypes } from './registry.js';
import { LinearPotential } from './linear.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { bulk, rattle } from '../structure/builders.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import type { Potential } from '../potentials/potential.js';

function model(): LinearPotential {
  const descriptor = new BodyOrderDescriptor({ species: [14], cutoff: 3.8, maxBodyOrder: 3, nMax: 4, nMax3: 2, lMax3: 2 });
  const rng = new Rng(2);
  return new LinearPotential({ descriptor, coefficients: Array.from({ length: descriptor.size }, () => 0.1 * rng.normal()), e0: [-4.3] });
}

test('modelFromJSON rebuilds a linear model that predicts bit-for-bit like the original and is a Potential', () => {
  const m = model();
  const back = modelFromText(JSON.stringify(m.toJSON()), 'x.json');
  assert.ok(back instanceof LinearPotential);
  const pot: Potential = back; // structural check of the contract
  const s = rattle(bulk('Si', 'diamond', { a: 5.43, cubic: true }), 0.05, new Rng(1));
  const a = m.compute(s, { forces: true, stress: true });
  const b = pot.compute(s, { forces: true, stress: true });
  assert.equal(b.energy, a.energy);
  assert.deepEqual(b.forces, a.forces);
  assert.deepEqual(b.stress, a.stress);
  assert.ok(modelTypes().includes('linear'));
});

test('model files with the wrong format, version or type fail with messages naming the file and the field', () => {
  const j = model().toJSON() as unknown as Record<string, unknown>;
  const bad = (v: unknown, re: RegExp) => assert.throws(() => modelFromJSON(v, 'm.json'), (e: unknown) => e instanceof ValidationError && re.test(e.message));
  bad([{ structure: {} }], /^m\.json: expected a model object .* got an array \(a list: is this a training-data file/);
  bad({ ...j, format: 'something' }, /^m\.json: not an mlpot model file \(field "format" is "something"/);
  bad({ ...j, type: 'svm' }, /unknown model type "svm"; this mlpot reads: linear/);
  bad({ ...j, version: 2 }, /linear model version 2 cannot be read \(this mlpot reads version 1; the file was written by a newer mlpot\)/);
  bad({ ...j, e0: ['x'] }, /^m\.json: linear model JSON: field "e0"/);
  assert.throws(() => modelFromText('{"format": ', 'broken.json'), /broken\.json: not valid JSON/);
});
