/**
 * O(N) neighbour search with a cell list (linked-cell / binning method).
 *
 * Algorithm
 * 1. Search basis B: the periodic lattice vectors of `cell`, completed with orthonormal vectors
 *    perpendicular to them for the non-periodic directions (so a slab's cell may be zero or
 *    skewed along z, and an open system's cell may be anything).
 * 2. Fractional coordinates f = x B^-1. Along periodic directions each atom is wrapped into
 *    [0, 1) and its integer wrap w_i = floor(f_i) is remembered; along open directions the
 *    coordinate is taken relative to the atoms' bounding box.
 * 3. Bins: n_k = floor(m h_k / rc) bins along direction k, where h_k is the distance between
 *    opposite faces of B (the plane spacing), rc = cutoff + skin and m = 1, 2 or 3 bins per rc
 *    (chosen by the least estimated work per atom unless given), so every bin is at least rc/m
 *    wide in the perpendicular sense, whatever the cell's skew. The total bin count is capped
 *    at about 2N (sparse open systems), which only makes bins wider.
 * 4. Stencil: two atoms closer than rc differ by less than rc / h_k in fractional coordinate k,
 *    so with fractional bin width w_k the partner lies within S_k = ceil(rc / (h_k w_k)) bins
 *    (1 in the common case; more when the cell is thinner than rc). Stencil bins outside the
 *    cell are mapped back with an integer image along periodic directions and skipped along
 *    open ones, so many images and an atom being its own neighbour come out naturally.
 * 5. For every candidate, the displacement is x_j + img B - x_i on wrapped positions; accepted
 *    pairs get the image of the original (possibly unwrapped) positions,
 *    image = img - w_j + w_i, and shift = image * cell.
 *
 * Output order (deterministic): rows by atom i; within a row, stencil offsets in lexicographic
 * order (a outermost, c innermost, each from -S to +S), and within a bin ascending atom index.
 *
 * Cost: O(N) at fixed density: one counting sort of atoms into bins, then (2S+1)^3 bins of
 * candidates per atom. Pairs go into growable typed buffers (doubling), no per-pair objects.
 *
 * Symbols: rc -> `rc`, B -> `basis`, w_i -> `wrap`, n_k -> `nb`, S_k -> `st`, h_k -> `h`.
 */
import { ValidationError } from '../core/errors.js';
import { cross, inv3, norm3 } from '../core/mat3.js';
import { assertValidCell, planeSpacings } from '../structure/cell.js';
import type { NeighborInput } from './brute-force.js';
import type { NeighborList } from './neighbor-list.js';

/** Tuning knobs of the cell list; the defaults are what `buildNeighborList` uses. */
export interface CellListOptions {
  /** Upper bound on the number of bins, as a multiple of the atom count (default 2, at least 8 bins allowed). */
  maxBinsPerAtom?: number;
  /**
   * Bins per rc along each direction (1: bins >= rc wide, stencil 3^3; 2: half width, stencil 5^3).
   * Default: 1, 2 or 3, whichever has the least estimated work per atom (see `binGrid`).
   */
  binsPerRange?: number;
}

/** Full neighbour list of all pairs closer than cutoff + skin, built with a cell list. */
export function cellListNeighborList(s: NeighborInput, cutoff: number, skin = 0, opts: CellListOptions = {}): NeighborList {
  const rc = cutoff + skin;
  if (!(cutoff > 0) || !Number.isFinite(cutoff)) throw new ValidationError(`neighbour cutoff must be a positive finite number of Å, got ${cutoff}`);
  if (!(skin >= 0) || !Number.isFinite(skin)) throw new ValidationError(`neighbour skin must be a non-negative finite number of Å, got ${skin}`);
  const x = s.positions;
  const n = x.length / 3;
  if (!Number.isInteger(n)) throw new ValidationError(`positions has ${x.length} values, not a multiple of 3`);
  const cell = s.cell;
  const pbc = [!!s.pbc[0], !!s.pbc[1], !!s.pbc[2]];
  if (pbc[0] || pbc[1] || pbc[2]) assertValidCell(cell, pbc);
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k]!)) throw new ValidationError(`atom ${Math.floor(k / 3)} has a non-finite ${'xyz'[k % 3]} coordinate (${x[k]}); cannot build a neighbour list`);
  }
  const rc2 = rc * rc;

  // 1. search basis
  const basis = searchBasis(cell, pbc);
  const inv = inv3(basis);
  const h = planeSpacings(basis);

  // 2. fractional coordinates, integer wraps, wrapped Cartesian positions
  const frac = new Float64Array(3 * n);
  const wrap = new Int32Array(3 * n);
  const xw = new Float64Array(3 * n);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const px = x[3 * i]!, py = x[3 * i + 1]!, pz = x[3 * i + 2]!;
    let wa = 0, wb = 0, wc = 0;
    for (let k = 0; k < 3; k++) {
      let f = px * inv[k]! + py * inv[3 + k]! + pz * inv[6 + k]!;
      if (pbc[k]) {
        const w = Math.floor(f);
        f -= w;
        if (k === 0) wa = w; else if (k === 1) wb = w; else wc = w;
      } else {
        if (f < lo[k]!) lo[k] = f;
        if (f > hi[k]!) hi[k] = f;
      }
      frac[3 * i + k] = f;
    }
    wrap[3 * i] = wa; wrap[3 * i + 1] = wb; wrap[3 * i + 2] = wc;
    if (wa === 0 && wb === 0 && wc === 0) {
      xw[3 * i] = px; xw[3 * i + 1] = py; xw[3 * i + 2] = pz;
    } else {
      xw[3 * i] = px - (wa * cell[0]! + wb * cell[3]! + wc * cell[6]!);
      xw[3 * i + 1] = py - (wa * cell[1]! + wb * cell[4]! + wc * cell[7]!);
      xw[3 * i + 2] = pz - (wa * cell[2]! + wb * cell[5]! + wc * cell[8]!);
    }
  }

  // 3. bin counts per direction; bin width in fractional units (periodic) or Å (open: rows are unit vectors)
  const extent = [1, 1, 1];
  for (let k = 0; k < 3; k++) extent[k] = pbc[k] ? 1 : (n > 0 ? hi[k]! - lo[k]! : 0);
  const maxBins = Math.max(8, Math.ceil((opts.maxBinsPerAtom ?? 2) * n));
  // Bin width: rc / binsPerRange. When not given, pick 1, 2 or 3 by the estimated work per atom,
  // (stencil bins) x (atoms per bin + 1): finer bins pay off when the box is only 2-3 bins wide
  // (a small box with a long cutoff, where the 3^3 stencil maps onto the same few bins through
  // several images) and cost loop overhead otherwise.
  let grid = binGrid(opts.binsPerRange ?? 1, rc, extent, h, pbc, maxBins, n);
  if (opts.binsPerRange === undefined) {
    for (const bpr of [2, 3]) {
      const g = binGrid(bpr, rc, extent, h, pbc, maxBins, n);
      if (g.cost < grid.cost) grid = g;
    }
  }
  const { nb, scale, st } = grid;
  const n0 = nb[0]!, n1 = nb[1]!, n2 = nb[2]!;
  const nBins = n0 * n1 * n2;

  // counting sort of atoms into bins (stable: ascending atom index within a bin)
  const binOf = new Int32Array(n);
  const binStart = new Int32Array(nBins + 1);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 0; k < 3; k++) {
      const u = pbc[k] ? frac[3 * i + k]! : frac[3 * i + k]! - lo[k]!;
      let q = Math.floor(u * scale[k]!);
      if (q < 0) q = 0; else if (q >= nb[k]!) q = nb[k]! - 1;
      b = b * nb[k]! + q;
    }
    binOf[i] = b;
    binStart[b + 1]!++;
  }
  for (let b = 0; b < nBins; b++) binStart[b + 1]! += binStart[b]!;
  const fill = binStart.slice(0, nBins);
  const sortedIdx = new Int32Array(n);
  const sortedX = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const q = fill[binOf[i]!]!++;
    sortedIdx[q] = i;
    sortedX[3 * q] = xw[3 * i]!; sortedX[3 * q + 1] = xw[3 * i + 1]!; sortedX[3 * q + 2] = xw[3 * i + 2]!;
  }

  // 4-5. pair search into growable buffers
  const vol = Math.abs(h[0]! * norm3(cross(row(basis, 1), row(basis, 2))));
  const density = pbc[0] && pbc[1] && pbc[2] && vol > 0 ? n / vol : 0.05;
  let cap = Math.max(64, Math.ceil(n * Math.min(n, 1.2 * ((4 / 3) * Math.PI * rc * rc * rc * density) + 4)));
  let nbr = new Int32Array(cap);
  let img = new Int32Array(3 * cap);
  let shf = new Float64Array(3 * cap);
  const offsets = new Int32Array(n + 1);
  let np = 0;
  let minD2 = Infinity;
  let minI = -1, minJ = -1;
  const c0 = cell[0]!, c1 = cell[1]!, c2 = cell[2]!, c3 = cell[3]!, c4 = cell[4]!, c5 = cell[5]!, c6 = cell[6]!, c7 = cell[7]!, c8 = cell[8]!;
  const s0 = st[0]!, s1 = st[1]!, s2 = st[2]!;
  const p0 = pbc[0], p1 = pbc[1], p2 = pbc[2];
  for (let i = 0; i < n; i++) {
    const bi = binOf[i]!;
    const b2 = bi % n2, b1 = ((bi - b2) / n2) % n1, b0 = (bi - b2 - b1 * n2) / (n1 * n2);
    const xi = xw[3 * i]!, yi = xw[3 * i + 1]!, zi = xw[3 * i + 2]!;
    const wia = wrap[3 * i]!, wib = wrap[3 * i + 1]!, wic = wrap[3 * i + 2]!;
    for (let o0 = -s0; o0 <= s0; o0++) {
      let q0 = b0 + o0, ia = 0;
      if (q0 < 0 || q0 >= n0) {
        if (!p0) continue;
        ia = Math.floor(q0 / n0);
        q0 -= ia * n0;
      }
      for (let o1 = -s1; o1 <= s1; o1++) {
        let q1 = b1 + o1, ib = 0;
        if (q1 < 0 || q1 >= n1) {
          if (!p1) continue;
          ib = Math.floor(q1 / n1);
          q1 -= ib * n1;
        }
        for (let o2 = -s2; o2 <= s2; o2++) {
          let q2 = b2 + o2, ic = 0;
          if (q2 < 0 || q2 >= n2) {
            if (!p2) continue;
            ic = Math.floor(q2 / n2);
            q2 -= ic * n2;
          }
          const sx = ia * c0 + ib * c3 + ic * c6;
          const sy = ia * c1 + ib * c4 + ic * c7;
          const sz = ia * c2 + ib * c5 + ic * c8;
          const zeroImage = ia === 0 && ib === 0 && ic === 0;
          const b = (q0 * n1 + q1) * n2 + q2;
          const end = binStart[b + 1]!;
          for (let q = binStart[b]!; q < end; q++) {
            const dx = sortedX[3 * q]! + sx - xi;
            const dy = sortedX[3 * q + 1]! + sy - yi;
            const dz = sortedX[3 * q + 2]! + sz - zi;
            const r2 = dx * dx + dy * dy + dz * dz;
            if (r2 >= rc2) continue;
            const j = sortedIdx[q]!;
            if (j === i && zeroImage) continue;
            if (np === cap) {
              cap *= 2;
              nbr = grow(nbr, cap);
              img = grow(img, 3 * cap);
              shf = grow(shf, 3 * cap);
            }
            const ja = ia - wrap[3 * j]! + wia, jb = ib - wrap[3 * j + 1]! + wib, jc = ic - wrap[3 * j + 2]! + wic;
            nbr[np] = j;
            img[3 * np] = ja; img[3 * np + 1] = jb; img[3 * np + 2] = jc;
            shf[3 * np] = ja * c0 + jb * c3 + jc * c6;
            shf[3 * np + 1] = ja * c1 + jb * c4 + jc * c7;
            shf[3 * np + 2] = ja * c2 + jb * c5 + jc * c8;
            np++;
            if (r2 < minD2) { minD2 = r2; minI = i; minJ = j; }
          }
        }
      }
    }
    offsets[i + 1] = np;
  }
  return {
    n, cutoff, skin, offsets,
    // views when at least half full (no copy: a copy costs ~20% of a build), else compact copies
    neighbors: trim(nbr, np),
    images: trim(img, 3 * np),
    shifts: trim(shf, 3 * np),
    refPositions: Float64Array.from(x),
    refCell: Float64Array.from(cell),
    minDistance: Math.sqrt(minD2),
    minPair: [minI, minJ],
  };
}

interface BinGrid {
  /** Bins per direction. */
  nb: number[];
  /** 1 / bin width (fractional units along periodic directions, 1/Å along open ones). */
  scale: number[];
  /** Stencil half-width in bins per direction. */
  st: number[];
  /** Estimated candidate visits per atom: stencil bins x (atoms per bin + 1). */
  cost: number;
}

function binGrid(binsPerRange: number, rc: number, extent: number[], h: ArrayLike<number>, pbc: boolean[], maxBins: number, n: number): BinGrid {
  const nb = [1, 1, 1];
  for (let k = 0; k < 3; k++) {
    const size = pbc[k] ? h[k]! : extent[k]!;
    nb[k] = Math.max(1, Math.floor((size * binsPerRange) / rc));
  }
  while (nb[0]! * nb[1]! * nb[2]! > maxBins) {
    const k = nb[0]! >= nb[1]! && nb[0]! >= nb[2]! ? 0 : nb[1]! >= nb[2]! ? 1 : 2;
    nb[k] = Math.ceil(nb[k]! / 2);
  }
  const scale = [0, 0, 0];
  const st = [0, 0, 0];
  let stencil = 1;
  for (let k = 0; k < 3; k++) {
    const width = extent[k]! / nb[k]!; // fractional (periodic) or Å (open)
    scale[k] = width > 0 ? 1 / width : 0;
    const perBin = pbc[k] ? h[k]! * width : width; // bin width in Å, perpendicular sense
    if (pbc[k]) st[k] = Math.ceil(rc / perBin);
    else st[k] = nb[k]! === 1 ? 0 : Math.ceil(rc / perBin);
    stencil *= pbc[k] ? 2 * st[k]! + 1 : Math.min(2 * st[k]! + 1, nb[k]!);
  }
  const perBinAtoms = n / (nb[0]! * nb[1]! * nb[2]!);
  return { nb, scale, st, cost: stencil * (perBinAtoms + 1) };
}

/**
 * Basis used for binning: periodic rows of `cell`, and for open directions unit vectors
 * orthogonal to the periodic rows and to each other (plane spacing 1, coordinate in Å).
 */
export function searchBasis(cell: ArrayLike<number>, pbc: readonly boolean[]): Float64Array {
  const B = new Float64Array(9);
  const per = [0, 1, 2].filter((k) => pbc[k]);
  const open = [0, 1, 2].filter((k) => !pbc[k]);
  for (const k of per) for (let c = 0; c < 3; c++) B[3 * k + c] = cell[3 * k + c]!;
  if (per.length === 2) {
    const nrm = cross(row(cell, per[0]!), row(cell, per[1]!));
    setUnit(B, open[0]!, nrm);
  } else if (per.length === 1) {
    const a = row(cell, per[0]!);
    // axis least aligned with a, so the cross product is well conditioned
    const ax = Math.abs(a[0]!), ay = Math.abs(a[1]!), az = Math.abs(a[2]!);
    const e = ax <= ay && ax <= az ? [1, 0, 0] : ay <= az ? [0, 1, 0] : [0, 0, 1];
    const u = cross(a, e);
    const v = cross(a, u);
    setUnit(B, open[0]!, u);
    setUnit(B, open[1]!, v);
  } else if (per.length === 0) {
    B[0] = B[4] = B[8] = 1;
  }
  return B;
}

function setUnit(B: Float64Array, r: number, v: ArrayLike<number>): void {
  const l = norm3(v);
  for (let c = 0; c < 3; c++) B[3 * r + c] = v[c]! / l;
}

function row(m: ArrayLike<number>, r: number): Float64Array {
  return Float64Array.of(m[3 * r]!, m[3 * r + 1]!, m[3 * r + 2]!);
}

function trim<T extends Int32Array | Float64Array>(a: T, len: number): T {
  return (len >= 0.5 * a.length ? a.subarray(0, len) : a.slice(0, len)) as T;
}

function grow<T extends Int32Array | Float64Array>(a: T, len: number): T {
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  return b;
}
