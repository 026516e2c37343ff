/**
 * Harmonic restraints on collective coordinates, as a Potential (add it to a physical potential
 * with SumPotential):
 *
 *   E = sum_t 1/2 k_t (q_t - q0_t)^2,      F_a = -sum_t k_t (q_t - q0_t) dq_t/dx_a
 *
 *   position  q = |P (x_i - p)|            P keeps the chosen Cartesian axes; q0 = 0
 *   distance  q = |x_j - x_i|
 *   angle     q = angle(x_i - x_j, x_k - x_j) in [0, pi]       (radians)
 *   dihedral  q = atan2(|b2| b1.(b2 x b3), (b1 x b2).(b2 x b3)) in (-pi, pi],
 *             b1 = x_j - x_i, b2 = x_k - x_j, b3 = x_l - x_k; q - q0 wrapped to (-pi, pi]
 *
 * | symbol  | variable                     | unit                 |
 * |---------|------------------------------|----------------------|
 * | k_t     | `k[t]`                       | eV/Å^2 or eV/rad^2   |
 * | q_t     | `values(s)[t]`, `q`          | Å or rad             |
 * | q0_t    | `q0[t]`                      | Å or rad             |
 * | p       | `point[3t..3t+2]`            | Å                    |
 * | P       | `mask[3t..3t+2]` (1 = kept)  |                      |
 * | x_a     | local coordinates `y`        | Å                    |
 *
 * Periodic cells: every difference vector (x_j - x_i, x_i - p, bonds of angles and dihedrals)
 * is taken as its minimum image, so wrapping atoms back into the cell changes nothing. The
 * term's atoms are laid out in local unwrapped coordinates y (y_0 = x of the first atom, or
 * p + mic(x_i - p) for a position restraint, then chained by minimum-image bonds).
 *
 * Stress: sigma = (1/V) dE/d eps under a homogeneous strain of cell and atoms,
 * V sigma_ab = sym(sum_a y_a,a dE/dy_a,b). Distance, angle and dihedral restraints are
 * translation invariant, so this is the usual virial. A position restraint is not: its anchor
 * p stays fixed in space while the cell and atoms are strained, so its stress depends on
 * where p is (V sigma = sym((p + u) (x) k u) with u = P mic(x_i - p)). It is the exact strain
 * derivative of the energy as defined, but not a physical pressure; avoid position restraints
 * under a barostat. Per-atom energies split each term equally among its atoms.
 *
 * Conformance: distance, angle and dihedral restraints pass the force, stress, translation and
 * rotation checks; a position restraint only forces and stress. None is invariant under the
 * permutation or supercell checks (restraints name atoms by index).
 */
import { ValidationError } from '../core/errors.js';
import { minimumImage } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { finishResult } from './prepare.js';
import { assertStressPeriodic, assertValidStructure, outputBuffers } from '../neighbors/checked.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';

/** Ties atom `atom` to `point` (Å) with spring constant k (eV/Å^2), optionally only along some of x, y, z. */
export interface PositionRestraint {
  kind: 'position';
  atom: number;
  point: readonly [number, number, number];
  k: number;
  /** Axes that are restrained, e.g. 'z' or 'xy'. Default 'xyz'. */
  axes?: string;
}

/** Holds atoms i, j at `distance` (Å), k in eV/Å^2. */
export interface DistanceRestraint {
  kind: 'distance';
  atoms: readonly [number, number];
  k: number;
  distance: number;
}

/** Holds the angle i-j-k (vertex j) at `angle` radians or `angleDeg` degrees, k in eV/rad^2. */
export interface AngleRestraint {
  kind: 'angle';
  atoms: readonly [number, number, number];
  k: number;
  angle?: number;
  angleDeg?: number;
}

/** Holds the dihedral i-j-k-l at `angle` radians or `angleDeg` degrees, k in eV/rad^2. */
export interface DihedralRestraint {
  kind: 'dihedral';
  atoms: readonly [number, number, number, number];
  k: number;
  angle?: number;
  angleDeg?: number;
}

export type Restraint = PositionRestraint | DistanceRestraint | AngleRestraint | DihedralRestraint;

const POSITION = 0, DISTANCE = 1, ANGLE = 2, DIHEDRAL = 3;
const ARITY = [1, 2, 3, 4] as const;
const KINDS = ['position', 'distance', 'angle', 'dihedral'] as const;

export class HarmonicRestraints implements Potential {
  readonly name: string;
  readonly cutoff = 0;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false };
  readonly restraints: readonly Restraint[];
  private readonly kind: Int8Array;
  private readonly atoms: Int32Array;
  private readonly k: Float64Array;
  private readonly q0: Float64Array;
  private readonly point: Float64Array;
  private readonly mask: Float64Array;
  private readonly maxAtom: number;
  // scratch: local coordinates and gradients of one term (4 atoms x 3), one difference vector
  private readonly y = new Float64Array(12);
  private readonly g = new Float64Array(12);
  private readonly d = new Float64Array(3);
  private readonly dm = new Float64Array(3);

  constructor(restraints: readonly Restraint[]) {
    const n = restraints.length;
    this.restraints = restraints.map((r) => ({ ...r }) as Restraint);
    this.kind = new Int8Array(n);
    this.atoms = new Int32Array(4 * n);
    this.k = new Float64Array(n);
    this.q0 = new Float64Array(n);
    this.point = new Float64Array(3 * n);
    this.mask = new Float64Array(3 * n);
    let maxAtom = -1;
    restraints.forEach((r, t) => {
      const where = `restraint ${t} (${r.kind})`;
      if (!(Number.isFinite(r.k) && r.k >= 0)) throw new ValidationError(`${where}: k must be a non-negative number, got ${r.k}`);
      this.k[t] = r.k;
      const atoms = r.kind === 'position' ? [r.atom] : [...r.atoms];
      const kind = KINDS.indexOf(r.kind);
      if (kind < 0) throw new ValidationError(`${where}: unknown kind; expected one of ${KINDS.join(', ')}`);
      if (atoms.length !== ARITY[kind]) throw new ValidationError(`${where}: needs ${ARITY[kind]} atom indices, got ${atoms.length}`);
      atoms.forEach((a, q) => {
        if (!(Number.isInteger(a) && a >= 0)) throw new ValidationError(`${where}: atom index ${a} is not a non-negative integer`);
        this.atoms[4 * t + q] = a;
        maxAtom = Math.max(maxAtom, a);
      });
      if (new Set(atoms).size !== atoms.length) throw new ValidationError(`${where}: atoms ${atoms.join(', ')} must be distinct`);
      this.kind[t] = kind;
      switch (r.kind) {
        case 'position': {
          if (r.point.length !== 3 || !r.point.every(Number.isFinite)) throw new ValidationError(`${where}: point must be 3 finite coordinates`);
          this.point.set(r.point, 3 * t);
          const axes = r.axes ?? 'xyz';
          if (!/^[xyz]{1,3}$/.test(axes)) throw new ValidationError(`${where}: axes must be letters from "xyz", got "${axes}"`);
          for (let c = 0; c < 3; c++) this.mask[3 * t + c] = axes.includes('xyz'[c]!) ? 1 : 0;
          break;
        }
        case 'distance':
          if (!(Number.isFinite(r.distance) && r.distance >= 0)) throw new ValidationError(`${where}: distance must be a non-negative number, got ${r.distance}`);
          this.q0[t] = r.distance;
          break;
        case 'angle':
        case 'dihedral': {
          if ((r.angle === undefined) === (r.angleDeg === undefined)) throw new ValidationError(`${where}: give exactly one of angle (radians) and angleDeg (degrees)`);
          const a = r.angle ?? (r.angleDeg! * Math.PI) / 180;
          if (!Number.isFinite(a)) throw new ValidationError(`${where}: angle must be finite, got ${r.angle ?? r.angleDeg}`);
          if (r.kind === 'angle' && (a < 0 || a > Math.PI)) throw new ValidationError(`${where}: angle must lie in [0, 180] degrees, got ${(a * 180) / Math.PI}`);
          this.q0[t] = r.kind === 'dihedral' ? wrapAngle(a) : a;
          break;
        }
      }
    });
    this.maxAtom = maxAtom;
    this.name = `restraints(${n})`;
  }

  /** Current value q of every restraint (Å or radians), in order. Pure: computes each time. */
  values(s: Structure): Float64Array {
    this.check(s);
    const out = new Float64Array(this.kind.length);
    for (let t = 0; t < out.length; t++) out[t] = this.term(s, t, false);
    return out;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    this.check(s);
    assertStressPeriodic(s, request);
    const bufs = outputBuffers(s.length, request, ctx?.out);
    const { forces, energies } = bufs;
    const { y, g, atoms, kind } = this;
    let energy = 0;
    let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;
    for (let t = 0; t < kind.length; t++) {
      // term() leaves q in its return value, dq/dy in g and the local coordinates in y
      const q = this.term(s, t, true);
      let dq = kind[t] === POSITION ? q : q - this.q0[t]!;
      if (kind[t] === DIHEDRAL) dq = wrapAngle(dq);
      const kt = this.k[t]!;
      const e = 0.5 * kt * dq * dq;
      // position restraints return dE/dy directly (q = |P u| is not differentiable at u = 0)
      const c = kind[t] === POSITION ? kt : kt * dq;
      energy += e;
      const na = ARITY[kind[t]!];
      for (let a = 0; a < na; a++) {
        const atom = atoms[4 * t + a]!;
        const gx = c * g[3 * a]!, gy = c * g[3 * a + 1]!, gz = c * g[3 * a + 2]!;
        if (forces) {
          forces[3 * atom] = forces[3 * atom]! - gx;
          forces[3 * atom + 1] = forces[3 * atom + 1]! - gy;
          forces[3 * atom + 2] = forces[3 * atom + 2]! - gz;
        }
        if (energies) energies[atom] = energies[atom]! + e / na;
        const ya = y[3 * a]!, yb = y[3 * a + 1]!, yc = y[3 * a + 2]!;
        wxx += ya * gx; wyy += yb * gy; wzz += yc * gz;
        wyz += 0.5 * (yb * gz + yc * gy); wxz += 0.5 * (ya * gz + yc * gx); wxy += 0.5 * (ya * gy + yb * gx);
      }
    }
    return finishResult(this, s, bufs, energy, wxx, wyy, wzz, wyz, wxz, wxy);
  }

  private check(s: Structure): void {
    assertValidStructure(s);
    if (this.maxAtom >= s.length) throw new ValidationError(`${this.name}: a restraint names atom ${this.maxAtom}, the structure has ${s.length} atoms`);
  }

  /** Minimum-image difference x_b - x_a (or of two given points) into this.dm. */
  private diff(s: Structure, bx: number, by: number, bz: number, ax: number, ay: number, az: number): Float64Array {
    const d = this.d;
    d[0] = bx - ax; d[1] = by - ay; d[2] = bz - az;
    if (s.periodic) minimumImage(s.cell, s.pbc, d, this.dm);
    else this.dm.set(d);
    return this.dm;
  }

  /** Place atom slot `a` of the term at y[slot from] + mic(x[atom] - x[atom of slot from]). */
  private chain(s: Structure, t: number, a: number, from: number): void {
    const x = s.positions, y = this.y;
    const i = this.atoms[4 * t + a]!, j = this.atoms[4 * t + from]!;
    const dm = this.diff(s, x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!, x[3 * j]!, x[3 * j + 1]!, x[3 * j + 2]!);
    y[3 * a] = y[3 * from]! + dm[0]!;
    y[3 * a + 1] = y[3 * from + 1]! + dm[1]!;
    y[3 * a + 2] = y[3 * from + 2]! + dm[2]!;
  }

  /**
   * Value q of term t; with `grad`, also dq/dy (dE/dy / k for position restraints) into this.g
   * and the local coordinates into this.y.
   */
  private term(s: Structure, t: number, grad: boolean): number {
    const x = s.positions, y = this.y, g = this.g;
    const first = this.atoms[4 * t]!;
    switch (this.kind[t]) {
      case POSITION: {
        const p = this.point;
        const u = this.diff(s, x[3 * first]!, x[3 * first + 1]!, x[3 * first + 2]!, p[3 * t]!, p[3 * t + 1]!, p[3 * t + 2]!);
        let q2 = 0;
        for (let c = 0; c < 3; c++) {
          const uc = u[c]! * this.mask[3 * t + c]!;
          q2 += uc * uc;
          y[c] = p[3 * t + c]! + u[c]!;
          g[c] = uc;
        }
        return Math.sqrt(q2);
      }
      case DISTANCE: {
        y[0] = x[3 * first]!; y[1] = x[3 * first + 1]!; y[2] = x[3 * first + 2]!;
        this.chain(s, t, 1, 0);
        const dx = y[3]! - y[0]!, dy = y[4]! - y[1]!, dz = y[5]! - y[2]!;
        const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
        if (grad) {
          const ir = r > 0 ? 1 / r : 0;
          g[3] = dx * ir; g[4] = dy * ir; g[5] = dz * ir;
          g[0] = -g[3]!; g[1] = -g[4]!; g[2] = -g[5]!;
        }
        return r;
      }
      case ANGLE: {
        // vertex (slot 1) first, arms chained from it
        const j = this.atoms[4 * t + 1]!;
        y[3] = x[3 * j]!; y[4] = x[3 * j + 1]!; y[5] = x[3 * j + 2]!;
        this.chain(s, t, 0, 1);
        this.chain(s, t, 2, 1);
        const ux = y[0]! - y[3]!, uy = y[1]! - y[4]!, uz = y[2]! - y[5]!;
        const vx = y[6]! - y[3]!, vy = y[7]! - y[4]!, vz = y[8]! - y[5]!;
        const cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
        const sinTerm = Math.sqrt(cx * cx + cy * cy + cz * cz); // |u||v| sin
        const dot = ux * vx + uy * vy + uz * vz; // |u||v| cos
        const theta = Math.atan2(sinTerm, dot);
        if (grad) {
          const uu = ux * ux + uy * uy + uz * uz, vv = vx * vx + vy * vy + vz * vz;
          // dtheta/du = (cos u/|u|^2 - v/(|u||v|)) / sin = (dot u/uu - v) / sinTerm
          const is = sinTerm > 0 ? 1 / sinTerm : 0;
          const au = dot / uu, av = dot / vv;
          g[0] = (au * ux - vx) * is; g[1] = (au * uy - vy) * is; g[2] = (au * uz - vz) * is;
          g[6] = (av * vx - ux) * is; g[7] = (av * vy - uy) * is; g[8] = (av * vz - uz) * is;
          g[3] = -g[0]! - g[6]!; g[4] = -g[1]! - g[7]!; g[5] = -g[2]! - g[8]!;
        }
        return theta;
      }
      default: {
        y[0] = x[3 * first]!; y[1] = x[3 * first + 1]!; y[2] = x[3 * first + 2]!;
        this.chain(s, t, 1, 0);
        this.chain(s, t, 2, 1);
        this.chain(s, t, 3, 2);
        const b1x = y[3]! - y[0]!, b1y = y[4]! - y[1]!, b1z = y[5]! - y[2]!;
        const b2x = y[6]! - y[3]!, b2y = y[7]! - y[4]!, b2z = y[8]! - y[5]!;
        const b3x = y[9]! - y[6]!, b3y = y[10]! - y[7]!, b3z = y[11]! - y[8]!;
        const n1x = b1y * b2z - b1z * b2y, n1y = b1z * b2x - b1x * b2z, n1z = b1x * b2y - b1y * b2x;
        const n2x = b2y * b3z - b2z * b3y, n2y = b2z * b3x - b2x * b3z, n2z = b2x * b3y - b2y * b3x;
        const b2n = Math.sqrt(b2x * b2x + b2y * b2y + b2z * b2z);
        const phi = Math.atan2(b2n * (b1x * n2x + b1y * n2y + b1z * n2z), n1x * n2x + n1y * n2y + n1z * n2z);
        if (grad) {
          const n1sq = n1x * n1x + n1y * n1y + n1z * n1z, n2sq = n2x * n2x + n2y * n2y + n2z * n2z;
          const a0 = n1sq > 0 ? -b2n / n1sq : 0, a3 = n2sq > 0 ? b2n / n2sq : 0;
          g[0] = a0 * n1x; g[1] = a0 * n1y; g[2] = a0 * n1z;
          g[9] = a3 * n2x; g[10] = a3 * n2y; g[11] = a3 * n2z;
          const ib2 = b2n > 0 ? 1 / (b2n * b2n) : 0;
          const p12 = (b1x * b2x + b1y * b2y + b1z * b2z) * ib2, p32 = (b3x * b2x + b3y * b2y + b3z * b2z) * ib2;
          for (let c = 0; c < 3; c++) {
            // Bekker's middle-atom terms with r_ij.r_kj = -b1.b2 and r_kl.r_kj = -b3.b2
            g[3 + c] = -(p12 + 1) * g[c]! + p32 * g[9 + c]!;
            g[6 + c] = -(p32 + 1) * g[9 + c]! + p12 * g[c]!;
          }
        }
        return phi;
      }
    }
  }
}

/** Wrap an angle (radians) to (-pi, pi]. */
export function wrapAngle(a: number): number {
  let w = a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
  if (w <= -Math.PI) w += 2 * Math.PI;
  if (w > Math.PI) w -= 2 * Math.PI;
  return w;
}
