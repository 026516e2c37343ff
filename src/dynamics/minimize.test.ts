import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { GPA_TO_EV_PER_A3 } from '../core/units.js';
import { ForceEngine } from './forces.js';
import { fire, lbfgs, minimize } from './minimize.js';
import { CellOptimizable, PositionsOptimizable } from './optimizable.js';
import { argonFcc, argonLJ, rattleInPlace } from './test-fixtures.js';

const pot = argonLJ();

/** Golden-section search for the minimum of f on [lo, hi]. */
function golden(f: (x: number) => number, lo: number, hi: number, tol = 1e-9): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo, b = hi;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  while (b - a > tol) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  return 0.5 * (a + b);
}

/** Enthalpy per 4-atom conventional cell of perfect fcc at lattice constant a and pressure P. */
function enthalpyOfA(a: number, pGPa = 0): number {
  return pot.compute(argonFcc(1, a)).energy + pGPa * GPA_TO_EV_PER_A3 * a ** 3;
}

for (const [name, mz] of [['FIRE', fire()], ['L-BFGS', lbfgs()]] as const) {
  test(`${name} relaxes a rattled LJ fcc crystal to fmax < 1e-4 eV/Å and the perfect-lattice energy`, () => {
    const s = argonFcc(2, 5.26);
    const ePerfect = pot.compute(s).energy;
    rattleInPlace(s, 0.15, 3);
    const opt = new PositionsOptimizable(s, new ForceEngine(pot));
    const r = minimize(opt, { fmax: 1e-4, maxSteps: 2000, minimizer: mz });
    assert.ok(r.converged, `${name} did not converge: ${JSON.stringify(r)}`);
    assert.ok(r.fmax < 1e-4);
    const fresh = pot.compute(s);
    let fm = 0;
    for (let i = 0; i < s.length; i++) fm = Math.max(fm, Math.hypot(fresh.forces![3 * i]!, fresh.forces![3 * i + 1]!, fresh.forces![3 * i + 2]!));
    assert.ok(fm < 1e-4, `forces recomputed from scratch: ${fm}`);
    // residual forces below 1e-4 eV/Å leave at most ~N fmax^2 / k ~ 1e-6 eV above the minimum
    assert.ok(Math.abs(fresh.energy - ePerfect) < 1e-6, `relaxed energy ${fresh.energy} vs perfect crystal ${ePerfect}`);
  });
}

test('fixed atoms stay put during a relaxation', () => {
  const s = argonFcc(2);
  rattleInPlace(s, 0.1, 8);
  const p0 = Array.from(s.positions.subarray(0, 6));
  const opt = new PositionsOptimizable(s, new ForceEngine(pot), [0, 1]);
  const r = minimize(opt, { fmax: 1e-3, maxSteps: 1000 });
  assert.ok(r.converged);
  assert.deepEqual(Array.from(s.positions.subarray(0, 6)), p0);
});

test('cell gradient of CellOptimizable matches finite differences of the enthalpy', () => {
  const s = argonFcc(1, 5.3);
  rattleInPlace(s, 0.05, 2);
  s.cell[1] = 0.2; s.cell[5] = -0.15; // skew the cell
  const opt = new CellOptimizable(s, new ForceEngine(pot, { skinA: 0.5 }), { pressureGPa: 0.7 });
  const n = opt.dof();
  const x = new Float64Array(n), g = new Float64Array(n), gtmp = new Float64Array(n);
  opt.getX(x);
  opt.setX(x);
  opt.energyAndGradient(g);
  const rng = new Rng(1);
  for (let trial = 0; trial < 3; trial++) {
    const d = new Float64Array(n).map(() => rng.normal());
    const h = 1e-5;
    const xp = x.map((v, k) => v + h * d[k]!), xm = x.map((v, k) => v - h * d[k]!);
    opt.setX(xp); const ep = opt.energyAndGradient(gtmp);
    opt.setX(xm); const em = opt.energyAndGradient(gtmp);
    const fd = (ep - em) / (2 * h);
    const an = g.reduce((acc, gk, k) => acc + gk * d[k]!, 0);
    assert.ok(Math.abs(fd - an) < 1e-6 * Math.max(1, Math.abs(an)), `directional derivative: finite difference ${fd}, analytic ${an}`);
  }
});

for (const hydrostatic of [false, true]) {
  test(`cell relaxation at 0 GPa reaches the E(a) minimum found by golden-section search (hydrostatic: ${hydrostatic})`, () => {
    const aStar = golden((a) => enthalpyOfA(a), 4.8, 5.8);
    const s = argonFcc(1, 5.5);
    if (!hydrostatic) rattleInPlace(s, 0.02, 4);
    const opt = new CellOptimizable(s, new ForceEngine(pot), { pressureGPa: 0, hydrostatic });
    const r = minimize(opt, { fmax: 1e-5, smaxGPa: 1e-6, maxSteps: 2000, minimizer: lbfgs() });
    assert.ok(r.converged, JSON.stringify(r));
    const c = s.cell;
    for (const k of [0, 4, 8]) assert.ok(Math.abs(Math.hypot(c[k - (k % 3)]!, c[k - (k % 3) + 1]!, c[k - (k % 3) + 2]!) - aStar) < 1e-4, `cell ${Array.from(c)} vs a* = ${aStar}`);
    for (const k of [1, 2, 3, 5, 6, 7]) assert.ok(Math.abs(c[k]!) < 1e-4, `off-diagonal ${k}: ${c[k]}`);
  });
}

test('cell relaxation under pressure: stress equals -P I and the lattice matches the enthalpy minimum', () => {
  const pGPa = 0.5;
  const aStar = golden((a) => enthalpyOfA(a, pGPa), 4.6, 5.8);
  const s = argonFcc(1, 5.3);
  rattleInPlace(s, 0.02, 5);
  const opt = new CellOptimizable(s, new ForceEngine(pot), { pressureGPa: pGPa });
  const r = minimize(opt, { fmax: 1e-5, smaxGPa: 1e-6, maxSteps: 2000, minimizer: fire() });
  assert.ok(r.converged, JSON.stringify(r));
  const st = pot.compute(s, { forces: true, stress: true }).stress!;
  const p = pGPa * GPA_TO_EV_PER_A3;
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(st[k]! + p) < 1e-8, `sigma_${k}${k} = ${st[k]} eV/Å^3, want ${-p}`);
  for (let k = 3; k < 6; k++) assert.ok(Math.abs(st[k]!) < 1e-8, `shear stress ${k}: ${st[k]}`);
  assert.ok(Math.abs(s.cell[0]! - aStar) < 1e-4, `a = ${s.cell[0]}, enthalpy minimum ${aStar}`);
  assert.ok(aStar < golden((a) => enthalpyOfA(a, 0), 4.6, 5.8), 'pressure compresses the lattice');
});
