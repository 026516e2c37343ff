/**
 * Physics checks of the dynamics engine on Stillinger-Weber silicon: short versions of the long
 * validation runs in src/bench/validate-md.ts (see docs/benchmarks.md for their figures).
 */
import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet } from './integrator.js';
import { lbfgs, minimize } from './minimize.js';
import { CellOptimizable } from './optimizable.js';
import { createState, kineticEnergy, maxwellBoltzmann } from './state.js';

const pot = StillingerWeber.silicon();
const TIMEOUT = { timeout: 30000 };

function silicon(cells: number, a = 5.431) {
  const unit = bulk('Si', 'diamond', { a, cubic: true });
  return cells === 1 ? unit : repeat(unit, cells);
}

/** NVE from 1000 K velocities for `ps` picoseconds: max |E(t)-E(0)|/N and least-squares drift over the run (eV/atom). */
function nve(dtFs: number, ps: number, seed: number): { maxDev: number; drift: number } {
  const state = createState(silicon(3));
  maxwellBoltzmann(state, 1000, new Rng(seed));
  const md = velocityVerlet({ engine: new ForceEngine(pot, { skinA: 1 }), timestepFs: dtFs });
  md.init(state);
  const n = state.masses.length;
  const e0 = state.energy + kineticEnergy(state);
  const t: number[] = [], e: number[] = [];
  let maxDev = 0;
  const steps = Math.round((ps * 1000) / dtFs);
  for (let k = 1; k <= steps; k++) {
    md.step(state);
    const de = (state.energy + kineticEnergy(state) - e0) / n;
    maxDev = Math.max(maxDev, Math.abs(de));
    t.push(k * dtFs);
    e.push(de);
  }
  const mt = t.reduce((a, b) => a + b, 0) / t.length, me = e.reduce((a, b) => a + b, 0) / e.length;
  let sxy = 0, sxx = 0;
  for (let k = 0; k < t.length; k++) { sxy += (t[k]! - mt) * (e[k]! - me); sxx += (t[k]! - mt) ** 2; }
  return { maxDev, drift: (sxy / sxx) * ps * 1000 };
}

test('SW silicon NVE (216 atoms, 1000 K start, 1 ps): energy error is O(dt^2) and does not drift', TIMEOUT, () => {
  const a = nve(1, 1, 3);
  const b = nve(0.5, 1, 3);
  // the 10 ps, 512-atom run gives max |dE|/N = 1.45e-4 and a drift of 4e-7 eV/atom at 1 fs
  assert.ok(a.maxDev < 2.5e-4, `max |E(t)-E(0)|/N = ${a.maxDev} eV/atom at 1 fs`);
  assert.ok(Math.abs(a.drift) < 5e-6, `linear drift ${a.drift} eV/atom over 1 ps at 1 fs`);
  assert.ok(Math.abs(b.drift) < 5e-6, `linear drift ${b.drift} eV/atom over 1 ps at 0.5 fs`);
  const ratio = a.maxDev / b.maxDev;
  assert.ok(ratio > 3.6 && ratio < 4.4, `halving dt should divide the energy error by 4, got ${ratio}`);
});

test('SW silicon cell relaxation (L-BFGS, 0 GPa) reaches the golden-section minimum of E(a) to 1e-4 Å', TIMEOUT, () => {
  const g = (Math.sqrt(5) - 1) / 2;
  const f = (x: number) => pot.compute(silicon(1, x), { forces: false }).energy;
  let lo = 5.2, hi = 5.7;
  let c = hi - g * (hi - lo), d = lo + g * (hi - lo), fc = f(c), fd = f(d);
  while (hi - lo > 1e-10) {
    if (fc < fd) { hi = d; d = c; fd = fc; c = hi - g * (hi - lo); fc = f(c); }
    else { lo = c; c = d; fc = fd; d = lo + g * (hi - lo); fd = f(d); }
  }
  const aStar = 0.5 * (lo + hi);
  assert.ok(Math.abs(aStar - 5.431) < 1e-3, `SW silicon's E(a) minimum should be near 5.431 Å, got ${aStar}`);
  const s = rattle(silicon(1, 5.5), 0.02, new Rng(4));
  const r = minimize(new CellOptimizable(s, new ForceEngine(pot), { pressureGPa: 0 }), { fmax: 1e-6, smaxGPa: 1e-7, maxSteps: 2000, minimizer: lbfgs() });
  assert.ok(r.converged, JSON.stringify(r));
  const cell = s.cell;
  for (let k = 0; k < 3; k++) {
    const len = Math.hypot(cell[3 * k]!, cell[3 * k + 1]!, cell[3 * k + 2]!);
    assert.ok(Math.abs(len - aStar) < 1e-4, `cell vector ${k}: ${len} Å vs E(a) minimum ${aStar} Å`);
  }
  for (const k of [1, 2, 3, 5, 6, 7]) assert.ok(Math.abs(cell[k]!) < 1e-4, `off-diagonal cell entry ${k}: ${cell[k]}`);
});
