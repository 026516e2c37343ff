/**
 * Cell maths. Convention: lattice vectors are the rows of the row-major 3x3 `cell`;
 * Cartesian r = f0 a + f1 b + f2 c, i.e. r = f * cell (row vector times matrix).
 */
import { ValidationError } from '../core/errors.js';
import { cross, det3, dot3, inv3, norm3 } from '../core/mat3.js';
import type { Structure } from './structure.js';

export function volume(cell: ArrayLike<number>): number {
  return Math.abs(det3(cell));
}

/** Distances between opposite faces of the cell (the "heights" along each reciprocal direction). */
export function planeSpacings(cell: ArrayLike<number>): [number, number, number] {
  const a = [cell[0]!, cell[1]!, cell[2]!], b = [cell[3]!, cell[4]!, cell[5]!], c = [cell[6]!, cell[7]!, cell[8]!];
  const v = Math.abs(det3(cell));
  return [v / norm3(cross(b, c)), v / norm3(cross(c, a)), v / norm3(cross(a, b))];
}

/** Lengths a, b, c (Å) and angles alpha, beta, gamma (degrees). */
export function cellParameters(cell: ArrayLike<number>): [number, number, number, number, number, number] {
  const a = [cell[0]!, cell[1]!, cell[2]!], b = [cell[3]!, cell[4]!, cell[5]!], c = [cell[6]!, cell[7]!, cell[8]!];
  const la = norm3(a), lb = norm3(b), lc = norm3(c);
  const ang = (u: number[], v: number[], lu: number, lv: number) => (Math.acos(Math.max(-1, Math.min(1, dot3(u, v) / (lu * lv)))) * 180) / Math.PI;
  return [la, lb, lc, ang(b, c, lb, lc), ang(a, c, la, lc), ang(a, b, la, lb)];
}

/** Cell from lengths and angles (degrees) in the standard orientation: a along x, b in the xy plane. */
export function cellFromParameters(a: number, b: number, c: number, alpha = 90, beta = 90, gamma = 90): Float64Array {
  const d = Math.PI / 180;
  const cosA = Math.cos(alpha * d), cosB = Math.cos(beta * d), cosG = Math.cos(gamma * d);
  const sinG = Math.sin(gamma * d);
  const cx = c * cosB;
  const cy = (c * (cosA - cosB * cosG)) / sinG;
  const cz = Math.sqrt(Math.max(0, c * c - cx * cx - cy * cy));
  const m = Float64Array.of(a, 0, 0, b * cosG, b * sinG, 0, cx, cy, cz);
  for (let i = 0; i < 9; i++) if (Math.abs(m[i]!) < 1e-14 * Math.max(a, b, c)) m[i] = 0;
  return m;
}

/** Fractional coordinates (3N) of Cartesian positions (3N): f = r * cell^-1. */
export function toFractional(cell: ArrayLike<number>, positions: ArrayLike<number>, out: Float64Array = new Float64Array(positions.length)): Float64Array {
  const inv = inv3(cell);
  for (let i = 0; i < positions.length; i += 3) {
    const x = positions[i]!, y = positions[i + 1]!, z = positions[i + 2]!;
    out[i] = x * inv[0]! + y * inv[3]! + z * inv[6]!;
    out[i + 1] = x * inv[1]! + y * inv[4]! + z * inv[7]!;
    out[i + 2] = x * inv[2]! + y * inv[5]! + z * inv[8]!;
  }
  return out;
}

/** Cartesian positions (3N) from fractional coordinates (3N): r = f * cell. */
export function toCartesian(cell: ArrayLike<number>, frac: ArrayLike<number>, out: Float64Array = new Float64Array(frac.length)): Float64Array {
  for (let i = 0; i < frac.length; i += 3) {
    const a = frac[i]!, b = frac[i + 1]!, c = frac[i + 2]!;
    out[i] = a * cell[0]! + b * cell[3]! + c * cell[6]!;
    out[i + 1] = a * cell[1]! + b * cell[4]! + c * cell[7]!;
    out[i + 2] = a * cell[2]! + b * cell[5]! + c * cell[8]!;
  }
  return out;
}

/**
 * Wrap positions into the cell along periodic directions (fractional coordinates in [0, 1)).
 * Returns a new array unless `out` is given (may alias `positions`).
 */
export function wrapPositions(cell: ArrayLike<number>, pbc: readonly boolean[], positions: ArrayLike<number>, out: Float64Array = new Float64Array(positions.length)): Float64Array {
  const f = toFractional(cell, positions);
  for (let i = 0; i < f.length; i++) {
    if (pbc[i % 3]) {
      let v = f[i]! - Math.floor(f[i]!);
      if (v >= 1) v = 0; // guards -1e-17 - floor -> 1.0
      f[i] = v;
    }
  }
  return toCartesian(cell, f, out);
}

/** Wrap a structure's atoms into its cell in place. */
export function wrap(s: Structure): Structure {
  if (s.periodic) wrapPositions(s.cell, s.pbc, s.positions, s.positions);
  return s;
}

/**
 * Minimum-image displacement of vector d (Å) for a possibly triclinic cell: the shortest
 * d + n*cell over integer n along periodic directions. Exact for any cell shape, however skewed:
 * after reducing to fractional [-0.5, 0.5), any shorter image v satisfies |n_k| <= 0.5 + |d'| / h_k
 * (h_k the plane spacing), and that whole range is searched. Non-periodic lattice vectors may be
 * zero (a slab's c): they are replaced by unit vectors perpendicular to the periodic ones.
 */
export function minimumImage(cell: ArrayLike<number>, pbc: readonly boolean[], d: ArrayLike<number>, out: Float64Array = new Float64Array(3)): Float64Array {
  if (!(pbc[0] || pbc[1] || pbc[2])) {
    out[0] = d[0]!; out[1] = d[1]!; out[2] = d[2]!;
    return out;
  }
  const B = completeBasis(cell, pbc);
  const f = toFractional(B, d);
  for (let k = 0; k < 3; k++) if (pbc[k]) f[k] = f[k]! - Math.round(f[k]!);
  const base = toCartesian(B, f);
  const h = planeSpacings(B);
  const len = norm3(base);
  const r = [0, 1, 2].map((k) => (pbc[k] ? Math.floor(0.5 + len / h[k]!) + 1 : 0));
  let best = Infinity;
  for (let i = -r[0]!; i <= r[0]!; i++)
    for (let j = -r[1]!; j <= r[1]!; j++)
      for (let k = -r[2]!; k <= r[2]!; k++) {
        const x = base[0]! + i * cell[0]! + j * cell[3]! + k * cell[6]!;
        const y = base[1]! + i * cell[1]! + j * cell[4]! + k * cell[7]!;
        const z = base[2]! + i * cell[2]! + j * cell[5]! + k * cell[8]!;
        const r2 = x * x + y * y + z * z;
        if (r2 < best) {
          best = r2;
          out[0] = x; out[1] = y; out[2] = z;
        }
      }
  return out;
}

/** Periodic rows of `cell`; non-periodic rows replaced by unit vectors orthogonal to the periodic ones and each other. */
function completeBasis(cell: ArrayLike<number>, pbc: readonly boolean[]): Float64Array {
  const B = Float64Array.from(cell);
  const per = [0, 1, 2].filter((k) => pbc[k]);
  if (per.length === 3) return B;
  const open = [0, 1, 2].filter((k) => !pbc[k]);
  const rowOf = (r: number) => [cell[3 * r]!, cell[3 * r + 1]!, cell[3 * r + 2]!];
  const put = (r: number, v: ArrayLike<number>) => {
    const l = norm3(v);
    for (let c = 0; c < 3; c++) B[3 * r + c] = v[c]! / l;
  };
  if (per.length === 2) put(open[0]!, cross(rowOf(per[0]!), rowOf(per[1]!)));
  else {
    const a = rowOf(per[0]!);
    const ax = Math.abs(a[0]!), ay = Math.abs(a[1]!), az = Math.abs(a[2]!);
    const e = ax <= ay && ax <= az ? [1, 0, 0] : ay <= az ? [0, 1, 0] : [0, 0, 1];
    const u = cross(a, e);
    put(open[0]!, u);
    put(open[1]!, cross(a, u));
  }
  return B;
}

/** Throws unless the periodic lattice vectors span a non-degenerate space. */
export function assertValidCell(cell: ArrayLike<number>, pbc: readonly boolean[], what = 'cell'): void {
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(cell[i]!)) throw new ValidationError(`${what} contains a non-finite value (${cell[i]}) at row ${Math.floor(i / 3)}, column ${i % 3}`);
  }
  const rows = [0, 1, 2].map((r) => [cell[3 * r]!, cell[3 * r + 1]!, cell[3 * r + 2]!]);
  const per = [0, 1, 2].filter((k) => pbc[k]);
  const scale = Math.max(1e-300, ...rows.map((v) => norm3(v)));
  if (per.length === 3) {
    const v = volume(cell);
    if (!(v > 1e-10 * scale * scale * scale)) throw new ValidationError(`${what} has zero volume (${v.toExponential(3)} Å^3); periodic cells need three independent lattice vectors`);
  } else if (per.length === 2) {
    const c = cross(rows[per[0]!]!, rows[per[1]!]!);
    if (!(norm3(c) > 1e-10 * scale * scale)) throw new ValidationError(`${what}: the two periodic lattice vectors are parallel or zero (zero area)`);
  } else if (per.length === 1) {
    if (!(norm3(rows[per[0]!]!) > 0)) throw new ValidationError(`${what}: periodic lattice vector ${'abc'[per[0]!]} is zero`);
  }
}
