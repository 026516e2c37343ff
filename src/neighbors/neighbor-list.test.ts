import { test, assert } from '../node/test-support.js';
import { halfPairIndex, needsRebuild, ownsPair, pairCount, refreshShifts, reversePairs } from './neighbor-list.js';
import { buildNeighborList } from './build.js';

const cubic = (a: number) => [a, 0, 0, 0, a, 0, 0, 0, a];

test('pairCount counts directed pairs: a dimer gives two', () => {
  const nl = buildNeighborList({ positions: [0, 0, 0, 1.5, 0, 0], cell: new Float64Array(9), pbc: [false, false, false] }, 2);
  assert.equal(pairCount(nl), 2);
  assert.deepEqual(Array.from(nl.neighbors), [1, 0]);
  assert.deepEqual(nl.minPair, [0, 1]);
  assert.equal(nl.minDistance, 1.5);
  const none = buildNeighborList({ positions: [0, 0, 0, 5, 0, 0], cell: new Float64Array(9), pbc: [false, false, false] }, 2);
  assert.equal(pairCount(none), 0);
  assert.equal(none.minDistance, Infinity);
});

test('refreshShifts recomputes Cartesian shifts from integer images for a new cell', () => {
  const s = { positions: [0.1, 0.2, 0.3, 1.6, 1.5, 1.4], cell: cubic(3), pbc: [true, true, true] };
  const nl = buildNeighborList(s, 2.8);
  const cell2 = [3.1, 0.1, 0, 0, 2.9, 0, 0.2, 0, 3.05];
  refreshShifts(nl, cell2);
  for (let p = 0; p < pairCount(nl); p++) {
    for (let k = 0; k < 3; k++) {
      const want = nl.images[3 * p]! * cell2[k]! + nl.images[3 * p + 1]! * cell2[3 + k]! + nl.images[3 * p + 2]! * cell2[6 + k]!;
      assert.ok(Math.abs(nl.shifts[3 * p + k]! - want) < 1e-15);
    }
  }
});

test('needsRebuild: false for the build positions and small moves, true past skin/2, on a new cell or atom count', () => {
  const s = { positions: [0, 0, 0, 1.5, 0, 0], cell: cubic(6), pbc: [true, true, true] };
  const nl = buildNeighborList(s, 2, { skin: 0.4 });
  assert.equal(needsRebuild(nl, s.positions, s.cell), false);
  assert.equal(needsRebuild(nl, [0.19, 0, 0, 1.5, 0, 0], s.cell), false);
  assert.equal(needsRebuild(nl, [0.21, 0, 0, 1.5, 0, 0], s.cell), true);
  assert.equal(needsRebuild(nl, [0, 0, 0], s.cell), true);
  assert.equal(needsRebuild(nl, s.positions, cubic(6.01)), true);
  // zero skin: any motion triggers a rebuild
  const tight = buildNeighborList(s, 2);
  assert.equal(needsRebuild(tight, [1e-9, 0, 0, 1.5, 0, 0], s.cell), true);
});

test('the record keeps copies of the build positions and cell', () => {
  const pos = new Float64Array([0, 0, 0, 1, 0, 0]);
  const cell = new Float64Array(cubic(5));
  const nl = buildNeighborList({ positions: pos, cell, pbc: [true, true, true] }, 2);
  pos[0] = 3; cell[0] = 7;
  assert.equal(nl.refPositions[0], 0);
  assert.equal(nl.refCell[0], 5);
  assert.equal(nl.cutoff, 2);
  assert.equal(nl.skin, 0);
});

test('halfPairIndex lists every unordered pair once (self-images included) and follows a cell change', () => {
  // a small triclinic cell with a long cutoff: many images, atoms are their own neighbours
  const cell = [3.2, 0, 0, 0.7, 3.0, 0, -0.4, 0.5, 3.4];
  const s = { positions: [0.1, 0.2, 0.3, 1.6, 1.5, 1.4, 2.9, 0.3, 2.2], cell, pbc: [true, true, true] };
  const nl = buildNeighborList(s, 5.5, { skin: 0.5 });
  const h = halfPairIndex(nl, cell);
  assert.equal(h.neighbors.length * 2, pairCount(nl));
  const key = (i: number, j: number, a: number, b: number, c: number) => `${i},${j},${a},${b},${c}`;
  const full = new Set<string>();
  for (let i = 0; i < nl.n; i++) for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) full.add(key(i, nl.neighbors[p]!, nl.images[3 * p]!, nl.images[3 * p + 1]!, nl.images[3 * p + 2]!));
  const seen = new Set<string>();
  for (let i = 0; i < nl.n; i++) {
    for (let q = h.offsets[i]!; q < h.offsets[i + 1]!; q++) {
      const j = h.neighbors[q]!, a = h.images[3 * q]!, b = h.images[3 * q + 1]!, c = h.images[3 * q + 2]!;
      const k = key(i, j, a, b, c);
      assert.ok(full.has(k), `half pair ${k} is in the full list`);
      assert.ok(!seen.has(k) && !seen.has(key(j, i, -a, -b, -c)), `pair ${k} listed once`);
      seen.add(k);
      for (let d = 0; d < 3; d++) assert.equal(h.shifts[3 * q + d], a * cell[d]! + b * cell[3 + d]! + c * cell[6 + d]!);
    }
  }
  // together with the reversed pairs the half list reproduces the full one
  assert.equal(seen.size * 2, full.size);
  // cached per list; shifts follow a new cell
  const cell2 = cell.map((v, k) => v * (k % 4 === 0 ? 1.02 : 1));
  const h2 = halfPairIndex(nl, cell2);
  assert.equal(h2.neighbors, h.neighbors);
  for (let q = 0; q < h2.neighbors.length; q++) {
    for (let d = 0; d < 3; d++) {
      const want = h2.images[3 * q]! * cell2[d]! + h2.images[3 * q + 1]! * cell2[3 + d]! + h2.images[3 * q + 2]! * cell2[6 + d]!;
      assert.equal(h2.shifts[3 * q + d], want);
    }
  }
});

test('reversePairs pairs every i->j with its j->i (negated image), and exactly one of the two owns the pair', () => {
  const cell = [3.2, 0, 0, 0.7, 3.0, 0, -0.4, 0.5, 3.4];
  const s = { positions: [0.1, 0.2, 0.3, 1.6, 1.5, 1.4, 2.9, 0.3, 2.2], cell, pbc: [true, true, true] };
  const nl = buildNeighborList(s, 5.5, { skin: 0.5 });
  const rev = reversePairs(nl);
  const row = (p: number) => { let i = 0; while (nl.offsets[i + 1]! <= p) i++; return i; };
  let selfImages = 0;
  for (let p = 0; p < rev.length; p++) {
    const q = rev[p]!, i = row(p), j = nl.neighbors[p]!;
    assert.equal(rev[q], p);
    assert.notEqual(q, p);
    assert.equal(row(q), j);
    assert.equal(nl.neighbors[q], i);
    for (let a = 0; a < 3; a++) assert.equal(nl.images[3 * q + a]! + nl.images[3 * p + a]!, 0);
    assert.ok(ownsPair(i, j, nl.images, p) !== ownsPair(j, i, nl.images, q), `pair ${p}: exactly one direction owns it`);
    if (i === j) selfImages++;
  }
  assert.ok(selfImages > 0, 'the test cell has self-image pairs');
  // a list missing a reverse is rejected
  const broken = { ...nl, neighbors: nl.neighbors.slice() };
  broken.neighbors[0] = (broken.neighbors[0]! + 1) % nl.n;
  assert.throws(() => reversePairs(broken), /no reverse/);
});
