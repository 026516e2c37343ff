/**
 * Label conventions: which `info`/`arrays` keys hold reference labels and which hold predictions.
 *
 * Reference data (DFT, a classical reference) lives under `REF_energy`, `REF_forces`, `REF_stress`;
 * a potential's predictions under `energy`, `forces`, `stress` (what ASE reads back as calculator
 * results). Keys are explicit everywhere; `setPrediction` never overwrites a reference label.
 *
 * Units: energy eV, forces eV/Å, stress eV/Å^3 (positive = tensile, ASE's sign), Voigt order
 * xx yy zz yz xz xy.
 */
import { ValidationError } from '../core/errors.js';
import type { Structure } from '../structure/structure.js';

export interface LabelKeys {
  /** `info` key of the total energy (eV). */
  energy: string;
  /** `arrays` key of the forces (eV/Å, float, 3 columns). */
  forces: string;
  /** `info` key of the stress (eV/Å^3; 6 Voigt or 9 row-major values). */
  stress: string;
}

export const DEFAULT_REFERENCE_KEYS: Readonly<LabelKeys> = Object.freeze({ energy: 'REF_energy', forces: 'REF_forces', stress: 'REF_stress' });
export const PREDICTION_KEYS: Readonly<LabelKeys> = Object.freeze({ energy: 'energy', forces: 'forces', stress: 'stress' });

/** Per-atom energies (eV, float, 1 column) are written under this `arrays` key, as ASE does. */
export const ENERGIES_KEY = 'energies';

/** Energy (eV) under `key` in `info`, or undefined when absent. */
export function getEnergy(s: Structure, key: string): number | undefined {
  const v = s.info[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new ValidationError(`info "${key}" should be an energy (a number), got ${describe(v)}`);
  return v;
}

/** Forces (eV/Å, 3N) under `key` in `arrays`, or undefined when absent. */
export function getForces(s: Structure, key: string): Float64Array | undefined {
  const a = s.arrays[key];
  if (a === undefined) return undefined;
  if (a.type !== 'float' || a.cols !== 3) throw new ValidationError(`per-atom array "${key}" should be forces (float, 3 columns), got ${a.type} with ${a.cols} column(s)`);
  return a.data;
}

/**
 * Stress under `key` in `info` as Voigt 6 (xx yy zz yz xz xy), or undefined when absent.
 * Accepts 6 Voigt values, 9 row-major values or a 3x3 nested array; from a matrix it takes
 * the upper triangle (s[1][2], s[0][2], s[0][1]) exactly as ASE does.
 */
export function getStressVoigt(s: Structure, key: string): Float64Array | undefined {
  const v = s.info[key];
  if (v === undefined) return undefined;
  let flat: unknown[] | undefined;
  if (Array.isArray(v)) flat = Array.isArray(v[0]) ? (v as number[][]).every((r) => Array.isArray(r) && r.length === 3) && v.length === 3 ? (v as number[][]).flat() : undefined : (v as unknown[]);
  if (flat === undefined || !flat.every((x) => typeof x === 'number') || (flat.length !== 6 && flat.length !== 9)) {
    throw new ValidationError(`info "${key}" should be a stress (6 Voigt or 9 row-major numbers), got ${describe(v)}`);
  }
  const m = flat as number[];
  if (m.length === 6) return Float64Array.from(m);
  return Float64Array.of(m[0]!, m[4]!, m[8]!, m[5]!, m[2]!, m[1]!);
}

export interface Prediction {
  /** eV */
  energy: number;
  /** eV/Å, 3N */
  forces?: Float64Array;
  /** eV/Å^3, Voigt 6 (xx yy zz yz xz xy) */
  stress?: Float64Array;
  /** eV per atom, N */
  energies?: Float64Array;
}

/**
 * Store a prediction on `s` (in place; returns `s`): energy (number), forces (float, 3 cols),
 * stress (9 values row-major, the symmetric matrix of the Voigt input, which ASE 3.22 reads back
 * as a calculator result) and per-atom energies (`energies`, 1 col).
 *
 * A value already stored under a prediction key is first moved to `REF_<key>`, so a reference
 * label is never overwritten; if `REF_<key>` exists as well, nothing is changed and a
 * ValidationError says so.
 */
export function setPrediction(s: Structure, result: Prediction, keys: LabelKeys = PREDICTION_KEYS): Structure {
  const n = s.length;
  if (result.forces && result.forces.length !== 3 * n) throw new ValidationError(`prediction forces have ${result.forces.length} values; expected 3 x ${n} atoms`);
  if (result.stress && result.stress.length !== 6) throw new ValidationError(`prediction stress has ${result.stress.length} values; expected 6 (Voigt xx yy zz yz xz xy)`);
  if (result.energies && result.energies.length !== n) throw new ValidationError(`prediction energies have ${result.energies.length} values; expected one per atom (${n})`);

  const infoKeys = [keys.energy, ...(result.stress ? [keys.stress] : [])];
  const arrayKeys = [...(result.forces ? [keys.forces] : []), ...(result.energies ? [ENERGIES_KEY] : [])];
  // check every move first so that a failure leaves `s` untouched
  for (const k of infoKeys) {
    if (k in s.info && `REF_${k}` in s.info) throw new ValidationError(`cannot store the predicted ${k}: info already holds "${k}" and "REF_${k}"; moving "${k}" aside would overwrite the reference label. Remove one or predict under other keys`);
  }
  for (const k of arrayKeys) {
    if (k in s.arrays && `REF_${k}` in s.arrays) throw new ValidationError(`cannot store the predicted ${k}: arrays already hold "${k}" and "REF_${k}"; moving "${k}" aside would overwrite the reference label. Remove one or predict under other keys`);
  }
  for (const k of infoKeys) {
    if (k in s.info) {
      s.info[`REF_${k}`] = s.info[k]!;
      delete s.info[k];
    }
  }
  for (const k of arrayKeys) {
    const a = s.arrays[k];
    if (a) {
      s.arrays[`REF_${k}`] = a;
      delete s.arrays[k];
    }
  }
  s.info[keys.energy] = result.energy;
  if (result.stress) {
    const v = result.stress;
    s.info[keys.stress] = [v[0]!, v[5]!, v[4]!, v[5]!, v[1]!, v[3]!, v[4]!, v[3]!, v[2]!];
  }
  if (result.forces) s.setArray(keys.forces, { type: 'float', cols: 3, data: Float64Array.from(result.forces) });
  if (result.energies) s.setArray(ENERGIES_KEY, { type: 'float', cols: 1, data: Float64Array.from(result.energies) });
  return s;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
