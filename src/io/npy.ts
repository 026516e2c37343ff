/**
 * NumPy `.npy` arrays (format versions 1.0, 2.0, 3.0), browser-safe (DataView, TextDecoder).
 *
 * Layout: magic "\x93NUMPY", major and minor version bytes, header length (uint16 LE for 1.0,
 * uint32 LE for 2.0/3.0), a Python dict literal
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (80, 9), }` (latin-1, utf-8 for 3.0),
 * then the raw data. Only simple dtypes in C order are read: floats (f2/f4/f8) become a
 * Float64Array, integers and booleans (b1 i1 i2 i4 i8 u1 u2 u4 u8) an Int32Array
 * (64-bit and uint32 values outside the int32 range are an error). Byte order '<', '>', '|', '='
 * ('=' taken as little-endian).
 */
import { ParseError } from '../core/errors.js';
import type { ReadOptions } from './format.js';

export interface NpyArray {
  shape: number[];
  /** The descr string as written, e.g. "<f4". */
  dtype: string;
  data: Float64Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(bytes: Uint8Array, opts: ReadOptions = {}): NpyArray {
  const fail = (msg: string): never => {
    throw new ParseError(`npy: ${msg}`, { file: opts.file });
  };
  if (bytes.length < 10) fail(`file is ${bytes.length} bytes; an npy file has at least a 10-byte preamble`);
  for (let k = 0; k < 6; k++) {
    if (bytes[k] !== MAGIC[k]) fail(`byte ${k}: not an npy file (expected the magic string "\\x93NUMPY" at bytes 0-5)`);
  }
  const major = bytes[6]!, minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail(`byte 6: format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start: number;
  let hlen: number;
  if (major === 1) {
    hlen = view.getUint16(8, true);
    start = 10;
  } else {
    if (bytes.length < 12) fail('byte 8: file ends inside the header length field');
    hlen = view.getUint32(8, true);
    start = 12;
  }
  if (start + hlen > bytes.length) fail(`byte ${start}: header length ${hlen} runs past the end of the file (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));

  const field = (key: string, valueRe: string): string => {
    const m = new RegExp(`['"]${key}['"]\\s*:\\s*(${valueRe})`).exec(header);
    if (!m) return fail(`header field '${key}' missing or malformed (bytes ${start}-${start + hlen}); header is ${JSON.stringify(header.trim())}`);
    return m[1]!;
  };
  const descrLit = field('descr', `'[^']*'|"[^"]*"|\\[`);
  if (descrLit === '[') fail(`header field 'descr': structured dtypes are not supported (expected a simple dtype such as '<f8')`);
  const descr = descrLit.slice(1, -1);
  const fortran = field('fortran_order', 'True|False');
  if (fortran === 'True') fail(`header field 'fortran_order' is True: Fortran-order arrays are not supported (save with numpy.ascontiguousarray)`);
  const shapeLit = field('shape', '\\([^)]*\\)');
  const shape: number[] = [];
  for (const part of shapeLit.slice(1, -1).split(',')) {
    const t = part.trim();
    if (t === '') continue;
    if (!/^\d+L?$/.test(t)) fail(`header field 'shape': expected non-negative integers, found "${t}" in ${shapeLit}`);
    shape.push(parseInt(t, 10));
  }

  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) return fail(`header field 'descr': dtype '${descr}' is not supported (expected e.g. '<f8', '<f4', '<i4', '<i8', '|u1', '|b1')`);
  const order = m[1]!, kind = m[2]!, size = Number(m[3]);
  const little = order !== '>';
  const supported = kind === 'f' ? [2, 4, 8] : kind === 'b' ? [1] : [1, 2, 4, 8];
  if (!supported.includes(size)) fail(`header field 'descr': dtype '${descr}' is not supported (size ${size} for kind '${kind}')`);

  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + hlen;
  const need = count * size;
  if (bytes.length - dataStart < need) {
    fail(`byte ${dataStart}: data has ${bytes.length - dataStart} bytes; shape (${shape.join(', ')}) of '${descr}' needs ${need} (file truncated?)`);
  }

  if (kind === 'f') {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + i * size;
      out[i] = size === 8 ? view.getFloat64(at, little) : size === 4 ? view.getFloat32(at, little) : half(view.getUint16(at, little));
    }
    return { shape, dtype: descr, data: out };
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const at = dataStart + i * size;
    let v: number;
    if (size === 1) v = kind === 'i' ? view.getInt8(at) : view.getUint8(at);
    else if (size === 2) v = kind === 'i' ? view.getInt16(at, little) : view.getUint16(at, little);
    else if (size === 4) v = kind === 'i' ? view.getInt32(at, little) : view.getUint32(at, little);
    else {
      const big = kind === 'i' ? view.getBigInt64(at, little) : view.getBigUint64(at, little);
      v = big >= -2147483648n && big <= 2147483647n ? Number(big) : NaN;
    }
    if (!(v >= -2147483648 && v <= 2147483647)) fail(`byte ${at}: element ${i} of '${descr}' array does not fit in int32`);
    out[i] = v;
  }
  return { shape, dtype: descr, data: out };
}

/** IEEE 754 half precision to number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Serialise a C-order float64 array ('<f8') as npy format 1.0. */
export function writeNpy(shape: readonly number[], data: Float64Array): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`writeNpy: shape (${shape.join(', ')}) holds ${count} values but data has ${data.length}`);
  const shapeLit = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeLit}, }`;
  // Pad with spaces so that the data starts at a multiple of 64 bytes; end with a newline.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new RangeError('writeNpy: header too long for npy format 1.0');
  const out = new Uint8Array(10 + header.length + 8 * count);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  const base = 10 + header.length;
  for (let i = 0; i < count; i++) view.setFloat64(base + 8 * i, data[i]!, true);
  return out;
}
