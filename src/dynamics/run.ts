/**
 * A small MD driver: steps an integrator, calls observers at intervals, stops on an abort
 * signal, and keeps the last good frame.
 *
 * Last good frame: before every step the positions, velocities and cell are copied into
 * preallocated buffers (3N + 3N + 9 numbers, a memcpy that costs far less than one force
 * evaluation). If the step throws SimulationBlowUpError, a copy of that frame is attached to the
 * error as `lastGoodFrame` (and returned by `lastGoodFrame()` of the run) so the CLI can write it.
 */
import { SimulationBlowUpError, type Frame } from './errors.js';
import type { Integrator } from './integrator.js';
import { instantaneousPressure, kineticEnergy, temperature, type MDState } from './state.js';
import { EV_PER_A3_TO_GPA } from '../core/units.js';

export interface Observer {
  /** Call every `interval` steps (state.step % interval === 0). */
  interval: number;
  observe(state: MDState): void;
}

export interface RunOptions {
  state: MDState;
  integrator: Integrator;
  /** Number of steps to take. */
  steps: number;
  observers?: readonly Observer[];
  /** Checked before every step; set `aborted` to stop cleanly (e.g. from a UI or SIGINT). */
  signal?: { readonly aborted: boolean };
  /** Observe the starting frame too (default true). */
  observeInitial?: boolean;
  /** Call integrator.init first (default true; pass false when continuing or after restore). */
  init?: boolean;
}

export interface RunResult {
  stepsDone: number;
  aborted: boolean;
}

/** One log row: the columns the CLI writes. */
export interface LogRow {
  step: number;
  time_fs: number;
  epot: number;
  ekin: number;
  temperature_K: number;
  /** NaN when no stress is computed. */
  pressure_GPa: number;
  conserved_eV: number;
}

export function logRow(state: MDState, integrator: Integrator): LogRow {
  const ekin = kineticEnergy(state);
  return {
    step: state.step,
    time_fs: state.timeFs,
    epot: state.energy,
    ekin,
    temperature_K: temperature(state, ekin),
    pressure_GPa: instantaneousPressure(state, ekin) * EV_PER_A3_TO_GPA,
    conserved_eV: integrator.conservedEnergy(state),
  };
}

export function runMD(o: RunOptions): RunResult {
  const { state, integrator } = o;
  const observers = o.observers ?? [];
  for (const ob of observers) {
    if (!(Number.isInteger(ob.interval) && ob.interval > 0)) throw new RangeError(`observer interval must be a positive integer, got ${ob.interval}`);
  }
  if (o.init ?? true) integrator.init(state);
  const s = state.structure;
  const good: Frame = {
    step: state.step,
    timeFs: state.timeFs,
    positions: new Float64Array(s.positions.length),
    velocities: new Float64Array(state.velocities.length),
    cell: new Float64Array(9),
  };
  const notify = () => {
    for (const ob of observers) if (state.step % ob.interval === 0) ob.observe(state);
  };
  if (o.observeInitial ?? true) notify();
  let done = 0;
  for (; done < o.steps; done++) {
    if (o.signal?.aborted) return { stepsDone: done, aborted: true };
    good.positions.set(s.positions);
    good.velocities.set(state.velocities);
    good.cell.set(s.cell);
    good.step = state.step;
    good.timeFs = state.timeFs;
    try {
      integrator.step(state);
    } catch (e) {
      if (e instanceof SimulationBlowUpError) {
        e.lastGoodFrame = { ...good, positions: good.positions.slice(), velocities: good.velocities.slice(), cell: good.cell.slice() };
      }
      throw e;
    }
    notify();
  }
  return { stepsDone: done, aborted: false };
}
