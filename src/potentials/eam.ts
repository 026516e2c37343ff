/**
 * Embedded-atom method (Daw & Baskes), reading LAMMPS `setfl` (pair_style eam/alloy) and
 * DYNAMO `funcfl` (pair_style eam) files and interpolating them exactly as LAMMPS does:
 *
 *   E    = sum_i F_{a_i}(rho_i) + 1/2 sum_i sum_{j != i} phi_{a_i a_j}(r_ij)
 *   rho_i = sum_{j != i} f_{a_j}(r_ij)
 *   phi_{ab}(r) = z2r_{ab}(r) / r          (tables hold r * phi, in eV Å)
 *
 *   F_i = -dE/dx_i = sum_j psi'(r_ij) d_ij / r_ij,   d_ij = x_j - x_i,
 *   psi'(r_ij) = F'_{a_i}(rho_i) f'_{a_j}(r_ij) + F'_{a_j}(rho_j) f'_{a_i}(r_ij) + phi'_{a_i a_j}(r_ij)
 *
 * | symbol        | variable                           | unit   |
 * |---------------|------------------------------------|--------|
 * | a_i           | `type[i]` (index into `elements`)  |        |
 * | F_a(rho)      | embedding spline `frho`            | eV     |
 * | F'_a(rho_i)   | `fp[i]`                            | eV     |
 * | rho_i         | `rho[i]`                           | (file) |
 * | f_a(r)        | density spline `rhor`              | (file) |
 * | r phi_ab(r)   | pair spline `z2r` (`z2`, `z2p`)    | eV Å   |
 * | psi'          | `psip`                             | eV/Å   |
 * | r_c           | `cutoff`                           | Å      |
 *
 * Tables are splined with LAMMPS' 7-coefficient cubic (see spline.ts) and looked up with its
 * index clamping: r at or beyond the cutoff contributes nothing; a density above the table
 * (rho > rhomax) uses F'(rho) at the top knot and extends F linearly,
 * F(rho) = F(top) + F'(top) (rho - rhomax), as LAMMPS' PairEAM::compute does.
 *
 * funcfl files are re-tabulated like LAMMPS' `file2array`: every file is interpolated with
 * four-point Lagrange onto one grid (largest dr and drho among the files, nr = round(rmax/dr),
 * nrho = round(rhomax/drho)), and the pair term of elements a, b is built from the effective
 * charges, r phi_ab(r) = 27.2 * 0.529 * Z_a(r) Z_b(r) (LAMMPS' Hartree x Bohr constant, kept
 * as-is for agreement). rhomax is the largest (nrho_file - 1) drho_file, one spacing past the
 * re-tabulated grid, again as in LAMMPS.
 */
import { ParseError, ParameterError, ValidationError } from '../core/errors.js';
import { atomicNumber, isElementSymbol, MAX_Z, symbolOf } from '../core/elements.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { finishResult, prepare } from './prepare.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';
import { lammpsSpline, resampleLagrange4 } from './spline.js';

/** EAM functions on LAMMPS' internal grid (knots at m * dr and m * drho, m = 0, 1, ...). */
export interface EamTables {
  /** Element symbols, one per table row. */
  elements: string[];
  /** Atomic mass per element (amu), as given in the file. */
  masses: number[];
  nrho: number;
  drho: number;
  nr: number;
  dr: number;
  /** Pair cutoff (Å). */
  cutoff: number;
  /** Density above which F is extended linearly. */
  rhomax: number;
  /** F_a(rho) per element, nrho values. */
  frho: Float64Array[];
  /** f_a(r) per element, nr values. */
  rhor: Float64Array[];
  /** r phi_ab(r) for a >= b, row-major lower triangle (index a(a+1)/2 + b), nr values each. */
  z2r: Float64Array[];
}

/** Index of the pair table for elements a, b in the lower-triangular storage. */
export function pairTableIndex(a: number, b: number): number {
  const hi = Math.max(a, b), lo = Math.min(a, b);
  return (hi * (hi + 1)) / 2 + lo;
}

/** LAMMPS' conversion of funcfl effective charges to r phi (Hartree x Bohr, eV Å). */
export const FUNCFL_Z2R_FACTOR = 27.2 * 0.529;

export class Eam implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false };
  readonly species: readonly number[];
  readonly elements: readonly string[];
  readonly tables: Readonly<EamTables>;
  private readonly typeOfZ: Int32Array;
  private readonly nel: number;
  private readonly frhoC: Float64Array;
  private readonly rhorC: Float64Array;
  private readonly z2rC: Float64Array;
  /** Offset into z2rC of the pair table for (a, b), nel x nel. */
  private readonly z2rOff: Int32Array;

  constructor(t: EamTables, name?: string) {
    const nel = t.elements.length;
    if (nel < 1) throw new ValidationError('eam: no elements');
    if (!(Number.isInteger(t.nr) && t.nr >= 5 && Number.isInteger(t.nrho) && t.nrho >= 5)) {
      throw new ValidationError(`eam: tables need at least 5 knots (nr = ${t.nr}, nrho = ${t.nrho})`);
    }
    for (const [k, v] of Object.entries({ dr: t.dr, drho: t.drho, cutoff: t.cutoff })) {
      if (!(Number.isFinite(v) && v > 0)) throw new ValidationError(`eam: ${k} must be a positive number, got ${v}`);
    }
    if (t.frho.length !== nel || t.rhor.length !== nel || t.z2r.length !== (nel * (nel + 1)) / 2) {
      throw new ValidationError(`eam: expected ${nel} embedding, ${nel} density and ${(nel * (nel + 1)) / 2} pair tables`);
    }
    this.typeOfZ = new Int32Array(MAX_Z + 1).fill(-1);
    const species: number[] = [];
    t.elements.forEach((sym, a) => {
      const z = atomicNumber(sym);
      if (this.typeOfZ[z] !== -1) throw new ParameterError(`eam: element ${sym} appears twice`);
      this.typeOfZ[z] = a;
      species.push(z);
    });
    this.species = species;
    this.elements = [...t.elements];
    this.tables = t;
    this.nel = nel;
    this.cutoff = t.cutoff;
    this.frhoC = new Float64Array(7 * t.nrho * nel);
    this.rhorC = new Float64Array(7 * t.nr * nel);
    this.z2rC = new Float64Array(7 * t.nr * t.z2r.length);
    const check = (arr: Float64Array, len: number, what: string) => {
      if (arr.length !== len) throw new ValidationError(`eam: ${what} has ${arr.length} values, expected ${len}`);
    };
    for (let a = 0; a < nel; a++) {
      check(t.frho[a]!, t.nrho, `F(rho) of ${t.elements[a]}`);
      check(t.rhor[a]!, t.nr, `rho(r) of ${t.elements[a]}`);
      lammpsSpline(t.frho[a]!, t.drho, this.frhoC.subarray(7 * t.nrho * a, 7 * t.nrho * (a + 1)));
      lammpsSpline(t.rhor[a]!, t.dr, this.rhorC.subarray(7 * t.nr * a, 7 * t.nr * (a + 1)));
    }
    t.z2r.forEach((z2, k) => {
      check(z2, t.nr, `pair table ${k}`);
      lammpsSpline(z2, t.dr, this.z2rC.subarray(7 * t.nr * k, 7 * t.nr * (k + 1)));
    });
    this.z2rOff = new Int32Array(nel * nel);
    for (let a = 0; a < nel; a++) for (let b = 0; b < nel; b++) this.z2rOff[a * nel + b] = 7 * t.nr * pairTableIndex(a, b);
    this.name = name ?? `eam(${t.elements.join(',')})`;
  }

  /**
   * Read a LAMMPS setfl file (pair_style eam/alloy): 3 comment lines; "N el_1 ... el_N";
   * "nrho drho nr dr cutoff"; per element a line "Z mass a0 lattice" then nrho values of F
   * and nr values of rho(r); then r*phi(r) (nr values) for every pair i >= j in file order.
   * `elements` restricts the potential to some of the file's elements (default: all).
   */
  static fromSetfl(text: string, elements?: readonly string[]): Eam {
    const c = new TokenCursor(text, 'setfl');
    for (let k = 0; k < 3; k++) c.line('a comment line');
    const head = c.line('the element line "N el_1 ... el_N"');
    const nel = parseIntStrict(head.words[0], head.no, 'the number of elements');
    if (nel < 1 || head.words.length < nel + 1) {
      throw new ParseError(`expected "N el_1 ... el_N" with N >= 1 element symbols, found "${head.words.join(' ')}"`, { file: 'setfl', line: head.no });
    }
    const fileElements = head.words.slice(1, nel + 1);
    const grid = c.line('"nrho drho nr dr cutoff"');
    const [nrho, drho, nr, dr, cutoff] = parseGrid(grid.words, grid.no, 'setfl');
    const frho: Float64Array[] = [], rhor: Float64Array[] = [], masses: number[] = [];
    for (let a = 0; a < nel; a++) {
      const h = c.line(`the header line of element ${fileElements[a]} ("Z mass a0 lattice")`);
      masses.push(parseNumStrict(h.words[1], h.no, `the mass of ${fileElements[a]}`, 'setfl'));
      frho.push(c.values(nrho, `F(rho) of ${fileElements[a]}`));
      rhor.push(c.values(nr, `rho(r) of ${fileElements[a]}`));
    }
    const z2r: Float64Array[] = [];
    for (let a = 0; a < nel; a++) for (let b = 0; b <= a; b++) z2r.push(c.values(nr, `r*phi(r) of ${fileElements[a]}-${fileElements[b]}`));
    for (const e of fileElements) {
      if (!isElementSymbol(e)) throw new ParseError(`"${e}" is not an element symbol`, { file: 'setfl', line: head.no });
    }
    const keep = elements ? [...elements] : fileElements;
    const idx = keep.map((e) => {
      const k = fileElements.indexOf(e);
      if (k < 0) throw new ParameterError(`eam/alloy: element ${e} is not in the setfl file (it has ${fileElements.join(', ')})`);
      return k;
    });
    const t: EamTables = {
      elements: keep,
      masses: idx.map((k) => masses[k]!),
      nrho, drho, nr, dr, cutoff,
      rhomax: (nrho - 1) * drho,
      frho: idx.map((k) => frho[k]!),
      rhor: idx.map((k) => rhor[k]!),
      z2r: [],
    };
    for (let a = 0; a < idx.length; a++) for (let b = 0; b <= a; b++) t.z2r.push(z2r[pairTableIndex(idx[a]!, idx[b]!)]!);
    return new Eam(t, `eam/alloy(${keep.join(',')})`);
  }

  /**
   * Read one or more DYNAMO funcfl files (pair_style eam), one element each: a comment line;
   * "Z mass a0 lattice"; "nrho drho nr dr cutoff"; nrho values of F, nr values of the effective
   * charge Z(r), nr values of rho(r). Several files are combined as LAMMPS does (see module doc).
   */
  static fromFuncfl(texts: readonly string[] | string): Eam {
    const list = typeof texts === 'string' ? [texts] : [...texts];
    if (list.length === 0) throw new ValidationError('eam: no funcfl file given');
    const files = list.map((text, f) => {
      const label = list.length > 1 ? `funcfl file ${f + 1}` : 'funcfl';
      const c = new TokenCursor(text, label);
      c.line('a comment line');
      const h = c.line('"Z mass a0 lattice"');
      const z = parseIntStrict(h.words[0], h.no, 'the atomic number', label);
      if (z < 1 || z > MAX_Z) throw new ParseError(`atomic number ${z} is not an element`, { file: label, line: h.no });
      const mass = parseNumStrict(h.words[1], h.no, 'the mass', label);
      const g = c.line('"nrho drho nr dr cutoff"');
      const [nrho, drho, nr, dr, cut] = parseGrid(g.words, g.no, label);
      return { z, mass, nrho, drho, nr, dr, cut, frho: c.values(nrho, 'F(rho)'), zr: c.values(nr, 'Z(r)'), rhor: c.values(nr, 'rho(r)') };
    });
    let dr = 0, drho = 0, rmax = 0, rhomax = 0, cutoff = 0;
    for (const f of files) {
      dr = Math.max(dr, f.dr);
      drho = Math.max(drho, f.drho);
      rmax = Math.max(rmax, (f.nr - 1) * f.dr);
      rhomax = Math.max(rhomax, (f.nrho - 1) * f.drho);
      cutoff = Math.max(cutoff, f.cut);
    }
    const nr = Math.trunc(rmax / dr + 0.5);
    const nrho = Math.trunc(rhomax / drho + 0.5);
    const zr = files.map((f) => resampleLagrange4(f.zr, f.dr, nr, dr));
    const z2r: Float64Array[] = [];
    for (let a = 0; a < files.length; a++) {
      for (let b = 0; b <= a; b++) {
        const za = zr[a]!, zb = zr[b]!, out = new Float64Array(nr);
        for (let m = 0; m < nr; m++) out[m] = FUNCFL_Z2R_FACTOR * za[m]! * zb[m]!;
        z2r.push(out);
      }
    }
    const elements = files.map((f) => symbolOf(f.z));
    return new Eam(
      {
        elements,
        masses: files.map((f) => f.mass),
        nrho, drho, nr, dr, cutoff, rhomax,
        frho: files.map((f) => resampleLagrange4(f.frho, f.drho, nrho, drho)),
        rhor: files.map((f) => resampleLagrange4(f.rhor, f.dr, nr, dr)),
        z2r,
      },
      `eam(${elements.join(',')})`,
    );
  }

  /** Host electron density rho_i of every atom (the argument of F), computed afresh. */
  densities(s: Structure, ctx?: ComputeContext): Float64Array {
    const { nl } = prepare(this, s, { forces: false }, ctx);
    const rho = new Float64Array(s.length);
    this.accumulateDensities(s, nl, this.types(s), rho);
    return rho;
  }

  private types(s: Structure): Int32Array {
    const type = new Int32Array(s.length);
    for (let i = 0; i < s.length; i++) type[i] = this.typeOfZ[s.numbers[i]!]!;
    return type;
  }

  /** Pass 1: rho_i = sum_j f_{a_j}(r_ij), LAMMPS table lookup. */
  private accumulateDensities(s: Structure, nl: NeighborList, type: Int32Array, rho: Float64Array): void {
    const x = s.positions;
    const { offsets, neighbors, shifts } = nl;
    const nr = this.tables.nr, rdr = 1.0 / this.tables.dr, rowR = 7 * nr;
    const cutsq = this.cutoff * this.cutoff;
    const rhorC = this.rhorC;
    for (let i = 0; i < s.length; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      let rhoi = 0;
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= cutsq) continue;
        let q = Math.sqrt(r2) * rdr + 1.0;
        const m = Math.min(Math.trunc(q), nr - 1);
        q = Math.min(q - m, 1.0);
        const o = type[j]! * rowR + 7 * (m - 1);
        rhoi += ((rhorC[o + 3]! * q + rhorC[o + 4]!) * q + rhorC[o + 5]!) * q + rhorC[o + 6]!;
      }
      rho[i] = rhoi;
    }
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, forces, energies } = prep;
    const n = s.length;
    const x = s.positions;
    const { offsets, neighbors, shifts } = nl;
    const t = this.tables;
    const nel = this.nel;
    const nr = t.nr, nrho = t.nrho, rhomax = t.rhomax;
    const rdr = 1.0 / t.dr, rdrho = 1.0 / t.drho;
    const cutsq = this.cutoff * this.cutoff;
    const frhoC = this.frhoC, rhorC = this.rhorC, z2rC = this.z2rC, z2rOff = this.z2rOff;
    const rowR = 7 * nr, rowRho = 7 * nrho;
    const type = this.types(s);
    const rho = new Float64Array(n);
    this.accumulateDensities(s, nl, type, rho);
    const fp = new Float64Array(n);

    // embedding energies F(rho_i) and derivatives F'(rho_i)
    let energy = 0;
    for (let i = 0; i < n; i++) {
      const rhoi = rho[i]!;
      let q = rhoi * rdrho + 1.0;
      const m = Math.max(1, Math.min(clampTrunc(q), nrho - 1));
      q = Math.min(q - m, 1.0);
      const o = type[i]! * rowRho + 7 * (m - 1);
      const fpi = (frhoC[o]! * q + frhoC[o + 1]!) * q + frhoC[o + 2]!;
      let ei = ((frhoC[o + 3]! * q + frhoC[o + 4]!) * q + frhoC[o + 5]!) * q + frhoC[o + 6]!;
      if (rhoi > rhomax) ei += fpi * (rhoi - rhomax);
      fp[i] = fpi;
      energy += ei;
      if (energies) energies[i] = ei;
    }

    // pass 2: pair energies and forces
    let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      const ti = type[i]!, fpi = fp[i]!;
      let fx = 0, fy = 0, fz = 0, epair = 0;
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= cutsq) continue;
        const tj = type[j]!;
        const r = Math.sqrt(r2);
        let q = r * rdr + 1.0;
        const m = Math.min(Math.trunc(q), nr - 1);
        q = Math.min(q - m, 1.0);
        const row = 7 * (m - 1);
        let o = ti * rowR + row;
        const rhoip = (rhorC[o]! * q + rhorC[o + 1]!) * q + rhorC[o + 2]!;
        o = tj * rowR + row;
        const rhojp = (rhorC[o]! * q + rhorC[o + 1]!) * q + rhorC[o + 2]!;
        o = z2rOff[ti * nel + tj]! + row;
        const z2p = (z2rC[o]! * q + z2rC[o + 1]!) * q + z2rC[o + 2]!;
        const z2 = ((z2rC[o + 3]! * q + z2rC[o + 4]!) * q + z2rC[o + 5]!) * q + z2rC[o + 6]!;
        const recip = 1.0 / r;
        const phi = z2 * recip;
        const phip = z2p * recip - phi * recip;
        const psip = fpi * rhojp + fp[j]! * rhoip + phip;
        const g = psip * recip;
        epair += 0.5 * phi;
        fx += g * dx;
        fy += g * dy;
        fz += g * dz;
        // full list: each pair twice, half the virial each time
        const hg = 0.5 * g;
        wxx += hg * dx * dx; wyy += hg * dy * dy; wzz += hg * dz * dz;
        wyz += hg * dy * dz; wxz += hg * dx * dz; wxy += hg * dx * dy;
      }
      energy += epair;
      if (energies) energies[i] = energies[i]! + epair;
      if (forces) {
        forces[3 * i] = fx;
        forces[3 * i + 1] = fy;
        forces[3 * i + 2] = fz;
      }
    }
    return finishResult(this, s, prep, energy, wxx, wyy, wzz, wyz, wxz, wxy);
  }
}

/** C-style truncation to int for a table index, safe for huge or negative arguments. */
function clampTrunc(p: number): number {
  return p >= 2147483647 ? 2147483647 : p <= -2147483648 ? -2147483648 : Math.trunc(p);
}

interface Line {
  words: string[];
  /** 1-based line number. */
  no: number;
}

/**
 * Reads a parameter file as lines (headers) and as a stream of numbers (tables that may wrap
 * over any number of lines). A header must start on a fresh line.
 */
class TokenCursor {
  private readonly lines: string[];
  private next = 0;
  private pending: string[] = [];
  private pendingLine = 0;
  constructor(text: string, private readonly label: string) {
    this.lines = text.split(/\r?\n/);
  }

  line(what: string): Line {
    if (this.pending.length) {
      throw new ParseError(`expected ${what} to start a new line, found ${this.pending.length} extra value(s) "${this.pending.slice(0, 3).join(' ')}"`, { file: this.label, line: this.pendingLine });
    }
    if (this.next >= this.lines.length) throw new ParseError(`unexpected end of file: expected ${what}`, { file: this.label, line: this.lines.length });
    const no = this.next + 1;
    const words = this.lines[this.next++]!.trim().split(/\s+/).filter(Boolean);
    return { words, no };
  }

  values(count: number, what: string): Float64Array {
    const out = new Float64Array(count);
    let k = 0;
    while (k < count) {
      if (!this.pending.length) {
        if (this.next >= this.lines.length) {
          throw new ParseError(`unexpected end of file: expected ${count} values of ${what}, found ${k}`, { file: this.label, line: this.lines.length });
        }
        this.pendingLine = this.next + 1;
        this.pending = this.lines[this.next++]!.trim().split(/\s+/).filter(Boolean);
        continue;
      }
      const w = this.pending.shift()!;
      out[k++] = parseNumStrict(w, this.pendingLine, `value ${k} of ${count} of ${what}`, this.label);
    }
    return out;
  }
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;

function parseNumStrict(w: string | undefined, line: number, what: string, file = 'setfl'): number {
  if (w === undefined || !NUMBER_RE.test(w)) throw new ParseError(`expected ${what} (a number), found ${w === undefined ? 'nothing' : `"${w}"`}`, { file, line });
  return Number(w.replace(/[dD]/, 'e'));
}

function parseIntStrict(w: string | undefined, line: number, what: string, file = 'setfl'): number {
  const v = parseNumStrict(w, line, what, file);
  if (!Number.isInteger(v)) throw new ParseError(`expected ${what} (an integer), found "${w}"`, { file, line });
  return v;
}

function parseGrid(words: string[], line: number, file: string): [number, number, number, number, number] {
  const nrho = parseIntStrict(words[0], line, 'nrho', file);
  const drho = parseNumStrict(words[1], line, 'drho', file);
  const nr = parseIntStrict(words[2], line, 'nr', file);
  const dr = parseNumStrict(words[3], line, 'dr', file);
  const cut = parseNumStrict(words[4], line, 'the cutoff', file);
  if (nrho < 5 || nr < 5) throw new ParseError(`nrho and nr must be at least 5, found nrho = ${nrho}, nr = ${nr}`, { file, line });
  if (!(drho > 0 && dr > 0 && cut > 0)) throw new ParseError(`drho, dr and the cutoff must be positive, found ${drho}, ${dr}, ${cut}`, { file, line });
  return [nrho, drho, nr, dr, cut];
}
