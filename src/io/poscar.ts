/**
 * VASP POSCAR / CONTCAR reader and writer (one structure per file).
 *
 * Layout read (1-based lines):
 *   1      comment
 *   2      scale: one number s (s > 0 multiplies the lattice and Cartesian coordinates;
 *          s < 0 is a target volume |s| Å^3), or three positive numbers scaling x, y, z
 *   3-5    lattice vectors a, b, c (rows of `cell`)
 *   6      VASP 5: species symbols (POTCAR suffixes such as "Si_pv" or "Fe/4c2b" are stripped);
 *          VASP 4: absent, then the symbols must come from `opts.symbols`
 *   next   counts per species (species may repeat, e.g. "Si O Si", as ASE writes them)
 *   next   optional "Selective dynamics" (first letter S or s)
 *   next   "Direct" (first letter D/d) or "Cartesian" (C/c/K/k)
 *   then   N coordinate lines: 3 numbers (+ 3 T/F flags with selective dynamics; anything after
 *          is ignored, e.g. site labels). Velocity blocks and the rest of the file are ignored.
 *
 * Selective-dynamics flags become the per-atom bool array `move_mask` (3 columns, 1 = the
 * coordinate may move, i.e. VASP's "T"), the same meaning as ASE's extxyz `move_mask`.
 * POSCAR cells are always periodic: `pbc` is [true, true, true].
 *
 * Writer. Atoms are grouped by species in the order each species first appears. When species
 * are interleaved (e.g. Si O Si) the written atom order therefore differs from `s` (reading
 * back gives the grouped order). ASE 3.22 with sort=False does not reorder; it writes one block
 * per run ("Si O Si" / "1 2 1"), which VASP accepts but many tools do not. Numbers are written in
 * the shortest form that reads back bit for bit, unless `opts.precision` is given. POSCAR has
 * no notion of open boundaries: a non-periodic structure is written with its cell and reads back
 * as periodic; a zero-volume cell is a ValidationError.
 */
import { ParseError, ValidationError } from '../core/errors.js';
import { atomicNumber, isElementSymbol, symbolOf } from '../core/elements.js';
import { det3 } from '../core/mat3.js';
import { toCartesian, toFractional } from '../structure/cell.js';
import { Structure, type InfoValue, type PerAtomArray } from '../structure/structure.js';
import type { ReadOptions, WriteOptions } from './format.js';
import { formatFloat, isDecimal, parseDecimal } from './text.js';

export interface PoscarReadOptions extends ReadOptions {
  /** Species symbols for VASP 4 files (no species line), one per count. Ignored for VASP 5. */
  symbols?: string[];
}

export interface PoscarWriteOptions extends WriteOptions {
  /** Write fractional ("Direct") coordinates; default false (Cartesian, exact to `positions`). */
  direct?: boolean;
}

/** VASP writes Fortran exponents (1.0D-3). */
const FORTRAN = { fortran: true };
const INTEGER = /^\d+$/;

export function readPoscar(text: string, opts: PoscarReadOptions = {}): Structure {
  const file = opts.file;
  const lines = text.split(/\r?\n/);
  let ln = 0; // index of the next line to read (0-based)
  const fail = (msg: string, line = ln): never => {
    throw new ParseError(msg, { file, line });
  };
  const next = (what: string): string => {
    if (ln >= lines.length || (ln === lines.length - 1 && lines[ln]!.trim() === '')) {
      fail(`POSCAR ends early: expected ${what}`, ln + 1);
    }
    return lines[ln++]!;
  };
  const num = (tok: string | undefined, what: string): number => parseDecimal(tok, what, { file, line: ln }, FORTRAN);

  const comment = next('a comment line').trim();

  const scaleTok = next('the scale factor').trim().split(/\s+/);
  const scaleN = scaleTok.length >= 3 && isDecimal(scaleTok[1]!, FORTRAN) && isDecimal(scaleTok[2]!, FORTRAN) ? 3 : 1;
  const scale = scaleTok.slice(0, scaleN).map((t) => num(t, 'the scale factor'));
  if (scale.some((s) => s === 0)) fail('scale factor is 0; expected a positive factor or a negative target volume');
  if (scaleN === 3 && scale.some((s) => s < 0)) fail('with three scale factors each must be positive');

  const cell = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    const t = next(`lattice vector ${'abc'[r]}`).trim().split(/\s+/);
    for (let c = 0; c < 3; c++) cell[3 * r + c] = num(t[c], `component ${c + 1} of lattice vector ${'abc'[r]}`);
  }
  const vol0 = Math.abs(det3(cell));
  // Per Cartesian axis factor applied to the lattice and to Cartesian coordinates.
  let factor: [number, number, number];
  if (scaleN === 3) factor = [scale[0]!, scale[1]!, scale[2]!];
  else if (scale[0]! > 0) factor = [scale[0]!, scale[0]!, scale[0]!];
  else {
    if (!(vol0 > 0)) fail('negative scale factor (target volume) needs a lattice with non-zero volume', 2);
    const f = Math.cbrt(-scale[0]! / vol0);
    factor = [f, f, f];
  }
  for (let i = 0; i < 9; i++) cell[i] = cell[i]! * factor[i % 3]!;

  // Species line (VASP 5) or counts (VASP 4).
  let tokens = next('the species or counts line').trim().split(/\s+/);
  let symbols: string[];
  if (!INTEGER.test(tokens[0]!)) {
    const speciesLine = ln;
    symbols = tokens.map((t) => {
      const s = t.split(/[_/]/)[0]!;
      if (!isElementSymbol(s)) fail(`unknown element "${t}" in the species line; expected element symbols such as "Si O"`, speciesLine);
      return s;
    });
    tokens = next('the counts line').trim().split(/\s+/);
  } else {
    if (!opts.symbols) {
      fail('VASP 4 POSCAR without a species line: pass the element symbols (one per count) as `symbols`');
    }
    symbols = opts.symbols!;
    for (const s of symbols) if (!isElementSymbol(s)) fail(`unknown element "${s}" in opts.symbols`);
  }
  const countsLine = ln;
  const counts: number[] = [];
  for (const t of tokens) {
    if (t.startsWith('!') || t.startsWith('#')) break;
    if (!INTEGER.test(t)) fail(`expected a count of atoms (a non-negative integer), found "${t}"`, countsLine);
    counts.push(Number(t));
  }
  if (counts.length !== symbols.length) {
    fail(`${counts.length} counts but ${symbols.length} species (${symbols.join(' ')}); expected one count per species`, countsLine);
  }
  const numbers: number[] = [];
  counts.forEach((c, k) => {
    const z = atomicNumber(symbols[k]!);
    for (let i = 0; i < c; i++) numbers.push(z);
  });
  const n = numbers.length;
  if (n === 0) fail('no atoms: all counts are 0', countsLine);

  let mode = next('"Direct" or "Cartesian"').trim();
  const selective = /^[sS]/.test(mode);
  if (selective) mode = next('"Direct" or "Cartesian"').trim();
  let cartesian: boolean;
  if (/^[cCkK]/.test(mode)) cartesian = true;
  else if (/^[dD]/.test(mode)) cartesian = false;
  else return fail(`expected "Direct" or "Cartesian" (or "Selective dynamics"), found "${mode}"`);

  const coords = new Float64Array(3 * n);
  const mask = selective ? new Uint8Array(3 * n) : undefined;
  for (let i = 0; i < n; i++) {
    const t = next(`coordinates of atom ${i + 1} of ${n} (the counts line says ${n} atoms)`).trim().split(/\s+/);
    if (t.length === 1 && t[0] === '') fail(`expected coordinates of atom ${i + 1} of ${n}, found a blank line (fewer atoms than the counts say?)`);
    for (let c = 0; c < 3; c++) coords[3 * i + c] = num(t[c], `coordinate ${c + 1} of atom ${i + 1}`);
    if (mask) {
      for (let c = 0; c < 3; c++) {
        const f = t[3 + c];
        if (f === 'T' || f === 't') mask[3 * i + c] = 1;
        else if (f === 'F' || f === 'f') mask[3 * i + c] = 0;
        else fail(`expected selective-dynamics flag T or F for atom ${i + 1}, found ${f === undefined ? 'end of line' : `"${f}"`}`);
      }
    }
  }

  let positions: Float64Array;
  if (cartesian) {
    positions = coords;
    for (let i = 0; i < positions.length; i++) positions[i] = positions[i]! * factor[i % 3]!;
  } else {
    positions = toCartesian(cell, coords);
  }
  const arrays: Record<string, PerAtomArray> = {};
  if (mask) arrays['move_mask'] = { type: 'bool', cols: 3, data: mask };
  const info: Record<string, InfoValue> = comment ? { comment } : {};
  return new Structure({ numbers, positions, cell, pbc: true, info, arrays });
}

export function writePoscar(s: Structure, opts: PoscarWriteOptions = {}): string {
  const n = s.length;
  if (n === 0) throw new ValidationError('POSCAR: cannot write a structure with no atoms');
  if (!(Math.abs(det3(s.cell)) > 0)) {
    throw new ValidationError('POSCAR needs a cell with three independent lattice vectors; this structure has a zero-volume cell');
  }
  const fmt = (x: number) => formatFloat(x, opts.precision, '0');

  // Group atoms by species in order of first appearance.
  const species: number[] = [];
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const z = s.numbers[i]!;
    let g = groups.get(z);
    if (!g) {
      g = [];
      groups.set(z, g);
      species.push(z);
    }
    g.push(i);
  }
  const order = species.flatMap((z) => groups.get(z)!);

  const direct = opts.direct ?? false;
  const coords = direct ? toFractional(s.cell, s.positions) : s.positions;
  const mm = s.arrays['move_mask'];
  const mask = mm && mm.type === 'bool' && mm.cols === 3 ? mm.data : undefined;

  const symbols = species.map(symbolOf);
  const c = s.info['comment'];
  const title = typeof c === 'string' && c !== '' && !/[\r\n]/.test(c) ? c : symbols.join(' ');
  const out: string[] = [title, '1.0'];
  for (let r = 0; r < 3; r++) out.push(row([s.cell[3 * r]!, s.cell[3 * r + 1]!, s.cell[3 * r + 2]!], fmt));
  out.push(symbols.map((x) => x.padStart(4)).join(''));
  out.push(species.map((z) => String(groups.get(z)!.length).padStart(4)).join(''));
  if (mask) out.push('Selective dynamics');
  out.push(direct ? 'Direct' : 'Cartesian');
  for (const i of order) {
    let line = row([coords[3 * i]!, coords[3 * i + 1]!, coords[3 * i + 2]!], fmt);
    if (mask) for (let k = 0; k < 3; k++) line += mask[3 * i + k] ? ' T' : ' F';
    out.push(line);
  }
  return out.join('\n') + '\n';
}

function row(v: number[], fmt: (x: number) => string): string {
  return v.map((x) => ' ' + fmt(x).padStart(23)).join('');
}
