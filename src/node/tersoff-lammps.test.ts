import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runLammps } from './lammps.js';
import { compareAllWithLammps, compareWithLammps, formatDeviations, siConfigurations } from './lammps-compare.js';
import { lammpsPeer } from './peers.js';
import { Tersoff } from '../potentials/tersoff.js';
import { randomStructure } from '../structure/random.js';
import { cellFromParameters } from '../structure/cell.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;

test('tersoff equals LAMMPS pair_style tersoff (Si.tersoff) to 1e-8 on 22 Si configurations: energy, forces, virial stress, per-atom energies', { skip }, () => {
  const pot = Tersoff.silicon();
  const configs = siConfigurations();
  assert.ok(configs.length >= 20);
  const worst = compareAllWithLammps(pot, configs, { pairStyle: 'tersoff', pairCoeff: ['* * /usr/share/lammps/potentials/Si.tersoff Si'] }, TOL);
  console.log(`# tersoff vs LAMMPS worst relative deviation: ${formatDeviations(worst)}`);
});

for (const name of ['SiC.tersoff', 'SiC_1994.tersoff']) {
  test(`tersoff equals LAMMPS pair_style tersoff for two elements (${name}${name === 'SiC_1994.tersoff' ? ', whose Si C C / C Si Si entries differ in A and D' : ''}) to 1e-8`, { skip }, () => {
    const file = `/usr/share/lammps/potentials/${name}`;
    const pot = Tersoff.fromLammps(readFileSync(file, 'utf8'), ['Si', 'C'], name);
    for (let seed = 0; seed < 4; seed++) {
      const s = randomStructure({ numbers: [14, 6], n: 30, cell: cellFromParameters(8, 8.5, 9, 80 + seed, 95, 100 + 3 * seed), minDistance: 1.5, seed: 600 + seed });
      // LAMMPS types sorted by Z: 1 = C, 2 = Si
      const ref = runLammps(s, { pairStyle: 'tersoff', pairCoeff: [`* * ${file} C Si`], perAtomEnergy: true });
      compareWithLammps(pot, s, ref, `SiC seed ${seed}`, TOL);
    }
  });
}
