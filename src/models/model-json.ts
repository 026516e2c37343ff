/**
 * Shared pieces of the model-file readers (`LinearPotential.fromJSON`, `NNPotential.fromJSON`,
 * `GPPotential.fromJSON`): the envelope {format, version, type}, the descriptor and its species,
 * per-species number blocks, the energy offsets and the free-form training record. Every error is a
 * ValidationError "<type> model JSON: field "<name>" <why>", so a bad file names the field.
 */
import { ValidationError } from '../core/errors.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import { descriptorFromJSON } from '../descriptors/registry.js';
import type { TrainingInfo } from './linear.js';

/** Throws the reader's ValidationError for one field. */
export type FieldError = (field: string, why: string) => never;

export interface ModelHeader {
  /** The JSON object. */
  j: { [k: string]: unknown };
  desc: Descriptor;
  bad: FieldError;
}

/** Check the envelope (format "mlpot-model", version 1, `type`), rebuild the descriptor and check `species` against it. */
export function readModelHeader(json: unknown, type: string): ModelHeader {
  const bad: FieldError = (field, why) => {
    throw new ValidationError(`${type} model JSON: field "${field}" ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ValidationError(`${type} model JSON: expected an object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  const j = json as { [k: string]: unknown };
  if (j['format'] !== 'mlpot-model') bad('format', `must be "mlpot-model", got ${JSON.stringify(j['format'])}`);
  if (j['version'] !== 1) bad('version', `must be 1 (the only version this mlpot reads), got ${JSON.stringify(j['version'])}`);
  if (j['type'] !== type) bad('type', `must be "${type}", got ${JSON.stringify(j['type'])}`);
  let desc: Descriptor;
  try {
    desc = descriptorFromJSON(j['descriptor']);
  } catch (e) {
    return bad('descriptor', `is not a valid descriptor: ${(e as Error).message}`);
  }
  const species = j['species'];
  if (!Array.isArray(species) || species.length !== desc.species.length || species.some((z, k) => z !== desc.species[k])) {
    bad('species', `must equal the descriptor species ${JSON.stringify(desc.species)}, got ${JSON.stringify(species)}`);
  }
  return { j, desc, bad };
}

/** `v` as ns arrays of m finite numbers (one per species), flattened species-major. */
export function speciesBlocks(bad: FieldError, field: string, v: unknown, ns: number, m: number, what = 'numbers'): Float64Array {
  if (!Array.isArray(v) || v.length !== ns) return bad(field, `must be ${ns} arrays (one per species), got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
  const out = new Float64Array(ns * m);
  v.forEach((block: unknown, s: number) => {
    if (!Array.isArray(block) || block.length !== m) bad(`${field}[${s}]`, `must have ${m} ${what}, got ${Array.isArray(block) ? block.length : typeof block}`);
    (block as unknown[]).forEach((x, k) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) bad(`${field}[${s}][${k}]`, `must be a finite number, got ${JSON.stringify(x)}`);
      out[s * m + k] = x as number;
    });
  });
  return out;
}

/** The per-species offsets e0, the global energyShift (default 0) and offsetDetermined. */
export function readOffsets(h: ModelHeader): { e0: number[]; energyShift: number; offsetDetermined: boolean } {
  const { j, bad } = h;
  const ns = h.desc.species.length;
  const e0 = j['e0'];
  if (!Array.isArray(e0) || e0.length !== ns || e0.some((v) => typeof v !== 'number' || !Number.isFinite(v))) bad('e0', `must be ${ns} finite numbers (eV per atom of each species), got ${JSON.stringify(e0)}`);
  const shift = j['energyShift'] ?? 0;
  if (typeof shift !== 'number' || !Number.isFinite(shift)) bad('energyShift', `must be a finite number of eV, got ${JSON.stringify(shift)}`);
  if (typeof j['offsetDetermined'] !== 'boolean') bad('offsetDetermined', `must be true or false, got ${JSON.stringify(j['offsetDetermined'])}`);
  return { e0: e0 as number[], energyShift: shift as number, offsetDetermined: j['offsetDetermined'] as boolean };
}

/** The optional training record (an object when present). */
export function readTraining(h: ModelHeader): TrainingInfo | undefined {
  const training = h.j['training'];
  if (training !== undefined && (typeof training !== 'object' || training === null || Array.isArray(training))) h.bad('training', 'must be an object when present');
  return training as TrainingInfo | undefined;
}
