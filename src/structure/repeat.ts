/**
 * Diagonal supercells: repeat a structure na x nb x nc times along its lattice vectors.
 * Per-atom arrays are tiled; info is copied.
 */
import { ValidationError } from '../core/errors.js';
import { Structure, type PerAtomArray } from './structure.js';

export function repeat(s: Structure, reps: readonly [number, number, number] | number): Structure {
  const [na, nb, nc] = typeof reps === 'number' ? [reps, reps, reps] : reps;
  for (const r of [na, nb, nc]) if (!Number.isInteger(r) || r < 1) throw new ValidationError(`repeat counts must be positive integers, got ${[na, nb, nc].join('x')}`);
  const n = s.length;
  const m = na * nb * nc;
  const pos = new Float64Array(3 * n * m);
  const cell = s.cell;
  let k = 0;
  for (let a = 0; a < na; a++)
    for (let b = 0; b < nb; b++)
      for (let c = 0; c < nc; c++) {
        const sx = a * cell[0]! + b * cell[3]! + c * cell[6]!;
        const sy = a * cell[1]! + b * cell[4]! + c * cell[7]!;
        const sz = a * cell[2]! + b * cell[5]! + c * cell[8]!;
        for (let i = 0; i < n; i++, k++) {
          pos[3 * k] = s.positions[3 * i]! + sx;
          pos[3 * k + 1] = s.positions[3 * i + 1]! + sy;
          pos[3 * k + 2] = s.positions[3 * i + 2]! + sz;
        }
      }
  const numbers = new Int32Array(n * m);
  for (let r = 0; r < m; r++) numbers.set(s.numbers, r * n);
  const arrays: Record<string, PerAtomArray> = {};
  for (const [name, arr] of Object.entries(s.arrays)) arrays[name] = tileArray(arr, m);
  const newCell = Float64Array.of(
    cell[0]! * na, cell[1]! * na, cell[2]! * na,
    cell[3]! * nb, cell[4]! * nb, cell[5]! * nb,
    cell[6]! * nc, cell[7]! * nc, cell[8]! * nc,
  );
  return new Structure({ numbers, positions: pos, cell: newCell, pbc: s.pbc, info: structuredClone(s.info), arrays });
}

/** A per-atom array repeated `m` times end to end (the per-atom data of an m-fold supercell). */
export function tileArray(a: PerAtomArray, m: number): PerAtomArray {
  const len = a.data.length;
  switch (a.type) {
    case 'float': { const d = new Float64Array(len * m); for (let r = 0; r < m; r++) d.set(a.data, r * len); return { ...a, data: d }; }
    case 'int': { const d = new Int32Array(len * m); for (let r = 0; r < m; r++) d.set(a.data, r * len); return { ...a, data: d }; }
    case 'bool': { const d = new Uint8Array(len * m); for (let r = 0; r < m; r++) d.set(a.data, r * len); return { ...a, data: d }; }
    case 'string': { const d: string[] = []; for (let r = 0; r < m; r++) d.push(...a.data); return { ...a, data: d }; }
  }
}
