/**
 * Test support (Node only, used by the `*-lammps.test.ts` files): compare a potential with a
 * LAMMPS run of the same structure and assert agreement quantity by quantity.
 *
 * Relative deviations, each against the largest reference magnitude:
 *   energy    |E - E_ref| / |E_ref|
 *   forces    max_k |F_k - F_ref,k| / max_k |F_ref,k|
 *   stress    max_k |s_k - s_ref,k| / max_k |s_ref,k|      (only for cells periodic in x, y and z)
 *   energies  max_i |e_i - e_ref,i| / max_i |e_ref,i|
 *
 * Also the silicon configurations the sw and tersoff comparisons share.
 */
import assert from 'node:assert/strict';
import type { Potential } from '../potentials/potential.js';
import { Rng } from '../core/rng.js';
import { bulk, rattle } from '../structure/builders.js';
import { cellFromParameters } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';
import { runLammps, type LammpsOptions, type LammpsResult } from './lammps.js';

/** Worst relative deviations from LAMMPS (stress 0 when it was not compared). */
export interface LammpsDeviations {
  energy: number;
  forces: number;
  stress: number;
  energies: number;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Compute `pot` on `s` (forces, per-atom energies, and stress when the cell is fully periodic) and
 * assert that every quantity agrees with `ref` to `tol` relative; messages name `label` and the quantity.
 * `ref` must come from a run with `perAtomEnergy: true`.
 */
export function compareWithLammps(pot: Potential, s: Structure, ref: LammpsResult, label: string, tol: number): LammpsDeviations {
  const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
  const r = pot.compute(s, { forces: true, stress: full, energies: true });
  assert.ok(ref.energies, `${label}: the LAMMPS run has no per-atom energies (run it with perAtomEnergy: true)`);
  const energy = Math.abs(r.energy - ref.energy) / Math.abs(ref.energy);
  const forces = maxDiff(r.forces!, ref.forces) / maxAbs(ref.forces);
  const energies = maxDiff(r.energies!, ref.energies) / maxAbs(ref.energies);
  assert.ok(energy <= tol, `${label}: energy ${r.energy} vs LAMMPS ${ref.energy} (rel ${energy})`);
  assert.ok(forces <= tol, `${label}: forces differ by ${forces} relative to max |F|`);
  assert.ok(energies <= tol, `${label}: per-atom energies differ by ${energies} relative`);
  let stress = 0;
  if (full) {
    stress = maxDiff(r.stress!, ref.stress) / maxAbs(ref.stress);
    assert.ok(stress <= tol, `${label}: stress ${Array.from(r.stress!)} vs LAMMPS ${Array.from(ref.stress)} (rel ${stress})`);
  }
  return { energy, forces, stress, energies };
}

/** Run LAMMPS (with per-atom energies) on every configuration and compare; returns the worst deviations. */
export function compareAllWithLammps(pot: Potential, configs: readonly { label: string; s: Structure }[], opts: LammpsOptions, tol: number): LammpsDeviations {
  const worst: LammpsDeviations = { energy: 0, forces: 0, stress: 0, energies: 0 };
  for (const { label, s } of configs) {
    const d = compareWithLammps(pot, s, runLammps(s, { ...opts, perAtomEnergy: true }), label, tol);
    for (const k of ['energy', 'forces', 'stress', 'energies'] as const) worst[k] = Math.max(worst[k], d[k]);
  }
  return worst;
}

/** "energy 1.2e-12, forces ..." for test diagnostics. */
export function formatDeviations(w: LammpsDeviations): string {
  return Object.entries(w).map(([k, v]) => `${k} ${(v as number).toExponential(1)}`).join(', ');
}

/** Diamond Si, 8-atom conventional cubic cell. */
function diamondSi(a = 5.431): Structure {
  return bulk('Si', 'diamond', { a, cubic: true });
}

/** Twenty-two Si configurations: random orthorhombic and triclinic cells, small cells, rattled and sheared diamond. */
export function siConfigurations(): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  for (let seed = 0; seed < 6; seed++) out.push({ label: `random orthorhombic ${seed}`, s: randomStructure({ numbers: [14], n: 24, cell: cellFromParameters(8.5, 9, 9.5), minDistance: 2.0, seed }) });
  for (let seed = 0; seed < 6; seed++) out.push({ label: `random triclinic ${seed}`, s: randomStructure({ numbers: [14], n: 24, cell: cellFromParameters(8.6, 9.1, 9.4, 70 + 3 * seed, 80 + seed, 100 + 4 * seed), minDistance: 2.0, seed: 100 + seed }) });
  for (let seed = 0; seed < 3; seed++) out.push({ label: `small triclinic ${seed}`, s: randomStructure({ numbers: [14], n: 5, cell: cellFromParameters(4.6, 5.0, 5.3, 75, 95, 112), minDistance: 2.0, seed: 200 + seed }) });
  for (let seed = 0; seed < 4; seed++) out.push({ label: `rattled diamond 2x2x2 ${seed}`, s: rattle(repeat(diamondSi(5.3 + 0.1 * seed), 2), 0.05 + 0.05 * seed, new Rng(300 + seed)) });
  // a sheared diamond supercell: triclinic cell holding a strained crystal
  const d = rattle(repeat(diamondSi(), [2, 2, 1]), 0.1, new Rng(400));
  for (let i = 0; i < d.length; i++) d.positions[3 * i] = d.positions[3 * i]! + 0.15 * d.positions[3 * i + 2]!;
  d.cell[6] = d.cell[6]! + 0.15 * d.cell[8]!;
  out.push({ label: 'sheared rattled diamond', s: d });
  out.push({ label: 'rattled diamond 3x3x3', s: rattle(repeat(diamondSi(), 3), 0.1, new Rng(500)) });
  return out;
}
