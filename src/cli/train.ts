/**
 * `mlpot train -c train.yaml [-o MODEL.json]`: fit a linear potential from a YAML config and write
 * the model file and a report directory.
 *
 * Config (snake_case keys; see docs/training.md "Command line"):
 *
 *   seed, data {train, test, test_fraction}, model {type, descriptor {...}, offset},
 *   fit {weights {energy, forces, stress}, energy_per_atom, lambda | lambdas, folds, cv_metric, workers},
 *   output {model, report}
 *
 * A data entry is a path or {path, format, labels: {energy, forces, stress}}. Paths expand
 * `${NAME}` / `${NAME:-default}` from the environment and resolve against the config's directory;
 * `--data PATH` replaces data.train (relative to the working directory). Output paths resolve
 * against the config's directory; `-o` / `--report` (relative to the working directory) override.
 *
 * Labels: unless a data entry names its keys, each key is chosen per file: `REF_<key>` if any frame
 * has it, else the plain key (`energy`, `forces`, `stress`) if any frame has that, with a note on
 * stderr, because plain keys are prediction keys: in a file written by `mlpot calc` they hold the
 * predictions of the potential used there (which is how `calc -p sw` labels a data set).
 *
 * Report directory: report.json (fit report, metrics of every set, fit time, resolved config),
 * report.md (error table, lambda path, solver, warnings), parity-energy.svg, parity-forces.svg,
 * error-histogram.svg. The same error table is printed on stdout.
 *
 * Errors in the config name the key path (e.g. `model.descriptor.cutof`), the file and the line.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { atomicNumber, symbolOf } from '../core/elements.js';
import { MlpotError, ValidationError } from '../core/errors.js';
import { ACSF, type ACSFStandardOptions } from '../descriptors/acsf.js';
import { AceDescriptor, type AceOptions } from '../descriptors/ace.js';
import { BodyOrderDescriptor, type BodyOrderOptions } from '../descriptors/body-order.js';
import type { Descriptor, DescriptorDerivatives, DescriptorGradientOutput, DescriptorWeights } from '../descriptors/descriptor.js';
import { parseRadialTransform } from '../descriptors/radial.js';
import { ProductDescriptor, selectProductIndices, type ProductSelection } from '../descriptors/product.js';
import type { LabelKeys } from '../io/labels.js';
import { modelFromJSON, type FittedModel } from '../models/registry.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { makeDataset, trainTestSplit, type TrainingRecord } from '../training/dataset.js';
import { fitLinear, linearFitWants, type LinearFitOptions, type LinearFitReport, type OffsetMode } from '../training/linear-fit.js';
import type { LinearDesign } from '../models/linear.js';
import { fitGP, type GPFitOptions, type GPFitReport } from '../training/gp-fit.js';
import { fitNN, type EpochRecord, type NNFitOptions, type NNFitReport } from '../training/nn-fit.js';
import { fitCommittee, fitLinearCommittee, type CommitteeFitOptions } from '../training/committee-fit.js';
import { calibration, calibrationSVG, type CalibrationRecord } from '../training/calibration.js';
import type { KernelSpec } from '../models/kernels.js';
import { computeMetrics, type MetricSample, type MetricsRecord } from '../training/metrics.js';
import { histogramSVG, paritySVG } from '../training/plots.js';
import { computeLinearDesigns, defaultDesignWorkers, designBytes } from '../node/design-pool.js';
import { readStructures } from '../node/files.js';
import { ConfigError, snakeKey } from './config.js';
import { VERSION } from './main.js';
import { createProgress, type Progress } from './progress.js';

// ---------------------------------------------------------------- config types and schema

export interface DataSourceConfig {
  path: string;
  /** Format name (default: from the file name). */
  format?: string;
  /** Label keys (default: chosen per file, see the module comment). */
  labels?: Partial<LabelKeys>;
}

export interface DescriptorConfig {
  type: 'body-order' | 'ace' | 'acsf' | 'product';
  /** Required for body-order and acsf; a product takes its inner descriptor's. */
  cutoff?: number;
  /** Element symbols or atomic numbers (default: every element of the training data). */
  species?: (string | number)[];
  r_min?: number;
  cutoff_function?: 'cosine' | 'polynomial';
  // body-order and ace
  max_body_order?: number;
  /** body-order: radial functions of the 2-body features; ace: one entry per body order 2.. */
  n_max?: number | number[];
  n_max3?: number;
  l_max3?: number;
  n_max4?: number;
  l_max4?: number;
  // ace (descriptors/ace.ts)
  /** Highest l per body order 3.. */
  l_max?: number[];
  /** Total-degree bound per body order 2.. */
  degree?: number[];
  /** Weight of l in the total degree. */
  l_weight?: number;
  /** Highest intermediate L of the body-order-5 couplings. */
  l_int_max?: number;
  /** Distance transform of the radial basis (descriptors/radial.ts). */
  radial_transform?: { kind: 'linear' | 'agnesi' | 'inverse-power'; r0?: number; p?: number; q?: number };
  // acsf (ACSF.standard)
  n_radial?: number;
  n_angular?: number;
  zetas?: number[];
  angular_kind?: 'G4' | 'G5';
  // product (descriptors/product.ts): inner features plus pairwise products over a subset S
  /** The descriptor whose features are kept and multiplied (body-order or acsf). */
  inner?: DescriptorConfig;
  /** S as explicit inner feature indices ... */
  indices?: number[];
  /** ... or the first K_b features of body order b = 2, 3, 4 ... */
  per_body_order?: number[];
  /** ... or every feature of body order b whose radial indices are all below N_b (body-order inner). */
  radial_below?: number[];
}

export interface TrainConfig {
  seed: number;
  data: { train: DataSourceConfig; test?: DataSourceConfig; test_fraction?: number };
  model: {
    type: ModelType;
    descriptor: DescriptorConfig;
    offset: OffsetMode;
    gp?: GPConfig;
    nn?: NNConfig;
    committee?: CommitteeConfig;
  };
  fit: {
    weights: { energy: number; forces: number; stress: number };
    energy_per_atom: boolean;
    lambda?: number;
    lambdas?: number[];
    folds: number;
    cv_metric: 'loss' | 'force_rmse';
    /** Worker threads for the design rows of a linear fit (absent: one per CPU, at most 8, from 16 frames on; 0 or 1: serial). */
    workers?: number;
  };
  output: { model?: string; report?: string };
}

/** Model types `mlpot train` fits. */
export const TRAINABLE_MODEL_TYPES = ['linear', 'gp', 'nn', 'committee'] as const;
export type ModelType = (typeof TRAINABLE_MODEL_TYPES)[number];

/** model.gp: sparse Gaussian process (training/gp-fit.ts). */
export interface GPConfig {
  kernel: 'dot' | 'se' | 'poly';
  /** dot, poly: exponent zeta (default 2); se: length scale in scaled-feature units (default 1). */
  zeta?: number;
  length_scale?: number;
  /** poly: offset c of (c + u.v)^zeta (default 1). */
  offset?: number;
  /** Candidate zetas / length scales; the largest optimised evidence wins. */
  shapes?: number[];
  /** Sparse environments per element (default 200) and their selection (default cur). */
  sparse: number;
  selection: 'cur' | 'fps' | 'random' | 'all';
  scaling: 'std' | 'none';
  /** Starting noise levels: eV/atom, eV/Å, eV/Å^3. */
  noise?: { energy?: number; forces?: number; stress?: number };
  /** Optimise signal variance and noise levels by the evidence (default true). */
  optimize: boolean;
  /** Noise levels kept at their `noise` values while the rest is optimised (default none). */
  fixed_noise?: ('energy' | 'forces' | 'stress')[];
}

/** model.nn: Behler-Parrinello network (training/nn-fit.ts). */
export interface NNConfig {
  hidden: number[];
  activation: 'tanh' | 'silu' | 'softplus';
  optimizer: 'adam' | 'lbfgs';
  epochs: number;
  batch_size: number;
  learning_rate?: number;
  schedule: 'constant' | 'exponential' | 'cosine';
  /** exponential: factor per epoch; cosine: final lr / lr0. */
  decay?: number;
  validation_fraction?: number;
  patience: number;
}

/** model.committee: K members of type `member` on resampled frames (training/committee-fit.ts). */
export interface CommitteeConfig {
  members: number;
  member: 'linear' | 'gp' | 'nn';
  resample: 'bootstrap' | 'subsample' | 'none';
  fraction?: number;
}

const BODY_ORDER_KEYS = ['max_body_order', 'n_max', 'n_max3', 'l_max3', 'n_max4', 'l_max4', 'radial_transform'] as const;
const ACE_KEYS = ['max_body_order', 'n_max', 'l_max', 'degree', 'l_weight', 'l_int_max', 'radial_transform'] as const;
const ACSF_KEYS = ['n_radial', 'n_angular', 'zetas', 'angular_kind'] as const;
const COMMON_DESCRIPTOR_KEYS = ['cutoff', 'species', 'r_min', 'cutoff_function'] as const;
const PRODUCT_KEYS = ['inner', 'indices', 'per_body_order', 'radial_below'] as const;

const LABELS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { energy: { type: 'string', minLength: 1 }, forces: { type: 'string', minLength: 1 }, stress: { type: 'string', minLength: 1 } },
} as const;

const SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path: { type: 'string', minLength: 1 }, format: { type: 'string', minLength: 1 }, labels: LABELS_SCHEMA },
} as const;

const posInt = { type: 'integer', minimum: 1 } as const;

const INNER_DESCRIPTOR_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'cutoff'],
  properties: {
    type: { type: 'string', enum: ['body-order', 'ace', 'acsf'] },
    cutoff: { type: 'number', exclusiveMinimum: 0 },
    species: { type: 'array', minItems: 1, items: { type: ['string', 'integer'] } },
    r_min: { type: 'number', minimum: 0 },
    cutoff_function: { type: 'string', enum: ['cosine', 'polynomial'] },
    max_body_order: { type: 'integer', minimum: 2, maximum: 5 },
    n_max: { type: ['integer', 'array'], minimum: 1, minItems: 1, maxItems: 4, items: posInt },
    l_max: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'integer', minimum: 0, maximum: 20 } },
    degree: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'number', exclusiveMinimum: 0 } },
    l_weight: { type: 'number', minimum: 0 },
    l_int_max: { type: 'integer', minimum: 0, maximum: 40 },
    n_max3: { type: 'integer', minimum: 0 },
    l_max3: { type: 'integer', minimum: 0, maximum: 3 },
    n_max4: { type: 'integer', minimum: 0 },
    l_max4: { type: 'integer', minimum: 0, maximum: 3 },
    radial_transform: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { type: 'string', enum: ['linear', 'agnesi', 'inverse-power'] },
        r0: { type: 'number', exclusiveMinimum: 0 },
        p: { type: 'number', exclusiveMinimum: 0 },
        q: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    n_radial: posInt,
    n_angular: { type: 'integer', minimum: 0 },
    zetas: { type: 'array', minItems: 1, items: { type: 'number', minimum: 1 } },
    angular_kind: { type: 'string', enum: ['G4', 'G5'] },
  },
} as const;

const selectionList = (lo: number) => ({ type: 'array', minItems: 1, maxItems: 3, items: { type: 'integer', minimum: lo } }) as const;

/** model.descriptor: a body-order or acsf descriptor, or a product over one (descriptors/product.ts). */
const DESCRIPTOR_SCHEMA = {
  ...INNER_DESCRIPTOR_SCHEMA,
  required: ['type'],
  properties: {
    ...INNER_DESCRIPTOR_SCHEMA.properties,
    type: { type: 'string', enum: ['body-order', 'ace', 'acsf', 'product'] },
    inner: INNER_DESCRIPTOR_SCHEMA,
    indices: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } },
    per_body_order: selectionList(0),
    radial_below: selectionList(0),
  },
  if: { properties: { type: { const: 'product' } } },
  // (each branch names the property it requires: ajv's strictRequired)
  then: { properties: { inner: true }, required: ['inner'] },
  else: { properties: { cutoff: true }, required: ['cutoff'] },
} as const;

/** JSON schema of train.yaml (after a string data entry is turned into {path}). */
export const TRAIN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['data', 'model'],
  properties: {
    seed: { type: 'integer', default: 0 },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['train'],
      properties: {
        train: SOURCE_SCHEMA,
        test: SOURCE_SCHEMA,
        test_fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['descriptor'],
      properties: {
        type: { type: 'string', default: 'linear' },
        descriptor: DESCRIPTOR_SCHEMA,
        offset: { type: 'string', enum: ['per-element', 'global', 'none'], default: 'per-element' },
        gp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            kernel: { type: 'string', enum: ['dot', 'se', 'poly'], default: 'dot' },
            zeta: { type: 'number', minimum: 1 },
            length_scale: { type: 'number', exclusiveMinimum: 0 },
            offset: { type: 'number', minimum: 0 },
            shapes: { type: 'array', minItems: 1, items: { type: 'number', exclusiveMinimum: 0 } },
            sparse: { type: 'integer', minimum: 1, default: 200 },
            selection: { type: 'string', enum: ['cur', 'fps', 'random', 'all'], default: 'cur' },
            scaling: { type: 'string', enum: ['std', 'none'], default: 'std' },
            noise: {
              type: 'object',
              additionalProperties: false,
              properties: { energy: { type: 'number', exclusiveMinimum: 0 }, forces: { type: 'number', exclusiveMinimum: 0 }, stress: { type: 'number', exclusiveMinimum: 0 } },
            },
            optimize: { type: 'boolean', default: true },
            fixed_noise: { type: 'array', uniqueItems: true, items: { type: 'string', enum: ['energy', 'forces', 'stress'] } },
          },
        },
        nn: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            hidden: { type: 'array', items: posInt, default: [32, 32] },
            activation: { type: 'string', enum: ['tanh', 'silu', 'softplus'], default: 'silu' },
            optimizer: { type: 'string', enum: ['adam', 'lbfgs'], default: 'adam' },
            epochs: { type: 'integer', minimum: 1, default: 200 },
            batch_size: { type: 'integer', minimum: 1, default: 8 },
            learning_rate: { type: 'number', exclusiveMinimum: 0 },
            schedule: { type: 'string', enum: ['constant', 'exponential', 'cosine'], default: 'exponential' },
            decay: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
            validation_fraction: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
            patience: { type: 'integer', minimum: 1, default: 20 },
          },
        },
        committee: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            members: { type: 'integer', minimum: 2, default: 8 },
            member: { type: 'string', enum: ['linear', 'gp', 'nn'], default: 'linear' },
            resample: { type: 'string', enum: ['bootstrap', 'subsample', 'none'], default: 'bootstrap' },
            fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
          },
        },
      },
    },
    fit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        weights: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            energy: { type: 'number', minimum: 0, default: 1 },
            forces: { type: 'number', minimum: 0, default: 1 },
            stress: { type: 'number', minimum: 0, default: 0 },
          },
        },
        energy_per_atom: { type: 'boolean', default: true },
        lambda: { type: 'number', minimum: 0 },
        lambdas: { type: 'array', minItems: 1, items: { type: 'number', minimum: 0 } },
        folds: { type: 'integer', minimum: 2, default: 5 },
        cv_metric: { type: 'string', enum: ['loss', 'force_rmse'], default: 'loss' },
        workers: { type: 'integer', minimum: 0 },
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { model: { type: 'string', minLength: 1 }, report: { type: 'string', minLength: 1 } },
    },
  },
} as const;

// ---------------------------------------------------------------- config loading

interface YamlSource {
  file: string;
  doc: Document;
  lines: LineCounter;
}

type SchemaNode = { type?: unknown; properties?: Record<string, SchemaNode>; items?: SchemaNode };

/** Line (1-based) of the key at `path` (or of the array item) in the YAML document. */
function lineOfPath(src: YamlSource | undefined, path: readonly string[]): number | undefined {
  if (!src) return undefined;
  let node: unknown = src.doc.contents;
  let line: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const item = node.items.find((it) => isScalar(it.key) && snakeKey(String(it.key.value)) === seg);
      if (!item) return line;
      const k = item.key as { range?: [number, number, number] | null };
      if (k.range) line = src.lines.linePos(k.range[0]).line;
      node = item.value;
    } else if (isSeq(node)) {
      const it = node.items[Number(seg)] as { range?: [number, number, number] | null } | undefined;
      if (!it) return line;
      if (it.range) line = src.lines.linePos(it.range[0]).line;
      node = it;
    } else return line;
  }
  return line;
}

function at(src: YamlSource | undefined, path: readonly string[], fromFlag?: string): string {
  if (fromFlag) return ` (flag ${fromFlag})`;
  if (!src) return '';
  const line = lineOfPath(src, path);
  return ` (${src.file}${line ? ` line ${line}` : ''})`;
}

function schemaAt(path: readonly string[]): SchemaNode | undefined {
  let s: SchemaNode | undefined = TRAIN_SCHEMA as unknown as SchemaNode;
  for (const seg of path) {
    if (!s) return undefined;
    s = /^\d+$/.test(seg) ? s.items : s.properties?.[seg];
  }
  return s;
}

function describeError(e: ErrorObject, src: YamlSource | undefined, flagPaths: Map<string, string>): string {
  const path = e.instancePath.split('/').filter(Boolean);
  const name = (p: readonly string[]) => p.join('.') || '(top level)';
  if (e.keyword === 'additionalProperties') {
    const bad = String((e.params as { additionalProperty: string }).additionalProperty);
    const known = Object.keys(schemaAt(path)?.properties ?? {}).sort();
    const close = suggest(bad, known);
    return `unknown key "${name([...path, bad])}"${at(src, [...path, bad])}${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''} (known keys${path.length ? ` of ${name(path)}` : ''}: ${known.join(', ')})`;
  }
  if (e.keyword === 'required') {
    const miss = String((e.params as { missingProperty: string }).missingProperty);
    return `missing required key "${name([...path, miss])}"${path.length ? at(src, path) : src ? ` (${src.file})` : ''}`;
  }
  const key = name(path);
  const where = at(src, path, flagPaths.get(key));
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return `key "${key}"${where} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  }
  return `key "${key}"${where} ${e.message ?? 'is invalid'}`;
}

/** Levenshtein distance (short strings). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Known keys closest to a misspelt one (edit distance <= 2, or 1/3 of its length). */
function suggest(bad: string, known: readonly string[]): string[] {
  const scored = known.map((k) => ({ k, d: editDistance(bad, k) })).filter((x) => x.d <= Math.max(2, Math.floor(bad.length / 3)));
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.k);
}

function snakeDeep(v: unknown, underLabels = false): unknown {
  if (Array.isArray(v)) return v.map((x) => snakeDeep(x));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const key = underLabels ? k : snakeKey(k);
    out[key] = snakeDeep(x, key === 'labels');
  }
  return out;
}

/** Replace `${NAME}` and `${NAME:-default}` from `env`; unset without a default is an error. */
export function expandEnv(text: string, env: Record<string, string | undefined>, what: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, dflt: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (dflt !== undefined) return dflt;
    throw new ConfigError(`${what}: environment variable ${name} is not set (write \${${name}:-DEFAULT} for a fallback)`);
  });
}

export interface TrainFlags {
  config?: string;
  output?: string;
  report?: string;
  data?: string;
  progress?: boolean;
  json?: boolean;
}

/**
 * Read, validate and resolve a train config: every path in the result is absolute (data paths
 * with environment variables expanded), and output.model / output.report are filled in.
 */
export function loadTrainConfig(file: string, flags: TrainFlags = {}, env: Record<string, string | undefined> = process.env): TrainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${file}${pos ? ` line ${pos.line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const src: YamlSource = { file, doc, lines };
  const js = snakeDeep(doc.toJS() as unknown);
  if (js === null || typeof js !== 'object' || Array.isArray(js)) throw new ConfigError(`${file}: the config must be a mapping of keys to values (seed, data, model, fit, output)`);
  const raw = js as Record<string, unknown>;
  const flagPaths = new Map<string, string>();
  const data = raw['data'];
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    for (const k of ['train', 'test']) if (typeof d[k] === 'string') d[k] = { path: d[k] };
    if (flags.data !== undefined) {
      d['train'] = { path: resolve(flags.data) };
      flagPaths.set('data.train.path', '--data');
    }
  } else if (flags.data !== undefined && data === undefined) {
    raw['data'] = { train: { path: resolve(flags.data) } };
  }
  // model blocks the user wrote (ajv fills in defaults for the others)
  const rawModel = raw['model'];
  const givenModelKeys = new Set(rawModel && typeof rawModel === 'object' && !Array.isArray(rawModel) ? Object.keys(rawModel) : []);
  const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(TRAIN_SCHEMA);
  if (!validate(raw)) {
    // an if/then/else failure is reported by the branch's own error (e.g. a missing key)
    const msgs = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => describeError(e, src, flagPaths));
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(msgs)].join('\n  ')}`);
  }
  const c = raw as unknown as TrainConfig;
  const type = c.model.type as string;
  if (!(TRAINABLE_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`key "model.type"${at(src, ['model', 'type'])} is "${type}"; mlpot train fits: ${TRAINABLE_MODEL_TYPES.join(', ')}`);
  }
  const given = (k: string) => givenModelKeys.has(k);
  const memberType = type === 'committee' ? c.model.committee!.member : type;
  for (const k of ['gp', 'nn', 'committee'] as const) {
    const applies = k === type || (k === memberType);
    if (given(k) && !applies) throw new ConfigError(`key "model.${k}"${at(src, ['model', k])} does not apply to model type "${type}"${type === 'committee' ? ` with member "${memberType}"` : ''}`);
  }
  if (c.model.type === 'committee' && c.model.committee!.member === 'linear' && c.model.committee!.resample === 'none') {
    throw new ConfigError(`key "model.committee.resample"${at(src, ['model', 'committee', 'resample'])} is "none": linear members would be identical (the fit is deterministic); use bootstrap or subsample`);
  }
  const g = c.model.gp!;
  if (g.kernel !== 'se' && g.length_scale !== undefined) throw new ConfigError(`key "model.gp.length_scale"${at(src, ['model', 'gp', 'length_scale'])} applies to kernel "se", not "${g.kernel}" (use zeta)`);
  if (g.kernel !== 'poly' && g.offset !== undefined) throw new ConfigError(`key "model.gp.offset"${at(src, ['model', 'gp', 'offset'])} applies to kernel "poly", not "${g.kernel}"`);
  if (g.kernel === 'se' && g.zeta !== undefined) throw new ConfigError(`key "model.gp.zeta"${at(src, ['model', 'gp', 'zeta'])} applies to kernels "dot" and "poly", not "se" (use length_scale)`);
  checkDescriptorKeys(c.model.descriptor, ['model', 'descriptor'], src);
  if (c.fit.lambda !== undefined && c.fit.lambdas !== undefined) throw new ConfigError(`keys "fit.lambda"${at(src, ['fit', 'lambda'])} and "fit.lambdas"${at(src, ['fit', 'lambdas'])}: give one (lambdas runs cross-validation over the list)`);
  if (c.fit.weights.energy === 0 && c.fit.weights.forces === 0 && c.fit.weights.stress === 0) throw new ConfigError(`key "fit.weights"${at(src, ['fit', 'weights'])}: all weights are 0; nothing to fit`);
  const base = dirname(resolve(file));
  for (const k of ['train', 'test'] as const) {
    const s = c.data[k];
    if (!s) continue;
    if (!(k === 'train' && flagPaths.has('data.train.path'))) {
      const where = `key "data.${k}"${at(src, ['data', k])}`;
      const p = expandEnv(s.path, env, where);
      s.path = isAbsolute(p) ? p : resolve(base, p);
    }
  }
  const stem = basename(file).replace(/\.(ya?ml)$/i, '');
  c.output.model = flags.output !== undefined ? resolve(flags.output) : resolve(base, c.output.model ?? `${stem}.model.json`);
  c.output.report = flags.report !== undefined ? resolve(flags.report) : c.output.report !== undefined && flags.output === undefined ? resolve(base, c.output.report) : `${c.output.model.replace(/\.json$/i, '')}-report`;
  return c;
}

/** Keys of one descriptor type only: a key of another type is an error naming the key and its line. */
function checkDescriptorKeys(d: DescriptorConfig, path: readonly string[], src: YamlSource): void {
  const own: readonly string[] = d.type === 'product' ? PRODUCT_KEYS : [...COMMON_DESCRIPTOR_KEYS, ...(d.type === 'body-order' ? BODY_ORDER_KEYS : d.type === 'ace' ? ACE_KEYS : ACSF_KEYS)];
  const all: readonly string[] = [...new Set([...COMMON_DESCRIPTOR_KEYS, ...BODY_ORDER_KEYS, ...ACE_KEYS, ...ACSF_KEYS, ...PRODUCT_KEYS])];
  const rec = d as unknown as Record<string, unknown>;
  for (const k of all) {
    if (rec[k] !== undefined && !own.includes(k)) throw new ConfigError(`key "${[...path, k].join('.')}"${at(src, [...path, k])} does not apply to descriptor type "${d.type}" (its keys: ${own.join(', ')})`);
  }
  if (d.type === 'body-order' && Array.isArray(d.n_max)) throw new ConfigError(`key "${[...path, 'n_max'].join('.')}"${at(src, [...path, 'n_max'])}: descriptor type "body-order" takes one integer (n_max3, n_max4 set the other body orders); a list is for type "ace"`);
  if (d.type === 'ace') {
    if (!Array.isArray(d.n_max)) throw new ConfigError(`key "${[...path, 'n_max'].join('.')}"${at(src, [...path, 'n_max'])}: descriptor type "ace" needs a list of radial sizes, one per body order 2..max_body_order (e.g. [12, 8, 4])`);
    const mbo = d.max_body_order ?? 4;
    const want = (k: 'n_max' | 'l_max' | 'degree', len: number) => {
      const v = d[k];
      if (v === undefined) return;
      if (!Array.isArray(v) || v.length !== len) throw new ConfigError(`key "${[...path, k].join('.')}"${at(src, [...path, k])}: needs ${len} entries for max_body_order ${mbo} (body orders ${k === 'l_max' ? 3 : 2}..${mbo}), got ${JSON.stringify(v)}`);
    };
    want('n_max', mbo - 1);
    want('degree', mbo - 1);
    if (mbo >= 3 && d.l_max === undefined) throw new ConfigError(`key "${path.join('.')}"${at(src, path)}: descriptor type "ace" with max_body_order ${mbo} needs l_max (one entry per body order 3..${mbo})`);
    want('l_max', mbo - 2);
  }
  if (d.type !== 'product') return;
  const sel = (['indices', 'per_body_order', 'radial_below'] as const).filter((k) => d[k] !== undefined);
  if (sel.length !== 1) throw new ConfigError(`key "${path.join('.')}"${at(src, path)}: a product descriptor needs exactly one of indices, per_body_order, radial_below (got ${sel.length ? sel.join(', ') : 'none'})`);
  checkDescriptorKeys(d.inner!, [...path, 'inner'], src);
}

// ---------------------------------------------------------------- labels and data

/**
 * Label keys for a set of frames: explicit keys win; otherwise `REF_<key>` if any frame has it,
 * else the plain (prediction) key if any frame has that (with a note), else `REF_<key>`.
 */
export function chooseLabelKeys(frames: readonly Structure[], given: Partial<LabelKeys> = {}, source = 'data', used: readonly (keyof LabelKeys)[] = ['energy', 'forces', 'stress']): { keys: LabelKeys; notes: string[] } {
  const notes: string[] = [];
  const pick = (k: keyof LabelKeys, place: 'info' | 'arrays'): string => {
    const g = given[k];
    if (g !== undefined) return g;
    if (!used.includes(k)) return `REF_${k}`;
    const has = (key: string) => frames.some((s) => (place === 'info' ? key in s.info : key in s.arrays));
    if (has(`REF_${k}`)) return `REF_${k}`;
    if (has(k)) {
      notes.push(`${source}: no "REF_${k}" labels; reading "${k}" as the reference ${k} (in a file written by mlpot calc these are that potential's predictions)`);
      return k;
    }
    return `REF_${k}`;
  };
  return { keys: { energy: pick('energy', 'info'), forces: pick('forces', 'arrays'), stress: pick('stress', 'info') }, notes };
}

async function readSource(s: DataSourceConfig, what: string, used: readonly (keyof LabelKeys)[]): Promise<{ frames: Structure[]; keys: LabelKeys; notes: string[] }> {
  let frames: Structure[];
  try {
    frames = await readStructures(s.path, s.format !== undefined ? { format: s.format } : {});
  } catch (e) {
    if (e instanceof MlpotError) throw new MlpotError(e.code, `${what} ${s.path}: ${e.message}`);
    throw e;
  }
  if (frames.length === 0) throw new ValidationError(`${what} ${s.path}: no structures found`);
  return { frames, ...chooseLabelKeys(frames, s.labels ?? {}, `${what} ${s.path}`, used) };
}

// ---------------------------------------------------------------- descriptor from config

function speciesOf(frames: readonly Structure[]): number[] {
  const set = new Set<number>();
  for (const s of frames) for (const z of s.numbers) set.add(z);
  return [...set].sort((a, b) => a - b);
}

/** Build the descriptor of a config (species default: every element of `frames`). */
export function descriptorFromConfig(d: DescriptorConfig, frames: readonly Structure[]): Descriptor {
  if (d.type === 'product') {
    if (!d.inner) throw new ConfigError('model.descriptor: a product descriptor needs an inner descriptor (key "inner")');
    const inner = descriptorFromConfig(d.inner, frames);
    try {
      const sel: ProductSelection = d.indices ? { indices: d.indices } : d.per_body_order ? { perBodyOrder: d.per_body_order } : d.radial_below ? { radialBelow: d.radial_below } : {};
      return new ProductDescriptor({ inner, indices: selectProductIndices(inner, sel) });
    } catch (e) {
      if (e instanceof MlpotError) throw new ConfigError(`model.descriptor: ${e.message}`);
      throw e;
    }
  }
  if (d.cutoff === undefined) throw new ConfigError(`model.descriptor: descriptor type "${d.type}" needs a cutoff`);
  const cutoff = d.cutoff;
  const species = d.species ? d.species.map((v) => (typeof v === 'number' ? v : atomicNumber(v))) : speciesOf(frames);
  const cutoffFunction = d.cutoff_function ? { kind: d.cutoff_function } : undefined;
  try {
    if (d.type === 'body-order') {
      const o: BodyOrderOptions = { species, cutoff };
      if (d.r_min !== undefined) o.rMin = d.r_min;
      if (cutoffFunction) o.cutoffFunction = cutoffFunction;
      if (d.max_body_order !== undefined) o.maxBodyOrder = d.max_body_order;
      if (typeof d.n_max === 'number') o.nMax = d.n_max;
      if (d.n_max3 !== undefined) o.nMax3 = d.n_max3;
      if (d.l_max3 !== undefined) o.lMax3 = d.l_max3;
      if (d.n_max4 !== undefined) o.nMax4 = d.n_max4;
      if (d.l_max4 !== undefined) o.lMax4 = d.l_max4;
      if (d.radial_transform !== undefined) o.radialTransform = parseRadialTransform(d.radial_transform);
      return new BodyOrderDescriptor(o);
    }
    if (d.type === 'ace') {
      const o: AceOptions = { species, cutoff, nMax: Array.isArray(d.n_max) ? d.n_max : [] };
      if (d.r_min !== undefined) o.rMin = d.r_min;
      if (cutoffFunction) o.cutoffFunction = cutoffFunction;
      if (d.max_body_order !== undefined) o.maxBodyOrder = d.max_body_order;
      if (d.l_max !== undefined) o.lMax = d.l_max;
      if (d.degree !== undefined) o.degree = d.degree;
      if (d.l_weight !== undefined) o.lWeight = d.l_weight;
      if (d.l_int_max !== undefined) o.lIntMax = d.l_int_max;
      if (d.radial_transform !== undefined) o.radialTransform = parseRadialTransform(d.radial_transform);
      return new AceDescriptor(o);
    }
    const o: ACSFStandardOptions = { species, cutoff };
    if (d.r_min !== undefined) o.rMin = d.r_min;
    if (cutoffFunction) o.cutoffFunction = cutoffFunction;
    if (d.n_radial !== undefined) o.nRadial = d.n_radial;
    if (d.n_angular !== undefined) o.nAngular = d.n_angular;
    if (d.zetas !== undefined) o.zetas = d.zetas;
    if (d.angular_kind !== undefined) o.angularKind = d.angular_kind;
    return ACSF.standard(o);
  } catch (e) {
    if (e instanceof MlpotError) throw new ConfigError(`model.descriptor: ${e.message}`);
    throw e;
  }
}

/** A descriptor that forwards to another and counts structures computed (drives the progress bar). */
class CountingDescriptor implements Descriptor {
  calls = 0;
  readonly computeGradient?: (s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput) => void;
  constructor(private readonly inner: Descriptor, private readonly tick: (calls: number) => void) {
    // forwarded only when the inner descriptor has it (models test for its presence)
    if (inner.computeGradient) {
      const g = inner.computeGradient.bind(inner);
      this.computeGradient = (s, nl, w, out) => {
        g(s, nl, w, out);
        this.tick(++this.calls);
      };
    }
  }
  get name(): string {
    return this.inner.name;
  }
  get cutoff(): number {
    return this.inner.cutoff;
  }
  get species(): readonly number[] {
    return this.inner.species;
  }
  get size(): number {
    return this.inner.size;
  }
  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    this.inner.compute(s, nl, out);
    this.tick(++this.calls);
  }
  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    this.inner.computeWithDerivatives(s, nl, out);
    this.tick(++this.calls);
  }
  toJSON(): { type: string; version: number; [k: string]: unknown } {
    return this.inner.toJSON();
  }
}

// ---------------------------------------------------------------- the job

/** Predictions and labels of one data set, flattened for metrics and plots. */
export interface SetPredictions {
  name: string;
  records: TrainingRecord[];
  metrics: MetricsRecord;
  /** Per-frame energies per atom (eV/atom), frames with an energy label only. */
  energyRef: Float64Array;
  energyPred: Float64Array;
  /** Force components (eV/Å), frames with a force label only. */
  forceRef: Float64Array;
  forcePred: Float64Array;
  /** Predicted standard deviation of every force component in forceRef order (models with an uncertainty). */
  forceSigma?: Float64Array;
}

export interface TrainReport {
  format: 'mlpot-train-report';
  version: 1;
  mlpot_version: string;
  model_path: string;
  report_dir: string;
  descriptor: { type: string; size: number; species: string[] };
  data: { [set: string]: { path: string; frames: number; atoms: number; labels: LabelKeys } };
  /** Metrics per set (train, holdout from test_fraction, test file) and the CV estimate. */
  metrics: { train: MetricsRecord; holdout?: MetricsRecord; test?: MetricsRecord; cv?: { folds: number; lambda: number; force_rmse: number | null; loss: number } };
  model_type: ModelType;
  /** Wall time of the fit (descriptor work, accumulation or optimisation, CV, solve), s. */
  fit_time_s: number;
  /** Wall time of the whole job (reading, fitting, evaluating, writing), s. */
  total_time_s: number;
  /** The fitter's own report (LinearFitReport, GPFitReport, NNFitReport, committee report). */
  fit: unknown;
  fit_summary: { frames: number; lambda?: number; lines: string[]; warnings: string[]; offsetDetermined: boolean };
  /** Force-uncertainty calibration per set (models with an uncertainty). */
  calibration?: { [set: string]: CalibrationRecord };
  notes: string[];
  config: TrainConfig;
}

export interface TrainJobResult {
  model: FittedModel;
  report: TrainReport;
  sets: SetPredictions[];
  modelPath: string;
  reportDir: string;
}

export interface TrainJobOptions {
  /** Print the error table and notes (default true). */
  print?: boolean;
  /** Progress bar / lines on stderr (default true). */
  progress?: boolean;
  /** Print a JSON summary on stdout instead of the table. */
  json?: boolean;
  /** Most memory the pooled design rows of a linear fit may take (bytes; default half the free memory); above it they are made one frame at a time. */
  designMemoryBytes?: number;
}

/**
 * Fit the model of a config (paths used as given: resolve them first, e.g. with
 * `loadTrainConfig`), write the model file and the report directory, and return both.
 */
export async function runTrainJob(c: TrainConfig, opts: TrainJobOptions = {}): Promise<TrainJobResult> {
  const t0 = performance.now();
  const print = opts.print ?? true;
  const modelPath = c.output.model ?? 'model.json';
  const reportDir = c.output.report ?? `${modelPath.replace(/\.json$/i, '')}-report`;
  const notes: string[] = [];
  const note = (n: string) => {
    notes.push(n);
    if (print && !opts.json) process.stderr.write(`note: ${n}\n`);
  };
  const w = c.fit.weights;
  const used: (keyof LabelKeys)[] = ['energy', 'forces', ...(w.stress > 0 ? (['stress'] as const) : [])];
  const train = await readSource(c.data.train, 'data.train', used);
  train.notes.forEach(note);
  let trainFrames = train.frames;
  let holdoutFrames: Structure[] = [];
  if (c.data.test_fraction !== undefined) {
    if (trainFrames.length < 2) throw new ValidationError(`data.test_fraction needs at least 2 training frames, ${c.data.train.path} has ${trainFrames.length}`);
    const split = trainTestSplit(trainFrames.length, c.data.test_fraction, c.seed);
    holdoutFrames = split.test.map((i) => trainFrames[i]!);
    trainFrames = split.train.map((i) => trainFrames[i]!);
  }
  const test = c.data.test ? await readSource(c.data.test, 'data.test', ['energy', 'forces']) : undefined;
  test?.notes.forEach(note);

  const inner = descriptorFromConfig(c.model.descriptor, trainFrames);
  const evalSets = [...(holdoutFrames.length ? [holdoutFrames] : []), ...(test ? [test.frames] : [])];
  const nTrain = trainFrames.length;
  // descriptor evaluations: fit accumulation (nTrain) + fitLinear's train metrics (nTrain) + our predictions
  const total = 3 * nTrain + evalSets.reduce((a, f) => a + f.length, 0);
  const progress: Progress = createProgress('train', total, { enabled: (opts.progress ?? true) && !opts.json, fieldsFormat: '{stage}' });
  let done = 0;
  let stage = 'fit';
  const step = () => progress.update(++done, { stage });
  const desc = new CountingDescriptor(inner, step);

  let fitted: FitOutcome;
  try {
    // linear models: the per-frame design rows (~90 % of the fit) in worker threads, then the fit
    let pre: PrecomputedDesigns | undefined;
    const workers = c.fit.workers ?? (trainFrames.length >= 16 ? defaultDesignWorkers() : 0);
    const wants = c.model.type === 'linear' && workers > 1 ? linearFitWants(trainFrames, { weights: c.fit.weights, labels: train.keys }) : null;
    const bytes = wants ? designBytes(inner, trainFrames, wants) : 0;
    const limit = opts.designMemoryBytes ?? 0.5 * freemem();
    if (wants && bytes > limit) {
      note(`fit.workers: the design rows of all frames would take ${(bytes / 2 ** 30).toFixed(3)} GiB (limit ${(limit / 2 ** 30).toFixed(3)} GiB: half the free memory); made one frame at a time in this thread instead`);
    } else if (wants) {
      const t = performance.now();
      stage = 'design';
      const designs = await computeLinearDesigns(inner, trainFrames, wants, { workers, onProgress: step });
      pre = { designs, timeS: (performance.now() - t) / 1000, workers };
      stage = 'fit';
    }
    fitted = fitModel(c, trainFrames, desc, train.keys, (st) => {
      stage = st;
      progress.update(done, { stage });
    }, pre);
  } catch (e) {
    progress.stop();
    if (e instanceof MlpotError) throw new MlpotError(e.code, `data.train ${c.data.train.path}: ${e.message}`);
    throw e;
  }

  // the saved model, rebuilt from its JSON: what we evaluate is exactly what is written
  const json = fitted.json;
  json.training = {
    ...(json.training ?? {}),
    data: { train: c.data.train.path, test: c.data.test?.path ?? null, test_fraction: c.data.test_fraction ?? null, labels: train.keys },
    mlpot_version: VERSION,
  };
  const model = modelFromJSON(JSON.parse(JSON.stringify(json)) as unknown, 'fitted model');
  const offsetDetermined = model.offsetDetermined ?? true;

  stage = 'evaluate';
  const sets: SetPredictions[] = [predictSet('train', trainFrames, train.keys, model, offsetDetermined, step)];
  if (holdoutFrames.length) sets.push(predictSet('holdout', holdoutFrames, train.keys, model, offsetDetermined, step));
  if (test) sets.push(predictSet('test', test.frames, test.keys, model, offsetDetermined, step, `data.test ${c.data.test!.path}`));
  progress.stop();

  const metrics: TrainReport['metrics'] = { train: sets[0]!.metrics };
  for (const s of sets.slice(1)) metrics[s.name as 'holdout' | 'test'] = s.metrics;
  if (fitted.cv) metrics.cv = fitted.cv;
  const calibrationInfo: TrainReport['calibration'] = {};
  for (const st of sets) {
    if (!st.forceSigma) continue;
    const err = new Float64Array(st.forcePred.length);
    for (let k = 0; k < err.length; k++) err[k] = st.forcePred[k]! - st.forceRef[k]!;
    calibrationInfo[st.name] = calibration(err, st.forceSigma);
  }

  const dataInfo: TrainReport['data'] = {};
  for (const s of sets) {
    const path = s.name === 'test' ? c.data.test!.path : c.data.train.path;
    dataInfo[s.name] = { path, frames: s.records.length, atoms: s.metrics.n_atoms, labels: s.name === 'test' ? test!.keys : train.keys };
  }
  if (!offsetDetermined) note('w_E = 0: energies are known only up to a constant; energy errors and the energy parity plot have the mean per-atom offset of each set removed');
  const report: TrainReport = {
    format: 'mlpot-train-report',
    version: 1,
    mlpot_version: VERSION,
    model_path: modelPath,
    report_dir: reportDir,
    descriptor: { type: inner.name, size: inner.size, species: inner.species.map(symbolOf) },
    data: dataInfo,
    metrics,
    model_type: c.model.type,
    fit_time_s: fitted.fitTimeS,
    total_time_s: 0,
    fit: fitted.report,
    fit_summary: { frames: fitted.nFrames, lines: fitted.lines, warnings: fitted.warnings, offsetDetermined, ...(fitted.lambda !== undefined ? { lambda: fitted.lambda } : {}) },
    ...(Object.keys(calibrationInfo).length ? { calibration: calibrationInfo } : {}),
    notes,
    config: c,
  };

  // files
  mkdirSync(dirname(resolve(modelPath)), { recursive: true });
  writeAtomic(modelPath, JSON.stringify(json) + '\n');
  mkdirSync(reportDir, { recursive: true });
  const plots = reportPlots(sets, offsetDetermined);
  for (const st of sets) {
    if (!st.forceSigma) continue;
    const err = new Float64Array(st.forcePred.length);
    for (let k = 0; k < err.length; k++) err[k] = st.forcePred[k]! - st.forceRef[k]!;
    plots[`calibration-${st.name}.svg`] = calibrationSVG(err, st.forceSigma, `Force uncertainty calibration (${st.name})`);
  }
  for (const [name, svg] of Object.entries(plots)) writeFileSync(join(reportDir, name), svg);
  report.total_time_s = (performance.now() - t0) / 1000;
  writeFileSync(join(reportDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(reportDir, 'report.md'), reportMarkdown(report, Object.keys(plots)));

  if (print) {
    const out = process.stdout;
    if (opts.json) out.write(JSON.stringify({ model: modelPath, model_type: c.model.type, report: reportDir, metrics, fit_time_s: fitted.fitTimeS, lambda: fitted.lambda ?? null, calibration: report.calibration ?? null, warnings: fitted.warnings, notes }) + '\n');
    else {
      for (const w of fitted.warnings) process.stderr.write(`warning: ${w}\n`);
      out.write(`model  ${modelPath} (${c.model.type})\nreport ${reportDir}\n`);
      out.write(errorTable(report) + '\n');
      for (const [name, cal] of Object.entries(report.calibration ?? {})) {
        out.write(`force calibration (${name}): within 1 sigma ${num(cal.force_within_1sigma, 1, 3)}, within 2 sigma ${num(cal.force_within_2sigma, 1, 3)}, Spearman ${num(cal.sigma_error_spearman, 1, 3)}\n`);
      }
      out.write(`${fitted.headline}; fit time ${fitted.fitTimeS.toFixed(2)} s\n`);
    }
  }
  return { model, report, sets, modelPath, reportDir };
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Predict every frame of a set with `model`; metrics by `computeMetrics` (as `evaluatePotential`). */
export function predictSet(
  name: string, frames: readonly Structure[], labels: LabelKeys, model: Pick<FittedModel, 'compute'> & { capabilities?: { uncertainty: boolean } },
  offsetDetermined: boolean, tick: () => void = () => {}, what = name,
): SetPredictions {
  const unc = !!model.capabilities?.uncertainty;
  let records: TrainingRecord[];
  try {
    records = makeDataset(frames, { labels });
  } catch (e) {
    if (e instanceof MlpotError) throw new MlpotError(e.code, `${what}: ${e.message}`);
    throw e;
  }
  const samples: MetricSample[] = [];
  const eRef: number[] = [], ePred: number[] = [];
  let nf = 0;
  for (const r of records) if (r.forces) nf += r.forces.length;
  const fRef = new Float64Array(nf), fPred = new Float64Array(nf);
  const fSig = unc ? new Float64Array(nf) : null;
  let o = 0;
  for (const r of records) {
    let res;
    try {
      res = model.compute(r.structure, { forces: r.forces !== undefined, uncertainty: unc && r.forces !== undefined });
    } catch (e) {
      if (e instanceof MlpotError) throw new MlpotError(e.code, `${what}, frame ${r.index}: ${e.message}`);
      throw e;
    }
    tick();
    const s: MetricSample = { natoms: r.natoms, energyPred: res.energy };
    if (r.energy !== undefined) {
      s.energyRef = r.energy;
      eRef.push(r.energy / r.natoms);
      ePred.push(res.energy / r.natoms);
    }
    if (r.forces && res.forces) {
      s.forcesPred = res.forces;
      s.forcesRef = r.forces;
      fRef.set(r.forces, o);
      fPred.set(res.forces, o);
      if (fSig) {
        const sd = res.uncertainty?.forceStd;
        if (!sd || sd.length !== r.forces.length) throw new ValidationError(`${what}, frame ${r.index}: the model declares an uncertainty but returned no per-component force standard deviations`);
        fSig.set(sd, o);
      }
      o += r.forces.length;
    }
    samples.push(s);
  }
  return {
    name,
    records,
    metrics: computeMetrics(samples, { offsetDetermined }),
    energyRef: Float64Array.from(eRef),
    energyPred: Float64Array.from(ePred),
    forceRef: fRef.subarray(0, o),
    forcePred: fPred.subarray(0, o),
    ...(fSig ? { forceSigma: fSig.subarray(0, o) } : {}),
  };
}

/** The three report figures, by file name. */
export function reportPlots(sets: readonly SetPredictions[], offsetDetermined: boolean): Record<string, string> {
  const energySeries = sets.map((s) => {
    const pred = Float64Array.from(s.energyPred);
    if (!offsetDetermined && pred.length) {
      let mean = 0;
      for (let k = 0; k < pred.length; k++) mean += pred[k]! - s.energyRef[k]!;
      mean /= pred.length;
      for (let k = 0; k < pred.length; k++) pred[k] = pred[k]! - mean;
    }
    return { name: s.name, ref: s.energyRef, pred };
  });
  const forceErr = sets.map((s) => ({ name: s.name, values: Float64Array.from(s.forcePred, (v, k) => v - s.forceRef[k]!) }));
  return {
    'parity-energy.svg': paritySVG(energySeries, {
      title: offsetDetermined ? 'Energy per atom' : 'Energy per atom (mean offset removed: w_E = 0)',
      xLabel: 'reference E/N (eV/atom)',
      yLabel: 'predicted E/N (eV/atom)',
      unit: 'meV/atom',
      rmseScale: 1000,
    }),
    'parity-forces.svg': paritySVG(
      sets.map((s) => ({ name: s.name, ref: s.forceRef, pred: s.forcePred })),
      { title: 'Force components', xLabel: 'reference F (eV/Å)', yLabel: 'predicted F (eV/Å)', unit: 'eV/Å' },
    ),
    'error-histogram.svg': histogramSVG(forceErr, { title: 'Force component errors', xLabel: 'F_pred - F_ref (eV/Å)', bins: 50 }),
  };
}

function fmtLambda(v: number): string {
  return v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? v.toExponential() : String(v);
}

function num(v: number | null, scale = 1, digits = 4): string {
  return v === null || !Number.isFinite(v) ? '-' : (v * scale).toPrecision(digits);
}

/** Rows of the error table: [set, frames, atoms, E MAE, E RMSE (meV/atom), F MAE, F RMSE (eV/Å)]. */
function tableRows(r: TrainReport): string[][] {
  const rows: string[][] = [];
  const add = (name: string, m: MetricsRecord) => rows.push([name, String(m.n_structures), String(m.n_atoms), num(m.energy_mae, 1000), num(m.energy_rmse, 1000), num(m.force_mae), num(m.force_rmse)]);
  add('train', r.metrics.train);
  if (r.metrics.holdout) add('holdout (test_fraction)', r.metrics.holdout);
  if (r.metrics.test) add('test', r.metrics.test);
  if (r.metrics.cv) rows.push([`CV (${r.metrics.cv.folds}-fold)`, String(r.fit_summary.frames), '-', '-', '-', '-', num(r.metrics.cv.force_rmse)]);
  return rows;
}

const TABLE_HEAD = ['set', 'frames', 'atoms', 'E MAE meV/atom', 'E RMSE meV/atom', 'F MAE eV/Å', 'F RMSE eV/Å'];

/** The error table as aligned plain text (stdout). */
export function errorTable(r: TrainReport): string {
  const rows = [TABLE_HEAD, ...tableRows(r)];
  const w = TABLE_HEAD.map((_, j) => Math.max(...rows.map((row) => row[j]!.length)));
  return rows.map((row) => row.map((v, j) => (j === 0 ? v.padEnd(w[j]!) : v.padStart(w[j]!))).join('  ')).join('\n');
}

function reportMarkdown(r: TrainReport, plots: string[]): string {
  const f = r.fit_summary;
  const md: string[] = [];
  md.push('# mlpot train report', '');
  md.push(`- model: \`${r.model_path}\` (${r.model_type}, ${r.descriptor.type} descriptor, ${r.descriptor.size} features x ${r.descriptor.species.length} species: ${r.descriptor.species.join(', ')})`);
  for (const [k, d] of Object.entries(r.data)) md.push(`- ${k}: \`${d.path}\`, ${d.frames} frames, ${d.atoms} atoms, labels ${d.labels.energy} / ${d.labels.forces}`);
  md.push(`- fit time: ${r.fit_time_s.toFixed(2)} s (whole job ${r.total_time_s.toFixed(2)} s); mlpot ${r.mlpot_version}`, '');
  md.push('## Errors', '');
  md.push(`| ${TABLE_HEAD.join(' | ')} |`, `|${TABLE_HEAD.map((_, j) => (j === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of tableRows(r)) md.push(`| ${row.join(' | ')} |`);
  md.push('', 'Energy errors are per atom, (E_pred - E_ref)/N; force errors per Cartesian component.');
  if (!f.offsetDetermined) md.push('', '**Energies are known only up to a constant (w_E = 0):** the energy offset is undetermined, so the energy errors above have the mean per-atom error of each set removed.');
  if (r.calibration) {
    md.push('', '## Force uncertainty calibration', '', '| set | components | within 1 sigma (0.683) | within 2 sigma (0.954) | Spearman(sigma, abs error) | mean sigma eV/Å | RMS error eV/Å |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const [k, c] of Object.entries(r.calibration)) md.push(`| ${k} | ${c.n_components} | ${num(c.force_within_1sigma, 1, 3)} | ${num(c.force_within_2sigma, 1, 3)} | ${num(c.sigma_error_spearman, 1, 3)} | ${num(c.mean_sigma)} | ${num(c.rms_error)} |`);
  }
  md.push('', '## Fit', '');
  for (const l of f.lines) md.push(l.startsWith('|') || l.startsWith('#') || l === '' ? l : `- ${l}`);
  if (f.warnings.length || r.notes.length) {
    md.push('', '## Warnings and notes', '');
    for (const w of [...f.warnings, ...r.notes]) md.push(`- ${w}`);
  }
  md.push('', '## Figures', '');
  for (const p of plots) md.push(`![${p}](${p})`);
  return md.join('\n') + '\n';
}

// ---------------------------------------------------------------- fitting, per model type

export interface FitOutcome {
  json: { format: string; version: number; type: string; training?: { [k: string]: unknown } };
  /** The fitter's own report. */
  report: unknown;
  fitTimeS: number;
  warnings: string[];
  /** Markdown lines for the report's Fit section. */
  lines: string[];
  /** One line for stdout. */
  headline: string;
  nFrames: number;
  lambda?: number;
  cv?: TrainReport['metrics']['cv'];
}

function linearOptions(c: TrainConfig, desc: Descriptor, labels: LabelKeys): LinearFitOptions {
  const o: LinearFitOptions = {
    descriptor: desc,
    weights: { ...c.fit.weights },
    offset: c.model.offset,
    energyPerAtom: c.fit.energy_per_atom,
    labels,
    seed: c.seed,
    folds: c.fit.folds,
    cvMetric: c.fit.cv_metric,
  };
  if (c.fit.lambdas) o.lambdas = c.fit.lambdas;
  else o.lambda = c.fit.lambda ?? 0;
  return o;
}

function gpOptions(c: TrainConfig, desc: Descriptor, labels: LabelKeys, seed: number): GPFitOptions {
  const g = c.model.gp!;
  const kernel: KernelSpec =
    g.kernel === 'se' ? { type: 'se', lengthScale: g.length_scale ?? 1, sigma: 1 }
      : g.kernel === 'poly' ? { type: 'poly', zeta: g.zeta ?? 2, offset: g.offset ?? 1, sigma: 1 }
        : { type: 'dot', zeta: g.zeta ?? 2, sigma: 1 };
  const o: GPFitOptions = {
    descriptor: desc,
    kernel,
    sparse: { method: g.selection, count: g.sparse, seed },
    scaling: g.scaling,
    optimize: g.optimize,
    use: { energy: c.fit.weights.energy > 0, forces: c.fit.weights.forces > 0, stress: c.fit.weights.stress > 0 },
    labels,
  };
  if (g.shapes) o.shapes = g.shapes;
  if (g.noise) o.noise = { ...g.noise };
  if (g.fixed_noise) o.fixNoise = g.fixed_noise;
  return o;
}

function nnOptions(c: TrainConfig, desc: Descriptor, labels: LabelKeys, seed: number, onEpoch?: (e: EpochRecord) => void): NNFitOptions {
  const n = c.model.nn!;
  const o: NNFitOptions = {
    descriptor: desc,
    hidden: n.hidden,
    activation: n.activation,
    weights: { energy: c.fit.weights.energy, forces: c.fit.weights.forces },
    lambda: c.fit.lambda ?? 0,
    offset: c.model.offset,
    energyPerAtom: c.fit.energy_per_atom,
    optimizer: n.optimizer,
    epochs: n.epochs,
    batchSize: n.batch_size,
    schedule: n.schedule === 'constant' ? { type: 'constant' } : n.schedule === 'cosine' ? { type: 'cosine', ...(n.decay !== undefined ? { minFactor: n.decay } : {}) } : { type: 'exponential', ...(n.decay !== undefined ? { decay: n.decay } : {}) },
    patience: n.patience,
    seed,
    labels,
  };
  if (n.learning_rate !== undefined) o.learningRate = n.learning_rate;
  if (n.validation_fraction !== undefined) o.validationFraction = n.validation_fraction;
  if (onEpoch) o.onEpoch = onEpoch;
  return o;
}

function linearLines(f: LinearFitReport): string[] {
  const lines = [
    `loss weights: w_E = ${f.weights.energy}, w_F = ${f.weights.forces}, w_S = ${f.weights.stress}; energy rows per atom: ${f.energyPerAtom}; offset: ${f.offset}`,
  ];
  if (f.offset === 'per-element' && f.offsetDetermined) lines.push(`e0 (eV/atom): ${f.species.map((z, k) => `${symbolOf(z)} ${f.e0[k]!.toPrecision(8)}`).join(', ')}`);
  if (f.energyOffset !== null) lines.push(`global energy offset b = ${f.energyOffset.toPrecision(8)} eV`);
  lines.push(`lambda = ${fmtLambda(f.lambda)}; solver: ${f.solver.method}, rank ${f.solver.rank} of ${f.nColumns} columns, reciprocal condition estimate ${f.solver.reciprocalConditionEstimate.toExponential(2)}`);
  lines.push(`${f.nFrames} frames, ${f.nRows} rows; loss: data ${f.loss.data.toPrecision(6)}, penalty ${f.loss.penalty.toPrecision(6)}`);
  lines.push(`design rows: ${f.designWorkers ? `${f.designWorkers} worker threads` : 'this thread'} (fit.workers)`);
  if (f.lambdaPath.length) {
    lines.push('', `### Lambda path (${f.cvFolds}-fold cross-validation, metric: ${f.cvMetric})`, '', '| lambda | CV loss | CV force RMSE eV/Å | chosen |', '|---:|---:|---:|:---:|');
    for (const p of f.lambdaPath) lines.push(`| ${fmtLambda(p.lambda)} | ${p.cvLoss.toPrecision(6)} | ${num(p.cvForceRmse)} | ${p.lambda === f.lambda ? 'yes' : ''} |`);
  }
  return lines;
}

function gpLines(r: GPFitReport): string[] {
  const k = r.kernel;
  return [
    `kernel: ${k.type}${k.type === 'se' ? ` length scale ${k.lengthScale.toPrecision(4)}` : ` zeta ${k.zeta}`}${k.type === 'poly' ? ` offset ${k.offset}` : ''}, sigma ${k.sigma.toPrecision(4)}; log evidence ${r.logEvidence.toPrecision(8)}`,
    `noise: energy ${r.noise.energy.toPrecision(3)} eV/atom, forces ${r.noise.forces.toPrecision(3)} eV/Å, stress ${r.noise.stress.toPrecision(3)} eV/Å^3`,
    `sparse environments: ${r.sparse.total} (${r.sparse.method}; per element ${r.sparse.perSpecies.join(', ')}; K_MM rank kept ${r.sparse.rank})`,
    `observations: ${r.observations.energy} energies, ${r.observations.forces} force components, ${r.observations.stress} stress components from ${r.nFrames} frames`,
    `times (s): selection ${r.timeS.select.toFixed(2)}, accumulation ${r.timeS.accumulate.toFixed(2)}, optimisation ${r.timeS.optimize.toFixed(2)}`,
  ];
}

function nnLines(r: NNFitReport): string[] {
  return [
    `network: layers ${r.layers.join('-')}, ${r.activation}, ${r.nParameters} parameters; optimizer ${r.optimizer}`,
    `loss weights: w_E = ${r.weights.energy}, w_F = ${r.weights.forces}; lambda ${fmtLambda(r.lambda)}; energy per atom: ${r.energyPerAtom}; offset ${r.offset}`,
    `${r.epochs} epochs, best ${r.bestEpoch}, stop: ${r.stopReason}; ${r.nTrain} training frames, ${r.nValidation} validation frames (early stopping)`,
    `times (s): descriptors ${r.prepareTimeS.toFixed(2)}, training ${r.trainTimeS.toFixed(2)}`,
  ];
}

/** Design rows of a linear fit computed before `fitModel` (in worker threads), with their wall time. */
export interface PrecomputedDesigns {
  designs: LinearDesign[];
  timeS: number;
  workers: number;
}

/** Fit the configured model type on `frames`; `onStage` names the current stage for the progress line. */
export function fitModel(c: TrainConfig, frames: Structure[], desc: Descriptor, labels: LabelKeys, onStage: (stage: string) => void, pre?: PrecomputedDesigns): FitOutcome {
  const t0 = performance.now();
  const type = c.model.type;
  if (type === 'linear') {
    const r = fitLinear(frames, { ...linearOptions(c, desc, labels), ...(pre ? { designs: pre.designs } : {}) });
    const f = r.report;
    if (pre) {
      f.fitTimeS += pre.timeS; // the fit's wall time includes the design rows made before it
      f.designWorkers = pre.workers;
    }
    const chosen = f.lambdaPath.find((p) => p.lambda === f.lambda);
    const out: FitOutcome = {
      json: r.potential.toJSON(), report: f, fitTimeS: f.fitTimeS, warnings: f.warnings, lines: linearLines(f), nFrames: f.nFrames, lambda: f.lambda,
      headline: `lambda ${fmtLambda(f.lambda)}${f.cvFolds ? ` (${f.cvFolds}-fold CV over ${f.lambdaPath.length} values)` : ''}; solver ${f.solver.method}, rank ${f.solver.rank}/${f.nColumns}`,
    };
    if (f.cvFolds > 0 && chosen) out.cv = { folds: f.cvFolds, lambda: chosen.lambda, force_rmse: chosen.cvForceRmse, loss: chosen.cvLoss };
    return out;
  }
  if (type === 'gp') {
    onStage('gp');
    const r = fitGP(frames, gpOptions(c, desc, labels, c.seed));
    return { json: r.potential.toJSON(), report: r.report, fitTimeS: r.report.timeS.total, warnings: [], lines: gpLines(r.report), nFrames: r.report.nFrames, headline: `GP: ${r.report.sparse.total} sparse environments, kernel ${r.report.kernel.type}, sigma ${r.report.kernel.sigma.toPrecision(3)}, noise E ${r.report.noise.energy.toPrecision(3)} eV/atom, F ${r.report.noise.forces.toPrecision(3)} eV/Å` };
  }
  if (type === 'nn') {
    const r = fitNN(frames, nnOptions(c, desc, labels, c.seed, (e) => onStage(`nn epoch ${e.epoch}`)));
    return { json: r.potential.toJSON(), report: r.report, fitTimeS: r.report.prepareTimeS + r.report.trainTimeS, warnings: r.report.warnings, lines: nnLines(r.report), nFrames: r.report.nTrain, headline: `NN ${r.report.layers.join('-')}: ${r.report.epochs} epochs (best ${r.report.bestEpoch}, ${r.report.stopReason})` };
  }
  // committee
  const cm = c.model.committee!;
  const copts: CommitteeFitOptions = { members: cm.members, resample: cm.resample, seed: c.seed, onMember: (k, K) => onStage(`member ${k}/${K}`) };
  if (cm.fraction !== undefined) copts.fraction = cm.fraction;
  let res;
  if (cm.member === 'linear') res = fitLinearCommittee(frames, linearOptions(c, desc, labels), copts);
  else if (cm.member === 'gp') res = fitCommittee(frames, copts, (fr, seed) => fitGP(fr, gpOptions(c, desc, labels, seed)).potential);
  else res = fitCommittee(frames, copts, (fr, seed) => fitNN(fr, nnOptions(c, desc, labels, seed)).potential);
  const rep = res.report;
  const lines = [
    `${cm.members} ${cm.member} members, resample ${rep.resample}${rep.resample === 'subsample' ? ` (fraction ${cm.fraction ?? 0.8})` : ''}${rep.lambda !== undefined ? `, lambda ${fmtLambda(rep.lambda)} for every member` : ''}`,
    '', '| member | seed | frames | distinct | fit time s |', '|---:|---:|---:|---:|---:|',
    ...rep.members.map((m, k) => `| ${k} | ${m.seed} | ${m.frames.length} | ${m.distinct} | ${m.fitTimeS.toFixed(2)} |`),
  ];
  const out: FitOutcome = { json: res.potential.toJSON(), report: rep, fitTimeS: (performance.now() - t0) / 1000, warnings: [], lines, nFrames: frames.length, headline: `committee of ${cm.members} ${cm.member} models (${rep.resample})` };
  if (rep.lambda !== undefined) out.lambda = rep.lambda;
  return out;
}

/** `mlpot train` entry: load the config, run, return the result. */
export async function trainCommand(flags: TrainFlags): Promise<TrainJobResult> {
  if (!flags.config) throw new ConfigError('mlpot train needs a config: -c train.yaml (see mlpot train --help and docs/training.md)');
  const c = loadTrainConfig(flags.config, flags);
  return runTrainJob(c, { progress: flags.progress ?? true, json: !!flags.json });
}
