/**
 * Training data: frames plus label keys -> validated records, and seeded split helpers.
 *
 * A record holds the reference labels of one frame (never predictions: the keys are explicit,
 * default `REF_energy` / `REF_forces` / `REF_stress`, see io/labels.ts):
 *
 * | symbol    | variable                         | unit      |
 * |-----------|----------------------------------|-----------|
 * | R_k       | records[k].structure             | Å         |
 * | N_k       | records[k].natoms                |           |
 * | E_ref,k   | records[k].energy                | eV        |
 * | F_ref,k   | records[k].forces (3N)           | eV/Å      |
 * | S_ref,k   | records[k].stress (Voigt 6)      | eV/Å^3    |
 */
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { DEFAULT_REFERENCE_KEYS, getEnergy, getForces, getStressVoigt, type LabelKeys } from '../io/labels.js';
import type { Structure } from '../structure/structure.js';

export interface TrainingRecord {
  /** Index of the frame in the input list (for error messages and reports). */
  index: number;
  structure: Structure;
  natoms: number;
  energy?: number;
  forces?: Float64Array;
  stress?: Float64Array;
}

export interface DatasetOptions {
  labels?: LabelKeys;
  /** Labels every frame must have (missing -> ValidationError naming frame and key). */
  require?: { energy?: boolean; forces?: boolean; stress?: boolean };
}

/**
 * Validate frames and read their labels. Missing required labels and non-finite values (NaN,
 * Infinity) raise a ValidationError naming the frame, the key and, for arrays, the atom.
 */
export function makeDataset(frames: readonly Structure[], opts: DatasetOptions = {}): TrainingRecord[] {
  const keys = opts.labels ?? DEFAULT_REFERENCE_KEYS;
  const req = opts.require ?? {};
  if (frames.length === 0) throw new ValidationError('training set is empty: no frames given');
  return frames.map((s, index) => {
    const where = `frame ${index}`;
    if (s.length === 0) throw new ValidationError(`${where} has no atoms`);
    const rec: TrainingRecord = { index, structure: s, natoms: s.length };
    const energy = wrap(where, () => getEnergy(s, keys.energy));
    const forces = wrap(where, () => getForces(s, keys.forces));
    const stress = wrap(where, () => getStressVoigt(s, keys.stress));
    if (energy === undefined && req.energy) throw new ValidationError(`${where}: missing energy label "${keys.energy}" (info key); the energy weight is > 0`);
    if (forces === undefined && req.forces) throw new ValidationError(`${where}: missing forces label "${keys.forces}" (per-atom array); the force weight is > 0`);
    if (stress === undefined && req.stress) throw new ValidationError(`${where}: missing stress label "${keys.stress}" (info key)`);
    if (energy !== undefined) {
      if (!Number.isFinite(energy)) throw new ValidationError(`${where}: energy label "${keys.energy}" is ${energy}`);
      rec.energy = energy;
    }
    if (forces !== undefined) {
      for (let k = 0; k < forces.length; k++) {
        if (!Number.isFinite(forces[k]!)) throw new ValidationError(`${where}: forces label "${keys.forces}" of atom ${Math.floor(k / 3)} has ${'xyz'[k % 3]} = ${forces[k]}`);
      }
      rec.forces = forces;
    }
    if (stress !== undefined) {
      for (let k = 0; k < 6; k++) if (!Number.isFinite(stress[k]!)) throw new ValidationError(`${where}: stress label "${keys.stress}" component ${k} (Voigt) is ${stress[k]}`);
      if (!(s.pbc[0] && s.pbc[1] && s.pbc[2])) throw new ValidationError(`${where}: has a stress label "${keys.stress}" but is not periodic in all three directions`);
      rec.stress = stress;
    }
    return rec;
  });
}

function wrap<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(`${where}: ${e.message}`);
    throw e;
  }
}

/** 0..n-1 in a seeded random order. */
export function shuffledIndices(n: number, seed: number): number[] {
  return new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
}

/** Seeded train/test split: `testFraction` of the indices (at least 1 when n > 1) go to test. */
export function trainTestSplit(n: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new ValidationError(`testFraction must be in (0, 1), got ${testFraction}`);
  const idx = shuffledIndices(n, seed);
  const nt = Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
  return { test: idx.slice(0, nt).sort((a, b) => a - b), train: idx.slice(nt).sort((a, b) => a - b) };
}

/** Seeded k-fold split: k disjoint held-out index sets covering 0..n-1, sizes differing by at most 1. */
export function kFold(n: number, k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 2) throw new ValidationError(`k-fold cross-validation needs k >= 2 folds, got ${k}`);
  if (k > n) throw new ValidationError(`k-fold cross-validation with k = ${k} folds needs at least ${k} frames, got ${n}`);
  const idx = shuffledIndices(n, seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  idx.forEach((v, i) => folds[i % k]!.push(v));
  return folds.map((f) => f.sort((a, b) => a - b));
}
