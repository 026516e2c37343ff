/**
 * Stochastic cell rescaling barostat (Bernetti & Bussi, J. Chem. Phys. 153, 114107, 2020),
 * a coupler for the velocity-Verlet splitting (integrator.ts); compose it with any thermostat.
 *
 * Isotropic. With eps = ln V the cell obeys
 *
 *   d eps = -(beta_T / tau_p)(P_0 - P_int - k_B T / V) dt + sqrt(2 k_B T beta_T / (V tau_p)) dW
 *
 * integrated as in the authors' reference SimpleMD code ("T" scheme) in the variable
 * lambda = sqrt(V), which makes the noise additive:
 *
 *   f        = -2 lambda (P_0 - P_int - k_B T / (2V))
 *   d lambda = (lambda_D / k_B T) f dt + sqrt(2 lambda_D dt) xi,     lambda_D = k_B T beta_T / (4 tau_p)
 *   s        = (1 + d lambda / lambda)^(2/3)      (linear scaling factor, V' = s^3 V)
 *
 * applied in the middle of the step: positions and cell are scaled by s, velocities by 1/s, so
 * the drift becomes x' = s x + (s + 1/s)/2 v dt. P_int = -tr(sigma)/3 + 2K/(3V) uses the
 * virial of the last force evaluation (taken at the start-of-step positions, which the scaling
 * acts on) and the current kinetic energy. The effective energy
 *
 *   H_eff = E_pot + K + P_0 V + W_baro (+ thermostat terms)
 *
 * accumulates, per step, W_baro += [ dl f/2 - (lambda_D / 4kT) dt f^2 + (kT/2) ln V ]_before
 * + [ dl f/2 + (lambda_D / 4kT) dt f^2 - (kT/2) ln V ]_after (f re-evaluated after the new
 * forces); its drift measures the integration error.
 *
 * Anisotropic. Each Cartesian axis a is scaled independently (cell columns, orthorhombic shape
 * kept, no shear coupling), Euler-Maruyama as in GROMACS/LAMMPS `C-rescale` anisotropic:
 *
 *   d ln L_a = -(beta_T / (3 tau_p))(P_0 - P_aa - k_B T / V) dt + sqrt(2 k_B T beta_T dt / (3 V tau_p)) xi_a
 *
 * with P_aa = -sigma_aa + sum_i m_i v_ia^2 / V. Summed over a this is the isotropic equation
 * (same drift and noise of ln V). No effective energy is tracked in this mode (conservedTerm
 * returns NaN).
 *
 * | symbol    | meaning                            | variable                         |
 * |-----------|------------------------------------|----------------------------------|
 * | P_0       | target pressure                    | pressureGPa -> p0 (eV/Å^3)       |
 * | beta_T    | isothermal compressibility         | compressibilityPerGPa -> beta (Å^3/eV) |
 * | tau_p     | barostat relaxation time (fs)      | tauFs                            |
 * | T         | temperature of the noise (K)       | temperatureK                     |
 * | lambda    | sqrt(V)                            | lam                              |
 * | lambda_D  | diffusion coefficient of lambda    | lamD                             |
 * | f         | force on lambda                    | f                                |
 * | W_baro    | accumulated barostat work          | work                             |
 *
 * Fixed atoms are rejected (scaling would move them); the cell must be periodic in 3-D.
 */
import { ValidationError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { EV_PER_A3_TO_GPA, GPA_TO_EV_PER_A3, KB, MV2_TO_EV } from '../core/units.js';
import { volume } from '../structure/cell.js';
import { SimulationBlowUpError } from './errors.js';
import type { Coupler, CouplerState } from './integrator.js';
import { instantaneousPressure, type MDState } from './state.js';

export interface CellRescaleOptions {
  pressureGPa: number;
  temperatureK: number;
  /** Barostat relaxation time tau_p (fs). */
  tauFs: number;
  /** Isothermal compressibility beta_T in 1/GPa (default 0.45/GPa = 4.5e-5/bar, water's). */
  compressibilityPerGPa?: number;
  /** 'isotropic' (default) or 'anisotropic' (independent x, y, z). */
  mode?: 'isotropic' | 'anisotropic';
}

export function stochasticCellRescaling(o: CellRescaleOptions): Coupler {
  if (!Number.isFinite(o.pressureGPa)) throw new ValidationError(`barostat: pressureGPa must be finite, got ${o.pressureGPa}`);
  if (!(o.temperatureK > 0) || !Number.isFinite(o.temperatureK)) throw new ValidationError(`barostat: temperatureK must be > 0, got ${o.temperatureK}`);
  if (!(o.tauFs > 0) || !Number.isFinite(o.tauFs)) throw new ValidationError(`barostat: tauFs must be > 0, got ${o.tauFs}`);
  const betaGPa = o.compressibilityPerGPa ?? 0.45;
  if (!(betaGPa > 0) || !Number.isFinite(betaGPa)) throw new ValidationError(`barostat: compressibilityPerGPa must be > 0, got ${betaGPa}`);
  const mode = o.mode ?? 'isotropic';
  if (mode !== 'isotropic' && mode !== 'anisotropic') throw new ValidationError(`barostat: mode must be 'isotropic' or 'anisotropic', got ${String(mode)}`);
  const p0 = o.pressureGPa * GPA_TO_EV_PER_A3;
  const beta = betaGPa * EV_PER_A3_TO_GPA; // Å^3/eV
  const tau = o.tauFs;
  const kT = KB * o.temperatureK;
  const lamD = (kT * beta) / (4 * tau);
  let rng: Rng | null = null;
  let work = 0;
  let dLam = 0;
  let dtStep = 0;
  const mu = new Float64Array(3);

  const forceOnLambda = (state: MDState, v: number) => {
    const pint = instantaneousPressure(state);
    return -2 * Math.sqrt(v) * (p0 - pint - (0.5 * kT) / v);
  };

  return {
    kind: `c-rescale-${mode}`,
    needsStress: true,
    init(state, ctx) {
      if (!ctx.rng) throw new ValidationError('barostat is stochastic: pass an rng to the integrator');
      rng = ctx.rng;
      if (state.nFree !== state.structure.length) throw new ValidationError('barostat: fixed atoms are not supported with NPT (cell scaling would move them); remove the constraint');
      const pbc = state.structure.pbc;
      if (!(pbc[0] && pbc[1] && pbc[2])) throw new ValidationError('barostat: the cell must be periodic in all three directions');
    },
    middle(state, dt) {
      const s = state.structure;
      const x = s.positions, v = state.velocities, cell = s.cell;
      const vol = volume(cell);
      if (!state.stress) throw new ValidationError('barostat: no stress available (the engine was not asked for it)');
      if (mode === 'isotropic') {
        const lam = Math.sqrt(vol);
        const f = forceOnLambda(state, vol);
        dLam = (lamD / kT) * f * dt + Math.sqrt(2 * lamD * dt) * rng!.normal();
        dtStep = dt;
        const ratio = 1 + dLam / lam;
        if (!(ratio > 0) || !Number.isFinite(ratio)) throw new SimulationBlowUpError(state.step + 1, 'non-finite position', -1, ratio, 'barostat collapsed the cell');
        const sc = Math.cbrt(ratio * ratio);
        work += 0.5 * dLam * f - ((0.25 * lamD) / kT) * dt * f * f + 0.5 * kT * Math.log(vol);
        for (let k = 0; k < x.length; k++) x[k] = x[k]! * sc;
        for (let k = 0; k < 9; k++) cell[k] = cell[k]! * sc;
        const iv = 1 / sc;
        for (let k = 0; k < v.length; k++) v[k] = v[k]! * iv;
        return;
      }
      // anisotropic
      const st = state.stress, m = state.masses;
      const noise = Math.sqrt((2 * kT * beta * dt) / (3 * vol * tau));
      for (let a = 0; a < 3; a++) {
        let mv2 = 0;
        for (let i = 0; i < m.length; i++) mv2 += m[i]! * v[3 * i + a]! * v[3 * i + a]!;
        const paa = -st[a]! + (mv2 * MV2_TO_EV) / vol;
        const dln = -((beta * dt) / (3 * tau)) * (p0 - paa - kT / vol) + noise * rng!.normal();
        mu[a] = Math.exp(dln);
      }
      for (let i = 0; i < x.length; i += 3) {
        for (let a = 0; a < 3; a++) {
          x[i + a] = x[i + a]! * mu[a]!;
          v[i + a] = v[i + a]! / mu[a]!;
        }
      }
      for (let r = 0; r < 3; r++) for (let a = 0; a < 3; a++) cell[3 * r + a] = cell[3 * r + a]! * mu[a]!;
    },
    afterForces(state) {
      if (mode !== 'isotropic') return;
      const vol = volume(state.structure.cell);
      const f = forceOnLambda(state, vol);
      work += 0.5 * dLam * f + ((0.25 * lamD) / kT) * dtStep * f * f - 0.5 * kT * Math.log(vol);
    },
    conservedTerm(state) {
      if (mode !== 'isotropic') return NaN;
      return p0 * volume(state.structure.cell) + work;
    },
    getState: () => ({ kind: `c-rescale-${mode}`, work, dLam, dtStep }),
    setState(s: CouplerState) {
      work = s['work'] as number;
      dLam = s['dLam'] as number;
      dtStep = s['dtStep'] as number;
    },
  };
}
