/**
 * Fitted models from their JSON files: `modelFromJSON(json)` dispatches on `type`.
 *
 * Every model file is `{format: "mlpot-model", version: V, type: T, ...}`. The envelope is checked
 * here (clear errors for a file that is not a model, an unknown type, or a version this mlpot
 * cannot read); the type's own reader checks the rest and names the bad field.
 *
 * Adding a model type is one line in MODEL_READERS (e.g. `gp: { versions: [1], read: (j) =>
 * GaussianProcessPotential.fromJSON(j) }`), provided the class satisfies `FittedModel`.
 *
 * models/ comes before potentials/ in the layer order, so `FittedModel` restates the subset of the
 * `Potential` contract a model provides; potentials/registry.ts assigns it to `Potential`, which
 * the compiler checks structurally.
 */
import { ValidationError } from '../core/errors.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { CommitteePotential } from './committee.js';
import { GPPotential } from './gp.js';
import { LinearPotential } from './linear.js';
import { NNPotential } from './nn.js';

/** The model file envelope. */
export const MODEL_FORMAT = 'mlpot-model';

export interface ModelRequest {
  forces?: boolean;
  stress?: boolean;
  energies?: boolean;
  uncertainty?: boolean;
}

export interface ModelContext {
  neighbors?: NeighborList;
  out?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array };
}

export interface ModelResult {
  energy: number;
  forces?: Float64Array;
  stress?: Float64Array;
  energies?: Float64Array;
  uncertainty?: { energyStd?: number; forceStd?: Float64Array; atomForceDeviation?: Float64Array; maxForceDeviation?: number };
}

/** What every fitted model provides: the Potential contract plus its JSON form. */
export interface FittedModel {
  readonly name: string;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly capabilities: { readonly forces: boolean; readonly stress: boolean; readonly energies: boolean; readonly uncertainty: boolean };
  /** False when energies are known only up to a constant (fitted without energy labels). */
  readonly offsetDetermined?: boolean;
  compute(s: Structure, request?: ModelRequest, ctx?: ModelContext): ModelResult;
  toJSON(): { format: typeof MODEL_FORMAT; version: number; type: string };
}

interface ModelReader {
  /** File versions this reader understands. */
  versions: readonly number[];
  read(json: { [k: string]: unknown }): FittedModel;
}

const MODEL_READERS: Record<string, ModelReader> = {
  linear: { versions: [1], read: (j) => LinearPotential.fromJSON(j) },
  gp: { versions: [1], read: (j) => GPPotential.fromJSON(j) },
  nn: { versions: [1], read: (j) => NNPotential.fromJSON(j) },
  committee: { versions: [1], read: (j) => CommitteePotential.fromJSON(j, (m, src) => modelFromJSON(m, src)) },
};

/** Model types `modelFromJSON` reads. */
export function modelTypes(): string[] {
  return Object.keys(MODEL_READERS);
}

/**
 * Rebuild a fitted model from its JSON value (after JSON.parse). `source` (e.g. the file name)
 * prefixes error messages.
 */
export function modelFromJSON(json: unknown, source = 'model JSON'): FittedModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const what = json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json;
    const hint = Array.isArray(json) ? ' (a list: is this a training-data file such as mlearn JSON? Model files come from mlpot train)' : '';
    throw new ValidationError(`${source}: expected a model object {"format": "${MODEL_FORMAT}", "version", "type", ...}, got ${what}${hint}`);
  }
  const j = json as { [k: string]: unknown };
  if (j['format'] !== MODEL_FORMAT) {
    throw new ValidationError(`${source}: not an mlpot model file (field "format" is ${JSON.stringify(j['format'])}, expected "${MODEL_FORMAT}")`);
  }
  const type = j['type'];
  const reader = typeof type === 'string' && Object.hasOwn(MODEL_READERS, type) ? MODEL_READERS[type] : undefined;
  if (!reader) throw new ValidationError(`${source}: unknown model type ${JSON.stringify(type)}; this mlpot reads: ${modelTypes().join(', ')}`);
  const v = j['version'];
  if (typeof v !== 'number' || !reader.versions.includes(v)) {
    const newer = typeof v === 'number' && v > Math.max(...reader.versions);
    throw new ValidationError(`${source}: ${type} model version ${JSON.stringify(v)} cannot be read (this mlpot reads version ${reader.versions.join(', ')}${newer ? '; the file was written by a newer mlpot' : ''})`);
  }
  try {
    return reader.read(j);
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(`${source}: ${e.message}`);
    throw e;
  }
}

/** Parse model-file text (JSON) and rebuild the model; errors name `source`. */
export function modelFromText(text: string, source = 'model file'): FittedModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  return modelFromJSON(json, source);
}
