/**
 * Velocity-Verlet integrator with couplers (thermostats, barostats) composed in by a symmetric
 * Trotter splitting. One step of length dt is
 *
 *   C_half(dt/2) ; B(dt/2) ; A(dt/2) ; C_middle(dt) ; A(dt/2) ; F ; C_afterForces ; B(dt/2) ; C_half(dt/2)
 *
 *   B(h): v_i <- v_i + h F_i / m_i        (kick; `kick`)
 *   A(h): x_i <- x_i + h v_i              (drift; `drift`)
 *   F:    forces (and stress when a coupler needs it) at the new positions/cell
 *
 * Couplers run in list order before the first kick and in reverse order after the last, so the
 * step stays symmetric (time reversible for deterministic couplers). With no coupler this is
 * plain NVE velocity Verlet, whose energy error is O(dt^2).
 *
 * | symbol | meaning                         | variable                           |
 * |--------|---------------------------------|------------------------------------|
 * | dt     | timestep (fs)                   | timestepFs                         |
 * | F_i    | force (eV/Å)                    | state.forces[3i..]                 |
 * | 1/m_i  | in Å/fs^2 per eV/Å              | state.invMassAccel[i] (0 if fixed) |
 *
 * Safety: after the drift the positions are checked for NaN/Inf, after the force evaluation
 * the energy and forces (NaN/Inf, |F_i| > maxForce) and at the end of the step the temperature
 * (> maxTemperatureK); a failure throws SimulationBlowUpError naming the step, cause and atom.
 * The step never allocates.
 */
import { ValidationError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { SimulationBlowUpError } from './errors.js';
import type { ForceEngine } from './forces.js';
import { kineticEnergy, temperature, type MDState } from './state.js';

/** JSON-able coupler state for checkpoints. */
export type CouplerState = Record<string, number | number[] | string | boolean | null>;

/** Everything a coupler may need at init. */
export interface CouplerContext {
  engine: ForceEngine;
  /** Shared random stream (stochastic couplers); checkpointed with the run. */
  rng: Rng | null;
  timestepFs: number;
}

/**
 * A thermostat or barostat: implements only the parts of the splitting it needs.
 * `half` is called twice per step with h = dt/2, `middle` once with dt between the drifts.
 */
export interface Coupler {
  readonly kind: string;
  /** The coupler needs the stress at every force evaluation (barostats). */
  readonly needsStress?: boolean;
  init(state: MDState, ctx: CouplerContext): void;
  half?(state: MDState, hFs: number): void;
  middle?(state: MDState, dtFs: number): void;
  afterForces?(state: MDState): void;
  /** Energy (eV) to add to E_pot + K to obtain the conserved (effective) energy. */
  conservedTerm?(state: MDState): number;
  getState(): CouplerState;
  setState(s: CouplerState): void;
}

export interface IntegratorOptions {
  engine: ForceEngine;
  timestepFs: number;
  couplers?: readonly Coupler[];
  /** Random stream for stochastic couplers (required if any is stochastic). */
  rng?: Rng;
  /** Largest allowed |F_i| in eV/Å (default 1e3). */
  maxForce?: number;
  /** Largest allowed instantaneous temperature in K (default 1e5). */
  maxTemperatureK?: number;
  /** Compute the stress at every step even if no coupler needs it (for logging pressure). */
  stress?: boolean;
}

export interface Integrator {
  readonly timestepFs: number;
  readonly engine: ForceEngine;
  readonly couplers: readonly Coupler[];
  /** Evaluate forces at the current positions and initialise the couplers. */
  init(state: MDState): void;
  /** Advance one step. */
  step(state: MDState): void;
  /** E_pot + K + sum of coupler terms (eV). */
  conservedEnergy(state: MDState): number;
}

/** v <- v + h F / m for every atom (h in fs). Shared with FIRE. */
export function kick(v: Float64Array, f: Float64Array, invMassAccel: Float64Array, hFs: number): void {
  const n = invMassAccel.length;
  for (let i = 0; i < n; i++) {
    const c = hFs * invMassAccel[i]!;
    v[3 * i] = v[3 * i]! + c * f[3 * i]!;
    v[3 * i + 1] = v[3 * i + 1]! + c * f[3 * i + 1]!;
    v[3 * i + 2] = v[3 * i + 2]! + c * f[3 * i + 2]!;
  }
}

/** x <- x + h v (h in fs). */
export function drift(x: Float64Array, v: Float64Array, hFs: number): void {
  for (let k = 0; k < x.length; k++) x[k] = x[k]! + hFs * v[k]!;
}

/** Build a velocity-Verlet integrator with the given couplers. */
export function velocityVerlet(opts: IntegratorOptions): Integrator {
  const dt = opts.timestepFs;
  if (!(dt > 0) || !Number.isFinite(dt)) throw new ValidationError(`timestep must be a positive number of fs, got ${dt}`);
  const engine = opts.engine;
  const couplers = [...(opts.couplers ?? [])];
  const maxForce = opts.maxForce ?? 1e3;
  const maxT = opts.maxTemperatureK ?? 1e5;
  const wantStress = !!opts.stress || couplers.some((c) => c.needsStress);
  const h = 0.5 * dt;
  const evalOpts = { stress: wantStress };

  const checkForces = (state: MDState) => {
    if (!Number.isFinite(state.energy)) throw new SimulationBlowUpError(state.step, 'non-finite energy', -1, state.energy);
    const f = state.forces;
    const lim2 = maxForce * maxForce;
    for (let i = 0; i < f.length / 3; i++) {
      const fx = f[3 * i]!, fy = f[3 * i + 1]!, fz = f[3 * i + 2]!;
      const f2 = fx * fx + fy * fy + fz * fz;
      if (!Number.isFinite(f2)) throw new SimulationBlowUpError(state.step, 'non-finite force', i, f2);
      if (f2 > lim2) throw new SimulationBlowUpError(state.step, 'force above limit', i, Math.sqrt(f2), `maxForce is ${maxForce} eV/Å`);
    }
  };
  const checkPositions = (state: MDState) => {
    const x = state.structure.positions;
    for (let k = 0; k < x.length; k++) {
      if (!Number.isFinite(x[k]!)) throw new SimulationBlowUpError(state.step, 'non-finite position', Math.floor(k / 3), x[k]!);
    }
  };
  const checkTemperature = (state: MDState) => {
    const t = temperature(state, kineticEnergy(state));
    if (!(t <= maxT)) throw new SimulationBlowUpError(state.step, 'temperature above limit', -1, t, `maxTemperatureK is ${maxT} K`);
  };

  return {
    timestepFs: dt,
    engine,
    couplers,
    init(state) {
      const ctx: CouplerContext = { engine, rng: opts.rng ?? null, timestepFs: dt };
      for (const c of couplers) c.init(state, ctx);
      checkPositions(state);
      engine.evaluate(state, evalOpts);
      checkForces(state);
    },
    step(state) {
      const x = state.structure.positions, v = state.velocities;
      for (let c = 0; c < couplers.length; c++) couplers[c]!.half?.(state, h);
      kick(v, state.forces, state.invMassAccel, h);
      drift(x, v, h);
      for (let c = 0; c < couplers.length; c++) couplers[c]!.middle?.(state, dt);
      drift(x, v, h);
      // the step number names the step being taken (state.step + 1) in errors
      state.step++;
      checkPositions(state);
      engine.evaluate(state, evalOpts);
      checkForces(state);
      for (let c = 0; c < couplers.length; c++) couplers[c]!.afterForces?.(state);
      kick(v, state.forces, state.invMassAccel, h);
      for (let c = couplers.length - 1; c >= 0; c--) couplers[c]!.half?.(state, h);
      state.timeFs += dt;
      checkTemperature(state);
    },
    conservedEnergy(state) {
      let e = state.energy + kineticEnergy(state);
      for (const c of couplers) if (c.conservedTerm) e += c.conservedTerm(state);
      return e;
    },
  };
}
