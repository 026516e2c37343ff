/**
 * Stillinger-Weber silicon: mlpot against LAMMPS (`lmp`, one core), energy + forces per evaluation.
 *
 * Configuration per size: diamond Si supercell (a = 5.431 Å), rattled by 0.05 Å (Gaussian),
 * one neighbour list with skin 1.0 Å built once (timed separately) and passed in `ctx.neighbors`.
 *
 * mlpot: median wall time of `compute(s, {forces}, {neighbors, out})` over several repeats after
 * warm-up. LAMMPS: the same data file, `neighbor 1.0 bin`, no integrator (atoms never move, so
 * the list is built once in setup), `thermo 1` so the energy is evaluated on every step, and
 * `run N`; the per-evaluation time is LAMMPS' own "Loop time" / N (start-up, file reading and
 * setup excluded), cross-checked by the wall-time difference of two runs with different N.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { buildNeighborList } from '../neighbors/build.js';
import { lammpsDataText, lammpsFrame, lammpsSetupCommands, runLmp } from '../node/lammps.js';
import { lammpsPeer } from '../node/peers.js';
import { StillingerWeber } from '../potentials/sw.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';
import { bulk, rattle } from '../structure/builders.js';

export interface SwBenchRow {
  atoms: number;
  /** mlpot neighbour-list build (cutoff + 1 Å skin), ms. */
  neighborBuildMs: number;
  /** mlpot energy + forces, median ms per evaluation. */
  mlpotMs: number;
  mlpotEvalsPerSec: number;
  /** LAMMPS loop time per step, ms (undefined when lmp is missing). */
  lammpsMs?: number;
  lammpsEvalsPerSec?: number;
  /** LAMMPS per-step time from the wall-time difference of two runs, ms (cross-check). */
  lammpsWallDiffMs?: number;
  /** LAMMPS pair-style time per step, ms. */
  lammpsPairMs?: number;
  /** mlpot time / LAMMPS time per evaluation. */
  ratio?: number;
}

/** The benchmark structure: an n x n x n diamond supercell (8 n^3 atoms), rattled by 0.05 Å. */
export function swBenchStructure(n: number, seed = 1): Structure {
  return rattle(repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), n), 0.05, new Rng(seed));
}

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : 0.5 * (v[m - 1]! + v[m]!);
}

/** Run LAMMPS for `steps` force evaluations; returns wall ms, loop ms and pair ms. */
function lammpsRun(dir: string, s: Structure, steps: number): { wallMs: number; loopMs: number; pairMs: number } {
  const f = lammpsFrame(s);
  writeFileSync(join(dir, 'data.lmp'), lammpsDataText(f));
  const script = [
    ...lammpsSetupCommands(f, 'data.lmp', { pairStyle: 'sw', pairCoeff: ['* * /usr/share/lammps/potentials/Si.sw Si'] }),
    'neighbor 1.0 bin',
    'neigh_modify delay 0 every 1 check yes',
    'thermo_style custom step pe',
    'thermo 1',
    `run ${steps}`,
    '',
  ].join('\n');
  const t0 = performance.now();
  runLmp(dir, script, 600000);
  const wallMs = performance.now() - t0;
  const log = readFileSync(join(dir, 'log.lammps'), 'utf8');
  const loop = /Loop time of ([\d.eE+-]+) on 1 procs for (\d+) steps/.exec(log);
  const pair = /^Pair\s*\|\s*[\d.eE+-]+\s*\|\s*([\d.eE+-]+)/m.exec(log);
  if (!loop) throw new Error(`bench: no "Loop time" line in the LAMMPS log in ${dir}`);
  return { wallMs, loopMs: Number(loop[1]) * 1000, pairMs: pair ? Number(pair[1]) * 1000 : NaN };
}

export interface SwBenchOptions {
  /** Supercell repeats; atoms = 8 n^3. Default [4, 8, 16] = 512, 4096, 32768 atoms. */
  sizes?: number[];
  log?: (line: string) => void;
}

export function runSwBench(opts: SwBenchOptions = {}): SwBenchRow[] {
  const log = opts.log ?? ((l: string) => console.log(l));
  const pot = StillingerWeber.silicon();
  const haveLammps = lammpsPeer().available;
  const rows: SwBenchRow[] = [];
  for (const n of opts.sizes ?? [4, 8, 16]) {
    const s = swBenchStructure(n);
    const atoms = s.length;
    // neighbour list: median of a few builds
    const builds: number[] = [];
    let nl = buildNeighborList(s, pot.cutoff, { skin: 1.0 });
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      nl = buildNeighborList(s, pot.cutoff, { skin: 1.0 });
      builds.push(performance.now() - t0);
    }
    // energy + forces
    const out = { forces: new Float64Array(3 * atoms) };
    const ctx = { neighbors: nl, out };
    const budgetMs = 4000;
    const warm = Math.max(3, Math.round(400000 / atoms));
    for (let r = 0; r < warm; r++) pot.compute(s, { forces: true }, ctx);
    const times: number[] = [];
    const tStart = performance.now();
    while (times.length < 7 || (performance.now() - tStart < budgetMs && times.length < 200)) {
      const t0 = performance.now();
      pot.compute(s, { forces: true }, ctx);
      times.push(performance.now() - t0);
    }
    const mlpotMs = median(times);
    const row: SwBenchRow = { atoms, neighborBuildMs: median(builds), mlpotMs, mlpotEvalsPerSec: 1000 / mlpotMs };
    if (haveLammps) {
      const dir = mkdtempSync(join(tmpdir(), 'mlpot-bench-sw-'));
      try {
        // aim at ~2 s of LAMMPS loop for the long run
        const probe = lammpsRun(dir, s, 5);
        const perStep = Math.max(probe.loopMs / 5, 1e-3);
        const nLong = Math.max(20, Math.min(5000, Math.round(2000 / perStep)));
        const nShort = Math.max(5, Math.round(nLong / 5));
        const short = lammpsRun(dir, s, nShort);
        const long = lammpsRun(dir, s, nLong);
        row.lammpsMs = long.loopMs / nLong;
        row.lammpsPairMs = long.pairMs / nLong;
        row.lammpsWallDiffMs = (long.wallMs - short.wallMs) / (nLong - nShort);
        row.lammpsEvalsPerSec = 1000 / row.lammpsMs;
        row.ratio = mlpotMs / row.lammpsMs;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    rows.push(row);
    log(formatRow(row));
  }
  return rows;
}

export const SW_BENCH_HEADER =
  'atoms   | nl build ms | mlpot ms/eval | mlpot eval/s | lammps ms/eval (pair, wall-diff) | lammps eval/s | mlpot/lammps';

function formatRow(r: SwBenchRow): string {
  const f = (x: number | undefined, d = 3) => (x === undefined ? '-' : x.toFixed(d));
  return [
    String(r.atoms).padEnd(7),
    f(r.neighborBuildMs, 2).padStart(11),
    f(r.mlpotMs).padStart(13),
    f(r.mlpotEvalsPerSec, 1).padStart(12),
    `${f(r.lammpsMs)} (${f(r.lammpsPairMs)}, ${f(r.lammpsWallDiffMs)})`.padStart(32),
    f(r.lammpsEvalsPerSec, 1).padStart(13),
    f(r.ratio, 2).padStart(12),
  ].join(' | ');
}
