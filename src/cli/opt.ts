/**
 * `mlpot opt`: relax atomic positions, and with `--cell` the cell under an external pressure,
 * with L-BFGS or FIRE, converging on the largest atomic force (and the largest stress residual).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';
import { CellOptimizable, fire, ForceEngine, lbfgs, minimize, PositionsOptimizable, type MinimizeResult, type Optimizable } from '../dynamics/index.js';
import { formatExtxyzFrame } from '../io/extxyz.js';
import { readStructures, writeStructures } from '../node/files.js';
import { loadPotential } from '../node/potentials.js';
import { cellParameters, volume } from '../structure/cell.js';
import { loadConfig } from './config.js';

export interface OptConfig {
  potential: string;
  input: string;
  frame: number;
  output?: string;
  optimizer: 'lbfgs' | 'fire';
  fmax: number;
  cell: boolean;
  hydrostatic: boolean;
  pressure: number;
  smax: number;
  steps: number;
  log?: string;
  traj?: string;
  fixed?: number[];
  json: boolean;
}

export const OPT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['potential', 'input'],
  properties: {
    potential: { type: 'string', minLength: 1 },
    input: { type: 'string', minLength: 1 },
    frame: { type: 'integer', default: 0 },
    output: { type: 'string' },
    optimizer: { type: 'string', enum: ['lbfgs', 'fire'], default: 'lbfgs' },
    fmax: { type: 'number', exclusiveMinimum: 0, default: 0.01 },
    cell: { type: 'boolean', default: false },
    hydrostatic: { type: 'boolean', default: false },
    pressure: { type: 'number', default: 0 },
    smax: { type: 'number', exclusiveMinimum: 0, default: 0.001 },
    steps: { type: 'integer', minimum: 0, default: 1000 },
    log: { type: 'string' },
    traj: { type: 'string' },
    fixed: { type: 'array', items: { type: 'integer', minimum: 0 } },
    json: { type: 'boolean', default: false },
  },
} as const;

export interface OptSummary extends MinimizeResult {
  n_atoms: number;
  energy_per_atom: number;
  cell_abc: [number, number, number] | null;
  volume_A3: number | null;
}

export async function optCommand(flags: Record<string, unknown> & { config?: string }): Promise<OptSummary> {
  const c = loadConfig<OptConfig>(OPT_SCHEMA, flags.config, flags);
  const frames = await readStructures(c.input);
  const idx = c.frame < 0 ? frames.length + c.frame : c.frame;
  const s = frames[idx]?.clone();
  if (!s) throw new ValidationError(`${c.input}: frame ${c.frame} does not exist (the file has ${frames.length} frames)`);
  const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
  if (c.cell && !full) throw new ValidationError('--cell needs a structure periodic in all three directions');
  const engine = new ForceEngine(loadPotential(c.potential));
  const opt: Optimizable = c.cell
    ? new CellOptimizable(s, engine, { pressureGPa: c.pressure, hydrostatic: c.hydrostatic, ...(c.fixed ? { fixed: c.fixed } : {}) })
    : new PositionsOptimizable(s, engine, c.fixed);
  const log = c.log ? openSync(c.log, 'w') : null;
  const traj = c.traj ? openSync(c.traj, 'w') : null;
  if (log !== null) writeSync(log, 'step energy fmax smax_GPa\n');
  let res: MinimizeResult;
  try {
    res = minimize(opt, {
      fmax: c.fmax,
      smaxGPa: c.smax,
      maxSteps: c.steps,
      minimizer: c.optimizer === 'fire' ? fire() : lbfgs(),
      onStep: (step, st, o) => {
        if (log !== null) writeSync(log, `${step} ${st.energy.toPrecision(14)} ${o.maxForce().toPrecision(6)} ${o.maxStress ? o.maxStress().toPrecision(6) : 'nan'}\n`);
        if (traj !== null) writeSync(traj, formatExtxyzFrame(s));
      },
    });
  } finally {
    if (log !== null) closeSync(log);
    if (traj !== null) closeSync(traj);
  }
  const final = engine.compute(s, { stress: full });
  s.info['energy'] = final.energy;
  s.setArray('forces', { type: 'float', cols: 3, data: Float64Array.from(final.forces) });
  if (c.output) await writeStructures(c.output, [s]);
  const out: OptSummary = {
    ...res,
    n_atoms: s.length,
    energy_per_atom: final.energy / s.length,
    cell_abc: full ? (cellParameters(s.cell).slice(0, 3) as [number, number, number]) : null,
    volume_A3: full ? volume(s.cell) : null,
  };
  if (c.json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    process.stdout.write(
      [
        `opt ${res.converged ? 'converged' : 'NOT converged'} after ${res.steps} steps (${c.optimizer}${c.cell ? ', cell' : ''})`,
        `  energy        ${final.energy.toFixed(8)} eV (${out.energy_per_atom.toFixed(8)} eV/atom)`,
        `  fmax          ${res.fmax.toExponential(3)} eV/Å`,
        res.smaxGPa !== undefined ? `  smax          ${res.smaxGPa.toExponential(3)} GPa` : '',
        out.cell_abc ? `  cell a b c    ${out.cell_abc.map((x) => x.toFixed(6)).join(' ')} Å` : '',
        c.output ? `  written to    ${c.output}` : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  if (!res.converged) process.exitCode = 2;
  return out;
}
