/**
 * DeePMD-kit system folders on disk (Node only). Layout:
 *   type.raw, type_map.raw (optional), nopbc (optional, its presence marks a non-periodic system)
 *   set.000/, set.001/, ...  with box.npy coord.npy [energy.npy force.npy virial.npy]
 * or, without set folders, the raw text files box.raw coord.raw ... at the top level.
 * Parsing and the label conventions are in `src/io/deepmd.ts`.
 */
import { mkdir, readFile, readdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { ParseError } from '../core/errors.js';
import { readDeepmdRaw, readDeepmdSystem, writeDeepmdSystem, type DeepmdSet } from '../io/deepmd.js';
import type { Structure } from '../structure/structure.js';

const exists = (p: string) => access(p).then(() => true, () => false);
const readOpt = async (p: string): Promise<Uint8Array | undefined> => ((await exists(p)) ? new Uint8Array(await readFile(p)) : undefined);
const readTextOpt = async (p: string): Promise<string | undefined> => ((await exists(p)) ? readFile(p, 'utf8') : undefined);

/** Read every frame of a DeePMD system folder (all set.* folders in name order, or top-level *.raw). */
export async function readDeepmdDir(path: string): Promise<Structure[]> {
  const typeRaw = await readTextOpt(join(path, 'type.raw'));
  if (typeRaw === undefined) throw new ParseError('not a DeePMD system: type.raw is missing', { file: path });
  const typeMapRaw = await readTextOpt(join(path, 'type_map.raw'));
  const nopbc = await exists(join(path, 'nopbc'));
  const entries = await readdir(path, { withFileTypes: true });
  const setNames = entries.filter((e) => e.isDirectory() && e.name.startsWith('set.')).map((e) => e.name).sort();
  const base = { typeRaw, nopbc, ...(typeMapRaw !== undefined ? { typeMapRaw } : {}) };
  if (setNames.length === 0) {
    const coordRaw = await readTextOpt(join(path, 'coord.raw'));
    if (coordRaw === undefined) throw new ParseError('no set.* folders and no coord.raw; expected DeePMD npy sets or raw files', { file: path });
    const raw: Record<string, string> = {};
    for (const key of ['box', 'energy', 'force', 'virial']) {
      const t = await readTextOpt(join(path, `${key}.raw`));
      if (t !== undefined) raw[`${key}Raw`] = t;
    }
    return readDeepmdRaw({ ...base, coordRaw, ...raw }, { file: path });
  }
  const sets: DeepmdSet[] = [];
  for (const name of setNames) {
    const dir = join(path, name);
    const coord = await readOpt(join(dir, 'coord.npy'));
    if (!coord) throw new ParseError('coord.npy is missing; every set needs coordinates', { file: dir });
    const set: DeepmdSet = { name, coord };
    for (const key of ['box', 'energy', 'force', 'virial'] as const) {
      const b = await readOpt(join(dir, `${key}.npy`));
      if (b) set[key] = b;
    }
    sets.push(set);
  }
  return readDeepmdSystem({ ...base, sets }, { file: path });
}

/** Write frames as one DeePMD system folder with a single float64 npy set (set.000). */
export async function writeDeepmdDir(path: string, frames: readonly Structure[]): Promise<void> {
  const files = writeDeepmdSystem(frames);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'type.raw'), files.typeRaw);
  if (files.typeMapRaw !== undefined) await writeFile(join(path, 'type_map.raw'), files.typeMapRaw);
  if (files.nopbc) await writeFile(join(path, 'nopbc'), '');
  for (const set of files.sets) {
    const dir = join(path, set.name ?? 'set.000');
    await mkdir(dir, { recursive: true });
    for (const key of ['box', 'coord', 'energy', 'force', 'virial'] as const) {
      const b = set[key];
      if (b) await writeFile(join(dir, `${key}.npy`), b);
    }
  }
}
