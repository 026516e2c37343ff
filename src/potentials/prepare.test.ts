import { test, assert } from '../node/test-support.js';
import { LennardJones } from './lj.js';
import { prepare } from './prepare.js';
import type { Potential } from './potential.js';
import { Structure } from '../structure/structure.js';
import { atomicNumber } from '../core/elements.js';

const lj = new LennardJones({ epsilon: 0.01, sigma: 3, cutoff: 6 });

function dimer(d: number, extra: Partial<ConstructorParameters<typeof Structure>[0]> = {}): Structure {
  return new Structure({ numbers: [18, 18], positions: [0, 0, 0, d, 0, 0], ...extra });
}

test('NaN coordinate is rejected naming the atom and the axis', () => {
  const s = dimer(3);
  s.positions[4] = NaN;
  assert.throws(() => lj.compute(s), /atom 1 \(Ar\) has a non-finite y coordinate \(NaN\)/);
});

test('infinite coordinate is rejected', () => {
  const s = dimer(3);
  s.positions[0] = Infinity;
  assert.throws(() => lj.compute(s), /atom 0 \(Ar\) has a non-finite x coordinate \(Infinity\)/);
});

test('atoms closer than 0.1 Å are rejected as overlapping, naming both atoms', () => {
  assert.throws(() => lj.compute(dimer(0.05)), /atoms 0 \(Ar\) and 1 \(Ar\) are 0\.0500 Å apart, closer than 0\.1 Å/);
});

test('overlap through a periodic image is caught too', () => {
  const s = new Structure({ numbers: [18, 18], positions: [0.02, 0, 0, 9.97, 0, 0], cell: [10, 0, 0, 0, 10, 0, 0, 0, 10], pbc: true });
  assert.throws(() => lj.compute(s), /closer than 0\.1 Å/);
});

test('a periodic cell with zero volume is rejected', () => {
  const s = dimer(3, { cell: [5, 0, 0, 0, 5, 0, 5, 5, 0], pbc: true });
  assert.throws(() => lj.compute(s), /zero volume/);
});

test('a non-finite cell entry is rejected naming row and column', () => {
  const s = dimer(3, { cell: [5, 0, 0, 0, NaN, 0, 0, 0, 5], pbc: true });
  assert.throws(() => lj.compute(s), /non-finite value \(NaN\) at row 1, column 1/);
});

test('unknown element symbols and atomic numbers are rejected with a hint', () => {
  assert.throws(() => atomicNumber('SI'), /unknown element symbol "SI" \(did you mean "Si"\?\)/);
  assert.throws(() => atomicNumber('Xx'), /unknown element symbol "Xx"/);
  assert.throws(() => new Structure({ numbers: [0], positions: [0, 0, 0] }), /unknown atomic number 0/);
  assert.throws(() => new Structure({ numbers: [119], positions: [0, 0, 0] }), /unknown atomic number 119/);
});

test('an element without parameters is rejected naming the element and the atom', () => {
  const siOnly: Potential = {
    name: 'si-only',
    cutoff: 3,
    capabilities: { forces: true, stress: false, energies: false, uncertainty: false },
    species: [14],
    compute(s, req = {}, ctx) {
      prepare(this, s, req, ctx);
      return { energy: 0 };
    },
  };
  const s = Structure.fromSymbols(['Si', 'Ge'], [[0, 0, 0], [2.4, 0, 0]]);
  assert.throws(() => siOnly.compute(s), /si-only has no parameters for element Ge \(atom 1\); it covers Si/);
});

test('stress on a non-periodic structure is refused with the reason', () => {
  assert.throws(() => lj.compute(dimer(3), { stress: true }), /stress needs a cell periodic in all three directions/);
});

test('mismatched positions length is rejected when building a structure', () => {
  assert.throws(() => new Structure({ numbers: [1, 1], positions: [0, 0, 0] }), /positions has 3 values; expected 3 x 2 atoms = 6/);
});
