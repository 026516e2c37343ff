import { test, assert, fileExists, listDir, readText } from '../node/test-support.js';
import { Tersoff } from './tersoff.js';
import { runConformance } from './conformance.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { repeat } from '../structure/repeat.js';
import { bulk, rattle } from '../structure/builders.js';
import { cellFromParameters } from '../structure/cell.js';
import { buildNeighborList } from '../neighbors/build.js';
import { ParameterError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

const LAMMPS_DIR = '/usr/share/lammps/potentials';
const si = Tersoff.silicon();

/** Diamond Si, 8-atom conventional cubic cell. */
function diamond(a = 5.432): Structure {
  return bulk('Si', 'diamond', { a, cubic: true });
}

function assertConforms(pot: Tersoff, s: Structure, label: string): void {
  for (const r of runConformance(pot, s, { forceTol: 1e-7, stressTol: 1e-8 })) {
    assert.ok(r.pass, `${label}: ${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
  }
}

test('tersoff silicon() has exactly the parameters of LAMMPS Si.tersoff', { skip: fileExists(`${LAMMPS_DIR}/Si.tersoff`) ? false : 'needs LAMMPS potentials (apt-get install lammps)' }, () => {
  const fromFile = Tersoff.fromLammps(readText(`${LAMMPS_DIR}/Si.tersoff`), ['Si'], 'Si.tersoff');
  assert.deepEqual(si.params, fromFile.params);
  assert.equal(si.cutoff, 3.2);
});

test('tersoff diamond silicon has the Tersoff (1988) cohesive energy -4.63 eV/atom at a = 5.432 Å and zero forces', () => {
  const s = repeat(diamond(), 2);
  const r = si.compute(s, { forces: true, stress: true });
  assert.ok(Math.abs(r.energy / s.length - -4.63) < 0.01, `E/atom ${r.energy / s.length}`);
  for (const f of r.forces!) assert.ok(Math.abs(f) < 1e-10);
  // near the equilibrium lattice constant the pressure is small (< 1 GPa = 0.0062 eV/Å^3)
  assert.ok(Math.abs(r.stress![0]!) < 0.0062, `stress ${r.stress![0]}`);
});

for (const [label, cell, pbc, n] of [
  ['open cluster', cellFromParameters(7, 7, 7), false, 12],
  ['orthorhombic', cellFromParameters(7.5, 8, 8.5), true, 18],
  ['triclinic', cellFromParameters(7.6, 8.1, 8.4, 72, 81, 104), true, 18],
  ['small triclinic (cutoff > half the cell)', cellFromParameters(4.2, 4.6, 5.0, 75, 95, 110), true, 5],
] as const) {
  test(`tersoff passes the conformance kit on random Si (${label})`, () => {
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [14], n, cell, pbc, minDistance: 2.0, seed });
      assertConforms(si, s, `${label} seed ${seed}`);
    }
  });
}

test('tersoff passes the conformance kit on a rattled diamond supercell', () => {
  assertConforms(si, rattle(diamond(), 0.15, new Rng(7)), 'rattled diamond');
});

test('tersoff per-atom energies sum to the energy', () => {
  const s = rattle(repeat(diamond(), [2, 1, 1]), 0.1, new Rng(3));
  const r = si.compute(s, { energies: true });
  const sum = r.energies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - r.energy) < 1e-12 * Math.abs(r.energy));
});

test('tersoff with a prebuilt neighbour list carrying a skin gives identical results', () => {
  const s = rattle(repeat(diamond(), 2), 0.1, new Rng(11));
  const direct = si.compute(s, { forces: true, stress: true });
  const viaList = si.compute(s, { forces: true, stress: true }, { neighbors: buildNeighborList(s, si.cutoff, { skin: 1.0 }) });
  assert.ok(Math.abs(direct.energy - viaList.energy) < 1e-12 * Math.abs(direct.energy));
  for (let k = 0; k < 3 * s.length; k++) assert.ok(Math.abs(direct.forces![k]! - viaList.forces![k]!) < 1e-12);
});

// Synthetic two-element file with m = 1 and lambda3 != 0 (exercises the other zeta exponent).
const XY_TERSOFF = `# UNITS: metal  synthetic Si/Ge-like test file
# m gamma lambda3 c d costheta0 n beta lambda2 B R D lambda1 A
Si Si Si 1 1.0 1.1 4.8381 2.0417 0.0 22.956 0.33675 1.3258 95.373 3.0 0.2 3.2394 3264.7
Ge Ge Ge 1 1.0 0.9 4.6    2.2    -0.1 20.0  0.30 1.30 90.0 3.1 0.2 3.1 3000.0
Si Ge Ge 1 1.0 1.0 4.7    2.1    -0.05 21.0 0.32 1.31 92.0 3.05 0.2 3.17 3100.0
Ge Si Si 1 1.0 1.0 4.7    2.1    -0.05 21.5 0.31 1.29 93.0 3.05 0.2 3.17 3100.0
Si Si Ge 1 1.2 1.0 4.7    2.1    -0.05 0.0 0.0 0.0 0.0 3.05 0.2 0.0 0.0
Si Ge Si 1 0.9 1.0 4.7    2.1    -0.05 0.0 0.0 0.0 0.0 3.0  0.2 0.0 0.0
Ge Si Ge 1 1.1 1.0 4.7    2.1    -0.05 0.0 0.0 0.0 0.0 3.1  0.2 0.0 0.0
Ge Ge Si 1 0.8 1.0 4.7    2.1    -0.05 0.0 0.0 0.0 0.0 3.05 0.2 0.0 0.0
`;

test('tersoff two-element parameter files pass the conformance kit (synthetic m = 1, and LAMMPS SiC.tersoff)', () => {
  const pot = Tersoff.fromLammps(XY_TERSOFF, ['Si', 'Ge'], 'SiGe.tersoff');
  for (let seed = 0; seed < 3; seed++) {
    const s = randomStructure({ numbers: [14, 32], n: 16, cell: cellFromParameters(7.6, 8.1, 8.4, 80, 95, 100), minDistance: 2.0, seed });
    assertConforms(pot, s, `SiGe seed ${seed}`);
  }
  if (fileExists(`${LAMMPS_DIR}/SiC.tersoff`)) {
    const sic = Tersoff.fromLammps(readText(`${LAMMPS_DIR}/SiC.tersoff`), ['Si', 'C'], 'SiC.tersoff');
    const s = randomStructure({ numbers: [14, 6], n: 16, cell: cellFromParameters(6.5, 7, 7.2, 80, 95, 100), minDistance: 1.6, seed: 4 });
    assertConforms(sic, s, 'SiC');
  }
});

test('tersoff rejects m other than 1 or 3 and D > R', () => {
  const line = (m: number, R: number, D: number) => `Si Si Si ${m} 1.0 1.3258 4.8381 2.0417 0.0 22.956 0.33675 1.3258 95.373 ${R} ${D} 3.2394 3264.7\n`;
  assert.throws(() => Tersoff.fromLammps(line(2, 3.0, 0.2), ['Si']), (e: unknown) => e instanceof ParameterError && /m of entry Si Si Si must be 1 or 3/.test(e.message));
  assert.throws(() => Tersoff.fromLammps(line(3, 0.1, 0.2), ['Si']), (e: unknown) => e instanceof ParameterError && /D = 0.2 > R = 0.1/.test(e.message));
});

test('every LAMMPS sw and tersoff file with element names builds (rounding-level asymmetries accepted)', { skip: fileExists(LAMMPS_DIR) ? false : 'needs LAMMPS potentials' }, async () => {
  const { StillingerWeber } = await import('./sw.js');
  let built = 0;
  for (const f of listDir(LAMMPS_DIR)) {
    const isSw = /\.sw$/.test(f), isTersoff = /\.tersoff$/.test(f);
    if (!isSw && !isTersoff) continue;
    const text = readText(`${LAMMPS_DIR}/${f}`);
    const names = [...new Set(text.split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter((w) => w.length >= 3 && /^[A-Za-z]/.test(w[0]!)).flatMap((w) => w.slice(0, 3)))];
    if (!names.every((e) => /^[A-Z][a-z]?$/.test(e))) continue; // labels like Si(B) are not element symbols
    const pot = isSw ? StillingerWeber.fromLammps(text, names, f) : Tersoff.fromLammps(text, names, f);
    assert.ok(pot.cutoff > 0, f);
    built++;
  }
  assert.ok(built >= 10, `built ${built} files`);
});
