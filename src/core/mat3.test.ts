import { test, assert } from '../node/test-support.js';
import { cross, det3, dot3, fromVoigt, identity3, inv3, mul3, norm3, rotationMatrix, toVoigt, transpose3 } from './mat3.js';
import { Rng } from './rng.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test('inverse times matrix is the identity on random matrices', () => {
  const r = new Rng(1);
  for (let t = 0; t < 100; t++) {
    const m = Float64Array.from({ length: 9 }, () => r.range(-3, 3));
    if (Math.abs(det3(m)) < 0.1) continue;
    close(mul3(m, inv3(m)), identity3(), 1e-10);
    close(mul3(inv3(m), m), identity3(), 1e-10);
  }
  assert.throws(() => inv3([1, 2, 3, 2, 4, 6, 0, 0, 1]), /singular/);
});

test('det is multiplicative, changes sign under a row swap, and equals a.(b x c)', () => {
  const r = new Rng(2);
  const a = Float64Array.from({ length: 9 }, () => r.normal()), b = Float64Array.from({ length: 9 }, () => r.normal());
  assert.ok(Math.abs(det3(mul3(a, b)) - det3(a) * det3(b)) < 1e-12);
  const sw = Float64Array.of(...a.subarray(3, 6), ...a.subarray(0, 3), ...a.subarray(6, 9));
  assert.ok(Math.abs(det3(sw) + det3(a)) < 1e-14);
  assert.ok(Math.abs(det3(a) - dot3(a.subarray(0, 3), cross(a.subarray(3, 6), a.subarray(6, 9)))) < 1e-14);
  assert.equal(det3(identity3()), 1);
});

test('rotation matrices are orthogonal with det +1 and rotate about their axis', () => {
  const r = new Rng(3);
  for (let t = 0; t < 20; t++) {
    const axis = [r.normal(), r.normal(), r.normal()];
    const R = rotationMatrix(axis, r.range(-Math.PI, Math.PI));
    close(mul3(R, transpose3(R)), identity3(), 1e-14);
    assert.ok(Math.abs(det3(R) - 1) < 1e-14);
    // the axis is a fixed point: R n = n (R acts on column vectors)
    const n = axis.map((v) => v / norm3(axis));
    const Rn = [0, 1, 2].map((i) => R[3 * i]! * n[0]! + R[3 * i + 1]! * n[1]! + R[3 * i + 2]! * n[2]!);
    close(Rn, n, 1e-14);
  }
  // quarter turn about z maps x to y
  const Rz = rotationMatrix([0, 0, 1], Math.PI / 2);
  close([Rz[0]!, Rz[3]!, Rz[6]!], [0, 1, 0], 1e-15);
});

test('Voigt order is xx yy zz yz xz xy and round-trips symmetric matrices', () => {
  const v = [1, 2, 3, 4, 5, 6];
  const m = fromVoigt(v);
  assert.deepEqual(Array.from(m), [1, 6, 5, 6, 2, 4, 5, 4, 3]);
  assert.deepEqual(Array.from(toVoigt(m)), v);
  assert.deepEqual(Array.from(cross([1, 0, 0], [0, 1, 0])), [0, 0, 1]);
});
