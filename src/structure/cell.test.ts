import { test, assert } from '../node/test-support.js';
import { assertValidCell, cellFromParameters, cellParameters, minimumImage, planeSpacings, toCartesian, toFractional, volume, wrap, wrapPositions } from './cell.js';
import { Structure } from './structure.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';

function randomCell(r: Rng): Float64Array {
  for (;;) {
    const c = cellFromParameters(r.range(2, 9), r.range(2, 9), r.range(2, 9), r.range(50, 130), r.range(50, 130), r.range(40, 140));
    if (c.every(Number.isFinite) && c[8]! > 0.3) {
      c[3] = c[3]! + r.range(-2, 2) * c[0]!; // extra skew: same lattice, badly reduced cell
      c[6] = c[6]! + r.range(-2, 2) * c[0]!;
      return c;
    }
  }
}

test('fractional <-> Cartesian round trip on skewed triclinic cells', () => {
  const r = new Rng(1);
  for (let t = 0; t < 50; t++) {
    const cell = randomCell(r);
    const x = Float64Array.from({ length: 30 }, () => r.range(-20, 20));
    const back = toCartesian(cell, toFractional(cell, x));
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i]! - x[i]!) < 1e-11);
  }
});

test('wrap puts fractional coordinates in [0, 1) along periodic directions only and keeps images equivalent', () => {
  const r = new Rng(2);
  for (let t = 0; t < 30; t++) {
    const cell = randomCell(r);
    const pbc = [true, r.uniform() < 0.5, true];
    const x = Float64Array.from({ length: 15 }, () => r.range(-30, 30));
    const w = wrapPositions(cell, pbc, x);
    const f = toFractional(cell, w), f0 = toFractional(cell, x);
    for (let i = 0; i < f.length; i++) {
      if (pbc[i % 3]) {
        assert.ok(f[i]! >= -1e-12 && f[i]! < 1, `f=${f[i]}`);
        assert.ok(Math.abs(f0[i]! - f[i]! - Math.round(f0[i]! - f[i]!)) < 1e-9, 'shift is a lattice vector');
      } else assert.ok(Math.abs(f[i]! - f0[i]!) < 1e-9);
    }
  }
  const s = new Structure({ numbers: [14], positions: [-0.5, 4.5, 1], cell: [2, 0, 0, 0, 2, 0, 0, 0, 2], pbc: true });
  wrap(s);
  assert.ok(Math.abs(s.positions[0]! - 1.5) < 1e-15 && Math.abs(s.positions[1]! - 0.5) < 1e-15);
});

test('minimumImage equals the shortest image found by brute force over images on skewed cells', () => {
  const r = new Rng(3);
  let tested = 0;
  for (let t = 0; t < 200; t++) {
    const cell = randomCell(r);
    const pbc = [true, true, r.uniform() < 0.7];
    const h = planeSpacings(cell);
    if (Math.min(...h) < 1) continue; // keeps the brute-force search below small
    const d = [r.range(-6, 6), r.range(-6, 6), r.range(-6, 6)];
    const m = minimumImage(cell, pbc, d);
    // brute force over every image that could be shorter than d itself: |n_k| <= 2 |d| / h_k
    const dl = Math.hypot(...d);
    const R = [0, 1, 2].map((k) => (pbc[k] ? Math.ceil((2 * dl) / h[k]!) + 1 : 0));
    let best = Infinity;
    for (let a = -R[0]!; a <= R[0]!; a++) for (let b = -R[1]!; b <= R[1]!; b++) for (let c = -R[2]!; c <= R[2]!; c++) {
      const v = [0, 1, 2].map((k) => d[k]! + a * cell[k]! + b * cell[3 + k]! + c * cell[6 + k]!);
      best = Math.min(best, Math.hypot(...v));
    }
    const len = Math.hypot(m[0]!, m[1]!, m[2]!);
    assert.ok(Math.abs(len - best) < 1e-9, `case ${t}: minimumImage ${len} vs brute force ${best}`);
    tested++;
  }
  assert.ok(tested >= 50, `only ${tested} cells tested`);
});

test('cellParameters and cellFromParameters round trip; volume and plane spacings agree', () => {
  const r = new Rng(4);
  for (let t = 0; t < 50; t++) {
    const p = [r.range(2, 9), r.range(2, 9), r.range(2, 9), r.range(60, 120), r.range(60, 120), r.range(60, 120)] as const;
    const cell = cellFromParameters(...p);
    if (!cell.every(Number.isFinite) || !(cell[8]! > 0.1)) continue;
    const q = cellParameters(cell);
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(q[k]! - p[k]!) < 1e-9, `param ${k}: ${q[k]} vs ${p[k]}`);
    const h = planeSpacings(cell);
    // V = h_c |a x b|: the c spacing times the area of the ab face
    const area = p[0] * p[1] * Math.sin((p[5] * Math.PI) / 180);
    assert.ok(Math.abs(h[2] * area - volume(cell)) < 1e-9);
  }
  assert.deepEqual(Array.from(cellFromParameters(3, 4, 5)), [3, 0, 0, 0, 4, 0, 0, 0, 5]);
});

test('assertValidCell rejects non-finite, zero-volume and degenerate periodic cells, naming the cause', () => {
  const bad = (cell: number[], pbc: boolean[], re: RegExp) =>
    assert.throws(() => assertValidCell(cell, pbc), (e: unknown) => e instanceof ValidationError && re.test(e.message));
  bad([1, 0, 0, 0, NaN, 0, 0, 0, 1], [true, true, true], /non-finite value \(NaN\) at row 1, column 1/);
  bad([1, 0, 0, 2, 0, 0, 0, 0, 1], [true, true, true], /zero volume/);
  bad([1, 0, 0, 2, 0, 0, 0, 0, 0], [true, true, false], /parallel or zero/);
  bad([0, 0, 0, 1, 0, 0, 0, 0, 0], [true, false, false], /vector a is zero/);
  assert.doesNotThrow(() => assertValidCell([3, 0, 0, 0, 3, 0, 0, 0, 0], [true, true, false]));
  assert.doesNotThrow(() => assertValidCell(new Float64Array(9), [false, false, false]));
});

test('minimumImage works for a slab whose c vector is zero', () => {
  const cell = [4, 0, 0, 7, 3, 0, 0, 0, 0];
  const m = minimumImage(cell, [true, true, false], [5, 2.5, 1.25]);
  // candidates: d - b = (-2, -0.5), d - a = (1, 2.5), d - b + a = (2, -0.5) -> shortest is (2,-0.5) or (-2,-0.5)
  assert.ok(Math.abs(Math.hypot(m[0]!, m[1]!) - Math.hypot(2, 0.5)) < 1e-12);
  assert.equal(m[2], 1.25);
});
