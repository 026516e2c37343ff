import { test, assert } from '../node/test-support.js';
import { ParseError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { readXyz, writeXyz } from './xyz.js';

test('xyz reads several plain frames, keeping the comment and ignoring extra columns', () => {
  const text = '2\nwater fragment: energy -1.0\nO 0.0 0.0 0.0 extra\nH 0.96 0 0\n1\n\n6 1 2 3\n';
  const frames = readXyz(text);
  assert.equal(frames.length, 2);
  assert.deepEqual(Array.from(frames[0]!.numbers), [8, 1]);
  assert.deepEqual(Array.from(frames[0]!.positions), [0, 0, 0, 0.96, 0, 0]);
  assert.deepEqual(frames[0]!.info, { comment: 'water fragment: energy -1.0' });
  assert.deepEqual(frames[0]!.pbc, [false, false, false]);
  assert.deepEqual(Array.from(frames[1]!.numbers), [6], 'an atomic number may stand for the symbol');
  assert.deepEqual(frames[1]!.info, {});
});

test('xyz reads a frame whose comment has Properties= or Lattice= as extended XYZ', () => {
  const text = '1\nplain words\nH 0 0 0\n1\nLattice="4 0 0 0 4 0 0 0 4" energy=-2\nHe 1 1 1\n';
  const [a, b] = readXyz(text);
  assert.deepEqual(a!.info, { comment: 'plain words' });
  assert.deepEqual(b!.info, { energy: -2 });
  assert.deepEqual(Array.from(b!.cell), [4, 0, 0, 0, 4, 0, 0, 0, 4]);
  assert.deepEqual(b!.pbc, [true, true, true]);
});

test('xyz write then read keeps symbols, positions bit for bit and the comment, and drops the cell', () => {
  const pos = [0.1, -1 / 3, 1e-300, 2 ** 60, -0, 7];
  const s = new Structure({ numbers: [26, 79], positions: pos, cell: [3, 0, 0, 0, 3, 0, 0, 0, 3], pbc: true, info: { comment: 'Fe Au', energy: 1 } });
  const text = writeXyz([s, s]);
  assert.equal(text.split('\n')[1], 'Fe Au');
  const back = readXyz(text);
  assert.equal(back.length, 2);
  for (let i = 0; i < pos.length; i++) assert.ok(Object.is(back[0]!.positions[i], pos[i]), `coordinate ${i}`);
  assert.deepEqual(back[1]!.symbols, ['Fe', 'Au']);
  assert.deepEqual(Array.from(back[0]!.cell), new Array(9).fill(0));
  assert.deepEqual(back[0]!.info, { comment: 'Fe Au' });
});

test('xyz reports missing coordinates and an unknown symbol with frame and line', () => {
  assert.throws(() => readXyz('1\n\nH 0 0\n', { file: 'a.xyz' }), (e: unknown) => e instanceof ParseError && /a\.xyz, frame 0, line 3: .*has 3 fields; expected 4/.test(e.message));
  assert.throws(() => readXyz('1\n\nH 0 0 0\n1\n\nQq 0 0 0\n', { file: 'a.xyz' }), (e: unknown) => e instanceof ParseError && e.location.frame === 1 && e.location.line === 6 && /unknown element "Qq"/.test(e.message));
});
