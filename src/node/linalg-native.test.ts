import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import { NormalEquations, NotPositiveDefiniteError, cholesky, gemm, linalgBackendName, lstsqQR, setLinalgBackend, syrk } from '../core/linalg.js';
import { loadNativeLinalg } from './linalg-native.js';

// The addon is optional (never built by npm install): without it these tests skip, naming what to do.
// MLPOT_REQUIRE_NATIVE=1 turns the skip into a failure (for machines that promise the addon).
const native = loadNativeLinalg();
const SKIP = native.backend ? false : process.env.MLPOT_REQUIRE_NATIVE === '1' ? false : `native OpenBLAS backend unavailable (${native.reason})`;

function rand(rng: Rng, len: number): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal();
  return a;
}

/** Run `fn` with the pure-TS kernels and with OpenBLAS; return both results. */
function both<T>(fn: () => T): [T, T] {
  setLinalgBackend(null);
  const ts = fn();
  setLinalgBackend(native.backend!);
  try {
    assert.equal(linalgBackendName(), 'openblas');
    return [ts, fn()];
  } finally {
    setLinalgBackend(null);
  }
}

function close(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  assert.equal(a.length, b.length);
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (scale + 1e-300), `${what}: entry ${i}: ${a[i]} vs ${b[i]}`);
}

test('native backend: module loads when required', { skip: process.env.MLPOT_REQUIRE_NATIVE !== '1' }, () => {
  assert.ok(native.backend, native.reason);
});

test('native backend gives the pure-TS results: gemm, syrk, weighted Gram, Cholesky, QR', { skip: SKIP }, () => {
  const rng = new Rng(11);
  for (const [m, n, k] of [[1, 1, 1], [7, 65, 63], [130, 9, 300]] as const) {
    const a = rand(rng, m * k);
    const b = rand(rng, k * n);
    const c0 = rand(rng, m * n);
    const [x, y] = both(() => { const c = c0.slice(); gemm(true, false, m, n, k, 1.5, a, m, b, n, 0.5, c, n); return c; });
    close(y, x, 1e-12, `gemm ${m}x${n}x${k}`);
    const [s, t] = both(() => { const c = new Float64Array(n * n); syrk(true, n, k, 1, b, n, 0, c, n); return c; });
    close(t, s, 1e-12, `syrk ${n}`);
  }
  const n = 127;
  const rows = 2100;
  const a = rand(rng, rows * n);
  const w = new Float64Array(rows).map(() => 0.5 + rng.uniform());
  const tgt = rand(rng, rows);
  const [g1, g2] = both(() => {
    const ne = new NormalEquations(n);
    ne.addRows(a.subarray(0, 1500 * n), w.subarray(0, 1500), tgt.subarray(0, 1500));
    ne.addRows(a.subarray(1500 * n), w.subarray(1500), tgt.subarray(1500));
    const g = ne.gram();
    const x = ne.solve({ ridge: 1e-8 });
    return { g, x, r: ne.rhs(), s: ne.targetSquareSum };
  });
  close(g2.g, g1.g, 1e-12, 'Gram');
  close(g2.r, g1.r, 1e-12, 'rhs');
  close(g2.x, g1.x, 1e-10, 'WLS solution');
  assert.ok(Math.abs(g2.s - g1.s) < 1e-9 * g1.s);
  const [l1, l2] = both(() => cholesky(g1.g, n));
  close(l2, l1, 1e-11, 'Cholesky L');
  const b = rand(rng, 300);
  const aq = rand(rng, 300 * 70);
  const [q1, q2] = both(() => lstsqQR(aq, 300, 70, b).x);
  close(q2, q1, 1e-10, 'QR least squares');
});

test('native backend: non-positive-definite input names the same pivot', { skip: SKIP }, () => {
  const bad = new Float64Array(16);
  [1, 2, -1, 3].forEach((v, i) => (bad[i * 4 + i] = v));
  setLinalgBackend(native.backend!);
  try {
    assert.throws(() => cholesky(bad, 4), (e: unknown) => e instanceof NotPositiveDefiniteError && e.pivot === 2 && /pivot 2/.test(e.message));
  } finally {
    setLinalgBackend(null);
  }
});
