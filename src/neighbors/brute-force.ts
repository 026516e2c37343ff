/**
 * Reference neighbour search: every pair over every periodic image that can be within range.
 * O(N^2 x images); used to check the cell-list builder and for tiny systems.
 */
import { planeSpacings, toFractional } from '../structure/cell.js';
import type { NeighborList } from './neighbor-list.js';

export interface NeighborInput {
  readonly positions: ArrayLike<number>;
  readonly cell: ArrayLike<number>;
  readonly pbc: readonly boolean[];
}

export function bruteForceNeighborList(s: NeighborInput, cutoff: number, skin = 0): NeighborList {
  const n = s.positions.length / 3;
  const rc = cutoff + skin;
  const rc2 = rc * rc;
  const cell = s.cell;
  const periodic = s.pbc.some(Boolean);
  // integer wrap of each atom so that the image search is done on wrapped coordinates
  const wrapInt = new Int32Array(3 * n);
  let frac: Float64Array | null = null;
  if (periodic) {
    frac = toFractional(cell, s.positions);
    for (let i = 0; i < 3 * n; i++) if (s.pbc[i % 3]) wrapInt[i] = Math.floor(frac[i]!);
  }
  const spacing = periodic ? planeSpacings(cell) : [Infinity, Infinity, Infinity];
  const nImg = [0, 1, 2].map((k) => (s.pbc[k] ? Math.ceil(rc / spacing[k]!) + 1 : 0));
  const rows: number[][] = Array.from({ length: n }, () => []);
  let minD2 = Infinity;
  let minPair: [number, number] = [-1, -1];
  const x = s.positions;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let a = -nImg[0]!; a <= nImg[0]!; a++)
        for (let b = -nImg[1]!; b <= nImg[1]!; b++)
          for (let c = -nImg[2]!; c <= nImg[2]!; c++) {
            // image of j relative to wrapped coordinates, expressed for original positions
            const ia = a - wrapInt[3 * j]! + wrapInt[3 * i]!;
            const ib = b - wrapInt[3 * j + 1]! + wrapInt[3 * i + 1]!;
            const ic = c - wrapInt[3 * j + 2]! + wrapInt[3 * i + 2]!;
            if (i === j && ia === 0 && ib === 0 && ic === 0) continue;
            const sx = ia * cell[0]! + ib * cell[3]! + ic * cell[6]!;
            const sy = ia * cell[1]! + ib * cell[4]! + ic * cell[7]!;
            const sz = ia * cell[2]! + ib * cell[5]! + ic * cell[8]!;
            const dx = x[3 * j]! + sx - x[3 * i]!, dy = x[3 * j + 1]! + sy - x[3 * i + 1]!, dz = x[3 * j + 2]! + sz - x[3 * i + 2]!;
            const r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < rc2) {
              rows[i]!.push(j, ia, ib, ic, sx, sy, sz);
              if (r2 < minD2) { minD2 = r2; minPair = [i, j]; }
            }
          }
    }
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + rows[i]!.length / 7;
  const np = offsets[n]!;
  const neighbors = new Int32Array(np), images = new Int32Array(3 * np), shifts = new Float64Array(3 * np);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (let k = 0; k < r.length; k += 7, p++) {
      neighbors[p] = r[k]!;
      images[3 * p] = r[k + 1]!; images[3 * p + 1] = r[k + 2]!; images[3 * p + 2] = r[k + 3]!;
      shifts[3 * p] = r[k + 4]!; shifts[3 * p + 1] = r[k + 5]!; shifts[3 * p + 2] = r[k + 6]!;
    }
  }
  return {
    n, cutoff, skin, offsets, neighbors, images, shifts,
    refPositions: Float64Array.from(s.positions),
    refCell: Float64Array.from(cell),
    minDistance: Math.sqrt(minD2),
    minPair,
  };
}
