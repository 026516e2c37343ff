import { test, assert } from '../node/test-support.js';
import { checkKernel, kernelGradient, kernelMixed, kernelValue, type KernelSpec } from './kernels.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';

const n = 7;
function vec(rng: Rng, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => scale * rng.normal());
}
const specs: KernelSpec[] = [
  { type: 'dot', zeta: 1, sigma: 0.7 },
  { type: 'dot', zeta: 2, sigma: 1.3 },
  { type: 'dot', zeta: 4, sigma: 0.9 },
  { type: 'se', lengthScale: 1.7, sigma: 1.1 },
  { type: 'poly', zeta: 1, offset: 0, sigma: 0.5 },
  { type: 'poly', zeta: 3, offset: 1.5, sigma: 0.8 },
];

test('kernel values equal the closed forms sigma^2 (u.v/|u||v|)^zeta, sigma^2 exp(-|u-v|^2/2l^2), sigma^2 (c + u.v)^zeta', () => {
  const rng = new Rng(3);
  for (let rep = 0; rep < 5; rep++) {
    const u = vec(rng), v = vec(rng);
    let uv = 0, uu = 0, vv = 0, d2 = 0;
    for (let k = 0; k < n; k++) {
      uv += u[k]! * v[k]!;
      uu += u[k]! ** 2;
      vv += v[k]! ** 2;
      d2 += (u[k]! - v[k]!) ** 2;
    }
    for (const s of specs) {
      const want = s.type === 'dot' ? s.sigma ** 2 * (uv / Math.sqrt(uu * vv)) ** s.zeta : s.type === 'se' ? s.sigma ** 2 * Math.exp(-d2 / (2 * s.lengthScale ** 2)) : s.sigma ** 2 * (s.offset + uv) ** s.zeta;
      assert.ok(Math.abs(kernelValue(s, u, 0, v, 0, n) - want) < 1e-12 * Math.max(1, Math.abs(want)), `${s.type}`);
      if (s.type !== 'poly') assert.ok(Math.abs(kernelValue(s, u, 0, u, 0, n) - s.sigma ** 2) < 1e-13, 'k(u,u) = sigma^2');
    }
  }
});

test('gradient dk/du and the mixed second derivative a^T d2k/du dv b match central finite differences', () => {
  const rng = new Rng(5);
  const h = 1e-5;
  for (const s of specs) {
    for (let rep = 0; rep < 3; rep++) {
      const u = vec(rng), v = vec(rng), a = vec(rng), b = vec(rng);
      // make u and v correlated so the dot kernel is not tiny
      for (let k = 0; k < n; k++) v[k] = 0.6 * u[k]! + 0.4 * v[k]!;
      const g = kernelGradient(s, u, v, n, new Float64Array(n));
      const up = Float64Array.from(u), um = Float64Array.from(u);
      let fdDir = 0, gDir = 0;
      for (let k = 0; k < n; k++) {
        up[k] = u[k]! + h * a[k]!;
        um[k] = u[k]! - h * a[k]!;
        gDir += g[k]! * a[k]!;
      }
      fdDir = (kernelValue(s, up, 0, v, 0, n) - kernelValue(s, um, 0, v, 0, n)) / (2 * h);
      assert.ok(Math.abs(fdDir - gDir) < 1e-8 * Math.max(1, Math.abs(gDir)), `${s.type} grad: ${fdDir} vs ${gDir}`);
      // mixed: d/dh2 of (dk/du . a) at v + h2 b
      const vp = Float64Array.from(v), vm = Float64Array.from(v);
      for (let k = 0; k < n; k++) {
        vp[k] = v[k]! + h * b[k]!;
        vm[k] = v[k]! - h * b[k]!;
      }
      const gp = kernelGradient(s, u, vp, n, new Float64Array(n));
      const gm = kernelGradient(s, u, vm, n, new Float64Array(n));
      let fd = 0;
      for (let k = 0; k < n; k++) fd += ((gp[k]! - gm[k]!) / (2 * h)) * a[k]!;
      const mixed = kernelMixed(s, u, v, a, b, n);
      assert.ok(Math.abs(fd - mixed) < 1e-7 * Math.max(1, Math.abs(mixed)), `${s.type} mixed: ${fd} vs ${mixed}`);
    }
  }
});

test("dot kernel is 0 (with zero derivatives) for a zero vector; checkKernel names bad fields", () => {
  const z = new Float64Array(n);
  const u = vec(new Rng(1));
  const s: KernelSpec = { type: 'dot', zeta: 2, sigma: 1 };
  assert.equal(kernelValue(s, z, 0, u, 0, n), 0);
  assert.ok(kernelGradient(s, z, u, n, new Float64Array(n)).every((x) => x === 0));
  assert.throws(() => checkKernel({ type: 'dot', zeta: 1.5, sigma: 1 }), (e: unknown) => e instanceof ValidationError && /zeta/.test(e.message));
  assert.throws(() => checkKernel({ type: 'se', lengthScale: -1, sigma: 1 }), /lengthScale/);
  assert.throws(() => checkKernel({ type: 'rbf', sigma: 1 }), /type/);
  assert.throws(() => checkKernel({ type: 'se', lengthScale: 1, sigma: 0 }), /sigma/);
  assert.deepEqual(checkKernel({ type: 'se', lengthScale: 2, sigma: 3 }), { type: 'se', lengthScale: 2, sigma: 3 });
});
