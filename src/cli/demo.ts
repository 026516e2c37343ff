/**
 * `mlpot demo`: the built-in default job (README's first command). Builds a few crystals,
 * evaluates them with built-in potentials and prints energy per atom, max force and pressure.
 * It grows into a short MD run once the dynamics engine lands.
 */
import { Rng } from '../core/rng.js';
import { EV_PER_A3_TO_GPA } from '../core/units.js';
import { LennardJones } from '../potentials/lj.js';
import type { Potential } from '../potentials/potential.js';
import { StillingerWeber } from '../potentials/sw.js';
import { Tersoff } from '../potentials/tersoff.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';
import { loadConfig } from './config.js';
import { MD_SCHEMA, runMdJob, type MdConfig, type MdSummary } from './md.js';

interface DemoRow {
  system: string;
  potential: string;
  n_atoms: number;
  energy_per_atom_eV: number;
  fmax_eV_A: number;
  pressure_GPa: number;
  ms: number;
}

/** The main job: potentials table, then a short Langevin MD of 512-atom silicon with SW. */
export async function demoCommand(opts: { json?: boolean; steps?: string }): Promise<{ rows: DemoRow[]; md: MdSummary }> {
  const rows = potentialsTable(opts);
  const steps = opts.steps ?? '2000';
  if (!opts.json) process.stdout.write(`\nshort MD: 512-atom diamond Si, Stillinger-Weber, Langevin 1000 K, 1 fs, ${steps} steps\n`);
  const c = loadConfig<MdConfig>(MD_SCHEMA, undefined, { potential: 'sw', input: '(built-in diamond Si 4x4x4)', ensemble: 'langevin', temperature: 1000, timestep: 1, steps, seed: 7, interval: 20, json: !!opts.json, progress: !opts.json });
  const md = await runMdJob(c, repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 4), { print: !opts.json });
  if (opts.json) process.stdout.write(JSON.stringify({ potentials: rows, md }) + '\n');
  return { rows, md };
}

function potentialsTable(opts: { json?: boolean }): DemoRow[] {
  const rng = new Rng(2026);
  const si = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 3);
  const siRattled = rattle(si, 0.05, rng);
  const ar = repeat(bulk('Ar', 'fcc', { a: 5.26, cubic: true }), 4);
  const cases: [string, Structure, Potential][] = [
    ['Si diamond a=5.431, 216 atoms', si, StillingerWeber.silicon()],
    ['Si diamond rattled 0.05 Å', siRattled, StillingerWeber.silicon()],
    ['Si diamond a=5.431, 216 atoms', si, Tersoff.silicon()],
    ['Si diamond rattled 0.05 Å', siRattled, Tersoff.silicon()],
    ['Ar fcc a=5.26, 256 atoms', ar, new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 })],
  ];
  const rows: DemoRow[] = [];
  for (const [system, s, pot] of cases) {
    const t0 = performance.now();
    const r = pot.compute(s, { forces: true, stress: true });
    const ms = performance.now() - t0;
    let fmax = 0;
    for (let i = 0; i < s.length; i++) fmax = Math.max(fmax, Math.hypot(r.forces![3 * i]!, r.forces![3 * i + 1]!, r.forces![3 * i + 2]!));
    const p = (-(r.stress![0]! + r.stress![1]! + r.stress![2]!) / 3) * EV_PER_A3_TO_GPA;
    rows.push({ system, potential: pot.name, n_atoms: s.length, energy_per_atom_eV: r.energy / s.length, fmax_eV_A: fmax, pressure_GPa: p, ms });
  }
  if (!opts.json) {
    process.stdout.write('mlpot demo: built-in potentials on a few crystals\n\n');
    const head = ['system', 'potential', 'atoms', 'E/atom (eV)', 'Fmax (eV/Å)', 'P (GPa)', 'time (ms)'];
    const body = rows.map((r) => [r.system, r.potential, String(r.n_atoms), r.energy_per_atom_eV.toFixed(6), r.fmax_eV_A.toFixed(4), r.pressure_GPa.toFixed(3), r.ms.toFixed(1)]);
    const w = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
    for (const line of [head, ...body]) process.stdout.write(line.map((x, c) => x.padEnd(w[c]!)).join('  ') + '\n');
  }
  return rows;
}
