/**
 * Structure builders, after ASE's `ase.build`: bulk crystals, general supercells, surface slabs,
 * vacancies, and random perturbations for training data. Every builder returns a new Structure.
 */
import { ValidationError } from '../core/errors.js';
import { atomicNumber } from '../core/elements.js';
import { cross, det3, dot3, norm3 } from '../core/mat3.js';
import type { Rng } from '../core/rng.js';
import { toCartesian, toFractional, volume } from './cell.js';
import { tileArray } from './repeat.js';
import { Structure, type PerAtomArray } from './structure.js';

export type Crystal = 'diamond' | 'fcc' | 'bcc' | 'hcp' | 'rocksalt' | 'sc';

export interface BulkOptions {
  /** Lattice constant a (Å). */
  a: number;
  /** Lattice constant c (Å), hcp only; default the ideal sqrt(8/3) a. */
  c?: number;
  /** Conventional cubic cell instead of the primitive one (not for hcp). */
  cubic?: boolean;
  /** Second species (rocksalt): `bulk('Na', 'rocksalt', { a: 5.64, symbols2: 'Cl' })`. */
  symbols2?: string;
}

const CRYSTALS: readonly Crystal[] = ['diamond', 'fcc', 'bcc', 'hcp', 'rocksalt', 'sc'];

/**
 * Bulk crystal: by default the primitive cell with the same cell and atom order as ASE's
 * `bulk(name, crystal, a)`; with `cubic` the conventional cubic cell (ASE's `cubic=True`).
 */
export function bulk(symbol: string, crystal: Crystal, opts: BulkOptions): Structure {
  if (!CRYSTALS.includes(crystal)) throw new ValidationError(`unknown crystal structure "${crystal}"; expected one of ${CRYSTALS.join(', ')}`);
  const { a } = opts;
  if (!(a > 0) || !Number.isFinite(a)) throw new ValidationError(`lattice constant a must be a positive finite number of Å, got ${a}`);
  const z1 = atomicNumber(symbol);
  let z2 = z1;
  if (crystal === 'rocksalt') {
    if (opts.symbols2 === undefined) throw new ValidationError('rocksalt needs a second species: pass symbols2 (e.g. bulk("Na", "rocksalt", { a: 5.64, symbols2: "Cl" }))');
    z2 = atomicNumber(opts.symbols2);
  } else if (opts.symbols2 !== undefined) {
    throw new ValidationError(`symbols2 is only used for rocksalt, not ${crystal}`);
  }
  if (opts.c !== undefined && crystal !== 'hcp') throw new ValidationError(`lattice constant c is only used for hcp, not ${crystal}`);
  const c = opts.c ?? Math.sqrt(8 / 3) * a;
  if (!(c > 0) || !Number.isFinite(c)) throw new ValidationError(`lattice constant c must be a positive finite number of Å, got ${c}`);
  const h = a / 2;
  const fccCell = [0, h, h, h, 0, h, h, h, 0];
  const cubicCell = [a, 0, 0, 0, a, 0, 0, 0, a];
  let cell: number[];
  let numbers: number[];
  let frac: number[] | null = null;
  let cart: number[] | null = null;
  if (opts.cubic) {
    cell = cubicCell;
    switch (crystal) {
      case 'hcp': throw new ValidationError('hcp has no cubic cell; omit cubic');
      case 'sc': numbers = [z1]; frac = [0, 0, 0]; break;
      case 'bcc': numbers = [z1, z1]; frac = [0, 0, 0, 0.5, 0.5, 0.5]; break;
      case 'fcc': numbers = [z1, z1, z1, z1]; frac = [0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0]; break;
      case 'diamond':
        numbers = new Array(8).fill(z1);
        frac = [0, 0, 0, 0.25, 0.25, 0.25, 0, 0.5, 0.5, 0.25, 0.75, 0.75, 0.5, 0, 0.5, 0.75, 0.25, 0.75, 0.5, 0.5, 0, 0.75, 0.75, 0.25];
        break;
      case 'rocksalt':
        numbers = [z1, z2, z1, z2, z1, z2, z1, z2];
        frac = [0, 0, 0, 0.5, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0.5, 0];
        break;
    }
  } else {
    switch (crystal) {
      case 'sc': cell = cubicCell; numbers = [z1]; cart = [0, 0, 0]; break;
      case 'fcc': cell = fccCell; numbers = [z1]; cart = [0, 0, 0]; break;
      case 'bcc': cell = [-h, h, h, h, -h, h, h, h, -h]; numbers = [z1]; cart = [0, 0, 0]; break;
      case 'diamond': cell = fccCell; numbers = [z1, z1]; cart = [0, 0, 0, a / 4, a / 4, a / 4]; break;
      case 'rocksalt': cell = fccCell; numbers = [z1, z2]; cart = [0, 0, 0, h, 0, 0]; break;
      case 'hcp':
        cell = [a, 0, 0, -a / 2, (a * Math.sqrt(3)) / 2, 0, 0, 0, c];
        numbers = [z1, z1];
        frac = [0, 0, 0, 1 / 3, 2 / 3, 0.5];
        break;
    }
  }
  const positions = cart ?? Array.from(toCartesian(cell, frac!));
  return new Structure({ numbers, positions, cell, pbc: true });
}

/** Supercell matrix: 9 integers row-major, 3 rows of 3, or a diagonal [na, nb, nc]. */
export type SupercellMatrix = readonly number[] | readonly (readonly number[])[];

/**
 * General supercell: new lattice vectors are integer combinations of the old, new cell = M * cell
 * (rows). Every atom of the new cell is found (|det M| copies of each atom) and wrapped into it
 * along periodic directions. Order: lattice translations in lexicographic order (a outermost),
 * then the original atoms, so a diagonal M gives the same order as `repeat`.
 */
export function supercell(s: Structure, matrix: SupercellMatrix): Structure {
  const M = supercellMatrix(matrix);
  const det = Math.round(det3(M));
  if (det === 0) throw new ValidationError(`supercell matrix [${formatMatrix(M)}] is singular (determinant 0)`);
  if (!(volume(s.cell) > 0)) throw new ValidationError('supercell needs a cell with three independent lattice vectors (zero volume)');
  // integer adjugate: t * M^-1 = t * adj / det, exact in integers
  const adj = [
    M[4]! * M[8]! - M[5]! * M[7]!, M[2]! * M[7]! - M[1]! * M[8]!, M[1]! * M[5]! - M[2]! * M[4]!,
    M[5]! * M[6]! - M[3]! * M[8]!, M[0]! * M[8]! - M[2]! * M[6]!, M[2]! * M[3]! - M[0]! * M[5]!,
    M[3]! * M[7]! - M[4]! * M[6]!, M[1]! * M[6]! - M[0]! * M[7]!, M[0]! * M[4]! - M[1]! * M[3]!,
  ];
  // bounding box of the new cell's corners in old lattice coordinates
  const lo = [0, 0, 0], hi = [0, 0, 0];
  for (let u = 0; u < 8; u++) {
    for (let k = 0; k < 3; k++) {
      const v = (u & 1 ? M[k]! : 0) + (u & 2 ? M[3 + k]! : 0) + (u & 4 ? M[6 + k]! : 0);
      lo[k] = Math.min(lo[k]!, v);
      hi[k] = Math.max(hi[k]!, v);
    }
  }
  const inside = (v: number) => (det > 0 ? v >= 0 && v < det : v <= 0 && v > det);
  const translations: number[] = [];
  for (let t0 = lo[0]!; t0 <= hi[0]!; t0++)
    for (let t1 = lo[1]!; t1 <= hi[1]!; t1++)
      for (let t2 = lo[2]!; t2 <= hi[2]!; t2++) {
        const f0 = t0 * adj[0]! + t1 * adj[3]! + t2 * adj[6]!;
        const f1 = t0 * adj[1]! + t1 * adj[4]! + t2 * adj[7]!;
        const f2 = t0 * adj[2]! + t1 * adj[5]! + t2 * adj[8]!;
        if (inside(f0) && inside(f1) && inside(f2)) translations.push(t0, t1, t2);
      }
  const m = translations.length / 3;
  if (m !== Math.abs(det)) throw new Error(`supercell: found ${m} lattice translations, expected |det M| = ${Math.abs(det)}`);
  const n = s.length;
  const cell = s.cell;
  const newCell = new Float64Array(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) newCell[3 * r + c] = M[3 * r]! * cell[c]! + M[3 * r + 1]! * cell[3 + c]! + M[3 * r + 2]! * cell[6 + c]!;
  const pos = new Float64Array(3 * n * m);
  for (let q = 0; q < m; q++) {
    const t0 = translations[3 * q]!, t1 = translations[3 * q + 1]!, t2 = translations[3 * q + 2]!;
    for (let k = 0; k < 3; k++) {
      const sh = t0 * cell[k]! + t1 * cell[3 + k]! + t2 * cell[6 + k]!;
      for (let i = 0; i < n; i++) pos[3 * (q * n + i) + k] = s.positions[3 * i + k]! + sh;
    }
  }
  // wrap into the new cell along periodic directions (tolerance keeps atoms on a face at 0)
  const f = toFractional(newCell, pos);
  for (let k = 0; k < f.length; k++) {
    if (!s.pbc[k % 3]) continue;
    f[k] = f[k]! - Math.floor(f[k]! + 1e-10);
  }
  toCartesian(newCell, f, pos);
  const numbers = new Int32Array(n * m);
  for (let q = 0; q < m; q++) numbers.set(s.numbers, q * n);
  const arrays: Record<string, PerAtomArray> = {};
  for (const [name, a] of Object.entries(s.arrays)) arrays[name] = tileArray(a, m);
  return new Structure({ numbers, positions: pos, cell: newCell, pbc: s.pbc, info: structuredClone(s.info), arrays });
}

export interface SurfaceOptions {
  /** Vacuum (Å) added on each side of the slab along z; without it a non-periodic slab has c = 0 (as ASE). */
  vacuum?: number;
  /** Keep the slab periodic along its normal (pbc [true, true, true]). Default false. */
  periodic?: boolean;
}

/**
 * Surface slab of `layers` layers with Miller index (h, k, l) of the lattice of `s` (normally a
 * conventional cubic cell, e.g. `bulk('Cu', 'fcc', { a, cubic: true })`), like ASE's
 * `ase.build.surface`: in-plane vectors c1, c2 of the (hkl) plane from the extended Euclidean
 * algorithm (c1 chosen as short as possible), c3 a lattice vector completing a unimodular basis,
 * then `layers` copies stacked along c3, c3 replaced by its component along the normal, and the
 * cell rotated so that a is along x, b in the xy plane and the surface normal along z.
 * pbc is [true, true, periodic].
 */
export function surface(s: Structure, miller: readonly [number, number, number], layers: number, opts: SurfaceOptions = {}): Structure {
  if (miller.length !== 3 || !miller.every(Number.isInteger) || miller.every((v) => v === 0)) {
    throw new ValidationError(`Miller index must be three integers, not all zero; got (${miller.join(', ')})`);
  }
  if (!Number.isInteger(layers) || layers < 1) throw new ValidationError(`layers must be a positive integer, got ${layers}`);
  if (opts.vacuum !== undefined && !(opts.vacuum >= 0)) throw new ValidationError(`vacuum must be a non-negative number of Å, got ${opts.vacuum}`);
  if (!(volume(s.cell) > 0)) throw new ValidationError('surface needs a bulk cell with three independent lattice vectors');
  const [h, k, l] = miller;
  const periodic = opts.periodic ?? false;
  let c1: number[], c2: number[], c3: number[];
  const zeros = (h === 0 ? 1 : 0) + (k === 0 ? 1 : 0) + (l === 0 ? 1 : 0);
  if (zeros === 2) {
    if (h !== 0) [c1, c2, c3] = [[0, 1, 0], [0, 0, 1], [1, 0, 0]];
    else if (k !== 0) [c1, c2, c3] = [[0, 0, 1], [1, 0, 0], [0, 1, 0]];
    else [c1, c2, c3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  } else {
    let [p, q] = extGcd(k, l);
    const a1 = row(s.cell, 0), a2 = row(s.cell, 1), a3 = row(s.cell, 2);
    const lin = (x: number, u: number[], y: number, v: number[]) => [x * u[0]! + y * v[0]!, x * u[1]! + y * v[1]!, x * u[2]! + y * v[2]!];
    const u = lin(k, a1, -h, a2), v = lin(l, a1, -h, a3), w = lin(l, a2, -k, a3);
    const k1 = dot3(lin(p, u, q, v), w);
    const k2 = dot3(lin(l, u, -k, v), w);
    if (Math.abs(k2) > 1e-10) {
      const i = -roundHalfEven(k1 / k2); // Python's round(): ties to even
      p += i * l;
      q -= i * k;
    }
    const [a, b] = extGcd(p * k + q * l, h);
    const g = gcd(l, k);
    c1 = [p * k + q * l, -p * h, -q * h];
    c2 = [0, l / g, -k / g];
    c3 = [b, a * p, a * q];
  }
  // re-express atoms in the new basis, wrap, and take the new cell
  const basis = [...c1, ...c2, ...c3];
  const cell = new Float64Array(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) cell[3 * r + c] = basis[3 * r]! * s.cell[c]! + basis[3 * r + 1]! * s.cell[3 + c]! + basis[3 * r + 2]! * s.cell[6 + c]!;
  const f = toFractional(cell, s.positions);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! - Math.floor(f[i]! + 1e-10);
  const one = new Structure({ numbers: s.numbers, positions: toCartesian(cell, f), cell, pbc: true, info: structuredClone(s.info), arrays: s.arrays });
  const slab = stackAlongC(one, layers);
  // c3 -> its component along the normal of (a1, a2); positions unchanged
  const A1 = row(slab.cell, 0), A2 = row(slab.cell, 1), A3 = row(slab.cell, 2);
  const nrm = cross(A1, A2);
  const nn = dot3(nrm, nrm);
  const proj = dot3(A3, nrm) / nn;
  const c3n = [nrm[0]! * proj, nrm[1]! * proj, nrm[2]! * proj];
  const mid = Float64Array.of(...A1, ...A2, ...c3n);
  const frac = toFractional(mid, slab.positions);
  // standard orientation, same fractional coordinates
  const la1 = norm3(A1), a12 = dot3(A1, A2) / la1;
  const out = Float64Array.of(la1, 0, 0, a12, Math.sqrt(dot3(A2, A2) - a12 * a12), 0, 0, 0, norm3(c3n));
  for (let i = 0; i < frac.length; i += 3) {
    frac[i] = pyMod1(frac[i]!);
    frac[i + 1] = pyMod1(frac[i + 1]!);
  }
  const pos = toCartesian(out, frac);
  if (!periodic) out[6] = out[7] = out[8] = 0;
  if (opts.vacuum !== undefined) {
    let zmin = Infinity, zmax = -Infinity;
    for (let i = 2; i < pos.length; i += 3) { zmin = Math.min(zmin, pos[i]!); zmax = Math.max(zmax, pos[i]!); }
    if (pos.length === 0) zmin = zmax = 0;
    const height = zmax - zmin + 2 * opts.vacuum;
    const shift = 0.5 * (height - zmax - zmin);
    for (let i = 2; i < pos.length; i += 3) pos[i] = pos[i]! + shift;
    out[6] = 0; out[7] = 0; out[8] = height;
  }
  return new Structure({ numbers: slab.numbers, positions: pos, cell: out, pbc: [true, true, periodic], info: slab.info, arrays: slab.arrays });
}

/** A copy without the listed atoms (indices must be distinct and in range). */
export function removeAtoms(s: Structure, indices: readonly number[]): Structure {
  const drop = new Uint8Array(s.length);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= s.length) throw new ValidationError(`cannot remove atom ${i}: the structure has atoms 0..${s.length - 1}`);
    if (drop[i]) throw new ValidationError(`atom ${i} is listed twice for removal`);
    drop[i] = 1;
  }
  const keep: number[] = [];
  for (let i = 0; i < s.length; i++) if (!drop[i]) keep.push(i);
  return s.select(keep);
}

/** A copy with atom `index` removed. */
export function vacancy(s: Structure, index: number): Structure {
  return removeAtoms(s, [index]);
}

/** A copy with independent Gaussian displacements (standard deviation `stdev` Å per Cartesian component). */
export function rattle(s: Structure, stdev: number, rng: Rng): Structure {
  if (!(stdev >= 0) || !Number.isFinite(stdev)) throw new ValidationError(`rattle stdev must be a non-negative finite number of Å, got ${stdev}`);
  const out = s.clone();
  const x = out.positions;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + stdev * rng.normal();
  return out;
}

/**
 * A copy with a random symmetric strain: eps_ab ~ N(0, strainStdev^2) for a <= b (eps symmetric),
 * applied as x' = x (I + eps) to every lattice vector (row) and position.
 */
export function perturbCell(s: Structure, strainStdev: number, rng: Rng): Structure {
  if (!(strainStdev >= 0) || !Number.isFinite(strainStdev)) throw new ValidationError(`strain stdev must be a non-negative finite number, got ${strainStdev}`);
  const F = new Float64Array(9);
  for (let a = 0; a < 3; a++)
    for (let b = a; b < 3; b++) {
      const e = strainStdev * rng.normal();
      F[3 * a + b] = e;
      F[3 * b + a] = e;
    }
  F[0] = F[0]! + 1; F[4] = F[4]! + 1; F[8] = F[8]! + 1;
  const out = s.clone();
  applyRight(out.cell, F);
  applyRight(out.positions, F);
  return out;
}

function applyRight(v: Float64Array, F: Float64Array): void {
  for (let i = 0; i < v.length; i += 3) {
    const x = v[i]!, y = v[i + 1]!, z = v[i + 2]!;
    v[i] = x * F[0]! + y * F[3]! + z * F[6]!;
    v[i + 1] = x * F[1]! + y * F[4]! + z * F[7]!;
    v[i + 2] = x * F[2]! + y * F[5]! + z * F[8]!;
  }
}

/** m copies along c, copy-major (like ASE's atoms *= (1, 1, m)), without wrapping. */
function stackAlongC(s: Structure, m: number): Structure {
  const n = s.length;
  const pos = new Float64Array(3 * n * m);
  for (let q = 0; q < m; q++)
    for (let i = 0; i < n; i++)
      for (let k = 0; k < 3; k++) pos[3 * (q * n + i) + k] = s.positions[3 * i + k]! + q * s.cell[6 + k]!;
  const numbers = new Int32Array(n * m);
  for (let q = 0; q < m; q++) numbers.set(s.numbers, q * n);
  const cell = Float64Array.from(s.cell);
  for (let k = 6; k < 9; k++) cell[k] = cell[k]! * m;
  const arrays: Record<string, PerAtomArray> = {};
  for (const [name, a] of Object.entries(s.arrays)) arrays[name] = tileArray(a, m);
  return new Structure({ numbers, positions: pos, cell, pbc: s.pbc, info: structuredClone(s.info), arrays });
}

function supercellMatrix(m: SupercellMatrix): number[] {
  let flat: number[];
  if (m.length === 3 && m.every((r) => Array.isArray(r))) {
    const rows = m as readonly (readonly number[])[];
    if (!rows.every((r) => r.length === 3)) throw new ValidationError('supercell matrix rows must have 3 entries');
    flat = rows.flat();
  } else if (m.length === 3) {
    const d = m as readonly number[];
    flat = [d[0]!, 0, 0, 0, d[1]!, 0, 0, 0, d[2]!];
  } else if (m.length === 9) {
    flat = [...(m as readonly number[])];
  } else {
    throw new ValidationError(`supercell matrix must be 9 integers, 3 rows of 3, or [na, nb, nc]; got ${m.length} entries`);
  }
  if (!flat.every(Number.isInteger)) throw new ValidationError(`supercell matrix must contain integers, got [${formatMatrix(flat)}]`);
  return flat;
}

function formatMatrix(m: readonly number[]): string {
  return [0, 1, 2].map((r) => m.slice(3 * r, 3 * r + 3).join(' ')).join('; ');
}

function row(m: ArrayLike<number>, r: number): number[] {
  return [m[3 * r]!, m[3 * r + 1]!, m[3 * r + 2]!];
}

/** Python-style floor modulo (result has the sign of b). */
function pyMod(a: number, b: number): number {
  return a - b * Math.floor(a / b);
}

/** x % 1 as in Python/numpy: in [0, 1). */
function pyMod1(x: number): number {
  return x - Math.floor(x);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a); b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** ASE's ext_gcd: (x, y) with a x + b y = gcd(a, b), with Python's floor division and modulo. */
function extGcd(a: number, b: number): [number, number] {
  if (b === 0) return [1, 0];
  if (pyMod(a, b) === 0) return [0, 1];
  const [x, y] = extGcd(b, pyMod(a, b));
  return [y, x - y * Math.floor(a / b)];
}
