/**
 * `mlpot calc`: stream frames through a potential and write predictions.
 * Predictions go to the ASE result keys (info `energy`, array `forces`, info `stress` as 9 values),
 * so ASE reads them as calculator results; labels already stored under those keys are kept
 * under REF_* (see io/labels.ts), never overwritten.
 */
import { EV_PER_A3_TO_GPA } from '../core/units.js';
import { setPrediction } from '../io/labels.js';
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
}

export async function calcCommand(opts: CalcOptions): Promise<CalcRow[]> {
  const pot = loadPotential(opts.potential);
  const rows: CalcRow[] = [];
  let k = 0;
  const out = process.stdout;
  if (!opts.json) out.write(`# potential: ${pot.name}\n# ${['frame', 'n_atoms', 'energy_eV', 'energy_per_atom_eV', 'fmax_eV_A', 'pressure_GPa'].join('  ')}\n`);
  for await (const s of iterStructures(opts.input, opts.from ? { format: opts.from } : {})) {
    const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
    const wantStress = opts.stress !== false && full && pot.capabilities.stress;
    let res;
    try {
      res = pot.compute(s, { forces: true, stress: wantStress, energies: !!opts.energies });
    } catch (err) {
      throw new Error(`${opts.input}, frame ${k}: ${(err as Error).message}`);
    }
    setPrediction(s, res);
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
    rows.push(row);
    if (!opts.json) {
      out.write(`${row.frame}  ${row.n_atoms}  ${row.energy.toFixed(6)}  ${row.energy_per_atom.toFixed(6)}  ${row.fmax.toFixed(6)}  ${row.pressure_GPa === null ? '-' : row.pressure_GPa.toFixed(4)}\n`);
    }
    k++;
  }
  if (k === 0) throw new Error(`${opts.input}: no structures found`);
  if (opts.json) out.write(JSON.stringify({ potential: pot.name, frames: rows }) + '\n');
  else out.write(`# wrote ${k} frame${k === 1 ? '' : 's'} to ${opts.output}\n`);
  return rows;
}
