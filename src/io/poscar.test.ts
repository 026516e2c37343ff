import { test, assert } from '../node/test-support.js';
import { readPoscar, writePoscar } from './poscar.js';
import { ParseError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters, volume } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';

const VASP5 = `Si8 test
   5.43
  1.0 0.0 0.0
  0.0 1.0 0.0
  0.0 0.0 1.0
 Si_pv O
 1 2
Direct
 0.0 0.0 0.0
 0.5 0.5 0.0 Si
 0.25 0.25 0.25
`;

test('poscar reads a VASP 5 file: species, scale, direct coordinates', () => {
  const s = readPoscar(VASP5, { file: 'POSCAR' });
  assert.deepEqual(s.symbols, ['Si', 'O', 'O']);
  assert.deepEqual(Array.from(s.cell), [5.43, 0, 0, 0, 5.43, 0, 0, 0, 5.43]);
  assert.deepEqual(Array.from(s.positions), [0, 0, 0, 2.715, 2.715, 0, 1.3575, 1.3575, 1.3575]);
  assert.deepEqual(s.pbc, [true, true, true]);
  assert.equal(s.info['comment'], 'Si8 test');
});

test('poscar negative scale factor sets the cell volume', () => {
  const text = VASP5.replace('   5.43', '  -27.0').replace('Direct', 'Cartesian');
  const s = readPoscar(text);
  assert.ok(Math.abs(volume(s.cell) - 27) < 1e-12);
  assert.ok(Math.abs(s.positions[3]! - 1.5) < 1e-14, 'Cartesian coordinates are scaled too');
});

test('poscar VASP 4 file needs symbols and says so', () => {
  const v4 = VASP5.replace(' Si_pv O\n', '');
  assert.throws(() => readPoscar(v4, { file: 'POSCAR4' }), (e: unknown) => e instanceof ParseError && /POSCAR4, line 6: .*species line.*symbols/.test(e.message));
  const s = readPoscar(v4, { symbols: ['Ge', 'C'] });
  assert.deepEqual(s.symbols, ['Ge', 'C', 'C']);
});

test('poscar selective dynamics flags become move_mask', () => {
  const text = VASP5.replace('Direct', 'Selective dynamics\nDirect')
    .replace(' 0.0 0.0 0.0\n', ' 0.0 0.0 0.0 F F F\n')
    .replace(' 0.5 0.5 0.0 Si', ' 0.5 0.5 0.0 T F T')
    .replace(' 0.25 0.25 0.25', ' 0.25 0.25 0.25 T T T');
  const s = readPoscar(text);
  const m = s.arrays['move_mask']!;
  assert.equal(m.type, 'bool');
  assert.deepEqual(Array.from(m.data as Uint8Array), [0, 0, 0, 1, 0, 1, 1, 1, 1]);
  const back = readPoscar(writePoscar(s));
  assert.deepEqual(Array.from(back.arrays['move_mask']!.data as Uint8Array), [0, 0, 0, 1, 0, 1, 1, 1, 1]);
});

test('poscar ignores a trailing velocity block', () => {
  const s = readPoscar(VASP5 + '\n 0.1 0.2 0.3\n 0 0 0\n 0 0 0\n');
  assert.equal(s.length, 3);
});

test('poscar round trip is bit-exact (Cartesian) for a triclinic cell', () => {
  const cell = cellFromParameters(5.3, 5.8, 6.4, 70, 80, 100);
  const s = randomStructure({ numbers: [14, 8], n: 12, cell, seed: 3, minDistance: 1.2 });
  const first = [...new Set(s.numbers)];
  const sorted = s.select(first.flatMap((z) => [...s.numbers.keys()].filter((i) => s.numbers[i] === z)));
  const back = readPoscar(writePoscar(s));
  assert.deepEqual(Array.from(back.cell), Array.from(s.cell));
  assert.deepEqual(Array.from(back.numbers), Array.from(sorted.numbers));
  assert.deepEqual(Array.from(back.positions), Array.from(sorted.positions));
  const direct = readPoscar(writePoscar(s, { direct: true }));
  for (let i = 0; i < direct.positions.length; i++) assert.ok(Math.abs(direct.positions[i]! - sorted.positions[i]!) < 1e-12);
});

test('poscar writer groups interleaved species in order of first appearance', () => {
  const s = Structure.fromSymbols(['O', 'Si', 'O', 'Si'], [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]], { cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], pbc: true });
  const text = writePoscar(s);
  assert.match(text.split('\n')[5]!, /^\s*O\s+Si$/);
  assert.match(text.split('\n')[6]!, /^\s*2\s+2$/);
  const back = readPoscar(text);
  assert.deepEqual(back.symbols, ['O', 'O', 'Si', 'Si']);
  assert.deepEqual(Array.from(back.positions.filter((_, k) => k % 3 === 0)), [0, 2, 1, 3]);
});

test('poscar reads repeated species blocks as ASE writes them', () => {
  const text = 'x\n1\n4 0 0\n0 4 0\n0 0 4\nO Si O\n1 1 1\nCartesian\n0 0 0\n1 1 1\n2 2 2\n';
  assert.deepEqual(readPoscar(text).symbols, ['O', 'Si', 'O']);
});

const bad: Array<[string, string, RegExp]> = [
  ['truncated', VASP5.split('\n').slice(0, 9).join('\n') + '\n', /POSCAR, line 10: POSCAR ends early: expected coordinates of atom 2 of 3/],
  ['wrong atom count', VASP5.replace(' 1 2', ' 1 3'), /POSCAR, line 12: POSCAR ends early: expected coordinates of atom 4 of 4/],
  ['bad number', VASP5.replace('0.25 0.25 0.25', '0.25 0.2x5 0.25'), /POSCAR, line 11: expected coordinate 2 of atom 3 \(a number\), found "0.2x5"/],
  ['unknown element', VASP5.replace('Si_pv O', 'Xx O'), /POSCAR, line 6: unknown element "Xx"/],
  ['counts do not match species', VASP5.replace(' 1 2', ' 1 2 3'), /POSCAR, line 7: 3 counts but 2 species/],
  ['bad lattice', VASP5.replace('  0.0 1.0 0.0', '  0.0 1.0'), /POSCAR, line 4: expected component 3 of lattice vector b, found end of line/],
  ['bad mode line', VASP5.replace('Direct', 'Xyz'), /POSCAR, line 8: expected "Direct" or "Cartesian"/],
];
for (const [label, text, re] of bad) {
  test(`poscar malformed file (${label}) gives a ParseError naming file and line`, () => {
    assert.throws(() => readPoscar(text, { file: 'POSCAR' }), (e: unknown) => e instanceof ParseError && re.test(e.message) || assert.fail(String(e)));
  });
}
