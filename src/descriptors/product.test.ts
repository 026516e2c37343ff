import { test, assert } from '../node/test-support.js';
import { BodyOrderDescriptor } from './body-order.js';
import { ACSF } from './acsf.js';
import { ProductDescriptor, productIndices, selectProductIndices } from './product.js';
import { checkDescriptorDerivatives, descriptorTestStructures, contractedGradientReference, maxScaledDiff } from './check.js';
import { descriptorFromJSON } from './registry.js';
import type { Descriptor } from './descriptor.js';
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { randomStructure } from '../structure/random.js';
import { LinearPotential } from '../models/linear.js';
import { runConformance } from '../potentials/conformance.js';
import { Rng } from '../core/rng.js';
import { ParameterError } from '../core/errors.js';

const SI = 14, GE = 32;

function inner(): BodyOrderDescriptor {
  return new BodyOrderDescriptor({ species: [SI, GE], cutoff: 4.2, nMax: 4, nMax3: 2, lMax3: 2, nMax4: 1, lMax4: 2 });
}

/** Products over 3 two-body, 4 three-body and 2 four-body features (every pairing of orders, with squares). */
function product(d: Descriptor = inner()): ProductDescriptor {
  return new ProductDescriptor({ inner: d, indices: productIndices(d, [3, 4, 2]) });
}

function feats(d: Descriptor, s: Structure): Float64Array {
  const out = new Float64Array(s.length * d.size);
  d.compute(s, buildNeighborList(s, d.cutoff), out);
  return out;
}


test('product features are the inner features followed by B_a B_b over the subset (a <= b)', () => {
  const b = inner();
  const p = product(b);
  const S = p.indices;
  assert.equal(S.length, 9);
  assert.equal(p.size, b.size + (9 * 10) / 2);
  assert.deepEqual([...S.map((k) => b.bodyOrder(k))].sort(), [2, 2, 2, 3, 3, 3, 3, 4, 4]);
  const s = descriptorTestStructures(b.species, b.cutoff, 3)[1]!.s;
  const fi = feats(b, s), fp = feats(p, s);
  for (let i = 0; i < s.length; i++) {
    for (let k = 0; k < b.size; k++) assert.equal(fp[i * p.size + k], fi[i * b.size + k]);
    let q = b.size;
    for (let u = 0; u < S.length; u++) {
      for (let v = u; v < S.length; v++, q++) {
        assert.equal(fp[i * p.size + q], fi[i * b.size + S[u]!]! * fi[i * b.size + S[v]!]!);
        assert.equal(p.bodyOrder(q), b.bodyOrder(S[u]!) + b.bodyOrder(S[v]!) - 1);
      }
    }
  }
});

test('product derivatives equal finite differences (2 elements: open, orthorhombic, triclinic, small cell; skin)', () => {
  const p = product();
  for (const { label, s } of descriptorTestStructures(p.species, p.cutoff, 7)) {
    const r = checkDescriptorDerivatives(p, s, { h: 1e-5, tol: 1e-7, skin: label === 'orthorhombic' ? 0.6 : 0 });
    assert.ok(r.maxDerivative > 1e-3, `${label}: derivatives vanish`);
    assert.ok(r.ok, `${label}: rel error ${r.maxRelError} (virial ${r.virialMaxRelError}) at ${JSON.stringify(r.worst)}`);
  }
});


test('product computeGradient equals the contraction of computeWithDerivatives (per-atom and species-row weights; inner with and without a contracted path)', () => {
  const rng = new Rng(5);
  const acsf = ACSF.standard({ species: [SI, GE], cutoff: 4.2, nRadial: 3, nAngular: 1 });
  // the same ACSF without its contracted path: exercises the fallback (contracting the inner derivatives)
  const plain: Descriptor = {
    name: 'acsf-plain', cutoff: acsf.cutoff, species: acsf.species, size: acsf.size, toJSON: () => acsf.toJSON(),
    compute: (s, nl, out) => acsf.compute(s, nl, out),
    computeWithDerivatives: (s, nl, out) => acsf.computeWithDerivatives(s, nl, out),
  };
  const idx = [0, 2, 5, acsf.size - 1];
  const cases: ProductDescriptor[] = [product(), new ProductDescriptor({ inner: acsf, indices: idx }), new ProductDescriptor({ inner: plain, indices: idx })];
  for (const p of cases) {
    for (const { label, s } of descriptorTestStructures(p.species, p.cutoff, 9)) {
      const nl = buildNeighborList(s, p.cutoff, { skin: 0.5 });
      const n = s.length, size = p.size;
      const w = new Float64Array(n * size).map(() => rng.normal());
      const ref = contractedGradientReference(p, s, nl, w);
      const g = new Float64Array(3 * pairCount(nl)).fill(NaN), e = new Float64Array(n).fill(NaN), f = new Float64Array(n * size);
      p.computeGradient(s, nl, { weights: w }, { pairGradients: g, energies: e, features: f });
      assert.ok(maxScaledDiff(ref.f, f) < 1e-13, `${p.inner.name} ${label}: features differ by ${maxScaledDiff(ref.f, f)}`);
      assert.ok(maxScaledDiff(ref.e, e) < 1e-10, `${p.inner.name} ${label}: energies differ by ${maxScaledDiff(ref.e, e)}`);
      assert.ok(maxScaledDiff(ref.g, g) < 1e-10, `${p.inner.name} ${label}: pair gradients differ by ${maxScaledDiff(ref.g, g)}`);
      const wz = new Float64Array(p.species.length * size).map(() => rng.normal());
      const rows = Int32Array.from(s.numbers, (z) => p.species.indexOf(z));
      const ref2 = contractedGradientReference(p, s, nl, wz, rows);
      p.computeGradient(s, nl, { weights: wz, rows }, { pairGradients: g, energies: e });
      assert.ok(maxScaledDiff(ref2.g, g) < 1e-10, `${p.inner.name} ${label}: species-row pair gradients differ by ${maxScaledDiff(ref2.g, g)}`);
      assert.ok(maxScaledDiff(ref2.e, e) < 1e-10, `${p.inner.name} ${label}: species-row energies differ by ${maxScaledDiff(ref2.e, e)}`);
    }
  }
});

test('LinearPotential on a ProductDescriptor passes conformance (forces, stress, invariances) and its JSON round trip', () => {
  const p = product();
  const rng = new Rng(2);
  const c = new Float64Array(p.species.length * p.size).map(() => 0.02 * rng.normal());
  const pot = new LinearPotential({ descriptor: p, coefficients: c, e0: [-4.1, -3.7] });
  const s = randomStructure({ numbers: [SI, GE], n: 10, cell: [6.5, 0.3, 0, 0, 6.5, 0, 0.2, 0.1, 6.5], minDistance: 2.0, seed: 3 });
  for (const r of runConformance(pot, s, { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 4 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
  const back = LinearPotential.fromJSON(JSON.parse(JSON.stringify(pot.toJSON())));
  const a = pot.compute(s, { forces: true, stress: true }), b = back.compute(s, { forces: true, stress: true });
  assert.equal(b.energy, a.energy);
  assert.deepEqual(b.forces, a.forces);
});

test('product JSON round trip is exact; bad indices and unknown body orders are ParameterErrors', () => {
  const p = product();
  const j = JSON.parse(JSON.stringify(p.toJSON())) as { type: string; inner: { type: string }; indices: number[] };
  assert.equal(j.type, 'product');
  assert.equal(j.inner.type, 'body-order');
  const p2 = descriptorFromJSON(j);
  assert.ok(p2 instanceof ProductDescriptor);
  assert.equal(p2.size, p.size);
  const s = descriptorTestStructures(p.species, p.cutoff, 2)[2]!.s;
  assert.deepEqual(feats(p2, s), feats(p, s));
  const b = inner();
  assert.throws(() => new ProductDescriptor({ inner: b, indices: [0, b.size] }), (e: unknown) => e instanceof ParameterError && /outside \[0, /.test((e as Error).message));
  assert.throws(() => new ProductDescriptor({ inner: b, indices: [3, 1, 3] }), /listed twice/);
  assert.throws(() => productIndices(b, [b.counts[0] + 1]), /body order 2; the inner descriptor has/);
  assert.throws(() => productIndices(ACSF.standard({ species: [SI], cutoff: 4 }), [2]), /does not report body orders/);
  // 3-body features with n < 1: channels (Si n0, Ge n0) -> 3 channel pairs x 3 ranks (lMax3 2)
  const rb = selectProductIndices(b, { radialBelow: [0, 1] });
  assert.equal(rb.length, 3 * 3);
  for (const k of rb) assert.ok(b.bodyOrder(k) === 3 && b.radialIndices(k).every((n) => n === 0), b.featureLabel(k));
  assert.equal(selectProductIndices(b, { radialBelow: [0, 2] }).length, b.counts[1], 'nMax3 = 2: every 3-body feature');
  assert.throws(() => selectProductIndices(b, { indices: [1], perBodyOrder: [1] }), /exactly one of/);
  assert.throws(() => descriptorFromJSON({ type: 'product', version: 2, inner: b.toJSON(), indices: [] }), /unsupported version/);
});
