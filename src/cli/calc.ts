/**
 * `mlpot calc`: stream frames through a potential and write predictions.
 * Predictions go to the ASE result keys (info `energy`, array `forces`, info `stress` as 9 values),
 * so ASE reads them as calculator results; labels already stored under those keys are kept
 * under REF_* (see io/labels.ts), never overwritten.
 *
 * Potentials with an uncertainty (GP, committees) also write, per frame: per-atom arrays
 * `force_std` (N x 3, predicted standard deviation of every force component, eV/Å) and `force_dev`
 * (N, sqrt of the summed component variances = the committee deviation sqrt(<|F_i - <F_i>|^2>)),
 * and info `energy_std` (eV) and `max_force_dev` (eV/Å, the largest `force_dev`).
 */
import { EV_PER_A3_TO_GPA } from '../core/units.js';
import { setPrediction } from '../io/labels.js';
import { floatArray } from '../structure/structure.js';
import { iterStructures, writeStructures } from '../node/files.js';
import { loadPotential } from '../node/potentials.js';

export interface CalcOptions {
  potential: string;
  input: string;
  output: string;
  from?: string;
  to?: string;
  energies?: boolean;
  stress?: boolean;
  json?: boolean;
}

export interface CalcRow {
  frame: number;
  n_atoms: number;
  energy: number;
  energy_per_atom: number;
  fmax: number;
  pressure_GPa: number | null;
  /** Only for potentials with an uncertainty. */
  energy_std?: number | null;
  max_force_dev?: number | null;
}

export async function calcCommand(opts: CalcOptions): Promise<CalcRow[]> {
  const pot = loadPotential(opts.potential);
  const rows: CalcRow[] = [];
  let k = 0;
  const out = process.stdout;
  const unc = pot.capabilities.uncertainty;
  const cols = ['frame', 'n_atoms', 'energy_eV', 'energy_per_atom_eV', 'fmax_eV_A', 'pressure_GPa', ...(unc ? ['energy_std_eV', 'max_force_dev_eV_A'] : [])];
  if (!opts.json) out.write(`# potential: ${pot.name}\n# ${cols.join('  ')}\n`);
  for await (const s of iterStructures(opts.input, opts.from ? { format: opts.from } : {})) {
    const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
    const wantStress = opts.stress !== false && full && pot.capabilities.stress;
    let res;
    try {
      res = pot.compute(s, { forces: true, stress: wantStress, energies: !!opts.energies, uncertainty: unc });
    } catch (err) {
      throw new Error(`${opts.input}, frame ${k}: ${(err as Error).message}`);
    }
    setPrediction(s, res);
    const u = unc ? uncertaintyArrays(s.length, res.uncertainty) : null;
    if (u) {
      if (u.forceStd) s.setArray('force_std', floatArray(u.forceStd, 3));
      if (u.forceDev) s.setArray('force_dev', floatArray(u.forceDev, 1));
      if (u.energyStd !== null) s.info['energy_std'] = u.energyStd;
      if (u.maxForceDev !== null) s.info['max_force_dev'] = u.maxForceDev;
    }
    await writeStructures(opts.output, [s], { ...(opts.to ? { format: opts.to } : {}), append: k > 0 });
    let fmax = 0;
    const f = res.forces!;
    for (let i = 0; i < s.length; i++) fmax = Math.max(fmax, Math.hypot(f[3 * i]!, f[3 * i + 1]!, f[3 * i + 2]!));
    const row: CalcRow = {
      frame: k,
      n_atoms: s.length,
      energy: res.energy,
      energy_per_atom: res.energy / s.length,
      fmax,
      pressure_GPa: res.stress ? (-(res.stress[0]! + res.stress[1]! + res.stress[2]!) / 3) * EV_PER_A3_TO_GPA : null,
    };
    if (u) {
      row.energy_std = u.energyStd;
      row.max_force_dev = u.maxForceDev;
    }
    rows.push(row);
    if (!opts.json) {
      const extra = u ? `  ${u.energyStd === null ? '-' : u.energyStd.toFixed(6)}  ${u.maxForceDev === null ? '-' : u.maxForceDev.toFixed(6)}` : '';
      out.write(`${row.frame}  ${row.n_atoms}  ${row.energy.toFixed(6)}  ${row.energy_per_atom.toFixed(6)}  ${row.fmax.toFixed(6)}  ${row.pressure_GPa === null ? '-' : row.pressure_GPa.toFixed(4)}${extra}\n`);
    }
    k++;
  }
  if (k === 0) throw new Error(`${opts.input}: no structures found`);
  if (opts.json) out.write(JSON.stringify({ potential: pot.name, frames: rows }) + '\n');
  else out.write(`# wrote ${k} frame${k === 1 ? '' : 's'} to ${opts.output}\n`);
  return rows;
}

/** Per-atom uncertainty arrays from a result's `uncertainty` (deviation from the component sigmas when absent). */
export function uncertaintyArrays(
  n: number,
  u: { energyStd?: number; forceStd?: Float64Array; atomForceDeviation?: Float64Array; maxForceDeviation?: number } | undefined,
): { forceStd: Float64Array | null; forceDev: Float64Array | null; energyStd: number | null; maxForceDev: number | null } {
  if (!u) return { forceStd: null, forceDev: null, energyStd: null, maxForceDev: null };
  let dev = u.atomForceDeviation ?? null;
  if (!dev && u.forceStd) {
    dev = new Float64Array(n);
    for (let i = 0; i < n; i++) dev[i] = Math.sqrt(u.forceStd[3 * i]! ** 2 + u.forceStd[3 * i + 1]! ** 2 + u.forceStd[3 * i + 2]! ** 2);
  }
  let maxDev = u.maxForceDeviation ?? null;
  if (maxDev === null && dev) maxDev = dev.reduce((a, b) => Math.max(a, b), 0);
  return { forceStd: u.forceStd ?? null, forceDev: dev, energyStd: u.energyStd ?? null, maxForceDev: maxDev };
}
