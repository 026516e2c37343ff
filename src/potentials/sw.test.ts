import { test, assert, fileExists, readText } from '../node/test-support.js';
import { StillingerWeber } from './sw.js';
import { runConformance } from './conformance.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { repeat } from '../structure/repeat.js';
import { bulk, rattle } from '../structure/builders.js';
import { cellFromParameters } from '../structure/cell.js';
import { buildNeighborList } from '../neighbors/build.js';
import { ParameterError, ParseError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

const SI_SW_FILE = '/usr/share/lammps/potentials/Si.sw';
const si = StillingerWeber.silicon();

/** Diamond Si, 8-atom conventional cubic cell. */
function diamond(a = 5.431): Structure {
  return bulk('Si', 'diamond', { a, cubic: true });
}

function assertConforms(pot: StillingerWeber, s: Structure, label: string): void {
  for (const r of runConformance(pot, s, { forceTol: 1e-7, stressTol: 1e-8 })) {
    assert.ok(r.pass, `${label}: ${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
  }
}

test('sw silicon() has exactly the parameters of LAMMPS Si.sw', { skip: fileExists(SI_SW_FILE) ? false : `needs ${SI_SW_FILE} (apt-get install lammps)` }, () => {
  const fromFile = StillingerWeber.fromLammps(readText(SI_SW_FILE), ['Si'], 'Si.sw');
  assert.deepEqual(si.params, fromFile.params);
  assert.equal(si.cutoff, fromFile.cutoff);
});

test('sw diamond silicon at a = 5.431 Å has the Stillinger-Weber cohesive energy -2 eps per atom and zero forces', () => {
  const s = repeat(diamond(), 2);
  const r = si.compute(s, { forces: true, stress: true });
  // the pair minimum of SW sits at the diamond bond length 2^(1/6) sigma; E/atom = -2 eps
  assert.ok(Math.abs(r.energy / s.length - -2 * 2.1683) < 2e-3, `E/atom ${r.energy / s.length}`);
  for (const f of r.forces!) assert.ok(Math.abs(f) < 1e-10, `force ${f} in perfect diamond`);
  assert.ok(Math.abs(r.stress![3]!) < 1e-12 && Math.abs(r.stress![0]! - r.stress![1]!) < 1e-12, 'cubic stress');
});

test('sw cutoff is a*sigma and a dimer just inside it is bound weakly', () => {
  assert.ok(Math.abs(si.cutoff - 1.8 * 2.0951) < 1e-15);
  const far = Structure.fromSymbols(['Si', 'Si'], [[0, 0, 0], [si.cutoff + 1e-9, 0, 0]]);
  assert.equal(si.compute(far).energy, 0);
  const near = Structure.fromSymbols(['Si', 'Si'], [[0, 0, 0], [si.cutoff - 0.05, 0, 0]]);
  const e = si.compute(near).energy;
  assert.ok(e < 0 && e > -1e-3, `dimer energy near the cutoff ${e}`);
});

for (const [label, cell, pbc, n] of [
  ['open cluster', cellFromParameters(7, 7, 7), false, 12],
  ['orthorhombic', cellFromParameters(7.5, 8, 8.5), true, 16],
  ['triclinic', cellFromParameters(7.6, 8.1, 8.4, 72, 81, 104), true, 16],
  ['small triclinic (cutoff > half the cell)', cellFromParameters(4.4, 4.8, 5.1, 75, 95, 110), true, 4],
  ['slab', cellFromParameters(7.5, 8, 8), [true, true, false], 14],
] as const) {
  test(`sw passes the conformance kit on random Si (${label})`, () => {
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [14], n, cell, pbc, minDistance: 2.0, seed });
      assertConforms(si, s, `${label} seed ${seed}`);
    }
  });
}

test('sw passes the conformance kit on a rattled diamond supercell', () => {
  assertConforms(si, rattle(diamond(), 0.15, new Rng(7)), 'rattled diamond');
});

test('sw per-atom energies sum to the energy and match the diamond symmetry', () => {
  const s = rattle(repeat(diamond(), [2, 1, 1]), 0.1, new Rng(3));
  const r = si.compute(s, { energies: true });
  const sum = r.energies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - r.energy) < 1e-12 * Math.abs(r.energy));
  const perfect = si.compute(diamond(), { energies: true }).energies!;
  for (const e of perfect) assert.ok(Math.abs(e - perfect[0]!) < 1e-13);
});

test('sw with a prebuilt neighbour list carrying a skin gives identical results', () => {
  const s = rattle(repeat(diamond(), 2), 0.1, new Rng(11));
  const direct = si.compute(s, { forces: true, stress: true, energies: true });
  const nl = buildNeighborList(s, si.cutoff, { skin: 1.0 });
  const viaList = si.compute(s, { forces: true, stress: true, energies: true }, { neighbors: nl });
  assert.ok(Math.abs(direct.energy - viaList.energy) < 1e-12 * Math.abs(direct.energy));
  for (let k = 0; k < 3 * s.length; k++) assert.ok(Math.abs(direct.forces![k]! - viaList.forces![k]!) < 1e-12);
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(direct.stress![k]! - viaList.stress![k]!) < 1e-14);
});

// A synthetic two-element file (Si/Ge-like), with an asymmetric mixed cos theta0 and continuation lines.
const SIGE_SW = `# DATE: 2024-01-01 UNITS: metal  synthetic test file
# epsilon sigma a lambda gamma costheta0 A B p q tol
Si Si Si 2.1683 2.0951 1.80 21.0 1.20 -0.333333333333 7.049556277 0.6022245584 4.0 0.0 0.0
Ge Ge Ge 1.93   2.181  1.80 31.0 1.20 -0.333333333333
         7.049556277 0.6022245584 4.0 0.0 0.0   # continued entry
Si Ge Ge 2.05   2.138  1.80 25.0 1.20 -0.333333333333 7.049556277 0.6022245584 4.0 0.0 0.0
Ge Si Si 2.05   2.138  1.80 25.0 1.20 -0.333333333333 7.049556277 0.6022245584 4.0 0.0 0.0
Si Si Ge 2.10   0.0    0.0  23.0 0.0  -0.30           0.0 0.0 0.0 0.0 0.0
Si Ge Si 2.10   0.0    0.0  23.0 0.0  -0.30           0.0 0.0 0.0 0.0 0.0
Ge Si Ge 2.00   0.0    0.0  27.0 0.0  -0.35           0.0 0.0 0.0 0.0 0.0
Ge Ge Si 2.00   0.0    0.0  27.0 0.0  -0.35           0.0 0.0 0.0 0.0 0.0
`;

test('sw two-element parameter file passes the conformance kit', () => {
  const pot = StillingerWeber.fromLammps(SIGE_SW, ['Si', 'Ge'], 'SiGe.sw');
  assert.deepEqual([...pot.species], [14, 32]);
  for (let seed = 0; seed < 3; seed++) {
    const s = randomStructure({ numbers: [14, 32], n: 14, cell: cellFromParameters(7.6, 8.1, 8.4, 80, 95, 100), minDistance: 2.0, seed });
    assertConforms(pot, s, `SiGe seed ${seed}`);
  }
  // element order of the types does not matter
  const swapped = StillingerWeber.fromLammps(SIGE_SW, ['Ge', 'Si'], 'SiGe.sw');
  const s = randomStructure({ numbers: [14, 32], n: 14, cell: cellFromParameters(7.6, 8.1, 8.4), minDistance: 2.0, seed: 9 });
  assert.ok(Math.abs(pot.compute(s).energy - swapped.compute(s).energy) < 1e-12);
});

test('sw reading a file rejects missing triplets, wrong value counts, non-metal units and j/k-asymmetric three-body entries', () => {
  assert.throws(() => StillingerWeber.fromLammps(SIGE_SW.replace(/^Ge Ge Si.*$/m, ''), ['Si', 'Ge']), (e: unknown) => e instanceof ParameterError && /Ge Ge Si/.test(e.message));
  assert.throws(() => StillingerWeber.fromLammps('Si Si Si 1 2 3 4 5 6 7 8 9 10 11 12\n', ['Si']), (e: unknown) => e instanceof ParseError && /12 values, expected 11/.test(e.message) && /line 1/.test(e.message));
  assert.throws(() => StillingerWeber.fromLammps('Si Si Si 1 2 3 4 5\n', ['Si']), (e: unknown) => e instanceof ParseError && /file ends inside/.test(e.message));
  assert.throws(() => StillingerWeber.fromLammps('# UNITS: real\nSi Si Si 2.1683 2.0951 1.80 21.0 1.20 -0.3333 7.05 0.60 4.0 0.0 0.0\n', ['Si']), (e: unknown) => e instanceof ParseError && /real/.test(e.message));
  assert.throws(() => StillingerWeber.fromLammps(SIGE_SW.replace(/^Si Ge Si 2.10   0.0    0.0  23.0/m, 'Si Ge Si 2.10   0.0    0.0  24.0'), ['Si', 'Ge']), (e: unknown) => e instanceof ParameterError && /Si Si Ge and Si Ge Si differ in lambda\*epsilon/.test(e.message));
  assert.throws(() => StillingerWeber.fromLammps(SIGE_SW, ['Si', 'Xx']), /unknown element/);
});

test('sw rejects atoms of elements it has no parameters for', () => {
  const s = Structure.fromSymbols(['Si', 'C'], [[0, 0, 0], [2, 0, 0]]);
  assert.throws(() => si.compute(s), (e: unknown) => e instanceof ParameterError && /element C/.test(e.message));
});
