/**
 * Small 3x3 and 3-vector helpers on flat row-major arrays (length 9 / 3).
 * Matrices are row-major: m[3*r + c]. Callers may pass `out` to avoid allocation.
 */

export type Mat3 = Float64Array; // length 9, row-major
export type Vec3 = Float64Array; // length 3

export function mat3(values?: ArrayLike<number>): Mat3 {
  const m = new Float64Array(9);
  if (values) m.set(values);
  return m;
}

export function identity3(out: Mat3 = new Float64Array(9)): Mat3 {
  out.fill(0);
  out[0] = out[4] = out[8] = 1;
  return out;
}

export function det3(m: ArrayLike<number>): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) -
    m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) +
    m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  );
}

/** Inverse of a 3x3 matrix; throws on a singular matrix. */
export function inv3(m: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  const d = det3(m);
  if (d === 0 || !Number.isFinite(d)) throw new RangeError('singular 3x3 matrix');
  const a = m[0]!, b = m[1]!, c = m[2]!, e = m[3]!, f = m[4]!, g = m[5]!, h = m[6]!, i = m[7]!, k = m[8]!;
  out[0] = (f * k - g * i) / d;
  out[1] = (c * i - b * k) / d;
  out[2] = (b * g - c * f) / d;
  out[3] = (g * h - e * k) / d;
  out[4] = (a * k - c * h) / d;
  out[5] = (c * e - a * g) / d;
  out[6] = (e * i - f * h) / d;
  out[7] = (b * h - a * i) / d;
  out[8] = (a * f - b * e) / d;
  return out;
}

/** out = a * b (3x3 times 3x3). `out` must not alias a or b. */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[3 * r + c] = a[3 * r]! * b[c]! + a[3 * r + 1]! * b[3 + c]! + a[3 * r + 2]! * b[6 + c]!;
    }
  }
  return out;
}

export function transpose3(m: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  const t = Array.from({ length: 9 }, (_, k) => m[3 * (k % 3) + Math.floor(k / 3)]!);
  out.set(t);
  return out;
}

export function cross(a: ArrayLike<number>, b: ArrayLike<number>, out: Vec3 = new Float64Array(3)): Vec3 {
  const x = a[1]! * b[2]! - a[2]! * b[1]!;
  const y = a[2]! * b[0]! - a[0]! * b[2]!;
  const z = a[0]! * b[1]! - a[1]! * b[0]!;
  out[0] = x;
  out[1] = y;
  out[2] = z;
  return out;
}

export function dot3(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}

export function norm3(a: ArrayLike<number>): number {
  return Math.sqrt(dot3(a, a));
}

/** Row r of a row-major 3x3 matrix as a new Vec3. */
export function row3(m: ArrayLike<number>, r: number): Vec3 {
  return Float64Array.of(m[3 * r]!, m[3 * r + 1]!, m[3 * r + 2]!);
}

/** Rotation matrix (row-major, acts on column vectors: x' = R x) about a unit axis by angle (rad). */
export function rotationMatrix(axis: ArrayLike<number>, angle: number, out: Mat3 = new Float64Array(9)): Mat3 {
  const n = norm3(axis);
  const x = axis[0]! / n, y = axis[1]! / n, z = axis[2]! / n;
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  out[0] = t * x * x + c;
  out[1] = t * x * y - s * z;
  out[2] = t * x * z + s * y;
  out[3] = t * x * y + s * z;
  out[4] = t * y * y + c;
  out[5] = t * y * z - s * x;
  out[6] = t * x * z - s * y;
  out[7] = t * y * z + s * x;
  out[8] = t * z * z + c;
  return out;
}

/** Voigt order used throughout mlpot (ASE's): xx, yy, zz, yz, xz, xy. */
export const VOIGT_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 1],
  [2, 2],
  [1, 2],
  [0, 2],
  [0, 1],
];

/** Full symmetric 3x3 (row-major) to Voigt 6 (xx yy zz yz xz xy). */
export function toVoigt(m: ArrayLike<number>, out: Float64Array = new Float64Array(6)): Float64Array {
  out[0] = m[0]!;
  out[1] = m[4]!;
  out[2] = m[8]!;
  out[3] = 0.5 * (m[5]! + m[7]!);
  out[4] = 0.5 * (m[2]! + m[6]!);
  out[5] = 0.5 * (m[1]! + m[3]!);
  return out;
}

/** Voigt 6 (xx yy zz yz xz xy) to full symmetric 3x3 (row-major). */
export function fromVoigt(v: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  out[0] = v[0]!;
  out[4] = v[1]!;
  out[8] = v[2]!;
  out[5] = out[7] = v[3]!;
  out[2] = out[6] = v[4]!;
  out[1] = out[3] = v[5]!;
  return out;
}
