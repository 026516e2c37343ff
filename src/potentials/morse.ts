/**
 * Morse pair potential, truncated and shifted (LAMMPS pair_style morse with pair_modify shift yes):
 *
 *   phi(r) = D0 [exp(-2 alpha (r - r0)) - 2 exp(-alpha (r - r0))] - phi_M(r_c)   for r < r_c, else 0
 *   E = sum_{i<j} phi(r_ij)
 *   dphi/dr = -2 alpha D0 [exp(-2 alpha (r - r0)) - exp(-alpha (r - r0))]
 *
 * | symbol | variable  | unit  |
 * |--------|-----------|-------|
 * | D0     | D0        | eV    |
 * | alpha  | alpha     | 1/Å   |
 * | r0     | r0        | Å     |
 * | r_c    | cutoff    | Å     |
 * | e      | `dexp` = exp(-alpha (r - r0)) |  |
 *
 * With `shift: false` the energy jumps at r_c (plain truncation); forces are the same.
 * Parameters are global: every element pair interacts the same way.
 */
import { ValidationError } from '../core/errors.js';
import type { Structure } from '../structure/structure.js';
import { finishResult, prepare } from './prepare.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from './potential.js';

export interface MorseParams {
  /** Well depth (eV). */
  D0: number;
  /** Width parameter (1/Å). */
  alpha: number;
  /** Equilibrium distance (Å). */
  r0: number;
  /** Cutoff (Å). */
  cutoff: number;
  /** Shift the energy to zero at the cutoff. Default true. */
  shift?: boolean;
}

export class Morse implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities = { forces: true, stress: true, energies: true, uncertainty: false };
  readonly D0: number;
  readonly alpha: number;
  readonly r0: number;
  readonly shift: boolean;
  private readonly eShift: number;

  constructor(p: MorseParams) {
    for (const [k, v] of Object.entries({ D0: p.D0, alpha: p.alpha, r0: p.r0, cutoff: p.cutoff })) {
      if (!(Number.isFinite(v) && v > 0)) throw new ValidationError(`morse: ${k} must be a positive number, got ${v}`);
    }
    this.D0 = p.D0;
    this.alpha = p.alpha;
    this.r0 = p.r0;
    this.cutoff = p.cutoff;
    this.shift = p.shift ?? true;
    const e = Math.exp(-p.alpha * (p.cutoff - p.r0));
    this.eShift = this.shift ? p.D0 * (e * e - 2 * e) : 0;
    this.name = `morse(D0=${p.D0},alpha=${p.alpha},r0=${p.r0},cutoff=${p.cutoff})`;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const prep = prepare(this, s, request, ctx);
    const { nl, forces, energies } = prep;
    const x = s.positions;
    const { offsets, neighbors, shifts } = nl;
    const rc2 = this.cutoff * this.cutoff;
    const { D0, alpha, r0, eShift } = this;
    const morse1 = 2 * D0 * alpha;
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
        const r = Math.sqrt(r2);
        const dexp = Math.exp(-alpha * (r - r0));
        ei += 0.5 * (D0 * (dexp * dexp - 2 * dexp) - eShift);
        // g = (dphi/dr) / r
        const g = (-morse1 * (dexp * dexp - dexp)) / r;
        fx += g * dx;
        fy += g * dy;
        fz += g * dz;
        const hg = 0.5 * g;
        wxx += hg * dx * dx; wyy += hg * dy * dy; wzz += hg * dz * dz;
        wyz += hg * dy * dz; wxz += hg * dx * dz; wxy += hg * dx * dy;
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
