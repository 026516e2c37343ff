/**
 * Dense linear algebra on row-major `Float64Array`s (browser-safe, no dependencies).
 *
 * Conventions: a matrix with `m` rows and `n` columns stores entry (i, j) at `data[i * ld + j]`
 * with leading dimension `ld` (= n unless stated). Outputs are caller-owned buffers where it
 * matters (`out` arguments); when omitted a fresh array is allocated once, never inside loops.
 *
 * The hot kernels (`gemm`, `syrk`, `NormalEquations.addRows`, the Cholesky trailing update) share
 * one packed micro-kernel: operands are copied into panels of 4 rows interleaved by depth
 * (`panel[(q * kc + k) * 4 + a] = X(4q + a, k)`), depth-blocked by `KC` so a panel (8 KiB) stays
 * in L1 while a group of `JG` partner panels (~512 KiB) stays in L2, and a 4x4 register tile with
 * 16 local accumulators does 16 multiply-adds per 8 loads. See docs/linalg.md for measured speed.
 *
 * | symbol | code |
 * |---|---|
 * | A (m x n design block), W = diag(w), b (targets) | `block`, `weights`, `targets` |
 * | G = sum A^T W A (upper triangle kept) | `NormalEquations.gram()` |
 * | r = sum A^T W b | `NormalEquations.rhs()` |
 * | A = L L^T (Cholesky, L lower) | `cholesky` |
 * | A = Q R (Householder, Q = H_0 ... H_{n-1}, H_k = I - tau_k v_k v_k^T) | `qrFactor` |
 * | A = V diag(lambda) V^T (symmetric eigen-decomposition) | `eighSymmetric` |
 */
import { MlpotError, ValidationError } from './errors.js';

/** A dense row-major matrix: entry (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A zero (or given) `rows x cols` matrix; checks the data length. */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  checkDim('matrix', 'rows', rows);
  checkDim('matrix', 'cols', cols);
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new ValidationError(`matrix: data has length ${d.length}, expected rows*cols = ${rows}*${cols} = ${rows * cols}`);
  return { rows, cols, data: d };
}

/** The matrix is not (numerically) positive definite: `pivot` is the 0-based column whose pivot failed. */
export class NotPositiveDefiniteError extends MlpotError {
  readonly pivot: number;
  readonly value: number;
  constructor(where: string, pivot: number, value: number) {
    super(
      'NOT_POSITIVE_DEFINITE',
      `${where}: matrix is not positive definite: pivot ${pivot} (0-based row/column) is ${value} after eliminating the ` +
        `previous ${pivot} columns; the matrix is singular or indefinite (add jitter/ridge to the diagonal, or use QR least squares)`,
    );
    this.name = 'NotPositiveDefiniteError';
    this.pivot = pivot;
    this.value = value;
  }
}

/**
 * Optional accelerated kernels with the same row-major semantics as the pure-TypeScript ones
 * (e.g. OpenBLAS through `src/node/linalg-native.ts`). core stays browser-safe: a backend is only
 * ever registered from outside with `setLinalgBackend`.
 */
export interface LinalgBackend {
  readonly name: string;
  /** As `syrk` below (upper triangle, BLAS dsyrk semantics). */
  syrk(trans: boolean, n: number, k: number, alpha: number, a: Float64Array, lda: number, beta: number, c: Float64Array, ldc: number): void;
  /** As `gemm` below (BLAS dgemm semantics). */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float64Array, lda: number, b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number,
  ): void;
  /** In place, row-major: A = U^T U on the upper triangle (lower triangle untouched). Returns 0, or the 1-based failing pivot. */
  potrfUpper(n: number, a: Float64Array, lda: number): number;
}

let BACKEND: LinalgBackend | null = null;

/** Route gemm, syrk, NormalEquations.addRows and cholesky through `backend` (null: pure TypeScript). */
export function setLinalgBackend(backend: LinalgBackend | null): void {
  BACKEND = backend;
}

/** Name of the active backend ("typescript" when none is registered). */
export function linalgBackendName(): string {
  return BACKEND ? BACKEND.name : 'typescript';
}

function checkDim(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValidationError(`${where}: ${name} must be a non-negative integer, got ${v}`);
}

function checkLen(where: string, name: string, arr: Float64Array, need: number): void {
  if (arr.length < need) throw new ValidationError(`${where}: ${name} has length ${arr.length}, needs at least ${need}`);
}

// ---------------------------------------------------------------------------------------------
// Packed micro-kernel
// ---------------------------------------------------------------------------------------------

/** Rows per dsyrk call on the backend path of NormalEquations. */
const NATIVE_ROWS = 1024;
/** Depth block (rows of the design block per pass): 4 x KC doubles = 8 KiB per panel. */
const KC = 256;
/** Partner panels kept in L2 per group: JG x 8 KiB = 512 KiB. */
const JG = 64;
/** Rows of A packed per block in gemm (MC x KC x 8 B = 256 KiB, L2). */
const MC = 128;

/**
 * Pack `ni` "rows" of the operand X into 4-row panels of depth `kc`:
 * `dst[(q * kc + k) * 4 + a] = s_k * X(4q + a, k)` with `X(i, k) = src[off + k * ld + i]` when
 * `trans` (X is the transpose of a stored row-major block), else `src[off + i * ld + k]`;
 * rows past `ni` are zero. `scale` (optional, length >= kc from `scaleOff`) multiplies depth k.
 */
function packPanels(
  src: Float64Array, off: number, ld: number, trans: boolean, ni: number, kc: number,
  dst: Float64Array, scale: Float64Array | null, scaleOff: number,
): void {
  const np = (ni + 3) >> 2;
  const pad = np * 4 - ni;
  if (trans) {
    for (let k = 0; k < kc; k++) {
      const s = scale === null ? 1 : scale[scaleOff + k];
      const row = off + k * ld;
      let i = 0;
      let q = 0;
      for (; i + 3 < ni; i += 4, q++) {
        const d = (q * kc + k) * 4;
        dst[d] = s * src[row + i];
        dst[d + 1] = s * src[row + i + 1];
        dst[d + 2] = s * src[row + i + 2];
        dst[d + 3] = s * src[row + i + 3];
      }
      if (pad) {
        const d = (q * kc + k) * 4;
        for (let a = 0; a < 4; a++) dst[d + a] = i + a < ni ? s * src[row + i + a] : 0;
      }
    }
  } else {
    for (let i = 0; i < np * 4; i++) {
      const base = ((i >> 2) * kc) * 4 + (i & 3);
      if (i >= ni) {
        for (let k = 0; k < kc; k++) dst[base + 4 * k] = 0;
        continue;
      }
      const row = off + i * ld;
      if (scale === null) for (let k = 0; k < kc; k++) dst[base + 4 * k] = src[row + k];
      else for (let k = 0; k < kc; k++) dst[base + 4 * k] = scale[scaleOff + k] * src[row + k];
    }
  }
}

/**
 * 4x4 register tile: `C[ic + a*ldc + b] += alpha * sum_k PA[ia + 4k + a] * PB[ib + 4k + b]`,
 * a, b in 0..3, k in 0..kc-1. Sixteen local accumulators; 8 loads per 16 multiply-adds.
 */
function kernel4x4(
  pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number,
  c: Float64Array, ic: number, ldc: number, alpha: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ia + 4 * kc;
  for (let x = ia, y = ib; x < end; x += 4, y += 4) {
    const b0 = pb[y], b1 = pb[y + 1], b2 = pb[y + 2], b3 = pb[y + 3];
    let a = pa[x];
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = pa[x + 1];
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = pa[x + 2];
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = pa[x + 3];
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
  }
  let r = ic;
  c[r] += alpha * c00; c[r + 1] += alpha * c01; c[r + 2] += alpha * c02; c[r + 3] += alpha * c03;
  r += ldc;
  c[r] += alpha * c10; c[r + 1] += alpha * c11; c[r + 2] += alpha * c12; c[r + 3] += alpha * c13;
  r += ldc;
  c[r] += alpha * c20; c[r + 1] += alpha * c21; c[r + 2] += alpha * c22; c[r + 3] += alpha * c23;
  r += ldc;
  c[r] += alpha * c30; c[r + 1] += alpha * c31; c[r + 2] += alpha * c32; c[r + 3] += alpha * c33;
}

/** Scratch tile for edge/diagonal tiles (module-level, reused; no allocation in loops). */
const TILE = new Float64Array(16);

/** Tile at rows i0.., cols j0.. of C written through a mask: rows < mi, cols < nj, and j >= i when `upper`. */
function kernelMasked(
  pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number,
  c: Float64Array, c0: number, ldc: number, i0: number, j0: number, mi: number, nj: number, upper: boolean, alpha: number,
): void {
  TILE.fill(0);
  kernel4x4(pa, ia, pb, ib, kc, TILE, 0, 4, 1);
  const ie = Math.min(4, mi - i0);
  const je = Math.min(4, nj - j0);
  for (let a = 0; a < ie; a++) {
    const row = c0 + (i0 + a) * ldc + j0;
    for (let b = upper ? Math.max(0, i0 + a - j0) : 0; b < je; b++) c[row + b] += alpha * TILE[a * 4 + b];
  }
}

/**
 * Upper triangle of `C += alpha * P P^T` for a packed operand `P` (`nr` rows in 4-row panels,
 * depth `kc`). C starts at `c0` with leading dimension `ldc`. When `padded`, C has room for
 * whole 4x4 tiles (rows/cols up to a multiple of 4) and diagonal tiles may be written in full.
 */
function syrkPacked(p: Float64Array, kc: number, nr: number, c: Float64Array, c0: number, ldc: number, alpha: number, padded: boolean): void {
  const np = (nr + 3) >> 2;
  const full = nr >> 2; // panels with 4 valid rows
  const stride = 4 * kc;
  for (let g0 = 0; g0 < np; g0 += JG) {
    const g1 = Math.min(np, g0 + JG);
    for (let ip = 0; ip < g1; ip++) {
      const ia = ip * stride;
      const rowOff = c0 + 4 * ip * ldc;
      let jp = ip > g0 ? ip : g0;
      if (!padded && jp === ip) {
        kernelMasked(p, ia, p, jp * stride, kc, c, c0, ldc, 4 * ip, 4 * jp, nr, nr, true, alpha);
        jp++;
      }
      const jfull = padded ? g1 : Math.min(g1, full);
      for (; jp < jfull; jp++) kernel4x4(p, ia, p, jp * stride, kc, c, rowOff + 4 * jp, ldc, alpha);
      for (; jp < g1; jp++) kernelMasked(p, ia, p, jp * stride, kc, c, c0, ldc, 4 * ip, 4 * jp, nr, nr, true, alpha);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Level-3 products
// ---------------------------------------------------------------------------------------------

/**
 * General matrix product `C = alpha * op(A) op(B) + beta * C` (row-major, BLAS dgemm semantics):
 * op(A) is m x k (`A` stored m x k, or k x m when `transA`), op(B) is k x n. `beta = 0` overwrites
 * C (NaNs in C ignored). Packed 4x4 register tiles, depth blocks of KC, row blocks of MC.
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float64Array, lda: number, b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number,
): void {
  checkDim('gemm', 'm', m);
  checkDim('gemm', 'n', n);
  checkDim('gemm', 'k', k);
  if (m === 0 || n === 0) return;
  checkLen('gemm', 'C', c, (m - 1) * ldc + n);
  if (k > 0) {
    checkLen('gemm', 'A', a, transA ? (k - 1) * lda + m : (m - 1) * lda + k);
    checkLen('gemm', 'B', b, transB ? (n - 1) * ldb + k : (k - 1) * ldb + n);
  }
  if (BACKEND) {
    BACKEND.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const r = i * ldc;
      if (beta === 0) c.fill(0, r, r + n);
      else for (let j = 0; j < n; j++) c[r + j] *= beta;
    }
  }
  if (k === 0 || alpha === 0) return;
  const kcMax = Math.min(KC, k);
  const npB = (n + 3) >> 2;
  const pb = new Float64Array(npB * 4 * kcMax);
  const pa = new Float64Array(((Math.min(MC, m) + 3) >> 2) * 4 * kcMax);
  const fullI = m >> 2;
  const fullJ = n >> 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = Math.min(KC, k - k0);
    const stride = 4 * kc;
    // X_B(j, kk) = op(B)(k0 + kk, j)
    packPanels(b, transB ? k0 : k0 * ldb, ldb, !transB, n, kc, pb, null, 0);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mi = Math.min(MC, m - i0);
      // X_A(i, kk) = op(A)(i0 + i, k0 + kk)
      packPanels(a, transA ? k0 * lda + i0 : i0 * lda + k0, lda, transA, mi, kc, pa, null, 0);
      const npA = (mi + 3) >> 2;
      for (let jp = 0; jp < npB; jp++) {
        const ib = jp * stride;
        for (let ip = 0; ip < npA; ip++) {
          const gi = i0 + 4 * ip;
          if ((gi >> 2) < fullI && jp < fullJ && gi + 4 <= m) kernel4x4(pa, ip * stride, pb, ib, kc, c, gi * ldc + 4 * jp, ldc, alpha);
          else kernelMasked(pa, ip * stride, pb, ib, kc, c, 0, ldc, gi, 4 * jp, m, n, false, alpha);
        }
      }
    }
  }
}

/** `out = A B` for `Matrix` records (allocates `out` when omitted). */
export function matmul(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  if (a.cols !== b.rows) throw new ValidationError(`matmul: inner dimensions differ: A is ${a.rows}x${a.cols}, B is ${b.rows}x${b.cols}`);
  const o = out ?? matrix(a.rows, b.cols);
  if (o.rows !== a.rows || o.cols !== b.cols) throw new ValidationError(`matmul: out is ${o.rows}x${o.cols}, expected ${a.rows}x${b.cols}`);
  gemm(false, false, a.rows, b.cols, a.cols, 1, a.data, a.cols, b.data, b.cols, 0, o.data, o.cols);
  return o;
}

/**
 * Symmetric rank-k update of the **upper triangle** of the n x n matrix C (BLAS dsyrk, uplo = U):
 * `C = alpha * A^T A + beta * C` when `trans` (A stored k x n), else `C = alpha * A A^T + beta * C`
 * (A stored n x k). The strictly lower triangle of C is not touched.
 */
export function syrk(
  trans: boolean, n: number, k: number, alpha: number, a: Float64Array, lda: number, beta: number, c: Float64Array, ldc: number,
): void {
  checkDim('syrk', 'n', n);
  checkDim('syrk', 'k', k);
  if (n === 0) return;
  checkLen('syrk', 'C', c, (n - 1) * ldc + n);
  if (k > 0) checkLen('syrk', 'A', a, trans ? (k - 1) * lda + n : (n - 1) * lda + k);
  if (BACKEND) {
    BACKEND.syrk(trans, n, k, alpha, a, lda, beta, c, ldc);
    return;
  }
  if (beta !== 1) {
    for (let i = 0; i < n; i++) {
      const r = i * ldc;
      if (beta === 0) c.fill(0, r + i, r + n);
      else for (let j = i; j < n; j++) c[r + j] *= beta;
    }
  }
  if (k === 0 || alpha === 0) return;
  const kcMax = Math.min(KC, k);
  const p = new Float64Array(((n + 3) >> 2) * 4 * kcMax);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = Math.min(KC, k - k0);
    packPanels(a, trans ? k0 * lda : k0, lda, trans, n, kc, p, null, 0);
    syrkPacked(p, kc, n, c, 0, ldc, alpha, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Normal equations, accumulated row block by row block
// ---------------------------------------------------------------------------------------------

/**
 * Streaming normal equations of weighted least squares, `min_x sum_i w_i (a_i . x - b_i)^2`:
 *
 *   G = sum_blocks A^T W A   (n x n, upper triangle accumulated)
 *   r = sum_blocks A^T W b,  s = sum w_i b_i^2,  sw = sum w_i
 *
 * `addRows(block, weights, targets)` takes a row-major block of any number of rows (a tall
 * design matrix never has to be held at once). Internally `W^(1/2) A` is packed into 4-column
 * panels of KC rows and the upper triangle of G is updated by the 4x4 register-tiled kernel
 * (rows of G padded to a multiple of 4). Weights must be finite and >= 0.
 */
export class NormalEquations {
  readonly n: number;
  /** Rows added so far. */
  rowCount = 0;
  /** sum w_i over the rows added. */
  weightSum = 0;
  /** sum w_i b_i^2 (for the residual: ||W^(1/2)(A x - b)||^2 = x^T G x - 2 x^T r + s). */
  targetSquareSum = 0;
  private readonly np: number;
  private readonly g: Float64Array;
  private readonly r: Float64Array;
  private readonly pack: Float64Array;
  private readonly sqw: Float64Array;
  private scaled: Float64Array | null = null;

  constructor(n: number) {
    checkDim('NormalEquations', 'n', n);
    if (n === 0) throw new ValidationError('NormalEquations: n must be at least 1');
    this.n = n;
    this.np = ((n + 3) >> 2) * 4;
    this.g = new Float64Array(this.np * this.np);
    this.r = new Float64Array(n);
    this.pack = new Float64Array(this.np * KC);
    this.sqw = new Float64Array(KC);
  }

  /**
   * Add the rows of `block` (row-major, `rows x n`, rows = block.length / n unless given) with
   * weights `w` (default 1) and targets `b` (default: the right-hand side is not updated).
   */
  addRows(block: Float64Array, weights?: Float64Array | null, targets?: Float64Array | null, rows?: number): void {
    const n = this.n;
    const m = rows ?? block.length / n;
    if (!Number.isInteger(m) || m < 0) throw new ValidationError(`NormalEquations.addRows: block length ${block.length} is not a multiple of n = ${n}`);
    checkLen('NormalEquations.addRows', 'block', block, m * n);
    if (weights) checkLen('NormalEquations.addRows', 'weights', weights, m);
    if (targets) checkLen('NormalEquations.addRows', 'targets', targets, m);
    if (BACKEND) {
      this.addRowsBackend(BACKEND, block, weights ?? null, targets ?? null, m);
      this.rowCount += m;
      return;
    }
    const sqw = this.sqw;
    for (let r0 = 0; r0 < m; r0 += KC) {
      const kc = Math.min(KC, m - r0);
      for (let k = 0; k < kc; k++) {
        const w = weights ? weights[r0 + k] : 1;
        if (!(w >= 0) || w === Infinity) throw new ValidationError(`NormalEquations.addRows: weight of row ${r0 + k} is ${w}; weights must be finite and >= 0`);
        sqw[k] = Math.sqrt(w);
        this.weightSum += w;
      }
      packPanels(block, r0 * n, n, true, n, kc, this.pack, sqw, 0);
      syrkPacked(this.pack, kc, n, this.g, 0, this.np, 1, true);
      if (targets) {
        const rr = this.r;
        for (let k = 0; k < kc; k++) {
          const w = sqw[k] * sqw[k];
          const bw = w * targets[r0 + k];
          this.targetSquareSum += bw * targets[r0 + k];
          if (bw === 0) continue;
          const row = (r0 + k) * n;
          for (let j = 0; j < n; j++) rr[j] += bw * block[row + j];
        }
      }
    }
    this.rowCount += m;
  }

  /** Backend path: `W^(1/2) A` copied in chunks of NATIVE_ROWS rows (no copy without weights), then dsyrk. */
  private addRowsBackend(be: LinalgBackend, block: Float64Array, weights: Float64Array | null, targets: Float64Array | null, m: number): void {
    const n = this.n;
    if (weights) {
      for (let i = 0; i < m; i++) {
        const w = weights[i];
        if (!(w >= 0) || w === Infinity) throw new ValidationError(`NormalEquations.addRows: weight of row ${i} is ${w}; weights must be finite and >= 0`);
      }
    }
    for (let r0 = 0; r0 < m; r0 += NATIVE_ROWS) {
      const kc = Math.min(NATIVE_ROWS, m - r0);
      let src = block.subarray(r0 * n, (r0 + kc) * n);
      if (weights) {
        if (!this.scaled) this.scaled = new Float64Array(NATIVE_ROWS * n);
        const buf = this.scaled;
        for (let k = 0; k < kc; k++) {
          const s = Math.sqrt(weights[r0 + k]);
          const row = (r0 + k) * n;
          const o = k * n;
          for (let j = 0; j < n; j++) buf[o + j] = s * block[row + j];
        }
        src = buf;
      }
      be.syrk(true, n, kc, 1, src, n, 1, this.g, this.np);
      for (let k = 0; k < kc; k++) {
        const w = weights ? weights[r0 + k] : 1;
        this.weightSum += w;
        if (!targets) continue;
        const bw = w * targets[r0 + k];
        this.targetSquareSum += bw * targets[r0 + k];
        if (bw === 0) continue;
        const row = (r0 + k) * n;
        for (let j = 0; j < n; j++) this.r[j] += bw * block[row + j];
      }
    }
  }

  /** The full symmetric Gram matrix G = A^T W A (n x n, row-major) written into `out`. */
  gram(out?: Float64Array): Float64Array {
    const n = this.n;
    const o = out ?? new Float64Array(n * n);
    checkLen('NormalEquations.gram', 'out', o, n * n);
    const g = this.g;
    const np = this.np;
    for (let i = 0; i < n; i++) {
      const gi = i * np;
      const oi = i * n;
      for (let j = i; j < n; j++) {
        const v = g[gi + j];
        o[oi + j] = v;
        o[j * n + i] = v;
      }
    }
    return o;
  }

  /** The right-hand side r = A^T W b (length n) written into `out`. */
  rhs(out?: Float64Array): Float64Array {
    const o = out ?? new Float64Array(this.n);
    o.set(this.r);
    return o;
  }

  /**
   * Solve `(G + ridge I) x = r` by Cholesky (throws NotPositiveDefiniteError naming the pivot when
   * G + ridge I is not positive definite). `ridge` is an absolute diagonal shift (default 0).
   */
  solve(opts: { ridge?: number; out?: Float64Array } = {}): Float64Array {
    const n = this.n;
    const a = this.gram();
    const ridge = opts.ridge ?? 0;
    const l = cholesky(a, n, a, { jitter: ridge, where: 'NormalEquations.solve' });
    return choleskySolve(l, n, this.r, opts.out);
  }

  /**
   * Add another accumulator's rows (same n): `G += G_other`, `r += r_other`. Lets row blocks be
   * accumulated in parallel (one NormalEquations per worker over disjoint rows) and summed.
   */
  merge(other: NormalEquations): void {
    if (other.n !== this.n) throw new ValidationError(`NormalEquations.merge: n differs (${this.n} vs ${other.n})`);
    const g = this.g;
    const og = other.g;
    for (let i = 0; i < g.length; i++) g[i] += og[i];
    for (let j = 0; j < this.n; j++) this.r[j] += other.r[j];
    this.rowCount += other.rowCount;
    this.weightSum += other.weightSum;
    this.targetSquareSum += other.targetSquareSum;
  }

  /** Forget all rows. */
  reset(): void {
    this.g.fill(0);
    this.r.fill(0);
    this.rowCount = 0;
    this.weightSum = 0;
    this.targetSquareSum = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Cholesky
// ---------------------------------------------------------------------------------------------

/** Column block of the blocked Cholesky factorisation. */
const CHOL_NB = 96;

export interface CholeskyOptions {
  /** Added to every diagonal entry before factorising (absolute; default 0). */
  jitter?: number;
  /** Label used in error messages (default "cholesky"). */
  where?: string;
}

/**
 * Cholesky factorisation `A = L L^T` of a symmetric positive definite n x n matrix (row-major;
 * only the **upper** triangle of `a` is read, so an upper-triangle Gram matrix can be passed).
 * Returns L (lower triangular, strict upper triangle zeroed) in `out`, which may alias `a`.
 *
 * Internally the equivalent `A = U^T U` (U = L^T) is computed row-panel by row-panel, right-looking:
 * for each block of NB rows, the panel rows are factored with row-contiguous updates and the trailing
 * matrix is updated by `A22 -= U12^T U12` through the packed syrk kernel (the O(n^3) part).
 * Throws `NotPositiveDefiniteError` with the failing 0-based pivot when a pivot is <= 0 or NaN.
 */
export function cholesky(a: Float64Array, n: number, out?: Float64Array, opts: CholeskyOptions = {}): Float64Array {
  const where = opts.where ?? 'cholesky';
  checkDim(where, 'n', n);
  checkLen(where, 'a', a, n * n);
  const u = out ?? new Float64Array(n * n);
  checkLen(where, 'out', u, n * n);
  if (u !== a) {
    for (let i = 0; i < n; i++) {
      const r = i * n;
      for (let j = i; j < n; j++) u[r + j] = a[r + j];
    }
  }
  const jitter = opts.jitter ?? 0;
  if (jitter !== 0) for (let i = 0; i < n; i++) u[i * n + i] += jitter;
  if (BACKEND) {
    const info = BACKEND.potrfUpper(n, u, n);
    if (info > 0) throw new NotPositiveDefiniteError(where, info - 1, u[(info - 1) * n + info - 1]);
  } else {
    choleskyUpperInPlace(u, n, where);
  }
  // L = U^T: transpose in place, zero the strict upper triangle
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      u[j * n + i] = u[i * n + j];
      u[i * n + j] = 0;
    }
  }
  return u;
}

/** Blocked right-looking `A = U^T U` on the upper triangle of the row-major n x n `u`, in place. */
function choleskyUpperInPlace(u: Float64Array, n: number, where: string): void {
  const kcMax = Math.min(CHOL_NB, n);
  const pack = new Float64Array((((n + 3) >> 2) * 4) * kcMax);
  for (let kb = 0; kb < n; kb += CHOL_NB) {
    const nb = Math.min(CHOL_NB, n - kb);
    const kend = kb + nb;
    // panel: rows kb..kend-1, columns k..n-1
    for (let k = kb; k < kend; k++) {
      const rk = k * n;
      const d = u[rk + k];
      if (!(d > 0)) throw new NotPositiveDefiniteError(where, k, d);
      const s = Math.sqrt(d);
      u[rk + k] = s;
      const inv = 1 / s;
      for (let j = k + 1; j < n; j++) u[rk + j] *= inv;
      for (let i = k + 1; i < kend; i++) {
        const f = u[rk + i];
        if (f === 0) continue;
        const ri = i * n;
        for (let j = i; j < n; j++) u[ri + j] -= f * u[rk + j];
      }
    }
    // trailing update: A22 -= U12^T U12, U12 = rows kb..kend-1, columns kend..n-1
    const m2 = n - kend;
    if (m2 > 0) {
      packPanels(u, kb * n + kend, n, true, m2, nb, pack, null, 0);
      syrkPacked(pack, nb, m2, u, kend * n + kend, n, -1, false);
    }
  }
}

/**
 * Solve `A X = B` given the Cholesky factor L of A (`A = L L^T`): forward `L Y = B`, then back
 * `L^T X = Y`. B is n x nrhs row-major (a vector when nrhs = 1); `out` may alias `b`.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, out?: Float64Array, nrhs = 1): Float64Array {
  const x = out ?? new Float64Array(n * nrhs);
  checkLen('choleskySolve', 'L', l, n * n);
  checkLen('choleskySolve', 'b', b, n * nrhs);
  checkLen('choleskySolve', 'out', x, n * nrhs);
  if (x !== b) x.set(b.subarray(0, n * nrhs));
  if (nrhs === 1) {
    solveLower(l, n, x, x);
    solveLowerTransposed(l, n, x, x);
    return x;
  }
  // forward: Y_i = (B_i - sum_{j<i} L_ij Y_j) / L_ii (rows of Y are contiguous)
  for (let i = 0; i < n; i++) {
    const xi = i * nrhs;
    for (let j = 0; j < i; j++) {
      const f = l[i * n + j];
      if (f === 0) continue;
      const xj = j * nrhs;
      for (let c = 0; c < nrhs; c++) x[xi + c] -= f * x[xj + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < nrhs; c++) x[xi + c] *= inv;
  }
  // back: X_i = Y_i / L_ii, then Y_j -= L_ij X_i for j < i
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * nrhs;
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < nrhs; c++) x[xi + c] *= inv;
    for (let j = 0; j < i; j++) {
      const f = l[i * n + j];
      if (f === 0) continue;
      const xj = j * nrhs;
      for (let c = 0; c < nrhs; c++) x[xj + c] -= f * x[xi + c];
    }
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Triangular solves (vectors)
// ---------------------------------------------------------------------------------------------

/** Forward substitution `L x = b`, L lower triangular n x n (row-major); `out` may alias `b`. */
export function solveLower(l: Float64Array, n: number, b: Float64Array, out?: Float64Array, unitDiagonal = false): Float64Array {
  const x = out ?? new Float64Array(n);
  if (x !== b) x.set(b.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const r = i * n;
    let s = x[i];
    for (let j = 0; j < i; j++) s -= l[r + j] * x[j];
    x[i] = unitDiagonal ? s : s / l[r + i];
  }
  return x;
}

/** Back substitution `L^T x = b` with L lower triangular (row-major); row-contiguous axpy form. */
export function solveLowerTransposed(l: Float64Array, n: number, b: Float64Array, out?: Float64Array): Float64Array {
  const x = out ?? new Float64Array(n);
  if (x !== b) x.set(b.subarray(0, n));
  for (let i = n - 1; i >= 0; i--) {
    const r = i * n;
    const xi = x[i] / l[r + i];
    x[i] = xi;
    for (let j = 0; j < i; j++) x[j] -= l[r + j] * xi;
  }
  return x;
}

/** Back substitution `U x = b`, U upper triangular n x n (row-major); `out` may alias `b`. */
export function solveUpper(u: Float64Array, n: number, b: Float64Array, out?: Float64Array): Float64Array {
  const x = out ?? new Float64Array(n);
  if (x !== b) x.set(b.subarray(0, n));
  for (let i = n - 1; i >= 0; i--) {
    const r = i * n;
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= u[r + j] * x[j];
    x[i] = s / u[r + i];
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Householder QR and least squares
// ---------------------------------------------------------------------------------------------

/**
 * Householder QR of an m x n matrix (m >= n), `A = Q R` with `Q = H_0 H_1 ... H_{n-1}`,
 * `H_k = I - tau_k v_k v_k^T`, `v_k = (0,..,0, 1, v_{k+1..m-1})` (LAPACK dgeqrf convention).
 *
 * Stored **column-major** (`qr[j * m + i]`, i.e. the transpose, so every column is contiguous):
 * R on and above the diagonal, v below it (the unit entry implicit).
 */
export interface QRFactorization {
  m: number;
  n: number;
  qr: Float64Array;
  tau: Float64Array;
}

/** Reflectors per compact-WY block in qrFactor. */
const QR_NB = 32;

/**
 * Factor `a` (row-major m x n, m >= n), blocked Householder (LAPACK dgeqrf structure): panels of
 * QR_NB columns are factored with reflectors applied four at a time (4x4 compact-WY T, each column
 * read once for `s = V^T c` and once for `c -= V (T^T s)`); the trailing columns are then updated
 * with the panel's compact-WY form `C -= V T^T (V^T C)` through three `gemm` calls (the O(mn^2) part).
 */
export function qrFactor(a: Float64Array, m: number, n: number): QRFactorization {
  checkDim('qrFactor', 'm', m);
  checkDim('qrFactor', 'n', n);
  if (m < n) throw new ValidationError(`qrFactor: needs m >= n (tall or square), got ${m} x ${n}`);
  checkLen('qrFactor', 'a', a, m * n);
  const q = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) q[j * m + i] = a[r + j];
  }
  const tau = new Float64Array(n);
  const nbMax = Math.min(QR_NB, n);
  const vt = new Float64Array(nbMax * m);
  const tmat = new Float64Array(nbMax * nbMax);
  const vtv = new Float64Array(nbMax * nbMax);
  const wt = new Float64Array(Math.max(0, n - nbMax) * nbMax);
  const yt = new Float64Array(wt.length);
  for (let kb = 0; kb < n; kb += QR_NB) {
    const nbb = Math.min(QR_NB, n - kb);
    const kend = kb + nbb;
    // panel kb..kend-1: sub-blocks of 4 reflectors, each applied to the rest of the panel
    for (let k0 = kb; k0 < kend; k0 += 4) {
      const nb = Math.min(4, kend - k0);
      for (let k = k0; k < k0 + nb; k++) {
        householder(q, m, k, tau);
        const ck = k * m;
        const t = tau[k];
        if (t === 0) continue;
        for (let j = k + 1; j < k0 + nb; j++) {
          const cj = j * m;
          let w = q[cj + k];
          for (let i = k + 1; i < m; i++) w += q[ck + i] * q[cj + i];
          w *= t;
          q[cj + k] -= w;
          for (let i = k + 1; i < m; i++) q[cj + i] -= w * q[ck + i];
        }
      }
      applyBlockReflectorT(q, m, k0, nb, tau, q, k0 + nb, kend, m);
    }
    // trailing columns kend..n-1: compact WY, C -= V T^T V^T C through three gemm calls on the
    // transposed (row = column) storage: Wt = Ct Vt^T, Yt = Wt T, Ct -= Yt Vt
    const nc = n - kend;
    if (nc === 0) continue;
    const mm = m - kb;
    // Vt (nbb x mm): row a = v_{kb+a} from row kb, explicit zeros above and 1 on the diagonal
    for (let a = 0; a < nbb; a++) {
      const src = (kb + a) * m + kb;
      const dst = a * mm;
      for (let i = 0; i < a; i++) vt[dst + i] = 0;
      vt[dst + a] = 1;
      for (let i = a + 1; i < mm; i++) vt[dst + i] = q[src + i];
    }
    gemm(false, true, nbb, nbb, mm, 1, vt, mm, vt, mm, 0, vtv, nbb);
    // T (nbb x nbb upper): T_aa = tau_a, T(0:a, a) = -tau_a T(0:a, 0:a) (V^T v_a)(0:a)   (dlarft)
    tmat.fill(0);
    for (let a = 0; a < nbb; a++) {
      const ta = tau[kb + a];
      tmat[a * nbb + a] = ta;
      for (let b = 0; b < a; b++) {
        let s = 0;
        for (let e = b; e < a; e++) s += tmat[b * nbb + e] * vtv[e * nbb + a];
        tmat[b * nbb + a] = -ta * s;
      }
    }
    const ct = q.subarray(kend * m + kb);
    gemm(false, true, nc, nbb, mm, 1, ct, m, vt, mm, 0, wt, nbb);
    gemm(false, false, nc, nbb, nbb, 1, wt, nbb, tmat, nbb, 0, yt, nbb);
    gemm(false, false, nc, mm, nbb, -1, yt, nbb, vt, mm, 1, ct, m);
  }
  return { m, n, qr: q, tau };
}

/** Generate the reflector for column k in place (dlarfg): beta = -sign(alpha) ||x||, v = x / (alpha - beta). */
function householder(q: Float64Array, m: number, k: number, tau: Float64Array): void {
  const ck = k * m;
  let sigma = 0;
  for (let i = k + 1; i < m; i++) sigma += q[ck + i] * q[ck + i];
  const alpha = q[ck + k];
  if (sigma === 0) {
    tau[k] = 0;
    return;
  }
  const norm = Math.sqrt(alpha * alpha + sigma);
  const beta = alpha >= 0 ? -norm : norm;
  tau[k] = (beta - alpha) / beta;
  const scale = 1 / (alpha - beta);
  for (let i = k + 1; i < m; i++) q[ck + i] *= scale;
  q[ck + k] = beta;
}

/**
 * Apply `Q_b^T = H_{k0+nb-1} ... H_{k0}` (nb <= 4 reflectors stored in columns k0.. of `v`, column-major
 * with leading dimension m) to columns j0..j1-1 of the column-major `c` (leading dimension ldc):
 * `c -= V T^T V^T c` where `Q_b = I - V T V^T` (T upper triangular, built by dlarft).
 */
function applyBlockReflectorT(
  v: Float64Array, m: number, k0: number, nb: number, tau: Float64Array, c: Float64Array, j0: number, j1: number, ldc: number,
): void {
  if (j0 >= j1) return;
  // T (4x4 upper, row-major in locals t[a*4+b]); T_aa = tau_a, T(0:a, a) = -tau_a T(0:a,0:a) V(:,0:a)^T v_a
  const t = TILE; // reuse scratch (16 entries)
  t.fill(0);
  for (let a = 0; a < nb; a++) {
    const ta = tau[k0 + a];
    t[a * 4 + a] = ta;
    if (a === 0 || ta === 0) continue;
    const va = (k0 + a) * m;
    // z_b = v_b . v_a for b < a (v_b has 1 at row k0+b, zeros above; v_a has 1 at row k0+a)
    const z = ZDOT;
    for (let b = 0; b < a; b++) {
      const vb = (k0 + b) * m;
      let s = v[vb + k0 + a]; // v_b(k0+a) * 1
      for (let i = k0 + a + 1; i < m; i++) s += v[vb + i] * v[va + i];
      z[b] = s;
    }
    for (let b = 0; b < a; b++) {
      let s = 0;
      for (let e = b; e < a; e++) s += t[b * 4 + e] * z[e];
      t[b * 4 + a] = -ta * s;
    }
  }
  const t00 = t[0], t01 = t[1], t02 = t[2], t03 = t[3];
  const t11 = t[5], t12 = t[6], t13 = t[7];
  const t22 = t[10], t23 = t[11];
  const t33 = t[15];
  const v0 = k0 * m, v1 = v0 + m, v2 = v1 + m, v3 = v2 + m;
  const r0 = k0, r1 = k0 + 1, r2 = k0 + 2, r3 = k0 + 3;
  const start = k0 + nb; // below the unit-diagonal triangle every V row is full
  for (let j = j0; j < j1; j++) {
    const cj = j * ldc;
    // s = V^T c, with the unit lower-triangular top of V handled explicitly
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const c0 = c[cj + r0];
    s0 = c0;
    if (nb > 1) { const c1 = c[cj + r1]; s0 += v[v0 + r1] * c1; s1 = c1; }
    if (nb > 2) { const c2 = c[cj + r2]; s0 += v[v0 + r2] * c2; s1 += v[v1 + r2] * c2; s2 = c2; }
    if (nb > 3) { const c3 = c[cj + r3]; s0 += v[v0 + r3] * c3; s1 += v[v1 + r3] * c3; s2 += v[v2 + r3] * c3; s3 = c3; }
    if (nb === 4) {
      for (let i = start; i < m; i++) {
        const ci = c[cj + i];
        s0 += v[v0 + i] * ci; s1 += v[v1 + i] * ci; s2 += v[v2 + i] * ci; s3 += v[v3 + i] * ci;
      }
    } else {
      for (let i = start; i < m; i++) {
        const ci = c[cj + i];
        s0 += v[v0 + i] * ci;
        if (nb > 1) s1 += v[v1 + i] * ci;
        if (nb > 2) s2 += v[v2 + i] * ci;
      }
    }
    // y = T^T s
    const y0 = t00 * s0;
    const y1 = t01 * s0 + t11 * s1;
    const y2 = t02 * s0 + t12 * s1 + t22 * s2;
    const y3 = t03 * s0 + t13 * s1 + t23 * s2 + t33 * s3;
    // c -= V y
    c[cj + r0] -= y0;
    if (nb > 1) c[cj + r1] -= v[v0 + r1] * y0 + y1;
    if (nb > 2) c[cj + r2] -= v[v0 + r2] * y0 + v[v1 + r2] * y1 + y2;
    if (nb > 3) c[cj + r3] -= v[v0 + r3] * y0 + v[v1 + r3] * y1 + v[v2 + r3] * y2 + y3;
    if (nb === 4) {
      for (let i = start; i < m; i++) c[cj + i] -= v[v0 + i] * y0 + v[v1 + i] * y1 + v[v2 + i] * y2 + v[v3 + i] * y3;
    } else {
      for (let i = start; i < m; i++) {
        let d = v[v0 + i] * y0;
        if (nb > 1) d += v[v1 + i] * y1;
        if (nb > 2) d += v[v2 + i] * y2;
        c[cj + i] -= d;
      }
    }
  }
}

/** Scratch for the 4 inner products of dlarft. */
const ZDOT = new Float64Array(4);

/** R (n x n upper triangular, row-major) of a QR factorisation. */
export function qrR(f: QRFactorization, out?: Float64Array): Float64Array {
  const { m, n, qr } = f;
  const o = out ?? new Float64Array(n * n);
  checkLen('qrR', 'out', o, n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) o[i * n + j] = j >= i ? qr[j * m + i] : 0;
  return o;
}

/** Thin Q (m x n, row-major, orthonormal columns) of a QR factorisation. */
export function qrQ(f: QRFactorization, out?: Float64Array): Float64Array {
  const { m, n } = f;
  const o = out ?? new Float64Array(m * n);
  checkLen('qrQ', 'out', o, m * n);
  const col = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    col.fill(0);
    col[j] = 1;
    applyQ(f, col, false);
    for (let i = 0; i < m; i++) o[i * n + j] = col[i];
  }
  return o;
}

/** In place: `y = Q^T y` (transpose = true) or `y = Q y` for a length-m vector. */
export function applyQ(f: QRFactorization, y: Float64Array, transpose: boolean): Float64Array {
  const { m, n, qr, tau } = f;
  checkLen('applyQ', 'y', y, m);
  for (let s = 0; s < n; s++) {
    const k = transpose ? s : n - 1 - s;
    const t = tau[k];
    if (t === 0) continue;
    const ck = k * m;
    let w = y[k];
    for (let i = k + 1; i < m; i++) w += qr[ck + i] * y[i];
    w *= t;
    y[k] -= w;
    for (let i = k + 1; i < m; i++) y[i] -= w * qr[ck + i];
  }
  return y;
}

/**
 * Least squares `min_x ||A x - b||_2` from a QR factorisation: `x = R^{-1} (Q^T b)[0:n]`;
 * returns x (in `out`) and the residual norm `||(Q^T b)[n:m]||`. Throws a ValidationError naming
 * the column when R has a (numerically) zero diagonal entry (rank-deficient A).
 */
export function qrSolve(f: QRFactorization, b: Float64Array, out?: Float64Array): { x: Float64Array; residualNorm: number } {
  const { m, n, qr } = f;
  checkLen('qrSolve', 'b', b, m);
  const y = new Float64Array(m);
  y.set(b.subarray(0, m));
  applyQ(f, y, true);
  let rmax = 0;
  for (let k = 0; k < n; k++) rmax = Math.max(rmax, Math.abs(qr[k * m + k]));
  const tol = rmax * Math.max(m, n) * 2.220446049250313e-16;
  const x = out ?? new Float64Array(n);
  checkLen('qrSolve', 'out', x, n);
  for (let i = 0; i < n; i++) x[i] = y[i];
  // column-oriented back substitution: x_j = y_j / R_jj; y_k -= R_kj x_j (column j contiguous)
  for (let j = n - 1; j >= 0; j--) {
    const cj = j * m;
    const d = qr[cj + j];
    if (!(Math.abs(d) > tol)) {
      throw new ValidationError(`qrSolve: A is rank deficient: |R[${j}][${j}]| = ${Math.abs(d)} <= ${tol} (column ${j} is a linear combination of columns 0..${j - 1})`);
    }
    const xj = x[j] / d;
    x[j] = xj;
    for (let k = 0; k < j; k++) x[k] -= qr[cj + k] * xj;
  }
  let rr = 0;
  for (let i = n; i < m; i++) rr += y[i] * y[i];
  return { x, residualNorm: Math.sqrt(rr) };
}

/** Least squares `min_x ||A x - b||` by Householder QR (A row-major m x n, m >= n). */
export function lstsqQR(a: Float64Array, m: number, n: number, b: Float64Array, out?: Float64Array): { x: Float64Array; residualNorm: number } {
  return qrSolve(qrFactor(a, m, n), b, out);
}

// ---------------------------------------------------------------------------------------------
// Symmetric eigen-decomposition
// ---------------------------------------------------------------------------------------------

/**
 * Eigen-decomposition of a real symmetric n x n matrix, `A = V diag(lambda) V^T`: Householder
 * tridiagonalisation followed by the implicit QL algorithm with Wilkinson-type shifts (EISPACK
 * tred2/tql2, as in JAMA). Eigenvalues ascending in `values`; eigenvector i is **column** i of
 * the row-major `vectors` (numpy.linalg.eigh convention). Reads the full matrix (assumed symmetric).
 */
export function eighSymmetric(
  a: Float64Array, n: number, values?: Float64Array, vectors?: Float64Array,
): { values: Float64Array; vectors: Float64Array } {
  checkDim('eighSymmetric', 'n', n);
  checkLen('eighSymmetric', 'a', a, n * n);
  const d = values ?? new Float64Array(n);
  const out = vectors ?? new Float64Array(n * n);
  checkLen('eighSymmetric', 'values', d, n);
  checkLen('eighSymmetric', 'vectors', out, n * n);
  if (n === 0) return { values: d, vectors: out };
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  // tql2 rotates pairs of columns of V: work on W = V^T so they are contiguous rows
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { const t = V[i * n + j]; V[i * n + j] = V[j * n + i]; V[j * n + i] = t; }
  tql2(V, d, e, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = V[i * n + j];
  return { values: d, vectors: out };
}

/** Householder reduction to tridiagonal form (EISPACK tred2 via JAMA); V row-major in place. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e); W = V^T row-major (row i = eigenvector i), sorted ascending. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2.220446049250313e-16;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new MlpotError('NO_CONVERGENCE', `eighSymmetric: QL iteration did not converge for eigenvalue ${l} after 60 sweeps`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = 1, c3 = 1;
        const el1 = e[l + 1];
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const wi = i * n;
          const wj = wi + n;
          for (let k = 0; k < n; k++) {
            const hk = W[wj + k];
            const vk = W[wi + k];
            W[wj + k] = s * vk + c * hk;
            W[wi + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) { k = j; p = d[j]; }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      const wi = i * n, wk = k * n;
      for (let j = 0; j < n; j++) { const t = W[wi + j]; W[wi + j] = W[wk + j]; W[wk + j] = t; }
    }
  }
}

/** 2-norm condition number of a symmetric positive definite matrix, lambda_max / lambda_min (Infinity if lambda_min <= 0). */
export function conditionNumberSPD(a: Float64Array, n: number): number {
  const { values } = eighSymmetric(a, n);
  const lo = values[0];
  const hi = values[n - 1];
  return lo > 0 ? hi / lo : Infinity;
}

// ---------------------------------------------------------------------------------------------
// Feature scaling
// ---------------------------------------------------------------------------------------------

/**
 * Column means and standard deviations of a row-major m x n matrix (two passes; `ddof` = 0 gives
 * the population std, 1 the sample std). Columns with zero spread get std 0 (callers decide how to scale).
 */
export function columnMeanStd(
  a: Float64Array, m: number, n: number, outMean?: Float64Array, outStd?: Float64Array, ddof = 0,
): { mean: Float64Array; std: Float64Array } {
  checkLen('columnMeanStd', 'a', a, m * n);
  const mean = outMean ?? new Float64Array(n);
  const std = outStd ?? new Float64Array(n);
  mean.fill(0, 0, n);
  std.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) mean[j] += a[r + j];
  }
  for (let j = 0; j < n; j++) mean[j] /= m;
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const d = a[r + j] - mean[j];
      std[j] += d * d;
    }
  }
  const den = m - ddof;
  for (let j = 0; j < n; j++) std[j] = den > 0 ? Math.sqrt(std[j] / den) : 0;
  return { mean, std };
}

/** In place: `a[:, j] = (a[:, j] - mean_j) / std_j` (columns with std 0 are only centred). */
export function standardizeColumns(a: Float64Array, m: number, n: number, mean: Float64Array, std: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const s = std[j];
      a[r + j] = s > 0 ? (a[r + j] - mean[j]) / s : a[r + j] - mean[j];
    }
  }
}
