/**
 * Extended XYZ (and plain XYZ), read and write, compatible with ASE 3.22's `ase.io.extxyz`.
 *
 * A frame is: an atom-count line, a comment line, then one line per atom.
 * The comment line holds `key=value` pairs (values may be quoted with "", '', {} or [], and `\`
 * escapes the next character). Three keys are structural and consumed:
 *
 *   Lattice="ax ay az bx by bz cx cy cz"   -> cell (rows = lattice vectors)
 *   pbc="T T F"                            -> pbc (default: T T T when Lattice is present, else F F F)
 *   Properties=species:S:1:pos:R:3:...     -> per-atom columns (name:type:ncols; type R, I, S or L)
 *
 * Every other key goes to `info` under its own name; every column other than species, pos and Z
 * goes to `arrays` under its own name. Nothing is renamed: `energy`/`forces` (predictions) and
 * `REF_energy`/`REF_forces` (reference labels) stay distinct. Value typing follows ASE: all-integer
 * tokens -> number(s), all-float tokens -> number(s), all T/F -> boolean(s), `_JSON ...` -> JSON,
 * anything else -> string. `stress` and `virial` with 9 numbers are 3x3 matrices written in
 * Fortran (column-major) order, as ASE does; in `info` they are kept as a flat row-major number[9]
 * of the matrix ASE sees.
 *
 * The reader is incremental (`XyzStreamParser`): it is fed lines or text chunks and hands back each
 * frame as soon as its last atom line arrives, so memory use does not depend on file length.
 * The writer prints floats in the shortest form that parses back to the same double.
 */
import { ParseError, ValidationError } from '../core/errors.js';
import { ELEMENTS, MAX_Z } from '../core/elements.js';
import { Structure, type InfoValue, type PerAtomArray } from '../structure/structure.js';
import type { ReadOptions, WriteOptions } from './format.js';
import { formatFloat, formatReal } from './text.js';

/** How a frame's comment line is read. */
export type XyzMode =
  /** Always key=value pairs (extended XYZ, ASE's reader). */
  | 'extended'
  /** Never: the comment is free text, stored as `info.comment`; atom lines are `Symbol x y z`. */
  | 'plain'
  /** Per frame: extended when the comment line contains `Properties=` or `Lattice=`, else plain. */
  | 'auto';

export interface XyzReadOptions extends ReadOptions {
  mode?: XyzMode;
}

// ---------------------------------------------------------------------------------------------
// Comment line: key=value pairs

interface RawPair {
  key: string;
  /** null for a bare key (means true). */
  value: string | null;
}

const CLOSING: Record<string, string> = { '"': '"', "'": "'", '{': '}', '[': ']' };

/** Split a comment line into raw key/value pairs as ASE's `key_val_str_to_dict` does. */
function lexPairs(line: string, where: () => { file?: string; frame?: number; line?: number }): RawPair[] {
  const out: RawPair[] = [];
  let parts: string[] = [];
  let buf = '';
  let quoted = false; // the current part had a (possibly empty) quoted section
  let close: string | null = null;
  let escaped = false;
  const flush = () => {
    if (parts.length === 0 && buf === '' && !quoted) return;
    parts.push(buf);
    const key = parts[0]!;
    if (key === '') throw new ParseError(`comment line has a value without a key ("=${parts.slice(1).join('=')}"); expected key=value pairs`, where());
    out.push({ key, value: parts.length > 1 ? parts.slice(1).join('=') : null });
    parts = [];
    buf = '';
    quoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (escaped) {
      buf += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
    } else if (close !== null) {
      if (ch === close) close = null;
      else buf += ch;
    } else if (ch in CLOSING) {
      close = CLOSING[ch]!;
      quoted = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      // whitespace right after "key=" (before the value) is skipped, as in ASE
      if (buf === '' && !quoted && parts.length > 0) continue;
      flush();
    } else if (ch === '=') {
      if (parts.length === 0 && buf === '' && !quoted) {
        // "key = value": the key was already closed by whitespace; reopen it
        const last = out[out.length - 1];
        if (last === undefined || last.value !== null) {
          throw new ParseError(`comment line has "=" without a key at column ${i + 1}; expected key=value pairs`, where());
        }
        out.pop();
        parts = [last.key];
      } else {
        parts.push(buf);
        buf = '';
        quoted = false;
      }
    } else {
      buf += ch;
    }
  }
  if (close !== null) {
    throw new ParseError(`unterminated quote: a value opened with ${JSON.stringify(Object.keys(CLOSING).find((k) => CLOSING[k] === close))} is not closed by ${JSON.stringify(close)} before the end of the comment line`, where());
  }
  flush();
  return out;
}

const TOKEN_RE = /[^\s,]+/g;
const INT_RE = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_RE = /^[+-]?(?:(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?|nan|inf|infinity)$/i;

/** A token Python's float() accepts, as a double. */
function pyFloat(tok: string): number {
  const t = tok.includes('_') ? tok.replace(/_/g, '') : tok;
  const v = Number(t);
  if (!Number.isNaN(v)) return v;
  const low = t.toLowerCase();
  if (low.endsWith('nan')) return NaN;
  return low.startsWith('-') ? -Infinity : Infinity;
}

/** Numbers when every token is one (ASE: ints first, then floats), else undefined. */
function numericTokens(tokens: readonly string[]): number[] | undefined {
  for (const t of tokens) if (!FLOAT_RE.test(t)) return undefined;
  return tokens.map(pyFloat);
}

/** Row-major <-> Fortran order of a 3x3 (its own inverse: a transpose). */
function transpose9(v: readonly number[]): number[] {
  return [v[0]!, v[3]!, v[6]!, v[1]!, v[4]!, v[7]!, v[2]!, v[5]!, v[8]!];
}

const SPECIAL_3X3 = new Set(['stress', 'virial']);

/** Convert a raw comment-line value to an info value with ASE's typing rules. */
function infoValue(key: string, raw: string | null, where: () => { file?: string; frame?: number; line?: number }): InfoValue {
  if (raw === null) return true;
  if (key.toLowerCase() === 'uid') return raw;
  const tokens = raw.match(TOKEN_RE) ?? [];
  const nums = numericTokens(tokens);
  if (nums !== undefined) {
    if (nums.length === 1) return nums[0]!;
    return SPECIAL_3X3.has(key) && nums.length === 9 ? transpose9(nums) : nums;
  }
  if (tokens.every((t) => t === 'T' || t === 'F')) {
    const b = tokens.map((t) => t === 'T');
    return b.length === 1 ? b[0]! : b;
  }
  if (raw.startsWith('_JSON ')) {
    let d: unknown;
    try {
      d = JSON.parse(raw.slice(6));
    } catch (err) {
      throw new ParseError(`info key "${key}": value starts with "_JSON " but is not valid JSON (${(err as Error).message})`, where());
    }
    return jsonInfo(d) ?? raw;
  }
  return raw;
}

/** JSON values that fit an InfoValue; undefined for the rest (kept as the raw "_JSON ..." string). */
function jsonInfo(d: unknown): InfoValue | undefined {
  if (typeof d === 'number' || typeof d === 'string' || typeof d === 'boolean') return d;
  if (!Array.isArray(d)) return undefined;
  if (d.every((x) => typeof x === 'number')) return d as number[];
  if (d.every((x) => typeof x === 'boolean')) return d as boolean[];
  if (d.every((x) => typeof x === 'string')) return d as string[];
  if (d.every((r) => Array.isArray(r) && r.length === (d[0] as unknown[]).length && r.every((x: unknown) => typeof x === 'number'))) return d as number[][];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Properties

type ColumnKind = 'species' | 'pos' | 'Z' | 'R' | 'I' | 'L' | 'S';

interface Column {
  name: string;
  kind: ColumnKind;
  cols: number;
  /** Index of the column's first field on an atom line. */
  first: number;
}

function parseProperties(value: string, where: () => { file?: string; frame?: number; line?: number }): Column[] {
  const f = value.split(':');
  if (f.length % 3 !== 0) {
    throw new ParseError(`Properties="${value}" has ${f.length} ":"-separated fields; expected name:type:ncols triples (e.g. species:S:1:pos:R:3)`, where());
  }
  const out: Column[] = [];
  const seen = new Set<string>();
  let first = 0;
  for (let i = 0; i < f.length; i += 3) {
    const name = f[i]!;
    const type = f[i + 1]!;
    const colsText = f[i + 2]!;
    if (!/^\d+$/.test(colsText) || Number(colsText) < 1) {
      throw new ParseError(`Properties: column "${name}" has ncols "${colsText}"; expected a positive integer`, where());
    }
    const cols = Number(colsText);
    if (type !== 'R' && type !== 'I' && type !== 'S' && type !== 'L') {
      throw new ParseError(`Properties: column "${name}" has type "${type}"; expected R (real), I (integer), S (string) or L (logical)`, where());
    }
    if (name === '' || seen.has(name)) throw new ParseError(`Properties: ${name === '' ? 'empty column name' : `column "${name}" appears twice`}`, where());
    seen.add(name);
    let kind: ColumnKind = type;
    if (name === 'species') {
      if (type !== 'S' || cols !== 1) throw new ParseError(`Properties: species must be species:S:1, got species:${type}:${cols}`, where());
      kind = 'species';
    } else if (name === 'pos') {
      if (type !== 'R' || cols !== 3) throw new ParseError(`Properties: pos must be pos:R:3, got pos:${type}:${cols}`, where());
      kind = 'pos';
    } else if (name === 'Z') {
      if (type !== 'I' || cols !== 1) throw new ParseError(`Properties: Z must be Z:I:1, got Z:${type}:${cols}`, where());
      kind = 'Z';
    }
    out.push({ name, kind, cols, first });
    first += cols;
  }
  if (!seen.has('pos')) throw new ParseError(`Properties="${value}" has no pos:R:3 column; expected atomic positions`, where());
  if (!seen.has('species') && !seen.has('Z')) throw new ParseError(`Properties="${value}" has neither species:S:1 nor Z:I:1; expected the elements`, where());
  return out;
}

const PLAIN_COLUMNS: Column[] = [
  { name: 'species', kind: 'species', cols: 1, first: 0 },
  { name: 'pos', kind: 'pos', cols: 3, first: 1 },
];

// ---------------------------------------------------------------------------------------------
// Streaming parser

const SYMBOL_TO_Z = new Map<string, number>();
for (let z = 1; z <= MAX_Z; z++) SYMBOL_TO_Z.set(ELEMENTS[z]!.symbol, z);

type ColumnData = Float64Array | Int32Array | Uint8Array | string[];

/**
 * Incremental XYZ / extended XYZ parser. Browser-safe: feed it text and collect frames.
 *
 * ```ts
 * const p = new XyzStreamParser({ file: 'md.extxyz' });
 * for await (const chunk of chunks) for (const s of p.push(chunk)) use(s);
 * for (const s of p.end()) use(s);
 * ```
 */
export class XyzStreamParser {
  private readonly file: string | undefined;
  private readonly mode: XyzMode;
  private lineNo = 0;
  private frame = 0;
  /** 0: expecting a count line, 1: a comment line, 2: atom lines. */
  private state: 0 | 1 | 2 = 0;
  private rest = '';
  private natoms = 0;
  private atom = 0;
  private frameLine = 0;
  private columns: Column[] = PLAIN_COLUMNS;
  private nFields = 4;
  private hasZ = false;
  private data: ColumnData[] = [];
  private numbers = new Int32Array(0);
  private positions = new Float64Array(0);
  private cell: Float64Array | undefined;
  private pbc: [boolean, boolean, boolean] = [false, false, false];
  private info: Record<string, InfoValue> = {};
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private readonly symbolCache = new Map<string, number>(SYMBOL_TO_Z);

  constructor(opts: XyzReadOptions = {}) {
    this.file = opts.file;
    this.mode = opts.mode ?? 'extended';
  }

  /** Frames completed so far. */
  get framesRead(): number {
    return this.frame;
  }

  /** Feed a chunk of text split anywhere; returns the frames it completes. */
  push(chunk: string): Structure[] {
    const out: Structure[] = [];
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const s = this.line(text.slice(start, end));
      if (s) out.push(s);
      start = nl + 1;
    }
    this.rest = text.slice(start);
    return out;
  }

  /** End of input: parses a last line without newline; throws ParseError if a frame is incomplete. */
  end(): Structure[] {
    const out: Structure[] = [];
    if (this.rest !== '') {
      const last = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
      this.rest = '';
      const s = this.line(last);
      if (s) out.push(s);
    }
    if (this.state !== 0) {
      const got = this.state === 1 ? 'no comment line' : `${this.atom} of them`;
      throw new ParseError(`file ends inside the frame that starts at line ${this.frameLine}: expected a comment line and ${this.natoms} atom lines, got ${got}`, this.where(this.lineNo));
    }
    return out;
  }

  /** Feed one line (without its newline); returns the frame this line completes, if any. */
  line(text: string): Structure | undefined {
    const lineNo = ++this.lineNo;
    if (this.state === 0) {
      if (isBlank(text)) return undefined; // blank lines between frames and at the end are allowed
      const t = text.trim();
      if (!/^\+?\d+$/.test(t)) {
        const hint = t.startsWith('VEC') ? ' (VEC cell pseudo-atoms are not supported; use Lattice=)' : '';
        throw new ParseError(`expected the atom count of frame ${this.frame} (a non-negative integer), got "${clip(t)}"${hint}`, this.where(lineNo));
      }
      this.natoms = Number(t);
      this.frameLine = lineNo;
      this.state = 1;
      return undefined;
    }
    if (this.state === 1) {
      this.beginFrame(text, lineNo);
      this.state = 2;
      this.atom = 0;
      return this.natoms === 0 ? this.finishFrame() : undefined;
    }
    this.atomLine(text, lineNo);
    return ++this.atom === this.natoms ? this.finishFrame() : undefined;
  }

  private where(line: number): { file?: string; frame: number; line: number } {
    return this.file === undefined ? { frame: this.frame, line } : { file: this.file, frame: this.frame, line };
  }

  private beginFrame(comment: string, lineNo: number): void {
    const where = () => this.where(lineNo);
    const extended = this.mode === 'extended' || (this.mode === 'auto' && /(?:^|[\s"'])(?:Properties|Lattice)\s*=/.test(comment));
    this.cell = undefined;
    this.info = {};
    this.pbc = [false, false, false];
    this.columns = PLAIN_COLUMNS;
    if (!extended) {
      const c = comment.trim();
      if (c !== '') this.info['comment'] = c;
    } else {
      let pbcRaw: string | null | undefined;
      let props: string | undefined;
      for (const { key, value } of lexPairs(comment, where)) {
        if (key === 'Lattice') {
          this.cell = parseLattice(value, where);
        } else if (key === 'pbc') {
          pbcRaw = value;
        } else if (key === 'Properties') {
          if (value === null) throw new ParseError('Properties has no value; expected e.g. Properties=species:S:1:pos:R:3', where());
          props = value;
        } else {
          this.info[key] = infoValue(key, value, where);
        }
      }
      if (pbcRaw !== undefined) this.pbc = parsePbc(pbcRaw, where);
      else if (this.cell !== undefined) this.pbc = [true, true, true];
      if (props !== undefined) this.columns = parseProperties(props, where);
    }
    const n = this.natoms;
    this.numbers = new Int32Array(n);
    this.positions = new Float64Array(3 * n);
    this.data = this.columns.map((c): ColumnData => {
      switch (c.kind) {
        case 'species':
        case 'Z':
          return this.numbers;
        case 'pos':
          return this.positions;
        case 'R':
          return new Float64Array(n * c.cols);
        case 'I':
          return new Int32Array(n * c.cols);
        case 'L':
          return new Uint8Array(n * c.cols);
        case 'S':
          return new Array<string>(n * c.cols);
      }
    });
    let nf = 0;
    for (const c of this.columns) nf += c.cols;
    this.hasZ = this.columns.some((c) => c.kind === 'Z');
    this.nFields = nf;
    if (this.starts.length < nf + 1) {
      this.starts = new Int32Array(2 * nf + 2);
      this.ends = new Int32Array(2 * nf + 2);
    }
  }

  private atomLine(text: string, lineNo: number): void {
    const starts = this.starts;
    const ends = this.ends;
    const max = starts.length;
    // tokenise on whitespace into (start, end) offsets, keeping at most `max` fields
    let n = 0;
    const len = text.length;
    let i = 0;
    while (i < len && n < max) {
      while (i < len && text.charCodeAt(i) <= 32) i++;
      if (i >= len) break;
      starts[n] = i;
      while (i < len && text.charCodeAt(i) > 32) i++;
      ends[n++] = i;
    }
    const a = this.atom;
    if (n < this.nFields) {
      if (n === 0) {
        throw new ParseError(`blank line where atom ${a + 1} of ${this.natoms} was expected (is the atom count on line ${this.frameLine} right?)`, this.where(lineNo));
      }
      if (n === 1 && /^\+?\d+$/.test(text.trim())) {
        throw new ParseError(`found what looks like the next frame's atom count where atom ${a + 1} of ${this.natoms} was expected: the count on line ${this.frameLine} is larger than the number of atom lines`, this.where(lineNo));
      }
      throw new ParseError(`atom line has ${n} fields; expected ${this.nFields} (${this.describeColumns()})`, this.where(lineNo));
    }
    const cols = this.columns;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c]!;
      const k = col.cols;
      const d = this.data[c]!;
      for (let q = 0; q < k; q++) {
        const f = col.first + q;
        const tok = text.slice(starts[f]!, ends[f]!);
        switch (col.kind) {
          case 'species': {
            // with a Z column too, Z wins (as in ASE), but the symbol must still be an element
            const z = this.symbol(tok, lineNo);
            if (!this.hasZ) this.numbers[a] = z;
            break;
          }
          case 'Z': {
            const z = Number(tok);
            if (!INT_RE.test(tok) || z < 1 || z > MAX_Z) {
              throw new ParseError(`atom ${a + 1}: Z = "${clip(tok)}" is not an atomic number 1..${MAX_Z}`, this.where(lineNo));
            }
            this.numbers[a] = z;
            break;
          }
          case 'pos':
          case 'R': {
            const v = this.real(tok, col.kind === 'pos', col, lineNo);
            (d as Float64Array)[a * k + q] = v;
            break;
          }
          case 'I': {
            const v = Number(tok);
            if (!INT_RE.test(tok) || v < -2147483648 || v > 2147483647) {
              throw new ParseError(`atom ${a + 1}: column "${col.name}" (I) has "${clip(tok)}"; expected a 32-bit integer`, this.where(lineNo));
            }
            (d as Int32Array)[a * k + q] = v;
            break;
          }
          case 'L': {
            let v: number;
            if (tok === 'T' || tok === 'True') v = 1;
            else if (tok === 'F' || tok === 'False') v = 0;
            else throw new ParseError(`atom ${a + 1}: column "${col.name}" (L) has "${clip(tok)}"; expected T, F, True or False`, this.where(lineNo));
            (d as Uint8Array)[a * k + q] = v;
            break;
          }
          case 'S':
            (d as string[])[a * k + q] = tok;
            break;
        }
      }
    }
  }

  private real(tok: string, isPosition: boolean, col: Column, lineNo: number): number {
    let v = Number(tok);
    const c0 = tok.charCodeAt(0);
    const c1 = tok.charCodeAt(1) | 0x20;
    // Number() accepts 0x.., 0b.., 0o..; Python's float() does not
    const bad = Number.isNaN(v) || (c0 === 48 && (c1 === 120 || c1 === 98 || c1 === 111));
    if (bad) {
      if (!FLOAT_RE.test(tok)) {
        throw new ParseError(`atom ${this.atom + 1}: column "${col.name}" (R) has "${clip(tok)}"; expected a real number`, this.where(lineNo));
      }
      v = pyFloat(tok); // nan, inf, 1_000
    }
    if (isPosition && !Number.isFinite(v)) {
      throw new ParseError(`atom ${this.atom + 1}: position "${clip(tok)}" is not finite; expected a real number`, this.where(lineNo));
    }
    return v;
  }

  private symbol(tok: string, lineNo: number): number {
    const hit = this.symbolCache.get(tok);
    if (hit !== undefined) return hit;
    // ASE capitalises symbols ("SI" -> "Si"); plain XYZ files may give Z instead of a symbol
    const cap = tok[0]!.toUpperCase() + tok.slice(1).toLowerCase();
    let z = SYMBOL_TO_Z.get(cap);
    if (z === undefined && this.columns === PLAIN_COLUMNS && /^\d+$/.test(tok) && Number(tok) >= 1 && Number(tok) <= MAX_Z) z = Number(tok);
    if (z === undefined) {
      throw new ParseError(`atom ${this.atom + 1}: unknown element "${clip(tok)}"; expected a symbol H..Rn`, this.where(lineNo));
    }
    this.symbolCache.set(tok, z);
    return z;
  }

  private describeColumns(): string {
    return this.columns.map((c) => `${c.name}:${c.kind.length === 1 ? c.kind : c.kind === 'species' ? 'S' : c.kind === 'pos' ? 'R' : 'I'}:${c.cols}`).join(' ');
  }

  private finishFrame(): Structure {
    const arrays: Record<string, PerAtomArray> = {};
    this.columns.forEach((c, i) => {
      const d = this.data[i]!;
      switch (c.kind) {
        case 'R':
          arrays[c.name] = { type: 'float', cols: c.cols, data: d as Float64Array };
          break;
        case 'I':
          arrays[c.name] = { type: 'int', cols: c.cols, data: d as Int32Array };
          break;
        case 'L':
          arrays[c.name] = { type: 'bool', cols: c.cols, data: d as Uint8Array };
          break;
        case 'S':
          arrays[c.name] = { type: 'string', cols: c.cols, data: d as string[] };
          break;
        default:
          break;
      }
    });
    const s = new Structure({
      numbers: this.numbers,
      positions: this.positions,
      pbc: this.pbc,
      info: this.info,
      arrays,
      ...(this.cell ? { cell: this.cell } : {}),
    });
    this.state = 0;
    this.frame++;
    this.data = [];
    return s;
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 32) return false;
  return true;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function parseLattice(value: string | null, where: () => { file?: string; frame?: number; line?: number }): Float64Array {
  const tokens = value === null ? [] : (value.match(TOKEN_RE) ?? []);
  const nums = numericTokens(tokens);
  if (nums === undefined || nums.length !== 9 || !nums.every(Number.isFinite)) {
    throw new ParseError(`Lattice="${clip(value ?? '')}" is not 9 finite numbers; expected Lattice="ax ay az bx by bz cx cy cz" (lattice vectors as rows)`, where());
  }
  return Float64Array.from(nums);
}

function parsePbc(value: string | null, where: () => { file?: string; frame?: number; line?: number }): [boolean, boolean, boolean] {
  if (value === null) return [true, true, true];
  const tokens = value.match(TOKEN_RE) ?? [];
  const flags = tokens.map((t) => (t === 'T' || t === '1' || t === 'True' ? true : t === 'F' || t === '0' || t === 'False' ? false : undefined));
  if (flags.some((f) => f === undefined) || (flags.length !== 1 && flags.length !== 3)) {
    throw new ParseError(`pbc="${clip(value)}"; expected three flags like pbc="T T F" (or one for all directions)`, where());
  }
  const f = flags as boolean[];
  return f.length === 1 ? [f[0]!, f[0]!, f[0]!] : [f[0]!, f[1]!, f[2]!];
}

// ---------------------------------------------------------------------------------------------
// Whole-text and iterator readers

/** Read every frame of an extended XYZ text. */
export function readExtxyz(text: string, opts: XyzReadOptions = {}): Structure[] {
  const p = new XyzStreamParser({ mode: 'extended', ...opts });
  const out = p.push(text);
  for (const s of p.end()) out.push(s);
  return out;
}

/** Frames of an (extended) XYZ text source given as chunks (strings split anywhere), one at a time. */
export async function* iterXyzChunks(chunks: AsyncIterable<string> | Iterable<string>, opts: XyzReadOptions = {}): AsyncGenerator<Structure> {
  const p = new XyzStreamParser(opts);
  for await (const chunk of chunks) yield* p.push(chunk);
  yield* p.end();
}

// ---------------------------------------------------------------------------------------------
// Writer

/** A real per-atom column value: `formatFloat`, with integral values written "1.0". */
function formatColumnReal(x: number, precision: number | undefined): string {
  const s = formatFloat(x, precision);
  if (precision !== undefined) return s;
  // "1" -> "1.0" so real columns read as reals by eye; still exact
  return Number.isInteger(x) && Math.abs(x) < 1e21 && !Object.is(x, -0) ? `${s}.0` : s;
}

const NEEDS_QUOTES = /[\s"'{}[\]\\=]/;

function quote(s: string): string {
  return NEEDS_QUOTES.test(s) || s === '' ? `"${s.replace(/[\\"]/g, '\\$&')}"` : s;
}

function jsonText(key: string, v: unknown): string {
  const bad = (x: unknown): boolean => (typeof x === 'number' && !Number.isFinite(x)) || (Array.isArray(x) && x.some(bad));
  if (bad(v)) throw new ValidationError(`info "${key}": non-finite numbers cannot be written inside a _JSON value`);
  return `_JSON ${JSON.stringify(v)}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** True when ASE's reader would not give this string back as a string. */
function stringIsAmbiguous(s: string): boolean {
  if (s.startsWith('_JSON ') || /[\n\r\u0000-\u001f]/.test(s)) return true;
  const tokens = s.match(TOKEN_RE) ?? [];
  return tokens.length === 0 || tokens.every((t) => FLOAT_RE.test(t)) || tokens.every((t) => t === 'T' || t === 'F');
}

function infoText(key: string, v: InfoValue): string {
  if (typeof v === 'number') return formatReal(v);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'string') {
    if (key.toLowerCase() === 'uid') {
      if (/[\n\r]/.test(v)) throw new ValidationError(`info "${key}" contains a line break; it cannot be written on the comment line`);
      return quote(v);
    }
    // a "_JSON ..." string holding JSON that info cannot type (e.g. an object) passes through verbatim
    if (v.startsWith('_JSON ') && isJson(v.slice(6)) && !/[\n\r]/.test(v)) return quote(v);
    return quote(stringIsAmbiguous(v) ? jsonText(key, v) : v);
  }
  if (v.length === 0) return quote(jsonText(key, v));
  const first = v[0];
  if (Array.isArray(first)) {
    const m = v as number[][];
    if (SPECIAL_3X3.has(key) && m.length === 3 && m.every((r) => r.length === 3)) {
      return quote([0, 1, 2].flatMap((j) => m.map((r) => formatReal(r[j]!))).join(' '));
    }
    return quote(jsonText(key, m));
  }
  if (typeof first === 'string' || v.length === 1) return quote(jsonText(key, v));
  if (typeof first === 'boolean') return quote((v as boolean[]).map((b) => (b ? 'T' : 'F')).join(' '));
  const nums = SPECIAL_3X3.has(key) && v.length === 9 ? transpose9(v as number[]) : (v as number[]);
  return quote(nums.map(formatReal).join(' '));
}

const RESERVED_INFO = new Set(['Lattice', 'Properties', 'pbc']);
const RESERVED_ARRAYS = new Set(['species', 'pos', 'Z']);
const COLUMN_NAME = /^[^\s:"'{}[\]\\=]+$/;
const TYPE_LETTER = { float: 'R', int: 'I', bool: 'L', string: 'S' } as const;

/** The comment line of one frame (without newline). */
export function extxyzComment(s: Structure): string {
  const parts: string[] = [];
  const c = s.cell;
  if (c.some((x) => x !== 0)) parts.push(`Lattice="${Array.from(c, formatReal).join(' ')}"`);
  let props = 'species:S:1:pos:R:3';
  for (const [name, a] of Object.entries(s.arrays)) {
    if (RESERVED_ARRAYS.has(name)) throw new ValidationError(`per-atom array "${name}" clashes with the extended XYZ column of that name (species, pos and Z come from numbers and positions); rename it`);
    if (!COLUMN_NAME.test(name)) throw new ValidationError(`per-atom array "${name}" cannot be an extended XYZ column name (no spaces, ":", quotes, brackets, "\\" or "=")`);
    props += `:${name}:${TYPE_LETTER[a.type]}:${a.cols}`;
  }
  parts.push(`Properties=${props}`);
  for (const [key, v] of Object.entries(s.info)) {
    if (v === undefined || v === null) continue;
    if (RESERVED_INFO.has(key)) throw new ValidationError(`info key "${key}" is reserved in extended XYZ (it comes from the cell, pbc and per-atom arrays); rename it`);
    if (key === '' || /[\n\r]/.test(key)) throw new ValidationError(`info key ${JSON.stringify(key)} cannot be written on an extended XYZ comment line`);
    parts.push(`${quote(key)}=${infoText(key, v)}`);
  }
  parts.push(`pbc="${s.pbc.map((b) => (b ? 'T' : 'F')).join(' ')}"`);
  return parts.join(' ');
}

/** One frame as extended XYZ text (ending with a newline). */
export function formatExtxyzFrame(s: Structure, opts: WriteOptions = {}): string {
  const n = s.length;
  const precision = opts.precision;
  const arrays = Object.entries(s.arrays);
  for (const [name, a] of arrays) {
    if (a.type !== 'string') continue;
    for (let i = 0; i < a.data.length; i++) {
      const v = a.data[i]!;
      if (v === '' || /\s/.test(v)) throw new ValidationError(`per-atom string array "${name}", atom ${Math.floor(i / a.cols) + 1}: ${JSON.stringify(v)} is empty or contains whitespace; extended XYZ columns are whitespace-separated`);
    }
  }
  const lines: string[] = [String(n), extxyzComment(s)];
  const pos = s.positions;
  for (let i = 0; i < n; i++) {
    let line = ELEMENTS[s.numbers[i]!]!.symbol.padEnd(2);
    for (let q = 0; q < 3; q++) line += ' ' + formatColumnReal(pos[3 * i + q]!, precision).padStart(22);
    for (const [, a] of arrays) {
      const k = a.cols;
      for (let q = 0; q < k; q++) {
        const j = i * k + q;
        switch (a.type) {
          case 'float':
            line += ' ' + formatColumnReal(a.data[j]!, precision).padStart(22);
            break;
          case 'int':
            line += ' ' + String(a.data[j]!).padStart(8);
            break;
          case 'bool':
            line += a.data[j] ? ' T' : ' F';
            break;
          case 'string':
            line += ' ' + a.data[j]!;
            break;
        }
      }
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/** Frames as extended XYZ text. */
export function writeExtxyz(frames: readonly Structure[] | Structure, opts: WriteOptions = {}): string {
  const list = frames instanceof Structure ? [frames] : frames;
  let out = '';
  for (const s of list) out += formatExtxyzFrame(s, opts);
  return out;
}
