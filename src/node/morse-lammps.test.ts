import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLammps } from './lammps.js';
import { lammpsPeer } from './peers.js';
import { Morse } from '../potentials/morse.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import { repeat } from '../structure/repeat.js';
import { cellFromParameters } from '../structure/cell.js';
import { Rng } from '../core/rng.js';

const skip = lammpsPeer().skip;
const TOL = 1e-8;

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

function configurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  const a = 3.6;
  const f = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const cell = Structure.fromSymbols(['Cu', 'Cu', 'Cu', 'Cu'], f.map((p) => p.map((x) => x * a)), { cell: [a, 0, 0, 0, a, 0, 0, 0, a], pbc: true });
  for (let k = 0; k < 3; k++) {
    const s = repeat(cell, 3);
    const rng = new Rng(k);
    for (let i = 0; i < s.positions.length; i++) s.positions[i] = s.positions[i]! + 0.1 * rng.normal();
    out.push({ label: `rattled fcc ${k}`, s });
  }
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
    let worst = 0;
    for (const { label, s } of configurations()) {
      const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
      const ref = runLammps(s, { pairStyle: `morse ${P.cutoff}`, pairCoeff: [`* * ${P.D0} ${P.alpha} ${P.r0}`], extraCommands: [`pair_modify shift ${shift ? 'yes' : 'no'}`], perAtomEnergy: true });
      const r = pot.compute(s, { forces: true, stress: full, energies: true });
      const e = Math.abs(r.energy - ref.energy) / Math.abs(ref.energy);
      const f = maxDiff(r.forces!, ref.forces) / maxAbs(ref.forces);
      const pe = maxDiff(r.energies!, ref.energies!) / maxAbs(ref.energies!);
      assert.ok(e <= TOL, `${label}: energy ${r.energy} vs LAMMPS ${ref.energy} (rel ${e})`);
      assert.ok(f <= TOL, `${label}: forces differ by ${f} relative to max |F|`);
      assert.ok(pe <= TOL, `${label}: per-atom energies differ by ${pe} relative`);
      worst = Math.max(worst, e, f, pe);
      if (full) {
        const st = maxDiff(r.stress!, ref.stress) / maxAbs(ref.stress);
        assert.ok(st <= TOL, `${label}: stress ${Array.from(r.stress!)} vs LAMMPS ${Array.from(ref.stress)} (rel ${st})`);
        worst = Math.max(worst, st);
      }
    }
    t.diagnostic(`worst relative difference (energy, forces, per-atom energies, stress): ${worst.toExponential(1)}`);
  });
}
