import { test, assert } from '../node/test-support.js';
import { RealSphericalHarmonics, gaunt, gauntAllowed, gaussLegendre, shCount, type GauntTable } from './spherical.js';
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import { ParameterError } from '../core/errors.js';

const FOUR_PI = 4 * Math.PI;

/** Y_lm(u) for every l <= L at one unit vector (fresh arrays: test code, not a hot loop). */
function harmonics(sh: RealSphericalHarmonics, u: readonly number[], L = sh.L, r = 1): { Y: Float64Array; dY: Float64Array } {
  const Y = new Float64Array(shCount(L)), dY = new Float64Array(3 * shCount(L));
  sh.evaluate(u[0]!, u[1]!, u[2]!, r, L, Y, 0, dY);
  return { Y, dY };
}

function unit(d: readonly number[]): number[] {
  const r = Math.hypot(d[0]!, d[1]!, d[2]!);
  return d.map((v) => v / r);
}

function randomUnit(rng: Rng): number[] {
  return unit([rng.normal(), rng.normal(), rng.normal()]);
}

function rotate(R: Float64Array, u: readonly number[]): number[] {
  return [0, 1, 2].map((a) => R[3 * a]! * u[0]! + R[3 * a + 1]! * u[1]! + R[3 * a + 2]! * u[2]!);
}

/**
 * Product quadrature on the sphere (independent of spherical.ts's own): nz Gauss-Legendre nodes in
 * z times nphi equally spaced phi (offset by half a step). Exact for polynomials of degree
 * <= min(2 nz - 1, nphi - 1).
 */
function sphereRule(nz: number, nphi: number): { u: number[][]; w: number[] } {
  const gl = gaussLegendre(nz);
  const u: number[][] = [], w: number[] = [];
  for (let a = 0; a < nz; a++) {
    const z = gl.x[a]!, s = Math.sqrt(1 - z * z);
    for (let b = 0; b < nphi; b++) {
      const phi = (2 * Math.PI * (b + 0.5)) / nphi;
      u.push([s * Math.cos(phi), s * Math.sin(phi), z]);
      w.push((gl.w[a]! * 2 * Math.PI) / nphi);
    }
  }
  return { u, w };
}

/** Dense G[m1 + l1][m2 + l2][m3 + l3] of one Gaunt table. */
function dense(g: GauntTable): Float64Array {
  const [l1, l2, l3] = g.l;
  const n2 = 2 * l2 + 1, n3 = 2 * l3 + 1;
  const out = new Float64Array((2 * l1 + 1) * n2 * n3);
  for (let e = 0; e < g.c.length; e++) out[(g.m1[e]! * n2 + g.m2[e]!) * n3 + g.m3[e]!] = g.c[e]!;
  return out;
}

function factorial(n: number): number {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return f;
}

/** Wigner 3j (l1 l2 l3; 0 0 0) by the closed form (zero for odd l1 + l2 + l3). */
function threeJ000(l1: number, l2: number, l3: number): number {
  const J = l1 + l2 + l3;
  if (J % 2 !== 0 || l3 < Math.abs(l1 - l2) || l3 > l1 + l2) return 0;
  const g = J / 2;
  const sign = g % 2 === 0 ? 1 : -1;
  return sign * Math.sqrt((factorial(J - 2 * l1) * factorial(J - 2 * l2) * factorial(J - 2 * l3)) / factorial(J + 1)) * (factorial(g) / (factorial(g - l1) * factorial(g - l2) * factorial(g - l3)));
}

test('spherical harmonics are orthonormal up to l = 10 (integral of Y_lm Y_l\'m\' = delta by an exact quadrature)', () => {
  const L = 10, n = shCount(L);
  const sh = new RealSphericalHarmonics(L);
  const { u, w } = sphereRule(L + 1, 2 * L + 2); // exact for degree <= 2L + 1
  const gram = new Float64Array(n * n);
  const Y = new Float64Array(n);
  u.forEach((v, q) => {
    sh.evaluate(v[0]!, v[1]!, v[2]!, 1, L, Y, 0, null);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gram[a * n + b] += w[q]! * Y[a]! * Y[b]!;
  });
  let worst = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) worst = Math.max(worst, Math.abs(gram[a * n + b]! - (a === b ? 1 : 0)));
  assert.ok(worst < 1e-12, `max |<Y_a, Y_b> - delta_ab| = ${worst}`);
});

test('spherical harmonics for l <= 2 match the closed forms (real, no Condon-Shortley phase; index l^2 + l + m)', () => {
  const sh = new RealSphericalHarmonics(2);
  const rng = new Rng(1);
  const pts = [[0, 0, 1], [0, 0, -1], [1, 0, 0], [0, 1, 0], ...Array.from({ length: 20 }, () => randomUnit(rng))];
  for (const u of pts) {
    const [x, y, z] = u as [number, number, number];
    const { Y } = harmonics(sh, u);
    const c = (k: number) => Math.sqrt(k / Math.PI);
    // order: (0,0), (1,-1), (1,0), (1,1), (2,-2), (2,-1), (2,0), (2,1), (2,2)
    const expect = [
      c(1 / 4),
      c(3 / 4) * y, c(3 / 4) * z, c(3 / 4) * x,
      c(15 / 4) * x * y, c(15 / 4) * y * z, c(5 / 16) * (3 * z * z - 1), c(15 / 4) * x * z, c(15 / 16) * (x * x - y * y),
    ];
    expect.forEach((v, k) => assert.ok(Math.abs(Y[k]! - v) < 1e-14, `u = ${u}: Y[${k}] = ${Y[k]} vs ${v}`));
  }
});

test('harmonic gradients d Y(d/|d|)/dd equal central finite differences (random d, poles, lmax < L)', () => {
  const L = 8, n = shCount(L), h = 1e-6;
  const sh = new RealSphericalHarmonics(L);
  const rng = new Rng(2);
  const ds = [[0, 0, 1.5], [0, 0, -0.7], [1e-3, -2e-3, 2], [2.1, 0, 0], ...Array.from({ length: 12 }, () => randomUnit(rng).map((v) => v * rng.range(0.5, 3)))];
  const Yp = new Float64Array(n), Ym = new Float64Array(n);
  let worst = 0, largest = 0;
  for (const d of ds) {
    const r = Math.hypot(d[0]!, d[1]!, d[2]!);
    const u = unit(d);
    const { dY } = harmonics(sh, u, L, r);
    for (let a = 0; a < 3; a++) {
      const dp = [...d], dm = [...d];
      dp[a] += h;
      dm[a] -= h;
      const up = unit(dp), um = unit(dm);
      sh.evaluate(up[0]!, up[1]!, up[2]!, 1, L, Yp, 0, null);
      sh.evaluate(um[0]!, um[1]!, um[2]!, 1, L, Ym, 0, null);
      for (let k = 0; k < n; k++) {
        const num = (Yp[k]! - Ym[k]!) / (2 * h);
        worst = Math.max(worst, Math.abs(num - dY[3 * k + a]!));
        largest = Math.max(largest, Math.abs(num));
      }
    }
    // the gradient is tangential: u . dY_lm = 0 (Y depends on the direction only)
    for (let k = 0; k < n; k++) assert.ok(Math.abs(u[0]! * dY[3 * k]! + u[1]! * dY[3 * k + 1]! + u[2]! * dY[3 * k + 2]!) < 1e-11, `radial component of dY[${k}] at d = ${d}`);
  }
  assert.ok(largest > 1, 'gradients not vacuous');
  assert.ok(worst < 1e-7, `max |analytic - FD| = ${worst}`);
  // a lower lmax fills the same leading values
  const u = randomUnit(rng);
  const full = harmonics(sh, u, L, 1.3), part = harmonics(sh, u, 3, 1.3);
  assert.deepEqual(part.Y, full.Y.slice(0, shCount(3)));
  assert.deepEqual(part.dY, full.dY.slice(0, 3 * shCount(3)));
  assert.throws(() => new RealSphericalHarmonics(31), (e: unknown) => e instanceof ParameterError && /degree must be an integer in \[0, 30\]/.test((e as Error).message));
  assert.throws(() => new RealSphericalHarmonics(1.5), ParameterError);
});

test('values() gives exactly the Y_lm of evaluate() (random directions, poles, lmax < L)', () => {
  const L = 8, sh = new RealSphericalHarmonics(L), rng = new Rng(11);
  const dirs: [number, number, number][] = [[0, 0, 1], [0, 0, -1], [1, 0, 0]];
  for (let k = 0; k < 40; k++) {
    const v = [rng.normal(), rng.normal(), rng.normal()], r = Math.hypot(v[0]!, v[1]!, v[2]!);
    dirs.push([v[0]! / r, v[1]! / r, v[2]! / r]);
  }
  for (const lmax of [0, 1, 4, L]) {
    for (const [ux, uy, uz] of dirs) {
      const n = shCount(lmax);
      const a = new Float64Array(n + 3).fill(NaN), b = new Float64Array(n + 3).fill(NaN), dY = new Float64Array(3 * (n + 3));
      sh.evaluate(ux, uy, uz, 1.7, lmax, a, 3, dY);
      sh.values(ux, uy, uz, lmax, b, 3);
      for (let i = 3; i < n + 3; i++) assert.equal(b[i], a[i], `lmax ${lmax} index ${i - 3}`);
      assert.ok(Number.isNaN(b[0]!) && Number.isNaN(b[2]!), 'values() writes from the offset on only');
    }
  }
});

test('Gauss-Legendre with n nodes integrates x^k exactly for k <= 2n - 1 (and misses x^2n by the known remainder)', () => {
  for (let n = 1; n <= 24; n++) {
    const { x, w } = gaussLegendre(n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i]!) < 1 && w[i]! > 0, `n = ${n}: node ${x[i]} weight ${w[i]}`);
    const moment = (k: number) => x.reduce((s, v, i) => s + w[i]! * v ** k, 0);
    for (let k = 0; k <= 2 * n - 1; k++) {
      const exact = k % 2 === 0 ? 2 / (k + 1) : 0;
      assert.ok(Math.abs(moment(k) - exact) < 1e-13, `n = ${n}, x^${k}: ${moment(k)} vs ${exact}`);
    }
    if (n > 8) continue;
    // x^2n is the first monomial it misses, by exactly 2^(2n+1) (n!)^4 / ((2n + 1) ((2n)!)^2)
    const err = 2 / (2 * n + 1) - moment(2 * n);
    const expect = (2 ** (2 * n + 1) * factorial(n) ** 4) / ((2 * n + 1) * factorial(2 * n) ** 2);
    assert.ok(Math.abs(err - expect) < 1e-9 * expect, `n = ${n}, x^${2 * n}: error ${err} vs ${expect}`);
  }
});

test('Gaunt coefficients: G(l1, l2, 0) = delta / sqrt(4 pi), m = 0 entries match the 3j closed form, independent quadrature agrees', () => {
  for (let l1 = 0; l1 <= 6; l1++) {
    for (let l2 = 0; l2 <= 6; l2++) {
      const g = gaunt(l1, l2, 0);
      if (l1 !== l2) {
        assert.equal(g.c.length, 0, `G(${l1}, ${l2}, 0) must vanish`);
        continue;
      }
      assert.equal(g.c.length, 2 * l1 + 1);
      for (let e = 0; e < g.c.length; e++) {
        assert.equal(g.m1[e], g.m2[e]);
        assert.equal(g.m3[e], 0);
        assert.ok(Math.abs(g.c[e]! - 1 / Math.sqrt(FOUR_PI)) < 1e-14, `G(${l1} ${g.m1[e]! - l1}, ${l2}, 0) = ${g.c[e]}`);
      }
    }
  }
  // integral of Y_l1,0 Y_l2,0 Y_l3,0 = sqrt((2l1+1)(2l2+1)(2l3+1) / 4pi) (l1 l2 l3; 0 0 0)^2
  let checked = 0;
  for (let l1 = 0; l1 <= 6; l1++) for (let l2 = 0; l2 <= 6; l2++) for (let l3 = 0; l3 <= 6; l3++) {
    const D = dense(gaunt(l1, l2, l3));
    const v = D[(l1 * (2 * l2 + 1) + l2) * (2 * l3 + 1) + l3]!;
    const expect = Math.sqrt(((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) / FOUR_PI) * threeJ000(l1, l2, l3) ** 2;
    assert.ok(Math.abs(v - expect) < 1e-13, `G(${l1} 0, ${l2} 0, ${l3} 0) = ${v} vs ${expect}`);
    if (expect !== 0) checked++;
  }
  assert.ok(checked > 50);
  // every entry against an independent (finer, shifted) quadrature, also for odd l1 + l2 + l3
  const L = 4;
  const sh = new RealSphericalHarmonics(L);
  const { u, w } = sphereRule(10, 20);
  const Ys = u.map((v) => harmonics(sh, v).Y);
  for (let l1 = 0; l1 <= L; l1++) for (let l2 = 0; l2 <= L; l2++) for (let l3 = 0; l3 <= L; l3++) {
    const D = dense(gaunt(l1, l2, l3));
    let worst = 0;
    for (let a = 0; a < 2 * l1 + 1; a++) for (let b = 0; b < 2 * l2 + 1; b++) for (let c = 0; c < 2 * l3 + 1; c++) {
      let s = 0;
      Ys.forEach((Y, q) => { s += w[q]! * Y[l1 * l1 + a]! * Y[l2 * l2 + b]! * Y[l3 * l3 + c]!; });
      worst = Math.max(worst, Math.abs(s - D[(a * (2 * l2 + 1) + b) * (2 * l3 + 1) + c]!));
    }
    assert.ok(worst < 1e-13, `G(${l1}, ${l2}, ${l3}) differs from the quadrature by ${worst}`);
  }
});

test('Gaunt coefficients are symmetric under permuting the slots and vanish for odd l1 + l2 + l3 or outside the triangle', () => {
  const L = 5;
  for (let l1 = 0; l1 <= L; l1++) for (let l2 = 0; l2 <= L; l2++) for (let l3 = 0; l3 <= L; l3++) {
    const g = gaunt(l1, l2, l3);
    const allowed = (l1 + l2 + l3) % 2 === 0 && l3 >= Math.abs(l1 - l2) && l3 <= l1 + l2;
    assert.equal(gauntAllowed(l1, l2, l3), allowed);
    assert.equal(g.c.length > 0, allowed, `G(${l1}, ${l2}, ${l3}): ${g.c.length} entries, allowed ${allowed}`);
    if (!allowed) continue;
    const D = dense(g);
    const n1 = 2 * l1 + 1, n2 = 2 * l2 + 1, n3 = 2 * l3 + 1;
    const at = (a: number, b: number, c: number) => D[(a * n2 + b) * n3 + c]!;
    // all five other orders of the slots
    const perms: [[number, number, number], (a: number, b: number, c: number) => [number, number, number]][] = [
      [[l2, l1, l3], (a, b, c) => [b, a, c]],
      [[l1, l3, l2], (a, b, c) => [a, c, b]],
      [[l3, l2, l1], (a, b, c) => [c, b, a]],
      [[l2, l3, l1], (a, b, c) => [b, c, a]],
      [[l3, l1, l2], (a, b, c) => [c, a, b]],
    ];
    for (const [ls, idx] of perms) {
      const P = dense(gaunt(ls[0], ls[1], ls[2]));
      const p2 = 2 * ls[1] + 1, p3 = 2 * ls[2] + 1;
      for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let c = 0; c < n3; c++) {
        const [x, y, z] = idx(a, b, c);
        assert.ok(Math.abs(P[(x * p2 + y) * p3 + z]! - at(a, b, c)) < 1e-14, `G(${l1},${l2},${l3}) vs G(${ls})`);
      }
    }
  }
  // the quadrature itself: the integral of an odd product really is zero (not only filtered out)
  const sh = new RealSphericalHarmonics(2);
  const { u, w } = sphereRule(8, 16);
  let biggest = 0, sum = 0;
  u.forEach((v, q) => {
    const { Y } = harmonics(sh, v);
    const t = w[q]! * Y[2]! * Y[6]! * Y[6]!; // (1 0)(2 0)(2 0): odd in z
    biggest = Math.max(biggest, Math.abs(t));
    sum += t;
  });
  assert.ok(biggest > 1e-3 && Math.abs(sum) < 1e-15, `odd integrand: largest term ${biggest}, integral ${sum}`);
});

test('sum over m of G Y_l1(u1) Y_l2(u2) Y_l3(u3) is invariant under rotations and inversion of all three directions', () => {
  const L = 6;
  const sh = new RealSphericalHarmonics(L);
  const rng = new Rng(5);
  const invariant = (us: readonly number[][], g: GauntTable): number => {
    const Y = us.map((u) => harmonics(sh, u).Y);
    const [l1, l2, l3] = g.l;
    let s = 0;
    for (let e = 0; e < g.c.length; e++) s += g.c[e]! * Y[0]![l1 * l1 + g.m1[e]!]! * Y[1]![l2 * l2 + g.m2[e]!]! * Y[2]![l3 * l3 + g.m3[e]!]!;
    return s;
  };
  let biggest = 0, tried = 0;
  for (let l1 = 0; l1 <= L; l1++) for (let l2 = l1; l2 <= L; l2++) for (let l3 = l2; l3 <= L; l3++) {
    if (!gauntAllowed(l1, l2, l3)) continue;
    const g = gaunt(l1, l2, l3);
    for (let trial = 0; trial < 2; trial++) {
      const us = [randomUnit(rng), randomUnit(rng), randomUnit(rng)];
      const R = rotationMatrix(randomUnit(rng), rng.range(0.3, 3));
      const v0 = invariant(us, g);
      const vr = invariant(us.map((u) => rotate(R, u)), g);
      const vi = invariant(us.map((u) => u.map((x) => -x)), g);
      assert.ok(Math.abs(vr - v0) < 1e-12, `(${l1}, ${l2}, ${l3}): rotated ${vr} vs ${v0}`);
      assert.ok(Math.abs(vi - v0) < 1e-12, `(${l1}, ${l2}, ${l3}): inverted ${vi} vs ${v0}`);
      biggest = Math.max(biggest, Math.abs(v0));
      tried++;
    }
  }
  assert.ok(tried > 40 && biggest > 1e-2, `coupling not vacuous: ${tried} cases, largest |B| ${biggest}`);
  // a single harmonic (no coupling) is not invariant: the check above has teeth
  const u = randomUnit(rng), R = rotationMatrix([0.3, -0.2, 0.9], 1.1);
  assert.ok(Math.abs(harmonics(sh, u).Y[6]! - harmonics(sh, rotate(R, u)).Y[6]!) > 1e-3);
});
