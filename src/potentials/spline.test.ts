import { test, assert } from '../node/test-support.js';
import { lammpsSpline, resampleLagrange4, splineDerivative, splineValue } from './spline.js';

const cubic = (x: number) => 1 + 2 * x - 0.5 * x * x + 0.1 * x * x * x;
const dcubic = (x: number) => 2 - x + 0.3 * x * x;

test('spline passes through every knot', () => {
  const delta = 0.3;
  const vals = Array.from({ length: 12 }, (_, m) => Math.sin(m * delta) + m);
  const sp = lammpsSpline(vals, delta);
  for (let m = 0; m < vals.length; m++) assert.ok(Math.abs(splineValue(sp, m * delta) - vals[m]!) < 1e-12, `knot ${m}`);
});

test('spline reproduces a cubic exactly away from the two end intervals', () => {
  const delta = 0.25, n = 20;
  const sp = lammpsSpline(Array.from({ length: n }, (_, m) => cubic(m * delta)), delta);
  for (let x = 2 * delta; x <= (n - 3) * delta; x += 0.0371) {
    assert.ok(Math.abs(splineValue(sp, x) - cubic(x)) < 1e-12, `value at ${x}`);
    assert.ok(Math.abs(splineDerivative(sp, x) - dcubic(x)) < 1e-11, `derivative at ${x}`);
  }
});

test('spline value and derivative are continuous at knots (C1)', () => {
  const delta = 0.1;
  const sp = lammpsSpline(Array.from({ length: 15 }, (_, m) => Math.exp(-m * delta) * Math.cos(3 * m * delta)), delta);
  const eps = 1e-9;
  for (let m = 1; m < 14; m++) {
    const x = m * delta;
    assert.ok(Math.abs(splineValue(sp, x - eps) - splineValue(sp, x + eps)) < 1e-8, `value jump at knot ${m}`);
    assert.ok(Math.abs(splineDerivative(sp, x - eps) - splineDerivative(sp, x + eps)) < 1e-7, `slope jump at knot ${m}`);
  }
});

test('spline lookup above the table returns the last knot value and slope, like LAMMPS', () => {
  const delta = 0.5;
  const vals = [0, 1, 4, 9, 16, 25, 36];
  const sp = lammpsSpline(vals, delta);
  const top = (vals.length - 1) * delta;
  assert.equal(splineValue(sp, top + 10), splineValue(sp, top));
  assert.ok(Math.abs(splineValue(sp, top) - 36) < 1e-12);
  // last knot slope is the backward difference (36 - 25) / delta
  assert.ok(Math.abs(splineDerivative(sp, top + 3) - 11 / delta) < 1e-12);
});

test('spline rejects tables shorter than the 5-point stencil', () => {
  assert.throws(() => lammpsSpline([1, 2, 3, 4], 0.1), /at least 5 knots/);
  assert.throws(() => lammpsSpline([1, 2, 3, 4, 5], 0), /spacing must be a positive/);
});

test('four-point Lagrange re-tabulation keeps knot values and is exact for cubics', () => {
  const vals = Array.from({ length: 30 }, (_, m) => cubic(m * 0.2));
  const same = resampleLagrange4(vals, 0.2, 29, 0.2);
  for (let m = 0; m < 29; m++) assert.ok(Math.abs(same[m]! - vals[m]!) < 1e-12, `knot ${m}`);
  const finer = resampleLagrange4(vals, 0.2, 50, 0.07);
  for (let m = 0; m < 50; m++) assert.ok(Math.abs(finer[m]! - cubic(m * 0.07)) < 1e-11, `point ${m}`);
});
