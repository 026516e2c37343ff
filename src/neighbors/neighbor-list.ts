/**
 * Neighbour lists as data (see docs/architecture.md).
 *
 * A full list in CSR form: the neighbours of atom i are pairs p in [offsets[i], offsets[i+1]),
 * with partner atom neighbors[p] and periodic image images[3p..3p+2] (integer multiples of the
 * lattice vectors). The displacement from i to its neighbour is
 *
 *   d_ij = x[j] + shifts[3p..3p+2] - x[i],    shifts = images * cell  (Cartesian, Å)
 *
 * Every unordered pair appears twice (i->j and j->i with negated image); an atom may be its own
 * neighbour through a periodic image. The list holds every pair closer than `cutoff + skin` at
 * build time, so it stays valid until some atom has moved more than skin/2 (see `needsRebuild`).
 */
import { ValidationError } from '../core/errors.js';

export interface NeighborList {
  /** Number of atoms. */
  readonly n: number;
  /** Interaction cutoff the list was built for (Å). */
  readonly cutoff: number;
  /** Extra shell (Å); pairs up to cutoff + skin are listed. */
  readonly skin: number;
  /** CSR row pointer, length n + 1. */
  readonly offsets: Int32Array;
  /** Partner atom index per pair. */
  readonly neighbors: Int32Array;
  /** Integer image per pair (3 per pair). */
  readonly images: Int32Array;
  /** Cartesian image shift per pair (3 per pair), for `cell`; refresh with `refreshShifts` when the cell changes. */
  readonly shifts: Float64Array;
  /** Positions (3N) and cell (9) at build time, for rebuild decisions. */
  readonly refPositions: Float64Array;
  readonly refCell: Float64Array;
  /** Smallest pair distance found at build (Infinity if no pairs) and the pair (i, j) it belongs to. */
  readonly minDistance: number;
  readonly minPair: readonly [number, number];
}

/** Number of listed (directed) pairs. */
export function pairCount(nl: NeighborList): number {
  return nl.offsets[nl.n]!;
}

/** Largest number of listed partners of any one atom (for sizing per-atom scratch arrays). */
export function maxNeighborCount(nl: NeighborList): number {
  const o = nl.offsets;
  let m = 0;
  for (let i = 0; i < nl.n; i++) m = Math.max(m, o[i + 1]! - o[i]!);
  return m;
}

/** Recompute Cartesian shifts for a new cell (same integer images), e.g. after a barostat step. */
export function refreshShifts(nl: NeighborList, cell: ArrayLike<number>): void {
  const im = nl.images, sh = nl.shifts;
  const np = pairCount(nl);
  for (let p = 0; p < np; p++) {
    const a = im[3 * p]!, b = im[3 * p + 1]!, c = im[3 * p + 2]!;
    sh[3 * p] = a * cell[0]! + b * cell[3]! + c * cell[6]!;
    sh[3 * p + 1] = a * cell[1]! + b * cell[4]! + c * cell[7]!;
    sh[3 * p + 2] = a * cell[2]! + b * cell[5]! + c * cell[8]!;
  }
}

/**
 * True when the list may have missed a pair: an atom moved more than skin/2 since the build,
 * the atom count changed, or the cell changed (then positions are compared in the new cell).
 */
export function needsRebuild(nl: NeighborList, positions: ArrayLike<number>, cell: ArrayLike<number>): boolean {
  if (positions.length !== 3 * nl.n) return true;
  for (let k = 0; k < 9; k++) if (cell[k] !== nl.refCell[k]) return true;
  const lim = 0.25 * nl.skin * nl.skin;
  const ref = nl.refPositions;
  for (let i = 0; i < positions.length; i += 3) {
    const dx = positions[i]! - ref[i]!, dy = positions[i + 1]! - ref[i + 1]!, dz = positions[i + 2]! - ref[i + 2]!;
    if (dx * dx + dy * dy + dz * dz > lim) return true;
  }
  return false;
}

/**
 * The pairs of a full list that a pair potential visits once each: p = (i -> j) with j > i, or
 * j = i through a lexicographically positive image, compacted in CSR form over the central atom i:
 * half pair q in [offsets[i], offsets[i+1]) has partner neighbors[q], image images[3q..3q+2] and
 * Cartesian shift shifts[3q..3q+2] = image * cell for the cell last passed to `halfPairIndex`
 * (recomputed when the cell changes, so a barostat's in-place `refreshShifts` is followed).
 * Built once per list and cached (weakly) on the list object.
 */
export interface HalfPairIndex {
  readonly offsets: Int32Array;
  readonly neighbors: Int32Array;
  readonly images: Int32Array;
  readonly shifts: Float64Array;
}

interface HalfCacheEntry extends HalfPairIndex {
  readonly cell: Float64Array;
}

const halfCache = new WeakMap<NeighborList, HalfCacheEntry>();

/**
 * Whether pair p = (i -> j, image) is the owner direction of its unordered pair: i < j, or i = j
 * with a lexicographically positive image (the rule of `halfPairIndex`).
 */
export function ownsPair(i: number, j: number, images: Int32Array, p: number): boolean {
  if (j !== i) return i < j;
  const a = images[3 * p]!, b = images[3 * p + 1]!;
  return a > 0 || (a === 0 && (b > 0 || (b === 0 && images[3 * p + 2]! > 0)));
}

export function halfPairIndex(nl: NeighborList, cell: ArrayLike<number>): HalfPairIndex {
  let e = halfCache.get(nl);
  if (!e) {
    const { n, offsets, neighbors, images } = nl;
    const hOff = new Int32Array(n + 1);
    const cap = Math.ceil(pairCount(nl) / 2) + n;
    const hn = new Int32Array(cap);
    const hi = new Int32Array(3 * cap);
    let q = 0;
    for (let i = 0; i < n; i++) {
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        if (!ownsPair(i, j, images, p)) continue;
        const a = images[3 * p]!, b = images[3 * p + 1]!, c = images[3 * p + 2]!;
        hn[q] = j;
        hi[3 * q] = a; hi[3 * q + 1] = b; hi[3 * q + 2] = c;
        q++;
      }
      hOff[i + 1] = q;
    }
    e = { offsets: hOff, neighbors: hn.subarray(0, q), images: hi.subarray(0, 3 * q), shifts: new Float64Array(3 * q), cell: new Float64Array(9).fill(NaN) };
    halfCache.set(nl, e);
  }
  let same = true;
  for (let k = 0; k < 9; k++) if (e.cell[k] !== cell[k]) same = false;
  if (!same) {
    const im = e.images, sh = e.shifts;
    const c0 = cell[0]!, c1 = cell[1]!, c2 = cell[2]!, c3 = cell[3]!, c4 = cell[4]!, c5 = cell[5]!, c6 = cell[6]!, c7 = cell[7]!, c8 = cell[8]!;
    for (let q = 0, m = im.length / 3; q < m; q++) {
      const a = im[3 * q]!, b = im[3 * q + 1]!, c = im[3 * q + 2]!;
      sh[3 * q] = a * c0 + b * c3 + c * c6;
      sh[3 * q + 1] = a * c1 + b * c4 + c * c7;
      sh[3 * q + 2] = a * c2 + b * c5 + c * c8;
    }
    for (let k = 0; k < 9; k++) e.cell[k] = cell[k]!;
  }
  return e;
}

/**
 * For every pair p = (i -> j, image) the index of its reverse (j -> i, -image) in the same full
 * list. Throws if a reverse is missing (the list is not full).
 */
export function reversePairs(nl: NeighborList): Int32Array {
  const { offsets: o, neighbors: nb, images: im } = nl;
  const rev = new Int32Array(o[nl.n]!);
  for (let i = 0; i < nl.n; i++) {
    for (let p = o[i]!; p < o[i + 1]!; p++) {
      const j = nb[p]!;
      let found = -1;
      for (let q = o[j]!; q < o[j + 1]!; q++) {
        if (nb[q] === i && im[3 * q] === -im[3 * p]! && im[3 * q + 1] === -im[3 * p + 1]! && im[3 * q + 2] === -im[3 * p + 2]!) { found = q; break; }
      }
      if (found < 0) throw new ValidationError(`reversePairs: pair ${p} (${i} -> ${j}) has no reverse; the neighbour list is not full`);
      rev[p] = found;
    }
  }
  return rev;
}
