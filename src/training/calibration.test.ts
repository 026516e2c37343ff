import { test, assert } from '../node/test-support.js';
import { calibration, calibrationCurve, calibrationSVG, erf, ranks, spearman } from './calibration.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import { svgProblems } from './svg-check.js';

const assertWellFormedSvg = (svg: string) => assert.deepEqual(svgProblems(svg), []);

test('ranks average ties; Spearman is 1 for monotone pairs, -1 reversed, and matches a hand value', () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  assert.equal(spearman([1, 2, 3, 4], [10, 100, 1000, 1e4]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // scipy.stats.spearmanr([1,2,3,4,5],[2,1,4,3,5]) = 0.8
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])! - 0.8) < 1e-15);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
});

test('Gaussian errors with their true sigmas: within 1 and 2 sigma near 0.683 and 0.954, positive rank correlation', () => {
  const rng = new Rng(5);
  const n = 20000;
  const sig = new Float64Array(n), err = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    sig[c] = 0.01 + 0.2 * rng.uniform();
    err[c] = sig[c]! * rng.normal();
  }
  const r = calibration(err, sig);
  assert.equal(r.n_components, n);
  // binomial standard error ~0.003 at n = 20000
  assert.ok(Math.abs(r.force_within_1sigma! - 0.6827) < 0.015, `${r.force_within_1sigma}`);
  assert.ok(Math.abs(r.force_within_2sigma! - 0.9545) < 0.008, `${r.force_within_2sigma}`);
  assert.ok(r.sigma_error_spearman! > 0.3, `${r.sigma_error_spearman}`);
  // sigmas too small by 3x: over-confident
  const over = calibration(err, sig.map((s) => s / 3));
  assert.ok(over.force_within_2sigma! < 0.6);
  // uninformative sigmas: no rank correlation
  const flat = calibration(err, Float64Array.from(sig, () => 0.05 + 0.01 * rng.uniform()));
  assert.ok(Math.abs(flat.sigma_error_spearman!) < 0.05, `${flat.sigma_error_spearman}`);
  const curve = calibrationCurve(err, sig);
  assert.equal(curve.observed[0], 0);
  for (let p = 0; p < curve.z.length; p++) assert.ok(Math.abs(curve.observed[p]! - curve.expected[p]!) < 0.02);
  assertWellFormedSvg(calibrationSVG(err, sig));
});

test('erf matches reference values; bad sigmas are named', () => {
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 2e-7);
  assert.ok(Math.abs(erf(-0.5) + 0.5204998778130465) < 2e-7);
  assert.throws(() => calibration([0.1, 0.2, 0.3], [0.1, NaN, 0.1]), (e: Error) => e instanceof ValidationError && /component 1 \(atom 0, y\)/.test(e.message));
  assert.throws(() => calibration([0.1], [0.1, 0.2]), /1 errors but 2 sigmas/);
  assert.equal(calibration([], []).force_within_1sigma, null);
});
