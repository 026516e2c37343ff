/**
 * Real spherical harmonics with their gradients, and the real Gaunt coefficients that couple them
 * into rotation invariants (used by the ACE descriptor, `ace.ts`).
 *
 * Orthonormal real harmonics of a unit vector u = (x, y, z), index lm = l^2 + l + m:
 *
 *   Y_l0       = K_l0 q_l^0(z)
 *   Y_lm (m>0) = sqrt(2) K_lm q_l^m(z) C_m(x, y)      C_m + i S_m = (x + i y)^m
 *   Y_l-m      = sqrt(2) K_lm q_l^m(z) S_m(x, y)
 *   K_lm = sqrt((2l+1)/(4 pi) (l-m)!/(l+m)!)
 *
 * where q_l^m(z) = P_l^m(z) / (1 - z^2)^(m/2) (associated Legendre functions without the
 * Condon-Shortley phase) follows the recurrence
 *
 *   q_m^m = (2m-1)!!,  q_{m+1}^m = (2m+1) z q_m^m,  (l-m) q_l^m = (2l-1) z q_{l-1}^m - (l+m-1) q_{l-2}^m.
 *
 * The polynomial Y~(x, y, z) = K q(z) C_m(x, y) agrees with Y on the sphere; the gradient with respect
 * to the (unnormalised) displacement d = r u is its tangential part divided by r:
 *
 *   dY_lm(d/r)/dd = (I - u u^T) grad Y~(u) / r
 *
 * (dC_m/dx = m C_{m-1}, dC_m/dy = -m S_{m-1}, dS_m/dx = m S_{m-1}, dS_m/dy = m C_{m-1}).
 *
 * Real Gaunt coefficients G(l1 m1, l2 m2, l3 m3) = integral of Y_l1m1 Y_l2m2 Y_l3m3 over the sphere
 * are computed by a quadrature that is exact for these polynomials (Gauss-Legendre in z times the
 * trapezoidal rule in phi). They vanish unless l1 + l2 + l3 is even and (l1, l2, l3) satisfies the
 * triangle rule; for such triples, sum G A1 A2 A3 over the m's is invariant under rotations (and
 * inversion) when A_l transforms like Y_l.
 *
 * | symbol        | variable                                  |
 * |---------------|-------------------------------------------|
 * | Y_lm(u)       | Y[at + l*l + l + m]                       |
 * | dY_lm/dd_a    | dY[3 (at + l*l + l + m) + a]              |
 * | G             | gaunt(l1, l2, l3).c[e] with m-offsets m1[e] = m1 + l1 etc. |
 */
import { ParameterError } from '../core/errors.js';

/** Number of (l, m) pairs with l <= L. */
export function shCount(L: number): number {
  return (L + 1) * (L + 1);
}

/** Evaluator for real spherical harmonics up to degree L (owns its scratch; not re-entrant). */
export class RealSphericalHarmonics {
  readonly L: number;
  private readonly K: Float64Array; // K_lm (with sqrt 2 for m > 0), at l*(l+1)/2 + m
  private readonly q: Float64Array; // q_l^m at l*(l+1)/2 + m
  private readonly dq: Float64Array;
  private readonly C: Float64Array;
  private readonly S: Float64Array;

  constructor(L: number) {
    if (!Number.isInteger(L) || L < 0 || L > 30) throw new ParameterError(`spherical harmonics: degree must be an integer in [0, 30], got ${L}`);
    this.L = L;
    const nt = ((L + 1) * (L + 2)) / 2;
    this.K = new Float64Array(nt);
    this.q = new Float64Array(nt);
    this.dq = new Float64Array(nt);
    this.C = new Float64Array(L + 1);
    this.S = new Float64Array(L + 1);
    for (let l = 0; l <= L; l++) {
      for (let m = 0; m <= l; m++) {
        // (l-m)!/(l+m)! as a running product (no overflow for l <= 30)
        let ratio = 1;
        for (let t = l - m + 1; t <= l + m; t++) ratio /= t;
        this.K[(l * (l + 1)) / 2 + m] = Math.sqrt(((2 * l + 1) / (4 * Math.PI)) * ratio) * (m > 0 ? Math.SQRT2 : 1);
      }
    }
  }

  /** C[m] + i S[m] = (ux + i uy)^m for m <= lmax (the azimuthal factors of Y_l,+-m). */
  private azimuthal(ux: number, uy: number, lmax: number): void {
    const C = this.C, S = this.S;
    C[0] = 1;
    S[0] = 0;
    for (let m = 1; m <= lmax; m++) {
      C[m] = ux * C[m - 1]! - uy * S[m - 1]!;
      S[m] = ux * S[m - 1]! + uy * C[m - 1]!;
    }
  }

  /** Y_lm(u) for l <= lmax (<= L) into Y[at ..] (values only: `evaluate` without the gradient recurrences). */
  values(ux: number, uy: number, uz: number, lmax: number, Y: Float64Array, at: number): void {
    const q = this.q, C = this.C, S = this.S, K = this.K;
    this.azimuthal(ux, uy, lmax);
    let dfact = 1; // (2m-1)!!
    for (let m = 0; m <= lmax; m++) {
      if (m > 0) dfact *= 2 * m - 1;
      q[(m * (m + 1)) / 2 + m] = dfact;
      if (m + 1 <= lmax) q[((m + 1) * (m + 2)) / 2 + m] = (2 * m + 1) * uz * dfact;
      for (let l = m + 2; l <= lmax; l++) {
        const i = (l * (l + 1)) / 2 + m;
        q[i] = ((2 * l - 1) * uz * q[i - l]! - (l + m - 1) * q[i - 2 * l + 1]!) * (1 / (l - m)); // as in evaluate (bit-identical)
      }
    }
    for (let l = 0; l <= lmax; l++) {
      const c = at + l * l + l, t0 = (l * (l + 1)) / 2;
      Y[c] = q[t0]! * K[t0]!;
      for (let m = 1; m <= l; m++) {
        const qv = q[t0 + m]! * K[t0 + m]!;
        Y[c + m] = qv * C[m]!;
        Y[c - m] = qv * S[m]!;
      }
    }
  }

  /**
   * Y_lm(u) for l <= lmax (<= L) into Y[at ..], and when dY is given the gradients with respect to
   * the displacement d = r u into dY[3 at ..] (without dY: `values`). u must be a unit vector, r > 0.
   */
  evaluate(ux: number, uy: number, uz: number, r: number, lmax: number, Y: Float64Array, at: number, dY: Float64Array | null): void {
    if (!dY) {
      this.values(ux, uy, uz, lmax, Y, at);
      return;
    }
    const q = this.q, dq = this.dq, C = this.C, S = this.S, K = this.K;
    this.azimuthal(ux, uy, lmax);
    // q_l^m(z) and dq/dz by the three-term recurrence in l for each m
    let dfact = 1; // (2m-1)!!
    for (let m = 0; m <= lmax; m++) {
      if (m > 0) dfact *= 2 * m - 1;
      const mm = (m * (m + 1)) / 2 + m;
      q[mm] = dfact;
      dq[mm] = 0;
      if (m + 1 <= lmax) {
        const i1 = ((m + 1) * (m + 2)) / 2 + m;
        q[i1] = (2 * m + 1) * uz * dfact;
        dq[i1] = (2 * m + 1) * dfact;
      }
      for (let l = m + 2; l <= lmax; l++) {
        const i = (l * (l + 1)) / 2 + m, i1 = ((l - 1) * l) / 2 + m, i2 = ((l - 2) * (l - 1)) / 2 + m;
        const inv = 1 / (l - m);
        q[i] = ((2 * l - 1) * uz * q[i1]! - (l + m - 1) * q[i2]!) * inv;
        dq[i] = ((2 * l - 1) * (q[i1]! + uz * dq[i1]!) - (l + m - 1) * dq[i2]!) * inv;
      }
    }
    const ir = 1 / r;
    for (let l = 0; l <= lmax; l++) {
      const c = at + l * l + l, t0 = (l * (l + 1)) / 2;
      for (let m = 0; m <= l; m++) {
        const k = K[t0 + m]!, qv = q[t0 + m]! * k, dqv = dq[t0 + m]! * k;
        if (m === 0) {
          Y[c] = qv;
          // grad Y~ = (0, 0, dq); tangential part / r
          const gz = dqv;
          const s = uz * gz;
          dY[3 * c] = -ux * s * ir;
          dY[3 * c + 1] = -uy * s * ir;
          dY[3 * c + 2] = (gz - uz * s) * ir;
          continue;
        }
        const cm = C[m]!, sm = S[m]!;
        Y[c + m] = qv * cm;
        Y[c - m] = qv * sm;
        const cm1 = C[m - 1]!, sm1 = S[m - 1]!;
        // +m: (q m C_{m-1}, -q m S_{m-1}, dq C_m)
        let gx = qv * m * cm1, gy = -qv * m * sm1, gz = dqv * cm;
        let s = ux * gx + uy * gy + uz * gz;
        let b = 3 * (c + m);
        dY[b] = (gx - ux * s) * ir;
        dY[b + 1] = (gy - uy * s) * ir;
        dY[b + 2] = (gz - uz * s) * ir;
        // -m: (q m S_{m-1}, q m C_{m-1}, dq S_m)
        gx = qv * m * sm1;
        gy = qv * m * cm1;
        gz = dqv * sm;
        s = ux * gx + uy * gy + uz * gz;
        b = 3 * (c - m);
        dY[b] = (gx - ux * s) * ir;
        dY[b + 1] = (gy - uy * s) * ir;
        dY[b + 2] = (gz - uz * s) * ir;
      }
    }
  }
}

/** Gauss-Legendre nodes and weights on [-1, 1], n >= 1 (Newton iteration on P_n). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n), w = new Float64Array(n);
  // P_n(t) and P_{n-1}(t) by the three-term recurrence
  const legendre = (t: number): [number, number] => {
    let prev = 1, cur = t;
    for (let k = 2; k <= n; k++) {
      const next = ((2 * k - 1) * t * cur - (k - 1) * prev) / k;
      prev = cur;
      cur = next;
    }
    return [cur, prev];
  };
  for (let i = 0; i < n; i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      const [pn, pn1] = legendre(t);
      dp = (n * (t * pn - pn1)) / (t * t - 1);
      const dt = pn / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-15) break;
    }
    const [pn, pn1] = legendre(t);
    dp = (n * (t * pn - pn1)) / (t * t - 1);
    x[i] = t;
    w[i] = 2 / ((1 - t * t) * dp * dp);
  }
  return { x, w };
}

/** Nonzero real Gaunt coefficients of one (l1, l2, l3): entries (m1 + l1, m2 + l2, m3 + l3, value). */
export interface GauntTable {
  readonly l: readonly [number, number, number];
  readonly m1: Int32Array;
  readonly m2: Int32Array;
  readonly m3: Int32Array;
  readonly c: Float64Array;
}

/** True when (l1, l2, l3) can couple to an invariant with real Gaunt coefficients. */
export function gauntAllowed(l1: number, l2: number, l3: number): boolean {
  return (l1 + l2 + l3) % 2 === 0 && l3 >= Math.abs(l1 - l2) && l3 <= l1 + l2;
}

/** Quadrature on the sphere exact for polynomials of degree <= deg: points (unit vectors) and weights. */
function sphereQuadrature(deg: number): { u: Float64Array; w: Float64Array } {
  const nz = Math.floor(deg / 2) + 1, nphi = deg + 1;
  const gl = gaussLegendre(nz);
  const u = new Float64Array(3 * nz * nphi), w = new Float64Array(nz * nphi);
  let k = 0;
  for (let a = 0; a < nz; a++) {
    const z = gl.x[a]!, s = Math.sqrt(Math.max(0, 1 - z * z));
    for (let b = 0; b < nphi; b++, k++) {
      const phi = (2 * Math.PI * b) / nphi;
      u[3 * k] = s * Math.cos(phi);
      u[3 * k + 1] = s * Math.sin(phi);
      u[3 * k + 2] = z;
      w[k] = (gl.w[a]! * 2 * Math.PI) / nphi;
    }
  }
  return { u, w };
}

const GAUNT_CACHE = new Map<string, GauntTable>();

/** Real Gaunt coefficients for (l1, l2, l3) (cached). Entries below 1e-13 in magnitude are dropped. */
export function gaunt(l1: number, l2: number, l3: number): GauntTable {
  const key = `${l1},${l2},${l3}`;
  const hit = GAUNT_CACHE.get(key);
  if (hit) return hit;
  const L = Math.max(l1, l2, l3);
  const sh = new RealSphericalHarmonics(L);
  const { u, w } = sphereQuadrature(l1 + l2 + l3);
  const nq = w.length, ns = shCount(L);
  const Y = new Float64Array(nq * ns);
  for (let k = 0; k < nq; k++) sh.evaluate(u[3 * k]!, u[3 * k + 1]!, u[3 * k + 2]!, 1, L, Y, k * ns, null);
  const m1: number[] = [], m2: number[] = [], m3: number[] = [], c: number[] = [];
  if (gauntAllowed(l1, l2, l3)) {
    for (let a = -l1; a <= l1; a++) {
      for (let b = -l2; b <= l2; b++) {
        for (let d = -l3; d <= l3; d++) {
          let s = 0;
          const i1 = l1 * l1 + l1 + a, i2 = l2 * l2 + l2 + b, i3 = l3 * l3 + l3 + d;
          for (let k = 0; k < nq; k++) s += w[k]! * Y[k * ns + i1]! * Y[k * ns + i2]! * Y[k * ns + i3]!;
          if (Math.abs(s) > 1e-13) {
            m1.push(a + l1);
            m2.push(b + l2);
            m3.push(d + l3);
            c.push(s);
          }
        }
      }
    }
  }
  const t: GauntTable = { l: [l1, l2, l3], m1: Int32Array.from(m1), m2: Int32Array.from(m2), m3: Int32Array.from(m3), c: Float64Array.from(c) };
  GAUNT_CACHE.set(key, t);
  return t;
}
