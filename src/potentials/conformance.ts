/**
 * Conformance kit: the checks every Potential must pass, built-in or trained.
 * Each check returns a record (name, pass/fail, worst error, detail) rather than throwing,
 * so test suites assert on it and reports can print it.
 *
 * - forces      F = -dE/dr, 4-point central differences
 * - stress      sigma = (1/V) dE/d eps under symmetric homogeneous strain of cell and positions
 * - translation E and F unchanged by a rigid shift
 * - rotation    E unchanged, F rotated, under a rigid rotation (of the cell too when periodic)
 * - permutation E unchanged and F permuted when two like atoms swap
 * - supercell   a 2x1x1 (and 1x2x2) repetition gives N times the energy and tiled forces
 * - capabilities what is declared is returned, and per-atom energies sum to E
 */
import { rotationMatrix } from '../core/mat3.js';
import { Rng } from '../core/rng.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';
import type { Potential } from './potential.js';

export interface CheckResult {
  check: string;
  pass: boolean;
  /** Worst absolute error found. */
  error: number;
  /** Tolerance it was compared with. */
  tolerance: number;
  detail: string;
}

export interface ConformanceOptions {
  /** Finite-difference step for positions (Å). Default 1e-4. */
  h?: number;
  /** Finite-difference strain step. Default 1e-5. */
  strainStep?: number;
  /** Absolute tolerance for force components (eV/Å). Default 1e-6. */
  forceTol?: number;
  /** Absolute tolerance for stress components (eV/Å^3). Default 1e-7. */
  stressTol?: number;
  /** Relative tolerance for energy identities. Default 1e-10. */
  energyRelTol?: number;
  /** Number of atoms to check by finite differences (all when <= 0). Default 0. */
  maxFdAtoms?: number;
  seed?: number;
}

function energyAt(pot: Potential, s: Structure): number {
  return pot.compute(s, { forces: false }).energy;
}

/** Forces against 4-point central differences of the energy. */
export function checkForces(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const h = opts.h ?? 1e-4;
  const tol = opts.forceTol ?? 1e-6;
  const f = pot.compute(s, { forces: true }).forces!;
  const t = s.clone();
  let worst = 0;
  let where = '';
  const n = s.length;
  const rng = new Rng(opts.seed ?? 1);
  const atoms = opts.maxFdAtoms && opts.maxFdAtoms > 0 && opts.maxFdAtoms < n ? Array.from({ length: opts.maxFdAtoms }, () => rng.int(n)) : Array.from({ length: n }, (_, i) => i);
  for (const i of atoms) {
    for (let c = 0; c < 3; c++) {
      const k = 3 * i + c;
      const x0 = s.positions[k]!;
      const e = (d: number) => {
        t.positions[k] = x0 + d;
        return energyAt(pot, t);
      };
      const num = -(-e(2 * h) + 8 * e(h) - 8 * e(-h) + e(-2 * h)) / (12 * h);
      t.positions[k] = x0;
      const err = Math.abs(num - f[k]!);
      if (err > worst) {
        worst = err;
        where = `atom ${i} ${'xyz'[c]}: analytic ${f[k]} vs numeric ${num}`;
      }
    }
  }
  return { check: 'forces', pass: worst <= tol, error: worst, tolerance: tol, detail: where };
}

/** Apply the symmetric strain eps (Voigt index v, magnitude e) to cell and positions. */
function strained(s: Structure, v: number, e: number): Structure {
  const t = s.clone();
  const m = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const pairs = [[0, 0], [1, 1], [2, 2], [1, 2], [0, 2], [0, 1]] as const;
  const [a, b] = pairs[v]!;
  if (a === b) m[3 * a + a] = 1 + e;
  else {
    m[3 * a + b] = e / 2;
    m[3 * b + a] = e / 2;
  }
  const apply = (arr: Float64Array, off: number) => {
    const x = arr[off]!, y = arr[off + 1]!, z = arr[off + 2]!;
    arr[off] = x * m[0]! + y * m[3]! + z * m[6]!;
    arr[off + 1] = x * m[1]! + y * m[4]! + z * m[7]!;
    arr[off + 2] = x * m[2]! + y * m[5]! + z * m[8]!;
  };
  for (let r = 0; r < 3; r++) apply(t.cell, 3 * r);
  for (let i = 0; i < t.length; i++) apply(t.positions, 3 * i);
  return t;
}

/** Stress against finite differences of the energy with respect to homogeneous strain. */
export function checkStress(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const h = opts.strainStep ?? 1e-5;
  const tol = opts.stressTol ?? 1e-7;
  const sig = pot.compute(s, { forces: true, stress: true }).stress!;
  const vol = Math.abs(
    s.cell[0]! * (s.cell[4]! * s.cell[8]! - s.cell[5]! * s.cell[7]!) -
      s.cell[1]! * (s.cell[3]! * s.cell[8]! - s.cell[5]! * s.cell[6]!) +
      s.cell[2]! * (s.cell[3]! * s.cell[7]! - s.cell[4]! * s.cell[6]!),
  );
  let worst = 0;
  let where = '';
  for (let v = 0; v < 6; v++) {
    const e = (d: number) => energyAt(pot, strained(s, v, d));
    const dEde = (-e(2 * h) + 8 * e(h) - 8 * e(-h) + e(-2 * h)) / (12 * h);
    const num = dEde / vol; // for off-diagonal v, e is the engineering strain 2*eps_ab, so dE/de = V sigma_ab
    const err = Math.abs(num - sig[v]!);
    if (err > worst) {
      worst = err;
      where = `Voigt ${['xx', 'yy', 'zz', 'yz', 'xz', 'xy'][v]}: analytic ${sig[v]} vs numeric ${num}`;
    }
  }
  return { check: 'stress', pass: worst <= tol, error: worst, tolerance: tol, detail: where };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
}

export function checkTranslation(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const rng = new Rng(opts.seed ?? 2);
  const r0 = pot.compute(s, { forces: true });
  const t = s.clone();
  const d = [rng.range(-3, 3), rng.range(-3, 3), rng.range(-3, 3)];
  for (let i = 0; i < t.length; i++) for (let c = 0; c < 3; c++) t.positions[3 * i + c] = t.positions[3 * i + c]! + d[c]!;
  const r1 = pot.compute(t, { forces: true });
  const eErr = relErr(r0.energy, r1.energy);
  const fErr = maxAbsDiff(r0.forces!, r1.forces!);
  const tol = opts.energyRelTol ?? 1e-10;
  const ftol = opts.forceTol ?? 1e-6;
  return { check: 'translation', pass: eErr <= tol && fErr <= ftol, error: Math.max(eErr, fErr), tolerance: tol, detail: `energy rel ${eErr.toExponential(2)}, force ${fErr.toExponential(2)}` };
}

export function checkRotation(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const rng = new Rng(opts.seed ?? 3);
  const R = rotationMatrix([rng.normal(), rng.normal(), rng.normal()], rng.range(0.1, 3));
  const rot = (arr: Float64Array, off: number) => {
    const x = arr[off]!, y = arr[off + 1]!, z = arr[off + 2]!;
    arr[off] = R[0]! * x + R[1]! * y + R[2]! * z;
    arr[off + 1] = R[3]! * x + R[4]! * y + R[5]! * z;
    arr[off + 2] = R[6]! * x + R[7]! * y + R[8]! * z;
  };
  const r0 = pot.compute(s, { forces: true });
  const t = s.clone();
  for (let i = 0; i < t.length; i++) rot(t.positions, 3 * i);
  for (let r = 0; r < 3; r++) rot(t.cell, 3 * r);
  const r1 = pot.compute(t, { forces: true });
  const f0 = Float64Array.from(r0.forces!);
  for (let i = 0; i < s.length; i++) rot(f0, 3 * i);
  const eErr = relErr(r0.energy, r1.energy);
  const fErr = maxAbsDiff(f0, r1.forces!);
  const tol = opts.energyRelTol ?? 1e-10;
  const ftol = opts.forceTol ?? 1e-6;
  return { check: 'rotation', pass: eErr <= tol && fErr <= ftol, error: Math.max(eErr, fErr), tolerance: tol, detail: `energy rel ${eErr.toExponential(2)}, force ${fErr.toExponential(2)}` };
}

export function checkPermutation(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const n = s.length;
  const rng = new Rng(opts.seed ?? 4);
  const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  // keep element order per species: permute only among like atoms
  const bySpecies = new Map<number, number[]>();
  for (let i = 0; i < n; i++) (bySpecies.get(s.numbers[i]!) ?? bySpecies.set(s.numbers[i]!, []).get(s.numbers[i]!)!).push(i);
  const idx = new Array<number>(n);
  for (const members of bySpecies.values()) {
    const shuffled = perm.filter((i) => members.includes(i));
    members.forEach((m, k) => (idx[m] = shuffled[k]!));
  }
  const t = s.select(idx);
  const r0 = pot.compute(s, { forces: true });
  const r1 = pot.compute(t, { forces: true });
  let fErr = 0;
  for (let k = 0; k < n; k++) for (let c = 0; c < 3; c++) fErr = Math.max(fErr, Math.abs(r1.forces![3 * k + c]! - r0.forces![3 * idx[k]! + c]!));
  const eErr = relErr(r0.energy, r1.energy);
  const tol = opts.energyRelTol ?? 1e-10;
  const ftol = opts.forceTol ?? 1e-6;
  return { check: 'permutation', pass: eErr <= tol && fErr <= ftol, error: Math.max(eErr, fErr), tolerance: tol, detail: `energy rel ${eErr.toExponential(2)}, force ${fErr.toExponential(2)}` };
}

/** A periodic structure repeated 2x1x1 and 1x2x2 gives N times the energy and tiled forces. */
export function checkSupercell(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const r0 = pot.compute(s, { forces: true });
  let worst = 0;
  let detail = '';
  for (const reps of [[2, 1, 1], [1, 2, 2]] as const) {
    const reps3 = reps.map((r, k) => (s.pbc[k] ? r : 1)) as [number, number, number];
    const m = reps3[0] * reps3[1] * reps3[2];
    const big = repeat(s, reps3);
    const r1 = pot.compute(big, { forces: true });
    const eErr = relErr(m * r0.energy, r1.energy);
    let fErr = 0;
    for (let k = 0; k < big.length; k++) for (let c = 0; c < 3; c++) fErr = Math.max(fErr, Math.abs(r1.forces![3 * k + c]! - r0.forces![3 * (k % s.length) + c]!));
    if (Math.max(eErr, fErr) >= worst) {
      worst = Math.max(eErr, fErr);
      detail = `${reps3.join('x')}: energy rel ${eErr.toExponential(2)}, force ${fErr.toExponential(2)}`;
    }
  }
  const tol = Math.max(opts.energyRelTol ?? 1e-10, opts.forceTol ?? 1e-6);
  return { check: 'supercell', pass: worst <= tol, error: worst, tolerance: tol, detail };
}

export function checkCapabilities(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult {
  const caps = pot.capabilities;
  const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
  const r = pot.compute(s, { forces: caps.forces, stress: caps.stress && full, energies: caps.energies });
  const problems: string[] = [];
  if (!Number.isFinite(r.energy)) problems.push('energy not finite');
  if (caps.forces && (!r.forces || r.forces.length !== 3 * s.length)) problems.push('forces missing or wrong length');
  if (caps.stress && full && (!r.stress || r.stress.length !== 6)) problems.push('stress missing or wrong length');
  let err = 0;
  if (caps.energies) {
    if (!r.energies || r.energies.length !== s.length) problems.push('per-atom energies missing or wrong length');
    else {
      const sum = r.energies.reduce((a, b) => a + b, 0);
      err = relErr(sum, r.energy);
      if (err > (opts.energyRelTol ?? 1e-10)) problems.push(`per-atom energies sum to ${sum}, energy is ${r.energy}`);
    }
  }
  return { check: 'capabilities', pass: problems.length === 0, error: err, tolerance: opts.energyRelTol ?? 1e-10, detail: problems.join('; ') || 'ok' };
}

/** Run every applicable check on one structure. */
export function runConformance(pot: Potential, s: Structure, opts: ConformanceOptions = {}): CheckResult[] {
  const out: CheckResult[] = [checkCapabilities(pot, s, opts)];
  if (pot.capabilities.forces) {
    out.push(checkForces(pot, s, opts), checkTranslation(pot, s, opts), checkRotation(pot, s, opts), checkPermutation(pot, s, opts));
  }
  if (pot.capabilities.stress && s.pbc[0] && s.pbc[1] && s.pbc[2]) out.push(checkStress(pot, s, opts));
  if (s.periodic && pot.capabilities.forces) out.push(checkSupercell(pot, s, opts));
  return out;
}
