import { test, assert } from '../node/test-support.js';
import { ACSF } from './acsf.js';
import { checkDescriptorDerivatives, descriptorTestStructures } from './check.js';
import { descriptorFromJSON } from './registry.js';
import { POLYNOMIAL_CUTOFF } from './cutoff.js';
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount } from '../neighbors/neighbor-list.js';
import { Structure } from '../structure/structure.js';
import { rotationMatrix } from '../core/mat3.js';
import { ParameterError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

const H = 1, O = 8, SI = 14;

function feats(d: ACSF, s: Structure, skin = 0): Float64Array {
  const out = new Float64Array(s.length * d.size);
  d.compute(s, buildNeighborList(s, d.cutoff, { skin }), out);
  return out;
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!) / Math.max(1, Math.abs(a[k]!)));
  return m;
}

/** Mixed G4/G5, both cutoff functions, zeta 1 and non-integer. */
function testDescriptors(): ACSF[] {
  const base = ACSF.standard({ species: [H, O, SI], cutoff: 4, nRadial: 3, nAngular: 2, zetas: [1, 2.5] });
  const mixed = new ACSF({
    species: [O, SI],
    cutoff: 4.2,
    cutoffFunction: POLYNOMIAL_CUTOFF,
    radial: [{ eta: 0.5, rs: 0 }, { eta: 2, rs: 2.5 }],
    angular: [
      { eta: 0.05, zeta: 1, lambda: 1, kind: 'G4' },
      { eta: 0.1, zeta: 3, lambda: -1, kind: 'G5' },
      { eta: 0.02, zeta: 2, lambda: 1, kind: 'G5' },
    ],
  });
  return [base, mixed];
}

test('acsf derivatives equal finite differences (open, orthorhombic, triclinic, small cell, skin)', () => {
  for (const d of testDescriptors()) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 3)) {
      for (const skin of [0, 0.7]) {
        const r = checkDescriptorDerivatives(d, s, { h: 1e-5, tol: 1e-7, skin });
        assert.ok(r.maxDerivative > 1e-3, `${label}: derivatives vanish`);
        assert.ok(r.ok, `${d.name} ${label} skin ${skin}: rel error ${r.maxRelError} (virial ${r.virialMaxRelError}) at ${JSON.stringify(r.worst)}`);
      }
    }
  }
});

test('acsf features are invariant under rotation, translation and permutation', () => {
  const d = testDescriptors()[0]!;
  const s = descriptorTestStructures(d.species, d.cutoff, 5)[0]!.s; // open cluster
  const f0 = feats(d, s);
  const R = rotationMatrix([0.3, -0.5, 0.8], 1.1);
  const rot = s.clone();
  for (let i = 0; i < s.length; i++) {
    for (let a = 0; a < 3; a++) {
      let v = 7.5;
      for (let b = 0; b < 3; b++) v += R[3 * a + b]! * s.positions[3 * i + b]!;
      rot.positions[3 * i + a] = v;
    }
  }
  assert.ok(maxDiff(f0, feats(d, rot)) < 1e-12, 'rotation + translation');
  const perm = [3, 0, 6, 1, 5, 2, 4];
  const ps = s.select(perm);
  const fp = feats(d, ps);
  for (let q = 0; q < perm.length; q++) {
    for (let k = 0; k < d.size; k++) assert.ok(Math.abs(fp[q * d.size + k]! - f0[perm[q]! * d.size + k]!) < 1e-12 * Math.max(1, Math.abs(f0[perm[q]! * d.size + k]!)), 'permutation');
  }
  // periodic: translation of all atoms, and a skin, change nothing
  const t = descriptorTestStructures(d.species, d.cutoff, 5)[2]!.s;
  const tt = t.clone();
  for (let k = 0; k < tt.positions.length; k++) tt.positions[k] += 0.37 * (k % 3 + 1);
  assert.ok(maxDiff(feats(d, t), feats(d, tt)) < 1e-12, 'periodic translation');
  assert.ok(maxDiff(feats(d, t), feats(d, t, 1.3)) < 1e-14, 'skin');
});

test('acsf features and derivatives go smoothly to zero as a neighbour crosses the cutoff', () => {
  for (const d of testDescriptors()) {
    const rc = d.cutoff;
    const z = d.species;
    // atom 0 at origin, 1 at 1.8 Å, 2 moving through the cutoff of atom 0 along x
    const at = (x: number) => new Structure({ numbers: [z[0]!, z[z.length - 1]!, z[0]!], positions: [0, 0, 0, 0, 1.8, 0, x, 0, 0] });
    const grab = (x: number) => {
      const s = at(x);
      const nl = buildNeighborList(s, rc, { skin: 1 });
      const out = { features: new Float64Array(3 * d.size), derivatives: new Float64Array(pairCount(nl) * 3 * d.size) };
      d.computeWithDerivatives(s, nl, out);
      let dmax = 0;
      for (let p = nl.offsets[0]!; p < nl.offsets[1]!; p++) if (nl.neighbors[p] === 2) for (let q = 0; q < 3 * d.size; q++) dmax = Math.max(dmax, Math.abs(out.derivatives[p * 3 * d.size + q]!));
      return { f: out.features.slice(0, d.size), dmax };
    };
    const beyond = grab(rc + 0.01).f;
    let prevDiff = Infinity, prevD = Infinity;
    for (const eps of [1e-1, 1e-2, 1e-3, 1e-4]) {
      const g = grab(rc - eps);
      const diff = maxDiff(g.f, beyond);
      assert.ok(diff < prevDiff, `feature jump shrinks as the neighbour approaches r_c (eps ${eps}: ${diff})`);
      assert.ok(g.dmax < prevD, `derivative shrinks as the neighbour approaches r_c (eps ${eps}: ${g.dmax})`);
      prevDiff = diff;
      prevD = g.dmax;
    }
    assert.ok(prevDiff < 1e-6, `features continuous at r_c: ${prevDiff}`);
    assert.ok(prevD < 1e-3, `derivatives vanish at r_c: ${prevD}`);
    assert.equal(grab(rc + 0.01).dmax, 0, 'pairs in the skin have zero derivative');
  }
});

test('acsf: toJSON / descriptorFromJSON round trip gives identical features', () => {
  for (const d of testDescriptors()) {
    const json = JSON.parse(JSON.stringify(d.toJSON()));
    const d2 = descriptorFromJSON(json);
    assert.equal(d2.size, d.size);
    const s = descriptorTestStructures(d.species, d.cutoff, 9)[2]!.s;
    const nl = buildNeighborList(s, d.cutoff);
    const a = new Float64Array(s.length * d.size), b = new Float64Array(s.length * d.size);
    d.compute(s, nl, a);
    d2.compute(s, nl, b);
    assert.deepEqual(b, a);
  }
});

test('acsf: unknown element in a structure is a ParameterError naming it', () => {
  const d = ACSF.standard({ species: [SI], cutoff: 4 });
  const s = Structure.fromSymbols(['Si', 'C'], [[0, 0, 0], [1.9, 0, 0]]);
  assert.throws(() => d.compute(s, buildNeighborList(s, 4), new Float64Array(2 * d.size)), (e: unknown) => e instanceof ParameterError && /atom 1 is C/.test((e as Error).message));
  assert.throws(() => new ACSF({ species: [SI], cutoff: 4, radial: [], angular: [{ eta: 1, zeta: 0.5, lambda: 1, kind: 'G4' }] }), ParameterError);
});

test('acsf: radial G2 of a dimer equals the formula', () => {
  const d = new ACSF({ species: [SI], cutoff: 5, radial: [{ eta: 0.7, rs: 1.5 }], angular: [] });
  const s = Structure.fromSymbols(['Si', 'Si'], [[0, 0, 0], [0, 2.3, 0]]);
  const f = feats(d, s);
  const want = Math.exp(-0.7 * 0.8 * 0.8) * 0.5 * (Math.cos((Math.PI * 2.3) / 5) + 1);
  assert.ok(Math.abs(f[0]! - want) < 1e-15 && Math.abs(f[1]! - want) < 1e-15);
});

test('ACSF computeGradient equals the per-pair derivatives contracted with per-atom weights (G4 and G5, skin, with and without features)', () => {
  const rng = new Rng(8);
  const ds = [
    ACSF.standard({ species: [14, 32], cutoff: 4.2, nRadial: 3, nAngular: 2 }),
    ACSF.standard({ species: [14], cutoff: 4.5, nRadial: 4, nAngular: 2, zetas: [1, 2.5], angularKind: 'G5' }),
    ACSF.standard({ species: [14], cutoff: 4.5, nRadial: 4, nAngular: 0 }),
  ];
  for (const d of ds) {
    for (const { label, s } of descriptorTestStructures(d.species, d.cutoff, 9)) {
      const nl = buildNeighborList(s, d.cutoff, { skin: 0.7 });
      const n = s.length, size = d.size, np = pairCount(nl);
      const w = new Float64Array(n * size).map(() => rng.normal());
      const f = new Float64Array(n * size), der = new Float64Array(np * 3 * size);
      d.computeWithDerivatives(s, nl, { features: f, derivatives: der });
      const gRef = new Float64Array(3 * np), eRef = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < size; k++) eRef[i] += w[i * size + k]! * f[i * size + k]!;
        for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) for (let a = 0; a < 3; a++) for (let k = 0; k < size; k++) gRef[3 * p + a] += w[i * size + k]! * der[(3 * p + a) * size + k]!;
      }
      const scale = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const diff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0) / scale(a);
      for (const withFeatures of [true, false]) {
        const g = new Float64Array(3 * np).fill(NaN), e = new Float64Array(n), f2 = new Float64Array(n * size);
        d.computeGradient(s, nl, { weights: w }, withFeatures ? { pairGradients: g, energies: e, features: f2 } : { pairGradients: g, energies: e });
        assert.ok(scale(gRef) > 0, `${label}: vacuous`);
        assert.ok(diff(gRef, g) < 1e-12, `${label}: pair gradients differ by ${diff(gRef, g)}`);
        assert.ok(diff(eRef, e) < 1e-12, `${label}: energies differ by ${diff(eRef, e)}`);
        if (withFeatures) assert.ok(diff(f, f2) < 1e-14, `${label}: features differ`);
      }
    }
  }
});
