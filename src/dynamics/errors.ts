/**
 * Errors raised by the dynamics layer.
 */
import { MlpotError } from '../core/errors.js';

/** Why a simulation was stopped as blown up. */
export type BlowUpCause = 'non-finite position' | 'non-finite force' | 'non-finite energy' | 'force above limit' | 'temperature above limit';

/** A copy of the last frame known to be good, so a caller (the CLI) can write it out. */
export interface Frame {
  step: number;
  timeFs: number;
  positions: Float64Array;
  velocities: Float64Array;
  cell: Float64Array;
}

/**
 * An MD step produced NaN/Inf positions, energies or forces, a force above `maxForce`,
 * or a temperature above `maxTemperatureK`. Names the step, the cause and (where it is
 * one atom's fault) the atom. `runMD` attaches the last good frame before rethrowing.
 */
export class SimulationBlowUpError extends MlpotError {
  readonly step: number;
  readonly reason: BlowUpCause;
  /** Offending atom index, or -1 when the cause is global (temperature, energy). */
  readonly atom: number;
  /** Value that triggered the check (force in eV/Å, temperature in K, or NaN). */
  readonly value: number;
  /** Set by `runMD`: the frame before the failing step. */
  lastGoodFrame: Frame | null = null;

  constructor(step: number, cause: BlowUpCause, atom: number, value: number, detail = '') {
    const where = atom >= 0 ? ` on atom ${atom}` : '';
    super('BLOWUP', `simulation blew up at step ${step}: ${cause}${where} (${value})${detail ? `; ${detail}` : ''}`);
    this.name = 'SimulationBlowUpError';
    this.step = step;
    this.reason = cause;
    this.atom = atom;
    this.value = value;
  }
}
