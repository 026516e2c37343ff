/**
 * Thermostats as couplers of the velocity-Verlet splitting (see integrator.ts).
 *
 * All three keep a running "thermostat work" so that a conserved (effective) energy can be
 * logged: E_eff = E_pot + K + sum of coupler terms. For Langevin and Bussi the term is minus
 * the kinetic energy the thermostat has injected so far; for Nose-Hoover chains it is the
 * chain's own energy.
 *
 * Shared symbols:
 * | symbol | meaning                        | variable                    |
 * |--------|--------------------------------|-----------------------------|
 * | T_0    | target temperature (K)         | temperatureK                |
 * | k_B T  | eV                             | kT                          |
 * | N_f    | kinetic degrees of freedom     | state.dof                   |
 * | K      | kinetic energy (eV)            | kineticEnergy(state)        |
 * | W      | accumulated thermostat work    | work (eV, K gained from bath)|
 */
import { ValidationError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { KB } from '../core/units.js';
import type { Coupler, CouplerContext, CouplerState } from './integrator.js';
import { kineticEnergy } from './state.js';

function positive(name: string, v: number | undefined): number {
  if (v === undefined || !(v > 0) || !Number.isFinite(v)) throw new ValidationError(`${name} must be a positive finite number, got ${v}`);
  return v;
}

function needRng(kind: string, ctx: CouplerContext): Rng {
  if (!ctx.rng) throw new ValidationError(`${kind} is stochastic: pass an rng to the integrator`);
  return ctx.rng;
}

function scaleVelocities(v: Float64Array, f: number): void {
  for (let k = 0; k < v.length; k++) v[k] = v[k]! * f;
}

// ---------------------------------------------------------------------------------------------

export interface LangevinOptions {
  temperatureK: number;
  /** Friction gamma in 1/fs; or give `tauFs` = 1/gamma. */
  frictionPerFs?: number;
  tauFs?: number;
}

/**
 * Langevin dynamics, BAOAB splitting (Leimkuhler & Matthews 2013): the O step sits in the
 * middle of the step, between the two drifts:
 *
 *   O(dt): v_i <- c1 v_i + sqrt((1 - c1^2) k_B T / m_i) xi_i,   c1 = exp(-gamma dt),  xi ~ N(0, 1)
 *
 * | symbol  | meaning             | variable                          |
 * |---------|---------------------|-----------------------------------|
 * | gamma   | friction (1/fs)     | gamma                             |
 * | c1      | exp(-gamma dt)      | c1                                |
 * | kT/m_i  | Å^2/fs^2            | kT * state.invMassAccel[i]        |
 *
 * Per-atom masses are respected through invMassAccel; fixed atoms get no noise. The centre of
 * mass is thermalised, so N_f = 3 N_free (set at init). Conserved term: -W, where W sums the
 * kinetic-energy change of every O step.
 */
export function langevin(o: LangevinOptions): Coupler {
  const tK = o.temperatureK;
  if (!(tK >= 0) || !Number.isFinite(tK)) throw new ValidationError(`langevin: temperatureK must be >= 0, got ${tK}`);
  const gamma = o.frictionPerFs !== undefined ? positive('langevin: frictionPerFs', o.frictionPerFs) : 1 / positive('langevin: tauFs (or frictionPerFs)', o.tauFs);
  const kT = KB * tK;
  let rng: Rng | null = null;
  let c1 = 0, c2 = 0, dtInit = 0;
  let work = 0;
  return {
    kind: 'langevin',
    init(state, ctx) {
      rng = needRng('langevin', ctx);
      dtInit = ctx.timestepFs;
      c1 = Math.exp(-gamma * dtInit);
      c2 = Math.sqrt((1 - c1 * c1) * kT);
      state.dof = 3 * state.nFree;
    },
    middle(state, dt) {
      if (dt !== dtInit) {
        dtInit = dt;
        c1 = Math.exp(-gamma * dt);
        c2 = Math.sqrt((1 - c1 * c1) * kT);
      }
      const v = state.velocities, inv = state.invMassAccel, r = rng!;
      const k0 = kineticEnergy(state);
      for (let i = 0; i < inv.length; i++) {
        const s = c2 * Math.sqrt(inv[i]!);
        v[3 * i] = c1 * v[3 * i]! + s * r.normal();
        v[3 * i + 1] = c1 * v[3 * i + 1]! + s * r.normal();
        v[3 * i + 2] = c1 * v[3 * i + 2]! + s * r.normal();
      }
      work += kineticEnergy(state) - k0;
    },
    conservedTerm: () => -work,
    getState: () => ({ kind: 'langevin', work }),
    setState(s: CouplerState) {
      work = s['work'] as number;
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Gamma(shape, 1) deviate (Marsaglia & Tsang 2000; shape < 1 by the U^(1/a) boost). */
export function gammaDeviate(shape: number, rng: Rng): number {
  if (shape < 1) return gammaDeviate(shape + 1, rng) * Math.pow(rng.uniform() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Sum of n squared standard normals (chi-square with n degrees of freedom). */
export function sumOfSquaredNormals(n: number, rng: Rng): number {
  if (n <= 0) return 0;
  if (n === 1) {
    const r = rng.normal();
    return r * r;
  }
  if (n % 2 === 0) return 2 * gammaDeviate(n / 2, rng);
  const r = rng.normal();
  return 2 * gammaDeviate((n - 1) / 2, rng) + r * r;
}

export interface BussiOptions {
  temperatureK: number;
  /** Relaxation time of the kinetic energy (fs). */
  tauFs: number;
}

/**
 * Stochastic velocity rescaling (Bussi, Donadio & Parrinello, J. Chem. Phys. 126, 014101, 2007).
 * Each outer half step h resamples the kinetic energy exactly from the Ornstein-Uhlenbeck
 * process of K, and rescales all velocities by alpha = sqrt(K'/K):
 *
 *   K' = K + (1 - c)(K_0 (R_1^2 + S_{N_f-1}) / N_f - K) + 2 R_1 sqrt(c (1 - c) K K_0 / N_f),
 *   c = exp(-h / tau),  K_0 = N_f k_B T / 2,  R_1 ~ N(0,1),  S_n ~ chi^2_n = 2 Gamma(n/2)
 *
 * | symbol  | meaning                 | variable |
 * |---------|-------------------------|----------|
 * | tau     | coupling time (fs)      | tauFs    |
 * | K_0     | target kinetic energy   | k0       |
 * | R_1     | normal deviate          | r1       |
 * | S       | chi-square deviate      | s        |
 *
 * Conserved quantity: E_pot + K - W, with W the sum of K' - K over all rescalings.
 * Rescaling preserves zero total momentum, so N_f = 3 N - 3 without fixed atoms.
 */
export function bussi(o: BussiOptions): Coupler {
  const tK = o.temperatureK;
  if (!(tK >= 0) || !Number.isFinite(tK)) throw new ValidationError(`bussi: temperatureK must be >= 0, got ${tK}`);
  const tau = positive('bussi: tauFs', o.tauFs);
  const kT = KB * tK;
  let rng: Rng | null = null;
  let work = 0;
  return {
    kind: 'bussi',
    init(_state, ctx) {
      rng = needRng('bussi', ctx);
    },
    half(state, h) {
      const nf = state.dof;
      if (nf <= 0) return;
      const k = kineticEnergy(state);
      if (!(k > 0)) return;
      const k0 = 0.5 * nf * kT;
      const c = Math.exp(-h / tau);
      const r = rng!;
      const r1 = r.normal();
      const s = sumOfSquaredNormals(nf - 1, r);
      const kNew = k + (1 - c) * ((k0 * (r1 * r1 + s)) / nf - k) + 2 * r1 * Math.sqrt((c * (1 - c) * k * k0) / nf);
      const alpha = Math.sqrt(Math.max(kNew, 0) / k);
      scaleVelocities(state.velocities, alpha);
      work += alpha * alpha * k - k;
    },
    conservedTerm: () => -work,
    getState: () => ({ kind: 'bussi', work }),
    setState(s: CouplerState) {
      work = s['work'] as number;
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Suzuki-Yoshida weights of order 1, 3, 5, 7 (Tuckerman's book, Table 4.? / MTK 1996). */
export const SUZUKI_YOSHIDA: Readonly<Record<number, readonly number[]>> = {
  1: [1],
  3: (() => {
    const w = 1 / (2 - Math.cbrt(2));
    return [w, 1 - 2 * w, w];
  })(),
  5: (() => {
    const w = 1 / (4 - Math.cbrt(4));
    return [w, w, 1 - 4 * w, w, w];
  })(),
  7: (() => {
    const w1 = 0.784513610477560, w2 = 0.235573213359357, w3 = -1.17767998417887;
    const w4 = 1 - 2 * (w1 + w2 + w3);
    return [w1, w2, w3, w4, w3, w2, w1];
  })(),
};

export interface NoseHooverChainOptions {
  temperatureK: number;
  /** Thermostat period (fs); masses Q_1 = N_f k_B T tau^2, Q_j = k_B T tau^2. */
  tauFs: number;
  /** Chain length M (default 3). */
  chainLength?: number;
  /** Suzuki-Yoshida order: 1, 3, 5 or 7 (default 3). */
  syOrder?: number;
  /** Multiple time steps n_c per half step (default 1). */
  multipleSteps?: number;
}

/**
 * Nose-Hoover chains, Martyna-Tuckerman-Klein (J. Chem. Phys. 97, 2635, 1992) with the
 * Suzuki-Yoshida / multiple-time-step factorisation of Martyna, Tuckerman, Tobias & Klein
 * (Mol. Phys. 87, 1117, 1996). Each outer half step h applies exp(iL_NHC h), split into
 * n_c x n_SY sub-steps of length delta = w_k h / n_c:
 *
 *   G_1 = (2K - N_f k_B T)/Q_1,   G_j = (Q_{j-1} v_{j-1}^2 - k_B T)/Q_j
 *   v_M += G_M delta/2
 *   v_j  = (v_j e + G_j delta/2) e,  e = exp(-v_{j+1} delta/4)      j = M-1 .. 1
 *   velocities *= exp(-v_1 delta);  K *= exp(-2 v_1 delta)
 *   xi_j += v_j delta
 *   (then the v_j updates again in order j = 1 .. M-1, and v_M)
 *
 * Conserved quantity: E_pot + K + sum_j Q_j v_j^2 / 2 + N_f k_B T xi_1 + k_B T sum_{j>1} xi_j.
 *
 * | symbol | meaning                    | variable   |
 * |--------|----------------------------|------------|
 * | xi_j   | chain positions            | xi[j]      |
 * | v_j    | chain velocities (1/fs)    | vxi[j]     |
 * | Q_j    | chain masses (eV fs^2)     | q[j]       |
 * | G_j    | chain forces (1/fs^2)      | g[j]       |
 * | w_k    | Suzuki-Yoshida weights     | weights    |
 * | n_c    | multiple steps             | nc         |
 */
export function noseHooverChain(o: NoseHooverChainOptions): Coupler {
  const tK = o.temperatureK;
  if (!(tK > 0) || !Number.isFinite(tK)) throw new ValidationError(`nose-hoover: temperatureK must be > 0, got ${tK}`);
  const tau = positive('nose-hoover: tauFs', o.tauFs);
  const m = o.chainLength ?? 3;
  if (!Number.isInteger(m) || m < 1) throw new ValidationError(`nose-hoover: chainLength must be an integer >= 1, got ${m}`);
  const weights = SUZUKI_YOSHIDA[o.syOrder ?? 3];
  if (!weights) throw new ValidationError(`nose-hoover: syOrder must be 1, 3, 5 or 7, got ${o.syOrder}`);
  const nc = o.multipleSteps ?? 1;
  if (!Number.isInteger(nc) || nc < 1) throw new ValidationError(`nose-hoover: multipleSteps must be an integer >= 1, got ${nc}`);
  const kT = KB * tK;
  const xi = new Float64Array(m), vxi = new Float64Array(m), q = new Float64Array(m), g = new Float64Array(m);
  let nf = 0;
  return {
    kind: 'nose-hoover-chain',
    init(state) {
      nf = state.dof;
      if (nf <= 0) throw new ValidationError('nose-hoover: the system has no kinetic degrees of freedom');
      q[0] = nf * kT * tau * tau;
      for (let j = 1; j < m; j++) q[j] = kT * tau * tau;
    },
    half(state, h) {
      let k2 = 2 * kineticEnergy(state);
      let scale = 1;
      for (let ic = 0; ic < nc; ic++) {
        for (let iw = 0; iw < weights.length; iw++) {
          const d = (weights[iw]! * h) / nc;
          g[0] = (k2 - nf * kT) / q[0]!;
          for (let j = 1; j < m; j++) g[j] = (q[j - 1]! * vxi[j - 1]! * vxi[j - 1]! - kT) / q[j]!;
          vxi[m - 1] = vxi[m - 1]! + 0.5 * d * g[m - 1]!;
          for (let j = m - 2; j >= 0; j--) {
            const e = Math.exp(-0.25 * d * vxi[j + 1]!);
            vxi[j] = (vxi[j]! * e + 0.5 * d * g[j]!) * e;
          }
          const s = Math.exp(-d * vxi[0]!);
          scale *= s;
          k2 *= s * s;
          for (let j = 0; j < m; j++) xi[j] = xi[j]! + d * vxi[j]!;
          g[0] = (k2 - nf * kT) / q[0]!;
          for (let j = 0; j < m - 1; j++) {
            const e = Math.exp(-0.25 * d * vxi[j + 1]!);
            vxi[j] = (vxi[j]! * e + 0.5 * d * g[j]!) * e;
            g[j + 1] = (q[j]! * vxi[j]! * vxi[j]! - kT) / q[j + 1]!;
          }
          vxi[m - 1] = vxi[m - 1]! + 0.5 * d * g[m - 1]!;
        }
      }
      scaleVelocities(state.velocities, scale);
    },
    conservedTerm() {
      let e = nf * kT * xi[0]!;
      for (let j = 0; j < m; j++) e += 0.5 * q[j]! * vxi[j]! * vxi[j]!;
      for (let j = 1; j < m; j++) e += kT * xi[j]!;
      return e;
    },
    getState: () => ({ kind: 'nose-hoover-chain', xi: Array.from(xi), vxi: Array.from(vxi) }),
    setState(s: CouplerState) {
      xi.set(s['xi'] as number[]);
      vxi.set(s['vxi'] as number[]);
    },
  };
}
