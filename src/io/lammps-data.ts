/**
 * LAMMPS data file reader and writer, atom style "atomic" (`id type x y z [ix iy iz]`).
 *
 * Reader
 * - Line 1 is a comment (LAMMPS always skips it). Text after `#` is a comment, except that the
 *   style hint in "Atoms # atomic" is checked (another style is a ParseError).
 * - Header: "N atoms", "N atom types", "xlo xhi", "ylo yhi", "zlo zhi", optional "xy xz yz";
 *   other header lines (bonds, ...) are ignored. Sections may come in any order; sections other
 *   than Atoms and Masses (Velocities, Pair Coeffs, ...) are skipped.
 * - Cell rows: a = (xhi - xlo, 0, 0), b = (xy, yhi - ylo, 0), c = (xz, yz, zhi - zlo).
 *   Positions are taken as written, not shifted by (xlo, ylo, zlo), as ASE does; the box origin
 *   does not matter for a periodic structure. pbc is [true, true, true].
 * - Atoms are sorted by id. Image flags are ignored.
 * - Elements: `typeToZ[t - 1]` is the atomic number of type t. Without it, the Masses section
 *   maps each type to the element whose standard mass is within 0.05 amu (else a ParseError
 *   asking for typeToZ). When a type's mass differs from its element's standard mass by more
 *   than 0.05 amu (an isotope such as D, or a deliberately changed mass) all masses are kept as
 *   the per-atom `masses` array; smaller differences (28.0855 vs 28.085 for Si) are dropped.
 *
 * Writer
 * - Types: `specorder[t - 1]` is the atomic number of type t; default: elements sorted by symbol
 *   alphabetically, as ASE does. A Masses section (with symbols as comments) is always written.
 * - LAMMPS needs a restricted triclinic box: a along +x, b in the xy plane, c with positive z.
 *   A cell already in that form is written as is (positions unchanged, bit for bit). Any other
 *   cell is replaced by the restricted cell with the same lengths and angles, and positions are
 *   transformed with it: r' = r C^-1 C' (an orthogonal map). **Positions and the cell are rotated**;
 *   for a left-handed cell the map is a reflection (mirror image; distances and angles are kept).
 *   Tilt factors are not reduced; LAMMPS versions before 2023 reject |xy| > lx/2 and the like
 *   unless the input says `box tilt large`.
 * - Positions are not wrapped into the box (as ASE). The cell must have non-zero volume.
 */
import { ParseError, ValidationError } from '../core/errors.js';
import { ELEMENTS, element, symbolOf } from '../core/elements.js';
import { det3, inv3, mul3 } from '../core/mat3.js';
import { cellFromParameters, cellParameters } from '../structure/cell.js';
import { Structure, type PerAtomArray } from '../structure/structure.js';
import type { ReadOptions, WriteOptions } from './format.js';
import { formatFloat, parseDecimal, parseInteger } from './text.js';

export interface LammpsDataReadOptions extends ReadOptions {
  /** Atom style; only "atomic" is supported. */
  style?: 'atomic';
  /** Atomic number of each type: typeToZ[t - 1] for type t. */
  typeToZ?: number[];
}

export interface LammpsDataWriteOptions extends WriteOptions {
  /** Atomic number of each type: specorder[t - 1] for type t. Default: elements sorted by symbol. */
  specorder?: number[];
}

const MASS_TOLERANCE = 0.05;

export function readLammpsData(text: string, opts: LammpsDataReadOptions = {}): Structure {
  const file = opts.file;
  const fail = (msg: string, line: number): never => {
    throw new ParseError(msg, { file, line });
  };
  const num = (tok: string | undefined, what: string, line: number): number => parseDecimal(tok, what, { file, line });
  const int = (tok: string | undefined, what: string, line: number): number => parseInteger(tok, what, { file, line });

  const lines = text.split(/\r?\n/);
  let nAtoms: number | undefined;
  let nTypes: number | undefined;
  const bounds: Record<'x' | 'y' | 'z', [number, number] | undefined> = { x: undefined, y: undefined, z: undefined };
  let tilt: [number, number, number] = [0, 0, 0];
  let section: string | undefined;
  let atomsLine = 0;
  let sawAtoms = false;
  const atoms: { id: number; type: number; x: number; y: number; z: number; line: number }[] = [];
  const masses = new Map<number, { mass: number; line: number }>();

  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const t = body.split(/\s+/);
    if (!/^[-+.\d]/.test(t[0]!)) {
      // A section keyword.
      section = body;
      if (section === 'Atoms') {
        atomsLine = lineNo;
        if (sawAtoms) fail('second Atoms section; expected one', lineNo);
        sawAtoms = true;
        const hint = hash >= 0 ? raw.slice(hash + 1).trim() : '';
        if (hint !== '' && hint !== 'atomic') fail(`Atoms section is in style "${hint}"; only atom style "atomic" (id type x y z) is supported`, lineNo);
      }
      continue;
    }
    if (section === undefined) {
      // Header line: values then keywords.
      const kw = t.filter((x) => !/^[-+.\d]/.test(x)).join(' ');
      const vals = t.slice(0, t.length - kw.split(' ').length);
      switch (kw) {
        case 'atoms': nAtoms = int(vals[0], 'the number of atoms', lineNo); break;
        case 'atom types': nTypes = int(vals[0], 'the number of atom types', lineNo); break;
        case 'xlo xhi': case 'ylo yhi': case 'zlo zhi':
          bounds[kw[0] as 'x' | 'y' | 'z'] = [num(vals[0], `${kw[0]}lo`, lineNo), num(vals[1], `${kw[0]}hi`, lineNo)];
          break;
        case 'xy xz yz':
          tilt = [num(vals[0], 'tilt factor xy', lineNo), num(vals[1], 'tilt factor xz', lineNo), num(vals[2], 'tilt factor yz', lineNo)];
          break;
        default: break; // bonds, angles, extra ... : irrelevant for atom style atomic
      }
      continue;
    }
    if (section === 'Atoms') {
      if (t.length !== 5 && t.length !== 8) fail(`expected "id type x y z" (optionally followed by 3 image flags) for atom style atomic, found ${t.length} fields`, lineNo);
      atoms.push({
        id: int(t[0], 'atom id', lineNo),
        type: int(t[1], 'atom type', lineNo),
        x: num(t[2], 'x', lineNo),
        y: num(t[3], 'y', lineNo),
        z: num(t[4], 'z', lineNo),
        line: lineNo,
      });
    } else if (section === 'Masses') {
      const type = int(t[0], 'atom type', lineNo);
      masses.set(type, { mass: num(t[1], `mass of type ${type}`, lineNo), line: lineNo });
    }
  }

  const end = lines.length;
  if (nAtoms === undefined) fail('header has no "N atoms" line', 2);
  if (!sawAtoms) fail('no Atoms section', end);
  for (const ax of ['x', 'y', 'z'] as const) if (!bounds[ax]) fail(`header has no "${ax}lo ${ax}hi" line`, 2);
  if (atoms.length !== nAtoms) fail(`Atoms section has ${atoms.length} lines; the header says ${nAtoms} atoms`, atomsLine);
  atoms.sort((a, b) => a.id - b.id);
  for (let k = 1; k < atoms.length; k++) if (atoms[k]!.id === atoms[k - 1]!.id) fail(`atom id ${atoms[k]!.id} appears twice`, atoms[k]!.line);

  const types = nTypes ?? Math.max(0, ...atoms.map((a) => a.type));
  const zOfType = new Map<number, number>();
  for (let ty = 1; ty <= types; ty++) {
    if (opts.typeToZ) {
      const z = opts.typeToZ[ty - 1];
      if (z !== undefined) zOfType.set(ty, z);
      continue;
    }
    const m = masses.get(ty);
    if (!m) continue; // reported below if an atom uses it
    const best = nearestElement(m.mass);
    if (best === undefined) fail(`mass ${m.mass} of type ${ty} is not within ${MASS_TOLERANCE} amu of any standard atomic mass; pass typeToZ to name the elements`, m.line);
    zOfType.set(ty, best!);
  }

  const n = atoms.length;
  const numbers = new Int32Array(n);
  const positions = new Float64Array(3 * n);
  const perAtomMass = new Float64Array(n);
  let isotopes = false;
  atoms.forEach((a, k) => {
    if (a.type < 1 || a.type > types) fail(`atom ${a.id} has type ${a.type}; expected 1..${types} (the header says ${types} atom types)`, a.line);
    const z = zOfType.get(a.type);
    if (z === undefined) {
      if (opts.typeToZ) fail(`typeToZ has no entry for type ${a.type}`, a.line);
      fail(`no Masses entry for type ${a.type}: pass typeToZ (atomic number of each type) or add a Masses section`, a.line);
    }
    try {
      element(z!);
    } catch {
      fail(`type ${a.type} maps to atomic number ${z}, which is not an element`, a.line);
    }
    numbers[k] = z!;
    positions[3 * k] = a.x;
    positions[3 * k + 1] = a.y;
    positions[3 * k + 2] = a.z;
    const m = masses.get(a.type)?.mass ?? element(z!).mass;
    perAtomMass[k] = m;
    if (Math.abs(m - element(z!).mass) > MASS_TOLERANCE) isotopes = true;
  });

  const [xlo, xhi] = bounds.x!, [ylo, yhi] = bounds.y!, [zlo, zhi] = bounds.z!;
  const cell = [xhi - xlo, 0, 0, tilt[0], yhi - ylo, 0, tilt[1], tilt[2], zhi - zlo];
  const arrays: Record<string, PerAtomArray> = {};
  if (isotopes) arrays['masses'] = { type: 'float', cols: 1, data: perAtomMass };
  return new Structure({ numbers, positions, cell, pbc: true, arrays, info: { comment: (lines[0] ?? '').trim() } });
}

function nearestElement(mass: number): number | undefined {
  let best: number | undefined;
  let bestD = MASS_TOLERANCE;
  for (const e of ELEMENTS.slice(1)) {
    const d = Math.abs(e.mass - mass);
    if (d <= bestD) {
      bestD = d;
      best = e.z;
    }
  }
  return best;
}

/**
 * The restricted LAMMPS cell for `cell` and the map taking positions there (row vectors:
 * r' = r M). M is the identity when the cell is already restricted.
 */
export function lammpsRestrictedCell(cell: ArrayLike<number>): { cell: Float64Array; map: Float64Array | undefined } {
  const c = Float64Array.from(cell);
  if (c[1] === 0 && c[2] === 0 && c[5] === 0 && c[0]! > 0 && c[4]! > 0 && c[8]! > 0) return { cell: c, map: undefined };
  const [a, b, cc, al, be, ga] = cellParameters(c);
  const restricted = cellFromParameters(a, b, cc, al, be, ga);
  return { cell: restricted, map: mul3(inv3(c), restricted) };
}

export function writeLammpsData(s: Structure, opts: LammpsDataWriteOptions = {}): string {
  if (!(Math.abs(det3(s.cell)) > 0)) {
    throw new ValidationError('LAMMPS data needs a box: the structure has a zero-volume cell (set a cell first)');
  }
  const fmt = (x: number) => formatFloat(x, opts.precision, '0');
  const present = [...new Set(s.numbers)];
  const specorder = opts.specorder ?? present.sort((p, q) => (symbolOf(p) < symbolOf(q) ? -1 : 1));
  const typeOf = new Map<number, number>();
  specorder.forEach((z, k) => {
    if (!typeOf.has(z)) typeOf.set(z, k + 1);
  });
  for (const z of s.numbers) {
    if (!typeOf.has(z)) throw new ValidationError(`LAMMPS data: element ${symbolOf(z)} is not in specorder [${specorder.map(symbolOf).join(', ')}]`);
  }

  const { cell, map } = lammpsRestrictedCell(s.cell);
  const pos = map ? new Float64Array(s.positions.length) : s.positions;
  if (map) {
    for (let i = 0; i < s.length; i++) {
      const x = s.positions[3 * i]!, y = s.positions[3 * i + 1]!, z = s.positions[3 * i + 2]!;
      for (let c = 0; c < 3; c++) pos[3 * i + c] = x * map[c]! + y * map[3 + c]! + z * map[6 + c]!;
    }
  }
  const masses = s.masses();
  const typeMass = new Map<number, number>();
  s.numbers.forEach((z, i) => {
    if (!typeMass.has(z)) typeMass.set(z, masses[i]!);
  });

  const out: string[] = [];
  out.push(`LAMMPS data written by mlpot (atom style atomic, units metal)${map ? '; cell and positions rotated into LAMMPS orientation' : ''}`);
  out.push('');
  out.push(`${s.length} atoms`);
  out.push(`${specorder.length} atom types`);
  out.push('');
  out.push(`0 ${fmt(cell[0]!)} xlo xhi`);
  out.push(`0 ${fmt(cell[4]!)} ylo yhi`);
  out.push(`0 ${fmt(cell[8]!)} zlo zhi`);
  if (cell[3] !== 0 || cell[6] !== 0 || cell[7] !== 0) out.push(`${fmt(cell[3]!)} ${fmt(cell[6]!)} ${fmt(cell[7]!)} xy xz yz`);
  out.push('', 'Masses', '');
  specorder.forEach((z, k) => out.push(`${k + 1} ${fmt(typeMass.get(z) ?? element(z).mass)} # ${symbolOf(z)}`));
  out.push('', 'Atoms # atomic', '');
  for (let i = 0; i < s.length; i++) {
    out.push(`${i + 1} ${typeOf.get(s.numbers[i]!)} ${fmt(pos[3 * i]!)} ${fmt(pos[3 * i + 1]!)} ${fmt(pos[3 * i + 2]!)}`);
  }
  return out.join('\n') + '\n';
}
