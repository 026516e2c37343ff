/**
 * DeePMD-kit "system" data: npy sets (`set.000/{box,coord,energy,force,virial}.npy`, any number of sets) and the raw
 * text form (`box.raw`, `coord.raw`, ..., one frame per line). Bytes and text in, Structures
 * out; reading folders is in `src/node/deepmd-dir.ts`.
 *
 * System files: `type.raw` (one type index per atom, from 0), `type_map.raw` (element symbol of
 * each type), `nopbc` (present: not periodic; then `box` may be absent and the cell is zero).
 *
 * Per frame, with N atoms (DeePMD docs, "System" data format):
 *   box     9    cell, row-major; rows are the lattice vectors a, b, c (Å)
 *   coord   3N   Cartesian positions (Å)
 *   energy  1    total energy (eV)                         -> info REF_energy
 *   force   3N   forces (eV/Å)                             -> arrays REF_forces
 *   virial  9    virial W (eV), order XX XY XZ YX YY YZ ZX ZY ZZ
 *                -> info REF_stress = -sym(W) / V in Voigt xx yy zz yz xz xy (eV/Å^3, ASE sign),
 *                   as DeePMD's own ASE calculator does (stress = -0.5 (W + W^T) / V).
 *                   Without pbc there is no volume: W is kept as info REF_virial (9 numbers).
 * Each frame also gets info `deepmd_set` (the set folder name) when the set has a name.
 */
import { ParseError, ValidationError } from '../core/errors.js';
import { atomicNumber, isElementSymbol, symbolOf } from '../core/elements.js';
import { volume } from '../structure/cell.js';
import { Structure, type InfoValue, type PerAtomArray } from '../structure/structure.js';
import type { ReadOptions, WriteOptions } from './format.js';
import { parseNpy, writeNpy } from './npy.js';

export interface DeepmdSet {
  name?: string;
  box?: Uint8Array;
  coord: Uint8Array;
  energy?: Uint8Array;
  force?: Uint8Array;
  virial?: Uint8Array;
}

export interface DeepmdFiles {
  typeRaw: string;
  typeMapRaw?: string;
  nopbc?: boolean;
  sets: DeepmdSet[];
}

/** The raw text form: one frame per line in each file. */
export interface DeepmdRawFiles {
  typeRaw: string;
  typeMapRaw?: string;
  nopbc?: boolean;
  boxRaw?: string;
  coordRaw: string;
  energyRaw?: string;
  forceRaw?: string;
  virialRaw?: string;
}

export interface DeepmdReadOptions extends ReadOptions {
  /** Element symbol of each type, used when there is no type_map.raw. */
  typeMap?: string[];
}

export interface DeepmdWriteOptions extends WriteOptions {
  /** Element symbols in type order; default: elements in order of first appearance. */
  typeMap?: string[];
  /** Set folder name; default "set.000". */
  setName?: string;
}

type Key = 'box' | 'coord' | 'energy' | 'force' | 'virial';
/** A (frames x cols) table of one quantity, and where it came from for error messages. */
interface Table {
  rows: number;
  cols: number;
  data: Float64Array;
  source: string;
}

const join = (dir: string | undefined, name: string) => (dir ? `${dir}/${name}` : name);

export function readDeepmdSystem(files: DeepmdFiles, opts: DeepmdReadOptions = {}): Structure[] {
  const types = readTypes(files, opts);
  const frames: Structure[] = [];
  files.sets.forEach((set, k) => {
    const where = join(opts.file, set.name ?? `set ${k}`);
    const tables: Partial<Record<Key, Table>> = {};
    for (const key of ['box', 'coord', 'energy', 'force', 'virial'] as const) {
      const bytes = set[key];
      if (!bytes) continue;
      const source = `${where}/${key}.npy`;
      const a = parseNpy(bytes, { file: source });
      if (a.shape.length === 0) throw new ParseError(`${key}.npy is a scalar; expected one row per frame`, { file: source });
      const rows = a.shape[0]!;
      const cols = a.shape.slice(1).reduce((x, y) => x * y, 1);
      tables[key] = { rows, cols, data: Float64Array.from(a.data), source };
    }
    frames.push(...buildFrames(types, tables, !files.nopbc, where, set.name));
  });
  return frames;
}

export function readDeepmdRaw(files: DeepmdRawFiles, opts: DeepmdReadOptions = {}): Structure[] {
  const types = readTypes(files, opts);
  const tables: Partial<Record<Key, Table>> = {};
  const raw: Record<Key, string | undefined> = { box: files.boxRaw, coord: files.coordRaw, energy: files.energyRaw, force: files.forceRaw, virial: files.virialRaw };
  for (const key of ['box', 'coord', 'energy', 'force', 'virial'] as const) {
    const text = raw[key];
    if (text !== undefined) tables[key] = parseRawTable(text, join(opts.file, `${key}.raw`));
  }
  return buildFrames(types, tables, !files.nopbc, opts.file ?? '', undefined);
}

function readTypes(files: { typeRaw: string; typeMapRaw?: string }, opts: DeepmdReadOptions): Int32Array {
  const typeFile = join(opts.file, 'type.raw');
  const typeIdx: number[] = [];
  const typeLine: number[] = [];
  files.typeRaw.split(/\r?\n/).forEach((l, i) => {
    for (const t of l.trim().split(/\s+/)) {
      if (t === '') continue;
      if (!/^\d+$/.test(t)) throw new ParseError(`expected a type index (a non-negative integer) for atom ${typeIdx.length}, found "${t}"`, { file: typeFile, line: i + 1 });
      typeIdx.push(Number(t));
      typeLine.push(i + 1);
    }
  });
  if (typeIdx.length === 0) throw new ParseError('type.raw lists no atoms; expected one type index per atom', { file: typeFile });
  let names: string[];
  if (files.typeMapRaw !== undefined) names = files.typeMapRaw.split(/\s+/).filter((t) => t !== '');
  else if (opts.typeMap) names = opts.typeMap;
  else throw new ParseError('no type_map.raw: pass typeMap (the element symbol of each type) to name the elements', { file: join(opts.file, 'type_map.raw') });
  const mapFile = join(opts.file, 'type_map.raw');
  const zs = names.map((s, k) => {
    if (!isElementSymbol(s)) throw new ParseError(`type ${k} is "${s}", not an element symbol; mlpot needs elements (pass typeMap to override)`, { file: mapFile, line: k + 1 });
    return atomicNumber(s);
  });
  return Int32Array.from(typeIdx, (t, k) => {
    if (t >= zs.length) throw new ParseError(`atom ${k} has type ${t} but type_map has ${zs.length} entries (${names.join(' ')})`, { file: typeFile, line: typeLine[k] });
    return zs[t]!;
  });
}

function parseRawTable(text: string, source: string): Table {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  let cols = -1;
  const values: number[] = [];
  lines.forEach((l, i) => {
    const t = l.trim().split(/\s+/);
    if (cols < 0) cols = t.length;
    if (t.length !== cols) throw new ParseError(`${t.length} values; expected ${cols} like the first line (one frame per line)`, { file: source, line: i + 1 });
    for (const x of t) {
      const v = Number(x);
      if (x === '' || !Number.isFinite(v)) throw new ParseError(`expected a number, found "${x}"`, { file: source, line: i + 1 });
      values.push(v);
    }
  });
  return { rows: lines.length, cols: Math.max(cols, 0), data: Float64Array.from(values), source };
}

function buildFrames(numbers: Int32Array, t: Partial<Record<Key, Table>>, pbc: boolean, where: string, setName: string | undefined): Structure[] {
  const n = numbers.length;
  const coord = t.coord;
  if (!coord) throw new ParseError('no coord: every set needs coordinates', { file: where });
  const nf = coord.rows;
  const want: Record<Key, number> = { box: 9, coord: 3 * n, energy: 1, force: 3 * n, virial: 9 };
  for (const key of ['box', 'coord', 'energy', 'force', 'virial'] as const) {
    const tab = t[key];
    if (!tab) continue;
    if (tab.rows !== nf) throw new ParseError(`${tab.rows} frames but coord has ${nf}; expected the same number of frames in every file of a set`, { file: tab.source });
    if (tab.cols !== want[key]) {
      const why = key === 'coord' || key === 'force' ? ` (3 x ${n} atoms of type.raw)` : '';
      throw new ParseError(`${tab.cols} values per frame; expected ${want[key]}${why}`, { file: tab.source });
    }
  }
  if (pbc && !t.box) throw new ParseError('no box: periodic systems need box (or mark the system non-periodic with a nopbc file)', { file: where });
  const frames: Structure[] = [];
  for (let f = 0; f < nf; f++) {
    const row = (key: Key) => t[key]!.data.subarray(f * want[key], (f + 1) * want[key]);
    const cell = t.box ? row('box') : new Float64Array(9);
    const info: Record<string, InfoValue> = {};
    if (setName !== undefined) info['deepmd_set'] = setName;
    const arrays: Record<string, PerAtomArray> = {};
    if (t.energy) info['REF_energy'] = row('energy')[0]!;
    if (t.force) arrays['REF_forces'] = { type: 'float', cols: 3, data: Float64Array.from(row('force')) };
    if (t.virial) {
      const w = row('virial');
      const v = pbc ? volume(cell) : 0;
      if (v > 0) {
        // Voigt xx yy zz yz xz xy of -sym(W)/V.
        info['REF_stress'] = [-w[0]! / v, -w[4]! / v, -w[8]! / v, (-0.5 * (w[5]! + w[7]!)) / v, (-0.5 * (w[2]! + w[6]!)) / v, (-0.5 * (w[1]! + w[3]!)) / v];
      } else {
        info['REF_virial'] = Array.from(w);
      }
    }
    frames.push(new Structure({ numbers, positions: row('coord'), cell, pbc, info, arrays }));
  }
  return frames;
}

/**
 * Frames -> one DeePMD system with one set (float64 npy). All frames must have the same
 * atoms in the same order. Labels (REF_energy, REF_forces, REF_stress) are written when every
 * frame has them; a label present in some frames only is an error. Partly periodic structures
 * are written with their box and read back as fully periodic (DeePMD knows only pbc or nopbc).
 */
export function writeDeepmdSystem(frames: readonly Structure[], opts: DeepmdWriteOptions = {}): DeepmdFiles {
  if (frames.length === 0) throw new ValidationError('DeePMD: no frames to write');
  const first = frames[0]!;
  const n = first.length;
  frames.forEach((s, f) => {
    if (s.length !== n || s.numbers.some((z, i) => z !== first.numbers[i])) {
      throw new ValidationError(`DeePMD: frame ${f} has different atoms than frame 0; a DeePMD system needs the same atoms in the same order in every frame (split into several systems)`);
    }
  });
  const typeMap = opts.typeMap ?? [...new Set(first.symbols)];
  const typeOf = new Map(typeMap.map((s, k) => [atomicNumber(s), k]));
  for (const z of first.numbers) {
    if (!typeOf.has(z)) throw new ValidationError(`DeePMD: element ${symbolOf(z)} is not in typeMap [${typeMap.join(' ')}]`);
  }
  const periodic = frames.map((s) => s.periodic);
  if (periodic.some((p) => p !== periodic[0])) throw new ValidationError('DeePMD: frames mix periodic and non-periodic structures; a system is one or the other');
  const nopbc = !periodic[0];

  const all = (has: (s: Structure) => boolean, what: string): boolean => {
    const c = frames.filter(has).length;
    if (c !== 0 && c !== frames.length) throw new ValidationError(`DeePMD: ${what} is present in ${c} of ${frames.length} frames; it must be in all or none`);
    return c > 0;
  };
  const nf = frames.length;
  const set: DeepmdSet = { name: opts.setName ?? 'set.000', coord: writeNpy([nf, 3 * n], concat(frames.map((s) => s.positions))) };
  if (!nopbc) set.box = writeNpy([nf, 9], concat(frames.map((s) => s.cell)));
  if (all((s) => typeof s.info['REF_energy'] === 'number', 'REF_energy')) {
    set.energy = writeNpy([nf], Float64Array.from(frames, (s) => s.info['REF_energy'] as number));
  }
  if (all((s) => s.arrays['REF_forces'] !== undefined, 'REF_forces')) {
    set.force = writeNpy([nf, 3 * n], concat(frames.map((s) => s.floatArray('REF_forces')!)));
  }
  if (!nopbc && all((s) => s.info['REF_stress'] !== undefined, 'REF_stress')) {
    set.virial = writeNpy([nf, 9], concat(frames.map((s, f) => {
      const st = s.info['REF_stress'];
      if (!Array.isArray(st) || st.length !== 6) throw new ValidationError(`DeePMD: frame ${f} REF_stress must be 6 numbers (Voigt xx yy zz yz xz xy, eV/Å^3)`);
      const [xx, yy, zz, yz, xz, xy] = (st as number[]).map((x) => -x * volume(s.cell));
      return Float64Array.of(xx!, xy!, xz!, xy!, yy!, yz!, xz!, yz!, zz!);
    })));
  }
  return {
    typeRaw: Array.from(first.numbers, (z) => String(typeOf.get(z))).join('\n') + '\n',
    typeMapRaw: typeMap.join('\n') + '\n',
    nopbc,
    sets: [set],
  };
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
