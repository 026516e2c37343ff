import { test, assert } from '../node/test-support.js';
import { AceDescriptor, type AceOptions } from './ace.js';
import { RealSphericalHarmonics, gaunt, gauntAllowed, shCount } from './spherical.js';
import { checkDescriptorDerivatives, descriptorTestStructures, contractedGradientReference, maxScaledDiff, pairTotals } from './check.js';
import { descriptorFromJSON } from './registry.js';
import { POLYNOMIAL_CUTOFF } from './cutoff.js';
import { BodyOrderDescriptor } from './body-order.js';
import type { Descriptor } from './descriptor.js';
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount } from '../neighbors/neighbor-list.js';
import { Structure, floatArray } from '../structure/structure.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { randomStructure } from '../structure/random.js';
import { lstsqQR } from '../core/linalg.js';
import { symbolOf } from '../core/elements.js';
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import { ParameterError } from '../core/errors.js';
import { StillingerWeber } from '../potentials/sw.js';
import type { Potential } from '../potentials/potential.js';
import { runConformance } from '../potentials/conformance.js';
import { fitLinear } from '../training/linear-fit.js';

const H = 1, O = 8, SI = 14, GE = 32;
const AGNESI = { kind: 'agnesi', r0: 2.35, p: 2, q: 4 } as const;

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


/**
 * Two test descriptors: three elements up to body order 5 (every coupling kind, all l up to 3), and
 * one element with a polynomial cutoff, an Agnesi distance transform and a total-degree selection.
 */
function testDescriptors(): AceDescriptor[] {
  return [
    new AceDescriptor({ species: [H, O, SI], cutoff: 4, maxBodyOrder: 5, nMax: [4, 2, 2, 1], lMax: [3, 2, 2] }),
    new AceDescriptor({ species: [SI], cutoff: 4.5, rMin: 0.5, cutoffFunction: POLYNOMIAL_CUTOFF, radialTransform: AGNESI, maxBodyOrder: 5, nMax: [6, 4, 3, 2], lMax: [4, 3, 2], degree: [6, 12, 11, 9], lWeight: 1.25, lIntMax: 2 }),
  ];
}

/** Feature slots parsed from the label, e.g. "nu3 [Si n0 l2, Si n1 l2, O n0 l0]" -> [[z index, n, l], ...]. */
function slotsOf(d: AceDescriptor, k: number): [number, number, number][] {
  const m = /^nu(\d) \[(.*)\]$/.exec(d.featureLabel(k));
  assert.ok(m, d.featureLabel(k));
  const syms = d.species.map((z) => symbolOf(z));
  return m[2]!.split(', ').map((t) => {
    const p = /^(\w+) n(\d+) l(\d+)$/.exec(t)!;
    return [syms.indexOf(p[1]!), Number(p[2]), Number(p[3])];
  });
}

/**
 * Reference features straight from the module comment's definitions, atom by atom: the atomic base
 * A[z,n,lm] = sum_j R_n(r_ij) Y_lm(u_ij), then each coupling written out over dense Gaunt tables. The
 * intermediate L of a 5-body feature is not in its label: features with equal slots come in
 * increasing L, so L is taken in that order. 3-body features are further checked against the
 * addition theorem, sum_m Y_lm(u) Y_lm(v) = (2l + 1)/(4 pi) P_l(u . v), which does not use Y at all.
 */
function referenceFeatures(d: AceDescriptor, s: Structure): Float64Array {
  const nl = buildNeighborList(s, d.cutoff);
  const L = Math.max(0, ...d.lMax), nR = Math.max(...d.nMax), nLM = shCount(L), ns = d.species.length;
  const sh = new RealSphericalHarmonics(L);
  const R = new Float64Array(nR), dR = new Float64Array(nR), Y = new Float64Array(nLM);
  const out = new Float64Array(s.length * d.size);
  const x = s.positions;
  const slots = Array.from({ length: d.size }, (_, k) => slotsOf(d, k));
  const G = (l1: number, l2: number, l3: number): ((a: number, b: number, c: number) => number) => {
    const g = gaunt(l1, l2, l3), D = new Map<number, number>();
    for (let e = 0; e < g.c.length; e++) D.set((g.m1[e]! * 64 + g.m2[e]!) * 64 + g.m3[e]!, g.c[e]!);
    return (a, b, c) => D.get(((a + l1) * 64 + b + l2) * 64 + c + l3) ?? 0;
  };
  for (let i = 0; i < s.length; i++) {
    const A = new Float64Array(ns * nR * nLM);
    const nbrs: { z: number; r: number; u: number[]; R: Float64Array }[] = [];
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      const j = nl.neighbors[p]!;
      const dv = [0, 1, 2].map((a) => x[3 * j + a]! + nl.shifts[3 * p + a]! - x[3 * i + a]!);
      const r = Math.hypot(dv[0]!, dv[1]!, dv[2]!);
      if (r >= d.cutoff) continue;
      const u = dv.map((v) => v / r), z = d.species.indexOf(s.numbers[j]!);
      d.radial.evaluate(r, R, dR, 0);
      sh.evaluate(u[0]!, u[1]!, u[2]!, r, L, Y, 0, null);
      for (let n = 0; n < nR; n++) for (let lm = 0; lm < nLM; lm++) A[(z * nR + n) * nLM + lm] += R[n]! * Y[lm]!;
      nbrs.push({ z, r, u, R: R.slice() });
    }
    const a = (t: [number, number, number], m: number) => A[(t[0] * nR + t[1]) * nLM + t[2] * t[2] + t[2] + m]!;
    let prevLabel = '', Lnext = 0;
    for (let k = 0; k < d.size; k++) {
      const t = slots[k]!;
      let f = 0;
      if (t.length === 1) {
        f = a(t[0]!, 0);
      } else if (t.length === 2) {
        const [t1, t2] = t as [[number, number, number], [number, number, number]];
        const l = t1[2];
        for (let m = -l; m <= l; m++) f += a(t1, m) * a(t2, m);
        // addition theorem: sum_{j in z1, k in z2} R_n1(r_j) R_n2(r_k) (2l+1)/(4 pi) P_l(u_j . u_k)
        let direct = 0;
        for (const p of nbrs) for (const q of nbrs) {
          if (p.z !== t1[0] || q.z !== t2[0]) continue;
          const c = p.u[0]! * q.u[0]! + p.u[1]! * q.u[1]! + p.u[2]! * q.u[2]!;
          let P0 = 1, P1 = c;
          for (let ll = 2; ll <= l; ll++) [P0, P1] = [P1, ((2 * ll - 1) * c * P1 - (ll - 1) * P0) / ll];
          direct += p.R[t1[1]]! * q.R[t2[1]]! * ((2 * l + 1) / (4 * Math.PI)) * (l === 0 ? 1 : P1);
        }
        assert.ok(Math.abs(f - direct) < 1e-12 * Math.max(1, Math.abs(direct)), `${d.featureLabel(k)}: sum_m A A = ${f}, addition theorem ${direct}`);
      } else if (t.length === 3) {
        const g = G(t[0]![2], t[1]![2], t[2]![2]);
        const [l1, l2, l3] = [t[0]![2], t[1]![2], t[2]![2]];
        for (let m1 = -l1; m1 <= l1; m1++) for (let m2 = -l2; m2 <= l2; m2++) for (let m3 = -l3; m3 <= l3; m3++) f += g(m1, m2, m3) * a(t[0]!, m1) * a(t[1]!, m2) * a(t[2]!, m3);
      } else {
        const [l1, l2, l3, l4] = t.map((v) => v[2]) as [number, number, number, number];
        const label = d.featureLabel(k);
        if (label !== prevLabel) Lnext = Math.max(Math.abs(l1 - l2), Math.abs(l3 - l4));
        while (!(gauntAllowed(l1, l2, Lnext) && gauntAllowed(l3, l4, Lnext))) Lnext++;
        const LL = Lnext++;
        prevLabel = label;
        assert.ok(LL <= Math.min(l1 + l2, l3 + l4), `${label}: more features than intermediate L`);
        const g12 = G(l1, l2, LL), g34 = G(l3, l4, LL);
        for (let M = -LL; M <= LL; M++) {
          let U = 0, V = 0;
          for (let m1 = -l1; m1 <= l1; m1++) for (let m2 = -l2; m2 <= l2; m2++) U += g12(m1, m2, M) * a(t[0]!, m1) * a(t[1]!, m2);
          for (let m3 = -l3; m3 <= l3; m3++) for (let m4 = -l4; m4 <= l4; m4++) V += g34(m3, m4, M) * a(t[2]!, m3) * a(t[3]!, m4);
          f += U * V;
        }
      }
      out[i * d.size + k] = f;
    }
  }
  return out;
}

test('ace features equal the module-comment definitions evaluated directly (and the power spectrum the addition theorem)', () => {
  for (const d of testDescriptors()) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 3).slice(0, 2)) {
      const f = feats(d, s), ref = referenceFeatures(d, s);
      assert.ok(maxScaledDiff(ref, f) < 1e-12, `${label}: features differ from the direct evaluation by ${maxScaledDiff(ref, f)}`);
      for (let b = 2; b <= 5; b++) assert.ok(f.some((v, q) => d.bodyOrder(q % d.size) === b && Math.abs(v) > 1e-3), `${label}: body order ${b} features vanish`);
    }
  }
});

/**
 * descriptorTestStructures, except that in a cell where every atom is the only one of its element
 * (the 3-atom small cell can draw one H, one O, one Si), atom 0 takes atom 1's element. In such a
 * cell A[own element, odd l] of each atom sums its own images in +-pairs and cancels to roundoff, so
 * every feature with an odd-l slot of each atom's own element is zero everywhere together with its
 * derivative, and the checker's per-feature relative error compares roundoff with roundoff.
 */
function fdStructures(d: AceDescriptor, seed: number): { label: string; s: Structure }[] {
  return descriptorTestStructures(d.species, d.cutoff, seed).map(({ label, s }) => {
    if (d.species.length === 1 || new Set(s.numbers).size < s.length) return { label, s };
    const t = s.clone();
    t.numbers[0] = t.numbers[1]!;
    return { label: `${label}, atoms 0 and 1 of one element`, s: t };
  });
}

test('ace derivatives equal finite differences incl. virial (open, orthorhombic, triclinic, small cell, skin)', () => {
  for (const d of testDescriptors()) {
    for (const { label, s } of fdStructures(d, 11)) {
      for (const skin of [0, 0.6]) {
        const r = checkDescriptorDerivatives(d, s, { h: 1e-5, tol: 1e-7, skin });
        assert.ok(r.maxDerivative > 1e-3, `${label}: derivatives vanish`);
        assert.ok(r.ok, `${label} skin ${skin}: rel error ${r.maxRelError} (virial ${r.virialMaxRelError}) at ${d.featureLabel(r.worst.feature)} ${JSON.stringify(r.worst)}`);
      }
    }
  }
});

/** Rigid motion x -> R x + t (R may be improper). */
function transformed(s: Structure, R: ArrayLike<number>, t: readonly number[]): Structure {
  const out = s.clone();
  for (let i = 0; i < s.length; i++) {
    for (let a = 0; a < 3; a++) {
      let v = t[a]!;
      for (let b = 0; b < 3; b++) v += R[3 * a + b]! * s.positions[3 * i + b]!;
      out.positions[3 * i + a] = v;
    }
  }
  return out;
}

test('ace features are invariant under rotation, translation, inversion (O(3)) and permutation', () => {
  for (const d of testDescriptors()) {
    const s = descriptorTestStructures(d.species, d.cutoff, 5)[0]!.s;
    const f0 = feats(d, s);
    assert.ok(maxRelDiff(f0, feats(d, transformed(s, rotationMatrix([0.2, 0.9, -0.4], 2.3), [-3.1, 0.4, 1.7]))) < 1e-11, 'rotation + translation');
    const inv = [-1, 0, 0, 0, -1, 0, 0, 0, -1];
    assert.ok(maxRelDiff(f0, feats(d, transformed(s, inv, [0.5, 0, 0]))) < 1e-11, 'inversion');
    const mirror = [1, 0, 0, 0, 1, 0, 0, 0, -1];
    assert.ok(maxRelDiff(f0, feats(d, transformed(s, mirror, [0, 0, 0]))) < 1e-11, 'mirror (improper rotation)');
    // not vacuous: moving one atom changes the features
    const moved = s.clone();
    moved.positions[0] += 0.3;
    assert.ok(maxRelDiff(f0, feats(d, moved)) > 1e-4, 'features respond to a displacement');
    const perm = [6, 2, 0, 5, 1, 3, 4];
    const fp = feats(d, s.select(perm));
    for (let q = 0; q < perm.length; q++) {
      for (let k = 0; k < d.size; k++) {
        const a = f0[perm[q]! * d.size + k]!;
        assert.ok(Math.abs(fp[q * d.size + k]! - a) < 1e-11 * Math.max(1, Math.abs(a)), 'permutation');
      }
    }
    // periodic: translation, and inversion of the positions (a lattice is centrosymmetric)
    const t = descriptorTestStructures(d.species, d.cutoff, 5)[2]!.s;
    const ft = feats(d, t);
    const tt = t.clone();
    for (let k = 0; k < tt.positions.length; k++) tt.positions[k] += 0.41 * ((k % 3) + 1);
    assert.ok(maxRelDiff(ft, feats(d, tt)) < 1e-11, 'periodic translation');
    const ti = t.clone();
    for (let k = 0; k < ti.positions.length; k++) ti.positions[k] = -ti.positions[k]!;
    assert.ok(maxRelDiff(ft, feats(d, ti)) < 1e-11, 'periodic inversion');
    assert.ok(maxRelDiff(ft, feats(d, t, 1.1)) < 1e-14, 'skin');
  }
});

test('ace features and derivatives go smoothly to zero as a neighbour crosses the cutoff', () => {
  for (const d of testDescriptors()) {
    const rc = d.cutoff, z = d.species;
    const at = (x: number) => new Structure({ numbers: [z[0]!, z[z.length - 1]!, z[0]!, z[z.length - 1]!], positions: [0, 0, 0, 0.3, 1.9, 0, x, 0, 0.2, -1.1, 0.4, 1.8] });
    const grab = (x: number) => {
      const s = at(x);
      const nl = buildNeighborList(s, rc, { skin: 1 });
      const out = { features: new Float64Array(s.length * d.size), derivatives: new Float64Array(pairCount(nl) * 3 * d.size) };
      d.computeWithDerivatives(s, nl, out);
      let dmax = 0;
      for (let p = nl.offsets[0]!; p < nl.offsets[1]!; p++) if (nl.neighbors[p] === 2) for (let q = 0; q < 3 * d.size; q++) dmax = Math.max(dmax, Math.abs(out.derivatives[p * 3 * d.size + q]!));
      return { f: out.features.slice(0, d.size), dmax };
    };
    const edge = Math.sqrt(rc * rc - 0.04);
    const beyond = grab(edge + 0.01);
    assert.equal(beyond.dmax, 0, 'pairs in the skin have zero derivative');
    let prevDiff = Infinity, prevD = Infinity;
    for (const eps of [1e-1, 1e-2, 1e-3, 1e-4]) {
      const g = grab(edge - eps);
      const diff = maxRelDiff(g.f, beyond.f);
      assert.ok(diff < prevDiff && g.dmax < prevD, `jump shrinks (eps ${eps}: features ${diff}, derivatives ${g.dmax})`);
      prevDiff = diff;
      prevD = g.dmax;
    }
    assert.ok(prevDiff < 1e-6 && prevD < 1e-3, `continuous at r_c: features ${prevDiff}, derivatives ${prevD}`);
  }
});


test('ace computeGradient equals the per-feature derivatives contracted with per-atom weights and species rows (every body order, skin)', () => {
  const ds = [
    ...testDescriptors(),
    new AceDescriptor({ species: [SI, GE], cutoff: 4.6, maxBodyOrder: 4, nMax: [5, 3, 2], lMax: [3, 3] }),
    new AceDescriptor({ species: [SI], cutoff: 4.6, maxBodyOrder: 3, nMax: [6, 4], lMax: [5] }),
    new AceDescriptor({ species: [SI], cutoff: 4.6, maxBodyOrder: 2, nMax: [6] }),
  ];
  const rng = new Rng(3);
  for (const d of ds) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 9)) {
      const nl = buildNeighborList(s, d.cutoff, { skin: 0.7 });
      const n = s.length, size = d.size;
      const w = new Float64Array(n * size).map(() => rng.normal());
      const ref = contractedGradientReference(d, s, nl, w);
      const g = new Float64Array(3 * pairCount(nl)).fill(NaN), e = new Float64Array(n).fill(NaN), f = new Float64Array(n * size).fill(NaN);
      d.computeGradient(s, nl, { weights: w }, { pairGradients: g, energies: e, features: f });
      assert.ok(maxScaledDiff(ref.f, f) < 1e-13, `${label}: features differ by ${maxScaledDiff(ref.f, f)}`);
      const fOnly = new Float64Array(n * size);
      d.compute(s, nl, fOnly);
      assert.ok(maxScaledDiff(ref.f, fOnly) < 1e-13, `${label}: compute() features differ by ${maxScaledDiff(ref.f, fOnly)}`);
      assert.ok(maxScaledDiff(ref.e, e) < 1e-12, `${label}: energies differ by ${maxScaledDiff(ref.e, e)}`);
      const tr = pairTotals(nl, ref.g), tg = pairTotals(nl, g);
      assert.ok(maxScaledDiff(tr, tg) < 1e-12, `${label}: pair-gradient totals differ by ${maxScaledDiff(tr, tg)} (max body order ${d.maxBodyOrder})`);
      const ns = d.species.length;
      const wz = new Float64Array(ns * size).map(() => rng.normal());
      const rows = Int32Array.from(s.numbers, (z) => d.species.indexOf(z));
      const ref2 = contractedGradientReference(d, s, nl, wz, rows);
      g.fill(NaN);
      d.computeGradient(s, nl, { weights: wz, rows }, { pairGradients: g, energies: e });
      const tr2 = pairTotals(nl, ref2.g), tg2 = pairTotals(nl, g);
      assert.ok(maxScaledDiff(tr2, tg2) < 1e-12, `${label}: species-row pair-gradient totals differ by ${maxScaledDiff(tr2, tg2)}`);
      assert.ok(maxScaledDiff(ref2.e, e) < 1e-12, `${label}: species-row energies differ by ${maxScaledDiff(ref2.e, e)}`);
    }
  }
});

test('ace computeGradient and compute reject short buffers and out-of-range weight rows', () => {
  const d = testDescriptors()[1]!;
  const s = descriptorTestStructures(d.species, d.cutoff, 4)[1]!.s;
  const nl = buildNeighborList(s, d.cutoff);
  const np = pairCount(nl), n = s.length;
  const wAll = new Float64Array(n * d.size);
  assert.throws(() => d.computeGradient(s, nl, { weights: new Float64Array(d.size) }, { pairGradients: new Float64Array(3 * np) }), /rows/);
  assert.throws(() => d.computeGradient(s, nl, { weights: wAll }, { pairGradients: new Float64Array(3 * np - 1) }), /pairGradients/);
  assert.throws(() => d.computeGradient(s, nl, { weights: wAll }, { pairGradients: new Float64Array(3 * np), energies: new Float64Array(n - 1) }), /energies/);
  assert.throws(() => d.computeGradient(s, nl, { weights: wAll }, { pairGradients: new Float64Array(3 * np), features: new Float64Array(n * d.size - 1) }), /features/);
  assert.throws(() => d.computeGradient(s, nl, { weights: new Float64Array(d.size), rows: new Int32Array(n).fill(1) }, { pairGradients: new Float64Array(3 * np) }), /outside/);
  assert.throws(() => d.compute(s, nl, new Float64Array(n * d.size - 1)), /features/);
  assert.throws(() => d.computeWithDerivatives(s, nl, { features: new Float64Array(n * d.size), derivatives: new Float64Array(3 * np * d.size - 1) }), /derivatives/);
});

test('ace JSON round trip through descriptorFromJSON gives the same descriptor and bit-identical features', () => {
  for (const d of [...testDescriptors(), new AceDescriptor({ species: [O, H], cutoff: 4, maxBodyOrder: 2, nMax: [5] })]) {
    const json = JSON.parse(JSON.stringify(d.toJSON())) as { [k: string]: unknown; type: string; version: number };
    assert.equal(json.type, 'ace');
    const d2 = descriptorFromJSON(json);
    assert.ok(d2 instanceof AceDescriptor);
    assert.equal(d2.size, d.size);
    assert.deepEqual(d2.counts, d.counts);
    assert.deepEqual(d2.toJSON(), d.toJSON());
    const t = descriptorTestStructures(d.species, d.cutoff, 2)[1]!.s;
    assert.deepEqual(feats(d2, t), feats(d, t));
  }
  const good = testDescriptors()[1]!.toJSON();
  assert.deepEqual(good['radialTransform'], AGNESI);
  assert.deepEqual(good['degree'], [6, 12, 11, 9]);
  assert.throws(() => descriptorFromJSON({ ...good, version: 2 }), (e: unknown) => e instanceof ParameterError && /version 2/.test((e as Error).message));
  assert.throws(() => descriptorFromJSON({ ...good, nMax: [6, 4] }), (e: unknown) => e instanceof ParameterError && /nMax/.test((e as Error).message));
});

/** Position of each feature of `small` in `big`, matched by label and, for equal labels (5-body, several L), by order. */
function embedding(small: AceDescriptor, big: AceDescriptor): number[] {
  const where = new Map<string, number[]>();
  for (let k = 0; k < big.size; k++) {
    const l = big.featureLabel(k);
    where.set(l, [...(where.get(l) ?? []), k]);
  }
  const used = new Map<string, number>();
  return Array.from({ length: small.size }, (_, k) => {
    const l = small.featureLabel(k), u = used.get(l) ?? 0;
    used.set(l, u + 1);
    const ks = where.get(l);
    assert.ok(ks && u < ks.length, `feature ${l} (#${u}) kept in the larger basis`);
    return ks[u]!;
  });
}

test('ace basis is nested: raising nMax, lMax, maxBodyOrder or the degree only adds features; lIntMax keeps the 5-body terms with L <= lIntMax', () => {
  const base: AceOptions = { species: [SI, GE], cutoff: 4.5, maxBodyOrder: 5, nMax: [4, 3, 2, 1], lMax: [2, 2, 1] };
  const small = new AceDescriptor(base);
  const bigger: AceOptions[] = [
    { ...base, nMax: [6, 3, 2, 1] },
    { ...base, nMax: [4, 4, 3, 2] },
    { ...base, lMax: [4, 2, 1] },
    { ...base, lMax: [2, 3, 3] },
  ];
  const s = rattle(supercell(bulk('Si', 'diamond', { a: 5.43, cubic: true }), [1, 1, 1]), 0.1, new Rng(3));
  s.numbers[1] = GE;
  s.numbers[6] = GE;
  const fs = feats(small, s);
  const check = (lo: AceDescriptor, hi: AceDescriptor, flo: Float64Array, what: string) => {
    assert.ok(hi.size > lo.size, `${what}: ${hi.size} > ${lo.size}`);
    lo.counts.forEach((c, b) => assert.ok(hi.counts[b]! >= c, `${what}: body order ${b + 2} count ${hi.counts[b]} >= ${c}`));
    const fh = feats(hi, s), map = embedding(lo, hi);
    assert.equal(new Set(map).size, lo.size);
    for (let i = 0; i < s.length; i++) {
      for (let k = 0; k < lo.size; k++) {
        const a = flo[i * lo.size + k]!, b = fh[i * hi.size + map[k]!]!;
        assert.ok(Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(a)), `${what}: ${lo.featureLabel(k)} ${a} vs ${b}`);
      }
    }
  };
  for (const o of bigger) check(small, new AceDescriptor(o), fs, JSON.stringify({ nMax: o.nMax, lMax: o.lMax }));
  // lower body orders are a prefix-free subset of the higher ones
  const bo4 = new AceDescriptor({ ...base, maxBodyOrder: 4, nMax: [4, 3, 2], lMax: [2, 2] });
  check(bo4, small, feats(bo4, s), 'maxBodyOrder 4 -> 5');
  assert.deepEqual(bo4.counts, small.counts.slice(0, 3));
  // the total-degree selection keeps exactly the features whose degree is within the bound
  const deg = [3, 5, 6, 6], lw = 1.5;
  const cut = new AceDescriptor({ ...base, degree: deg, lWeight: lw });
  check(cut, small, feats(cut, s), 'degree');
  let within = 0;
  for (let k = 0; k < small.size; k++) {
    const sum = slotsOf(small, k).reduce((acc, [, n, l]) => acc + n + 1 + lw * l, 0);
    if (sum <= deg[small.bodyOrder(k) - 2]! + 1e-9) within++;
  }
  assert.equal(cut.size, within);
  assert.ok(cut.size < small.size && cut.counts.every((c) => c > 0), `degree selection ${JSON.stringify(cut.counts)} of ${JSON.stringify(small.counts)}`);
  // the coupling bound keeps exactly the body-order-5 features with intermediate L <= lIntMax
  for (const lInt of [0, 1]) {
    const bound = new AceDescriptor({ ...base, lIntMax: lInt });
    check(bound, small, feats(bound, s), `lIntMax ${lInt}`);
    assert.deepEqual(bound.counts.slice(0, 3), small.counts.slice(0, 3));
    let kept = 0, maxL = 0;
    for (let k = 0; k < small.size; k++) {
      const L = small.couplingL(k);
      if (L !== null) maxL = Math.max(maxL, L);
      if (L === null || L <= lInt) kept++;
    }
    assert.equal(maxL, 2);
    assert.equal(bound.size, kept);
    for (let k = 0; k < bound.size; k++) assert.ok((bound.couplingL(k) ?? 0) <= lInt);
  }
});

test('ace: bad options and unknown elements are ParameterErrors naming the key or cause', () => {
  const ok: AceOptions = { species: [SI], cutoff: 4, maxBodyOrder: 4, nMax: [4, 3, 2], lMax: [2, 2] };
  const cases: [Partial<AceOptions>, RegExp][] = [
    [{ cutoff: 0 }, /cutoff must be a positive/],
    [{ maxBodyOrder: 6 }, /maxBodyOrder must be 2, 3, 4 or 5/],
    [{ nMax: [4, 3] }, /nMax \(body orders 2\.\.maxBodyOrder\) must be a list of 3/],
    [{ nMax: [4, 0, 2] }, /nMax .*entries must be integers in \[1, 64\]/],
    [{ lMax: [2] }, /lMax \(body orders 3\.\.maxBodyOrder\) must be a list of 2/],
    [{ lMax: [2, 21] }, /lMax .*entries must be integers in \[0, 20\]/],
    [{ degree: [5, 5] }, /degree must be a list of 3 positive numbers/],
    [{ degree: [5, -1, 5] }, /degree must be a list/],
    [{ degree: [0.5, 0.5, 0.5] }, /basis is empty/],
    [{ lWeight: -1 }, /lWeight must be a finite number >= 0/],
    [{ lIntMax: -1 }, /lIntMax must be an integer >= 0/],
    [{ lIntMax: 2 }, /lIntMax bounds the body-order-5 couplings; it needs maxBodyOrder 5/],
    [{ species: [] }, /species must be a non-empty list/],
    [{ radialTransform: { kind: 'agnesi', r0: 2, p: 4, q: 2 } }, /q must exceed p/],
  ];
  for (const [bad, re] of cases) {
    assert.throws(() => new AceDescriptor({ ...ok, ...bad }), (e: unknown) => e instanceof ParameterError && re.test((e as Error).message), `${JSON.stringify(bad)} should fail with ${re}`);
  }
  const { lMax: _omit, ...noL } = ok;
  assert.throws(() => new AceDescriptor(noL), /lMax/);
  assert.equal(new AceDescriptor({ ...noL, maxBodyOrder: 2, nMax: [4] }).size, 4); // a 2-body basis needs no lMax
  const d = new AceDescriptor(ok);
  const s = Structure.fromSymbols(['Si', 'Ge'], [[0, 0, 0], [2.3, 0, 0]]);
  assert.throws(() => d.compute(s, buildNeighborList(s, 4), new Float64Array(2 * d.size)), (e: unknown) => e instanceof ParameterError && /atom 1 is Ge/.test((e as Error).message));
});

test('ace to body order 3 with l <= 3 spans exactly the functions of the body-order (Cartesian moment) basis; l = 4 goes beyond', () => {
  // sum_m A_lm A'_lm = (2l+1)/(4 pi) sum_jk R R' P_l(cos theta_jk) and M_l . M'_l = sum_jk R R' cos^l theta_jk:
  // the same span for l <= 3 (P_l is a polynomial of degree l in cos theta), so each feature of one
  // basis is a fixed linear combination of the other's, over any set of atoms
  const sp = [SI, GE], rc = 4.2;
  const ace = new AceDescriptor({ species: sp, cutoff: rc, rMin: 1, maxBodyOrder: 3, nMax: [5, 3], lMax: [3] });
  const bo = new BodyOrderDescriptor({ species: sp, cutoff: rc, rMin: 1, maxBodyOrder: 3, nMax: 5, nMax3: 3, lMax3: 3 });
  const ace4 = new AceDescriptor({ species: sp, cutoff: rc, rMin: 1, maxBodyOrder: 3, nMax: [5, 3], lMax: [4] });
  const frames = Array.from({ length: 6 }, (_, seed) => randomStructure({ numbers: sp, n: 24, cell: [7, 0, 0, 0.5, 7, 0, 0, 0.3, 7], minDistance: 1.8, seed }));
  const matrix = (d: Descriptor): Float64Array => {
    const parts = frames.map((s) => feats(d, s));
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const m = frames.reduce((n, s) => n + s.length, 0);
  /** Largest relative least-squares residual of the columns of Y (m x ny) on the columns of X (m x nx). */
  const residual = (X: Float64Array, nx: number, Y: Float64Array, ny: number): number => {
    let worst = 0;
    for (let c = 0; c < ny; c++) {
      const b = new Float64Array(m);
      for (let i = 0; i < m; i++) b[i] = Y[i * ny + c]!;
      const norm = Math.hypot(...b);
      worst = Math.max(worst, lstsqQR(Float64Array.from(X), m, nx, b).residualNorm / norm);
    }
    return worst;
  };
  const XA = matrix(ace), XB = matrix(bo), X4 = matrix(ace4);
  assert.equal(ace.size, bo.size);
  assert.ok(residual(XA, ace.size, XB, bo.size) < 1e-10, `body-order features from ACE: ${residual(XA, ace.size, XB, bo.size)}`);
  assert.ok(residual(XB, bo.size, XA, ace.size) < 1e-10, `ACE features from body-order: ${residual(XB, bo.size, XA, ace.size)}`);
  assert.ok(residual(XB, bo.size, X4, ace4.size) > 1e-3, 'l = 4 power spectrum is outside the rank-3 Cartesian span');
});

/** SW labels under the REF_* keys the training code reads. */
function label(s: Structure, pot: Potential): Structure {
  const r = pot.compute(s, { forces: true, stress: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
  if (r.stress) s.info['REF_stress'] = Array.from(r.stress);
  return s;
}

test('SW-labelled silicon: a linear model on ACE features reproduces SW forces on held-out frames and conforms', () => {
  const sw = StillingerWeber.silicon();
  const rng = new Rng(11);
  const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 1, 1]);
  const make = (k: number): Structure => {
    let s = k % 3 === 0 ? perturbCell(base, 0.02, rng) : base.clone();
    s = rattle(s, 0.1, rng); // every 3rd frame strained (one rattle size: held-out frames stay inside the training range)
    return label(s, sw);
  };
  const train = Array.from({ length: 24 }, (_, k) => make(k));
  const held = Array.from({ length: 6 }, (_, k) => make(100 + k));
  // SW is 2 + 3-body with r_c = 3.77 Å: a 4-body ACE basis spans it closely
  const ace = new AceDescriptor({ species: [SI], cutoff: 3.8, rMin: 1.5, maxBodyOrder: 4, nMax: [8, 6, 3], lMax: [4, 2] });
  const { potential, report } = fitLinear(train, { descriptor: ace, weights: { energy: 1, forces: 1, stress: 0 }, lambdas: [1e-8, 1e-6, 1e-4], folds: 3, validation: held });
  const v = report.metrics.validation!;
  console.log(`ACE (${ace.size} features) on SW-Si: held-out force RMSE ${v.force_rmse!.toFixed(4)} eV/Å, MAE ${v.force_mae!.toFixed(4)}, energy RMSE ${(v.energy_rmse! * 1000).toFixed(2)} meV/atom, lambda ${report.lambda}, fit ${report.fitTimeS.toFixed(1)} s`);
  assert.equal(v.n_structures, 6);
  assert.ok(v.force_rmse! < 0.03, `held-out force RMSE ${v.force_rmse} eV/Å`); // measured 0.011
  // the fitted model's forces and stress (through ACE's contracted gradient) are its energy's derivatives
  for (const r of runConformance(potential, held[0]!, { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 3 })) {
    assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
  }
});
