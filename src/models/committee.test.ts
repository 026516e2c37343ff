import { test, assert } from '../node/test-support.js';
import { CommitteePotential } from './committee.js';
import { LinearPotential } from './linear.js';
import { modelFromJSON } from './registry.js';
import { BodyOrderDescriptor } from '../descriptors/body-order.js';
import { runConformance } from '../potentials/conformance.js';
import type { Potential } from '../potentials/potential.js';
import { StillingerWeber } from '../potentials/sw.js';
import { fitLinearCommittee, resampleIndices } from '../training/committee-fit.js';
import { randomStructure } from '../structure/random.js';
import { bulk, perturbCell, rattle, supercell } from '../structure/builders.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { Rng } from '../core/rng.js';
import { ParameterError, ValidationError } from '../core/errors.js';

const desc = new BodyOrderDescriptor({ species: [14, 32], cutoff: 4.2, maxBodyOrder: 3, nMax: 4, nMax3: 3, lMax3: 2 });

function randomModel(seed: number): LinearPotential {
  const rng = new Rng(seed);
  const c = new Float64Array(2 * desc.size);
  for (let k = 0; k < c.length; k++) c[k] = 0.05 * rng.normal();
  return new LinearPotential({ descriptor: desc, coefficients: c, e0: [-4 + 0.1 * rng.normal(), -3.5] });
}

const sige = (seed: number, n = 10) => randomStructure({ numbers: [14, 32], n, cell: [6.6, 0.2, 0, 0, 6.6, 0.1, 0.3, 0, 6.6], minDistance: 2.1, seed });

test('committee mean and spreads equal the member results combined by the definitions', () => {
  const members = [randomModel(1), randomModel(2), randomModel(3)];
  const com = new CommitteePotential(members);
  const s = sige(5);
  const r = com.compute(s, { forces: true, stress: true, energies: true, uncertainty: true });
  const rs = members.map((m) => m.compute(s, { forces: true, stress: true, energies: true }));
  const K = 3;
  const eMean = rs.reduce((a, x) => a + x.energy, 0) / K;
  assert.ok(Math.abs(r.energy - eMean) < 1e-12 * Math.abs(eMean));
  const eStd = Math.sqrt(rs.reduce((a, x) => a + (x.energy - eMean) ** 2, 0) / K);
  assert.ok(Math.abs(r.uncertainty!.energyStd! - eStd) < 1e-12 * eStd + 1e-15);
  let maxDev = 0;
  for (let i = 0; i < s.length; i++) {
    let dev2 = 0;
    for (let a = 0; a < 3; a++) {
      const c = 3 * i + a;
      const mean = rs.reduce((acc, x) => acc + x.forces![c]!, 0) / K;
      assert.ok(Math.abs(r.forces![c]! - mean) < 1e-12);
      const v = rs.reduce((acc, x) => acc + (x.forces![c]! - mean) ** 2, 0) / K;
      assert.ok(Math.abs(r.uncertainty!.forceStd![c]! - Math.sqrt(v)) < 1e-12);
      dev2 += v;
    }
    assert.ok(Math.abs(r.uncertainty!.atomForceDeviation![i]! - Math.sqrt(dev2)) < 1e-12);
    maxDev = Math.max(maxDev, Math.sqrt(dev2));
  }
  assert.equal(r.uncertainty!.maxForceDeviation, maxDev);
  assert.ok(maxDev > 0);
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(r.stress![k]! - rs.reduce((a, x) => a + x.stress![k]!, 0) / K) < 1e-12);
  const eSum = r.energies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(eSum - r.energy) < 1e-9);
  // identical members: zero spread
  const same = new CommitteePotential([members[0]!, members[0]!]).compute(s, { forces: true, uncertainty: true });
  assert.equal(same.uncertainty!.maxForceDeviation, 0);
  assert.equal(same.uncertainty!.energyStd, 0);
});

test('a committee is a Potential: finite-difference forces and stress, invariances, supercell', () => {
  const pot: Potential = new CommitteePotential([randomModel(7), randomModel(8)]);
  assert.equal(pot.capabilities.uncertainty, true);
  for (const r of runConformance(pot, sige(9, 8), { forceTol: 1e-6, stressTol: 1e-7, maxFdAtoms: 4 })) {
    assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
  }
});

test('committee JSON round trip through the model registry predicts identically; bad input is named', () => {
  const com = new CommitteePotential([randomModel(1), randomModel(2)], { note: 'x' });
  const back = modelFromJSON(JSON.parse(JSON.stringify(com.toJSON())), 'c.json');
  const s = sige(3);
  const a = com.compute(s, { forces: true, uncertainty: true });
  const b = back.compute(s, { forces: true, uncertainty: true });
  assert.equal(b.energy, a.energy);
  assert.deepEqual(Array.from(b.forces!), Array.from(a.forces!));
  assert.equal(b.uncertainty!.maxForceDeviation, a.uncertainty!.maxForceDeviation);
  const bad = { ...com.toJSON(), members: [com.members[0]!.toJSON()] };
  assert.throws(() => modelFromJSON(bad, 'c.json'), (e: Error) => e instanceof ValidationError && /c\.json.*members/.test(e.message));
  const broken = { ...com.toJSON(), members: [com.members[0]!.toJSON(), { format: 'mlpot-model', version: 1, type: 'linear' }] };
  assert.throws(() => modelFromJSON(broken, 'c.json'), /members\[1\]/);
  assert.throws(() => new CommitteePotential([randomModel(1)]), ParameterError);
});

test('resampling: bootstrap draws N with replacement, subsample a fraction without, both seeded', () => {
  const b1 = resampleIndices(50, 'bootstrap', 3), b2 = resampleIndices(50, 'bootstrap', 3);
  assert.deepEqual(b1, b2);
  assert.equal(b1.length, 50);
  assert.ok(new Set(b1).size < 50 && new Set(b1).size > 20); // ~63% distinct expected
  const sub = resampleIndices(50, 'subsample', 4, 0.6);
  assert.equal(sub.length, 30);
  assert.equal(new Set(sub).size, 30);
  assert.notDeepEqual(resampleIndices(50, 'bootstrap', 4), b1);
});

function label(s: Structure, sw: StillingerWeber): Structure {
  const r = sw.compute(s, { forces: true });
  s.info['REF_energy'] = r.energy;
  s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
  return s;
}

test('committee force deviation grows outside the training distribution (compressed, melted Si)', () => {
  const sw = StillingerWeber.silicon();
  const rng = new Rng(21);
  const base = supercell(bulk('Si', 'diamond', { a: 5.431, cubic: true }), [2, 1, 1]);
  const crystal = (k: number) => rattle(k % 3 === 0 ? perturbCell(base, 0.015, rng) : base.clone(), 0.08, rng);
  const train = Array.from({ length: 24 }, (_, k) => label(crystal(k), sw));
  const si = new BodyOrderDescriptor({ species: [14], cutoff: 3.8, rMin: 1.5, maxBodyOrder: 3, nMax: 6, nMax3: 4, lMax3: 2 });
  const { potential: com, report } = fitLinearCommittee(train, { descriptor: si, weights: { energy: 1, forces: 1 }, lambda: 1e-6 }, { members: 5, seed: 2 });
  assert.equal(report.members.length, 5);
  const dev = (s: Structure) => com.compute(s, { forces: true, uncertainty: true }).uncertainty!.maxForceDeviation!;
  const inDist = Array.from({ length: 4 }, (_, k) => dev(crystal(100 + k)));
  const compressed = dev(rattle(supercell(bulk('Si', 'diamond', { a: 4.9, cubic: true }), [2, 1, 1]), 0.08, rng));
  const melted = dev(rattle(base.clone(), 0.45, rng));
  const typical = Math.max(...inDist);
  console.log(`committee max force deviation: crystal ${inDist.map((v) => v.toFixed(4)).join(' ')} eV/Å; compressed (a = 4.9 Å) ${compressed.toFixed(4)}; melted-like (rattle 0.45 Å) ${melted.toFixed(4)}`);
  assert.ok(compressed > 3 * typical, `compressed ${compressed} vs crystal ${typical}`);
  assert.ok(melted > 3 * typical, `melted ${melted} vs crystal ${typical}`);
  // the mean still predicts in-distribution forces well
  const t = label(crystal(200), sw);
  const f = com.compute(t, { forces: true }).forces!;
  const ref = t.floatArray('REF_forces')!;
  let se = 0;
  for (let k = 0; k < f.length; k++) se += (f[k]! - ref[k]!) ** 2;
  assert.ok(Math.sqrt(se / f.length) < 0.05, `in-distribution force RMSE ${Math.sqrt(se / f.length)}`);
});
