import { test, assert } from '../node/test-support.js';
import { parsePotentialSpec, parsePotentialSpecs } from './spec.js';
import { elementsInLammpsFile } from './registry.js';

test('a bare name has no file and no parameters', () => {
  assert.deepEqual(parsePotentialSpec('SW'), { name: 'sw', params: {} });
});

test('a file path after the colon is taken as the parameter file', () => {
  assert.deepEqual(parsePotentialSpec('sw:/usr/share/lammps/potentials/Si.sw'), { name: 'sw', file: '/usr/share/lammps/potentials/Si.sw', params: {} });
});

test('inline k=v parameters are parsed as numbers where numeric', () => {
  assert.deepEqual(parsePotentialSpec('lj:sigma=3.4,epsilon=0.0104,cutoff=8.5'), { name: 'lj', params: { sigma: 3.4, epsilon: 0.0104, cutoff: 8.5 } });
  assert.deepEqual(parsePotentialSpec('eam:Cu_u3.eam,elements=Cu'), { name: 'eam', file: 'Cu_u3.eam', params: { elements: 'Cu' } });
});

test('a sum splits on +', () => {
  const s = parsePotentialSpecs('tersoff+lj:sigma=3,epsilon=0.001');
  assert.equal(s.length, 2);
  assert.equal(s[0]!.name, 'tersoff');
  assert.equal(s[1]!.params['epsilon'], 0.001);
});

test('malformed specs give errors naming the problem', () => {
  assert.throws(() => parsePotentialSpec('lj:'), /nothing after ":"/);
  assert.throws(() => parsePotentialSpec('lj:sigma=3,foo'), /"foo" is not k=v/);
  assert.throws(() => parsePotentialSpecs('sw+'), /empty term/);
  assert.throws(() => parsePotentialSpec('3lj'), /not a potential name/);
});

test('elements of a LAMMPS many-body file are read from its entries', () => {
  const text = '# comment\nSi Si Si 2.1 2.0\nSi Ge Ge 1 2\n  # Ge Ge Ge\nGe Si Si 3 4 & \n';
  assert.deepEqual(elementsInLammpsFile(text), ['Si', 'Ge']);
});
