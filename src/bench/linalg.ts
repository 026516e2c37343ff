/**
 * Dense linear algebra: mlpot's pure-TypeScript kernels (`core/linalg.ts`) against numpy on
 * OpenBLAS (`/usr/bin/python3`), measured in the same run, OpenBLAS pinned to 1 thread
 * (OPENBLAS_NUM_THREADS=1, the fair comparison with single-threaded JavaScript) and again with 2.
 *
 * Operations (n = 2000, random Gaussian data):
 * - `cholesky+solve`: factor the SPD matrix G = B^T B / m + I, then solve one right-hand side.
 *   numpy: `numpy.linalg.cholesky` + `scipy.linalg.cho_solve` (`numpy.linalg.solve` without scipy).
 * - `qr-lstsq`: least squares with a tall m = 4000 x n = 2000 matrix. mlpot: Householder QR
 *   (`lstsqQR`). numpy: `numpy.linalg.lstsq` (LAPACK gelsd, SVD-based) and, like for like,
 *   `numpy.linalg.qr` + `scipy.linalg.solve_triangular` (Householder dgeqrf + dorgqr).
 * - `gram`: the normal-equation build A^T A for A of m x n. Measured with m = 5000 rows (mlpot
 *   streams it in blocks of 1000 rows through `NormalEquations.addRows`; numpy `A.T @ A` on the
 *   whole block) and scaled x4 to m = 20000 (the cost is linear in m).
 *
 * Times are medians over repeats (min 1, within a per-operation budget); ratio = mlpot / numpy.
 * When the optional OpenBLAS addon is built (`node native/openblas/build.mjs`), the same mlpot calls
 * are timed again on that backend (1 BLAS thread): the `native` columns.
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { Rng } from '../core/rng.js';
import { NormalEquations, cholesky, choleskySolve, lstsqQR, setLinalgBackend } from '../core/linalg.js';
import { loadNativeLinalg } from '../node/linalg-native.js';

const PY = '/usr/bin/python3';

export interface LinalgBenchRow {
  op: string;
  size: string;
  /** mlpot median wall ms (scaled as stated in `size` for gram). */
  mlpotMs: number;
  /** numpy/OpenBLAS 1 thread, ms. */
  numpy1Ms?: number;
  /** numpy/OpenBLAS 2 threads, ms. */
  numpy2Ms?: number;
  /** mlpot / numpy (1 thread). */
  ratio1?: number;
  /** mlpot / numpy (2 threads). */
  ratio2?: number;
  /** numpy comparison used. */
  peer: string;
  /** The same mlpot code on the optional OpenBLAS backend (1 thread), ms. */
  nativeMs?: number;
  /** nativeMs / numpy 1 thread. */
  nativeRatio1?: number;
}

export interface LinalgBenchOptions {
  n?: number;
  qrRows?: number;
  gramRows?: number;
  gramScaleTo?: number;
  log?: (line: string) => void;
}

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : 0.5 * (v[m - 1]! + v[m]!);
}

function timeIt(fn: () => void, budgetMs: number, maxReps = 5): number {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 1 || (performance.now() - start < budgetMs && times.length < maxReps)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const PY_SCRIPT = `
import json, sys, time
import numpy as np
n, mq, mg = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
try:
    import scipy.linalg as sl
except Exception:
    sl = None
rng = np.random.default_rng(1)
def med(f, budget=6.0, reps=5):
    ts = []; t0 = time.perf_counter()
    while not ts or (time.perf_counter() - t0 < budget and len(ts) < reps):
        a = time.perf_counter(); f(); ts.append(time.perf_counter() - a)
    ts.sort(); k = len(ts) // 2
    return 1000 * (ts[k] if len(ts) % 2 else 0.5 * (ts[k - 1] + ts[k]))
B = rng.standard_normal((n + 50, n)); G = B.T @ B / (n + 50) + np.eye(n); r = rng.standard_normal(n)
def chol():
    L = np.linalg.cholesky(G)
    if sl is not None: sl.cho_solve((L, True), r)
    else: np.linalg.solve(G, r)
out = {'scipy': sl is not None}
out['chol'] = med(chol)
A = rng.standard_normal((mq, n)); b = rng.standard_normal(mq)
out['lstsq'] = med(lambda: np.linalg.lstsq(A, b, rcond=None), budget=4.0, reps=3)
def qrls():
    Q, R = np.linalg.qr(A)
    y = Q.T @ b
    if sl is not None: sl.solve_triangular(R, y)
    else: np.linalg.solve(R, y)
out['qr'] = med(qrls, budget=4.0, reps=3)
X = rng.standard_normal((mg, n))
out['gram'] = med(lambda: X.T @ X)
print(json.dumps(out))
`;

interface NumpyTimes { chol: number; lstsq: number; qr: number; gram: number; scipy: boolean }

function numpyTimes(threads: number, n: number, mq: number, mg: number): NumpyTimes | undefined {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(PY, ['-c', PY_SCRIPT, String(n), String(mq), String(mg)], { encoding: 'utf8', env, timeout: 300000 });
  if (r.status !== 0) return undefined;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as NumpyTimes;
}

export function runLinalgBench(opts: LinalgBenchOptions = {}): { rows: LinalgBenchRow[]; numpyThreads: number[]; scipy?: boolean } {
  const log = opts.log ?? ((l: string) => console.log(l));
  const n = opts.n ?? 2000;
  const mq = opts.qrRows ?? 4000;
  const mg = opts.gramRows ?? 5000;
  const scaleTo = opts.gramScaleTo ?? 20000;
  const rng = new Rng(1);

  const measure = (): { cholMs: number; qrMs: number; gramMs: number } => {
    // --- mlpot: Cholesky + solve
    const mb = n + 50;
    const bmat = new Float64Array(mb * n);
    for (let i = 0; i < bmat.length; i++) bmat[i] = rng.normal();
    const ne = new NormalEquations(n);
    ne.addRows(bmat);
    const g = ne.gram();
    for (let i = 0; i < n * n; i++) g[i] /= mb;
    for (let i = 0; i < n; i++) g[i * n + i] += 1;
    const rhs = new Float64Array(n);
    for (let i = 0; i < n; i++) rhs[i] = rng.normal();
    const lbuf = new Float64Array(n * n);
    const xbuf = new Float64Array(n);
    const cholMs = timeIt(() => {
      cholesky(g, n, lbuf);
      choleskySolve(lbuf, n, rhs, xbuf);
    }, 6000);

    // --- mlpot: QR least squares (mq x n)
    const a = new Float64Array(mq * n);
    for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    const b = new Float64Array(mq);
    for (let i = 0; i < mq; i++) b[i] = rng.normal();
    const qrMs = timeIt(() => {
      lstsqQR(a, mq, n, b, xbuf);
    }, 1, 1);

    // --- mlpot: Gram A^T A, streamed in blocks of 1000 rows
    const x = new Float64Array(mg * n);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const gramMs = timeIt(() => {
      ne.reset();
      for (let r0 = 0; r0 < mg; r0 += 1000) ne.addRows(x.subarray(r0 * n, Math.min(mg, r0 + 1000) * n));
    }, 8000, 3);
    return { cholMs, qrMs, gramMs };
  };
  const scale = scaleTo / mg;
  const { cholMs, qrMs, gramMs } = measure();
  // --- same code on the optional OpenBLAS backend (1 BLAS thread), when the addon is built
  const native = loadNativeLinalg();
  let nat: { cholMs: number; qrMs: number; gramMs: number } | undefined;
  if (native.backend) {
    native.setThreads?.(1);
    setLinalgBackend(native.backend);
    try {
      nat = measure();
    } finally {
      setLinalgBackend(null);
    }
  } else {
    log(`(no native column: ${native.reason})`);
  }

  // --- numpy, same run, 1 and 2 threads
  const threads = [1, 2];
  const np = threads.map((t) => numpyTimes(t, n, mq, mg));
  const sci = np[0]?.scipy;
  const row = (op: string, size: string, mlpotMs: number, key: keyof Omit<NumpyTimes, 'scipy'>, peer: string, s = 1, nativeMs?: number): LinalgBenchRow => {
    const r: LinalgBenchRow = { op, size, mlpotMs: mlpotMs * s, peer };
    if (nativeMs !== undefined) r.nativeMs = nativeMs * s;
    if (nativeMs !== undefined && np[0]) r.nativeRatio1 = (nativeMs * s) / (np[0][key] * s);
    if (np[0]) { r.numpy1Ms = np[0][key] * s; r.ratio1 = r.mlpotMs / r.numpy1Ms; }
    if (np[1]) { r.numpy2Ms = np[1][key] * s; r.ratio2 = r.mlpotMs / r.numpy2Ms; }
    return r;
  };
  const rows: LinalgBenchRow[] = [
    row('cholesky+solve', `n=${n}`, cholMs, 'chol', sci ? 'np.linalg.cholesky + scipy cho_solve' : 'np.linalg.cholesky + np.linalg.solve', 1, nat?.cholMs),
    row('qr-lstsq vs lstsq', `${mq}x${n}`, qrMs, 'lstsq', 'np.linalg.lstsq (gelsd, SVD)', 1, nat?.qrMs),
    row('qr-lstsq vs qr', `${mq}x${n}`, qrMs, 'qr', sci ? 'np.linalg.qr + scipy solve_triangular' : 'np.linalg.qr + np.linalg.solve', 1, nat?.qrMs),
    row('gram A^T A', `${scaleTo}x${n} (measured m=${mg}, x${scale})`, gramMs, 'gram', 'A.T @ A', scale, nat?.gramMs),
  ];
  if (!np[0]) log(`numpy not available via ${PY} (install python3-numpy): mlpot times only`);
  for (const r of rows) log(formatRow(r));
  return { rows, numpyThreads: threads, scipy: sci };
}

export const LINALG_BENCH_HEADER =
  'op                 | size                              | mlpot ms   | numpy 1T ms | numpy 2T ms | mlpot/np1T | mlpot/np2T | native ms | native/np1T | numpy call';

function formatRow(r: LinalgBenchRow): string {
  const f = (v: number | undefined, d = 1) => (v === undefined ? '-' : v.toFixed(d));
  return [
    r.op.padEnd(18),
    r.size.padEnd(33),
    f(r.mlpotMs).padStart(10),
    f(r.numpy1Ms).padStart(11),
    f(r.numpy2Ms).padStart(11),
    f(r.ratio1, 2).padStart(10),
    f(r.ratio2, 2).padStart(10),
    f(r.nativeMs).padStart(9),
    f(r.nativeRatio1, 2).padStart(11),
    r.peer,
  ].join(' | ');
}

/** Registration record for `bench/index.ts` (`npm run bench -- linalg`). */
export const LINALG_BENCH = {
  name: 'linalg',
  header: `dense linear algebra, mlpot pure TypeScript vs numpy/OpenBLAS (same run; 1 and 2 BLAS threads)\n${LINALG_BENCH_HEADER}`,
  run: (log: (line: string) => void): unknown => runLinalgBench({ log }),
};
