import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lammpsFrame, runLammps } from './lammps.js';
import { compareWithLammps } from './lammps-compare.js';
import { lammpsPeer } from './peers.js';
import { LennardJones } from '../potentials/lj.js';
import { randomStructure } from '../structure/random.js';
import { cellFromParameters } from '../structure/cell.js';
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import { MlpotError } from '../core/errors.js';

const skip = lammpsPeer().skip;
const lj = new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 7.5 });
const ljLammps = { pairStyle: 'lj/cut 7.5', pairCoeff: ['* * 0.0104 3.4'], extraCommands: ['pair_modify shift yes'], perAtomEnergy: true };

test('lammps frame is a rotation of the cell into LAMMPS restricted triclinic form', () => {
  const rng = new Rng(5);
  const cell = Float64Array.from(cellFromParameters(6, 7, 8, 75, 82, 110));
  const R = rotationMatrix([rng.normal(), rng.normal(), rng.normal()], 1.1);
  const rot = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) rot[3 * r + c] = R[3 * c]! * cell[3 * r]! + R[3 * c + 1]! * cell[3 * r + 1]! + R[3 * c + 2]! * cell[3 * r + 2]!;
  const s = randomStructure({ numbers: [18], n: 4, cell: rot, minDistance: 2, seed: 1 });
  const f = lammpsFrame(s);
  assert.ok(f.lx > 0 && f.ly > 0 && f.lz > 0);
  assert.ok(Math.abs(f.xy) <= f.lx / 2 + 1e-12 && Math.abs(f.xz) <= f.lx / 2 + 1e-12 && Math.abs(f.yz) <= f.ly / 2 + 1e-12, 'tilts reduced');
  assert.ok(Math.abs(f.volume - 6 * 7 * 8 * Math.sqrt(1 - Math.cos(75 * Math.PI / 180) ** 2 - Math.cos(82 * Math.PI / 180) ** 2 - Math.cos(110 * Math.PI / 180) ** 2 + 2 * Math.cos(75 * Math.PI / 180) * Math.cos(82 * Math.PI / 180) * Math.cos(110 * Math.PI / 180))) < 1e-9, 'volume kept');
  const Rm = f.R;
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++) {
      const d = Rm[3 * a]! * Rm[3 * b]! + Rm[3 * a + 1]! * Rm[3 * b + 1]! + Rm[3 * a + 2]! * Rm[3 * b + 2]!;
      assert.ok(Math.abs(d - (a === b ? 1 : 0)) < 1e-14, 'R is orthogonal');
    }
});

for (const [label, cell] of [
  ['orthorhombic', cellFromParameters(16, 17, 18)],
  ['triclinic', cellFromParameters(16, 17, 18, 70, 80, 100)],
  ['strongly sheared triclinic', cellFromParameters(16, 17, 18, 60, 70, 120)],
] as const) {
  test(`lammps lj/cut agrees with mlpot LJ to 1e-10 (${label}, random cells)`, { skip }, () => {
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [18], n: 40, cell, minDistance: 3.0, seed });
      compareWithLammps(lj, s, runLammps(s, ljLammps), `${label} seed ${seed}`, 1e-10);
    }
  });
}

test('lammps lj/cut agrees with mlpot LJ when the cell is rotated and left-handed', { skip }, () => {
  const rng = new Rng(9);
  const base = cellFromParameters(15, 16, 17, 80, 95, 105);
  const R = rotationMatrix([rng.normal(), rng.normal(), rng.normal()], 2.0);
  const cell = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cell[3 * r + c] = R[3 * c]! * base[3 * r]! + R[3 * c + 1]! * base[3 * r + 1]! + R[3 * c + 2]! * base[3 * r + 2]!;
  const s = randomStructure({ numbers: [18], n: 30, cell, minDistance: 3.0, seed: 3 });
  compareWithLammps(lj, s, runLammps(s, ljLammps), 'rotated', 1e-10);
  const swapped = s.clone();
  // swap a and b: same lattice, left-handed basis
  for (let k = 0; k < 3; k++) { const t = swapped.cell[k]!; swapped.cell[k] = swapped.cell[3 + k]!; swapped.cell[3 + k] = t; }
  compareWithLammps(lj, swapped, runLammps(swapped, ljLammps), 'left-handed', 1e-10);
});

test('lammps lj/cut agrees with mlpot LJ for an open cluster and a slab', { skip }, () => {
  const cluster = randomStructure({ numbers: [18], n: 20, cell: cellFromParameters(12, 12, 12), pbc: false, minDistance: 3.0, seed: 4 });
  compareWithLammps(lj, cluster, runLammps(cluster, ljLammps), 'cluster', 1e-10);
  const slab = randomStructure({ numbers: [18], n: 25, cell: cellFromParameters(16, 17, 12, 90, 90, 100), pbc: [true, true, false], minDistance: 3.0, seed: 5 });
  compareWithLammps(lj, slab, runLammps(slab, ljLammps), 'slab', 1e-10);
});

test('lammps failure raises an error that quotes its log', { skip }, () => {
  const s = randomStructure({ numbers: [18], n: 3, cell: cellFromParameters(10, 10, 10), minDistance: 3.0, seed: 1 });
  assert.throws(() => runLammps(s, { pairStyle: 'no/such/style', pairCoeff: ['* *'] }), (e: unknown) => e instanceof MlpotError && /no\/such\/style|Unrecognized pair style/i.test(e.message));
});
