/**
 * Format registry: names, file-name rules, and text readers/writers for every structure format.
 *
 * | name        | files                                   | frames | stream |
 * |-------------|-----------------------------------------|--------|--------|
 * | extxyz      | *.extxyz (and *.xyz when writing)        | many   | yes    |
 * | xyz         | *.xyz (plain; extended frames detected)  | many   | yes    |
 * | vasp        | POSCAR, CONTCAR, *.vasp, *.poscar        | one    | no     |
 * | lammps-data | *.data, *.lmp                            | one    | no     |
 * | mlearn      | *.json                                   | many   | no     |
 * | deepmd      | a directory (Node only, src/node/files)  | many   | no     |
 *
 * Browser-safe: text in, Structures out. Files and directories are handled in `src/node/files.ts`.
 */
import { ValidationError } from '../core/errors.js';
import type { Structure } from '../structure/structure.js';
import { XyzStreamParser, formatExtxyzFrame, readExtxyz, writeExtxyz } from './extxyz.js';
import type { Format, FrameParser, ReadOptions, WriteOptions } from './format.js';
import { readLammpsData, writeLammpsData } from './lammps-data.js';
import { readMlearnJson, writeMlearnJson } from './mlearn.js';
import { readPoscar, writePoscar } from './poscar.js';
import { formatXyzFrame, readXyz, writeXyz } from './xyz.js';

function single(name: string, frames: readonly Structure[]): Structure {
  if (frames.length !== 1) {
    throw new ValidationError(`format "${name}" holds exactly one structure, but ${frames.length} frames were given; write them to a multi-frame format (extxyz, xyz, mlearn, deepmd) or one file per frame`);
  }
  return frames[0]!;
}

export const FORMATS: readonly Format[] = [
  {
    name: 'extxyz',
    description: 'extended XYZ (ASE): cell, pbc, info keys and per-atom columns',
    extensions: ['.extxyz'],
    fileNames: [],
    multiFrame: true,
    directory: false,
    read: (text, opts) => readExtxyz(text, opts),
    write: (frames, opts) => writeExtxyz(frames, opts),
    createParser: (opts): FrameParser => new XyzStreamParser({ ...opts, mode: 'extended' }),
    writeFrame: (s, opts) => formatExtxyzFrame(s, opts),
  },
  {
    name: 'xyz',
    description: 'plain XYZ: symbol x y z (frames with Properties= or Lattice= are read as extended XYZ)',
    extensions: ['.xyz'],
    fileNames: [],
    multiFrame: true,
    directory: false,
    read: (text, opts) => readXyz(text, opts),
    write: (frames, opts) => writeXyz(frames, opts),
    createParser: (opts): FrameParser => new XyzStreamParser({ ...opts, mode: 'auto' }),
    writeFrame: (s, opts) => formatXyzFrame(s, opts),
  },
  {
    name: 'vasp',
    description: 'VASP POSCAR/CONTCAR (one structure)',
    extensions: ['.vasp', '.poscar'],
    fileNames: ['POSCAR', 'CONTCAR'],
    multiFrame: false,
    directory: false,
    read: (text, opts) => [readPoscar(text, opts)],
    write: (frames, opts) => writePoscar(single('vasp', frames), opts),
  },
  {
    name: 'lammps-data',
    description: 'LAMMPS data file, atom_style atomic (one structure)',
    extensions: ['.data', '.lmp'],
    fileNames: [],
    multiFrame: false,
    directory: false,
    read: (text, opts) => [readLammpsData(text, opts)],
    write: (frames, opts) => writeLammpsData(single('lammps-data', frames), opts),
  },
  {
    name: 'mlearn',
    description: 'mlearn JSON (list of {structure, data: {energy_per_atom, forces, virial_stress}})',
    extensions: ['.json'],
    fileNames: [],
    multiFrame: true,
    directory: false,
    read: (text, opts) => readMlearnJson(text, opts),
    write: (frames, opts) => writeMlearnJson([...frames], opts),
  },
  {
    name: 'deepmd',
    description: 'DeePMD-kit system directory (type.raw, type_map.raw, set.*/*.npy); Node only',
    extensions: [],
    fileNames: [],
    multiFrame: true,
    directory: true,
  },
];

const ALIASES: Record<string, string> = { poscar: 'vasp', contcar: 'vasp', 'ext-xyz': 'extxyz', lammps: 'lammps-data', lmp: 'lammps-data', json: 'mlearn', 'deepmd/npy': 'deepmd' };

/** The registry entry for a format name (or alias); unknown names list the known ones. */
export function getFormat(name: string): Format {
  const key = name.toLowerCase();
  const f = FORMATS.find((x) => x.name === key) ?? FORMATS.find((x) => x.name === ALIASES[key]);
  if (!f) throw new ValidationError(`unknown format "${name}"; known formats: ${FORMATS.map((x) => x.name).join(', ')}`);
  return f;
}

/**
 * Format of a file from its name: extension (case-insensitive) or a well-known name
 * (POSCAR, CONTCAR, also POSCAR_1, CONTCAR.relax...). `.xyz` reads as `xyz` (plain, with extended
 * frames detected) and writes as `extxyz` (so nothing is lost). Undefined when nothing matches.
 */
export function formatFromPath(path: string, purpose: 'read' | 'write' = 'read'): string | undefined {
  const base = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const lower = base.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const ext = dot > 0 ? lower.slice(dot) : '';
  if (ext === '.xyz') return purpose === 'write' ? 'extxyz' : 'xyz';
  for (const f of FORMATS) if (ext !== '' && f.extensions.includes(ext)) return f.name;
  for (const f of FORMATS) for (const n of f.fileNames) if (base === n || base.startsWith(`${n}_`) || base.startsWith(`${n}.`)) return f.name;
  return undefined;
}

/** Like `formatFromPath`, but throws a ValidationError naming the path and the choices. */
export function requireFormatFromPath(path: string, purpose: 'read' | 'write' = 'read'): string {
  const f = formatFromPath(path, purpose);
  if (f === undefined) {
    throw new ValidationError(`cannot tell the format of "${path}" from its name; give it explicitly (known formats: ${FORMATS.map((x) => x.name).join(', ')})`);
  }
  return f;
}

function textFormat(name: string): Format & Required<Pick<Format, 'read' | 'write'>> {
  const f = getFormat(name);
  if (!f.read || !f.write) throw new ValidationError(`format "${f.name}" is a directory format; read and write it with the Node file functions (readStructures/writeStructures)`);
  return f as Format & Required<Pick<Format, 'read' | 'write'>>;
}

/** Parse text in a named format into frames. */
export function readString(text: string, format: string, opts: ReadOptions = {}): Structure[] {
  return textFormat(format).read(text, opts);
}

/** Serialise frames to text in a named format. Single-frame formats refuse several frames. */
export function writeString(frames: readonly Structure[] | Structure, format: string, opts: WriteOptions = {}): string {
  const list = Array.isArray(frames) ? (frames as readonly Structure[]) : [frames as Structure];
  return textFormat(format).write(list, opts);
}
