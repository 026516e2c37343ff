import { test, assert } from '../node/test-support.js';
import { Rng } from './rng.js';

test('same seed gives the same stream, different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  const sb = Array.from({ length: 100 }, () => b.nextUint32());
  const sc = Array.from({ length: 100 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.ok(sa.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
});

test('state round trip continues identically, including the cached Gaussian', () => {
  const r = new Rng(7);
  for (let i = 0; i < 11; i++) r.normal(); // odd count leaves a spare deviate
  const st = JSON.parse(JSON.stringify(r.getState()));
  assert.notEqual(st.spare, null);
  const r2 = Rng.fromState(st);
  const next1 = Array.from({ length: 50 }, (_, k) => (k % 3 ? r.normal() : r.uniform()));
  const next2 = Array.from({ length: 50 }, (_, k) => (k % 3 ? r2.normal() : r2.uniform()));
  assert.deepEqual(next1, next2);
});

test('uniform is in [0, 1) with mean 1/2 and variance 1/12 within statistical bounds', () => {
  const r = new Rng(1);
  const n = 200000;
  let s = 0, s2 = 0, min = 1, max = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    s += u; s2 += u * u;
    min = Math.min(min, u); max = Math.max(max, u);
  }
  const mean = s / n, v = s2 / n - mean * mean;
  assert.ok(min >= 0 && max < 1);
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  // sd of the variance estimate of U(0,1): sqrt((1/80 - 1/144) / n)
  assert.ok(Math.abs(v - 1 / 12) < 5 * Math.sqrt((1 / 80 - 1 / 144) / n), `variance ${v}`);
});

test('normal deviates have mean 0, variance 1 and kurtosis 3 within statistical bounds', () => {
  const r = new Rng(2);
  const n = 200000;
  const x = r.fillNormal(new Float64Array(n));
  let s = 0, s2 = 0, s4 = 0;
  for (const v of x) { s += v; s2 += v * v; s4 += v ** 4; }
  const mean = s / n, v = s2 / n, k = s4 / n;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 5 * Math.sqrt(2 / n), `variance ${v}`);
  assert.ok(Math.abs(k - 3) < 5 * Math.sqrt(96 / n), `fourth moment ${k}`);
});

test('int, range and shuffle stay in range; shuffle is a permutation', () => {
  const r = new Rng(3);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 5 * Math.sqrt(10000 * (5 / 6)));
  for (let i = 0; i < 1000; i++) { const v = r.range(-2, 3); assert.ok(v >= -2 && v < 3); }
  const a = Array.from({ length: 50 }, (_, i) => i);
  const sh = r.shuffle(a.slice());
  assert.notDeepEqual(sh, a);
  assert.deepEqual(sh.slice().sort((p, q) => p - q), a);
  assert.throws(() => new Rng(NaN), /seed must be a finite number/);
});
