import { test, assert, fileExists, readText } from '../node/test-support.js';
import { Eam, FUNCFL_Z2R_FACTOR } from './eam.js';
import { runConformance } from './conformance.js';
import { lammpsSpline, splineDerivative, splineValue } from './spline.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters } from '../structure/cell.js';
import { ParameterError, ParseError } from '../core/errors.js';

const POT_DIR = '/usr/share/lammps/potentials';
const CU_U3 = `${POT_DIR}/Cu_u3.eam`;
const NI_U3 = `${POT_DIR}/Ni_u3.eam`;
const CUNI = `${POT_DIR}/CuNi.eam.alloy`;
const need = (...files: string[]) => ({ skip: files.every(fileExists) ? false : `needs ${files.join(', ')} (apt-get install lammps)` });

/** Format a table five values per line, like DYNAMO files. */
function table(values: number[]): string {
  const lines: string[] = [];
  for (let k = 0; k < values.length; k += 5) lines.push(values.slice(k, k + 5).map((v) => v.toPrecision(17)).join(' '));
  return lines.join('\n');
}

interface SyntheticSetfl {
  text: string;
  nrho: number; drho: number; nr: number; dr: number; cut: number;
  F: ((rho: number) => number)[];
  f: ((r: number) => number)[];
  rphi: ((r: number) => number)[][];
}

/** A smooth two-element (Cu, Ni) setfl written in the test: F = -A sqrt(rho), f = B exp(-b r) s(r), phi Morse-like times s(r). */
function syntheticSetfl(opts: { nrho?: number; drho?: number } = {}): SyntheticSetfl {
  const nrho = opts.nrho ?? 500, drho = opts.drho ?? 0.004, nr = 500, dr = 0.011, cut = 5.3;
  const s = (r: number) => (r >= cut ? 0 : (1 - r / cut) ** 4);
  const F = [(rho: number) => -1.3 * Math.sqrt(rho + 0.01) + 0.13, (rho: number) => -1.6 * Math.sqrt(rho + 0.02) + 0.2 * rho];
  const f = [(r: number) => 2.1 * Math.exp(-1.1 * r) * s(r), (r: number) => 2.5 * Math.exp(-1.2 * r) * s(r)];
  const morse = (D: number, a: number, r0: number) => (r: number) => r * D * (Math.exp(-2 * a * (r - r0)) - 2 * Math.exp(-a * (r - r0))) * s(r);
  const pCu = morse(0.3, 1.4, 2.6), pNi = morse(0.35, 1.5, 2.5), pX = morse(0.32, 1.45, 2.55);
  const rphi = [[pCu], [pX, pNi]];
  const rho = (m: number) => m * drho, r = (m: number) => m * dr;
  const lines = ['synthetic Cu-Ni setfl for mlpot tests', 'second comment', 'third comment', '2 Cu Ni', `${nrho} ${drho} ${nr} ${dr} ${cut}`];
  const els = [['29 63.546 3.615 fcc'], ['28 58.6934 3.52 fcc']];
  for (let a = 0; a < 2; a++) {
    lines.push(els[a]![0]!);
    lines.push(table(Array.from({ length: nrho }, (_, m) => F[a]!(rho(m)))));
    lines.push(table(Array.from({ length: nr }, (_, m) => f[a]!(r(m)))));
  }
  for (let a = 0; a < 2; a++) for (let b = 0; b <= a; b++) lines.push(table(Array.from({ length: nr }, (_, m) => rphi[a]![b]!(r(m)))));
  return { text: lines.join('\n') + '\n', nrho, drho, nr, dr, cut, F, f, rphi };
}

test('eam/alloy dimer energy and force equal the splined functions evaluated by hand', () => {
  const syn = syntheticSetfl();
  const pot = Eam.fromSetfl(syn.text);
  const grid = (fn: (x: number) => number, n: number, d: number) => lammpsSpline(Array.from({ length: n }, (_, m) => fn(m * d)), d);
  const Fcu = grid(syn.F[0]!, syn.nrho, syn.drho), Fni = grid(syn.F[1]!, syn.nrho, syn.drho);
  const fcu = grid(syn.f[0]!, syn.nr, syn.dr), fni = grid(syn.f[1]!, syn.nr, syn.dr);
  const z = grid(syn.rphi[1]![0]!, syn.nr, syn.dr);
  const r = 2.47;
  const s = Structure.fromSymbols(['Cu', 'Ni'], [[0, 0, 0], [r, 0, 0]]);
  const res = pot.compute(s, { forces: true, energies: true });
  const rhoCu = splineValue(fni, r), rhoNi = splineValue(fcu, r);
  const eCu = splineValue(Fcu, rhoCu), eNi = splineValue(Fni, rhoNi);
  const phi = splineValue(z, r) / r;
  assert.ok(Math.abs(res.energy - (eCu + eNi + phi)) < 1e-13, `${res.energy} vs ${eCu + eNi + phi}`);
  assert.ok(Math.abs(res.energies![0]! - (eCu + phi / 2)) < 1e-13);
  const dphi = splineDerivative(z, r) / r - phi / r;
  const dE = splineDerivative(Fcu, rhoCu) * splineDerivative(fni, r) + splineDerivative(Fni, rhoNi) * splineDerivative(fcu, r) + dphi;
  assert.ok(Math.abs(res.forces![0]! - dE) < 1e-13, `${res.forces![0]} vs ${dE}`);
  assert.equal(res.forces![3], -res.forces![0]!);
  // and close to the analytic functions the table was made from
  const exact = syn.F[0]!(syn.f[1]!(r)) + syn.F[1]!(syn.f[0]!(r)) + syn.rphi[1]![0]!(r) / r;
  assert.ok(Math.abs(res.energy - exact) < 1e-6, `table vs analytic: ${res.energy} vs ${exact}`);
});

test('eam/alloy beyond the cutoff contributes nothing', () => {
  const pot = Eam.fromSetfl(syntheticSetfl().text);
  const s = Structure.fromSymbols(['Cu', 'Cu'], [[0, 0, 0], [5.31, 0, 0]]);
  const res = pot.compute(s, { forces: true });
  const F0 = Eam.fromSetfl(syntheticSetfl().text).compute(Structure.fromSymbols(['Cu'], [[0, 0, 0]])).energy;
  assert.equal(res.energy, 2 * F0);
  assert.deepEqual(Array.from(res.forces!), [0, 0, 0, 0, 0, 0]);
});

test('eam/alloy extends F linearly above rhomax, keeping forces the gradient of the energy', () => {
  // a short density table: rhomax = 19 * 0.004 = 0.076, exceeded by close neighbours
  const syn = syntheticSetfl({ nrho: 20, drho: 0.004 });
  const pot = Eam.fromSetfl(syn.text);
  const s = Structure.fromSymbols(['Cu', 'Cu'], [[0, 0, 0], [1.6, 0, 0]]);
  const rho = syn.f[0]!(1.6);
  assert.ok(rho > 0.076, `test needs rho above rhomax, got ${rho}`);
  const res = pot.compute(s, { forces: true, energies: true });
  const Fsp = lammpsSpline(Array.from({ length: 20 }, (_, m) => syn.F[0]!(m * 0.004)), 0.004);
  const z = lammpsSpline(Array.from({ length: syn.nr }, (_, m) => syn.rphi[0]![0]!(m * syn.dr)), syn.dr);
  const rhoSp = splineValue(lammpsSpline(Array.from({ length: syn.nr }, (_, m) => syn.f[0]!(m * syn.dr)), syn.dr), 1.6);
  assert.ok(Math.abs(pot.densities(s)[0]! - rhoSp) < 1e-15, 'densities() returns rho_i');
  const Fext = splineValue(Fsp, 0.076) + splineDerivative(Fsp, 0.076) * (rhoSp - 0.076);
  assert.ok(Math.abs(res.energies![0]! - (Fext + splineValue(z, 1.6) / 3.2)) < 1e-13);
  for (const r of runConformance(pot, s, { h: 1e-5, forceTol: 1e-6 })) assert.ok(r.pass, `${r.check}: ${r.detail}`);
});

const CELLS = [
  ['open', cellFromParameters(10, 10, 10), false],
  ['orthorhombic', cellFromParameters(7.2, 7.6, 8.1), true],
  ['triclinic small', cellFromParameters(5.1, 5.5, 6.0, 72, 81, 104), true],
] as const;

for (const [label, cell, pbc] of CELLS) {
  test(`eam/alloy (synthetic Cu-Ni) passes the conformance kit (${label})`, () => {
    const pot = Eam.fromSetfl(syntheticSetfl().text);
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [28, 29], n: 6, cell, pbc, minDistance: 2.0, seed });
      for (const r of runConformance(pot, s, { h: 2e-5, forceTol: 1e-6, stressTol: 1e-7 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
    }
  });

  test(`eam (Cu_u3 funcfl) passes the conformance kit (${label})`, need(CU_U3), () => {
    const pot = Eam.fromFuncfl(readText(CU_U3));
    for (let seed = 0; seed < 3; seed++) {
      const s = randomStructure({ numbers: [29], n: 6, cell, pbc, minDistance: 2.0, seed: 10 + seed });
      for (const r of runConformance(pot, s, { h: 2e-5, forceTol: 1e-6, stressTol: 1e-7 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
    }
  });
}

test('eam/alloy (CuNi.eam.alloy) passes the conformance kit on a small triclinic alloy cell', need(CUNI), () => {
  const pot = Eam.fromSetfl(readText(CUNI));
  assert.deepEqual(pot.elements, ['Ni', 'Cu']);
  const s = randomStructure({ numbers: [28, 29], n: 6, cell: cellFromParameters(5.2, 5.4, 5.9, 80, 95, 110), minDistance: 2.1, seed: 7 });
  for (const r of runConformance(pot, s, { h: 2e-5, forceTol: 1e-6, stressTol: 1e-7 })) assert.ok(r.pass, `${r.check}: ${r.detail} (error ${r.error}, tol ${r.tolerance})`);
});

test('funcfl pair term is 27.2 * 0.529 * Z(r)^2 / r and the grid is LAMMPS\' (one knot fewer)', need(CU_U3), () => {
  const pot = Eam.fromFuncfl(readText(CU_U3));
  const t = pot.tables;
  assert.equal(t.nr, 499);
  assert.equal(t.nrho, 499);
  assert.equal(t.cutoff, 4.9499999999999886);
  assert.ok(Math.abs(t.rhomax - 499 * 5.0100200400801306e-4) < 1e-15);
  // Z(r) at knot 100 from the file: values after 3 header lines and 100 F lines
  const words = readText(CU_U3).split('\n').slice(3).join(' ').trim().split(/\s+/).map(Number);
  const zr = words.slice(500, 1000);
  assert.ok(Math.abs(t.z2r[0]![100]! - FUNCFL_Z2R_FACTOR * zr[100]! * zr[100]!) < 1e-12 * Math.abs(t.z2r[0]![100]!));
});

test('several funcfl files mix like LAMMPS: pair term from the product of effective charges', need(CU_U3, NI_U3), () => {
  const cu = Eam.fromFuncfl(readText(CU_U3));
  const both = Eam.fromFuncfl([readText(CU_U3), readText(NI_U3)]);
  assert.deepEqual(both.species, [29, 28]);
  const t = both.tables;
  for (const m of [50, 200, 300]) {
    const zcu = Math.sqrt(t.z2r[0]![m]! / FUNCFL_Z2R_FACTOR), zni = Math.sqrt(t.z2r[2]![m]! / FUNCFL_Z2R_FACTOR);
    assert.ok(Math.abs(t.z2r[1]![m]! - FUNCFL_Z2R_FACTOR * zcu * zni) < 1e-12 * Math.abs(t.z2r[1]![m]!));
  }
  // pure Cu is unchanged by adding Ni when the grids agree
  const s = randomStructure({ numbers: [29], n: 5, cell: cellFromParameters(6, 6, 6), minDistance: 2.2, seed: 3 });
  assert.ok(Math.abs(cu.compute(s).energy - both.compute(s).energy) < 1e-10);
  const alloy = randomStructure({ numbers: [28, 29], n: 6, cell: cellFromParameters(5.6, 5.8, 6.1, 85, 95, 100), minDistance: 2.1, seed: 4 });
  for (const r of runConformance(both, alloy, { h: 2e-5, forceTol: 1e-6, stressTol: 1e-7 })) assert.ok(r.pass, `${r.check}: ${r.detail}`);
});

test('setfl element subset keeps only those elements and rejects unknown ones', () => {
  const text = syntheticSetfl().text;
  const ni = Eam.fromSetfl(text, ['Ni']);
  assert.deepEqual(ni.species, [28]);
  const s = randomStructure({ numbers: [28], n: 4, cell: cellFromParameters(6, 6, 6), minDistance: 2.2, seed: 1 });
  assert.equal(ni.compute(s).energy, Eam.fromSetfl(text).compute(s).energy);
  assert.throws(() => Eam.fromSetfl(text, ['Al']), (e: unknown) => e instanceof ParameterError && /Al is not in the setfl file \(it has Cu, Ni\)/.test(e.message));
  const cu = Structure.fromSymbols(['Cu'], [[0, 0, 0]]);
  assert.throws(() => ni.compute(cu), /no parameters for element Cu/);
});

test('setfl parse errors name the line and what was expected', () => {
  const lines = syntheticSetfl().text.split('\n');
  const bad = [...lines];
  bad[7] = bad[7]!.replace(/^\S+/, '1.0x');
  assert.throws(() => Eam.fromSetfl(bad.join('\n')), (e: unknown) => e instanceof ParseError && /line 8: expected value \d+ of 500 of F\(rho\) of Cu \(a number\), found "1.0x"/.test(e.message));
  assert.throws(() => Eam.fromSetfl(lines.slice(0, 60).join('\n')), (e: unknown) => e instanceof ParseError && /unexpected end of file: expected 500 values of/.test(e.message));
  const grid = [...lines];
  grid[4] = '500 0.004 500';
  assert.throws(() => Eam.fromSetfl(grid.join('\n')), (e: unknown) => e instanceof ParseError && /line 5: expected dr \(a number\), found nothing/.test(e.message));
  const els = [...lines];
  els[3] = '2 Cu';
  assert.throws(() => Eam.fromSetfl(els.join('\n')), (e: unknown) => e instanceof ParseError && /line 4: expected "N el_1 ... el_N"/.test(e.message));
});

test('funcfl parse errors name the line', () => {
  const text = '# comment\n29 63.55 3.615 FCC\n5 0.1 5 0.5\n';
  assert.throws(() => Eam.fromFuncfl(text), (e: unknown) => e instanceof ParseError && /funcfl, line 3: expected the cutoff/.test(e.message));
  const short = '# comment\n29 63.55 3.615 FCC\n5 0.1 5 0.5 2.0\n1 2 3 4 5\n1 2 3\n';
  assert.throws(() => Eam.fromFuncfl(short), (e: unknown) => e instanceof ParseError && /end of file: expected 5 values of Z\(r\), found 3/.test(e.message));
});
