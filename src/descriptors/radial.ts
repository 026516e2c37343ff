/**
 * Radial basis for the body-ordered descriptor: Chebyshev polynomials of a scaled distance times a
 * smooth cutoff,
 *
 *   R_n(r) = T_n(x(r)) f_c(r),   x(r) = 2 (s(r) - s(r_min)) / (s(r_c) - s(r_min)) - 1,   n = 0 .. nMax-1
 *   dR_n/dr = x'(r) T'_n(x) f_c(r) + T_n(x) f'_c(r),   x'(r) = 2 s'(r) / (s(r_c) - s(r_min))
 *
 * The distance transform s(r) is data (`RadialTransform`):
 *   linear (default):  s(r) = r                     (x linear in r; the original basis)
 *   agnesi:            s(r) = 1 / (1 + t^q / (1 + t^(q-p))),  t = r / r0   (q > p > 0)
 *                      (ACE's "Agnesi" transform: s ~ 1 - t^q near 0 and ~ t^-p beyond r0, so the
 *                      polynomials resolve short distances finely and the tail coarsely)
 *   inverse-power:     s(r) = (r0 / r)^p             (needs r_min > 0)
 * For x(r) ranging over [-1, 1] on [r_min, r_c] (x decreases with r for the decreasing transforms).
 *
 * with T_0 = 1, T_1 = x, T_{n+1} = 2 x T_n - T_{n-1} and T'_{n+1} = 2 T_n + 2 x T'_n - T'_{n-1}.
 * The span of {R_n} is {p(x) f_c(r): p a polynomial of degree < nMax}, so any pair function of that
 * form is an exact linear combination (see `chebyshevCoefficients`).
 *
 * | symbol   | variable        | unit |
 * |----------|-----------------|------|
 * | r_c      | cutoff          | Å    |
 * | r_min    | rMin            | Å    |
 * | x        | x               | -    |
 * | s, r0, p, q | transform, r0, p, q | -, Å, -, - |
 * | R_n      | R[at + n]       | -    |
 * | dR_n/dr  | dR[at + n]      | Å^-1 |
 */
import { ParameterError } from '../core/errors.js';
import { cutoffCode, cutoffValueAndDerivative, parseCutoffFunction, type CutoffFunction } from './cutoff.js';

/** Distance transform s(r) of the radial basis (see the module comment). */
export type RadialTransform =
  | { readonly kind: 'linear' }
  | { readonly kind: 'agnesi'; readonly r0: number; readonly p: number; readonly q: number }
  | { readonly kind: 'inverse-power'; readonly r0: number; readonly p: number };

export const LINEAR_TRANSFORM: RadialTransform = { kind: 'linear' };

/** Validate a transform value (e.g. from JSON or a config) and return a fresh copy. */
export function parseRadialTransform(v: unknown): RadialTransform {
  const o = (v ?? { kind: 'linear' }) as { [k: string]: unknown };
  const pos = (k: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new ParameterError(`radial transform ${String(o['kind'])}: ${k} must be a positive finite number, got ${JSON.stringify(x)}`);
    return x;
  };
  switch (o['kind']) {
    case 'linear':
      return { kind: 'linear' };
    case 'agnesi': {
      const t = { kind: 'agnesi' as const, r0: pos('r0'), p: pos('p'), q: pos('q') };
      if (!(t.q > t.p)) throw new ParameterError(`radial transform agnesi: q must exceed p, got p = ${t.p}, q = ${t.q}`);
      return t;
    }
    case 'inverse-power':
      return { kind: 'inverse-power', r0: pos('r0'), p: pos('p') };
    default:
      throw new ParameterError(`unknown radial transform ${JSON.stringify(v)}; expected {kind: "linear"}, {kind: "agnesi", r0, p, q} or {kind: "inverse-power", r0, p}`);
  }
}

/** s(r) and ds/dr of a transform into out[0], out[1]. */
function transformValue(t: RadialTransform, r: number, out: Float64Array): void {
  if (t.kind === 'linear') {
    out[0] = r;
    out[1] = 1;
  } else if (t.kind === 'agnesi') {
    const u = r / t.r0;
    const uq = u ** t.q, uqp = u ** (t.q - t.p);
    const den = 1 + uqp;
    const g = uq / den;
    // dg/du = (q u^(q-1) (1 + u^(q-p)) - u^q (q-p) u^(q-p-1)) / den^2, written without u^-1 (finite at u = 0)
    const dg = u === 0 ? 0 : (t.q * (uq / u) * den - (t.q - t.p) * uq * (uqp / u)) / (den * den);
    const sv = 1 / (1 + g);
    out[0] = sv;
    out[1] = (-sv * sv * dg) / t.r0;
  } else {
    const v = (t.r0 / r) ** t.p;
    out[0] = v;
    out[1] = (-t.p * v) / r;
  }
}

export class ChebyshevRadialBasis {
  readonly nMax: number;
  readonly cutoff: number;
  readonly rMin: number;
  readonly cutoffFunction: CutoffFunction;
  readonly transform: RadialTransform;
  private readonly code: number;
  private readonly scale: number;
  private readonly s0: number;
  private readonly linear: boolean;
  private readonly tmp = new Float64Array(2);

  constructor(nMax: number, cutoff: number, rMin: number, cutoffFunction: CutoffFunction, transform: RadialTransform = LINEAR_TRANSFORM) {
    if (!Number.isInteger(nMax) || nMax < 1) throw new ParameterError(`radial basis: nMax must be an integer >= 1, got ${nMax}`);
    if (!(cutoff > 0) || !Number.isFinite(cutoff)) throw new ParameterError(`radial basis: cutoff must be a positive finite number of Å, got ${cutoff}`);
    if (!(rMin >= 0 && rMin < cutoff)) throw new ParameterError(`radial basis: rMin must be in [0, cutoff), got ${rMin}`);
    this.nMax = nMax;
    this.cutoff = cutoff;
    this.rMin = rMin;
    this.cutoffFunction = parseCutoffFunction(cutoffFunction);
    this.code = cutoffCode(this.cutoffFunction);
    this.transform = parseRadialTransform(transform);
    this.linear = this.transform.kind === 'linear';
    if (this.transform.kind === 'inverse-power' && !(rMin > 0)) throw new ParameterError('radial basis: the inverse-power transform needs rMin > 0');
    if (this.linear) {
      this.s0 = rMin;
      this.scale = 2 / (cutoff - rMin);
    } else {
      const t = this.tmp;
      transformValue(this.transform, rMin, t);
      const a = t[0]!;
      transformValue(this.transform, cutoff, t);
      this.s0 = a;
      this.scale = 2 / (t[0]! - a);
    }
  }

  /** Scaled distance x(r). */
  x(r: number): number {
    if (this.linear) return this.scale * (r - this.rMin) - 1;
    transformValue(this.transform, r, this.tmp);
    return this.scale * (this.tmp[0]! - this.s0) - 1;
  }

  /** Writes R_n(r) and dR_n/dr for n < nMax into R[at + n], dR[at + n] (zero beyond the cutoff). */
  evaluate(r: number, R: Float64Array, dR: Float64Array, at: number): void {
    const N = this.nMax, t = this.tmp;
    cutoffValueAndDerivative(this.code, r, this.cutoff, t);
    const fc = t[0]!, dfc = t[1]!;
    let x: number, s: number;
    if (this.linear) {
      x = this.scale * (r - this.rMin) - 1;
      s = this.scale;
    } else {
      transformValue(this.transform, r, t);
      x = this.scale * (t[0]! - this.s0) - 1;
      s = this.scale * t[1]!; // dx/dr
    }
    let tm = 1, dtm = 0; // T_0, T_0'
    R[at] = fc;
    dR[at] = dfc;
    if (N === 1) return;
    let tn = x, dtn = 1; // T_1, T_1'
    R[at + 1] = tn * fc;
    dR[at + 1] = s * dtn * fc + tn * dfc;
    for (let n = 2; n < N; n++) {
      const tp = 2 * x * tn - tm;
      const dtp = 2 * tn + 2 * x * dtn - dtm;
      tm = tn; dtm = dtn; tn = tp; dtn = dtp;
      R[at + n] = tn * fc;
      dR[at + n] = s * dtn * fc + tn * dfc;
    }
  }
}

/**
 * Chebyshev coefficients c_n with sum_n c_n T_n(x) = sum_k a_k x^k (power-series coefficients a),
 * exact for degree < 30 (used to express a polynomial pair function in the radial basis).
 */
export function chebyshevCoefficients(a: readonly number[]): number[] {
  // x^k = sum_n P[k][n] T_n; P[k+1] from x T_n = (T_{n+1} + T_{|n-1|}) / 2
  const K = a.length;
  const c = new Array<number>(K).fill(0);
  let P = [1];
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < P.length; n++) c[n] = c[n]! + a[k]! * P[n]!;
    const next = new Array<number>(P.length + 1).fill(0);
    for (let n = 0; n < P.length; n++) {
      const v = P[n]!;
      if (n === 0) next[1] = next[1]! + v;
      else {
        next[n + 1] = next[n + 1]! + v / 2;
        next[n - 1] = next[n - 1]! + v / 2;
      }
    }
    P = next;
  }
  return c;
}
