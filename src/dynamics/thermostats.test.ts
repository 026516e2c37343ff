import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { KB } from '../core/units.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet, type Coupler } from './integrator.js';
import { createState, kineticEnergy, maxwellBoltzmann } from './state.js';
import { bussi, langevin, noseHooverChain, sumOfSquaredNormals } from './thermostats.js';
import { argonFcc, argonLJ, blockMean, blockVariance } from './test-fixtures.js';

const T = 60;
const kT = KB * T;

interface Sampled {
  k: number[];
  etot: number[];
  conserved: number[];
  dof: number;
}

function sample(coupler: Coupler, steps: number, equil: number, seed: number): Sampled {
  const st = createState(argonFcc(2));
  const rng = new Rng(seed);
  maxwellBoltzmann(st, T, rng);
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5, couplers: [coupler], rng });
  integ.init(st);
  for (let i = 0; i < equil; i++) integ.step(st);
  const out: Sampled = { k: [], etot: [], conserved: [], dof: st.dof };
  for (let i = 0; i < steps; i++) {
    integ.step(st);
    const k = kineticEnergy(st);
    out.k.push(k);
    out.etot.push(k + st.energy);
    out.conserved.push(integ.conservedEnergy(st));
  }
  return out;
}

function assertCanonicalKinetic(label: string, r: Sampled): void {
  const nf = r.dof;
  const mean = blockMean(r.k);
  const variance = blockVariance(r.k);
  const wantMean = 0.5 * nf * kT;
  const wantVar = 0.5 * nf * kT * kT;
  assert.ok(Math.abs(mean.mean - wantMean) < 4 * mean.err + 0.005 * wantMean,
    `${label}: <K> = ${mean.mean} +- ${mean.err} eV, canonical ${wantMean} eV`);
  assert.ok(Math.abs(variance.mean - wantVar) < 4 * variance.err + 0.02 * wantVar,
    `${label}: var K = ${variance.mean} +- ${variance.err} eV^2, canonical ${wantVar} eV^2`);
  // the test must be able to fail: the error bars are well below the quantity tested
  assert.ok(variance.err < 0.15 * wantVar, `${label}: variance error bar ${variance.err} too large to test`);
}

const range = (x: number[]) => Math.max(...x) - Math.min(...x);

test('Langevin BAOAB samples the canonical kinetic-energy mean and variance', () => {
  const r = sample(langevin({ temperatureK: T, tauFs: 200 }), 12000, 1000, 21);
  assert.equal(r.dof, 96); // centre of mass thermalised
  assertCanonicalKinetic('langevin', r);
});

test('Bussi thermostat samples the canonical kinetic energy and conserves its effective energy', () => {
  const r = sample(bussi({ temperatureK: T, tauFs: 100 }), 12000, 1000, 22);
  assert.equal(r.dof, 93);
  assertCanonicalKinetic('bussi', r);
  const drift = range(r.conserved), injected = range(r.etot);
  assert.ok(drift < 0.01 * injected, `conserved range ${drift} eV vs total-energy range ${injected} eV`);
});

test('Nose-Hoover chain samples the canonical kinetic energy and conserves its extended energy', () => {
  const r = sample(noseHooverChain({ temperatureK: T, tauFs: 100, chainLength: 3, syOrder: 3, multipleSteps: 2 }), 12000, 2000, 23);
  assertCanonicalKinetic('nose-hoover', r);
  const drift = range(r.conserved), injected = range(r.etot);
  assert.ok(drift < 0.01 * injected, `conserved range ${drift} eV vs total-energy range ${injected} eV`);
});

test('chi-square sampler used by Bussi has mean n and variance 2n', () => {
  const rng = new Rng(4);
  for (const n of [1, 2, 7, 92]) {
    const x: number[] = [];
    for (let i = 0; i < 20000; i++) x.push(sumOfSquaredNormals(n, rng));
    const m = x.reduce((a, c) => a + c, 0) / x.length;
    const v = x.reduce((a, c) => a + (c - m) ** 2, 0) / x.length;
    assert.ok(Math.abs(m - n) < 5 * Math.sqrt((2 * n) / x.length), `n=${n}: mean ${m}`);
    assert.ok(Math.abs(v - 2 * n) < 0.1 * 2 * n, `n=${n}: variance ${v}`);
  }
});
