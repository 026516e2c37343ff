import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAllWithLammps, formatDeviations, siConfigurations } from './lammps-compare.js';
import { lammpsPeer } from './peers.js';
import { StillingerWeber } from '../potentials/sw.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;

test('sw equals LAMMPS pair_style sw (Si.sw) to 1e-8 on 22 Si configurations: energy, forces, virial stress, per-atom energies', { skip }, () => {
  const pot = StillingerWeber.silicon();
  const configs = siConfigurations();
  assert.ok(configs.length >= 20);
  const worst = compareAllWithLammps(pot, configs, { pairStyle: 'sw', pairCoeff: ['* * /usr/share/lammps/potentials/Si.sw Si'] }, TOL);
  // worst relative deviations, for the docs
  console.log(`# sw vs LAMMPS worst relative deviation: ${formatDeviations(worst)}`);
});
