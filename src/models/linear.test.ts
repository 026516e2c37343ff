import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearPotential } from './linear.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { ACSF } from '../descriptors/acsf.js';
import { runConformance } from '../potentials/conformance.js';
import type { Potential } from '../potentials/potential.js';
import { randomStructure } from '../structure/random.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';

const desc = new BodyOrderDescriptor({ species: [14, 32], cutoff: 4.2, maxBodyOrder: 4, nMax: 4, nMax3: 3, lMax3: 2, nMax4: 2, lMax4: 2 });

function randomModel(seed: number, d = desc): LinearPotential {
  const rng = new Rng(seed);
  const c = new Float64Array(d.species.length * d.size);
  for (let k = 0; k < c.length; k++) c[k] = 0.02 * rng.normal();
  return new LinearPotential({ descriptor: d, coefficients: c, e0: [-4.1, -3.7] });
}

function sige(seed: number, n = 12, a = 6.5) {
  return randomStructure({ numbers: [14, 32], n, cell: [a, 0.3, 0, 0, a, 0, 0.2, 0.1, a], minDistance: 2.0, seed });
}

test('LinearPotential satisfies the Potential contract and passes conformance (forces, stress, invariances) on random Si/Ge cells', () => {
  const pot: Potential = randomModel(1);
  assert.equal(pot.cutoff, desc.cutoff);
  assert.deepEqual(pot.species, [14, 32]);
  for (const seed of [1, 2]) {
    for (const r of runConformance(pot, sige(seed), { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 6 })) {
      assert.ok(r.pass, `seed ${seed}: ${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
    }
  }
});

test('LinearPotential on ACSF features also conforms (the design assembly is descriptor-agnostic)', () => {
  const acsf = ACSF.standard({ species: [14, 32], cutoff: 4.2, nRadial: 3, nAngular: 1 });
  const pot = randomModel(3, acsf as unknown as BodyOrderDescriptor);
  for (const r of runConformance(pot, sige(4, 10), { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 4 })) {
    assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error})`);
  }
});

test('energy is sum_i c_{Z_i} . B(i) + sum_i e0_{Z_i}, and per-atom energies sum to it', () => {
  const pot = randomModel(5);
  const s = sige(6);
  const r = pot.compute(s, { forces: false, energies: true });
  const size = desc.size;
  let sum = 0;
  for (const e of r.energies!) sum += e;
  assert.ok(Math.abs(sum - r.energy) < 1e-10 * Math.max(1, Math.abs(r.energy)));
  const zero = new LinearPotential({ descriptor: desc, coefficients: new Float64Array(2 * size), e0: [-1, -2] });
  let expect = 0;
  for (const z of s.numbers) expect += z === 14 ? -1 : -2;
  assert.equal(zero.compute(s, { forces: false }).energy, expect);
});

test('save -> JSON.stringify -> parse -> load predicts bit-for-bit identically', () => {
  const pot = randomModel(7);
  const back = LinearPotential.fromJSON(JSON.parse(JSON.stringify(pot.toJSON())));
  const s = sige(8);
  const a = pot.compute(s, { forces: true, stress: true, energies: true });
  const b = back.compute(s, { forces: true, stress: true, energies: true });
  assert.equal(b.energy, a.energy);
  assert.deepEqual(b.forces, a.forces);
  assert.deepEqual(b.stress, a.stress);
  assert.deepEqual(b.energies, a.energies);
  assert.equal(back.toJSON().format, 'mlpot-model');
});

test('fromJSON names the bad field', () => {
  const good = randomModel(9).toJSON();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, format: 'x' }, /"format"/],
    [{ ...good, version: 2 }, /"version"/],
    [{ ...good, type: 'gp' }, /"type"/],
    [{ ...good, descriptor: { type: 'nope' } }, /"descriptor"/],
    [{ ...good, species: [14] }, /"species"/],
    [{ ...good, coefficients: [good.coefficients[0]] }, /"coefficients"/],
    [{ ...good, coefficients: [good.coefficients[0], [1, 2]] }, /"coefficients\[1\]"/],
    [{ ...good, coefficients: [good.coefficients[0], good.coefficients[1]!.map((v, k) => (k === 3 ? 'a' : v))] }, /"coefficients\[1\]\[3\]"/],
    [{ ...good, e0: [1] }, /"e0"/],
    [{ ...good, offsetDetermined: 'yes' }, /"offsetDetermined"/],
  ];
  for (const [json, re] of cases) assert.throws(() => LinearPotential.fromJSON(json), (e: unknown) => e instanceof ValidationError && re.test(e.message), String(re));
  assert.throws(() => LinearPotential.fromJSON(null), ValidationError);
});

test('an element outside the descriptor species is rejected naming the atom', () => {
  const pot = new LinearPotential({ descriptor: new BodyOrderDescriptor({ species: [14], cutoff: 4, maxBodyOrder: 2, nMax: 3 }), coefficients: [1, 2, 3] });
  assert.throws(() => pot.compute(sige(10, 6)), /Ge/);
});
