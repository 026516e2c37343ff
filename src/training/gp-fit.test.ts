import { test, assert } from '../node/test-support.js';
import { fitGP, GPTrainer, gpBasisFor, gpCalibration, nelderMead, selectSparse, type GPHyper } from './gp-fit.js';
import { makeDataset } from './dataset.js';
import { fitLinear } from './linear-fit.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { StillingerWeber } from '../potentials/sw.js';
import { randomStructure } from '../structure/random.js';
import { bulk, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';

const desc = new BodyOrderDescriptor({ species: [14], cutoff: 3.6, rMin: 1.5, maxBodyOrder: 3, nMax: 4, nMax3: 2, lMax3: 1 });
const sw = StillingerWeber.silicon();

function label(s: Structure): Structure {
  const r = sw.compute(s, { forces: true, stress: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(r.forces!, 3));
  s.info['REF_stress'] = Array.from(r.stress!);
  return s;
}

function cell(seed: number, n = 6, a = 5.2): Structure {
  return randomStructure({ numbers: [14], n, cell: [a, 0.2, 0, 0, a, 0.1, 0.3, 0, a], minDistance: 2.1, seed });
}

/** Rattled, strained diamond supercells: SW-labelled data near the crystal. */
function diamondFrames(count: number, seed: number): Structure[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const a = 5.43 * (1 + 0.02 * (rng.uniform() - 0.5));
    return label(rattle(supercell(bulk('Si', 'diamond', { a, cubic: true }), [1, 1, 1]), 0.06 + 0.04 * (k % 3), rng));
  });
}

test('adding frames to a trainer gives the same model as accumulating all frames at once (e0 re-estimated)', () => {
  const frames = Array.from({ length: 6 }, (_, k) => label(cell(10 + k, 5 + (k % 2))));
  const recs = makeDataset(frames);
  const { basis } = gpBasisFor(recs, desc, { type: 'dot', zeta: 2, sigma: 1 }, { method: 'fps', count: 12, seed: 1, scaling: 'std' });
  const h: GPHyper = { sigma: 0.7, noise: { energy: 0.01, forces: 0.1, stress: 0.01 } };
  const all = new GPTrainer(basis, { use: { energy: true, forces: true, stress: true } });
  all.add(recs);
  const inc = new GPTrainer(basis, { use: { energy: true, forces: true, stress: true } });
  inc.add(recs.slice(0, 2));
  const before = inc.model(h);
  inc.add(recs.slice(2));
  const a = all.model(h), b = inc.model(h);
  assert.deepEqual(inc.observations, { energy: 6, forces: 3 * recs.reduce((n, r) => n + r.natoms, 0), stress: 36 });
  assert.ok(Math.abs(all.logEvidence(h) - inc.logEvidence(h)) < 1e-9 * Math.abs(all.logEvidence(h)));
  assert.ok(Math.abs(a.e0[0]! - b.e0[0]!) < 1e-12 && Math.abs(before.e0[0]! - b.e0[0]!) > 1e-6, 'e0 re-estimated on update');
  const s = cell(99, 7);
  const ra = a.compute(s, { forces: true, stress: true, uncertainty: true }), rb = b.compute(s, { forces: true, stress: true, uncertainty: true });
  assert.ok(Math.abs(ra.energy - rb.energy) < 1e-9 * Math.abs(ra.energy));
  for (let k = 0; k < ra.forces!.length; k++) {
    assert.ok(Math.abs(ra.forces![k]! - rb.forces![k]!) < 1e-9);
    assert.ok(Math.abs(ra.uncertainty!.forceStd![k]! - rb.uncertainty!.forceStd![k]!) < 1e-9);
  }
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(ra.stress![k]! - rb.stress![k]!) < 1e-10);
});

test('Nelder-Mead evidence optimum over (sigma, sigma_E, sigma_F) matches a brute-force grid on a tiny problem', () => {
  const recs = makeDataset(Array.from({ length: 4 }, (_, k) => label(cell(40 + k, 4))));
  const { basis } = gpBasisFor(recs, desc, { type: 'se', lengthScale: 3, sigma: 1 }, { method: 'fps', count: 8, seed: 2, scaling: 'std' });
  const tr = new GPTrainer(basis, { use: { energy: true, forces: true } });
  tr.add(recs);
  const opt = tr.optimize({ sigma: 1, noise: { energy: 0.01, forces: 0.1, stress: 0.01 } }, { energy: 1e-6, forces: 1e-6, stress: 1e-6 });
  // grid in log space around the optimum's neighbourhood, wide enough to contain it
  let best = -Infinity, arg = [0, 0, 0];
  const g = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, k) => Math.exp(Math.log(lo) + (k / (n - 1)) * (Math.log(hi) - Math.log(lo))));
  for (const s of g(0.05, 20, 25)) for (const e of g(1e-4, 1, 25)) for (const f of g(1e-3, 3, 25)) {
    const le = tr.logEvidence({ sigma: s, noise: { energy: e, forces: f, stress: 1 } });
    if (le > best) {
      best = le;
      arg = [s, e, f];
    }
  }
  assert.ok(opt.logEvidence >= best - 1e-6, `optimum ${opt.logEvidence} below grid best ${best}`);
  const step = Math.log(20 / 0.05) / 24;
  assert.ok(Math.abs(Math.log(opt.hyper.sigma / arg[0]!)) < 2 * step, `sigma ${opt.hyper.sigma} vs grid ${arg[0]}`);
  assert.ok(Math.abs(Math.log(opt.hyper.noise.forces / arg[2]!)) < 2 * (Math.log(3000) / 24), `sigma_F ${opt.hyper.noise.forces} vs grid ${arg[2]}`);
});

test('fixNoise keeps the named noise level at its start while sigma and the others are optimised', () => {
  const frames = Array.from({ length: 4 }, (_, k) => label(cell(60 + k, 4)));
  const common = { descriptor: desc, kernel: { type: 'se' as const, lengthScale: 3, sigma: 1 }, sparse: { method: 'fps' as const, count: 8, seed: 2 }, noise: { energy: 0.02, forces: 0.1 } };
  const free = fitGP(frames, common);
  const fixed = fitGP(frames, { ...common, fixNoise: ['energy'] });
  assert.equal(fixed.hyper.noise.energy, 0.02, 'energy noise stays at its start');
  assert.notEqual(fixed.hyper.noise.forces, 0.1, 'force noise is optimised');
  assert.notEqual(fixed.hyper.sigma, 1, 'sigma is optimised');
  assert.notEqual(free.hyper.noise.energy, 0.02, 'without fixNoise the energy noise moves');
  // a constrained optimum: no better than the free one, no worse than its own start
  assert.ok(fixed.report.logEvidence <= free.report.logEvidence + 1e-6, `${fixed.report.logEvidence} vs ${free.report.logEvidence}`);
  assert.ok(fixed.report.logEvidence >= fixed.trainer.logEvidence({ sigma: 1, noise: { energy: 0.02, forces: 0.1, stress: 0.01 } }));
  // the evidence reported is the one of the returned hyper-parameters
  assert.ok(Math.abs(fixed.trainer.logEvidence(fixed.hyper) - fixed.report.logEvidence) < 1e-9 * Math.abs(fixed.report.logEvidence));
});

test('nelderMead minimises a shifted quadratic', () => {
  const r = nelderMead((x) => (x[0]! - 1) ** 2 + 3 * (x[1]! + 2) ** 2 + 0.5 * x[0]! * x[1]!, [0, 0], 0.5, 500, 1e-14);
  // minimum of f: grad = 0 -> [2(x-1) + 0.5 y, 6(y+2) + 0.5 x] = 0
  const det = 2 * 6 - 0.25;
  const x = (2 * 6 - 0.5 * -12) / det, y = (2 * -12 - 0.5 * 2) / det;
  assert.ok(Math.abs(r.x[0]! - x) < 1e-5 && Math.abs(r.x[1]! - y) < 1e-5, `${r.x} vs ${x}, ${y}`);
});

test('sparse selection: FPS and CUR are seeded, distinct and within range; FPS skips duplicates; all = every row', () => {
  const rng = new Rng(3);
  const size = 4, n = 60;
  const U = new Float64Array(n * size);
  for (let k = 0; k < U.length; k++) U[k] = rng.normal();
  for (let k = 0; k < size; k++) U[size + k] = U[k]!; // row 1 duplicates row 0
  for (const method of ['fps', 'cur', 'random'] as const) {
    const a = selectSparse(U, size, 10, method, 'se', 7);
    assert.deepEqual(a, selectSparse(U, size, 10, method, 'se', 7), `${method} seeded`);
    assert.equal(new Set(a).size, 10);
    assert.ok(a.every((i) => i >= 0 && i < n));
  }
  const fps = selectSparse(U, size, 60, 'fps', 'se', 1);
  assert.deepEqual(fps.length, 60, 'count >= n returns all');
  const two = new Float64Array([1, 0, 1, 0, 0, 1]);
  assert.deepEqual(selectSparse(two, 2, 3, 'fps', 'se', 0).length, 3);
  const dup = new Float64Array([1, 0, 1, 0, 1, 0, 0, 1]);
  assert.equal(selectSparse(dup, 2, 3, 'fps', 'se', 0).length, 2, 'FPS stops when only duplicates are left');
  // CUR prefers high-leverage rows: a row far out along a rare direction is always picked
  const V = new Float64Array(n * size);
  for (let i = 0; i < n; i++) V[i * size] = rng.normal();
  V[17 * size + 3] = 5;
  assert.ok(selectSparse(V, size, 2, 'cur', 'se', 11).includes(17));
});

test('fitGP on SW-labelled Si: held-out force errors no worse than the linear model on the same features (+10%), calibration within 2 sigma in a sane range', () => {
  const train = diamondFrames(10, 1);
  const val = diamondFrames(4, 2);
  const rich = new BodyOrderDescriptor({ species: [14], cutoff: 4.0, rMin: 1.5, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 3 });
  const { potential, report } = fitGP(train, { descriptor: rich, kernel: { type: 'poly', zeta: 1, offset: 0, sigma: 1 }, shapes: [1, 2], sparse: { method: 'cur', count: 40, seed: 0 }, validation: val });
  assert.equal(report.shapePath.length, 2);
  const bestShape = report.shapePath.reduce((a, b) => (b.logEvidence > a.logEvidence ? b : a));
  assert.equal(report.kernel.type === 'poly' ? report.kernel.zeta : -1, bestShape.shape, 'the shape with the largest evidence is chosen');
  assert.equal(report.sparse.total, 40);
  const cal = report.calibration!.validation!;
  const cf = cal.forces;
  assert.equal(cf.n_components, val.reduce((n, s) => n + 3 * s.length, 0));
  assert.ok(cf.force_within_2sigma! > 0.6 && cf.force_within_2sigma! <= 1, `within 2 sigma: ${cf.force_within_2sigma}`);
  assert.ok(cf.force_within_1sigma! < cf.force_within_2sigma!);
  assert.ok(cf.sigma_error_spearman! > 0, `larger sigma goes with larger error: spearman ${cf.sigma_error_spearman}`);
  const lin = fitLinear(train, { descriptor: rich, weights: { energy: 1, forces: 1 }, lambdas: [1e-8, 1e-6, 1e-4, 1e-2], validation: val });
  const gpF = report.metrics.validation!.force_rmse!, linF = lin.report.metrics.validation!.force_rmse!;
  assert.ok(gpF <= 1.1 * linF, `GP force RMSE ${gpF} vs linear ${linF}`);
  // calibration helper agrees with the report
  const again = gpCalibration(potential, makeDataset(val));
  assert.deepEqual(again, cal);
});

test('fitGP rejects unusable options with messages naming the cause', () => {
  const frames = [label(cell(1)), label(cell(2))];
  assert.throws(() => fitGP(frames, { descriptor: desc, kernel: { type: 'dot', zeta: 0, sigma: 1 } }), (e: unknown) => e instanceof ValidationError && /zeta/.test(e.message));
  assert.throws(() => fitGP(frames.map((s) => { const t = s.clone(); delete t.info['REF_stress']; return t; }), { descriptor: desc, use: { stress: true } }), /stress label/);
});
