/**
 * Cutoff functions f_c(r) as data: a descriptor stores a `CutoffFunction` value (JSON-able) and
 * evaluates it through `cutoffValueAndDerivative`; nothing branches on the kind elsewhere.
 *
 *   cosine:      f_c(r) = (cos(pi r / r_c) + 1) / 2                     (Behler 2011; C1 at r_c)
 *   polynomial:  f_c(r) = 1 - 10 x^3 + 15 x^4 - 6 x^5,  x = r / r_c     (Behler's "poly 2"; C2 at r_c)
 *
 * Both are 1 at r = 0 with zero slope and vanish with zero slope at r = r_c; f_c = 0 for r >= r_c.
 *
 * | symbol | variable |
 * |--------|----------|
 * | r      | r        |
 * | r_c    | rc       |
 * | x      | x        |
 */
import { ParameterError } from '../core/errors.js';

export type CutoffFunction = { readonly kind: 'cosine' } | { readonly kind: 'polynomial' };

export const COSINE_CUTOFF: CutoffFunction = { kind: 'cosine' };
export const POLYNOMIAL_CUTOFF: CutoffFunction = { kind: 'polynomial' };

/** Validate a cutoff-function value (e.g. from JSON) and return a fresh copy. */
export function parseCutoffFunction(v: unknown): CutoffFunction {
  const kind = (v as { kind?: unknown } | null | undefined)?.kind;
  if (kind === 'cosine' || kind === 'polynomial') return { kind };
  throw new ParameterError(`unknown cutoff function ${JSON.stringify(v)}; expected {kind: "cosine"} or {kind: "polynomial"}`);
}

/** Integer code for the hot loops (0 cosine, 1 polynomial). */
export function cutoffCode(fc: CutoffFunction): number {
  return fc.kind === 'cosine' ? 0 : 1;
}

/**
 * f_c(r) and df_c/dr for cutoff code `code` (see `cutoffCode`); writes [f, df] into out[at], out[at+1].
 * Zero for r >= rc.
 */
export function cutoffValueAndDerivative(code: number, r: number, rc: number, out: Float64Array, at = 0): void {
  if (r >= rc) {
    out[at] = 0;
    out[at + 1] = 0;
    return;
  }
  if (code === 0) {
    const w = Math.PI / rc;
    out[at] = 0.5 * (Math.cos(w * r) + 1);
    out[at + 1] = -0.5 * w * Math.sin(w * r);
  } else {
    const x = r / rc;
    const x2 = x * x;
    out[at] = 1 + x2 * x * (-10 + x * (15 - 6 * x));
    const omx = 1 - x;
    out[at + 1] = (-30 * x2 * omx * omx) / rc;
  }
}

/** Convenience scalar form (allocation-free): f_c(r). */
export function cutoffValue(fc: CutoffFunction, r: number, rc: number): number {
  if (r >= rc) return 0;
  if (fc.kind === 'cosine') return 0.5 * (Math.cos((Math.PI * r) / rc) + 1);
  const x = r / rc;
  return 1 + x * x * x * (-10 + x * (15 - 6 * x));
}
