import { test, assert } from '../node/test-support.js';
import { HarmonicRestraints, wrapAngle, type Restraint } from './restraints.js';
import { checkCapabilities, checkForces, checkRotation, checkStress, checkTranslation } from './conformance.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters } from '../structure/cell.js';
import { ValidationError } from '../core/errors.js';

const deg = Math.PI / 180;

test('values() returns distance, angle and dihedral of a known geometry', () => {
  // i=(1,0,0), j=(0,0,0), k=(0,1,0), l=(0,1,1): angle i-j-k = 90 deg, dihedral i-j-k-l = -90 deg
  const s = Structure.fromSymbols(['C', 'C', 'C', 'C'], [[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 1, 1]]);
  const r = new HarmonicRestraints([
    { kind: 'distance', atoms: [0, 3], k: 1, distance: 1 },
    { kind: 'angle', atoms: [0, 1, 2], k: 1, angleDeg: 90 },
    { kind: 'dihedral', atoms: [0, 1, 2, 3], k: 1, angle: 0 },
    { kind: 'position', atom: 3, point: [0, 0, 0], k: 1, axes: 'xz' },
  ]);
  const q = r.values(s);
  assert.ok(Math.abs(q[0]! - Math.sqrt(3)) < 1e-15);
  assert.ok(Math.abs(q[1]! - Math.PI / 2) < 1e-15);
  assert.ok(Math.abs(Math.abs(q[2]!) - Math.PI / 2) < 1e-15);
  assert.ok(Math.abs(q[3]! - 1) < 1e-15, 'only the z offset counts with axes xz');
  // trans (anti) dihedral is pi, cis is 0
  const trans = Structure.fromSymbols(['C', 'C', 'C', 'C'], [[1, 0, 0], [0, 0, 0], [0, 1, 0], [-1, 1, 0]]);
  const cis = Structure.fromSymbols(['C', 'C', 'C', 'C'], [[1, 0, 0], [0, 0, 0], [0, 1, 0], [1, 1, 0]]);
  const d = new HarmonicRestraints([{ kind: 'dihedral', atoms: [0, 1, 2, 3], k: 1, angle: 0 }]);
  assert.ok(Math.abs(d.values(trans)[0]! - Math.PI) < 1e-15);
  assert.ok(Math.abs(d.values(cis)[0]!) < 1e-15);
});

test('energy is 1/2 k (q - q0)^2 summed over terms, with per-atom energies splitting each term', () => {
  const s = Structure.fromSymbols(['C', 'C', 'C'], [[1.2, 0, 0], [0, 0, 0], [0, 1.5, 0.2]]);
  const r = new HarmonicRestraints([
    { kind: 'distance', atoms: [0, 1], k: 3, distance: 1.0 },
    { kind: 'angle', atoms: [0, 1, 2], k: 0.5, angleDeg: 100 },
  ]);
  const q = r.values(s);
  const want = 0.5 * 3 * (1.2 - 1.0) ** 2 + 0.5 * 0.5 * (q[1]! - 100 * deg) ** 2;
  const res = r.compute(s, { forces: true, energies: true });
  assert.ok(Math.abs(res.energy - want) < 1e-15);
  assert.ok(Math.abs(res.energies![2]! - 0.5 * 0.5 * (q[1]! - 100 * deg) ** 2 / 3) < 1e-15);
  // forces of a distance restraint act along the bond
  const dOnly = new HarmonicRestraints([{ kind: 'distance', atoms: [0, 1], k: 3, distance: 1.0 }]).compute(s);
  assert.ok(Math.abs(dOnly.forces![0]! + 3 * 0.2) < 1e-15, 'stretched bond pulls atom 0 back towards atom 1');
  assert.ok(Math.abs(dOnly.forces![3]! - 3 * 0.2) < 1e-15);
});

test('dihedral deviation is wrapped to (-pi, pi]', () => {
  assert.ok(Math.abs(wrapAngle(340 * deg) + 20 * deg) < 1e-14);
  assert.equal(wrapAngle(-Math.PI), Math.PI);
  assert.equal(wrapAngle(Math.PI), Math.PI);
  // target 170 deg, actual -170 deg: 20 deg apart, not 340
  const c = Math.cos(-170 * deg), sn = Math.sin(-170 * deg);
  const s = Structure.fromSymbols(['C', 'C', 'C', 'C'], [[1, 0, 0], [0, 0, 0], [0, 1, 0], [c, 1, -sn]]);
  const r = new HarmonicRestraints([{ kind: 'dihedral', atoms: [0, 1, 2, 3], k: 2, angleDeg: 170 }]);
  const q = r.values(s)[0]!;
  assert.ok(Math.abs(Math.abs(q) - 170 * deg) < 1e-12, `dihedral ${q / deg}`);
  const e = r.compute(s).energy;
  assert.ok(Math.abs(e - 0.5 * 2 * (20 * deg) ** 2) < 1e-12, `energy ${e}`);
});

test('distance restraints use the minimum image in periodic cells', () => {
  const s = Structure.fromSymbols(['C', 'C'], [[0.5, 1, 1], [9.5, 1, 1]], { cell: [10, 0, 0, 0, 10, 0, 0, 0, 10], pbc: true });
  const r = new HarmonicRestraints([{ kind: 'distance', atoms: [0, 1], k: 1, distance: 1 }]);
  assert.ok(Math.abs(r.values(s)[0]! - 1) < 1e-14);
  assert.ok(Math.abs(r.compute(s).energy) < 1e-28);
});

test('a position restraint along z exerts no force along x and y', () => {
  const s = Structure.fromSymbols(['C'], [[1, 2, 3]]);
  const r = new HarmonicRestraints([{ kind: 'position', atom: 0, point: [0, 0, 2], k: 4, axes: 'z' }]);
  const res = r.compute(s);
  assert.deepEqual(Array.from(res.forces!, (v) => v + 0), [0, 0, -4]);
  assert.equal(res.energy, 2);
});

const TERMS: Restraint[] = [
  { kind: 'distance', atoms: [0, 3], k: 2.5, distance: 2.4 },
  { kind: 'angle', atoms: [1, 0, 2], k: 0.8, angleDeg: 95 },
  { kind: 'dihedral', atoms: [4, 1, 2, 5], k: 0.6, angleDeg: -60 },
];
const POSITION: Restraint[] = [
  { kind: 'position', atom: 2, point: [1, 2, 1.5], k: 1.5 },
  { kind: 'position', atom: 4, point: [4, 0.5, 3], k: 1.2, axes: 'xy' },
];

for (const [label, cell, pbc] of [
  ['open', cellFromParameters(6, 6, 6), false],
  ['orthorhombic', cellFromParameters(6.5, 7, 7.5), true],
  ['triclinic small', cellFromParameters(4.5, 5, 5.4, 72, 84, 106), true],
] as const) {
  test(`distance, angle and dihedral restraints pass force, stress, translation and rotation checks (${label})`, () => {
    const pot = new HarmonicRestraints(TERMS);
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [6], n: 6, cell, pbc, minDistance: 1.2, seed });
      const checks = [checkCapabilities(pot, s), checkForces(pot, s, { forceTol: 1e-8 }), checkTranslation(pot, s), checkRotation(pot, s)];
      if (pbc) checks.push(checkStress(pot, s, { stressTol: 1e-9 }));
      for (const r of checks) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error})`);
    }
  });

  test(`position restraints pass force and stress checks (${label})`, () => {
    const pot = new HarmonicRestraints(POSITION);
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [6], n: 6, cell, pbc, minDistance: 1.2, seed: 10 + seed });
      const checks = [checkCapabilities(pot, s), checkForces(pot, s, { forceTol: 1e-8 })];
      if (pbc) checks.push(checkStress(pot, s, { stressTol: 1e-9 }));
      for (const r of checks) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error})`);
    }
  });
}

test('restraint input errors name the restraint and the problem', () => {
  assert.throws(() => new HarmonicRestraints([{ kind: 'angle', atoms: [0, 1, 2], k: 1, angle: 1, angleDeg: 60 }]), (e: unknown) => e instanceof ValidationError && /restraint 0 \(angle\): give exactly one of angle/.test(e.message));
  assert.throws(() => new HarmonicRestraints([{ kind: 'distance', atoms: [0, 0], k: 1, distance: 1 }]), /must be distinct/);
  assert.throws(() => new HarmonicRestraints([{ kind: 'distance', atoms: [0, 1], k: -1, distance: 1 }]), /k must be a non-negative number/);
  assert.throws(() => new HarmonicRestraints([{ kind: 'position', atom: 0, point: [0, 0, 0], k: 1, axes: 'xw' }]), /axes must be letters from "xyz"/);
  const r = new HarmonicRestraints([{ kind: 'distance', atoms: [0, 5], k: 1, distance: 1 }]);
  assert.throws(() => r.compute(Structure.fromSymbols(['C', 'C'], [[0, 0, 0], [1, 0, 0]])), /names atom 5, the structure has 2 atoms/);
});
