import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runLammps, type LammpsResult } from './lammps.js';
import { lammpsPeer } from './peers.js';
import type { Potential } from '../potentials/potential.js';
import { Tersoff } from '../potentials/tersoff.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { repeat } from '../structure/repeat.js';
import { cellFromParameters } from '../structure/cell.js';
import { Rng } from '../core/rng.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;

/** Diamond Si, 8-atom conventional cell. */
function diamondSi(a = 5.431): Structure {
  const base = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const pos = [...base.map((b) => b.map((f) => f * a)), ...base.map((b) => b.map((f) => (f + 0.25) * a))];
  return Structure.fromSymbols(new Array(8).fill('Si'), pos, { cell: [a, 0, 0, 0, a, 0, 0, 0, a], pbc: true });
}

function rattled(s: Structure, amp: number, seed: number): Structure {
  const t = s.clone();
  const rng = new Rng(seed);
  for (let k = 0; k < t.positions.length; k++) t.positions[k] = t.positions[k]! + amp * rng.normal();
  return t;
}

/** Twenty-plus Si configurations: random orthorhombic and triclinic cells, small cells, rattled diamond. */
function siConfigurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  for (let seed = 0; seed < 6; seed++) out.push({ label: `random orthorhombic ${seed}`, s: randomStructure({ numbers: [14], n: 24, cell: cellFromParameters(8.5, 9, 9.5), minDistance: 2.0, seed }) });
  for (let seed = 0; seed < 6; seed++) out.push({ label: `random triclinic ${seed}`, s: randomStructure({ numbers: [14], n: 24, cell: cellFromParameters(8.6, 9.1, 9.4, 70 + 3 * seed, 80 + seed, 100 + 4 * seed), minDistance: 2.0, seed: 100 + seed }) });
  for (let seed = 0; seed < 3; seed++) out.push({ label: `small triclinic ${seed}`, s: randomStructure({ numbers: [14], n: 5, cell: cellFromParameters(4.6, 5.0, 5.3, 75, 95, 112), minDistance: 2.0, seed: 200 + seed }) });
  for (let seed = 0; seed < 4; seed++) out.push({ label: `rattled diamond 2x2x2 ${seed}`, s: rattled(repeat(diamondSi(5.3 + 0.1 * seed), 2), 0.05 + 0.05 * seed, 300 + seed) });
  // a sheared diamond supercell: triclinic cell holding a strained crystal
  const d = rattled(repeat(diamondSi(), [2, 2, 1]), 0.1, 400);
  for (let i = 0; i < d.length; i++) d.positions[3 * i] = d.positions[3 * i]! + 0.15 * d.positions[3 * i + 2]!;
  d.cell[6] = d.cell[6]! + 0.15 * d.cell[8]!;
  out.push({ label: 'sheared rattled diamond', s: d });
  out.push({ label: 'rattled diamond 3x3x3', s: rattled(repeat(diamondSi(), 3), 0.1, 500) });
  return out;
}

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

/** Compare against LAMMPS; returns the worst relative deviations seen. */
function compareWithLammps(pot: Potential, s: Structure, ref: LammpsResult, label: string, tol = TOL): { e: number; f: number; s: number; ea: number } {
  const r = pot.compute(s, { forces: true, stress: true, energies: true });
  const e = Math.abs(r.energy - ref.energy) / Math.abs(ref.energy);
  const f = maxDiff(r.forces!, ref.forces) / maxAbs(ref.forces);
  const st = maxDiff(r.stress!, ref.stress) / maxAbs(ref.stress);
  const ea = maxDiff(r.energies!, ref.energies!) / maxAbs(ref.energies!);
  assert.ok(e <= tol, `${label}: energy ${r.energy} vs LAMMPS ${ref.energy} (rel ${e})`);
  assert.ok(f <= tol, `${label}: forces max|diff|/max|F| = ${f}`);
  assert.ok(st <= tol, `${label}: stress ${Array.from(r.stress!)} vs LAMMPS ${Array.from(ref.stress)} (rel ${st})`);
  assert.ok(ea <= tol, `${label}: per-atom energies differ by ${ea} relative`);
  return { e, f, s: st, ea };
}

test('tersoff equals LAMMPS pair_style tersoff (Si.tersoff) to 1e-8 on 22 Si configurations: energy, forces, virial stress, per-atom energies', { skip }, () => {
  const pot = Tersoff.silicon();
  const configs = siConfigurations();
  assert.ok(configs.length >= 20);
  const worst = { e: 0, f: 0, s: 0, ea: 0 };
  for (const { label, s } of configs) {
    const ref = runLammps(s, { pairStyle: 'tersoff', pairCoeff: ['* * /usr/share/lammps/potentials/Si.tersoff Si'], perAtomEnergy: true });
    const d = compareWithLammps(pot, s, ref, label);
    for (const k of ['e', 'f', 's', 'ea'] as const) worst[k] = Math.max(worst[k], d[k]);
  }
  console.log(`# tersoff vs LAMMPS worst relative deviation: energy ${worst.e.toExponential(1)}, forces ${worst.f.toExponential(1)}, stress ${worst.s.toExponential(1)}, per-atom energy ${worst.ea.toExponential(1)}`);
});

for (const name of ['SiC.tersoff', 'SiC_1994.tersoff']) {
  test(`tersoff equals LAMMPS pair_style tersoff for two elements (${name}${name === 'SiC_1994.tersoff' ? ', whose Si C C / C Si Si entries differ in A and D' : ''}) to 1e-8`, { skip }, () => {
    const file = `/usr/share/lammps/potentials/${name}`;
    const pot = Tersoff.fromLammps(readFileSync(file, 'utf8'), ['Si', 'C'], name);
    for (let seed = 0; seed < 4; seed++) {
      const s = randomStructure({ numbers: [14, 6], n: 30, cell: cellFromParameters(8, 8.5, 9, 80 + seed, 95, 100 + 3 * seed), minDistance: 1.5, seed: 600 + seed });
      // LAMMPS types sorted by Z: 1 = C, 2 = Si
      const ref = runLammps(s, { pairStyle: 'tersoff', pairCoeff: [`* * ${file} C Si`], perAtomEnergy: true });
      compareWithLammps(pot, s, ref, `SiC seed ${seed}`);
    }
  });
}
