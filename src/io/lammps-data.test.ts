import { test, assert } from '../node/test-support.js';
import { readLammpsData, writeLammpsData } from './lammps-data.js';
import { ParseError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters, cellParameters, minimumImage } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';

const DATA = `LAMMPS data with comments   # first line is skipped

  3 atoms   # count
  2 atom types
  0 bonds
 -1.0 4.0 xlo xhi
  0.0 5.0 ylo yhi
  0.0 6.0 zlo zhi
  1.5 -0.5 0.25 xy xz yz

Atoms # atomic

  3 2 0.3 0.2 0.1 0 0 1
  1 1 0.0 0.0 0.0
  2 1 1.0 1.0 1.0 -1 0 0

Velocities

  1 0.1 0 0
  2 0 0 0
  3 0 0 0

Masses

  1 28.0855   # Si
  2 15.999
`;

test('lammps data reads a triclinic atomic file with sections in any order', () => {
  const s = readLammpsData(DATA, { file: 'x.data' });
  assert.deepEqual(s.symbols, ['Si', 'Si', 'O'], 'atoms are sorted by id; types come from Masses');
  assert.deepEqual(Array.from(s.cell), [5, 0, 0, 1.5, 5, 0, -0.5, 0.25, 6]);
  assert.deepEqual(Array.from(s.positions), [0, 0, 0, 1, 1, 1, 0.3, 0.2, 0.1]);
  assert.deepEqual(s.pbc, [true, true, true]);
  assert.equal(s.arrays['masses'], undefined, 'standard masses are not stored as isotopes');
});

test('lammps data typeToZ overrides Masses and isotopic masses are kept', () => {
  const s = readLammpsData(DATA, { typeToZ: [32, 8] });
  assert.deepEqual(s.symbols, ['Ge', 'Ge', 'O']);
  assert.deepEqual(Array.from(s.masses()), [28.0855, 28.0855, 15.999]);
  const d = readLammpsData(DATA.replace('15.999', '2.014'), { typeToZ: [14, 1] });
  assert.deepEqual(Array.from(d.masses()), [28.0855, 28.0855, 2.014]);
  assert.match(writeLammpsData(d), /^1 2.014 # H$/m);
});

test('lammps data orthogonal round trip is bit-exact', () => {
  const s = randomStructure({ numbers: [14, 8, 1], n: 10, cell: cellFromParameters(7, 8, 9), seed: 1 });
  const back = readLammpsData(writeLammpsData(s));
  assert.deepEqual(Array.from(back.cell), Array.from(s.cell));
  assert.deepEqual(Array.from(back.positions), Array.from(s.positions));
  assert.deepEqual(Array.from(back.numbers), Array.from(s.numbers));
});

test('lammps data writer rotates a general triclinic cell into restricted form, keeping geometry', () => {
  const base = cellFromParameters(5.3, 5.8, 6.4, 70, 80, 100);
  // Rotate the cell away from LAMMPS orientation: a general cell.
  const c = Math.cos(0.7), sn = Math.sin(0.7);
  const rot = (v: number[]) => [c * v[0]! - sn * v[1]!, sn * v[0]! + c * v[1]!, v[2]!];
  const cell = [0, 1, 2].flatMap((r) => rot([base[3 * r]!, base[3 * r + 1]!, base[3 * r + 2]!]).map((x, k) => (k === 2 ? x : x)));
  const s0 = randomStructure({ numbers: [29], n: 6, cell: base, seed: 2 });
  const pos = Array.from({ length: s0.length }, (_, i) => rot([s0.positions[3 * i]!, s0.positions[3 * i + 1]!, s0.positions[3 * i + 2]!])).flat();
  const s = new Structure({ numbers: s0.numbers, positions: pos, cell, pbc: true });
  const text = writeLammpsData(s, { specorder: [8, 29] });
  assert.match(text, /rotated/);
  assert.match(text, /^2 63.546 # Cu$/m);
  const back = readLammpsData(text);
  assert.deepEqual(Array.from(back.numbers), Array.from(s.numbers));
  assert.equal(back.cell[1], 0);
  assert.equal(back.cell[2], 0);
  assert.equal(back.cell[5], 0);
  const p0 = cellParameters(s.cell), p1 = cellParameters(back.cell);
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(p0[k]! - p1[k]!) < 1e-12, `cell parameter ${k}: ${p0[k]} vs ${p1[k]}`);
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) {
      const d = (t: Structure) => Math.hypot(...minimumImage(t.cell, t.pbc, [0, 1, 2].map((k) => t.positions[3 * j + k]! - t.positions[3 * i + k]!)));
      assert.ok(Math.abs(d(s) - d(back)) < 1e-12, `distance ${i}-${j}`);
    }
  }
});

const bad: Array<[string, string, RegExp, object?]> = [
  ['wrong atom count', DATA.replace('  3 atoms', '  4 atoms'), /x.data, line 11: Atoms section has 3 lines; the header says 4 atoms/],
  ['bad number', DATA.replace('1.0 1.0 1.0 -1', '1.0 1.O 1.0 -1'), /x.data, line 15: expected y \(a number\), found "1.O"/],
  ['missing Masses without typeToZ', DATA.replace(/Masses[\s\S]*$/, ''), /x.data, line 14: no Masses entry for type 1: pass typeToZ/],
  ['mass of no element', DATA.replace('28.0855', '29.5'), /x.data, line 25: mass 29.5 of type 1 is not within 0.05 amu .*typeToZ/],
  ['unknown element via typeToZ', DATA, /x.data, line 14: type 1 maps to atomic number 150/, { typeToZ: [150, 8] }],
  ['type out of range', DATA.replace('  3 2 0.3', '  3 3 0.3'), /x.data, line 13: atom 3 has type 3; expected 1..2/],
  ['wrong field count', DATA.replace('  1 1 0.0 0.0 0.0', '  1 1 0 0.0 0.0 0.0'), /x.data, line 14: expected "id type x y z"/],
  ['other atom style', DATA.replace('Atoms # atomic', 'Atoms # full'), /x.data, line 11: Atoms section is in style "full"/],
];
for (const [label, text, re, extra] of bad) {
  test(`lammps data malformed file (${label}) gives a ParseError naming file and line`, () => {
    assert.throws(() => readLammpsData(text, { file: 'x.data', ...(extra ?? {}) }), (e: unknown) => (e instanceof ParseError && re.test(e.message)) || assert.fail(String(e)));
  });
}
