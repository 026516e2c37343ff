/**
 * Observers for `runMD`: a whitespace log table, an extended-XYZ trajectory, and feeders for the
 * analysis accumulators (RDF, MSD, VACF). Output goes through a `write(text)` callback, so these
 * stay browser-safe; the CLI passes a file writer.
 *
 * | column / key     | meaning                                  | source                     |
 * |------------------|------------------------------------------|----------------------------|
 * | step, time_fs    | step number, simulated time (fs)          | `state.step`, `state.timeFs` |
 * | epot, ekin       | potential and kinetic energy (eV)         | `logRow`                   |
 * | temperature_K    | T = 2K / (N_f k_B)                        | `logRow`                   |
 * | pressure_GPa     | virial + kinetic pressure (nan w/o stress) | `logRow`                   |
 * | conserved_eV     | E_pot + K + coupler terms                 | `logRow`                   |
 */
import { ValidationError } from '../core/errors.js';
import { formatExtxyzFrame } from '../io/extxyz.js';
import type { WriteOptions } from '../io/format.js';
import { Structure } from '../structure/structure.js';
import type { MsdAccumulator, RdfAccumulator, VacfAccumulator } from './analysis.js';
import type { Integrator } from './integrator.js';
import { logRow, type Observer } from './run.js';
import type { MDState } from './state.js';

/** Log columns, in order (the header line of `logObserver`). */
export const LOG_HEADER = ['step', 'time_fs', 'epot', 'ekin', 'temperature_K', 'pressure_GPa', 'conserved_eV'] as const;

/** %.10g-like: 10 significant digits, exponent form when needed, nan/inf spelled out; padded to 17 columns. */
export function formatLogNumber(x: number): string {
  let s: string;
  if (Number.isNaN(x)) s = 'nan';
  else if (!Number.isFinite(x)) s = x > 0 ? 'inf' : '-inf';
  else if (x === 0) s = '0';
  else {
    const e = Math.floor(Math.log10(Math.abs(x)));
    s = e < -5 || e >= 10 ? x.toExponential(9) : x.toPrecision(10);
    // strip trailing zeros of the mantissa, as %g does
    s = s.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  }
  return s.padStart(17);
}

function checkInterval(interval: number): number {
  if (!(Number.isInteger(interval) && interval > 0)) throw new ValidationError(`observer interval must be a positive integer number of steps, got ${interval}`);
  return interval;
}

/**
 * Log table: writes the header line once (before the first row), then one row per observed step
 * with the columns of `LOG_HEADER`. `step` is an integer; the others use `formatLogNumber`.
 */
export function logObserver(write: (line: string) => void, interval: number, integrator: Integrator): Observer {
  checkInterval(interval);
  let headed = false;
  return {
    interval,
    observe(state: MDState) {
      if (!headed) {
        write(`${LOG_HEADER[0].padStart(10)}${LOG_HEADER.slice(1).map((h) => h.padStart(17)).join('')}\n`);
        headed = true;
      }
      const r = logRow(state, integrator);
      write(`${String(r.step).padStart(10)}${formatLogNumber(r.time_fs)}${formatLogNumber(r.epot)}${formatLogNumber(r.ekin)}${formatLogNumber(r.temperature_K)}${formatLogNumber(r.pressure_GPa)}${formatLogNumber(r.conserved_eV)}\n`);
    },
  };
}

/**
 * The current MD frame as a new Structure: positions, cell, pbc, `velocities` (Å/fs) and
 * `forces` (eV/Å) per atom, `masses` if the input had them, and `energy` (eV), `step`,
 * `time_fs` in info. Copies, so later steps do not change it.
 */
export function mdFrame(state: MDState): Structure {
  const s = state.structure;
  const out = new Structure({ numbers: s.numbers, positions: s.positions, cell: s.cell, pbc: s.pbc });
  out.info['energy'] = state.energy;
  out.info['step'] = state.step;
  out.info['time_fs'] = state.timeFs;
  out.setArray('velocities', { type: 'float', cols: 3, data: Float64Array.from(state.velocities) });
  out.setArray('forces', { type: 'float', cols: 3, data: Float64Array.from(state.forces) });
  const m = s.arrays['masses'];
  if (m && m.type === 'float') out.setArray('masses', { type: 'float', cols: m.cols, data: m.data.slice() });
  return out;
}

/** Extended-XYZ trajectory: one frame (see `mdFrame`) per observed step, passed to `write`. */
export function trajectoryObserver(write: (frame: string) => void, interval: number, opts: WriteOptions = {}): Observer {
  checkInterval(interval);
  return { interval, observe: (state) => write(formatExtxyzFrame(mdFrame(state), opts)) };
}

/** Feeds every observed frame's structure to an RDF accumulator. */
export function rdfObserver(acc: RdfAccumulator, interval: number): Observer {
  checkInterval(interval);
  return { interval, observe: (state) => acc.add(state.structure) };
}

/**
 * Checks that successive observed frames are `frameIntervalFs` apart (the spacing the MSD/VACF
 * accumulator was created with), so lag times stay right.
 */
function spacingGuard(frameIntervalFs: number, what: string): (state: MDState) => void {
  let last = NaN;
  return (state) => {
    if (!Number.isNaN(last)) {
      const dt = state.timeFs - last;
      if (Math.abs(dt - frameIntervalFs) > 1e-9 * Math.max(1, frameIntervalFs)) {
        throw new ValidationError(`${what} observer: frames are ${dt} fs apart but the accumulator was created with frameIntervalFs = ${frameIntervalFs} fs (interval x timestepFs)`);
      }
    }
    last = state.timeFs;
  };
}

/** Feeds positions to an MSD accumulator (unwrapping is the accumulator's job). */
export function msdObserver(acc: MsdAccumulator, interval: number): Observer {
  checkInterval(interval);
  const guard = spacingGuard(acc.frameIntervalFs, 'MSD');
  return { interval, observe: (state) => { guard(state); acc.add(state.structure); } };
}

/** Feeds velocities (and the structure, for default masses) to a VACF accumulator. */
export function vacfObserver(acc: VacfAccumulator, interval: number): Observer {
  checkInterval(interval);
  const guard = spacingGuard(acc.frameIntervalFs, 'VACF');
  return { interval, observe: (state) => { guard(state); acc.add(state.velocities, state.structure); } };
}
