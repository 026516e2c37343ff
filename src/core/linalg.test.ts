import { test, assert, isCI, runPython, withTempDir } from '../node/test-support.js';
import { Rng } from './rng.js';
import {
  NormalEquations, NotPositiveDefiniteError, applyQ, cholesky, choleskySolve, columnMeanStd, eighSymmetric, gemm,
  lstsqQR, matmul, matrix, qrFactor, qrQ, qrR, qrSolve, solveLower, solveLowerTransposed, solveUpper, standardizeColumns, syrk,
} from './linalg.js';

/** numpy is available (Debian python3-numpy, pulled in by python3-ase); under CI=true its absence fails. */
function numpyAvailable(): boolean {
  return runPython('import numpy').status === 0;
}
const HAVE_NUMPY = numpyAvailable();
const SKIP_NUMPY = HAVE_NUMPY ? false : isCI() ? false : 'numpy not available via /usr/bin/python3 (install Debian package python3-numpy)';

test('numpy reference is available under CI=true', { skip: !isCI() }, () => {
  assert.ok(HAVE_NUMPY, 'CI=true but /usr/bin/python3 cannot import numpy (install python3-numpy)');
});

/**
 * Run a numpy script: inputs are written as raw little-endian float64 files named `<key>.bin`
 * (read in Python with `ld('key', shape)`), outputs written with `sv('key', array)` come back as Float64Arrays.
 */
function numpy(script: string, inputs: Record<string, Float64Array>): Record<string, Float64Array> {
  return withTempDir('mlpot-linalg-', (dir) => {
    for (const [k, v] of Object.entries(inputs)) dir.write(`${k}.bin`, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    const prelude = [
      'import numpy as np, os, sys',
      `D = ${JSON.stringify(dir.path)}`,
      'OUT = []',
      "def ld(k, shape): return np.fromfile(os.path.join(D, k + '.bin'), dtype='<f8').reshape(shape)",
      "def sv(k, a): np.ascontiguousarray(a, dtype='<f8').tofile(os.path.join(D, 'out_' + k + '.bin')); OUT.append(k)",
    ].join('\n');
    const r = runPython(`${prelude}\n${script}\nprint(' '.join(OUT))`);
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    const res: Record<string, Float64Array> = {};
    for (const k of r.stdout.trim().split(/\s+/)) {
      const buf = dir.read(`out_${k}.bin`);
      res[k] = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    }
    return res;
  });
}

function randMat(rng: Rng, m: number, n: number): Float64Array {
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** Well-conditioned SPD: B^T B / m + I. */
function randSpd(rng: Rng, n: number): Float64Array {
  const m = n + 5;
  const b = randMat(rng, m, n);
  const a = new Float64Array(n * n);
  gemmNaive(true, false, n, n, m, b, n, b, n, a);
  for (let i = 0; i < n * n; i++) a[i] /= m;
  for (let i = 0; i < n; i++) a[i * n + i] += 1;
  return a;
}

/** Textbook triple loop (reference for the blocked kernels). */
function gemmNaive(tA: boolean, tB: boolean, m: number, n: number, k: number, a: Float64Array, lda: number, b: Float64Array, ldb: number, c: Float64Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * n + j] = s;
    }
  }
}

function assertClose(actual: Float64Array, expected: Float64Array, rtol: number, what: string, atol = 0): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= rtol * Math.max(Math.abs(expected[i]), 1e-3 * scale) + atol)) {
      assert.fail(`${what}: entry ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${err}, rtol ${rtol})`);
    }
  }
}

test('gemm equals the naive product for all transpose combinations and awkward sizes', () => {
  const rng = new Rng(1);
  for (const [m, n, k] of [[1, 1, 1], [7, 5, 3], [63, 65, 9], [130, 7, 257], [5, 129, 300]] as const) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const a = randMat(rng, m, k); // as stored: m x k or (trans) k x m -- same element count
        const b = randMat(rng, k, n);
        const lda = tA ? m : k;
        const ldb = tB ? k : n;
        const ref = new Float64Array(m * n);
        gemmNaive(tA, tB, m, n, k, a, lda, b, ldb, ref);
        const c = randMat(rng, m, n);
        const c0 = c.slice();
        gemm(tA, tB, m, n, k, 2, a, lda, b, ldb, -0.5, c, n);
        for (let i = 0; i < ref.length; i++) ref[i] = 2 * ref[i] - 0.5 * c0[i];
        assertClose(c, ref, 1e-12, `gemm ${m}x${n}x${k} tA=${tA} tB=${tB}`, 1e-12);
      }
    }
  }
  const p = matmul(matrix(2, 2, Float64Array.of(1, 2, 3, 4)), matrix(2, 1, Float64Array.of(1, 1)));
  assert.deepEqual([...p.data], [3, 7]);
});

test('syrk updates only the upper triangle and equals A^T A / A A^T', () => {
  const rng = new Rng(2);
  for (const [n, k] of [[1, 3], [7, 1], [63, 300], [65, 17]] as const) {
    for (const trans of [true, false]) {
      const a = randMat(rng, n, k);
      const ref = new Float64Array(n * n);
      if (trans) gemmNaive(true, false, n, n, k, a, n, a, n, ref);
      else gemmNaive(false, true, n, n, k, a, k, a, k, ref);
      const c = new Float64Array(n * n).fill(7);
      syrk(trans, n, k, 1, a, trans ? n : k, 0, c, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (j < i) assert.equal(c[i * n + j], 7, `lower entry (${i},${j}) touched`);
          else assert.ok(Math.abs(c[i * n + j] - ref[i * n + j]) <= 1e-12 * (1 + Math.abs(ref[i * n + j])), `syrk n=${n} k=${k} (${i},${j})`);
        }
      }
    }
  }
});

test('blocked Gram A^T W A equals the naive product for 1, 7, 63, 65, 127 columns and uneven row blocks', () => {
  const rng = new Rng(3);
  for (const n of [1, 7, 63, 65, 127]) {
    const blocks = [1, 300, 17, 256, 513];
    const m = blocks.reduce((s, x) => s + x, 0);
    const a = randMat(rng, m, n);
    const w = new Float64Array(m);
    const b = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      w[i] = i % 11 === 0 ? 0 : 0.5 + rng.uniform();
      b[i] = rng.normal();
    }
    const ne = new NormalEquations(n);
    let r0 = 0;
    for (const rows of blocks) {
      ne.addRows(a.subarray(r0 * n, (r0 + rows) * n), w.subarray(r0, r0 + rows), b.subarray(r0, r0 + rows));
      r0 += rows;
    }
    const g = new Float64Array(n * n);
    const r = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < m; i++) {
      s += w[i] * b[i] * b[i];
      for (let p = 0; p < n; p++) {
        r[p] += w[i] * a[i * n + p] * b[i];
        for (let q = 0; q < n; q++) g[p * n + q] += w[i] * a[i * n + p] * a[i * n + q];
      }
    }
    assertClose(ne.gram(), g, 1e-12, `Gram n=${n}`, 1e-12);
    assertClose(ne.rhs(), r, 1e-12, `rhs n=${n}`, 1e-12);
    assert.equal(ne.rowCount, m);
    assert.ok(Math.abs(ne.targetSquareSum - s) < 1e-9 * s);
  }
});

test('NormalEquations rejects negative weights and a block length that is not a multiple of n', () => {
  const ne = new NormalEquations(3);
  assert.throws(() => ne.addRows(new Float64Array(6), Float64Array.of(1, -1)), /weight of row 1 is -1/);
  assert.throws(() => ne.addRows(new Float64Array(7)), /not a multiple of n = 3/);
});

test('weighted least squares via NormalEquations.solve reproduces a planted solution', () => {
  const rng = new Rng(4);
  const m = 700;
  const n = 20;
  const a = randMat(rng, m, n);
  const xTrue = randMat(rng, n, 1);
  const b = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) b[i] += a[i * n + j] * xTrue[j];
    w[i] = 1 + rng.uniform();
  }
  const ne = new NormalEquations(n);
  ne.addRows(a.subarray(0, 333 * n), w.subarray(0, 333), b.subarray(0, 333));
  ne.addRows(a.subarray(333 * n), w.subarray(333), b.subarray(333));
  assertClose(ne.solve(), xTrue, 1e-10, 'WLS x');
  const half1 = new NormalEquations(n);
  const half2 = new NormalEquations(n);
  half1.addRows(a.subarray(0, 100 * n), w.subarray(0, 100), b.subarray(0, 100));
  half2.addRows(a.subarray(100 * n), w.subarray(100), b.subarray(100));
  half1.merge(half2);
  assertClose(half1.gram(), ne.gram(), 1e-12, 'merged Gram', 1e-12);
  assert.equal(half1.rowCount, m);
});

test('Cholesky: A = L L^T, solve, and the documented error naming the pivot', () => {
  const rng = new Rng(5);
  for (const n of [1, 2, 7, 95, 96, 97, 200]) {
    const a = randSpd(rng, n);
    const l = cholesky(a, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(l[i * n + j], 0);
    const llt = new Float64Array(n * n);
    gemm(false, true, n, n, n, 1, l, n, l, n, 0, llt, n);
    assertClose(llt, a, 1e-12, `L L^T n=${n}`, 1e-13);
    const x = randMat(rng, n, 1);
    const b = new Float64Array(n);
    gemm(false, false, n, 1, n, 1, a, n, x, 1, 0, b, 1);
    assertClose(choleskySolve(l, n, b), x, 1e-10, `solve n=${n}`);
    const x3 = randMat(rng, n, 3);
    const b3 = new Float64Array(n * 3);
    gemm(false, false, n, 3, n, 1, a, n, x3, 3, 0, b3, 3);
    assertClose(choleskySolve(l, n, b3, undefined, 3), x3, 1e-10, `solve 3 rhs n=${n}`);
  }
  // indefinite: diag(1, 2, -1, 3) -> pivot 2
  const bad = new Float64Array(16);
  [1, 2, -1, 3].forEach((v, i) => (bad[i * 4 + i] = v));
  assert.throws(() => cholesky(bad, 4), (e: unknown) => e instanceof NotPositiveDefiniteError && e.pivot === 2 && /not positive definite: pivot 2/.test(e.message));
  // singular in the trailing (blocked) part: rank-deficient Gram with n = 150 > block size
  const n = 150;
  const low = randMat(rng, 120, n);
  const g = new Float64Array(n * n);
  syrk(true, n, 120, 1, low, n, 0, g, n);
  assert.throws(() => cholesky(g, n), NotPositiveDefiniteError);
  // jitter makes it factorable
  const lj = cholesky(g, n, undefined, { jitter: 1e-3 });
  assert.ok(Number.isFinite(lj[n * n - 1]));
});

test('triangular solves', () => {
  const l = Float64Array.of(2, 0, 0, 1, 3, 0, -1, 2, 4);
  const b = Float64Array.of(2, 7, 13);
  const x = solveLower(l, 3, b);
  assertClose(x, Float64Array.of(1, 2, 2.5), 1e-15, 'L x = b');
  const u = Float64Array.of(2, 1, -1, 0, 3, 2, 0, 0, 4); // = L^T
  const y = solveUpper(u, 3, b);
  assertClose(solveLowerTransposed(l, 3, b), y, 1e-15, 'L^T x = b');
});

test('QR: Q^T Q = I, Q R = A, and least squares equals the normal-equation solution', () => {
  const rng = new Rng(6);
  for (const [m, n] of [[1, 1], [5, 3], [40, 7], [130, 65], [64, 64]] as const) {
    const a = randMat(rng, m, n);
    const f = qrFactor(a, m, n);
    const q = qrQ(f);
    const r = qrR(f);
    const qtq = new Float64Array(n * n);
    gemm(true, false, n, n, m, 1, q, n, q, n, 0, qtq, n);
    const eye = new Float64Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    assertClose(qtq, eye, 0, `Q^T Q m=${m} n=${n}`, 1e-13);
    const qr = new Float64Array(m * n);
    gemm(false, false, m, n, n, 1, q, n, r, n, 0, qr, n);
    assertClose(qr, a, 0, `Q R m=${m} n=${n}`, 1e-12);
    const b = randMat(rng, m, 1);
    const { x, residualNorm } = qrSolve(f, b);
    // residual is orthogonal to the columns of A
    const res = b.slice();
    gemm(false, false, m, 1, n, -1, a, n, x, 1, 1, res, 1);
    const atr = new Float64Array(n);
    gemm(true, false, n, 1, m, 1, a, n, res, 1, 0, atr, 1);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(atr[j]) < 1e-10, `A^T r m=${m} n=${n}`);
    let rn = 0;
    for (const v of res) rn += v * v;
    assert.ok(Math.abs(Math.sqrt(rn) - residualNorm) < 1e-10);
    const y = b.slice();
    applyQ(f, y, true);
    applyQ(f, y, false);
    assertClose(y, b, 0, 'Q Q^T b', 1e-12);
  }
  const rank = new Float64Array(12);
  for (let i = 0; i < 4; i++) { rank[i * 3] = i + 1; rank[i * 3 + 1] = 2 * (i + 1); rank[i * 3 + 2] = i * i; }
  assert.throws(() => lstsqQR(rank, 4, 3, new Float64Array(4)), /rank deficient: \|R\[1\]\[1\]\|/);
});

test('symmetric eigen-decomposition: A v = lambda v, V^T V = I, ascending, degenerate and diagonal cases', () => {
  const rng = new Rng(7);
  for (const n of [1, 2, 5, 33, 80]) {
    const b = randMat(rng, n, n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
    const { values, vectors } = eighSymmetric(a, n);
    for (let i = 1; i < n; i++) assert.ok(values[i] >= values[i - 1]);
    const av = new Float64Array(n * n);
    gemm(false, false, n, n, n, 1, a, n, vectors, n, 0, av, n);
    let scale = 0;
    for (const v of values) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) assert.ok(Math.abs(av[i * n + k] - values[k] * vectors[i * n + k]) < 1e-12 * scale, `A v = lambda v n=${n}`);
    const vtv = new Float64Array(n * n);
    gemm(true, false, n, n, n, 1, vectors, n, vectors, n, 0, vtv, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(vtv[i * n + j] - (i === j ? 1 : 0)) < 1e-12);
  }
  const d = eighSymmetric(Float64Array.of(3, 0, 0, 0, 1, 0, 0, 0, 1), 3);
  assertClose(d.values, Float64Array.of(1, 1, 3), 1e-15, 'diag eigenvalues', 1e-15);
});

test('column mean/std and standardisation', () => {
  const a = Float64Array.of(1, 10, 2, 10, 3, 10);
  const { mean, std } = columnMeanStd(a, 3, 2);
  assertClose(mean, Float64Array.of(2, 10), 1e-15, 'mean');
  assertClose(std, Float64Array.of(Math.sqrt(2 / 3), 0), 1e-15, 'std', 1e-15);
  standardizeColumns(a, 3, 2, mean, std);
  assertClose(a, Float64Array.of(-Math.sqrt(1.5), 0, 0, 0, Math.sqrt(1.5), 0), 1e-14, 'standardised', 1e-15);
});

test('against numpy: Cholesky, QR least squares, eigh and the blocked Gram product', { skip: SKIP_NUMPY }, () => {
  const rng = new Rng(8);
  const n = 150;
  const m = 400;
  const spd = randSpd(rng, n);
  const rhs = randMat(rng, n, 1);
  const a = randMat(rng, m, n);
  const b = randMat(rng, m, 1);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) w[i] = 0.1 + rng.uniform();
  const sym = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym[i * n + j] = a[i * n + j] + a[j * n + i];
  const ref = numpy(
    [
      `n, m = ${n}, ${m}`,
      "S = ld('spd', (n, n)); r = ld('rhs', (n,)); A = ld('a', (m, n)); b = ld('b', (m,)); w = ld('w', (m,)); Y = ld('sym', (n, n))",
      "L = np.linalg.cholesky(S); sv('L', L); sv('xs', np.linalg.solve(S, r))",
      "x, res, rk, sing = np.linalg.lstsq(A, b, rcond=None); sv('xl', x)",
      "ev, V = np.linalg.eigh(Y); sv('ev', ev); sv('V', V)",
      "sv('G', (A * w[:, None]).T @ A); sv('r', A.T @ (w * b))",
    ].join('\n'),
    { spd, rhs, a, b, w, sym },
  );
  const l = cholesky(spd, n);
  assertClose(l, ref.L!, 1e-10, 'cholesky vs numpy', 1e-14);
  assertClose(choleskySolve(l, n, rhs), ref.xs!, 1e-10, 'cholesky solve vs numpy');
  assertClose(lstsqQR(a, m, n, b).x, ref.xl!, 1e-10, 'QR lstsq vs numpy');
  const { values, vectors } = eighSymmetric(sym, n);
  assertClose(values, ref.ev!, 1e-10, 'eigenvalues vs numpy', 1e-12);
  // eigenvectors up to sign (eigenvalues of a random symmetric matrix are simple)
  for (let k = 0; k < n; k++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += vectors[i * n + k] * ref.V![i * n + k];
    const sgn = Math.sign(dot);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(vectors[i * n + k] - sgn * ref.V![i * n + k]) < 1e-8, `eigenvector ${k}`);
  }
  const ne = new NormalEquations(n);
  ne.addRows(a.subarray(0, 129 * n), w.subarray(0, 129), b.subarray(0, 129));
  ne.addRows(a.subarray(129 * n), w.subarray(129), b.subarray(129));
  assertClose(ne.gram(), ref.G!, 1e-10, 'Gram vs numpy', 1e-12);
  assertClose(ne.rhs(), ref.r!, 1e-10, 'rhs vs numpy', 1e-12);
});
