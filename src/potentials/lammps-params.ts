/**
 * Parser for LAMMPS many-body parameter files (pair_style sw, tersoff, and relatives), read the
 * way LAMMPS' PotentialFileReader reads them:
 *
 * - `#` starts a comment that runs to the end of the line; blank lines are skipped;
 * - an entry is three element names followed by a fixed number of numeric values, and may be
 *   continued over several lines (lines are joined until the entry has all its words);
 * - only entries whose three elements are all among the requested elements are used, and each
 *   requested (i, j, k) triplet must appear exactly once;
 * - a first-line `UNITS:` tag other than `metal` is rejected (mlpot works in metal units).
 *
 * Strings in, records out: this runs in a browser as well as in Node.
 */
import { ParameterError, ParseError } from '../core/errors.js';
import { atomicNumber } from '../core/elements.js';

export interface LammpsEntry {
  /** The three element symbols (i, j, k) as written. */
  elements: [string, string, string];
  values: number[];
  /** 1-based line where the entry starts. */
  line: number;
}

export interface ParseOptions {
  /** Label for messages (file name or style). */
  source?: string;
}

/** Name the values of an entry: `keys[q]` gets `values[q]` (file order). */
export function namedValues<K extends string>(keys: readonly K[], values: readonly number[]): Record<K, number> {
  return Object.fromEntries(keys.map((k, q) => [k, values[q]!])) as Record<K, number>;
}

/**
 * Read a triplet file (sw, tersoff, ...) for `elements`: one record per (i, j, k) in the order of
 * `lammpsTripletTable`, its values named by `keys` in file order.
 */
export function readLammpsTriplets<K extends string>(text: string, elements: readonly string[], keys: readonly K[], source: string): Record<K, number>[] {
  const entries = parseLammpsEntries(text, keys.length, { source });
  return lammpsTripletTable(entries, elements, { source }).map((e) => namedValues(keys, e.values));
}

/** Every entry of a file (all elements), each with exactly `nValues` numbers after the 3 names. */
export function parseLammpsEntries(text: string, nValues: number, opts: ParseOptions = {}): LammpsEntry[] {
  const file = opts.source ?? 'parameter file';
  const lines = text.split(/\r?\n/);
  const first = lines[0] ?? '';
  const units = /UNITS:\s*(\S+)/.exec(first);
  if (units && units[1] !== 'metal') {
    throw new ParseError(`parameters are in LAMMPS "${units[1]}" units; mlpot reads metal units (eV, Å) only`, { file, line: 1 });
  }
  const want = 3 + nValues;
  const out: LammpsEntry[] = [];
  let words: string[] = [];
  let start = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const hash = lines[ln]!.indexOf('#');
    const body = (hash >= 0 ? lines[ln]!.slice(0, hash) : lines[ln]!).trim();
    if (!body) continue;
    if (words.length === 0) start = ln + 1;
    words.push(...body.split(/\s+/));
    if (words.length < want) continue;
    if (words.length > want) {
      throw new ParseError(`entry starting "${words.slice(0, 3).join(' ')}" has ${words.length - 3} values, expected ${nValues}`, { file, line: start });
    }
    // names are matched against the requested elements later; LAMMPS allows any label here
    const el = words.slice(0, 3) as [string, string, string];
    const values = words.slice(3).map((w, q) => {
      const v = Number(w);
      if (!Number.isFinite(v) || w === '') throw new ParseError(`value ${q + 1} of entry ${el.join(' ')} is "${w}", not a number`, { file, line: start });
      return v;
    });
    out.push({ elements: el, values, line: start });
    words = [];
  }
  if (words.length > 0) {
    throw new ParseError(`file ends inside the entry "${words.slice(0, 3).join(' ')}": it has ${words.length - 3} values, expected ${nValues}`, { file, line: start });
  }
  return out;
}

/**
 * Entries for the requested elements as a dense table: table[(i * ne + j) * ne + k] is the entry
 * for element triplet (elements[i], elements[j], elements[k]). Throws on missing or duplicated
 * triplets, like LAMMPS.
 */
export function lammpsTripletTable(entries: readonly LammpsEntry[], elements: readonly string[], opts: ParseOptions = {}): LammpsEntry[] {
  const file = opts.source ?? 'parameter file';
  const unique = uniqueElements(elements);
  const ne = unique.length;
  const index = new Map(unique.map((e, q) => [e, q]));
  const table: (LammpsEntry | undefined)[] = new Array(ne * ne * ne).fill(undefined);
  for (const en of entries) {
    const [a, b, c] = en.elements.map((e) => index.get(e));
    if (a === undefined || b === undefined || c === undefined) continue;
    const slot = (a * ne + b) * ne + c;
    const prev = table[slot];
    if (prev) throw new ParseError(`duplicate entry for ${en.elements.join(' ')} (also at line ${prev.line})`, { file, line: en.line });
    table[slot] = en;
  }
  for (let s = 0; s < table.length; s++) {
    if (!table[s]) {
      const i = Math.floor(s / (ne * ne)), j = Math.floor(s / ne) % ne, k = s % ne;
      throw new ParameterError(`${file} has no entry for the element triplet ${unique[i]} ${unique[j]} ${unique[k]} (needed for elements ${unique.join(' ')})`);
    }
  }
  return table as LammpsEntry[];
}

/** Distinct element symbols in first-seen order; throws on a non-element. */
export function uniqueElements(elements: readonly string[]): string[] {
  if (elements.length === 0) throw new ParameterError('no elements given (pass the element of every type, like pair_coeff * * file Si)');
  const out: string[] = [];
  for (const e of elements) {
    atomicNumber(e); // throws on an unknown symbol
    if (!out.includes(e)) out.push(e);
  }
  return out;
}

/**
 * Symmetry checks accept differences from rounding in published files (e.g. lambda*eps of
 * CdTeZnSeHgS0.sw agree to 1e-7); such entries make the result depend on neighbour order at
 * that level, exactly as in LAMMPS.
 */
export function nearlyEqual(a: number, b: number, rel = 1e-6): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}
