import { test, assert } from '../node/test-support.js';
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { readExtxyz } from '../io/extxyz.js';
import { MsdAccumulator, RdfAccumulator, VacfAccumulator } from './analysis.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet } from './integrator.js';
import { formatLogNumber, logObserver, msdObserver, rdfObserver, trajectoryObserver, vacfObserver } from './observers.js';
import { logRow, runMD, type LogRow } from './run.js';
import { createState, maxwellBoltzmann } from './state.js';
import { bussi } from './thermostats.js';
import { argonFcc, argonLJ } from './test-fixtures.js';

function argonRun(temperatureK: number, seed: number) {
  const state = createState(argonFcc(2));
  const rng = new Rng(seed);
  maxwellBoltzmann(state, temperatureK, rng);
  const integrator = velocityVerlet({ engine: new ForceEngine(argonLJ()), timestepFs: 5, stress: true, couplers: [bussi({ temperatureK, tauFs: 200 })], rng });
  return { state, integrator };
}

test('formatLogNumber keeps 10 significant digits, like %.10g', () => {
  const rng = new Rng(4);
  for (let k = 0; k < 200; k++) {
    const x = (rng.uniform() - 0.5) * 10 ** rng.range(-12, 14);
    const s = formatLogNumber(x).trim();
    assert.ok(Math.abs(Number(s) - x) <= 5e-10 * Math.abs(x), `${x} -> ${s}`);
    assert.ok(s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length <= 10, `${x} -> ${s} has more than 10 digits`);
  }
  assert.equal(formatLogNumber(1 / 3).trim(), '0.3333333333');
  assert.equal(formatLogNumber(-2.5e-7).trim(), '-2.5e-7');
  assert.equal(formatLogNumber(300).trim(), '300');
  assert.equal(formatLogNumber(NaN).trim(), 'nan');
});

test('LJ argon MD with the log observer writes the header and one row per observed step, matching logRow', () => {
  const { state, integrator } = argonRun(40, 1);
  const lines: string[] = [];
  const rows: LogRow[] = [];
  const steps = 20, interval = 5;
  runMD({
    state, integrator, steps,
    observers: [logObserver((l) => lines.push(l), interval, integrator), { interval, observe: (s) => rows.push(logRow(s, integrator)) }],
  });
  const text = lines.join('');
  const table = text.split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(table[0]!.trim().split(/\s+/), 'step time_fs epot ekin temperature_K pressure_GPa conserved_eV'.split(' '));
  assert.equal(table.length, 1 + steps / interval + 1, 'header + rows for steps 0, 5, ..., 20');
  table.slice(1).forEach((line, k) => {
    const cols = line.trim().split(/\s+/).map(Number);
    assert.equal(cols.length, 7);
    const r = rows[k]!;
    assert.equal(cols[0], k * interval);
    assert.equal(cols[0], r.step);
    const want = [r.time_fs, r.epot, r.ekin, r.temperature_K, r.pressure_GPa, r.conserved_eV];
    want.forEach((w, c) => assert.ok(Math.abs(cols[c + 1]! - w) <= 5e-10 * Math.abs(w), `row ${k} column ${c + 1}: ${cols[c + 1]} vs ${w}`));
  });
  assert.throws(() => logObserver(() => {}, 0, integrator), ValidationError);
});

test('trajectory observer output reads back with readExtxyz: velocities, forces, energy, step and time intact', () => {
  const { state, integrator } = argonRun(60, 2);
  let text = '';
  const want: { v: Float64Array; f: Float64Array; x: Float64Array; e: number; step: number; t: number }[] = [];
  runMD({
    state, integrator, steps: 10,
    observers: [
      trajectoryObserver((frame) => { text += frame; }, 2),
      { interval: 2, observe: (s) => want.push({ v: s.velocities.slice(), f: s.forces.slice(), x: s.structure.positions.slice(), e: s.energy, step: s.step, t: s.timeFs }) },
    ],
  });
  const frames = readExtxyz(text);
  assert.equal(frames.length, 6);
  frames.forEach((fr, k) => {
    const w = want[k]!;
    assert.deepEqual(fr.floatArray('velocities'), w.v);
    assert.deepEqual(fr.floatArray('forces'), w.f);
    assert.deepEqual(fr.positions, w.x);
    assert.equal(fr.info['energy'], w.e);
    assert.equal(fr.info['step'], w.step);
    assert.equal(fr.info['time_fs'], w.t);
    assert.deepEqual(fr.cell, state.structure.cell);
    assert.deepEqual(fr.pbc, [true, true, true]);
  });
});

test('analysis observers feed the accumulators: fcc first shell of 12, VACF C(0) = <v^2>, frame spacing checked', () => {
  const { state, integrator } = argonRun(10, 3);
  const interval = 2, dtFrame = interval * integrator.timestepFs;
  const rdf = new RdfAccumulator({ rMaxA: 4.5, nBins: 45 });
  const msd = new MsdAccumulator({ maxLag: 10, frameIntervalFs: dtFrame });
  const vacf = new VacfAccumulator({ maxLag: 10, frameIntervalFs: dtFrame });
  let v2 = 0, nFrames = 0;
  runMD({
    state, integrator, steps: 40,
    observers: [
      rdfObserver(rdf, interval), msdObserver(msd, interval), vacfObserver(vacf, interval),
      { interval, observe: (s) => { for (const x of s.velocities) v2 += x * x; nFrames++; } },
    ],
  });
  assert.equal(rdf.frames, 21);
  assert.equal(msd.frames, 21);
  // cold fcc argon: 12 neighbours near a/sqrt2 = 3.72 Å, the next shell at a = 5.26 Å
  assert.equal(rdf.result().n.at(-1), 12);
  const c0 = vacf.result().c[0]!;
  const expected = v2 / (nFrames * state.structure.length);
  assert.ok(Math.abs(c0 - expected) < 1e-12 * expected, `C(0) = ${c0}, <v.v> = ${expected}`);
  const m = msd.result();
  assert.equal(m.msd[0], 0);
  assert.ok(m.msd[10]! > 0 && m.msd[10]! < 0.5, `vibrating solid: small bounded MSD, got ${m.msd[10]}`);
  // an accumulator built for another spacing is refused on the second frame
  const wrong = new MsdAccumulator({ maxLag: 5, frameIntervalFs: 1 });
  assert.throws(
    () => runMD({ state, integrator, steps: 4, init: false, observers: [msdObserver(wrong, interval)] }),
    (e: unknown) => e instanceof ValidationError && /frameIntervalFs = 1 fs/.test(e.message),
  );
});
