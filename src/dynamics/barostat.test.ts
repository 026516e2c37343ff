import { test, assert } from '../node/test-support.js';
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { EV_PER_A3_TO_GPA, MV2_TO_EV } from '../core/units.js';
import { volume } from '../structure/cell.js';
import { stochasticCellRescaling, type CellRescaleOptions } from './barostat.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet, type Integrator } from './integrator.js';
import { logRow } from './run.js';
import { createState, kineticEnergy, maxwellBoltzmann, type MDState } from './state.js';
import { bussi, langevin } from './thermostats.js';
import { argonFcc, argonLJ, blockMean } from './test-fixtures.js';

const T = 60; // K: solid LJ argon (melts near 84 K at zero pressure)

function npt(st: MDState, rng: Rng, engine: ForceEngine, baro: Partial<CellRescaleOptions>): Integrator {
  return velocityVerlet({
    engine,
    timestepFs: 5,
    rng,
    couplers: [
      bussi({ temperatureK: T, tauFs: 100 }),
      stochasticCellRescaling({ pressureGPa: 0, temperatureK: T, tauFs: 500, compressibilityPerGPa: 0.5, ...baro }),
    ],
  });
}

interface Series { v: number[]; p: number[]; pdiag: number[][]; len: number[][]; conserved: number[]; etot: number[] }

function collect(st: MDState, it: Integrator, steps: number): Series {
  const r: Series = { v: [], p: [], pdiag: [[], [], []], len: [[], [], []], conserved: [], etot: [] };
  const c = st.structure.cell;
  for (let i = 0; i < steps; i++) {
    it.step(st);
    const row = logRow(st, it);
    const vol = volume(c);
    r.v.push(vol);
    r.p.push(row.pressure_GPa);
    r.conserved.push(row.conserved_eV);
    r.etot.push(row.epot + row.ekin);
    for (let a = 0; a < 3; a++) {
      let mv2 = 0;
      for (let j = 0; j < st.masses.length; j++) mv2 += st.masses[j]! * st.velocities[3 * j + a]! ** 2;
      r.pdiag[a]!.push((-st.stress![a]! + (mv2 * MV2_TO_EV) / vol) * EV_PER_A3_TO_GPA);
      r.len[a]!.push(Math.hypot(c[3 * a]!, c[3 * a + 1]!, c[3 * a + 2]!));
    }
  }
  return r;
}

const range = (x: number[]) => Math.max(...x) - Math.min(...x);

test('isotropic C-rescale: stable volume, target pressure, compression under load, conserved effective energy', () => {
  const st = createState(argonFcc(3));
  const rng = new Rng(5);
  maxwellBoltzmann(st, T, rng);
  const engine = new ForceEngine(argonLJ());
  let it = npt(st, rng, engine, { pressureGPa: 0 });
  it.init(st);
  for (let i = 0; i < 1000; i++) it.step(st);
  const r0 = collect(st, it, 6000);
  const h1 = blockMean(r0.v.slice(0, 3000), 10), h2 = blockMean(r0.v.slice(3000), 10);
  assert.ok(Math.abs(h1.mean - h2.mean) < 4 * Math.hypot(h1.err, h2.err), `volume halves ${h1.mean} +- ${h1.err} vs ${h2.mean} +- ${h2.err}`);
  const p0 = blockMean(r0.p);
  assert.ok(Math.abs(p0.mean) < 4 * p0.err + 0.005, `mean pressure ${p0.mean} +- ${p0.err} GPa at target 0`);
  assert.ok(range(r0.conserved) < 0.01 * range(r0.etot), `effective energy range ${range(r0.conserved)} eV vs total energy range ${range(r0.etot)} eV`);
  // isotropic scaling keeps the cubic shape exactly (up to rounding)
  const c = st.structure.cell;
  assert.ok(Math.abs(c[0]! - c[4]!) < 1e-9 && Math.abs(c[0]! - c[8]!) < 1e-9 && c[1] === 0 && c[3] === 0);
  assert.ok(engine.rebuilds < 0.1 * 7000, `neighbour list reused across cell changes: ${engine.rebuilds} rebuilds in 7000 steps`);
  const v0 = blockMean(r0.v);

  // apply 0.3 GPa: the volume must shrink, far beyond its error bar
  it = npt(st, rng, engine, { pressureGPa: 0.3 });
  it.init(st);
  for (let i = 0; i < 1000; i++) it.step(st);
  const r1 = collect(st, it, 4000);
  const v1 = blockMean(r1.v), p1 = blockMean(r1.p);
  assert.ok(v0.mean - v1.mean > 10 * Math.hypot(v0.err, v1.err), `V(0 GPa) ${v0.mean} +- ${v0.err}, V(0.3 GPa) ${v1.mean} +- ${v1.err}`);
  assert.ok(Math.abs(p1.mean - 0.3) < 4 * p1.err + 0.005, `mean pressure ${p1.mean} +- ${p1.err} GPa at target 0.3`);

  // independent check: NVT at the NPT mean volume (0 GPa) has zero mean pressure
  const s2 = argonFcc(3);
  const scale = Math.cbrt(v0.mean / volume(s2.cell));
  for (let k = 0; k < s2.positions.length; k++) s2.positions[k] = s2.positions[k]! * scale;
  for (let k = 0; k < 9; k++) s2.cell[k] = s2.cell[k]! * scale;
  const st2 = createState(s2);
  const rng2 = new Rng(9);
  maxwellBoltzmann(st2, T, rng2);
  const nvt = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5, rng: rng2, stress: true, couplers: [bussi({ temperatureK: T, tauFs: 100 })] });
  nvt.init(st2);
  for (let i = 0; i < 1000; i++) nvt.step(st2);
  const pn: number[] = [];
  for (let i = 0; i < 4000; i++) {
    nvt.step(st2);
    pn.push(logRow(st2, nvt).pressure_GPa);
  }
  const pnv = blockMean(pn);
  // dP/dV = -B/V: the volume error bar maps to ~ (2 GPa / V) * err(V) of pressure
  const fromV = (2 / v0.mean) * v0.err;
  assert.ok(Math.abs(pnv.mean) < 4 * Math.hypot(pnv.err, fromV) + 0.005, `NVT pressure at the NPT volume: ${pnv.mean} +- ${pnv.err} GPa`);
});

test('anisotropic C-rescale keeps a cubic crystal cubic under a hydrostatic target', () => {
  const st = createState(argonFcc(3));
  const rng = new Rng(6);
  maxwellBoltzmann(st, T, rng);
  const it = npt(st, rng, new ForceEngine(argonLJ()), { pressureGPa: 0, mode: 'anisotropic' });
  it.init(st);
  for (let i = 0; i < 1000; i++) it.step(st);
  const r = collect(st, it, 6000);
  const c = st.structure.cell;
  for (const k of [1, 2, 3, 5, 6, 7]) assert.equal(c[k], 0, `off-diagonal cell element ${k} must stay 0`);
  const lens = r.len.map((x) => blockMean(x).mean);
  const lm = (lens[0]! + lens[1]! + lens[2]!) / 3;
  for (const l of lens) assert.ok(Math.abs(l - lm) < 0.01 * lm, `edge lengths ${lens}`);
  for (let a = 0; a < 3; a++) {
    const pa = blockMean(r.pdiag[a]!);
    assert.ok(Math.abs(pa.mean) < 4 * pa.err + 0.005, `P_${'xyz'[a]}${'xyz'[a]} = ${pa.mean} +- ${pa.err} GPa, target 0`);
  }
  assert.ok(Number.isNaN(it.conservedEnergy(st)), 'no effective energy is claimed in anisotropic mode');
  assert.ok(kineticEnergy(st) > 0);
});

test('barostat rejects fixed atoms with a clear error', () => {
  const st = createState(argonFcc(2), { fixed: [0] });
  const it = npt(st, new Rng(1), new ForceEngine(argonLJ()), {});
  assert.throws(() => it.init(st), (e: unknown) => e instanceof ValidationError && /fixed atoms/.test(e.message));
});

test('C-rescale composes with a Langevin thermostat: target pressure and temperature are sampled', () => {
  const st = createState(argonFcc(3));
  const rng = new Rng(8);
  maxwellBoltzmann(st, T, rng);
  const it = velocityVerlet({
    engine: new ForceEngine(argonLJ()), timestepFs: 5, rng,
    couplers: [langevin({ temperatureK: T, tauFs: 200 }), stochasticCellRescaling({ pressureGPa: 0.2, temperatureK: T, tauFs: 500, compressibilityPerGPa: 0.5 })],
  });
  it.init(st);
  for (let i = 0; i < 1000; i++) it.step(st);
  const p: number[] = [], t: number[] = [];
  for (let i = 0; i < 4000; i++) {
    it.step(st);
    const row = logRow(st, it);
    p.push(row.pressure_GPa);
    t.push(row.temperature_K);
  }
  const pm = blockMean(p), tm = blockMean(t);
  assert.ok(Math.abs(pm.mean - 0.2) < 4 * pm.err + 0.005, `mean pressure ${pm.mean} +- ${pm.err} GPa, target 0.2`);
  assert.ok(Math.abs(tm.mean - T) < 4 * tm.err + 0.5, `mean temperature ${tm.mean} +- ${tm.err} K, target ${T}`);
});
