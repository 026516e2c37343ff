import { test, assert } from '../node/test-support.js';
import { ELEMENTS, MAX_Z, atomicNumber, element, isElementSymbol, massOf, symbolOf } from './elements.js';
import { MlpotError } from './errors.js';

test('silicon has Z = 14, standard mass 28.085 amu and covalent radius 1.11 Å', () => {
  assert.equal(atomicNumber('Si'), 14);
  assert.equal(symbolOf(14), 'Si');
  assert.equal(massOf(14), 28.085);
  assert.equal(element(14).covalentRadius, 1.11);
  assert.equal(element(14).name, 'Silicon');
});

test('the table runs H to Rn with consistent indices and increasing Z', () => {
  assert.equal(MAX_Z, 86);
  assert.equal(symbolOf(1), 'H');
  assert.equal(symbolOf(86), 'Rn');
  for (let z = 1; z <= MAX_Z; z++) {
    assert.equal(ELEMENTS[z]!.z, z);
    assert.equal(atomicNumber(ELEMENTS[z]!.symbol), z);
    assert.ok(ELEMENTS[z]!.mass > 0);
  }
  // masses increase with Z except the known inversions (Ar/K, Co/Ni, Te/I)
  const inversions = ['K', 'Ni', 'I'];
  for (let z = 2; z <= MAX_Z; z++) if (!inversions.includes(symbolOf(z))) assert.ok(massOf(z) > massOf(z - 1), symbolOf(z));
});

test('unknown symbols are rejected with a hint for wrong capitalisation', () => {
  assert.throws(() => atomicNumber('SI'), (e: unknown) => e instanceof MlpotError && e.code === 'UNKNOWN_ELEMENT' && /unknown element symbol "SI" \(did you mean "Si"\?\)/.test(e.message));
  assert.throws(() => atomicNumber('Qq'), (e: unknown) => e instanceof MlpotError && /"Qq"; mlpot knows H to Rn/.test(e.message) && !/did you mean/.test(e.message));
  assert.throws(() => element(0), /unknown atomic number 0/);
  assert.throws(() => element(87), /unknown atomic number 87/);
  assert.throws(() => element(1.5), /unknown atomic number 1.5/);
  assert.equal(isElementSymbol('Fe'), true);
  assert.equal(isElementSymbol('fe'), false);
});
