import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import { ForceEngine } from '../dynamics/forces.js';
import { velocityVerlet } from '../dynamics/integrator.js';
import { createState, maxwellBoltzmann } from '../dynamics/state.js';
import { bussi } from '../dynamics/thermostats.js';
import { stochasticCellRescaling } from '../dynamics/barostat.js';
import { buildNeighborList } from '../neighbors/build.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';
import { ParallelPotential } from './parallel.js';

const TIMEOUT = { timeout: 60000 };

/** 512-atom diamond Si (4x4x4 cubic cells), rattled by 0.1 Å, cell sheared a little. */
function rattledSi(seed = 3): Structure {
  const s = rattle(repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 4), 0.1, new Rng(seed));
  s.cell[1] = 0.3; // small shear: a triclinic cell
  return s;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0, d = 0;
  for (let k = 0; k < a.length; k++) {
    scale = Math.max(scale, Math.abs(b[k]!));
    d = Math.max(d, Math.abs(a[k]! - b[k]!));
  }
  return d / scale;
}

for (const workers of [1, 2, 3]) {
  test(`parallel SW with ${workers} worker(s) equals the serial energy, forces, stress and per-atom energies to 1e-12 (512 rattled atoms)`, TIMEOUT, async () => {
    const s = rattledSi();
    const serial = StillingerWeber.silicon().compute(s, { forces: true, stress: true, energies: true });
    const par = new ParallelPotential('sw', workers);
    try {
      for (const withList of [false, true]) {
        const ctx = withList ? { neighbors: buildNeighborList(s, par.cutoff, { skin: 1 }) } : undefined;
        const r = par.compute(s, { forces: true, stress: true, energies: true }, ctx);
        assert.ok(Math.abs(r.energy - serial.energy) <= 1e-12 * Math.abs(serial.energy), `energy ${r.energy} vs ${serial.energy}`);
        assert.ok(maxRelDiff(r.forces!, serial.forces!) < 1e-12, `forces differ by ${maxRelDiff(r.forces!, serial.forces!)}`);
        assert.ok(maxRelDiff(r.stress!, serial.stress!) < 1e-12, `stress differs by ${maxRelDiff(r.stress!, serial.stress!)}`);
        assert.ok(maxRelDiff(r.energies!, serial.energies!) < 1e-12, `per-atom energies differ by ${maxRelDiff(r.energies!, serial.energies!)}`);
      }
    } finally {
      await par.close();
    }
  });
}

test('parallel NPT trajectory (rebuilds, cell changes, shift refresh) follows the serial one', TIMEOUT, async () => {
  const run = (pot: StillingerWeber | ParallelPotential) => {
    const s = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 3);
    const st = createState(s);
    const rng = new Rng(5);
    maxwellBoltzmann(st, 1500, rng);
    const engine = new ForceEngine(pot, { skinA: 0.3 });
    const md = velocityVerlet({ engine, timestepFs: 1, rng, couplers: [
      bussi({ temperatureK: 1500, tauFs: 50 }),
      stochasticCellRescaling({ pressureGPa: 0, temperatureK: 1500, tauFs: 100, compressibilityPerGPa: 0.05 }),
    ] });
    md.init(st);
    for (let k = 0; k < 100; k++) md.step(st);
    return { x: st.structure.positions.slice(), cell: st.structure.cell.slice(), e: st.energy, rebuilds: engine.rebuilds };
  };
  const a = run(StillingerWeber.silicon());
  const par = new ParallelPotential('sw', 1);
  try {
    const b = run(par);
    assert.ok(a.rebuilds >= 3, `the run should rebuild its list a few times (got ${a.rebuilds})`);
    assert.equal(b.rebuilds, a.rebuilds);
    assert.ok(par.workerRebuilds >= a.rebuilds, `workers rebuilt ${par.workerRebuilds} times`);
    assert.ok(Math.abs(a.e - b.e) < 1e-8 * Math.abs(a.e), `energy ${b.e} vs serial ${a.e}`);
    assert.ok(maxRelDiff(b.cell, a.cell) < 1e-9);
    let dx = 0;
    for (let k = 0; k < a.x.length; k++) dx = Math.max(dx, Math.abs(a.x[k]! - b.x[k]!));
    assert.ok(dx < 1e-8, `positions differ by ${dx} Å after 100 steps`);
  } finally {
    await par.close();
  }
});

test('parallel potential: follows structure size changes, stays usable after an error, and close() ends the workers', TIMEOUT, async () => {
  const par = new ParallelPotential('sw', 1);
  try {
    for (const n of [2, 3]) {
      const s = rattle(repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), n), 0.05, new Rng(n));
      const want = StillingerWeber.silicon().compute(s, { forces: true });
      const got = par.compute(s, { forces: true });
      assert.ok(Math.abs(got.energy - want.energy) < 1e-12 * Math.abs(want.energy));
      assert.ok(maxRelDiff(got.forces!, want.forces!) < 1e-12);
    }
    // an element SW has no parameters for: the main thread's own share throws first, workers are still collected
    const bad = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 2);
    bad.numbers[400 % bad.length] = 6;
    assert.throws(() => par.compute(bad, { forces: true }), /no parameters for element C/);
    // and the potential keeps working afterwards
    const s = rattledSi(9);
    const want = StillingerWeber.silicon().compute(s, { forces: true });
    assert.ok(Math.abs(par.compute(s, { forces: true }).energy - want.energy) < 1e-12 * Math.abs(want.energy));
  } finally {
    await par.close();
  }
  assert.throws(() => par.compute(rattledSi(), { forces: true }), /after close/);
});

test('parallel potential rejects potentials that cannot split work and bad worker counts', TIMEOUT, () => {
  assert.throws(() => new ParallelPotential('lj:sigma=3.4,epsilon=0.0104', 1), /atomRange/);
  assert.throws(() => new ParallelPotential('sw', -1), /nWorkers/);
});
