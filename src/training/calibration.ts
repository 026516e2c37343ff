/**
 * Calibration of predicted uncertainties against actual errors (force components).
 *
 * For each labelled force component c with error e_c = F_pred,c - F_ref,c and predicted standard
 * deviation sigma_c:
 *
 *   within_z   = (1/n) #{ c : |e_c| <= z sigma_c }           (z = 1, 2; Gaussian: 0.683, 0.954)
 *   spearman   = Pearson correlation of rank(sigma_c) and rank(|e_c|)   (ties: average ranks)
 *   curve(z)   = within_z for z in [0, 3], against the Gaussian expectation erf(z / sqrt 2)
 *
 * A well-calibrated Gaussian predictor lies on the diagonal of the curve (observed = expected);
 * below it the sigmas are too small (over-confident), above it too large. Spearman measures only
 * whether larger sigmas go with larger errors (ranking, what active learning needs).
 *
 * | symbol     | variable                     |
 * |------------|------------------------------|
 * | e_c        | errors[c]                    |
 * | sigma_c    | sigmas[c]                    |
 * | within_z   | force_within_1sigma / _2sigma |
 * | spearman   | sigma_error_spearman         |
 *
 * Components with a non-finite or negative sigma are rejected (named); sigma = 0 counts as within
 * only for a zero error.
 */
import { ValidationError } from '../core/errors.js';
import { paritySVG } from './plots.js';

export interface CalibrationRecord {
  /** Number of force components compared. */
  n_components: number;
  force_within_1sigma: number | null;
  force_within_2sigma: number | null;
  sigma_error_spearman: number | null;
  /** Mean predicted sigma and RMS actual error (eV/Å). */
  mean_sigma: number | null;
  rms_error: number | null;
}

/** Average ranks (1-based), ties sharing the mean of their positions. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]!] === v[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation (null when either side is constant or n < 2). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  if (a.length !== b.length) throw new ValidationError(`spearman: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n < 2) return null;
  const ra = ranks(a), rb = ranks(b);
  const m = (n + 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let k = 0; k < n; k++) {
    const x = ra[k]! - m, y = rb[k]! - m;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

function checkSigmas(errors: ArrayLike<number>, sigmas: ArrayLike<number>): void {
  if (errors.length !== sigmas.length) throw new ValidationError(`calibration: ${errors.length} errors but ${sigmas.length} sigmas`);
  for (let c = 0; c < sigmas.length; c++) {
    const s = sigmas[c]!;
    if (!(s >= 0) || !Number.isFinite(s)) throw new ValidationError(`calibration: predicted sigma of force component ${c} (atom ${Math.floor(c / 3)}, ${'xyz'[c % 3]}) is ${s}`);
    if (!Number.isFinite(errors[c]!)) throw new ValidationError(`calibration: error of force component ${c} is ${errors[c]}`);
  }
}

/** Fraction of components with |e| <= z sigma. */
export function fractionWithin(errors: ArrayLike<number>, sigmas: ArrayLike<number>, z: number): number {
  let k = 0;
  for (let c = 0; c < errors.length; c++) if (Math.abs(errors[c]!) <= z * sigmas[c]!) k++;
  return errors.length ? k / errors.length : NaN;
}

export function calibration(errors: ArrayLike<number>, sigmas: ArrayLike<number>): CalibrationRecord {
  checkSigmas(errors, sigmas);
  const n = errors.length;
  if (n === 0) return { n_components: 0, force_within_1sigma: null, force_within_2sigma: null, sigma_error_spearman: null, mean_sigma: null, rms_error: null };
  const abs = Float64Array.from(errors, Math.abs);
  let ms = 0, se = 0;
  for (let c = 0; c < n; c++) {
    ms += sigmas[c]!;
    se += errors[c]! ** 2;
  }
  return {
    n_components: n,
    force_within_1sigma: fractionWithin(errors, sigmas, 1),
    force_within_2sigma: fractionWithin(errors, sigmas, 2),
    sigma_error_spearman: spearman(sigmas, abs),
    mean_sigma: ms / n,
    rms_error: Math.sqrt(se / n),
  };
}

/** erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough for a plot's reference curve. */
export function erf(x: number): number {
  const s = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return s * y;
}

/** Observed vs Gaussian-expected fraction within z sigma, z = 0 .. zMax in `points` steps. */
export function calibrationCurve(errors: ArrayLike<number>, sigmas: ArrayLike<number>, points = 61, zMax = 3): { z: Float64Array; expected: Float64Array; observed: Float64Array } {
  checkSigmas(errors, sigmas);
  const n = errors.length;
  // sort the ratios |e|/sigma once; observed(z) = fraction of ratios <= z
  const ratio = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const s = sigmas[c]!, e = Math.abs(errors[c]!);
    ratio[c] = s > 0 ? e / s : e === 0 ? 0 : Infinity;
  }
  ratio.sort();
  const z = new Float64Array(points), expected = new Float64Array(points), observed = new Float64Array(points);
  let k = 0;
  for (let p = 0; p < points; p++) {
    const zz = (zMax * p) / (points - 1);
    while (k < n && ratio[k]! <= zz) k++;
    z[p] = zz;
    expected[p] = erf(zz / Math.SQRT2);
    observed[p] = n ? k / n : NaN;
  }
  return { z, expected, observed };
}

/** SVG calibration plot: observed vs expected fraction of force errors within z sigma (z = 0..3). */
export function calibrationSVG(errors: ArrayLike<number>, sigmas: ArrayLike<number>, title = 'Force uncertainty calibration'): string {
  const c = calibrationCurve(errors, sigmas);
  return paritySVG([{ name: 'observed fraction within z sigma', ref: c.expected, pred: c.observed }], {
    title,
    xLabel: 'expected fraction within z sigma (Gaussian)',
    yLabel: 'observed fraction within z sigma',
    unit: '',
    maxPoints: 200,
  });
}
