import { test, assert, cwdPath, fileExists, readText } from '../node/test-support.js';
import { BodyOrderDescriptor } from './body-order.js';
import { ACSF } from './acsf.js';
import { checkDescriptorDerivatives, descriptorTestStructures, contractedGradientReference, maxScaledDiff } from './check.js';
import { descriptorFromJSON } from './registry.js';
import { chebyshevCoefficients } from './radial.js';
import { cutoffValue, POLYNOMIAL_CUTOFF } from './cutoff.js';
import type { Descriptor, DescriptorDerivatives } from './descriptor.js';
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount, type NeighborList } from '../neighbors/neighbor-list.js';
import { Structure } from '../structure/structure.js';
import { bulk, rattle, supercell } from '../structure/builders.js';
import { readMlearnJson } from '../io/mlearn.js';
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import { ParameterError } from '../core/errors.js';

const H = 1, O = 8, SI = 14;

function feats(d: Descriptor, s: Structure, skin = 0): Float64Array {
  const out = new Float64Array(s.length * d.size);
  d.compute(s, buildNeighborList(s, d.cutoff, { skin }), out);
  return out;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!) / Math.max(1, Math.abs(a[k]!)));
  return m;
}

/** Two descriptors: multi-element with every 4-body contraction (ranks up to 3), and single-element. */
function testDescriptors(): BodyOrderDescriptor[] {
  return [
    new BodyOrderDescriptor({ species: [H, O, SI], cutoff: 4, nMax: 4, nMax3: 2, lMax3: 3, nMax4: 1, lMax4: 3 }),
    new BodyOrderDescriptor({ species: [SI], cutoff: 4.5, rMin: 0.5, cutoffFunction: POLYNOMIAL_CUTOFF, nMax: 6, nMax3: 3, lMax3: 2, nMax4: 2, lMax4: 3 }),
  ];
}

test('body-order derivatives equal finite differences (open, orthorhombic, triclinic, small cell, skin)', () => {
  for (const d of testDescriptors()) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 11)) {
      for (const skin of [0, 0.6]) {
        const r = checkDescriptorDerivatives(d, s, { h: 1e-5, tol: 1e-7, skin });
        assert.ok(r.maxDerivative > 1e-3, `${label}: derivatives vanish`);
        assert.ok(r.ok, `${label} skin ${skin}: rel error ${r.maxRelError} (virial ${r.virialMaxRelError}) at ${d.featureLabel(r.worst.feature)} ${JSON.stringify(r.worst)}`);
      }
    }
  }
});

test('the finite-difference checker catches a corrupted derivative', () => {
  const d = testDescriptors()[1]!;
  const bad: Descriptor = {
    name: 'corrupted', cutoff: d.cutoff, species: d.species, size: d.size, toJSON: () => d.toJSON(),
    compute: (s: Structure, nl: NeighborList, out: Float64Array) => d.compute(s, nl, out),
    computeWithDerivatives: (s: Structure, nl: NeighborList, out: DescriptorDerivatives) => {
      d.computeWithDerivatives(s, nl, out);
      for (let q = d.size - 1; q < out.derivatives.length; q += d.size) out.derivatives[q] *= 1.0001; // last feature, all pairs
    },
  };
  const s = descriptorTestStructures(d.species, d.cutoff, 11)[1]!.s;
  const r = checkDescriptorDerivatives(bad, s, { tol: 1e-7 });
  assert.ok(!r.ok && r.worst.feature === d.size - 1, `not caught: ${r.maxRelError}`);
});

test('body-order features are invariant under rotation, translation and permutation', () => {
  const d = testDescriptors()[0]!;
  const s = descriptorTestStructures(d.species, d.cutoff, 5)[0]!.s;
  const f0 = feats(d, s);
  const R = rotationMatrix([0.2, 0.9, -0.4], 2.3);
  const rot = s.clone();
  for (let i = 0; i < s.length; i++) {
    for (let a = 0; a < 3; a++) {
      let v = -3.1;
      for (let b = 0; b < 3; b++) v += R[3 * a + b]! * s.positions[3 * i + b]!;
      rot.positions[3 * i + a] = v;
    }
  }
  assert.ok(maxRelDiff(f0, feats(d, rot)) < 1e-11, 'rotation + translation');
  const perm = [6, 2, 0, 5, 1, 3, 4];
  const fp = feats(d, s.select(perm));
  for (let q = 0; q < perm.length; q++) {
    for (let k = 0; k < d.size; k++) {
      const a = f0[perm[q]! * d.size + k]!;
      assert.ok(Math.abs(fp[q * d.size + k]! - a) < 1e-11 * Math.max(1, Math.abs(a)), 'permutation');
    }
  }
  const t = descriptorTestStructures(d.species, d.cutoff, 5)[2]!.s;
  const tt = t.clone();
  for (let k = 0; k < tt.positions.length; k++) tt.positions[k] += 0.41 * ((k % 3) + 1);
  assert.ok(maxRelDiff(feats(d, t), feats(d, tt)) < 1e-11, 'periodic translation');
  assert.ok(maxRelDiff(feats(d, t), feats(d, t, 1.1)) < 1e-14, 'skin');
});

test('body-order features and derivatives go smoothly to zero as a neighbour crosses the cutoff', () => {
  for (const d of testDescriptors()) {
    const rc = d.cutoff, z = d.species;
    const at = (x: number) => new Structure({ numbers: [z[0]!, z[z.length - 1]!, z[0]!], positions: [0, 0, 0, 0.3, 1.9, 0, x, 0, 0.2] });
    const grab = (x: number) => {
      const s = at(x);
      const nl = buildNeighborList(s, rc, { skin: 1 });
      const out = { features: new Float64Array(3 * d.size), derivatives: new Float64Array(pairCount(nl) * 3 * d.size) };
      d.computeWithDerivatives(s, nl, out);
      let dmax = 0;
      for (let p = nl.offsets[0]!; p < nl.offsets[1]!; p++) if (nl.neighbors[p] === 2) for (let q = 0; q < 3 * d.size; q++) dmax = Math.max(dmax, Math.abs(out.derivatives[p * 3 * d.size + q]!));
      return { f: out.features.slice(0, d.size), dmax };
    };
    const beyond = grab(Math.sqrt(rc * rc - 0.04) + 0.01);
    assert.equal(beyond.dmax, 0, 'pairs in the skin have zero derivative');
    let prevDiff = Infinity, prevD = Infinity;
    for (const eps of [1e-1, 1e-2, 1e-3, 1e-4]) {
      const g = grab(Math.sqrt(rc * rc - 0.04) - eps);
      const diff = maxRelDiff(g.f, beyond.f);
      assert.ok(diff < prevDiff && g.dmax < prevD, `jump shrinks (eps ${eps}: features ${diff}, derivatives ${g.dmax})`);
      prevDiff = diff;
      prevD = g.dmax;
    }
    assert.ok(prevDiff < 1e-6 && prevD < 1e-3, `continuous at r_c: features ${prevDiff}, derivatives ${prevD}`);
  }
});

test('body-order B1 reproduces a pair function in the span of the radial basis exactly', () => {
  const d = new BodyOrderDescriptor({ species: [O, SI], cutoff: 4.5, rMin: 0.8, nMax: 5, maxBodyOrder: 2 });
  assert.equal(d.size, 10);
  // phi(r) = f_c(r) p(x(r)), p of degree 4 < nMax: sum_j phi(r_ij) over Si neighbours = sum_n c_n B1[Si, n]
  const poly = [0.3, 1.2, -0.7, 0.4, -0.25];
  const c = chebyshevCoefficients(poly);
  const s = descriptorTestStructures(d.species, d.cutoff, 21)[2]!.s;
  const f = feats(d, s);
  const nl = buildNeighborList(s, d.cutoff);
  const x = s.positions;
  for (let i = 0; i < s.length; i++) {
    let direct = 0;
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      const j = nl.neighbors[p]!;
      if (s.numbers[j] !== SI) continue;
      let r2 = 0;
      for (let a = 0; a < 3; a++) r2 += (x[3 * j + a]! + nl.shifts[3 * p + a]! - x[3 * i + a]!) ** 2;
      const r = Math.sqrt(r2);
      const xs = d.radial.x(r);
      direct += cutoffValue(d.cutoffFunction, r, d.cutoff) * poly.reduce((acc, a, k) => acc + a * xs ** k, 0);
    }
    let lin = 0;
    for (let n = 0; n < 5; n++) lin += c[n]! * f[i * d.size + 5 + n]!; // Si channel is the second (species sorted)
    assert.ok(Math.abs(lin - direct) < 1e-12 * Math.max(1, Math.abs(direct)), `atom ${i}: ${lin} vs ${direct}`);
  }
});

/** Central Si atom with neighbours at the given unit-circle angles (radius r) in the xy plane. */
function planar(angles: readonly number[], r = 2.2, tilt: readonly number[] = []): Structure {
  const pos = [0, 0, 0];
  angles.forEach((t, k) => pos.push(r * Math.cos(t), r * Math.sin(t), tilt[k] ?? 0));
  return new Structure({ numbers: new Array(angles.length + 1).fill(SI), positions: pos });
}

function byOrder(d: BodyOrderDescriptor, f: Float64Array, order: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < d.size; k++) if (d.bodyOrder(k) === order) out.push(f[k]!);
  return out;
}

function maxAbs(a: number[], b: number[]): number {
  return Math.max(...a.map((v, k) => Math.abs(v - b[k]!) / Math.max(1, Math.abs(v))));
}

test('body-order B2 separates environments with identical distances but different angles', () => {
  const d = new BodyOrderDescriptor({ species: [SI], cutoff: 4, nMax: 4, maxBodyOrder: 3, nMax3: 3, lMax3: 3 });
  const a = feats(d, planar([0, 2, 4])).slice(0, d.size);
  const b = feats(d, planar([0, 1, 2.5])).slice(0, d.size);
  assert.ok(maxAbs(byOrder(d, a, 2), byOrder(d, b, 2)) < 1e-13, 'same distances: same B1');
  assert.ok(maxAbs(byOrder(d, a, 3), byOrder(d, b, 3)) > 1e-3, 'different angles: different B2');
});

test('body-order B3 separates a homometric pair that B1 and B2 cannot', () => {
  // Neighbours on the regular octagon at {0,1,2,5} and {0,1,3,4} (x 2 pi/8): both sets have the
  // same multiset of pairwise angles {1,1,2,3,3,4} x 45 deg and equal distances, so every
  // sum_{j,k} R R cos^l theta_jk (B2) agrees, but the sets are not congruent.
  const d = new BodyOrderDescriptor({ species: [SI], cutoff: 4, nMax: 4, nMax3: 3, lMax3: 3, nMax4: 2, lMax4: 3 });
  const w = (2 * Math.PI) / 8;
  const a = feats(d, planar([0, 1, 2, 5].map((k) => k * w))).slice(0, d.size);
  const b = feats(d, planar([0, 1, 3, 4].map((k) => k * w))).slice(0, d.size);
  assert.ok(maxAbs(byOrder(d, a, 2), byOrder(d, b, 2)) < 1e-12, 'B1 equal');
  assert.ok(maxAbs(byOrder(d, a, 3), byOrder(d, b, 3)) < 1e-12, 'B2 equal');
  assert.ok(maxAbs(byOrder(d, a, 4), byOrder(d, b, 4)) > 1e-3, `B3 differ: ${maxAbs(byOrder(d, a, 4), byOrder(d, b, 4))}`);
});

test('body-order: sizes follow the hyper-parameters, the basis is nested, JSON round trip is exact', () => {
  const small = new BodyOrderDescriptor({ species: [SI], cutoff: 5, nMax: 4, nMax3: 2, lMax3: 1, nMax4: 2, lMax4: 2 });
  // B1: 4; B2: (lMax3+1) K(K+1)/2 = 2 * 3; B3 (K=2): 000: 4, 0ll (l=1,2): 2 * 2 * 3, 112: 3 * 2, 222: 4
  assert.deepEqual(small.counts, [4, 6, 4 + 12 + 6 + 4]);
  const big = new BodyOrderDescriptor({ species: [SI], cutoff: 5, nMax: 4, nMax3: 2, lMax3: 1, nMax4: 2, lMax4: 3 });
  const s = rattle(supercell(bulk('Si', 'diamond', { a: 5.43, cubic: true }), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), 0.1, new Rng(3));
  const fs = feats(small, s), fb = feats(big, s);
  const labelsBig = Array.from({ length: big.size }, (_, k) => big.featureLabel(k));
  for (let k = 0; k < small.size; k++) {
    const kb = labelsBig.indexOf(small.featureLabel(k));
    assert.ok(kb >= 0, `feature ${small.featureLabel(k)} kept`);
    assert.equal(fb[kb], fs[k]);
  }
  for (const d of [...testDescriptors(), small, new BodyOrderDescriptor({ species: [O, H], cutoff: 4, maxBodyOrder: 2 })]) {
    const d2 = descriptorFromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    assert.equal(d2.size, d.size);
    const t = descriptorTestStructures(d.species, d.cutoff, 2)[1]!.s;
    assert.deepEqual(feats(d2, t), feats(d, t));
  }
  assert.throws(() => descriptorFromJSON({ type: 'soap', version: 1 }), /unknown descriptor type "soap"/);
});

test('body-order: unknown elements and bad hyper-parameters are ParameterErrors naming the cause', () => {
  const d = new BodyOrderDescriptor({ species: [SI], cutoff: 4 });
  const s = Structure.fromSymbols(['Si', 'Ge'], [[0, 0, 0], [2.3, 0, 0]]);
  assert.throws(() => d.compute(s, buildNeighborList(s, 4), new Float64Array(2 * d.size)), (e: unknown) => e instanceof ParameterError && /atom 1 is Ge/.test((e as Error).message));
  assert.throws(() => new BodyOrderDescriptor({ species: [SI], cutoff: 4, lMax4: 4 }), /lMax4 must be an integer in \[0, 3\]/);
  assert.throws(() => new BodyOrderDescriptor({ species: [SI], cutoff: 4, maxBodyOrder: 5 }), ParameterError);
});

test('featurisation speed on the mlearn Si training set (printed, not asserted)', () => {
  const file = cwdPath('../shared/data/mlearn/Si/training.json');
  const frames = fileExists(file)
    ? readMlearnJson(readText(file))
    : Array.from({ length: 50 }, (_, k) => rattle(supercell(bulk('Si', 'diamond', { a: 5.43, cubic: true }), [[2, 0, 0], [0, 2, 0], [0, 0, 2]]), 0.1, new Rng(k)));
  const rc = 5;
  const nls = frames.map((s) => buildNeighborList(s, rc));
  let atoms = 0, pairs = 0, maxN = 0, maxP = 0;
  frames.forEach((s, f) => { atoms += s.length; pairs += pairCount(nls[f]!); maxN = Math.max(maxN, s.length); maxP = Math.max(maxP, pairCount(nls[f]!)); });
  const lines = [`${fileExists(file) ? 'mlearn Si' : 'synthetic Si'}: ${frames.length} frames, ${atoms} atoms, ${(pairs / atoms).toFixed(1)} neighbours/atom within ${rc} Å`];
  for (const d of [new BodyOrderDescriptor({ species: [SI], cutoff: rc }), ACSF.standard({ species: [SI], cutoff: rc })]) {
    const out = { features: new Float64Array(maxN * d.size), derivatives: new Float64Array(maxP * 3 * d.size) };
    let t0 = performance.now();
    frames.forEach((s, f) => d.compute(s, nls[f]!, out.features));
    const tf = (performance.now() - t0) / 1000;
    t0 = performance.now();
    frames.forEach((s, f) => d.computeWithDerivatives(s, nls[f]!, out));
    const td = (performance.now() - t0) / 1000;
    lines.push(`${d.name} (${d.size} features): features ${tf.toFixed(2)} s (${Math.round(atoms / tf)} atoms/s), with derivatives ${td.toFixed(2)} s (${Math.round(atoms / td)} atoms/s)`);
  }
  console.log(lines.join('\n'));
});



test('body-order computeGradient equals the per-feature derivatives contracted with per-atom weights (every contraction kind, skin)', () => {
  const ds = [
    ...testDescriptors(),
    new BodyOrderDescriptor({ species: [SI, 32], cutoff: 4.6, nMax: 5, nMax3: 4, lMax3: 3, nMax4: 3, lMax4: 3 }),
    new BodyOrderDescriptor({ species: [SI], cutoff: 4.6, nMax: 3, nMax3: 5, lMax3: 1, nMax4: 4, lMax4: 2 }),
    new BodyOrderDescriptor({ species: [SI], cutoff: 4.6, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 }),
    new BodyOrderDescriptor({ species: [SI], cutoff: 4.6, maxBodyOrder: 2, nMax: 6 }),
  ];
  const rng = new Rng(3);
  for (const d of ds) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 9)) {
      const nl = buildNeighborList(s, d.cutoff, { skin: 0.7 });
      const n = s.length, size = d.size;
      // per-atom weights (N x size) and, separately, species rows with an index
      const w = new Float64Array(n * size).map(() => rng.normal());
      const ref = contractedGradientReference(d, s, nl, w);
      const g = new Float64Array(3 * pairCount(nl)).fill(NaN), e = new Float64Array(n), f = new Float64Array(n * size);
      d.computeGradient(s, nl, { weights: w }, { pairGradients: g, energies: e, features: f });
      assert.ok(maxScaledDiff(ref.f, f) < 1e-13, `${label}: features differ by ${maxScaledDiff(ref.f, f)}`);
      const fOnly = new Float64Array(n * size);
      d.compute(s, nl, fOnly);
      assert.ok(maxScaledDiff(ref.f, fOnly) < 1e-13, `${label}: compute() features differ by ${maxScaledDiff(ref.f, fOnly)}`);
      assert.ok(maxScaledDiff(ref.e, e) < 1e-12, `${label}: energies differ by ${maxScaledDiff(ref.e, e)}`);
      assert.ok(maxScaledDiff(ref.g, g) < 1e-12, `${label}: pair gradients differ by ${maxScaledDiff(ref.g, g)} (${d.featureLabel(size - 1)})`);
      const ns = d.species.length;
      const wz = new Float64Array(ns * size).map(() => rng.normal());
      const rows = Int32Array.from(s.numbers, (z) => d.species.indexOf(z));
      const ref2 = contractedGradientReference(d, s, nl, wz, rows);
      d.computeGradient(s, nl, { weights: wz, rows }, { pairGradients: g });
      assert.ok(maxScaledDiff(ref2.g, g) < 1e-12, `${label}: species-row pair gradients differ by ${maxScaledDiff(ref2.g, g)}`);
    }
  }
});

test('body-order computeGradient rejects short buffers and out-of-range weight rows', () => {
  const d = testDescriptors()[1]!;
  const s = descriptorTestStructures(d.species, d.cutoff, 4)[1]!.s;
  const nl = buildNeighborList(s, d.cutoff);
  const np = pairCount(nl);
  assert.throws(() => d.computeGradient(s, nl, { weights: new Float64Array(d.size) }, { pairGradients: new Float64Array(3 * np) }), /rows/);
  assert.throws(() => d.computeGradient(s, nl, { weights: new Float64Array(s.length * d.size) }, { pairGradients: new Float64Array(3 * np - 1) }), /pairGradients/);
  assert.throws(() => d.computeGradient(s, nl, { weights: new Float64Array(d.size), rows: new Int32Array(s.length).fill(1) }, { pairGradients: new Float64Array(3 * np) }), /outside/);
});
