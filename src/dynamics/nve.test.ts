import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet } from './integrator.js';
import { createState, kineticEnergy, maxwellBoltzmann, temperature, totalMomentum } from './state.js';
import { langevin } from './thermostats.js';
import { argonFcc, argonLJ } from './test-fixtures.js';

/** Run NVE for totalFs at timestep dt; return the total-energy series (one value per step). */
function nveEnergies(dtFs: number, totalFs: number): { e: number[]; kMean: number } {
  const s = argonFcc(2);
  const st = createState(s);
  maxwellBoltzmann(st, 80, new Rng(7));
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: dtFs });
  integ.init(st);
  const e: number[] = [];
  let kSum = 0;
  for (let i = 0; i < Math.round(totalFs / dtFs); i++) {
    integ.step(st);
    const k = kineticEnergy(st);
    kSum += k;
    e.push(st.energy + k);
  }
  return { e, kMean: kSum / e.length };
}

const rms = (x: number[]) => {
  const m = x.reduce((a, c) => a + c, 0) / x.length;
  return Math.sqrt(x.reduce((a, c) => a + (c - m) ** 2, 0) / x.length);
};

test('NVE total energy fluctuation is small and shrinks as dt^2', () => {
  const a = nveEnergies(8, 4000);
  const b = nveEnergies(4, 4000);
  const ra = rms(a.e), rb = rms(b.e);
  // small compared with the kinetic energy the system exchanges with the potential energy
  assert.ok(ra < 2e-3 * a.kMean, `rms(E) ${ra} eV at 8 fs vs <K> ${a.kMean} eV`);
  const ratio = ra / rb;
  assert.ok(ratio > 3 && ratio < 5.5, `halving dt should divide the energy error by ~4, got ${ratio}`);
  // no secular drift: mean of last quarter vs first quarter, within the fluctuation size
  const q = Math.floor(b.e.length / 4);
  const m1 = b.e.slice(0, q).reduce((x, y) => x + y, 0) / q;
  const m4 = b.e.slice(-q).reduce((x, y) => x + y, 0) / q;
  assert.ok(Math.abs(m4 - m1) < 3 * rb, `energy drift ${m4 - m1} eV vs fluctuation ${rb} eV`);
});

test('NVE conserves total momentum', () => {
  const s = argonFcc(2);
  const st = createState(s);
  maxwellBoltzmann(st, 60, new Rng(3), { zeroMomentum: false });
  const p0 = totalMomentum(st).slice();
  assert.ok(Math.hypot(...p0) > 1e-3, 'start with a non-zero momentum so conservation is a real check');
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5 });
  integ.init(st);
  for (let i = 0; i < 500; i++) integ.step(st);
  const p1 = totalMomentum(st);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(p1[k]! - p0[k]!) < 1e-9 * Math.hypot(...p0), `momentum ${k}: ${p0[k]} -> ${p1[k]}`);
});

test('maxwellBoltzmann gives zero momentum and the exact target temperature', () => {
  const st = createState(argonFcc(2));
  maxwellBoltzmann(st, 123, new Rng(5));
  assert.ok(Math.abs(temperature(st) - 123) < 1e-9);
  assert.equal(st.dof, 3 * 32 - 3);
  const p = totalMomentum(st);
  assert.ok(Math.hypot(...p) < 1e-12, `momentum ${p}`);
});

for (const [label, thermo] of [['NVE', false], ['Langevin', true]] as const) {
  test(`fixed atoms do not move (${label})`, () => {
    const s = argonFcc(2);
    const fixed = [0, 5, 17];
    const st = createState(s, { fixed });
    const rng = new Rng(11);
    maxwellBoltzmann(st, 60, rng);
    const before = fixed.map((i) => Array.from(s.positions.subarray(3 * i, 3 * i + 3)));
    const couplers = thermo ? [langevin({ temperatureK: 60, tauFs: 100 })] : [];
    const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5, couplers, rng });
    integ.init(st);
    const free0 = Array.from(s.positions.subarray(3, 6));
    for (let i = 0; i < 300; i++) integ.step(st);
    fixed.forEach((i, k) => {
      assert.deepEqual(Array.from(s.positions.subarray(3 * i, 3 * i + 3)), before[k], `fixed atom ${i} moved`);
      assert.deepEqual(Array.from(st.velocities.subarray(3 * i, 3 * i + 3)), [0, 0, 0]);
    });
    assert.notDeepEqual(Array.from(s.positions.subarray(3, 6)), free0, 'free atoms should move');
    assert.equal(st.dof, 3 * (32 - fixed.length));
  });
}
