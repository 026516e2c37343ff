/**
 * The one "optimizable" contract every minimiser works on (ASE's idea): a flat vector of
 * degrees of freedom with an energy and its gradient. Adapters relax atoms (`PositionsOptimizable`)
 * or atoms and cell under pressure (`CellOptimizable`); NEB bands can implement it too.
 */
import { inv3 } from '../core/mat3.js';
import { ValidationError } from '../core/errors.js';
import { EV_PER_A3_TO_GPA, GPA_TO_EV_PER_A3 } from '../core/units.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import type { ForceEngine } from './forces.js';

export interface Optimizable {
  /** Number of degrees of freedom. */
  dof(): number;
  /** Current coordinates into `out` (length dof). */
  getX(out: Float64Array): void;
  /** Move to coordinates `x`. */
  setX(x: Float64Array): void;
  /** Objective at the current coordinates (eV); fills gradOut (length dof). */
  energyAndGradient(gradOut: Float64Array): number;
  /** Largest atomic force |F_i| (eV/Å) at the last evaluation. */
  maxForce(): number;
  /** Largest stress residual |sigma + P I|_ab (GPa) at the last evaluation, for cell relaxations. */
  maxStress?(): number;
}

function fixedMask(n: number, fixed: readonly number[] | Uint8Array | undefined): Uint8Array {
  const m = new Uint8Array(n);
  if (fixed instanceof Uint8Array) {
    if (fixed.length !== n) throw new ValidationError(`fixed mask has ${fixed.length} entries; expected ${n}`);
    m.set(fixed);
  } else if (fixed) {
    for (const i of fixed) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new ValidationError(`fixed atom index ${i} is out of range 0..${n - 1}`);
      m[i] = 1;
    }
  }
  return m;
}

function maxAtomForce(f: Float64Array, fixed: Uint8Array): number {
  let m2 = 0;
  for (let i = 0; i < fixed.length; i++) {
    if (fixed[i]) continue;
    const a = f[3 * i]!, b = f[3 * i + 1]!, c = f[3 * i + 2]!;
    const q = a * a + b * b + c * c;
    if (q > m2 || Number.isNaN(q)) m2 = q;
  }
  return Math.sqrt(m2);
}

/**
 * Atomic positions as the degrees of freedom (3N, Å); the objective is the potential energy,
 * the gradient -F. Fixed atoms have zero gradient, so no minimiser moves them.
 */
export class PositionsOptimizable implements Optimizable {
  readonly structure: Structure;
  readonly engine: ForceEngine;
  readonly fixed: Uint8Array;
  private fmax = Infinity;

  constructor(structure: Structure, engine: ForceEngine, fixed?: readonly number[] | Uint8Array) {
    this.structure = structure;
    this.engine = engine;
    this.fixed = fixedMask(structure.length, fixed);
  }

  dof(): number {
    return 3 * this.structure.length;
  }

  getX(out: Float64Array): void {
    out.set(this.structure.positions);
  }

  setX(x: Float64Array): void {
    this.structure.positions.set(x);
  }

  energyAndGradient(g: Float64Array): number {
    const r = this.engine.compute(this.structure);
    const f = r.forces;
    for (let i = 0; i < this.fixed.length; i++) {
      for (let k = 0; k < 3; k++) g[3 * i + k] = this.fixed[i] ? 0 : -f[3 * i + k]!;
    }
    this.fmax = maxAtomForce(f, this.fixed);
    return r.energy;
  }

  maxForce(): number {
    return this.fmax;
  }
}

export interface CellOptimizableOptions {
  /** External hydrostatic pressure P (GPa); the objective is the enthalpy E + P V. Default 0. */
  pressureGPa?: number;
  /** Only isotropic cell changes (shape kept). Default false. */
  hydrostatic?: boolean;
  /** Scale c of the cell coordinates c F (default N, as ASE's UnitCellFilter). */
  cellFactor?: number;
  fixed?: readonly number[] | Uint8Array;
}

/**
 * Atoms and cell together under an external pressure, with a deformation-gradient
 * parametrisation (as ASE's UnitCellFilter). With reference cell H_0 (rows = lattice vectors)
 * and deformation gradient F (acting on column vectors):
 *
 *   H = H_0 F^T,   x_i = x0_i F^T (rows),   DOF = [x0_1 .. x0_N, c F]   (3N + 9)
 *   objective     h = E + P V
 *   gradient      dh/dx0_i = -F_i F        (row vector times F)
 *                 dh/d(cF) = (1/c) V (sigma + P I) F^-T
 *
 * since dE/dF = V sigma F^-T (sigma = (1/V) dE/d eps, ASE sign) and dV/dF = V F^-T. At a
 * stationary point the atomic forces vanish and sigma = -P I. With `hydrostatic`, sigma + P I is
 * replaced by its trace/3 times I, so F stays a multiple of I when it starts there.
 *
 * Convergence: `maxForce()` on atomic forces (eV/Å), `maxStress()` = max_ab |sigma + P I|_ab in
 * GPa (for `hydrostatic`, |tr(sigma)/3 + P|).
 *
 * | symbol | meaning                    | variable           |
 * |--------|----------------------------|--------------------|
 * | H_0    | reference cell             | h0                 |
 * | F      | deformation gradient       | fmat (row-major)   |
 * | c      | cell factor                | cellFactor         |
 * | P      | pressure (eV/Å^3)          | p                  |
 * | sigma  | stress (eV/Å^3)            | engine stress      |
 */
export class CellOptimizable implements Optimizable {
  readonly structure: Structure;
  readonly engine: ForceEngine;
  readonly fixed: Uint8Array;
  readonly hydrostatic: boolean;
  readonly cellFactor: number;
  readonly pressure: number;
  private readonly h0: Float64Array;
  private readonly h0inv: Float64Array;
  private readonly fmat = new Float64Array(9);
  private readonly tmp = new Float64Array(9);
  private readonly tmp2 = new Float64Array(9);
  private readonly x0: Float64Array;
  private fmax = Infinity;
  private smax = Infinity;

  constructor(structure: Structure, engine: ForceEngine, opts: CellOptimizableOptions = {}) {
    if (!(structure.pbc[0] && structure.pbc[1] && structure.pbc[2])) throw new ValidationError('cell relaxation needs a cell periodic in all three directions');
    const pGPa = opts.pressureGPa ?? 0;
    if (!Number.isFinite(pGPa)) throw new ValidationError(`pressureGPa must be finite, got ${pGPa}`);
    this.structure = structure;
    this.engine = engine;
    this.fixed = fixedMask(structure.length, opts.fixed);
    this.hydrostatic = !!opts.hydrostatic;
    this.cellFactor = opts.cellFactor ?? structure.length;
    if (!(this.cellFactor > 0)) throw new ValidationError(`cellFactor must be positive, got ${this.cellFactor}`);
    this.pressure = pGPa * GPA_TO_EV_PER_A3;
    this.h0 = structure.cell.slice();
    this.h0inv = inv3(this.h0);
    this.x0 = new Float64Array(3 * structure.length);
  }

  dof(): number {
    return 3 * this.structure.length + 9;
  }

  /** F from the current cell: F^T = H_0^-1 H. */
  private currentF(): Float64Array {
    const h = this.structure.cell, a = this.h0inv, f = this.fmat;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let t = 0;
        for (let k = 0; k < 3; k++) t += a[3 * i + k]! * h[3 * k + j]!;
        f[3 * j + i] = t; // transpose
      }
    return f;
  }

  getX(out: Float64Array): void {
    const f = this.currentF();
    // x0 = x F^-T : with row vectors, x = x0 F^T so x0 = x (F^T)^-1
    const ftInv = inv3(transposeInto(f, this.tmp), this.tmp2);
    const x = this.structure.positions, n = this.structure.length;
    for (let i = 0; i < n; i++) rowTimes(x, 3 * i, ftInv, out, 3 * i);
    const c = this.cellFactor;
    for (let k = 0; k < 9; k++) out[3 * n + k] = c * f[k]!;
  }

  setX(xv: Float64Array): void {
    const n = this.structure.length, c = this.cellFactor;
    const f = this.fmat;
    for (let k = 0; k < 9; k++) f[k] = xv[3 * n + k]! / c;
    const ft = transposeInto(f, this.tmp);
    // H = H_0 F^T
    const h = this.structure.cell, h0 = this.h0;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let t = 0;
        for (let k = 0; k < 3; k++) t += h0[3 * i + k]! * ft[3 * k + j]!;
        h[3 * i + j] = t;
      }
    const x = this.structure.positions;
    this.x0.set(xv.subarray(0, 3 * n));
    for (let i = 0; i < n; i++) rowTimes(this.x0, 3 * i, ft, x, 3 * i);
  }

  energyAndGradient(g: Float64Array): number {
    const s = this.structure, n = s.length;
    const r = this.engine.compute(s, { stress: true });
    const f = this.currentF();
    const forces = r.forces;
    for (let i = 0; i < n; i++) {
      if (this.fixed[i]) {
        g[3 * i] = g[3 * i + 1] = g[3 * i + 2] = 0;
        continue;
      }
      // g0 = -f_row F
      for (let b = 0; b < 3; b++) {
        g[3 * i + b] = -(forces[3 * i]! * f[b]! + forces[3 * i + 1]! * f[3 + b]! + forces[3 * i + 2]! * f[6 + b]!);
      }
    }
    const st = r.stress!;
    const p = this.pressure;
    const vol = volume(s.cell);
    // residual R = sigma + P I (full 3x3)
    const res = this.tmp2;
    res[0] = st[0]! + p; res[4] = st[1]! + p; res[8] = st[2]! + p;
    res[5] = res[7] = st[3]!; res[2] = res[6] = st[4]!; res[1] = res[3] = st[5]!;
    if (this.hydrostatic) {
      const m = (res[0]! + res[4]! + res[8]!) / 3;
      res.fill(0);
      res[0] = res[4] = res[8] = m;
      this.smax = Math.abs(m) * EV_PER_A3_TO_GPA;
    } else {
      let sm = 0;
      for (let k = 0; k < 9; k++) sm = Math.max(sm, Math.abs(res[k]!));
      this.smax = sm * EV_PER_A3_TO_GPA;
    }
    // dh/d(cF) = (1/c) V R F^-T
    const fInvT = transposeInto(inv3(f, this.tmp), this.fmatScratch);
    const c = this.cellFactor;
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let t = 0;
        for (let k = 0; k < 3; k++) t += res[3 * a + k]! * fInvT[3 * k + b]!;
        g[3 * n + 3 * a + b] = (vol * t) / c;
      }
    this.fmax = maxAtomForce(forces, this.fixed);
    return r.energy + p * vol;
  }

  private readonly fmatScratch = new Float64Array(9);

  maxForce(): number {
    return this.fmax;
  }

  maxStress(): number {
    return this.smax;
  }
}

function transposeInto(m: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[3 * j + i] = m[3 * i + j]!;
  return out;
}

/** out[o..o+2] = v[i..i+2] (row) times m. */
function rowTimes(v: Float64Array, i: number, m: Float64Array, out: Float64Array, o: number): void {
  const a = v[i]!, b = v[i + 1]!, c = v[i + 2]!;
  out[o] = a * m[0]! + b * m[3]! + c * m[6]!;
  out[o + 1] = a * m[1]! + b * m[4]! + c * m[7]!;
  out[o + 2] = a * m[2]! + b * m[5]! + c * m[8]!;
}
