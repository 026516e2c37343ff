import { test } from 'node:test';
import { compareAllWithLammps, formatDeviations } from './lammps-compare.js';
import { lammpsPeer } from './peers.js';
import { Morse } from '../potentials/morse.js';
import { randomStructure } from '../structure/random.js';
import type { Structure } from '../structure/structure.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { cellFromParameters } from '../structure/cell.js';
import { Rng } from '../core/rng.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;

function configurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  const cell = bulk('Cu', 'fcc', { a: 3.6, cubic: true });
  for (let k = 0; k < 3; k++) out.push({ label: `rattled fcc ${k}`, s: rattle(repeat(cell, 3), 0.1, new Rng(k)) });
  for (let seed = 0; seed < 4; seed++) out.push({ label: `random orthorhombic ${seed}`, s: randomStructure({ numbers: [29], n: 30, cell: cellFromParameters(8, 8.3, 8.6), minDistance: 2.0, seed: 10 + seed }) });
  for (let seed = 0; seed < 4; seed++) out.push({ label: `random triclinic ${seed}`, s: randomStructure({ numbers: [29], n: 30, cell: cellFromParameters(8.1, 8.4, 8.8, 74 + 3 * seed, 85, 102 + 2 * seed), minDistance: 2.0, seed: 20 + seed }) });
  out.push({ label: 'small triclinic', s: randomStructure({ numbers: [29], n: 4, cell: cellFromParameters(4.6, 4.9, 5.2, 80, 95, 110), minDistance: 2.0, seed: 30 }) });
  out.push({ label: 'open cluster', s: randomStructure({ numbers: [29], n: 20, cell: cellFromParameters(8, 8, 8), pbc: false, minDistance: 2.0, seed: 31 }) });
  return out;
}

for (const shift of [true, false]) {
  test(`morse equals LAMMPS pair_style morse (pair_modify shift ${shift ? 'yes' : 'no'})`, { skip }, (t) => {
    const P = { D0: 0.3429, alpha: 1.3588, r0: 2.866, cutoff: 6.5 };
    const pot = new Morse({ ...P, shift });
    const worst = compareAllWithLammps(pot, configurations(), { pairStyle: `morse ${P.cutoff}`, pairCoeff: [`* * ${P.D0} ${P.alpha} ${P.r0}`], extraCommands: [`pair_modify shift ${shift ? 'yes' : 'no'}`] }, TOL);
    t.diagnostic(`worst relative difference: ${formatDeviations(worst)}`);
  });
}
