/**
 * Configuration for run commands (md, opt): a YAML file (`-c FILE`) and/or command-line flags,
 * merged (flags win) and validated against a JSON schema. This is the only place where strings
 * are coerced into typed options; library code receives typed records.
 *
 * Keys are snake_case in YAML (`max_force`); flags are kebab-case (`--max-force`); both map to
 * the same schema key. Unknown keys, wrong types and out-of-range values are errors that name the
 * key, the file and the line.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { MlpotError } from '../core/errors.js';

export class ConfigError extends MlpotError {
  constructor(message: string) {
    super('CONFIG', message);
    this.name = 'ConfigError';
  }
}

/** camelCase or kebab-case -> snake_case. */
export function snakeKey(k: string): string {
  return k.replace(/-/g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

interface Source {
  file?: string;
  doc?: Document;
  lines?: LineCounter;
}

function lineOf(src: Source, key: string): number | undefined {
  if (!src.doc || !src.lines || !isMap(src.doc.contents)) return undefined;
  for (const item of src.doc.contents.items) {
    const k = item.key as { value?: unknown; range?: [number, number, number] } | null;
    if (k && snakeKey(String(k.value)) === key && k.range) return src.lines.linePos(k.range[0]).line;
  }
  return undefined;
}

/**
 * Load, merge and validate. `flags` are commander's parsed options (camelCase keys; undefined
 * values are ignored). Returns the validated config with schema defaults applied.
 */
export function loadConfig<T>(schema: object, file: string | undefined, flags: Record<string, unknown>, ignoreFlags: readonly string[] = ['config']): T {
  const src: Source = {};
  let fromFile: Record<string, unknown> = {};
  if (file) {
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
    const js = doc.toJS() as unknown;
    if (js !== null && js !== undefined) {
      if (typeof js !== 'object' || Array.isArray(js)) throw new ConfigError(`${file}: the config must be a mapping of keys to values`);
      for (const [k, v] of Object.entries(js as Record<string, unknown>)) fromFile[snakeKey(k)] = v;
    }
    Object.assign(src, { file, doc, lines });
  }
  const merged: Record<string, unknown> = { ...fromFile };
  const fromFlags = new Set<string>();
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined || ignoreFlags.includes(k)) continue;
    merged[snakeKey(k)] = v;
    fromFlags.add(snakeKey(k));
  }
  const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: true });
  const validate = ajv.compile(schema);
  if (!validate(merged)) {
    const msgs = (validate.errors ?? []).map((e) => describe(e, src, fromFlags, schema as unknown as { properties?: object }));
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(msgs)].join('\n  ')}`);
  }
  return merged as T;
}

function where(key: string, src: Source, fromFlags: Set<string>): string {
  if (fromFlags.has(key)) return ` (flag --${key.replace(/_/g, '-')})`;
  const line = lineOf(src, key);
  return src.file ? ` (${src.file}${line ? ` line ${line}` : ''})` : '';
}

function describe(e: ErrorObject, src: Source, fromFlags: Set<string>, schema: { properties?: object }): string {
  const key = e.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  if (e.keyword === 'additionalProperties') {
    const bad = String((e.params as { additionalProperty: string }).additionalProperty);
    const known = Object.keys(schema.properties ?? {}).sort();
    const close = known.filter((k) => k.startsWith(bad.slice(0, 3)) || bad.startsWith(k.slice(0, 3)));
    return `unknown key "${bad}"${where(bad, src, fromFlags)}${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''} (known keys: ${known.join(', ')})`;
  }
  if (e.keyword === 'required') {
    const miss = String((e.params as { missingProperty: string }).missingProperty);
    return `missing required key "${miss}" (give it in the config file or as --${miss.replace(/_/g, '-')})`;
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return `key "${key}"${where(key, src, fromFlags)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  }
  return `key "${key}"${where(key, src, fromFlags)} ${e.message ?? 'is invalid'}`;
}
