import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { Structure } from '../structure/structure.js';
import { SimulationBlowUpError } from './errors.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet } from './integrator.js';
import { logRow, runMD, type LogRow } from './run.js';
import { createState, maxwellBoltzmann } from './state.js';
import { bussi } from './thermostats.js';
import { argonFcc, argonLJ } from './test-fixtures.js';

test('runMD calls observers at their intervals and logRow carries the documented columns', () => {
  const st = createState(argonFcc(2));
  const rng = new Rng(1);
  maxwellBoltzmann(st, 50, rng);
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 4, stress: true, couplers: [bussi({ temperatureK: 50, tauFs: 100 })], rng });
  const rows: LogRow[] = [];
  const seen: number[] = [];
  const res = runMD({
    state: st, integrator: integ, steps: 50,
    observers: [{ interval: 10, observe: (s) => rows.push(logRow(s, integ)) }, { interval: 25, observe: (s) => seen.push(s.step) }],
  });
  assert.deepEqual(res, { stepsDone: 50, aborted: false });
  assert.deepEqual(rows.map((r) => r.step), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(seen, [0, 25, 50]);
  const last = rows.at(-1)!;
  assert.deepEqual(Object.keys(last).sort(), ['conserved_eV', 'ekin', 'epot', 'pressure_GPa', 'step', 'temperature_K', 'time_fs'].sort());
  assert.equal(last.time_fs, 200);
  for (const v of Object.values(last)) assert.ok(Number.isFinite(v), `non-finite log value in ${JSON.stringify(last)}`);
  assert.ok(last.temperature_K > 10 && last.temperature_K < 150);
});

test('runMD stops cleanly when the signal is aborted', () => {
  const st = createState(argonFcc(1));
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5 });
  const signal = { aborted: false };
  const res = runMD({ state: st, integrator: integ, steps: 100, signal, observers: [{ interval: 1, observe: (s) => { if (s.step === 7) signal.aborted = true; } }] });
  assert.deepEqual(res, { stepsDone: 7, aborted: true });
  assert.equal(st.step, 7);
});

test('two atoms pushed together blow up with an error naming the step and atom; the last good frame is kept', () => {
  // an argon dimer flying head-on at 2 Å/fs closing speed: the repulsive wall is reached within a few steps
  const s = Structure.fromSymbols(['Ar', 'Ar'], [[0, 0, 0], [6, 0, 0]], { cell: [30, 0, 0, 0, 30, 0, 0, 0, 30], pbc: false });
  const st = createState(s, { velocities: [1, 0, 0, -1, 0, 0] });
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 0.5, maxTemperatureK: Infinity });
  let err: unknown;
  try {
    runMD({ state: st, integrator: integ, steps: 100 });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SimulationBlowUpError, `expected SimulationBlowUpError, got ${String(err)}`);
  assert.equal(err.reason, 'force above limit');
  assert.ok(err.step > 1, `blew up at step ${err.step}`);
  assert.match(err.message, new RegExp(`step ${err.step}\\b`));
  assert.match(err.message, /atom [01]/);
  const good = err.lastGoodFrame!;
  assert.equal(good.step, err.step - 1);
  const gap = good.positions[3]! - good.positions[0]!;
  assert.ok(gap > 0 && gap < 6, `last good frame has the atoms ${gap} Å apart`);
  assert.ok(Number.isFinite(good.velocities[0]!));
});

test('overlapping atoms are rejected at init (step 0) and a runaway temperature is caught', () => {
  const s = argonFcc(1);
  s.positions[3] = 0.8; s.positions[4] = 0; s.positions[5] = 0; // atom 1 pushed onto atom 0
  const st = createState(s);
  const integ = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 1 });
  assert.throws(() => integ.init(st), (e: unknown) => e instanceof SimulationBlowUpError && e.step === 0 && /step 0: force above limit on atom [01]/.test(e.message));

  const hot = createState(argonFcc(2));
  maxwellBoltzmann(hot, 300, new Rng(2));
  const cold = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 1, maxTemperatureK: 200 });
  cold.init(hot);
  assert.throws(() => cold.step(hot), (e: unknown) => e instanceof SimulationBlowUpError && e.reason === 'temperature above limit' && e.step === 1);
});
