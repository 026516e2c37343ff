/**
 * Radial basis for the body-ordered descriptor: Chebyshev polynomials of a scaled distance times a
 * smooth cutoff,
 *
 *   R_n(r) = T_n(x(r)) f_c(r),   x(r) = 2 (r - r_min) / (r_c - r_min) - 1,   n = 0 .. nMax-1
 *   dR_n/dr = (2 / (r_c - r_min)) T'_n(x) f_c(r) + T_n(x) f'_c(r)
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
 * | R_n      | R[at + n]       | -    |
 * | dR_n/dr  | dR[at + n]      | Å^-1 |
 */
import { ParameterError } from '../core/errors.js';
import { cutoffCode, cutoffValueAndDerivative, parseCutoffFunction, type CutoffFunction } from './cutoff.js';

export class ChebyshevRadialBasis {
  readonly nMax: number;
  readonly cutoff: number;
  readonly rMin: number;
  readonly cutoffFunction: CutoffFunction;
  private readonly code: number;
  private readonly scale: number;
  private readonly tmp = new Float64Array(2);

  constructor(nMax: number, cutoff: number, rMin: number, cutoffFunction: CutoffFunction) {
    if (!Number.isInteger(nMax) || nMax < 1) throw new ParameterError(`radial basis: nMax must be an integer >= 1, got ${nMax}`);
    if (!(cutoff > 0) || !Number.isFinite(cutoff)) throw new ParameterError(`radial basis: cutoff must be a positive finite number of Å, got ${cutoff}`);
    if (!(rMin >= 0 && rMin < cutoff)) throw new ParameterError(`radial basis: rMin must be in [0, cutoff), got ${rMin}`);
    this.nMax = nMax;
    this.cutoff = cutoff;
    this.rMin = rMin;
    this.cutoffFunction = parseCutoffFunction(cutoffFunction);
    this.code = cutoffCode(this.cutoffFunction);
    this.scale = 2 / (cutoff - rMin);
  }

  /** Scaled distance x(r). */
  x(r: number): number {
    return this.scale * (r - this.rMin) - 1;
  }

  /** Writes R_n(r) and dR_n/dr for n < nMax into R[at + n], dR[at + n] (zero beyond the cutoff). */
  evaluate(r: number, R: Float64Array, dR: Float64Array, at: number): void {
    const N = this.nMax, t = this.tmp;
    cutoffValueAndDerivative(this.code, r, this.cutoff, t);
    const fc = t[0]!, dfc = t[1]!;
    const x = this.scale * (r - this.rMin) - 1;
    const s = this.scale;
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
