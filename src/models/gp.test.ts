import { test, assert } from '../node/test-support.js';
import { GPPotential, gpDesign, type GPBasis } from './gp.js';
import { kernelValue, type KernelSpec } from './kernels.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { StillingerWeber } from '../potentials/sw.js';
import { runConformance } from '../potentials/conformance.js';
import type { Potential } from '../potentials/potential.js';
import type { FittedModel } from './registry.js';
import { randomStructure } from '../structure/random.js';
import { bulk, rattle } from '../structure/builders.js';
import { Rng } from '../core/rng.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { buildNeighborList } from '../neighbors/build.js';
import { cholesky, choleskySolve } from '../core/linalg.js';
import { makeDataset, type TrainingRecord } from '../training/dataset.js';
import { GPTrainer, gpBasisFor, type GPHyper } from '../training/gp-fit.js';
import { ValidationError } from '../core/errors.js';

const desc = new BodyOrderDescriptor({ species: [14], cutoff: 3.6, rMin: 1.5, maxBodyOrder: 3, nMax: 4, nMax3: 2, lMax3: 1 });
const sw = StillingerWeber.silicon();

function label(s: Structure): Structure {
  const r = sw.compute(s, { forces: true, stress: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(r.forces!, 3));
  s.info['REF_stress'] = Array.from(r.stress!);
  return s;
}

function cell(seed: number, n = 5, a = 5.0): Structure {
  return randomStructure({ numbers: [14], n, cell: [a, 0.2, 0, 0, a, 0.1, 0.3, 0, a], minDistance: 2.1, seed });
}

function records(count: number, seed0 = 10, n = 5): TrainingRecord[] {
  return makeDataset(Array.from({ length: count }, (_, k) => label(cell(seed0 + k, n))));
}

/** Scaled descriptor vectors u of a structure on the basis. */
function uOf(basis: GPBasis, s: Structure): Float64Array {
  return gpDesign(basis, s, buildNeighborList(s, desc.cutoff)).u;
}

/** sum_{i in a, j in b} k(u_i, u_j) */
function kSum(k: KernelSpec, a: Float64Array, b: Float64Array): number {
  const size = desc.size;
  let v = 0;
  for (let i = 0; i < a.length / size; i++) for (let j = 0; j < b.length / size; j++) v += kernelValue(k, a, i * size, b, j * size, size);
  return v;
}

function spdSolve(A: Float64Array, n: number, b: Float64Array): Float64Array {
  const L = cholesky(A, n);
  return choleskySolve(L, n, b);
}

function displaced(s: Structure, atom: number, c: number, h: number): Structure {
  const t = s.clone();
  t.positions[3 * atom + c] = t.positions[3 * atom + c]! + h;
  return t;
}

const hyper: GPHyper = { sigma: 0.8, noise: { energy: 0.01, forces: 0.15, stress: 0.01 } };
const kernels: KernelSpec[] = [
  { type: 'dot', zeta: 2, sigma: 1 },
  { type: 'se', lengthScale: 2.5, sigma: 1 },
];

test('energies only, M = all training environments: mean and variance equal the dense full GP (energy to 1e-8, force variance vs FD of the dense covariance)', () => {
  const recs = records(4);
  const e0 = recs.reduce((a, r) => a + r.energy! / r.natoms, 0) / recs.length;
  for (const k0 of kernels) {
    const { basis } = gpBasisFor(recs, desc, k0, { method: 'all', count: 1e9, seed: 0, scaling: 'std' });
    const trainer = new GPTrainer(basis, { use: { energy: true, forces: false }, kmmTolerance: 0, e0: [e0] });
    trainer.add(recs);
    const model = trainer.model(hyper);
    const k = model.kernel;
    // dense GP on the energy observations
    const U = recs.map((r) => uOf(model.basis, r.structure));
    const n = recs.length;
    const C = new Float64Array(n * n);
    const y = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      y[a] = recs[a]!.energy! - recs[a]!.natoms * e0;
      for (let b = 0; b < n; b++) C[a * n + b] = kSum(k, U[a]!, U[b]!) + (a === b ? (hyper.noise.energy * recs[a]!.natoms) ** 2 : 0);
    }
    const c = spdSolve(C, n, y);
    const T = cell(99, 6, 5.2);
    const meanAt = (s: Structure): number => {
      const u = uOf(model.basis, s);
      let m = s.length * e0;
      for (let a = 0; a < n; a++) m += kSum(k, u, U[a]!) * c[a]!;
      return m;
    };
    /** Posterior covariance of E(r) and E(r') of the dense GP. */
    const cov = (s1: Structure, s2: Structure): number => {
      const u1 = uOf(model.basis, s1), u2 = uOf(model.basis, s2);
      const k1 = U.map((Ua) => kSum(k, u1, Ua)), k2 = Float64Array.from(U, (Ua) => kSum(k, u2, Ua));
      const z = spdSolve(C, n, k2);
      let v = kSum(k, u1, u2);
      for (let a = 0; a < n; a++) v -= k1[a]! * z[a]!;
      return v;
    };
    const res = model.compute(T, { forces: true });
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
    assert.ok(rel(res.energy, meanAt(T)) < 1e-8, `${k0.type}: energy mean ${res.energy} vs dense ${meanAt(T)}`);
    const v = model.predictVariance(T, { forces: true });
    assert.ok(rel(v.energy, cov(T, T)) < 1e-8, `${k0.type}: energy variance ${v.energy} vs dense ${cov(T, T)}`);
    const h = 1e-3;
    for (const [atom, comp] of [[0, 0], [2, 2], [5, 1]] as const) {
      const fd = (-meanAt(displaced(T, atom, comp, 2 * h)) + 8 * meanAt(displaced(T, atom, comp, h)) - 8 * meanAt(displaced(T, atom, comp, -h)) + meanAt(displaced(T, atom, comp, -2 * h))) / (12 * h);
      assert.ok(Math.abs(res.forces![3 * atom + comp]! + fd) < 1e-7 * Math.max(1, Math.abs(fd)), `${k0.type}: force mean ${res.forces![3 * atom + comp]} vs dense -dE/dr ${-fd}`);
      const p = displaced(T, atom, comp, h), m = displaced(T, atom, comp, -h);
      const mixed = (cov(p, p) - cov(p, m) - cov(m, p) + cov(m, m)) / (4 * h * h);
      const got = v.forces![3 * atom + comp]!;
      assert.ok(Math.abs(got - mixed) < 2e-5 * Math.abs(mixed) + 1e-10, `${k0.type}: force variance (${atom},${comp}) ${got} vs dense FD ${mixed}`);
    }
  }
});

test('energies + forces, M = all environments: mean, variance and evidence equal the dense DTC closed form built explicitly', () => {
  const recs = records(3, 30, 4);
  const k0: KernelSpec = { type: 'se', lengthScale: 3, sigma: 1 };
  const { basis } = gpBasisFor(recs, desc, k0, { method: 'all', count: 1e9, seed: 0, scaling: 'std' });
  const e0 = -4.3;
  const trainer = new GPTrainer(basis, { use: { energy: true, forces: true }, kmmTolerance: 0, e0: [e0] });
  trainer.add(recs);
  const model = trainer.model(hyper);
  const B = model.basis, M = B.m, size = B.size;
  // rows K_NM (energy row, then force rows, per frame), targets, noise
  const rows: number[][] = [], y: number[] = [], sig2: number[] = [];
  for (const r of recs) {
    const d = gpDesign(B, r.structure, buildNeighborList(r.structure, desc.cutoff), { forces: true });
    rows.push(Array.from(d.energy));
    y.push(r.energy! - r.natoms * e0);
    sig2.push((hyper.noise.energy * r.natoms) ** 2);
    for (let q = 0; q < 3 * r.natoms; q++) {
      rows.push(Array.from(d.forces!.subarray(q * M, (q + 1) * M)));
      y.push(r.forces![q]!);
      sig2.push(hyper.noise.forces ** 2);
    }
  }
  const N = rows.length;
  const Kmm = new Float64Array(M * M);
  for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) Kmm[a * M + b] = kernelValue(model.kernel, B.sparse, a * size, B.sparse, b * size, size);
  const Lk = cholesky(Kmm, M);
  // W = K_MM^-1 K_MN (M x N), Q = K_NM W
  const W = rows.map((row) => choleskySolve(Lk, M, Float64Array.from(row)));
  const QS = new Float64Array(N * N);
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) {
    let q = 0;
    for (let m = 0; m < M; m++) q += rows[a]![m]! * W[b]![m]!;
    QS[a * N + b] = q + (a === b ? sig2[a]! : 0);
  }
  const Lq = cholesky(QS, N);
  const c = choleskySolve(Lq, N, Float64Array.from(y));
  // evidence: log N(y; 0, Q + Sigma)
  let logdet = 0, quad = 0;
  for (let a = 0; a < N; a++) {
    logdet += 2 * Math.log(Lq[a * N + a]!);
    quad += y[a]! * c[a]!;
  }
  const dense = -0.5 * (quad + logdet + N * Math.log(2 * Math.PI));
  const le = trainer.logEvidence(hyper);
  assert.ok(Math.abs(le - dense) < 1e-8 * Math.abs(dense), `evidence ${le} vs dense ${dense}`);
  // prediction on a new cell: mean = Q_*N c, posterior reduction Q_*N (Q+S)^-1 Q_N*
  const T = cell(77, 5, 5.1);
  const dT = gpDesign(B, T, buildNeighborList(T, desc.cutoff), { forces: true });
  const qStar = (kRow: ArrayLike<number>): Float64Array => {
    const w = choleskySolve(Lk, M, Float64Array.from(kRow));
    return Float64Array.from(rows, (row) => row.reduce((acc, v, m) => acc + v * w[m]!, 0));
  };
  const res = model.compute(T, { forces: true });
  const v = model.predictVariance(T, { forces: true });
  const check = (kRow: ArrayLike<number>, mean: number, offset: number, variance: number, prior: number, what: string) => {
    const q = qStar(kRow);
    let m = offset;
    for (let a = 0; a < N; a++) m += q[a]! * c[a]!;
    const z = choleskySolve(Lq, N, q);
    let red = 0;
    for (let a = 0; a < N; a++) red += q[a]! * z[a]!;
    assert.ok(Math.abs(mean - m) < 1e-8 * Math.max(1, Math.abs(m)), `${what} mean ${mean} vs ${m}`);
    assert.ok(Math.abs(variance - (prior - red)) < 1e-8 * Math.max(1e-3, prior), `${what} variance ${variance} vs ${prior - red}`);
  };
  const uT = dT.u;
  check(dT.energy, res.energy, T.length * e0, v.energy, kSum(model.kernel, uT, uT), 'energy');
  // force prior variance from the exact (a different code path: energy-only GP above checked it by FD);
  // here use the model's own prior = latent variance + reduction - so compare the reduction only through a second model
  const trainerE = new GPTrainer(basis, { use: { energy: false, forces: false }, kmmTolerance: 0, e0: [e0] });
  const priorModel = trainerE.model(hyper); // no data: variance = k** - q** + k A^-1 k with A = K_MM -> k**
  const pv = priorModel.predictVariance(T, { forces: true });
  assert.ok(Math.abs(pv.energy - kSum(model.kernel, uT, uT)) < 1e-8 * pv.energy, 'no data: variance = prior');
  for (let q = 0; q < 3 * T.length; q += 4) {
    check(dT.forces!.subarray(q * M, (q + 1) * M), res.forces![q]!, 0, v.forces![q]!, pv.forces![q]!, `force ${q}`);
  }
});

function trained(count = 6, kernel: KernelSpec = { type: 'dot', zeta: 2, sigma: 1 }): { model: GPPotential; recs: TrainingRecord[] } {
  const recs = records(count, 50, 6);
  const { basis } = gpBasisFor(recs, desc, kernel, { method: 'all', count: 1e9, seed: 0, scaling: 'std' });
  const trainer = new GPTrainer(basis, { use: { energy: true, forces: true } });
  trainer.add(recs);
  return { model: trainer.model({ sigma: 1, noise: { energy: 0.005, forces: 0.05, stress: 0.01 } }), recs };
}

test('GPPotential satisfies the Potential and FittedModel contracts and passes conformance (FD forces and stress, invariances)', () => {
  const { model } = trained(4);
  const pot: Potential = model;
  const fitted: FittedModel = model; // models/registry.ts contract (for a `gp` reader entry)
  assert.equal(fitted.toJSON().type, 'gp');
  assert.equal(pot.capabilities.uncertainty, true);
  for (const seed of [1, 2]) {
    const s = cell(200 + seed, 6, 5.2);
    for (const r of runConformance(pot, s, { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 3 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error})`);
  }
});

test('latent variance is at the noise level at training environments and grows far from them (rattled compressed diamond, random dense cell)', () => {
  const { model, recs } = trained(6);
  const sF = model.noise.forces;
  let train = 0, nt = 0;
  for (const r of recs) {
    const v = model.predictVariance(r.structure, { forces: true });
    for (const x of v.forces!) {
      train += x;
      nt++;
    }
  }
  const trainStd = Math.sqrt(train / nt);
  assert.ok(trainStd < 1.5 * sF, `training force std ${trainStd} vs noise ${sF}`);
  const far = [rattle(bulk('Si', 'diamond', { a: 4.6, cubic: true }), 0.05, new Rng(1)), cell(300, 8, 4.6)];
  for (const s of far) {
    const v = model.predictVariance(s, { forces: true });
    let m = 0;
    for (const x of v.forces!) m += x;
    const farStd = Math.sqrt(m / v.forces!.length);
    assert.ok(farStd > 2 * trainStd, `far force std ${farStd} vs training ${trainStd}`);
    // compute() reports std including the noise
    const r = model.compute(s, { forces: true, uncertainty: true });
    const u = r.uncertainty!;
    assert.ok(Math.abs(u.forceStd![0]! ** 2 - (v.forces![0]! + sF * sF)) < 1e-10);
    assert.ok(Math.abs(u.energyStd! ** 2 - (v.energy + (model.noise.energy * s.length) ** 2)) < 1e-9 * u.energyStd! ** 2);
    assert.equal(u.atomForceDeviation!.length, s.length);
    assert.ok(u.maxForceDeviation! >= Math.max(...u.atomForceDeviation!) - 1e-15);
  }
});

test('save -> JSON.stringify -> parse -> load predicts identically, with uncertainty; fromJSON names bad fields', () => {
  const { model } = trained(3, { type: 'se', lengthScale: 2, sigma: 1 });
  const back = GPPotential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
  const s = cell(400, 6, 5.3);
  const req = { forces: true, stress: true, energies: true, uncertainty: true };
  const a = model.compute(s, req), b = back.compute(s, req);
  assert.equal(b.energy, a.energy);
  assert.deepEqual(b.forces, a.forces);
  assert.deepEqual(b.stress, a.stress);
  assert.deepEqual(b.energies, a.energies);
  assert.deepEqual(b.uncertainty, a.uncertainty);
  let sum = 0;
  for (const e of a.energies!) sum += e;
  assert.ok(Math.abs(sum - a.energy) < 1e-9 * Math.abs(a.energy));
  const good = model.toJSON();
  assert.equal(good.type, 'gp');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, version: 2 }, /"version"/],
    [{ ...good, type: 'linear' }, /"type"/],
    [{ ...good, kernel: { type: 'dot', zeta: 0.5, sigma: 1 } }, /"kernel"/],
    [{ ...good, alpha: good.alpha.slice(1) }, /"alpha"/],
    [{ ...good, sparse: { ...good.sparse, species: good.sparse.species.map(() => 8) } }, /"sparse.species\[0\]"/],
    [{ ...good, noise: { ...good.noise, forces: 0 } }, /"noise.forces"/],
    [{ ...good, variance: { rank: 1, pK: [1], pA: [1] } }, /"variance.pK"/],
    [{ ...good, variance: { rank: 0, pK: [], pA: [] } }, /"variance.rank"/],
  ];
  for (const [j, re] of cases) assert.throws(() => GPPotential.fromJSON(j), (e: unknown) => e instanceof ValidationError && re.test(e.message), `expected ${re}`);
  const noVar = GPPotential.fromJSON({ ...good, variance: null });
  assert.equal(noVar.capabilities.uncertainty, false);
  assert.throws(() => noVar.compute(s, { uncertainty: true }), /no variance factors/);
});
