import { test, assert } from '../node/test-support.js';
import { LinearPotential } from './linear.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { ACSF } from '../descriptors/acsf.js';
import { runConformance } from '../potentials/conformance.js';
import type { Potential } from '../potentials/potential.js';
import { randomStructure } from '../structure/random.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import { buildNeighborList } from '../neighbors/build.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { Structure } from '../structure/structure.js';

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

/** The same descriptor without `computeGradient`: LinearPotential then contracts the design rows. */
function withoutGradient(d: Descriptor): Descriptor {
  return {
    name: d.name, cutoff: d.cutoff, species: d.species, size: d.size, toJSON: () => d.toJSON(),
    compute: (s, nl, out) => d.compute(s, nl, out),
    computeWithDerivatives: (s, nl, out) => d.computeWithDerivatives(s, nl, out),
  };
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0, m = 0;
  for (let k = 0; k < a.length; k++) scale = Math.max(scale, Math.abs(a[k]!));
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m / Math.max(scale, 1e-300);
}

test('the contracted path (computeGradient) equals the design-row path to 1e-12 on random Si and Si-Ge cells, with a skin list', () => {
  const si = new BodyOrderDescriptor({ species: [14], cutoff: 4.6, nMax: 6, nMax3: 4, lMax3: 3, nMax4: 3, lMax4: 3 });
  const acsf = ACSF.standard({ species: [14, 32], cutoff: 4.2, nRadial: 3, nAngular: 2 });
  const cases: { d: Descriptor; s: Structure; e0: number[] }[] = [
    { d: desc, s: sige(11, 14), e0: [-4.1, -3.7] },
    { d: si, s: randomStructure({ numbers: [14], n: 16, cell: [7, 0, 0, 0.4, 7.2, 0, 0, 0.3, 6.8], minDistance: 2.1, seed: 12 }), e0: [-4.6] },
    { d: acsf, s: sige(13, 10), e0: [-4.1, -3.7] },
  ];
  for (const { d, s, e0 } of cases) {
    assert.ok(d.computeGradient, `${d.name} has computeGradient`);
    const rng = new Rng(17);
    const c = new Float64Array(d.species.length * d.size).map(() => 0.05 * rng.normal());
    const fast = new LinearPotential({ descriptor: d, coefficients: c, e0, energyShift: 0.3 });
    const slow = new LinearPotential({ descriptor: withoutGradient(d), coefficients: c, e0, energyShift: 0.3 });
    const req = { forces: true, stress: true, energies: true };
    const a = fast.compute(s, req);
    const b = slow.compute(s, req);
    const nl = buildNeighborList(s, d.cutoff, { skin: 0.8 });
    const a2 = fast.compute(s, req, { neighbors: nl });
    assert.ok(Math.abs(a.energy - b.energy) <= 1e-12 * Math.abs(b.energy), `${d.name}: energy ${a.energy} vs ${b.energy}`);
    for (const [name, x, y] of [['forces', a.forces!, b.forces!], ['stress', a.stress!, b.stress!], ['energies', a.energies!, b.energies!], ['forces (skin)', a2.forces!, b.forces!], ['stress (skin)', a2.stress!, b.stress!]] as const) {
      assert.ok(relDiff(y, x) < 1e-12, `${d.name}: ${name} differ by ${relDiff(y, x)} relative`);
    }
    assert.ok(relDiff(b.forces!, new Float64Array(b.forces!.length)) > 0, 'forces not all zero');
  }
});

test('the design-row fallback (descriptor without computeGradient) still passes conformance', () => {
  const rng = new Rng(21);
  const d = withoutGradient(desc);
  const pot = new LinearPotential({ descriptor: d, coefficients: new Float64Array(2 * desc.size).map(() => 0.02 * rng.normal()), e0: [-4.1, -3.7] });
  for (const r of runConformance(pot, sige(22, 10), { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 4 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error})`);
});

test('repeated calls with caller buffers reuse scratch and give identical results (no state leaks between structures)', () => {
  const pot = randomModel(23);
  const s1 = sige(24, 14), s2 = sige(25, 9);
  const r1 = pot.compute(s1, { forces: true, stress: true });
  const f1 = r1.forces!.slice(), e1 = r1.energy;
  pot.compute(s2, { forces: true, stress: true });
  const out = { forces: new Float64Array(3 * s1.length).fill(7), stress: new Float64Array(6) };
  const r3 = pot.compute(s1, { forces: true, stress: true }, { out });
  assert.equal(r3.forces, out.forces);
  assert.equal(r3.energy, e1);
  assert.deepEqual(Array.from(r3.forces!), Array.from(f1));
});

test('forces and stress go through computeGradient (never the per-feature derivatives) when the descriptor has it', () => {
  let grad = 0, deriv = 0;
  const spy: Descriptor = {
    name: desc.name, cutoff: desc.cutoff, species: desc.species, size: desc.size, toJSON: () => desc.toJSON(),
    compute: (s, nl, out) => desc.compute(s, nl, out),
    computeWithDerivatives: (s, nl, out) => { deriv++; desc.computeWithDerivatives(s, nl, out); },
    computeGradient: (s, nl, w, out) => { grad++; desc.computeGradient(s, nl, w, out); },
  };
  const pot = new LinearPotential({ descriptor: spy, coefficients: randomModel(31).coefficients, e0: [-4.1, -3.7] });
  const ref = randomModel(31).compute(sige(32), { forces: true, stress: true });
  const r = pot.compute(sige(32), { forces: true, stress: true });
  assert.equal(grad, 1);
  assert.equal(deriv, 0);
  assert.deepEqual(Array.from(r.forces!), Array.from(ref.forces!));
});
