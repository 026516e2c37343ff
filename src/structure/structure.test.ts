import { test, assert } from '../node/test-support.js';
import { Structure, floatArray } from './structure.js';
import { ValidationError } from '../core/errors.js';

const water = () => Structure.fromSymbols(['O', 'H', 'H'], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]], { info: { energy: -14.2, tags: [1, 2] } });

test('constructor checks positions, cell, pbc and per-atom array lengths', () => {
  assert.throws(() => new Structure({ numbers: [1, 1], positions: [0, 0, 0] }), (e: unknown) => e instanceof ValidationError && /positions has 3 values; expected 3 x 2 atoms = 6/.test(e.message));
  assert.throws(() => new Structure({ numbers: [1], positions: [0, 0, 0], cell: [1, 2, 3] }), /cell has 3 values; expected 9/);
  assert.throws(() => new Structure({ numbers: [1], positions: [0, 0, 0], pbc: [true, true] }), /pbc must have 3 flags/);
  assert.throws(() => new Structure({ numbers: [0], positions: [0, 0, 0] }), /unknown atomic number 0/);
  const s = water();
  assert.throws(() => s.setArray('q', floatArray([1, 2])), /per-atom array "q" has 2 values; expected 1 x 3 atoms = 3/);
  assert.throws(() => s.setArray('v', floatArray(new Array(9).fill(0), 0)), /cols must be a positive integer/);
  s.setArray('v', floatArray(new Array(9).fill(0), 3));
  assert.equal(s.arrays['v']!.cols, 3);
});

test('symbols, masses and periodic flag reflect the data; a masses array overrides standard masses', () => {
  const s = water();
  assert.deepEqual(s.symbols, ['O', 'H', 'H']);
  assert.equal(s.length, 3);
  assert.deepEqual(Array.from(s.masses()), [15.999, 1.008, 1.008]);
  assert.equal(s.periodic, false);
  s.setArray('masses', floatArray([15.999, 2.014, 2.014]));
  assert.equal(s.masses()[1], 2.014);
  const p = new Structure({ numbers: [14], positions: [0, 0, 0], cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], pbc: [false, false, true] });
  assert.equal(p.periodic, true);
});

test('select keeps the listed atoms in order with their per-atom arrays', () => {
  const s = water();
  s.setArray('charge', floatArray([-0.8, 0.4, 0.4]));
  s.setArray('label', { type: 'string', cols: 1, data: ['a', 'b', 'c'] });
  const t = s.select([2, 0]);
  assert.deepEqual(t.symbols, ['H', 'O']);
  assert.deepEqual(Array.from(t.positions), [-0.24, 0.93, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(t.floatArray('charge')!), [0.4, -0.8]);
  assert.deepEqual(t.arrays['label']!.data, ['c', 'a']);
  assert.equal(t.info['energy'], -14.2);
  assert.throws(() => t.floatArray('label'), /"label" is string, expected float/);
});

test('clone is independent of the original: positions, cell, info and arrays', () => {
  const s = water();
  s.setArray('charge', floatArray([-0.8, 0.4, 0.4]));
  const c = s.clone();
  c.positions[0] = 9;
  c.cell[0] = 9;
  c.floatArray('charge')![0] = 9;
  (c.info['tags'] as number[])[0] = 9;
  c.pbc[0] = true;
  assert.equal(s.positions[0], 0);
  assert.equal(s.cell[0], 0);
  assert.equal(s.floatArray('charge')![0], -0.8);
  assert.deepEqual(s.info['tags'], [1, 2]);
  assert.equal(s.pbc[0], false);
});
