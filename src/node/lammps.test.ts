import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lammpsFrame, runLammps, type LammpsResult } from './lammps.js';
import { lammpsPeer } from './peers.js';
import { LennardJones } from '../potentials/lj.js';
import { randomStructure } from '../structure/random.js';
import { cellFromParameters } from '../structure/cell.js';
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import type { Structure } from '../structure/structure.js';
import { MlpotError } from '../core/errors.js';

const skip = lammpsPeer().skip;
const lj = new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 7.5 });
const ljLammps = { pairStyle: 'lj/cut 7.5', pairCoeff: ['* * 0.0104 3.4'], extraCommands: ['pair_modify shift yes'], perAtomEnergy: true };

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function assertAgree(s: Structure, ref: LammpsResult, tol: number, label: string): void {
  const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
  const r = lj.compute(s, { forces: true, stress: full, energies: true });
  const eRel = Math.abs(r.energy - ref.energy) / Math.abs(ref.energy);
  assert.ok(eRel <= tol, `${label}: energy ${r.energy} vs LAMMPS ${ref.energy} (rel ${eRel})`);
  const fRel = maxDiff(r.forces!, ref.forces) / maxAbs(ref.forces);
  assert.ok(fRel <= tol, `${label}: forces differ by ${fRel} relative to max |F|`);
  const peRel = maxDiff(r.energies!, ref.energies!) / maxAbs(ref.energies!);
  assert.ok(peRel <= tol, `${label}: per-atom energies differ by ${peRel} relative`);
  if (full) {
    const sRel = maxDiff(r.stress!, ref.stress) / maxAbs(ref.stress);
    assert.ok(sRel <= tol, `${label}: stress ${Array.from(r.stress!)} vs LAMMPS ${Array.from(ref.stress)} (rel ${sRel})`);
  }
}

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
      assertAgree(s, runLammps(s, ljLammps), 1e-10, `${label} seed ${seed}`);
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
  assertAgree(s, runLammps(s, ljLammps), 1e-10, 'rotated');
  const swapped = s.clone();
  // swap a and b: same lattice, left-handed basis
  for (let k = 0; k < 3; k++) { const t = swapped.cell[k]!; swapped.cell[k] = swapped.cell[3 + k]!; swapped.cell[3 + k] = t; }
  assertAgree(swapped, runLammps(swapped, ljLammps), 1e-10, 'left-handed');
});

test('lammps lj/cut agrees with mlpot LJ for an open cluster and a slab', { skip }, () => {
  const cluster = randomStructure({ numbers: [18], n: 20, cell: cellFromParameters(12, 12, 12), pbc: false, minDistance: 3.0, seed: 4 });
  assertAgree(cluster, runLammps(cluster, ljLammps), 1e-10, 'cluster');
  const slab = randomStructure({ numbers: [18], n: 25, cell: cellFromParameters(16, 17, 12, 90, 90, 100), pbc: [true, true, false], minDistance: 3.0, seed: 5 });
  assertAgree(slab, runLammps(slab, ljLammps), 1e-10, 'slab');
});

test('lammps failure raises an error that quotes its log', { skip }, () => {
  const s = randomStructure({ numbers: [18], n: 3, cell: cellFromParameters(10, 10, 10), minDistance: 3.0, seed: 1 });
  assert.throws(() => runLammps(s, { pairStyle: 'no/such/style', pairCoeff: ['* *'] }), (e: unknown) => e instanceof MlpotError && /no\/such\/style|Unrecognized pair style/i.test(e.message));
});
