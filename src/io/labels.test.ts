import { test, assert } from '../node/test-support.js';
import { ValidationError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { DEFAULT_REFERENCE_KEYS, PREDICTION_KEYS, getEnergy, getForces, getStressVoigt, setPrediction } from './labels.js';

const dimer = () => Structure.fromSymbols(['Ar', 'Ar'], [[0, 0, 0], [3.8, 0, 0]], { cell: [10, 0, 0, 0, 10, 0, 0, 0, 10], pbc: true });

test('labels getters read energy, forces and stress under the given keys', () => {
  const s = dimer();
  s.info['REF_energy'] = -0.02;
  s.info['REF_stress'] = [1, 2, 3, 4, 5, 6];
  s.info['stress'] = [1, 12, 13, 21, 2, 23, 31, 32, 3];
  s.setArray('REF_forces', { type: 'float', cols: 3, data: Float64Array.of(1, 0, 0, -1, 0, 0) });
  assert.equal(getEnergy(s, DEFAULT_REFERENCE_KEYS.energy), -0.02);
  assert.equal(getEnergy(s, PREDICTION_KEYS.energy), undefined);
  assert.deepEqual(Array.from(getForces(s, 'REF_forces')!), [1, 0, 0, -1, 0, 0]);
  assert.deepEqual(Array.from(getStressVoigt(s, 'REF_stress')!), [1, 2, 3, 4, 5, 6]);
  // from a matrix: xx yy zz, then s[1][2], s[0][2], s[0][1] as ASE takes them
  assert.deepEqual(Array.from(getStressVoigt(s, 'stress')!), [1, 2, 3, 23, 13, 12]);
  s.info['bad'] = 'x';
  assert.throws(() => getEnergy(s, 'bad'), ValidationError);
  assert.throws(() => getStressVoigt(s, 'bad'), /should be a stress/);
});

test('setPrediction stores energy, forces, symmetric 9-value stress and per-atom energies', () => {
  const s = dimer();
  setPrediction(s, { energy: -0.5, forces: Float64Array.of(1, 2, 3, -1, -2, -3), stress: Float64Array.of(1, 2, 3, 4, 5, 6), energies: Float64Array.of(-0.25, -0.25) });
  assert.equal(s.info['energy'], -0.5);
  // Voigt xx yy zz yz xz xy = 1 2 3 4 5 6 -> [[1 6 5] [6 2 4] [5 4 3]]
  assert.deepEqual(s.info['stress'], [1, 6, 5, 6, 2, 4, 5, 4, 3]);
  assert.deepEqual(Array.from(getStressVoigt(s, 'stress')!), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(s.arrays['forces'], { type: 'float', cols: 3, data: Float64Array.of(1, 2, 3, -1, -2, -3) });
  assert.deepEqual(s.arrays['energies'], { type: 'float', cols: 1, data: Float64Array.of(-0.25, -0.25) });
});

test('setPrediction moves an existing value under a prediction key to REF_<key> instead of overwriting it', () => {
  const s = dimer();
  s.info['energy'] = -1.0;
  s.setArray('forces', { type: 'float', cols: 3, data: Float64Array.of(9, 9, 9, 8, 8, 8) });
  setPrediction(s, { energy: -0.9, forces: Float64Array.of(1, 1, 1, 2, 2, 2) });
  assert.equal(s.info['REF_energy'], -1.0);
  assert.equal(s.info['energy'], -0.9);
  assert.deepEqual(Array.from(s.floatArray('REF_forces')!), [9, 9, 9, 8, 8, 8]);
  assert.deepEqual(Array.from(s.floatArray('forces')!), [1, 1, 1, 2, 2, 2]);
});

test('setPrediction refuses, and changes nothing, when both <key> and REF_<key> exist', () => {
  const s = dimer();
  s.info['energy'] = -1.0;
  s.info['REF_energy'] = -1.1;
  s.setArray('forces', { type: 'float', cols: 3, data: new Float64Array(6) });
  assert.throws(() => setPrediction(s, { energy: -0.9, forces: new Float64Array(6).fill(1) }), (e: unknown) => e instanceof ValidationError && /"energy" and "REF_energy"/.test(e.message));
  assert.equal(s.info['energy'], -1.0);
  assert.equal(s.info['REF_energy'], -1.1);
  assert.equal(s.arrays['REF_forces'], undefined);
  assert.deepEqual(Array.from(s.floatArray('forces')!), [0, 0, 0, 0, 0, 0]);
});

test('setPrediction checks array sizes', () => {
  assert.throws(() => setPrediction(dimer(), { energy: 0, forces: new Float64Array(3) }), /expected 3 x 2 atoms/);
  assert.throws(() => setPrediction(dimer(), { energy: 0, stress: new Float64Array(9) }), /expected 6/);
});
