/**
 * MDState: the plain data an MD integrator advances. No behaviour lives here except small
 * observables (kinetic energy, temperature, pressure) and the Maxwell-Boltzmann initialiser.
 *
 * Units: positions Å, velocities Å/fs, masses amu, forces eV/Å, energy eV, stress eV/Å^3
 * (ASE sign: sigma = (1/V) dE/d eps, positive = tensile), time fs, temperature K.
 *
 * | symbol | meaning                                  | variable                  |
 * |--------|------------------------------------------|---------------------------|
 * | x_i    | position of atom i (Å)                   | structure.positions[3i..] |
 * | v_i    | velocity (Å/fs)                          | velocities[3i..]          |
 * | m_i    | mass (amu), isotopes honoured            | masses[i]                 |
 * | c/m_i  | acceleration per force, Å/fs^2 per eV/Å  | invMassAccel[i] (0 fixed) |
 * | N_f    | kinetic degrees of freedom               | dof                       |
 *
 * Degrees of freedom. A fixed atom contributes none. When no atom is fixed and the dynamics
 * conserves total momentum (NVE, Bussi, Nose-Hoover, the barostat) the centre-of-mass motion is
 * removed at start and stays zero, so N_f = 3 N_free - 3. With fixed atoms the momentum is not
 * conserved (the fixed atoms exert forces), and Langevin dynamics thermalises the centre of
 * mass, so there N_f = 3 N_free (Langevin's init sets this). T = 2 K / (N_f k_B).
 */
import { ValidationError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { ACCEL_TO_A_PER_FS2, KB, MV2_TO_EV } from '../core/units.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';

export interface MDState {
  /** Positions and cell are updated in place. */
  readonly structure: Structure;
  /** Å/fs, 3N. */
  readonly velocities: Float64Array;
  /** amu, N (from structure.masses()). */
  readonly masses: Float64Array;
  /** ACCEL_TO_A_PER_FS2 / m_i, or 0 for fixed atoms (so kicks leave them at rest). */
  readonly invMassAccel: Float64Array;
  /** eV/Å, 3N (zero on fixed atoms). */
  readonly forces: Float64Array;
  /** Potential energy (eV). */
  energy: number;
  /** Voigt stress xx yy zz yz xz xy (eV/Å^3), or null when not computed. */
  stress: Float64Array | null;
  step: number;
  timeFs: number;
  /** 1 = atom held fixed (zero velocity, no force-driven motion). */
  readonly fixed: Uint8Array;
  /** Number of non-fixed atoms. */
  readonly nFree: number;
  /** Kinetic degrees of freedom N_f (see module doc). */
  dof: number;
}

export interface CreateStateOptions {
  /** Indices of atoms to hold fixed, or a 0/1 mask of length N. */
  fixed?: readonly number[] | Uint8Array;
  /** Initial velocities (Å/fs, 3N); default zero. */
  velocities?: ArrayLike<number>;
}

/** A fresh state over `structure` (not copied: the integrator moves its atoms). Forces are zero until an integrator's init evaluates them. */
export function createState(structure: Structure, opts: CreateStateOptions = {}): MDState {
  const n = structure.length;
  if (n === 0) throw new ValidationError('cannot run dynamics on a structure with no atoms');
  const masses = structure.masses();
  const fixed = new Uint8Array(n);
  if (opts.fixed instanceof Uint8Array) {
    if (opts.fixed.length !== n) throw new ValidationError(`fixed mask has ${opts.fixed.length} entries; expected one per atom (${n})`);
    fixed.set(opts.fixed);
  } else if (opts.fixed) {
    for (const i of opts.fixed) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new ValidationError(`fixed atom index ${i} is out of range 0..${n - 1}`);
      fixed[i] = 1;
    }
  }
  const invMassAccel = new Float64Array(n);
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    const m = masses[i]!;
    if (!(m > 0) || !Number.isFinite(m)) throw new ValidationError(`atom ${i} has mass ${m} amu; masses must be positive`);
    if (!fixed[i]) {
      invMassAccel[i] = ACCEL_TO_A_PER_FS2 / m;
      nFree++;
    }
  }
  const velocities = new Float64Array(3 * n);
  if (opts.velocities) {
    if (opts.velocities.length !== 3 * n) throw new ValidationError(`velocities has ${opts.velocities.length} values; expected 3 x ${n}`);
    velocities.set(opts.velocities);
    for (let i = 0; i < n; i++) if (fixed[i]) velocities[3 * i] = velocities[3 * i + 1] = velocities[3 * i + 2] = 0;
  }
  const anyFixed = nFree < n;
  return {
    structure,
    velocities,
    masses,
    invMassAccel,
    forces: new Float64Array(3 * n),
    energy: 0,
    stress: null,
    step: 0,
    timeFs: 0,
    fixed,
    nFree,
    dof: anyFixed || nFree < 2 ? 3 * nFree : 3 * nFree - 3,
  };
}

/** Kinetic energy K = 1/2 sum m v^2 (eV). */
export function kineticEnergy(state: MDState): number {
  const v = state.velocities, m = state.masses;
  let s = 0;
  for (let i = 0; i < m.length; i++) {
    const vx = v[3 * i]!, vy = v[3 * i + 1]!, vz = v[3 * i + 2]!;
    s += m[i]! * (vx * vx + vy * vy + vz * vz);
  }
  return 0.5 * s * MV2_TO_EV;
}

/** Instantaneous temperature T = 2 K / (N_f k_B) in K (0 when N_f = 0). */
export function temperature(state: MDState, kineticEV = kineticEnergy(state)): number {
  return state.dof > 0 ? (2 * kineticEV) / (state.dof * KB) : 0;
}

/**
 * Kinetic stress tensor, Voigt, eV/Å^3, with the ASE sign (compressive): -(1/V) sum m v_a v_b.
 * Adding it to the potential stress gives the full (ideal-gas inclusive) stress.
 */
export function kineticStress(state: MDState, out: Float64Array = new Float64Array(6)): Float64Array {
  const v = state.velocities, m = state.masses;
  let xx = 0, yy = 0, zz = 0, yz = 0, xz = 0, xy = 0;
  for (let i = 0; i < m.length; i++) {
    const mi = m[i]!, vx = v[3 * i]!, vy = v[3 * i + 1]!, vz = v[3 * i + 2]!;
    xx += mi * vx * vx; yy += mi * vy * vy; zz += mi * vz * vz;
    yz += mi * vy * vz; xz += mi * vx * vz; xy += mi * vx * vy;
  }
  const f = -MV2_TO_EV / volume(state.structure.cell);
  out[0] = f * xx; out[1] = f * yy; out[2] = f * zz; out[3] = f * yz; out[4] = f * xz; out[5] = f * xy;
  return out;
}

/**
 * Instantaneous pressure in eV/Å^3: P = -tr(sigma_pot)/3 + 2K/(3V) (virial + kinetic).
 * NaN when the state carries no stress (the integrator was not asked for it).
 */
export function instantaneousPressure(state: MDState, kineticEV = kineticEnergy(state)): number {
  const s = state.stress;
  if (!s) return NaN;
  const v = volume(state.structure.cell);
  return -(s[0]! + s[1]! + s[2]!) / 3 + (2 * kineticEV) / (3 * v);
}

/** Total momentum sum m v over all atoms (amu Å/fs), into `out`. */
export function totalMomentum(state: MDState, out: Float64Array = new Float64Array(3)): Float64Array {
  out.fill(0);
  const v = state.velocities, m = state.masses;
  for (let i = 0; i < m.length; i++) for (let k = 0; k < 3; k++) out[k] = out[k]! + m[i]! * v[3 * i + k]!;
  return out;
}

export interface MaxwellBoltzmannOptions {
  /** Remove the centre-of-mass velocity of the free atoms (default true). */
  zeroMomentum?: boolean;
  /** Rescale so the instantaneous temperature equals the target exactly (default true). */
  exactTemperature?: boolean;
}

/**
 * Draw velocities from the Maxwell-Boltzmann distribution at `temperatureK`:
 * v_ia ~ N(0, k_B T / m_i) (in Å^2/fs^2 via ACCEL_TO_A_PER_FS2), fixed atoms at rest;
 * then (options) zero the total momentum of the free atoms and rescale to T exactly.
 */
export function maxwellBoltzmann(state: MDState, temperatureK: number, rng: Rng, opts: MaxwellBoltzmannOptions = {}): void {
  if (!(temperatureK >= 0) || !Number.isFinite(temperatureK)) throw new ValidationError(`temperature must be a finite number of K >= 0, got ${temperatureK}`);
  const v = state.velocities, m = state.masses, n = m.length;
  const kT = KB * temperatureK;
  for (let i = 0; i < n; i++) {
    const sd = Math.sqrt(kT * state.invMassAccel[i]!);
    for (let k = 0; k < 3; k++) v[3 * i + k] = state.fixed[i] ? 0 : sd * rng.normal();
  }
  if ((opts.zeroMomentum ?? true) && state.nFree > 1) {
    let mt = 0;
    const p = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      if (state.fixed[i]) continue;
      mt += m[i]!;
      for (let k = 0; k < 3; k++) p[k] += m[i]! * v[3 * i + k]!;
    }
    for (let i = 0; i < n; i++) {
      if (state.fixed[i]) continue;
      for (let k = 0; k < 3; k++) v[3 * i + k] = v[3 * i + k]! - p[k]! / mt;
    }
  }
  if ((opts.exactTemperature ?? true) && temperatureK > 0) {
    const t = temperature(state);
    if (t > 0) {
      const f = Math.sqrt(temperatureK / t);
      for (let k = 0; k < v.length; k++) v[k] = v[k]! * f;
    }
  }
}
