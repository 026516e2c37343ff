/**
 * Kernels on (scaled) descriptor vectors for Gaussian-process potentials (`gp.ts`).
 *
 * Every kernel here depends on its two arguments u, v only through the three inner products
 *
 *   p = u.u,   q = u.v,   r = v.v,        k(u, v) = f(p, q, r)
 *
 * so one scalar routine (`kernelTerms`) gives the value and all the derivatives the GP needs,
 * and the caller forms the inner products (vectorised, with gemm where it pays):
 *
 *   dk/du            = 2 f_p u + f_q v
 *   a^T (d2k/du dv) b = f_q (a.b) + 2 (a.u) [f_pq (u.b) + 2 f_pr (v.b)] + (a.v) [f_qq (u.b) + 2 f_qr (v.b)]
 *
 * (the mixed second derivative, contracted with two directions a and b: the prior covariance of
 * two force components is a sum of such terms over pairs of atoms, see gp.ts).
 *
 * Kernels:
 *
 *   'dot' (normalised dot product, SOAP-style):  k = sigma^2 t^zeta,  t = q / sqrt(p r)
 *          zeta a positive integer (t may be negative for signed features). k = 0 when u = 0 or
 *          v = 0 (an atom without neighbours has no local-energy variation beyond e0).
 *   'se'  (squared exponential):                   k = sigma^2 exp(-(p - 2q + r) / (2 l^2))
 *   'poly' (polynomial, not normalised):           k = sigma^2 (c + q)^zeta,  c = offset >= 0
 *          (zeta = 1, c = 0 is Bayesian linear regression on the scaled features: the GP then
 *          spans the linear model of linear.ts; zeta = 2 adds all pairwise feature products)
 *
 * | symbol         | variable                         |
 * |----------------|----------------------------------|
 * | sigma          | spec.sigma (eV)                  |
 * | zeta           | spec.zeta ('dot')                |
 * | l              | spec.lengthScale ('se')          |
 * | c              | spec.offset ('poly')             |
 * | f, f_p, f_q, f_r, f_pq, f_pr, f_qq, f_qr | out[0..7] of kernelTerms |
 */
import { ValidationError } from '../core/errors.js';

export type KernelSpec =
  | { readonly type: 'dot'; readonly zeta: number; readonly sigma: number }
  | { readonly type: 'se'; readonly lengthScale: number; readonly sigma: number }
  | { readonly type: 'poly'; readonly zeta: number; readonly offset: number; readonly sigma: number };

/** Offsets into the output of `kernelTerms`. */
export const KF = 0, KP = 1, KQ = 2, KR = 3, KPQ = 4, KPR = 5, KQQ = 6, KQR = 7;
/** Length of the output of `kernelTerms`. */
export const KERNEL_TERMS = 8;

/** Validate a kernel spec (from options or JSON); errors name the field. */
export function checkKernel(spec: unknown, who = 'kernel'): KernelSpec {
  if (typeof spec !== 'object' || spec === null) throw new ValidationError(`${who}: expected an object {type: 'dot' | 'se', ...}, got ${JSON.stringify(spec)}`);
  const o = spec as { [k: string]: unknown };
  const sigma = o['sigma'];
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) throw new ValidationError(`${who}: sigma must be a finite number > 0 (eV), got ${JSON.stringify(sigma)}`);
  if (o['type'] === 'dot') {
    const z = o['zeta'];
    if (typeof z !== 'number' || !Number.isInteger(z) || z < 1 || z > 32) throw new ValidationError(`${who}: zeta of the 'dot' kernel must be an integer in 1..32, got ${JSON.stringify(z)}`);
    return { type: 'dot', zeta: z, sigma };
  }
  if (o['type'] === 'se') {
    const l = o['lengthScale'];
    if (typeof l !== 'number' || !(l > 0) || !Number.isFinite(l)) throw new ValidationError(`${who}: lengthScale of the 'se' kernel must be a finite number > 0, got ${JSON.stringify(l)}`);
    return { type: 'se', lengthScale: l, sigma };
  }
  if (o['type'] === 'poly') {
    const z = o['zeta'];
    if (typeof z !== 'number' || !Number.isInteger(z) || z < 1 || z > 32) throw new ValidationError(`${who}: zeta of the 'poly' kernel must be an integer in 1..32, got ${JSON.stringify(z)}`);
    const c = o['offset'] ?? 0;
    if (typeof c !== 'number' || !(c >= 0) || !Number.isFinite(c)) throw new ValidationError(`${who}: offset of the 'poly' kernel must be a finite number >= 0, got ${JSON.stringify(c)}`);
    return { type: 'poly', zeta: z, offset: c, sigma };
  }
  throw new ValidationError(`${who}: type must be 'dot', 'poly' or 'se', got ${JSON.stringify(o['type'])}`);
}

/** The same kernel with another sigma. */
export function withSigma(spec: KernelSpec, sigma: number): KernelSpec {
  return { ...spec, sigma };
}

/** The kernel's shape hyper-parameter (zeta or length scale) and a copy with another one. */
export function shapeParameter(spec: KernelSpec): number {
  return spec.type === 'se' ? spec.lengthScale : spec.zeta;
}
export function withShape(spec: KernelSpec, value: number): KernelSpec {
  return checkKernel(spec.type === 'se' ? { ...spec, lengthScale: value } : { ...spec, zeta: value });
}

/** Integer power (exact for negative bases), 0^0 = 1. */
function ipow(x: number, n: number): number {
  let r = 1;
  for (let k = 0; k < n; k++) r *= x;
  return r;
}

/**
 * k = f(p, q, r) and its derivatives into out[0..7] = f, f_p, f_q, f_r, f_pq, f_pr, f_qq, f_qr
 * (see the module comment). Returns f.
 */
export function kernelTerms(spec: KernelSpec, p: number, q: number, r: number, out: Float64Array): number {
  const s2 = spec.sigma * spec.sigma;
  if (spec.type === 'se') {
    const il2 = 1 / (spec.lengthScale * spec.lengthScale);
    const d2 = Math.max(0, p - 2 * q + r);
    const f = s2 * Math.exp(-0.5 * d2 * il2);
    out[KF] = f;
    out[KP] = -0.5 * f * il2;
    out[KQ] = f * il2;
    out[KR] = -0.5 * f * il2;
    out[KPQ] = -0.5 * f * il2 * il2;
    out[KPR] = 0.25 * f * il2 * il2;
    out[KQQ] = f * il2 * il2;
    out[KQR] = -0.5 * f * il2 * il2;
    return f;
  }
  if (spec.type === 'poly') {
    const z = spec.zeta, b = spec.offset + q;
    const bz1 = ipow(b, z - 1);
    out.fill(0, 0, KERNEL_TERMS);
    out[KF] = s2 * bz1 * b;
    out[KQ] = s2 * z * bz1;
    out[KQQ] = z >= 2 ? s2 * z * (z - 1) * ipow(b, z - 2) : 0;
    return out[KF]!;
  }
  if (!(p > 0) || !(r > 0)) {
    out.fill(0, 0, KERNEL_TERMS);
    return 0;
  }
  const z = spec.zeta;
  const s = 1 / Math.sqrt(p * r);
  const t = q * s;
  const tz1 = ipow(t, z - 1);
  const tz = tz1 * t;
  const tz2 = z >= 2 ? ipow(t, z - 2) : 0;
  const f = s2 * tz;
  out[KF] = f;
  out[KP] = (-0.5 * s2 * z * tz) / p;
  out[KQ] = s2 * z * tz1 * s;
  out[KR] = (-0.5 * s2 * z * tz) / r;
  out[KPQ] = (-0.5 * s2 * z * z * tz1 * s) / p;
  out[KPR] = (0.25 * s2 * z * z * tz) / (p * r);
  out[KQQ] = s2 * z * (z - 1) * tz2 * s * s;
  out[KQR] = (-0.5 * s2 * z * z * tz1 * s) / r;
  return f;
}

/** k(u, v) for vectors at offsets uo, vo of length n. */
export function kernelValue(spec: KernelSpec, u: ArrayLike<number>, uo: number, v: ArrayLike<number>, vo: number, n: number, work: Float64Array = new Float64Array(KERNEL_TERMS)): number {
  let p = 0, q = 0, r = 0;
  for (let k = 0; k < n; k++) {
    const a = u[uo + k]!, b = v[vo + k]!;
    p += a * a;
    q += a * b;
    r += b * b;
  }
  return kernelTerms(spec, p, q, r, work);
}

/** dk/du into out (length n). */
export function kernelGradient(spec: KernelSpec, u: ArrayLike<number>, v: ArrayLike<number>, n: number, out: Float64Array, work: Float64Array = new Float64Array(KERNEL_TERMS)): Float64Array {
  kernelValue(spec, u, 0, v, 0, n, work);
  const cu = 2 * work[KP]!, cv = work[KQ]!;
  for (let k = 0; k < n; k++) out[k] = cu * u[k]! + cv * v[k]!;
  return out;
}

/**
 * a^T (d2k/du dv) b from the kernel terms `t` (of p = u.u, q = u.v, r = v.v) and the five inner
 * products ab = a.b, au = a.u, av = a.v, bu = b.u, bv = b.v.
 */
export function mixedFromTerms(t: Float64Array, ab: number, au: number, av: number, bu: number, bv: number): number {
  return t[KQ]! * ab + 2 * au * (t[KPQ]! * bu + 2 * t[KPR]! * bv) + av * (t[KQQ]! * bu + 2 * t[KQR]! * bv);
}

/** a^T (d2k/du dv) b for vectors of length n (reference form; gp.ts uses mixedFromTerms). */
export function kernelMixed(spec: KernelSpec, u: ArrayLike<number>, v: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, n: number, work: Float64Array = new Float64Array(KERNEL_TERMS)): number {
  kernelValue(spec, u, 0, v, 0, n, work);
  let ab = 0, au = 0, av = 0, bu = 0, bv = 0;
  for (let k = 0; k < n; k++) {
    ab += a[k]! * b[k]!;
    au += a[k]! * u[k]!;
    av += a[k]! * v[k]!;
    bu += b[k]! * u[k]!;
    bv += b[k]! * v[k]!;
  }
  return mixedFromTerms(work, ab, au, av, bu, bv);
}
