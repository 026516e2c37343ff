import { test, assert } from '../node/test-support.js';
import { Morse } from './morse.js';
import { runConformance } from './conformance.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters } from '../structure/cell.js';
import { ValidationError } from '../core/errors.js';

const P = { D0: 0.3429, alpha: 1.3588, r0: 2.866, cutoff: 6.0 };
const pot = new Morse(P);
const phi = (r: number) => P.D0 * (Math.exp(-2 * P.alpha * (r - P.r0)) - 2 * Math.exp(-P.alpha * (r - P.r0)));

test('morse dimer energy and force match the closed form, shifted to zero at the cutoff', () => {
  for (const r of [2.2, 2.866, 3.5, 5.9]) {
    const s = Structure.fromSymbols(['Cu', 'Cu'], [[0, 0, 0], [r, 0, 0]]);
    const res = pot.compute(s, { forces: true, energies: true });
    assert.ok(Math.abs(res.energy - (phi(r) - phi(6))) < 1e-14, `E(${r})`);
    const dphi = -2 * P.alpha * P.D0 * (Math.exp(-2 * P.alpha * (r - P.r0)) - Math.exp(-P.alpha * (r - P.r0)));
    assert.ok(Math.abs(res.forces![0]! - dphi) < 1e-14, `F(${r}) ${res.forces![0]} vs ${dphi}`);
    assert.ok(Math.abs(res.forces![3]! + res.forces![0]!) < 1e-16, 'Newton\'s third law');
    assert.equal(res.energies![0], res.energies![1]);
  }
});

test('morse minimum is at r0 with depth D0 (unshifted)', () => {
  const u = new Morse({ ...P, shift: false });
  const s = Structure.fromSymbols(['Cu', 'Cu'], [[0, 0, 0], [P.r0, 0, 0]]);
  const res = u.compute(s, { forces: true });
  assert.ok(Math.abs(res.energy + P.D0) < 1e-15);
  assert.ok(Math.abs(res.forces![0]!) < 1e-15);
});

test('morse beyond the cutoff contributes nothing', () => {
  const s = Structure.fromSymbols(['Cu', 'Cu'], [[0, 0, 0], [6.0001, 0, 0]]);
  const res = pot.compute(s, { forces: true });
  assert.equal(res.energy, 0);
  assert.deepEqual(Array.from(res.forces!), [0, 0, 0, 0, 0, 0]);
});

test('morse rejects non-positive parameters, naming the parameter', () => {
  assert.throws(() => new Morse({ ...P, alpha: 0 }), (e: unknown) => e instanceof ValidationError && /alpha must be a positive number, got 0/.test(e.message));
  assert.throws(() => new Morse({ ...P, cutoff: Number.NaN }), /cutoff must be a positive number/);
});

for (const [label, cell, pbc] of [
  ['open', cellFromParameters(9, 9, 9), false],
  ['orthorhombic', cellFromParameters(7, 7.5, 8), true],
  ['triclinic small', cellFromParameters(4.8, 5.2, 5.6, 70, 82, 105), true],
] as const) {
  test(`morse passes the conformance kit (${label})`, () => {
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [29], n: 6, cell, pbc, minDistance: 2.0, seed });
      for (const r of runConformance(pot, s, { forceTol: 1e-7, stressTol: 1e-8 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
    }
  });
}
