/**
 * Structure: a structure-of-arrays record of an atomic configuration.
 *
 * - `numbers`: atomic numbers Z (Int32Array, length N)
 * - `positions`: Cartesian positions in Å (Float64Array, length 3N, x0 y0 z0 x1 ...)
 * - `cell`: lattice vectors as rows (Float64Array, length 9, row-major: a = cell[0..2])
 * - `pbc`: periodicity along each lattice vector
 * - `info`: per-structure values (energies, labels, metadata); keys are kept verbatim
 * - `arrays`: named per-atom arrays, each with a declared column count; lengths are checked
 *
 * Reference labels and predictions live under different keys (e.g. `REF_energy` vs `energy`);
 * nothing here renames or interprets keys.
 */
import { ValidationError } from '../core/errors.js';
import { atomicNumber, element, symbolOf } from '../core/elements.js';

export type PerAtomArray =
  | { readonly type: 'float'; readonly cols: number; readonly data: Float64Array }
  | { readonly type: 'int'; readonly cols: number; readonly data: Int32Array }
  | { readonly type: 'bool'; readonly cols: number; readonly data: Uint8Array }
  | { readonly type: 'string'; readonly cols: number; readonly data: string[] };

/** Values allowed in `info`: scalars, flat arrays, and 2-D numeric arrays (e.g. a 3x3 stress). */
export type InfoValue = number | string | boolean | number[] | string[] | boolean[] | number[][];

export type Pbc = [boolean, boolean, boolean];

export interface StructureInit {
  numbers: ArrayLike<number>;
  positions: ArrayLike<number>;
  cell?: ArrayLike<number>;
  pbc?: boolean | readonly boolean[];
  info?: Record<string, InfoValue>;
  arrays?: Record<string, PerAtomArray>;
}

export class Structure {
  readonly numbers: Int32Array;
  readonly positions: Float64Array;
  readonly cell: Float64Array;
  pbc: Pbc;
  readonly info: Record<string, InfoValue>;
  readonly arrays: Record<string, PerAtomArray>;

  constructor(init: StructureInit) {
    const n = init.numbers.length;
    if (init.positions.length !== 3 * n) {
      throw new ValidationError(`positions has ${init.positions.length} values; expected 3 x ${n} atoms = ${3 * n}`);
    }
    this.numbers = Int32Array.from(init.numbers);
    for (let i = 0; i < n; i++) element(this.numbers[i]!); // throws on unknown Z
    this.positions = Float64Array.from(init.positions);
    this.cell = new Float64Array(9);
    if (init.cell) {
      if (init.cell.length !== 9) throw new ValidationError(`cell has ${init.cell.length} values; expected 9 (3 lattice vectors as rows)`);
      this.cell.set(init.cell);
    }
    const p = init.pbc ?? false;
    this.pbc = typeof p === 'boolean' ? [p, p, p] : [!!p[0], !!p[1], !!p[2]];
    if (!(typeof p === 'boolean') && p.length !== 3) throw new ValidationError(`pbc must have 3 flags, got ${p.length}`);
    this.info = { ...(init.info ?? {}) };
    this.arrays = {};
    for (const [k, v] of Object.entries(init.arrays ?? {})) this.setArray(k, v);
  }

  /** Build from element symbols. */
  static fromSymbols(symbols: readonly string[], positions: ArrayLike<number> | readonly (readonly number[])[], opts: Omit<StructureInit, 'numbers' | 'positions'> = {}): Structure {
    const flat = isNested(positions) ? (positions as readonly (readonly number[])[]).flat() : (positions as ArrayLike<number>);
    return new Structure({ ...opts, numbers: symbols.map(atomicNumber), positions: flat });
  }

  get length(): number {
    return this.numbers.length;
  }

  get symbols(): string[] {
    return Array.from(this.numbers, symbolOf);
  }

  /** True when any direction is periodic. */
  get periodic(): boolean {
    return this.pbc[0] || this.pbc[1] || this.pbc[2];
  }

  /** Per-atom masses in amu: the `masses` array if present (isotopes), else standard atomic masses. */
  masses(): Float64Array {
    const m = this.arrays['masses'];
    if (m && m.type === 'float' && m.cols === 1) return Float64Array.from(m.data);
    return Float64Array.from(this.numbers, (z) => element(z).mass);
  }

  /** Add or replace a per-atom array, checking its length against the atom count. */
  setArray(name: string, arr: PerAtomArray): void {
    if (!Number.isInteger(arr.cols) || arr.cols < 1) throw new ValidationError(`per-atom array "${name}": cols must be a positive integer`);
    const want = arr.cols * this.length;
    if (arr.data.length !== want) {
      throw new ValidationError(`per-atom array "${name}" has ${arr.data.length} values; expected ${arr.cols} x ${this.length} atoms = ${want}`);
    }
    this.arrays[name] = arr;
  }

  /** Float per-atom array by name, or undefined. Throws if present but not float. */
  floatArray(name: string): Float64Array | undefined {
    const a = this.arrays[name];
    if (!a) return undefined;
    if (a.type !== 'float') throw new ValidationError(`per-atom array "${name}" is ${a.type}, expected float`);
    return a.data;
  }

  /** Deep copy. */
  clone(): Structure {
    const arrays: Record<string, PerAtomArray> = {};
    for (const [k, a] of Object.entries(this.arrays)) {
      arrays[k] = (a.type === 'string' ? { ...a, data: a.data.slice() } : { ...a, data: a.data.slice() }) as PerAtomArray;
    }
    return new Structure({
      numbers: this.numbers,
      positions: this.positions,
      cell: this.cell,
      pbc: this.pbc,
      info: structuredClone(this.info),
      arrays,
    });
  }

  /** Keep atoms whose indices are listed (in that order), carrying per-atom arrays along. */
  select(indices: readonly number[]): Structure {
    const pos = new Float64Array(3 * indices.length);
    indices.forEach((i, k) => pos.set(this.positions.subarray(3 * i, 3 * i + 3), 3 * k));
    const arrays: Record<string, PerAtomArray> = {};
    for (const [name, a] of Object.entries(this.arrays)) arrays[name] = selectRows(a, indices);
    return new Structure({
      numbers: indices.map((i) => this.numbers[i]!),
      positions: pos,
      cell: this.cell,
      pbc: this.pbc,
      info: structuredClone(this.info),
      arrays,
    });
  }
}

function selectRows(a: PerAtomArray, idx: readonly number[]): PerAtomArray {
  const c = a.cols;
  const pick = <T>(src: ArrayLike<T>, dst: { [k: number]: T }) => {
    idx.forEach((i, k) => {
      for (let q = 0; q < c; q++) dst[k * c + q] = src[i * c + q]!;
    });
  };
  switch (a.type) {
    case 'float': { const d = new Float64Array(idx.length * c); pick(a.data, d); return { type: 'float', cols: c, data: d }; }
    case 'int': { const d = new Int32Array(idx.length * c); pick(a.data, d); return { type: 'int', cols: c, data: d }; }
    case 'bool': { const d = new Uint8Array(idx.length * c); pick(a.data, d); return { type: 'bool', cols: c, data: d }; }
    case 'string': { const d: string[] = new Array(idx.length * c); pick(a.data, d); return { type: 'string', cols: c, data: d }; }
  }
}

function isNested(p: unknown): boolean {
  return Array.isArray(p) && p.length > 0 && Array.isArray(p[0]);
}

/** Convenience constructor for float per-atom arrays. */
export function floatArray(data: ArrayLike<number>, cols = 1): PerAtomArray {
  return { type: 'float', cols, data: Float64Array.from(data) };
}
