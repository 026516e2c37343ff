/**
 * Node adapter: builds potentials from spec strings, reading parameter files from disk.
 * A bare file name that does not exist is also looked up in $MLPOT_POTENTIALS and in
 * LAMMPS' potential folder (/usr/share/lammps/potentials), so `sw:Si.sw` works.
 * Model files written by `mlpot train` (`-p Si.model.json`, `-p model:FILE`) are read the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, isAbsolute } from 'node:path';
import { MlpotError } from '../core/errors.js';
import type { Potential } from '../potentials/potential.js';
import { createPotential } from '../potentials/registry.js';

export const LAMMPS_POTENTIAL_DIR = '/usr/share/lammps/potentials';

export function resolvePotentialFile(path: string, what = 'potential parameter file'): string {
  if (existsSync(path)) return path;
  const dirs = [process.env['MLPOT_POTENTIALS'], LAMMPS_POTENTIAL_DIR].filter((d): d is string => !!d);
  if (!isAbsolute(path)) {
    for (const d of dirs) {
      const p = join(d, path);
      if (existsSync(p)) return p;
    }
  }
  throw new MlpotError('FILE_NOT_FOUND', `${what} "${path}" not found${isAbsolute(path) ? '' : ` (also looked in ${dirs.join(', ')})`}`);
}

export function loadPotential(spec: string): Potential {
  return createPotential(spec, (p) => readFileSync(resolvePotentialFile(p, /\.json$/i.test(p) ? 'model file' : undefined), 'utf8'));
}
