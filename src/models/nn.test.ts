import { test, assert } from '../node/test-support.js';
import { ACTIVATIONS, MLP, NNPotential, pairAdjoint, pairForces, type Activation } from './nn.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { runConformance } from '../potentials/conformance.js';
import type { Potential } from '../potentials/potential.js';
import { randomStructure } from '../structure/random.js';
import { Rng } from '../core/rng.js';
import { buildNeighborList } from '../neighbors/build.js';
import { ParameterError, ValidationError } from '../core/errors.js';

const desc = new BodyOrderDescriptor({ species: [14, 32], cutoff: 4.2, maxBodyOrder: 3, nMax: 4, nMax3: 3, lMax3: 2 });

function randomVec(n: number, rng: Rng, sc = 1): Float64Array {
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) v[k] = sc * rng.normal();
  return v;
}

function randomModel(seed: number, activation: Activation = 'tanh', hidden = [8, 6]): NNPotential {
  const rng = new Rng(seed);
  const net = new MLP([desc.size, ...hidden, 1], activation);
  const p = net.initialParameters(2, rng, 1);
  for (let k = 0; k < p.length; k++) p[k] += 0.1 * rng.normal(); // non-zero biases too
  const size = desc.size;
  const mean = randomVec(2 * size, rng, 0.1);
  const std = Float64Array.from(randomVec(2 * size, rng), (v) => 0.5 + Math.abs(v));
  return new NNPotential({ descriptor: desc, hidden, activation, parameters: p, featureMean: mean, featureStd: std, e0: [-4.1, -3.7] }); // no energyShift: it is not extensive (supercell check)
}

function sige(seed: number, n = 10, a = 6.5) {
  return randomStructure({ numbers: [14, 32], n, cell: [a, 0.3, 0, 0, a, 0, 0.2, 0.1, a], minDistance: 2.0, seed });
}

/** max |a - b| / max(1, max |b|) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let k = 0; k < b.length; k++) {
    d = Math.max(d, Math.abs(a[k]! - b[k]!));
    m = Math.max(m, Math.abs(b[k]!));
  }
  return d / Math.max(1e-3, m);
}

for (const act of ACTIVATIONS) {
  test(`MLP (${act}): input gradient, parameter gradient and the second-order term d(g.v)/dtheta equal central finite differences`, () => {
    const rng = new Rng(3);
    const net = new MLP([5, 4, 3, 1], act);
    const p = randomVec(2 * net.count, rng, 0.7);
    const o = net.count; // second network's block
    const x = randomVec(5, rng);
    const v = randomVec(5, rng);
    const h = 1e-5;
    const eps = (pp: Float64Array, xx: Float64Array) => net.forward(pp, o, xx, 0);
    const gdotv = (pp: Float64Array) => {
      net.forward(pp, o, x, 0);
      const g = new Float64Array(5);
      net.inputGradient(pp, o, g, 0);
      let s = 0;
      for (let k = 0; k < 5; k++) s += g[k]! * v[k]!;
      return s;
    };
    // input gradient
    net.forward(p, o, x, 0);
    const g = new Float64Array(5);
    net.inputGradient(p, o, g, 0);
    const gfd = new Float64Array(5);
    for (let k = 0; k < 5; k++) {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[k] += h;
      xm[k] -= h;
      gfd[k] = (eps(p, xp) - eps(p, xm)) / (2 * h);
    }
    assert.ok(relErr(g, gfd) < 1e-8, `input gradient ${relErr(g, gfd)}`);
    // parameter gradient of 0.7 eps + g.v, written at offset o of grad, nothing elsewhere
    const grad = new Float64Array(2 * net.count);
    net.forward(p, o, x, 0);
    net.paramGradient(p, o, x, 0, 0.7, v, 0, grad, o);
    const fd = new Float64Array(2 * net.count);
    for (let k = 0; k < net.count; k++) {
      const pp = Float64Array.from(p), pm = Float64Array.from(p);
      pp[o + k] += h;
      pm[o + k] -= h;
      fd[o + k] = (0.7 * eps(pp, x) + gdotv(pp) - 0.7 * eps(pm, x) - gdotv(pm)) / (2 * h);
    }
    assert.ok(relErr(grad, fd) < 1e-7, `parameter gradient ${relErr(grad, fd)}`);
    for (let k = 0; k < o; k++) assert.equal(grad[k], 0);
    // without v: first-order term only
    const g1 = new Float64Array(2 * net.count);
    net.forward(p, o, x, 0);
    net.paramGradient(p, o, x, 0, 1, null, 0, g1, o);
    for (let k = 0; k < net.count; k++) {
      const pp = Float64Array.from(p), pm = Float64Array.from(p);
      pp[o + k] += h;
      pm[o + k] -= h;
      fd[o + k] = (eps(pp, x) - eps(pm, x)) / (2 * h);
    }
    assert.ok(relErr(g1, fd) < 1e-8, `first-order parameter gradient ${relErr(g1, fd)}`);
  });
}

test('pairAdjoint is the transpose of the force assembly of pairForces', () => {
  const rng = new Rng(4);
  const n = 4, size = 3;
  const topo = { n, offsets: Int32Array.from([0, 2, 3, 5, 6]), neighbors: Int32Array.from([1, 2, 0, 3, 1, 2]) };
  const deriv = randomVec(6 * 3 * size, rng);
  const g = randomVec(n * size, rng), u = randomVec(3 * n, rng);
  const F = new Float64Array(3 * n);
  pairForces(g, deriv, size, topo, F);
  const v = new Float64Array(n * size);
  pairAdjoint(u, deriv, size, topo, v);
  let a = 0, b = 0;
  for (let k = 0; k < 3 * n; k++) a += u[k]! * F[k]!;
  for (let k = 0; k < n * size; k++) b += v[k]! * g[k]!;
  assert.ok(Math.abs(a - b) < 1e-12 * (1 + Math.abs(a)), `${a} vs ${b}`);
});

for (const act of ['tanh', 'silu'] as const) {
  test(`NNPotential (${act}) satisfies the Potential contract and passes conformance (FD forces and stress, invariances) on random Si/Ge cells`, () => {
    const pot: Potential = randomModel(1, act);
    assert.equal(pot.cutoff, desc.cutoff);
    assert.deepEqual(pot.species, [14, 32]);
    for (const seed of [1, 2]) {
      for (const r of runConformance(pot, sige(seed), { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 5 })) {
        assert.ok(r.pass, `seed ${seed}: ${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
      }
    }
  });
}

test('energy is sum_i NN_{Z_i}(x_i) + sum_i e0_{Z_i} + E_shift, and per-atom energies sum to it', () => {
  const pot = randomModel(5).withParameters(randomModel(5).parameters, { energyShift: 0.3 });
  const s = sige(6);
  const r = pot.compute(s, { forces: false, energies: true });
  let sum = 0;
  for (const e of r.energies!) sum += e;
  assert.ok(Math.abs(sum - r.energy) < 1e-10 * Math.max(1, Math.abs(r.energy)));
  // all-zero networks: only e0 and the shift remain
  const zero = pot.withParameters(new Float64Array(pot.parameters.length));
  let expect = 0.3;
  for (const z of s.numbers) expect += z === 14 ? -4.1 : -3.7;
  assert.ok(Math.abs(zero.compute(s, { forces: false }).energy - expect) < 1e-12);
  // swapping the two elements' networks changes the energy (one network per element)
  const c = pot.net.count;
  const swapped = new Float64Array(2 * c);
  swapped.set(pot.parameters.subarray(c, 2 * c), 0);
  swapped.set(pot.parameters.subarray(0, c), c);
  assert.notEqual(pot.withParameters(swapped).compute(s, { forces: false }).energy, r.energy);
});

test('save -> JSON.stringify -> parse -> load predicts bit-for-bit identically', () => {
  for (const act of ACTIVATIONS) {
    const pot = randomModel(7, act);
    const json = JSON.parse(JSON.stringify(pot.toJSON())) as Record<string, unknown>;
    assert.equal(json['type'], 'nn');
    assert.equal(json['version'], 1);
    assert.deepEqual(json['layers'], [desc.size, 8, 6, 1]);
    const back = NNPotential.fromJSON(json);
    const s = sige(8);
    const a = pot.compute(s, { forces: true, stress: true, energies: true });
    const b = back.compute(s, { forces: true, stress: true, energies: true });
    assert.equal(b.energy, a.energy);
    assert.deepEqual(b.forces, a.forces);
    assert.deepEqual(b.stress, a.stress);
    assert.deepEqual(b.energies, a.energies);
  }
});

test('fromJSON names the bad field; the constructor rejects bad sizes and values', () => {
  const good = randomModel(9).toJSON();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, format: 'x' }, /"format"/],
    [{ ...good, version: 2 }, /"version"/],
    [{ ...good, type: 'linear' }, /"type"/],
    [{ ...good, descriptor: { type: 'nope' } }, /"descriptor"/],
    [{ ...good, species: [14] }, /"species"/],
    [{ ...good, layers: [3, 8, 6, 1] }, /"layers"/],
    [{ ...good, layers: [desc.size, 8, 6, 2] }, /"layers"/],
    [{ ...good, activation: 'relu' }, /"activation"/],
    [{ ...good, parameters: [good.parameters[0]] }, /"parameters"/],
    [{ ...good, parameters: [good.parameters[0], good.parameters[1]!.map((v, k) => (k === 2 ? null : v))] }, /"parameters\[1\]\[2\]"/],
    [{ ...good, featureScaling: { mean: good.featureScaling.mean, std: good.featureScaling.std.map((b) => b.map(() => 0)) } }, /"featureScaling.std"/],
    [{ ...good, e0: [1] }, /"e0"/],
    [{ ...good, offsetDetermined: 1 }, /"offsetDetermined"/],
  ];
  for (const [json, re] of cases) assert.throws(() => NNPotential.fromJSON(json), (e: unknown) => e instanceof ValidationError && re.test(e.message), String(re));
  assert.throws(() => new NNPotential({ descriptor: desc, hidden: [4], activation: 'tanh', parameters: [1, 2, 3] }), ParameterError);
  assert.throws(() => new MLP([3, 2, 2], 'tanh'), /output layer/);
  assert.throws(() => new MLP([3, 2, 1], 'relu' as Activation), /activation/);
});

test('a caller-owned neighbour list with skin and output buffers give the same result as a fresh list', () => {
  const pot = randomModel(11, 'silu');
  const s = sige(12);
  const a = pot.compute(s, { forces: true, stress: true, energies: true });
  const out = { forces: new Float64Array(3 * s.length).fill(7), stress: new Float64Array(6).fill(7), energies: new Float64Array(s.length).fill(7) };
  const b = pot.compute(s, { forces: true, stress: true, energies: true }, { neighbors: buildNeighborList(s, desc.cutoff, { skin: 0.8 }), out });
  assert.ok(Math.abs(a.energy - b.energy) < 1e-12 * Math.abs(a.energy));
  assert.ok(relErr(b.forces!, a.forces!) < 1e-12 && relErr(b.stress!, a.stress!) < 1e-12 && relErr(b.energies!, a.energies!) < 1e-12);
  assert.equal(b.forces, out.forces);
  assert.throws(() => pot.compute(s, { forces: true }, { neighbors: buildNeighborList(s, 3.0) }), /shorter than/);
});

test('an element outside the descriptor species is rejected naming the atom', () => {
  const si = new BodyOrderDescriptor({ species: [14], cutoff: 4, maxBodyOrder: 2, nMax: 3 });
  const net = new MLP([3, 4, 1], 'tanh');
  const pot = new NNPotential({ descriptor: si, hidden: [4], activation: 'tanh', parameters: new Float64Array(net.count) });
  assert.throws(() => pot.compute(sige(10, 6)), /Ge/);
});
