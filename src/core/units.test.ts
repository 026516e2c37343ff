import { test, assert, runPython } from '../node/test-support.js';
import * as U from './units.js';
import { asePeer } from '../node/peers.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('constants derived from SI definitions have the textbook values', () => {
  // SI 2019 exact: e = 1.602176634e-19 C, kB = 1.380649e-23 J/K, h = 6.62607015e-34 J s, NA = 6.02214076e23
  assert.ok(rel(U.KB, 1.380649e-23 / 1.602176634e-19) < 1e-15);
  assert.ok(rel(U.KB, 8.617333262e-5) < 1e-9);
  assert.ok(rel(U.EV_TO_KJ_PER_MOL, 96.48533212) < 1e-9);
  assert.ok(rel(U.EV_TO_KCAL_PER_MOL, 23.060547830) < 1e-9);
  assert.ok(rel(U.EV_TO_INV_CM, 8065.543937) < 1e-9);
  assert.ok(rel(U.EV_TO_THZ, 241.7989242) < 1e-9);
  assert.ok(rel(U.EV_PER_A3_TO_GPA, 160.21766340) < 1e-9);
  assert.ok(rel(U.NATURAL_TIME_FS, 10.1805055) < 1e-7);
  assert.ok(rel(U.EV_PER_A2_TO_J_PER_M2, 16.02176634) < 1e-12);
});

test('derived conversions are mutually consistent', () => {
  assert.ok(rel(U.ACCEL_TO_A_PER_FS2 * U.MV2_TO_EV, 1) < 1e-15);
  assert.ok(rel(U.GPA_TO_EV_PER_A3 * U.EV_PER_A3_TO_GPA, 1) < 1e-15);
  assert.ok(rel(U.KBAR_TO_EV_PER_A3 * U.EV_PER_A3_TO_GPA, 0.1) < 1e-15);
  assert.ok(rel(U.EV_PER_A3_TO_BAR, 1e4 * U.EV_PER_A3_TO_GPA) < 1e-15);
  assert.ok(rel(U.KCAL_PER_MOL_TO_EV * U.EV_TO_KCAL_PER_MOL, 1) < 1e-15);
  assert.ok(rel(U.KJ_PER_MOL_TO_EV * U.EV_TO_KJ_PER_MOL, 1) < 1e-15);
  // CODATA 2018 atomic unit of electric field 5.14220674763e11 V/m
  assert.ok(rel(U.HARTREE_PER_BOHR_TO_EV_PER_A, 51.4220674763) < 1e-10);
  // kinetic energy of 1 amu at 1 Å/fs: 0.5 m v^2 = 0.5 * 1.66054e-27 kg * 1e10 m^2/s^2 / e
  assert.ok(rel(0.5 * U.MV2_TO_EV, (0.5 * U.AMU_KG * 1e10) / U.ELEMENTARY_CHARGE_C) < 1e-14);
});

test('units agree with ASE ase.units (CODATA 2014) to ~1e-6', { skip: asePeer().skip }, () => {
  const r = runPython('from ase import units as u; import json; print(json.dumps([u.kB, u.mol / u.kJ, 1 / u.invcm, 1 / u.GPa, 1 / u.fs, u.Hartree, u.Bohr]))', [], { timeoutMs: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const [kB, kjmol, invcm, gpa, naturalFs, hartree, bohr] = JSON.parse(r.stdout) as number[];
  assert.ok(rel(U.KB, kB!) < 2e-6, `kB ${U.KB} vs ASE ${kB}`);
  assert.ok(rel(U.EV_TO_KJ_PER_MOL, kjmol!) < 2e-6);
  assert.ok(rel(U.EV_TO_INV_CM, invcm!) < 2e-6);
  assert.ok(rel(U.EV_PER_A3_TO_GPA, gpa!) < 2e-6);
  assert.ok(rel(U.NATURAL_TIME_FS, naturalFs!) < 2e-6);
  assert.ok(rel(U.HARTREE_EV, hartree!) < 2e-6);
  assert.ok(rel(U.BOHR_ANGSTROM, bohr!) < 2e-6);
});
