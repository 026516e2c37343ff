import { test, assert } from '../node/test-support.js';
import { histogramSVG, niceTicks, paritySVG, thinIndices } from './plots.js';
import { Rng } from '../core/rng.js';
import { svgProblems } from './svg-check.js';

function assertWellFormedSvg(svg: string): void {
  assert.deepEqual(svgProblems(svg), []);
}

test('the well-formedness check rejects broken SVG', () => {
  assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'));
  assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><circle cx="NaN" cy="1" r="2"/></svg>'));
  assert.throws(() => assertWellFormedSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a < b</text></svg>'));
});

test('parity plot: well-formed, y = x line, one marker per point, RMSE annotated, titles escaped', () => {
  const rng = new Rng(3);
  const ref = Array.from({ length: 50 }, () => rng.normal());
  const pred = ref.map((v) => v + 0.1 * rng.normal());
  const svg = paritySVG([{ name: 'train', ref, pred }, { name: 'test <held out>', ref: [0, 1], pred: [0.5, 1] }], { title: 'Forces & more', xLabel: 'reference F (eV/Å)', yLabel: 'predicted F (eV/Å)', unit: 'eV/Å' });
  assertWellFormedSvg(svg);
  assert.equal((svg.match(/<circle /g) ?? []).length, 50 + 2 + 2); // points + legend markers
  let q = 0;
  for (let k = 0; k < ref.length; k++) q += (pred[k]! - ref[k]!) ** 2;
  assert.ok(svg.includes(`train: RMSE ${Math.sqrt(q / ref.length).toPrecision(3)} eV/Å (n = 50)`));
  assert.ok(svg.includes('test &lt;held out&gt;: RMSE'));
  assert.ok(svg.includes('Forces &amp; more'));
  assert.match(svg, /stroke-dasharray/); // the y = x line
  // every marker lies inside the plot frame (the first <rect> after the background)
  const frame = /<rect x="(\d+)" y="(\d+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!;
  const [x0, y0, w, h] = frame.slice(1).map(Number) as [number, number, number, number];
  const markers = [...svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)" r="2"\/>/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.equal(markers.length, 52);
  for (const [cx, cy] of markers) assert.ok(cx >= x0 && cx <= x0 + w && cy >= y0 && cy <= y0 + h, `marker (${cx}, ${cy}) outside the frame`);
  // y = x: a point with pred == ref sits on the diagonal, i.e. at equal fractions of the frame
  const [dx, dy] = markers[markers.length - 1]!; // test point (1, 1)
  assert.ok(Math.abs((dx - x0) / w - (y0 + h - dy) / h) < 0.01);
});

test('parity plot thins big series deterministically, keeps the worst points, skips non-finite values', () => {
  const n = 20000;
  const ref = Float64Array.from({ length: n }, (_, k) => Math.sin(k));
  const pred = Float64Array.from(ref);
  pred[12345] = 50; // an outlier must survive thinning
  pred[7] = NaN;
  const a = paritySVG([{ name: 'all', ref, pred }], { title: 't', xLabel: 'x', yLabel: 'y', maxPoints: 1000 });
  const b = paritySVG([{ name: 'all', ref, pred }], { title: 't', xLabel: 'x', yLabel: 'y', maxPoints: 1000 });
  assert.equal(a, b);
  assertWellFormedSvg(a);
  const markers = (a.match(/<circle /g) ?? []).length - 1;
  assert.ok(markers <= 1000 && markers > 900, `${markers} markers`);
  assert.match(a, /1 non-finite value\(s\) skipped/);
  assert.match(a, /1000 of 20000 shown/);
  const idx = thinIndices(n, 1000, Float64Array.from(pred, (v, k) => Math.abs(v - ref[k]!)));
  assert.ok(idx.includes(12345));
  assert.ok(idx.every((v, k) => k === 0 || v > idx[k - 1]!));
});

test('histogram: counts add up per series over shared bins; empty data gives a valid "no data" figure', () => {
  const rng = new Rng(5);
  const a = Array.from({ length: 300 }, () => rng.normal());
  const b = Array.from({ length: 120 }, () => 0.5 * rng.normal());
  const svg = histogramSVG([{ name: 'train', values: a }, { name: 'test', values: b }], { title: 'force error', xLabel: 'F_pred - F_ref (eV/Å)', bins: 25 });
  assertWellFormedSvg(svg);
  assert.ok(svg.includes('train (n = 300)') && svg.includes('test (n = 120)'));
  assert.ok((svg.match(/<rect /g) ?? []).length <= 2 + 2 * 25 + 2);
  const empty = histogramSVG([{ name: 'x', values: [] }], { title: 'e', xLabel: 'x' });
  assertWellFormedSvg(empty);
  assert.match(empty, /no data/);
  assertWellFormedSvg(paritySVG([], { title: 'e', xLabel: 'x', yLabel: 'y' }));
});

test('niceTicks gives round, increasing values inside the range', () => {
  const t = niceTicks(-0.37, 2.91, 5);
  assert.deepEqual(t, [0, 0.5, 1, 1.5, 2, 2.5]);
  const t2 = niceTicks(-4.62, -4.55, 5);
  assert.ok(t2.length >= 3 && t2.every((v) => v >= -4.62 && v <= -4.55));
});
