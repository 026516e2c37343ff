import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { stochasticCellRescaling } from './barostat.js';
import { checkpoint, decodeF64, encodeF64, restore, type CheckpointRecord } from './checkpoint.js';
import { ForceEngine } from './forces.js';
import { velocityVerlet, type Coupler } from './integrator.js';
import { createState, maxwellBoltzmann, type MDState } from './state.js';
import { bussi, langevin, noseHooverChain } from './thermostats.js';
import { argonFcc, argonLJ } from './test-fixtures.js';

const T = 70;
const makers: Record<string, () => Coupler[]> = {
  Langevin: () => [langevin({ temperatureK: T, tauFs: 100 })],
  Bussi: () => [bussi({ temperatureK: T, tauFs: 50 })],
  'Nose-Hoover chain': () => [noseHooverChain({ temperatureK: T, tauFs: 50, multipleSteps: 2 })],
  'NPT (Bussi + C-rescale)': () => [bussi({ temperatureK: T, tauFs: 50 }), stochasticCellRescaling({ pressureGPa: 0.1, temperatureK: T, tauFs: 200, compressibilityPerGPa: 0.5 })],
};

/** A fresh simulation: same structure and seed-independent set-up; the skin is small so the list is rebuilt inside the windows. */
function setup(kind: string, seed: number) {
  const st = createState(argonFcc(2));
  const rng = new Rng(seed);
  maxwellBoltzmann(st, T, rng);
  const engine = new ForceEngine(argonLJ(), { skinA: 0.3 });
  const integ = velocityVerlet({ engine, timestepFs: 5, couplers: makers[kind]!(), rng });
  integ.init(st);
  return { st, rng, engine, integ };
}

function frame(st: MDState): Float64Array[] {
  return [st.structure.positions.slice(), st.velocities.slice(), st.structure.cell.slice(), st.forces.slice()];
}

for (const kind of Object.keys(makers)) {
  test(`restart from a JSON checkpoint is bit-identical (${kind})`, () => {
    const a = setup(kind, 42);
    for (let i = 0; i < 200; i++) a.integ.step(a.st);
    const ref = frame(a.st);
    assert.ok(a.engine.rebuilds > 2, `the neighbour list should be rebuilt within the run (got ${a.engine.rebuilds})`);

    const b = setup(kind, 42);
    for (let i = 0; i < 100; i++) b.integ.step(b.st);
    const text = JSON.stringify(checkpoint(b.st, b.integ, b.rng));
    const c = setup(kind, 999); // different seed and fresh velocities: everything must come from the checkpoint
    restore(JSON.parse(text) as CheckpointRecord, c.st, c.integ, c.rng);
    assert.equal(c.st.step, 100);
    for (let i = 0; i < 100; i++) c.integ.step(c.st);
    const got = frame(c.st);
    ['positions', 'velocities', 'cell', 'forces'].forEach((name, k) => {
      const x = ref[k]!, y = got[k]!;
      for (let q = 0; q < x.length; q++) assert.ok(Object.is(x[q], y[q]), `${name}[${q}] differs: ${x[q]} vs ${y[q]}`);
    });
    assert.equal(c.st.step, 200);
    assert.ok(Object.is(c.integ.conservedEnergy(c.st), a.integ.conservedEnergy(a.st)), 'conserved energy (coupler state) restored');
  });
}

test('float arrays round-trip exactly through the checkpoint encoding, including -0, NaN and extremes', () => {
  const x = new Float64Array([0, -0, 1 / 3, -1e-310, 1.7976931348623157e308, NaN, Infinity, Math.PI]);
  const y = decodeF64(JSON.parse(JSON.stringify(encodeF64(x))) as string);
  assert.equal(y.length, x.length);
  for (let i = 0; i < x.length; i++) assert.ok(Object.is(x[i], y[i]), `${x[i]} vs ${y[i]}`);
});

test('restore refuses a checkpoint for a different system or coupler set', () => {
  const a = setup('Bussi', 1);
  const rec = checkpoint(a.st, a.integ, a.rng);
  const other = setup('Langevin', 1);
  assert.throws(() => restore(rec, other.st, other.integ, other.rng), /coupler 0 is 'bussi'/);
  const small = createState(argonFcc(1));
  assert.throws(() => restore(rec, small, a.integ, a.rng), /32 atoms, the state has 4/);
});
