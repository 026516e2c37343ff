/**
 * `mlpot md`: molecular dynamics from a YAML config and/or flags.
 *
 * Files: a log table (`--log`, header `step time_fs epot ekin temperature_K pressure_GPa
 * conserved_eV`), an extended-XYZ trajectory with velocities (`--traj`), the final frame
 * (`--output`), and checkpoints (`--checkpoint`, every `checkpoint_interval` steps, written
 * atomically). `--restart` continues from the checkpoint bit-identically: the log and trajectory
 * are cut back to what they held at the checkpoint, so a killed run loses nothing and repeats
 * nothing. A run that blows up writes its last good frame to `<output|traj|md>.lastgood.extxyz`.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { MlpotError, ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import {
  bussi,
  checkpoint,
  createState,
  ForceEngine,
  kineticEnergy,
  langevin,
  logRow,
  maxwellBoltzmann,
  noseHooverChain,
  restore,
  runMD,
  SimulationBlowUpError,
  stochasticCellRescaling,
  temperature,
  velocityVerlet,
  type CheckpointRecord,
  type Coupler,
  type Integrator,
  type Observer,
  formatLogNumber,
  LOG_HEADER,
  mdFrame,
  trajectoryObserver,
} from '../dynamics/index.js';
import { readStructures, writeStructures } from '../node/files.js';
import { loadPotential } from '../node/potentials.js';
import { ParallelPotential } from '../node/parallel.js';
import { cellParameters, volume } from '../structure/cell.js';
import { Structure } from '../structure/structure.js';
import { loadConfig } from './config.js';
import { createProgress } from './progress.js';

export const ENSEMBLES = ['nve', 'langevin', 'bussi', 'nose-hoover', 'npt'] as const;
export type Ensemble = (typeof ENSEMBLES)[number];

export interface MdConfig {
  potential: string;
  input: string;
  frame: number;
  ensemble: Ensemble;
  temperature: number;
  initial_temperature?: number;
  pressure: number;
  timestep: number;
  steps: number;
  seed: number;
  log?: string;
  traj?: string;
  output?: string;
  interval: number;
  traj_interval?: number;
  tau: number;
  barostat_tau: number;
  compressibility: number;
  anisotropic: boolean;
  npt_thermostat: 'bussi' | 'langevin';
  skin: number;
  checkpoint?: string;
  checkpoint_interval: number;
  restart: boolean;
  max_force: number;
  max_temperature: number;
  fixed?: number[];
  velocities: 'auto' | 'maxwell-boltzmann' | 'input';
  progress: boolean;
  json: boolean;
  workers: number;
}

/** JSON schema of the md config (YAML keys = these; flags = the same in kebab-case). */
export const MD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['potential', 'input'],
  properties: {
    potential: { type: 'string', minLength: 1, description: 'potential spec, e.g. sw or sw:Si.sw' },
    input: { type: 'string', minLength: 1, description: 'starting structure file' },
    frame: { type: 'integer', default: 0, description: 'frame of the input to start from (negative counts from the end)' },
    ensemble: { type: 'string', enum: [...ENSEMBLES], default: 'nve' },
    temperature: { type: 'number', minimum: 0, default: 300, description: 'K: thermostat target and initial velocities' },
    initial_temperature: { type: 'number', minimum: 0, description: 'K for Maxwell-Boltzmann velocities (default: temperature)' },
    pressure: { type: 'number', default: 0, description: 'GPa (npt)' },
    timestep: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'fs' },
    steps: { type: 'integer', minimum: 0, default: 1000 },
    seed: { type: 'integer', default: 42 },
    log: { type: 'string' },
    traj: { type: 'string' },
    output: { type: 'string' },
    interval: { type: 'integer', minimum: 1, default: 10, description: 'steps between log rows' },
    traj_interval: { type: 'integer', minimum: 1, description: 'steps between trajectory frames (default: interval)' },
    tau: { type: 'number', exclusiveMinimum: 0, default: 100, description: 'thermostat time constant, fs (Langevin: 1/friction)' },
    barostat_tau: { type: 'number', exclusiveMinimum: 0, default: 1000, description: 'fs' },
    compressibility: { type: 'number', exclusiveMinimum: 0, default: 0.01, description: '1/GPa (Si: ~0.01)' },
    anisotropic: { type: 'boolean', default: false },
    npt_thermostat: { type: 'string', enum: ['bussi', 'langevin'], default: 'bussi' },
    skin: { type: 'number', minimum: 0, default: 1, description: 'neighbour-list skin, Å' },
    checkpoint: { type: 'string' },
    checkpoint_interval: { type: 'integer', minimum: 1, default: 1000 },
    restart: { type: 'boolean', default: false },
    max_force: { type: 'number', exclusiveMinimum: 0, default: 1000, description: 'eV/Å; stop above' },
    max_temperature: { type: 'number', exclusiveMinimum: 0, default: 100000, description: 'K; stop above' },
    fixed: { type: 'array', items: { type: 'integer', minimum: 0 } },
    velocities: { type: 'string', enum: ['auto', 'maxwell-boltzmann', 'input'], default: 'auto' },
    progress: { type: 'boolean', default: true },
    json: { type: 'boolean', default: false },
    workers: { type: 'integer', minimum: 0, default: 0, description: 'worker threads for force evaluation (0 = serial; the main thread computes a share too)' },
  },
} as const;

/** Keys that must match between a checkpoint and a restart (the rest may change, e.g. steps). */
const PHYSICS_KEYS = ['potential', 'input', 'frame', 'ensemble', 'temperature', 'pressure', 'timestep', 'seed', 'tau', 'barostat_tau', 'compressibility', 'anisotropic', 'npt_thermostat', 'skin', 'fixed'] as const;

interface CheckpointFile {
  format: 'mlpot-md-run';
  version: 1;
  config: Partial<MdConfig>;
  logBytes: number | null;
  trajBytes: number | null;
  state: CheckpointRecord;
}

export interface MdSummary {
  steps: number;
  n_atoms: number;
  ensemble: Ensemble;
  time_fs: number;
  wall_s: number;
  atom_steps_per_s: number;
  mean_temperature_K: number;
  mean_epot_eV: number;
  mean_pressure_GPa: number | null;
  conserved_drift_eV_per_atom: number;
  final_volume_A3: number | null;
  final_cell_abc: [number, number, number] | null;
  restarted_from_step: number | null;
}

function buildCouplers(c: MdConfig): Coupler[] {
  const T = c.temperature;
  switch (c.ensemble) {
    case 'nve':
      return [];
    case 'langevin':
      return [langevin({ temperatureK: T, tauFs: c.tau })];
    case 'bussi':
      return [bussi({ temperatureK: T, tauFs: c.tau })];
    case 'nose-hoover':
      return [noseHooverChain({ temperatureK: T, tauFs: c.tau })];
    case 'npt': {
      const thermo = c.npt_thermostat === 'langevin' ? langevin({ temperatureK: T, tauFs: c.tau }) : bussi({ temperatureK: T, tauFs: c.tau });
      const baro = stochasticCellRescaling({
        pressureGPa: c.pressure,
        temperatureK: T,
        tauFs: c.barostat_tau,
        compressibilityPerGPa: c.compressibility,
        mode: c.anisotropic ? 'anisotropic' : 'isotropic',
      });
      return [thermo, baro];
    }
  }
}

/** Append-only text file written with synchronous writes, so a killed process leaves whole rows. */
class SyncWriter {
  private fd: number;
  constructor(readonly path: string, append: boolean) {
    this.fd = openSync(path, append ? 'a' : 'w');
  }
  write(text: string): void {
    writeSync(this.fd, text);
  }
  size(): number {
    return statSync(this.path).size;
  }
  close(): void {
    closeSync(this.fd);
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function mdCommand(flags: Record<string, unknown> & { config?: string }): Promise<MdSummary> {
  const c = loadConfig<MdConfig>(MD_SCHEMA, flags.config, flags);
  const frames = await readStructures(c.input);
  const idx = c.frame < 0 ? frames.length + c.frame : c.frame;
  const start = frames[idx];
  if (!start) throw new ValidationError(`${c.input}: frame ${c.frame} does not exist (the file has ${frames.length} frame${frames.length === 1 ? '' : 's'})`);
  return runMdJob(c, start.clone());
}

/** Run MD from a validated config on a structure (moved in place). */
export async function runMdJob(c: MdConfig, structure: Structure, opts: { print?: boolean } = {}): Promise<MdSummary> {
  if (c.restart && !c.checkpoint) throw new ValidationError('--restart needs --checkpoint FILE (the checkpoint to continue from)');
  const idx = c.frame;
  const pot = c.workers > 0 ? new ParallelPotential(c.potential, c.workers) : loadPotential(c.potential);
  const engine = new ForceEngine(pot, { skinA: c.skin });
  const rng = new Rng(c.seed);
  const couplers = buildCouplers(c);
  const full = structure.pbc[0] && structure.pbc[1] && structure.pbc[2];
  if (c.ensemble === 'npt' && !full) throw new ValidationError('npt needs a structure periodic in all three directions');
  if (c.ensemble === 'npt' && c.fixed?.length) throw new ValidationError('npt with fixed atoms is not supported');
  const integrator: Integrator = velocityVerlet({
    engine,
    timestepFs: c.timestep,
    couplers,
    rng,
    maxForce: c.max_force,
    maxTemperatureK: c.max_temperature,
    stress: full && pot.capabilities.stress,
  });

  const inputVel = structure.arrays['velocities'];
  const useInputVel = c.velocities === 'input' || (c.velocities === 'auto' && !!inputVel);
  if (c.velocities === 'input' && !inputVel) throw new ValidationError(`${c.input}: velocities: input was requested but frame ${idx} has no "velocities" array`);
  const state = createState(structure, {
    ...(c.fixed ? { fixed: c.fixed } : {}),
    ...(useInputVel && inputVel && inputVel.type === 'float' && inputVel.cols === 3 ? { velocities: inputVel.data } : {}),
  });
  if (!useInputVel) maxwellBoltzmann(state, c.initial_temperature ?? c.temperature, rng);

  // restart or fresh start
  let restartedFrom: number | null = null;
  let logW: SyncWriter | null = null;
  let trajW: SyncWriter | null = null;
  if (c.restart) {
    const ck = readCheckpointFile(c.checkpoint!);
    for (const k of PHYSICS_KEYS) {
      const a = JSON.stringify(ck.config[k] ?? null), b = JSON.stringify(c[k] ?? null);
      if (a !== b) throw new ValidationError(`checkpoint ${c.checkpoint} was written with ${k} = ${a}, this run has ${k} = ${b}; a restart must keep the physics unchanged`);
    }
    integrator.init(state); // attaches the engine and RNG to the couplers; restore then overwrites every state
    restore(ck.state, state, integrator, rng);
    restartedFrom = state.step;
    if (c.log) {
      if (ck.logBytes === null || !existsSync(c.log)) throw new ValidationError(`cannot continue log ${c.log}: it is missing or the checkpoint did not record it`);
      truncateSync(c.log, ck.logBytes);
      logW = new SyncWriter(c.log, true);
    }
    if (c.traj) {
      if (ck.trajBytes === null || !existsSync(c.traj)) throw new ValidationError(`cannot continue trajectory ${c.traj}: it is missing or the checkpoint did not record it`);
      truncateSync(c.traj, ck.trajBytes);
      trajW = new SyncWriter(c.traj, true);
    }
  } else {
    if (c.log) {
      logW = new SyncWriter(c.log, false);
      logW.write(`${LOG_HEADER[0].padStart(10)}${LOG_HEADER.slice(1).map((h) => h.padStart(17)).join('')}\n`);
    }
    if (c.traj) trajW = new SyncWriter(c.traj, false);
  }
  const totalSteps = c.steps;
  const remaining = Math.max(0, totalSteps - state.step);

  // running averages for the summary
  let nAvg = 0, sumT = 0, sumE = 0, sumP = 0;
  let conserved0 = NaN, conservedLast = NaN;
  const progress = createProgress('md', totalSteps, { enabled: c.progress && !c.json, fieldsFormat: 'T {T} K | Epot {E} eV' });
  const observers: Observer[] = [];
  observers.push({
    interval: c.interval,
    observe: (st) => {
      const r = logRow(st, integrator);
      if (Number.isNaN(conserved0)) conserved0 = r.conserved_eV;
      conservedLast = r.conserved_eV;
      nAvg++;
      sumT += r.temperature_K;
      sumE += r.epot;
      sumP += r.pressure_GPa;
      logW?.write(`${String(r.step).padStart(10)}${[r.time_fs, r.epot, r.ekin, r.temperature_K, r.pressure_GPa, r.conserved_eV].map(formatLogNumber).join('')}\n`);
    },
  });
  if (trajW) {
    const w = trajW;
    observers.push(trajectoryObserver((text) => w.write(text), c.traj_interval ?? c.interval));
  }
  const progressEvery = Math.max(1, Math.floor(totalSteps / 200));
  observers.push({
    interval: progressEvery,
    observe: (st) => progress.update(st.step, { T: temperature(st, kineticEnergy(st)).toFixed(1), E: st.energy.toFixed(4) }),
  });
  if (c.checkpoint) {
    const path = c.checkpoint;
    const cfg: Partial<MdConfig> = { ...c };
    delete cfg.restart;
    observers.push({
      interval: c.checkpoint_interval,
      observe: (st) => {
        if (st.step === 0 || st.step === restartedFrom) return;
        const file: CheckpointFile = {
          format: 'mlpot-md-run',
          version: 1,
          config: cfg,
          logBytes: logW ? logW.size() : null,
          trajBytes: trajW ? trajW.size() : null,
          state: checkpoint(st, integrator, rng),
        };
        writeAtomic(path, JSON.stringify(file));
      },
    });
  }

  const t0 = performance.now();
  try {
    runMD({ state, integrator, steps: remaining, observers, init: restartedFrom === null, observeInitial: restartedFrom === null });
  } catch (e) {
    progress.stop();
    if (e instanceof SimulationBlowUpError && e.lastGoodFrame) {
      const f = e.lastGoodFrame;
      const s = new Structure({ numbers: structure.numbers, positions: f.positions, cell: f.cell, pbc: structure.pbc });
      s.setArray('velocities', { type: 'float', cols: 3, data: f.velocities });
      s.info['step'] = f.step;
      s.info['time_fs'] = f.timeFs;
      const base = c.output ?? c.traj ?? 'md';
      const path = `${base.replace(/\.(extxyz|xyz)$/, '')}.lastgood.extxyz`;
      await writeStructures(path, [s], { format: 'extxyz' });
      throw new MlpotError('BLOWUP', `${e.message}; the last good frame (step ${f.step}) was written to ${path}`);
    }
    throw e;
  } finally {
    logW?.close();
    trajW?.close();
    if (pot instanceof ParallelPotential) pot.close();
  }
  progress.stop();
  const wall = (performance.now() - t0) / 1000;
  if (c.output) await writeStructures(c.output, [mdFrame(state)]);
  const s = state.structure;
  const summary: MdSummary = {
    steps: state.step,
    n_atoms: s.length,
    ensemble: c.ensemble,
    time_fs: state.timeFs,
    wall_s: wall,
    atom_steps_per_s: wall > 0 ? (remaining * s.length) / wall : NaN,
    mean_temperature_K: sumT / nAvg,
    mean_epot_eV: sumE / nAvg,
    mean_pressure_GPa: Number.isFinite(sumP / nAvg) ? sumP / nAvg : null,
    conserved_drift_eV_per_atom: (conservedLast - conserved0) / s.length,
    final_volume_A3: full ? volume(s.cell) : null,
    final_cell_abc: full ? (cellParameters(s.cell).slice(0, 3) as [number, number, number]) : null,
    restarted_from_step: restartedFrom,
  };
  if (opts.print ?? true) printSummary(summary, c, pot.name);
  return summary;
}

function readCheckpointFile(path: string): CheckpointFile {
  let js: CheckpointFile;
  try {
    js = JSON.parse(readFileSync(path, 'utf8')) as CheckpointFile;
  } catch (e) {
    throw new ValidationError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  if (js.format !== 'mlpot-md-run' || js.version !== 1) throw new ValidationError(`${path} is not an mlpot md checkpoint (format ${String(js.format)}, version ${String(js.version)})`);
  return js;
}

function printSummary(m: MdSummary, c: MdConfig, potName: string): void {
  if (c.json) {
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  const lines = [
    `md summary (${potName}, ${m.ensemble}, ${m.n_atoms} atoms)`,
    `  steps              ${m.steps}${m.restarted_from_step !== null ? ` (continued from step ${m.restarted_from_step})` : ''}, ${m.time_fs.toFixed(1)} fs`,
    `  mean temperature   ${m.mean_temperature_K.toFixed(2)} K`,
    `  mean potential E   ${m.mean_epot_eV.toFixed(6)} eV (${(m.mean_epot_eV / m.n_atoms).toFixed(6)} eV/atom)`,
    m.mean_pressure_GPa !== null ? `  mean pressure      ${m.mean_pressure_GPa.toFixed(4)} GPa` : '',
    `  conserved drift    ${m.conserved_drift_eV_per_atom.toExponential(3)} eV/atom`,
    m.final_cell_abc ? `  final cell a b c   ${m.final_cell_abc.map((x) => x.toFixed(5)).join(' ')} Å, V = ${m.final_volume_A3!.toFixed(3)} Å^3` : '',
    `  speed              ${m.atom_steps_per_s.toExponential(3)} atom-steps/s (${m.wall_s.toFixed(2)} s wall)`,
    c.log ? `  log                ${c.log}` : '',
    c.traj ? `  trajectory         ${c.traj}` : '',
    c.output ? `  final frame        ${c.output}` : '',
  ].filter(Boolean);
  process.stdout.write(lines.join('\n') + '\n');
}

