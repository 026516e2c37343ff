import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareAllWithLammps, formatDeviations } from './lammps-compare.js';
import { lammpsPeer } from './peers.js';
import { Eam } from '../potentials/eam.js';
import { randomStructure } from '../structure/random.js';
import type { Structure } from '../structure/structure.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { cellFromParameters } from '../structure/cell.js';
import { Rng } from '../core/rng.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;
const DIR = '/usr/share/lammps/potentials';

/** Cu fcc, 4-atom conventional cubic cell. */
function fcc(a: number): Structure {
  return bulk('Cu', 'fcc', { a, cubic: true });
}

/** Rattled fcc supercells (cubic, sheared/triclinic, strained) and random dense structures. */
function cuConfigurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  for (let k = 0; k < 4; k++) out.push({ label: `rattled fcc 3x3x3 a=${3.5 + 0.05 * k}`, s: rattle(repeat(fcc(3.5 + 0.05 * k), 3), 0.05 + 0.04 * k, new Rng(10 + k)) });
  out.push({ label: 'rattled fcc 2x2x3', s: rattle(repeat(fcc(3.615), [2, 2, 3]), 0.12, new Rng(20)) });
  for (let k = 0; k < 2; k++) {
    // sheared supercell: a triclinic cell holding a strained crystal
    const d = rattle(repeat(fcc(3.6), [3, 2, 2]), 0.08, new Rng(30 + k));
    const g = 0.1 + 0.1 * k;
    for (let i = 0; i < d.length; i++) d.positions[3 * i] = d.positions[3 * i]! + g * d.positions[3 * i + 2]!;
    d.cell[6] = d.cell[6]! + g * d.cell[8]!;
    out.push({ label: `sheared fcc 3x2x2 (xz ${g})`, s: d });
  }
  // fcc primitive cell (rhombohedral, 60 degrees) repeated: triclinic
  out.push({ label: 'rattled fcc primitive 4x4x4 (triclinic)', s: rattle(repeat(bulk('Cu', 'fcc', { a: 3.615 }), 4), 0.1, new Rng(40)) });
  for (let seed = 0; seed < 5; seed++) out.push({ label: `random dense orthorhombic ${seed}`, s: randomStructure({ numbers: [29], n: 34, cell: cellFromParameters(7.6, 7.9, 8.1), minDistance: 2.0, seed: 50 + seed }) });
  for (let seed = 0; seed < 5; seed++) {
    out.push({ label: `random dense triclinic ${seed}`, s: randomStructure({ numbers: [29], n: 34, cell: cellFromParameters(7.7, 8.0, 8.3, 72 + 4 * seed, 84 + seed, 100 + 3 * seed), minDistance: 2.0, seed: 60 + seed }) });
  }
  for (let seed = 0; seed < 2; seed++) out.push({ label: `small triclinic ${seed}`, s: randomStructure({ numbers: [29], n: 4, cell: cellFromParameters(4.4, 4.7, 5.0, 78, 95, 108), minDistance: 2.1, seed: 70 + seed }) });
  return out;
}

test('eam (Cu_u3.eam funcfl) equals LAMMPS pair_style eam on 20 Cu configurations', { skip }, (t) => {
  const configs = cuConfigurations();
  assert.ok(configs.length >= 20);
  const pot = Eam.fromFuncfl(readFileSync(`${DIR}/Cu_u3.eam`, 'utf8'));
  const w = compareAllWithLammps(pot, configs, { pairStyle: 'eam', pairCoeff: [`* * ${DIR}/Cu_u3.eam`] }, TOL);
  t.diagnostic(`worst relative difference over ${configs.length} configurations: ${formatDeviations(w)}`);
});

test('eam/alloy (CuNi.eam.alloy setfl, Cu only) equals LAMMPS pair_style eam/alloy on 20 Cu configurations', { skip }, (t) => {
  const configs = cuConfigurations();
  const pot = Eam.fromSetfl(readFileSync(`${DIR}/CuNi.eam.alloy`, 'utf8'), ['Cu']);
  const w = compareAllWithLammps(pot, configs, { pairStyle: 'eam/alloy', pairCoeff: [`* * ${DIR}/CuNi.eam.alloy Cu`] }, TOL);
  t.diagnostic(`worst relative difference over ${configs.length} configurations: ${formatDeviations(w)}`);
});

test('eam/alloy (Cu_mishin1.eam.alloy, 10001-knot tables) equals LAMMPS', { skip }, (t) => {
  const configs = cuConfigurations().filter((_, k) => k % 10 === 0);
  const pot = Eam.fromSetfl(readFileSync(`${DIR}/Cu_mishin1.eam.alloy`, 'utf8'));
  const w = compareAllWithLammps(pot, configs, { pairStyle: 'eam/alloy', pairCoeff: [`* * ${DIR}/Cu_mishin1.eam.alloy Cu`] }, TOL);
  t.diagnostic(`worst relative difference over ${configs.length} configurations: ${formatDeviations(w)}`);
});

function alloyConfigurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  for (let seed = 0; seed < 2; seed++) {
    const s = rattle(repeat(fcc(3.56), 3), 0.1, new Rng(80 + seed));
    const rng = new Rng(90 + seed);
    for (let i = 0; i < s.length; i++) if (rng.uniform() < 0.4) s.numbers[i] = 28;
    out.push({ label: `rattled fcc Cu-Ni ${seed}`, s });
  }
  for (let seed = 0; seed < 2; seed++) out.push({ label: `random dense triclinic Cu-Ni ${seed}`, s: randomStructure({ numbers: [28, 29], n: 36, cell: cellFromParameters(7.4, 7.6, 7.9, 80, 96, 104), minDistance: 2.0, seed: 95 + seed }) });
  return out;
}

test('eam/alloy (CuNi.eam.alloy, two elements) equals LAMMPS on Cu-Ni alloys', { skip }, (t) => {
  const pot = Eam.fromSetfl(readFileSync(`${DIR}/CuNi.eam.alloy`, 'utf8'));
  const configs = alloyConfigurations();
  const w = compareAllWithLammps(pot, configs, { pairStyle: 'eam/alloy', pairCoeff: [`* * ${DIR}/CuNi.eam.alloy Ni Cu`], typeSymbols: ['Ni', 'Cu'] }, TOL);
  t.diagnostic(`worst relative difference over ${configs.length} configurations: ${formatDeviations(w)}`);
});

test('eam with two funcfl files (Cu_u3 + Ni_u3) mixes like LAMMPS pair_style eam', { skip }, (t) => {
  const pot = Eam.fromFuncfl([readFileSync(`${DIR}/Cu_u3.eam`, 'utf8'), readFileSync(`${DIR}/Ni_u3.eam`, 'utf8')]);
  const configs = alloyConfigurations();
  const w = compareAllWithLammps(pot, configs, { pairStyle: 'eam', pairCoeff: [`1 1 ${DIR}/Cu_u3.eam`, `2 2 ${DIR}/Ni_u3.eam`], typeSymbols: ['Cu', 'Ni'] }, TOL);
  t.diagnostic(`worst relative difference over ${configs.length} configurations: ${formatDeviations(w)}`);
});

test('densities above the table (rho > rhomax, F extended linearly) match LAMMPS', { skip }, (t) => {
  // compressed fcc: nearest neighbours at ~1.5 Å (Cu_u3: rho ~ 0.3 > rhomax 0.25) and ~1.0 Å (CuNi: rho ~ 6 > 2.97)
  const u3 = Eam.fromFuncfl(readFileSync(`${DIR}/Cu_u3.eam`, 'utf8'));
  const dense = [2.1, 2.2].map((a, k) => ({ label: `compressed fcc a=${a}`, s: rattle(repeat(fcc(a), 3), 0.03, new Rng(110 + k)) }));
  for (const { label, s } of dense) assert.ok(Math.max(...u3.densities(s)) > u3.tables.rhomax, `${label}: rho must exceed rhomax`);
  const w1 = compareAllWithLammps(u3, dense, { pairStyle: 'eam', pairCoeff: [`* * ${DIR}/Cu_u3.eam`] }, TOL);
  const cuni = Eam.fromSetfl(readFileSync(`${DIR}/CuNi.eam.alloy`, 'utf8'));
  const s = rattle(repeat(fcc(1.45), 3), 0.02, new Rng(120));
  for (let i = 0; i < s.length; i += 3) s.numbers[i] = 28;
  assert.ok(Math.min(...cuni.densities(s)) > cuni.tables.rhomax, 'every atom above rhomax');
  const w2 = compareAllWithLammps(cuni, [{ label: 'compressed Cu-Ni fcc a=1.45', s }], { pairStyle: 'eam/alloy', pairCoeff: [`* * ${DIR}/CuNi.eam.alloy Ni Cu`], typeSymbols: ['Ni', 'Cu'], extraCommands: ['neigh_modify one 20000 page 400000'] }, TOL);
  t.diagnostic(`Cu_u3: ${formatDeviations(w1)}; CuNi: ${formatDeviations(w2)}`);
});
