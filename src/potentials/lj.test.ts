import { test, assert } from '../node/test-support.js';
import { LennardJones } from './lj.js';
import { runConformance } from './conformance.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters } from '../structure/cell.js';

const pot = new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 6.0 });

test('lj dimer energy and force match the closed form', () => {
  const r = 3.8;
  const s = Structure.fromSymbols(['Ar', 'Ar'], [[0, 0, 0], [r, 0, 0]]);
  const res = pot.compute(s, { forces: true, energies: true });
  const phi = (x: number) => 4 * 0.0104 * ((3.4 / x) ** 12 - (3.4 / x) ** 6);
  assert.ok(Math.abs(res.energy - (phi(r) - phi(6))) < 1e-14);
  const dphi = 4 * 0.0104 * (-12 * 3.4 ** 12 / r ** 13 + 6 * 3.4 ** 6 / r ** 7);
  assert.ok(Math.abs(res.forces![0]! - dphi) < 1e-14, `${res.forces![0]} vs ${dphi}`);
  assert.ok(Math.abs(res.forces![0]! + res.forces![3]!) < 1e-15);
});

for (const [label, cell, pbc] of [
  ['open', cellFromParameters(9, 9, 9), false],
  ['orthorhombic', cellFromParameters(8, 9, 10), true],
  ['triclinic small', cellFromParameters(5.3, 5.8, 6.4, 70, 80, 100), true],
] as const) {
  test(`lj passes the conformance kit (${label})`, () => {
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [18], n: 5, cell, pbc, minDistance: 2.6, seed });
      for (const r of runConformance(pot, s, { forceTol: 1e-7, stressTol: 1e-8 })) {
        assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
      }
    }
  });
}
