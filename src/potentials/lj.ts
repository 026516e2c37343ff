/**
 * Lennard-Jones, truncated and shifted (LAMMPS pair_style lj/cut with pair_modify shift yes):
 *
 *   phi(r) = 4 eps [(sigma/r)^12 - (sigma/r)^6] - phi_LJ(r_c)   for r < r_c, else 0
 *   E = sum_{i<j} phi(r_ij)
 *
 * | symbol | variable  | unit |
 * |--------|-----------|------|
 * | eps    | epsilon   | eV   |
 * | sigma  | sigma     | Å    |
 * | r_c    | cutoff    | Å    |
 *
 * With `shift: false` the energy jumps at r_c (plain truncation); forces are the same.
 */
import { ValidationError } from '../core/errors.js';
import { halfPairIndex } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { finishResult, prepare } from './prepare.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';

export interface LennardJonesParams {
  epsilon: number;
  sigma: number;
  /** Default 2.5 sigma. */
  cutoff?: number;
  /** Shift the energy to zero at the cutoff. Default true. */
  shift?: boolean;
}

export class LennardJones implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false };
  readonly epsilon: number;
  readonly sigma: number;
  readonly shift: boolean;
  private readonly eShift: number;
  private readonly kernelParams: Float64Array;
  private readonly virial = new Float64Array(6);

  constructor(p: LennardJonesParams) {
    for (const [k, v] of Object.entries({ epsilon: p.epsilon, sigma: p.sigma, cutoff: p.cutoff ?? 1 })) {
      if (!(Number.isFinite(v) && v > 0)) throw new ValidationError(`lj: ${k} must be a positive number, got ${v}`);
    }
    this.epsilon = p.epsilon;
    this.sigma = p.sigma;
    this.cutoff = p.cutoff ?? 2.5 * p.sigma;
    this.shift = p.shift ?? true;
    const sr6 = (p.sigma / this.cutoff) ** 6;
    this.eShift = this.shift ? 4 * p.epsilon * (sr6 * sr6 - sr6) : 0;
    this.kernelParams = Float64Array.of(this.cutoff * this.cutoff, p.sigma * p.sigma, 4 * p.epsilon, 24 * p.epsilon, this.eShift);
    this.name = `lj(epsilon=${p.epsilon},sigma=${p.sigma},cutoff=${this.cutoff})`;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, forces, energies, stress } = prep;
    const x = s.positions;
    const { offsets, neighbors, shifts } = halfPairIndex(nl, s.cell);
    // The full list holds every pair twice (i->j and j->i with the opposite image); visit each
    // unordered pair once through the cached half index (owned by the lower index, a self-image
    // by its lexicographically positive image) and apply Newton's third law. Buffers from
    // prepare() start at zero. The common MD request (forces only) has its own kernel: V8
    // compiles the small loop without optional outputs about twice as fast as the general one.
    const k = this.kernelParams;
    if (forces && !energies && !stress) {
      const energy = ljForces(s.length, x, offsets, neighbors, shifts, k, forces);
      return finishResult(this, s, prep, energy, 0, 0, 0, 0, 0, 0);
    }
    const w = this.virial;
    const energy = ljGeneral(s.length, x, offsets, neighbors, shifts, k, forces, energies, w);
    return finishResult(this, s, prep, energy, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!);
  }
}

/** Kernel constants: rc^2, sigma^2, 4 eps, 24 eps, energy shift. */
type KernelParams = Float64Array;

/** Energy and forces (accumulated into `forces`). */
function ljForces(n: number, x: Float64Array, offsets: Int32Array, neighbors: Int32Array, shifts: Float64Array, k: KernelParams, forces: Float64Array): number {
  const rc2 = k[0]!, s2 = k[1]!, e4 = k[2]!, e24 = k[3]!, eShift = k[4]!;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
    let fx = 0, fy = 0, fz = 0;
    for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
      const j = neighbors[p]!;
      const dx = x[3 * j]! + shifts[3 * p]! - xi;
      const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
      const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 >= rc2) continue;
      const ir2 = 1 / r2;
      const sr2 = s2 * ir2;
      const sr6 = sr2 * sr2 * sr2; // not ** 3: V8 compiles ** to a Math.pow call (6x slower here)
      energy += e4 * (sr6 * sr6 - sr6) - eShift;
      // dphi/dr / r = -24 eps (2 sr12 - sr6) / r^2
      const g = -e24 * (2 * sr6 * sr6 - sr6) * ir2;
      const gx = g * dx, gy = g * dy, gz = g * dz;
      fx += gx;
      fy += gy;
      fz += gz;
      forces[3 * j] = forces[3 * j]! - gx;
      forces[3 * j + 1] = forces[3 * j + 1]! - gy;
      forces[3 * j + 2] = forces[3 * j + 2]! - gz;
    }
    forces[3 * i] = forces[3 * i]! + fx;
    forces[3 * i + 1] = forces[3 * i + 1]! + fy;
    forces[3 * i + 2] = forces[3 * i + 2]! + fz;
  }
  return energy;
}

/** Any combination of forces, per-atom energies and the virial (w: Voigt xx yy zz yz xz xy, overwritten). */
function ljGeneral(
  n: number, x: Float64Array, offsets: Int32Array, neighbors: Int32Array, shifts: Float64Array, k: KernelParams,
  forces: Float64Array | undefined, energies: Float64Array | undefined, w: Float64Array,
): number {
  const rc2 = k[0]!, s2 = k[1]!, e4 = k[2]!, e24 = k[3]!, eShift = k[4]!;
  let energy = 0;
  let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
    let fx = 0, fy = 0, fz = 0;
    for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
      const j = neighbors[p]!;
      const dx = x[3 * j]! + shifts[3 * p]! - xi;
      const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
      const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 >= rc2) continue;
      const ir2 = 1 / r2;
      const sr2 = s2 * ir2;
      const sr6 = sr2 * sr2 * sr2;
      const e = e4 * (sr6 * sr6 - sr6) - eShift;
      energy += e;
      const g = -e24 * (2 * sr6 * sr6 - sr6) * ir2;
      const gx = g * dx, gy = g * dy, gz = g * dz;
      fx += gx;
      fy += gy;
      fz += gz;
      if (forces) {
        forces[3 * j] = forces[3 * j]! - gx;
        forces[3 * j + 1] = forces[3 * j + 1]! - gy;
        forces[3 * j + 2] = forces[3 * j + 2]! - gz;
      }
      if (energies) {
        energies[i] = energies[i]! + 0.5 * e;
        energies[j] = energies[j]! + 0.5 * e;
      }
      wxx += gx * dx; wyy += gy * dy; wzz += gz * dz;
      wyz += gy * dz; wxz += gx * dz; wxy += gx * dy;
    }
    if (forces) {
      forces[3 * i] = forces[3 * i]! + fx;
      forces[3 * i + 1] = forces[3 * i + 1]! + fy;
      forces[3 * i + 2] = forces[3 * i + 2]! + fz;
    }
  }
  w[0] = wxx; w[1] = wyy; w[2] = wzz; w[3] = wyz; w[4] = wxz; w[5] = wxy;
  return energy;
}
