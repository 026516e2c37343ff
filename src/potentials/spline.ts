/**
 * LAMMPS-compatible interpolation of functions tabulated on a uniform grid, as used by the
 * EAM pair styles (`PairEAM::interpolate` and `PairEAM::file2array` in LAMMPS pair_eam.cpp).
 *
 * Knots x_m = m * delta, m = 0..n-1, with values f_m. On the interval [x_m, x_{m+1}] and with
 * the local coordinate p = (x - x_m)/delta in [0, 1], the interpolant is the cubic Hermite
 *
 *   f(x)  = ((c3 p + c4) p + c5) p + c6
 *   f'(x) = (c0 p + c1) p + c2                (c0 = 3 c3/delta, c1 = 2 c4/delta, c2 = c5/delta)
 *
 * with c6 = f_m and c5 = delta * (slope at knot m) from finite differences:
 *
 *   s_0 = f_1 - f_0,  s_1 = (f_2 - f_0)/2,  s_{n-2} = (f_{n-1} - f_{n-3})/2,  s_{n-1} = f_{n-1} - f_{n-2}
 *   s_m = [(f_{m-2} - f_{m+2}) + 8 (f_{m+1} - f_{m-1})] / 12      otherwise
 *   c4_m = 3 (f_{m+1} - f_m) - 2 s_m - s_{m+1},   c3_m = s_m + s_{m+1} - 2 (f_{m+1} - f_m)
 *
 * (the last knot has c3 = c4 = 0). The interpolant is C1: values and first derivatives are
 * continuous, second derivatives jump at knots.
 *
 * | symbol | variable         |
 * |--------|------------------|
 * | delta  | `delta`          |
 * | f_m    | `values[m]`      |
 * | c0..c6 | `coeffs[7m + 0..6]` (LAMMPS `spline[m+1][0..6]`) |
 *
 * Lookup (`splineValue`, `splineDerivative`) follows LAMMPS exactly, including what happens
 * off the table: p = x/delta + 1 is truncated to a 1-based knot index clamped to [1, n-1] and
 * the local coordinate is clamped to p <= 1, so above the last knot the value and derivative
 * at the last knot are returned; below 0 the first cubic is extrapolated.
 */
import { ValidationError } from '../core/errors.js';

export interface LammpsSpline {
  /** Number of knots. */
  readonly n: number;
  /** Knot spacing. */
  readonly delta: number;
  /** 7 coefficients per knot (see module doc), length 7n. */
  readonly coeffs: Float64Array;
}

/**
 * Build the 7-coefficient spline of `values` (knots at 0, delta, 2 delta, ...), written into
 * `out` (length 7n) when given. Needs n >= 5 knots, like LAMMPS' finite-difference stencil.
 */
export function lammpsSpline(values: ArrayLike<number>, delta: number, out?: Float64Array): LammpsSpline {
  const n = values.length;
  if (n < 5) throw new ValidationError(`a tabulated function needs at least 5 knots for LAMMPS interpolation, got ${n}`);
  if (!(Number.isFinite(delta) && delta > 0)) throw new ValidationError(`tabulation spacing must be a positive number, got ${delta}`);
  const c = out ?? new Float64Array(7 * n);
  if (c.length !== 7 * n) throw new ValidationError(`spline buffer has length ${c.length}, expected ${7 * n}`);
  for (let m = 0; m < n; m++) c[7 * m + 6] = values[m]!;
  const f = (m: number) => c[7 * m + 6]!;
  c[5] = f(1) - f(0);
  c[7 + 5] = 0.5 * (f(2) - f(0));
  c[7 * (n - 2) + 5] = 0.5 * (f(n - 1) - f(n - 3));
  c[7 * (n - 1) + 5] = f(n - 1) - f(n - 2);
  for (let m = 2; m <= n - 3; m++) c[7 * m + 5] = (f(m - 2) - f(m + 2) + 8.0 * (f(m + 1) - f(m - 1))) / 12.0;
  for (let m = 0; m < n - 1; m++) {
    const s0 = c[7 * m + 5]!, s1 = c[7 * (m + 1) + 5]!, df = f(m + 1) - f(m);
    c[7 * m + 4] = 3.0 * df - 2.0 * s0 - s1;
    c[7 * m + 3] = s0 + s1 - 2.0 * df;
  }
  c[7 * (n - 1) + 4] = 0.0;
  c[7 * (n - 1) + 3] = 0.0;
  for (let m = 0; m < n; m++) {
    c[7 * m + 2] = c[7 * m + 5]! / delta;
    c[7 * m + 1] = (2.0 * c[7 * m + 4]!) / delta;
    c[7 * m + 0] = (3.0 * c[7 * m + 3]!) / delta;
  }
  return { n, delta, coeffs: c };
}

/**
 * Row offset (7 * knot) and local coordinate for x, exactly as LAMMPS computes them:
 * p = x * (1/delta) + 1, m = clamp(trunc(p), 1, n-1), p = min(p - m, 1). Returns the 0-based
 * row offset; the local coordinate is written to `loc[0]`.
 */
export function splineLocate(sp: LammpsSpline, x: number, loc: Float64Array): number {
  let p = x * (1.0 / sp.delta) + 1.0;
  let m = p >= 2147483647 ? 2147483647 : p <= -2147483648 ? -2147483648 : Math.trunc(p);
  m = Math.max(1, Math.min(m, sp.n - 1));
  p -= m;
  loc[0] = Math.min(p, 1.0);
  return 7 * (m - 1);
}

const LOC = new Float64Array(1);

/** Interpolated value at x (LAMMPS lookup semantics, see module doc). */
export function splineValue(sp: LammpsSpline, x: number): number {
  const o = splineLocate(sp, x, LOC);
  const p = LOC[0]!, c = sp.coeffs;
  return ((c[o + 3]! * p + c[o + 4]!) * p + c[o + 5]!) * p + c[o + 6]!;
}

/** Interpolated first derivative at x (LAMMPS lookup semantics). */
export function splineDerivative(sp: LammpsSpline, x: number): number {
  const o = splineLocate(sp, x, LOC);
  const p = LOC[0]!, c = sp.coeffs;
  return (c[o]! * p + c[o + 1]!) * p + c[o + 2]!;
}

/**
 * Re-tabulate a function given on knots (m * delta, m = 0..values.length-1) onto a new grid of
 * `n` knots spaced `newDelta`, with LAMMPS' four-point Lagrange formula (`file2array` for
 * funcfl files): the stencil starts at knot k-1 with k = clamp(trunc(x/delta + 1), 2, len-2)
 * (1-based), and the local coordinate is clamped to <= 2, so points past the end of the source
 * table repeat the value extrapolated to two spacings beyond the stencil start.
 */
export function resampleLagrange4(values: ArrayLike<number>, delta: number, n: number, newDelta: number): Float64Array {
  const len = values.length;
  if (len < 4) throw new ValidationError(`re-tabulation needs at least 4 source knots, got ${len}`);
  const sixth = 1.0 / 6.0;
  const out = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    const r = m * newDelta;
    let p = r / delta + 1.0;
    let k = Math.trunc(p);
    k = Math.min(k, len - 2);
    k = Math.max(k, 2);
    p -= k;
    p = Math.min(p, 2.0);
    const cof1 = -sixth * p * (p - 1.0) * (p - 2.0);
    const cof2 = 0.5 * (p * p - 1.0) * (p - 2.0);
    const cof3 = -0.5 * p * (p + 1.0) * (p - 2.0);
    const cof4 = sixth * p * (p * p - 1.0);
    // 1-based LAMMPS indices k-1..k+2 are 0-based k-2..k+1
    out[m] = cof1 * values[k - 2]! + cof2 * values[k - 1]! + cof3 * values[k]! + cof4 * values[k + 1]!;
  }
  return out;
}
