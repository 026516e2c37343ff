import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { ForceEngine } from './forces.js';
import { createState } from './state.js';
import { argonFcc, argonLJ, rattleInPlace } from './test-fixtures.js';

test('ForceEngine reuses its list across moves and cell changes and matches a from-scratch evaluation', () => {
  const pot = argonLJ();
  const s = argonFcc(2);
  rattleInPlace(s, 0.05, 1);
  const engine = new ForceEngine(pot, { skinA: 1 });
  const rng = new Rng(3);
  for (let it = 0; it < 40; it++) {
    // small random strain of the cell with the atoms carried along, plus small displacements
    const e = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => (k % 4 === 0 ? 1 : 0) + 0.004 * rng.normal());
    const x = s.positions, c = s.cell;
    for (let i = 0; i < x.length; i += 3) {
      const a = x[i]!, b = x[i + 1]!, d = x[i + 2]!;
      for (let q = 0; q < 3; q++) x[i + q] = a * e[q]! + b * e[3 + q]! + d * e[6 + q]! + 0.02 * rng.normal();
    }
    const nc = c.slice();
    for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) c[3 * r + q] = nc[3 * r]! * e[q]! + nc[3 * r + 1]! * e[3 + q]! + nc[3 * r + 2]! * e[6 + q]!;
    const got = engine.compute(s, { stress: true });
    const ref = pot.compute(s, { forces: true, stress: true });
    assert.ok(Math.abs(got.energy - ref.energy) < 1e-10, `energy ${got.energy} vs ${ref.energy}`);
    for (let k = 0; k < got.forces.length; k++) assert.ok(Math.abs(got.forces[k]! - ref.forces![k]!) < 1e-10);
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(got.stress![k]! - ref.stress![k]!) < 1e-12);
  }
  assert.ok(engine.rebuilds < 20, `list rebuilt ${engine.rebuilds} times in 40 strained evaluations`);
  assert.ok(engine.rebuilds >= 2, `large accumulated strain must trigger rebuilds (got ${engine.rebuilds})`);
});

test('evaluate zeroes forces on fixed atoms', () => {
  const s = argonFcc(1);
  rattleInPlace(s, 0.1, 2);
  const st = createState(s, { fixed: [2] });
  new ForceEngine(argonLJ()).evaluate(st);
  assert.deepEqual(Array.from(st.forces.subarray(6, 9)), [0, 0, 0]);
  assert.ok(Math.hypot(st.forces[0]!, st.forces[1]!, st.forces[2]!) > 1e-3);
});
