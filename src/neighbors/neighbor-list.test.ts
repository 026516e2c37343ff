import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRebuild, pairCount, refreshShifts } from './neighbor-list.js';
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
