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
    this.name = `lj(epsilon=${p.epsilon},sigma=${p.sigma},cutoff=${this.cutoff})`;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, forces, energies } = prep;
    const x = s.positions;
    const { offsets, neighbors, shifts } = nl;
    const rc2 = this.cutoff * this.cutoff;
    const s2 = this.sigma * this.sigma;
    const e4 = 4 * this.epsilon;
    const e24 = 24 * this.epsilon;
    let energy = 0;
    let wxx = 0, wyy = 0, wzz = 0, wyz = 0, wxz = 0, wxy = 0;
    for (let i = 0; i < s.length; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      let fx = 0, fy = 0, fz = 0, ei = 0;
      for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2) continue;
        const ir2 = 1 / r2;
        const sr6 = (s2 * ir2) ** 3;
        ei += 0.5 * (e4 * (sr6 * sr6 - sr6) - this.eShift);
        // dphi/dr / r = -24 eps (2 sr12 - sr6) / r^2
        const g = -e24 * (2 * sr6 * sr6 - sr6) * ir2;
        fx += g * dx;
        fy += g * dy;
        fz += g * dz;
        // full list: each pair twice, half the virial each time
        wxx += 0.5 * g * dx * dx; wyy += 0.5 * g * dy * dy; wzz += 0.5 * g * dz * dz;
        wyz += 0.5 * g * dy * dz; wxz += 0.5 * g * dx * dz; wxy += 0.5 * g * dx * dy;
      }
      energy += ei;
      if (energies) energies[i] = ei;
      if (forces) {
        forces[3 * i] = fx;
        forces[3 * i + 1] = fy;
        forces[3 * i + 2] = fz;
      }
    }
    return finishResult(this, s, prep, energy, wxx, wyy, wzz, wyz, wxz, wxy);
  }
}
