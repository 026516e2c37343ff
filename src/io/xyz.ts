/**
 * Plain XYZ: an atom-count line, a free-text comment line, then `Symbol x y z` per atom (Å);
 * several frames follow one another. No cell, no pbc. The comment is kept as `info.comment`.
 *
 * Reading is forgiving in one ASE-compatible way: a frame whose comment line has `Properties=`
 * or `Lattice=` is read as extended XYZ (so `.xyz` files written by ASE keep their labels).
 * Extra columns after x y z are ignored; an atomic number may stand for the symbol.
 */
import { ValidationError } from '../core/errors.js';
import { ELEMENTS } from '../core/elements.js';
import type { Structure } from '../structure/structure.js';
import { XyzStreamParser } from './extxyz.js';
import { formatFloat } from './text.js';
import type { ReadOptions, WriteOptions } from './format.js';

/** Read every frame; frames with an extended-XYZ comment line are read as extended XYZ. */
export function readXyz(text: string, opts: ReadOptions = {}): Structure[] {
  const p = new XyzStreamParser({ ...opts, mode: 'auto' });
  const out = p.push(text);
  for (const s of p.end()) out.push(s);
  return out;
}

/** One frame as plain XYZ (comment line = `info.comment` when it is a one-line string). */
export function formatXyzFrame(s: Structure, opts: WriteOptions = {}): string {
  const c = s.info['comment'];
  if (typeof c === 'string' && /[\n\r]/.test(c)) throw new ValidationError('info "comment" has a line break; an XYZ comment is one line');
  const lines: string[] = [String(s.length), typeof c === 'string' ? c : ''];
  const p = s.positions;
  const fmt = (x: number) => formatFloat(x, opts.precision);
  for (let i = 0; i < s.length; i++) {
    lines.push(`${ELEMENTS[s.numbers[i]!]!.symbol.padEnd(2)} ${fmt(p[3 * i]!).padStart(22)} ${fmt(p[3 * i + 1]!).padStart(22)} ${fmt(p[3 * i + 2]!).padStart(22)}`);
  }
  return lines.join('\n') + '\n';
}

/** Frames as plain XYZ (cell, pbc, info other than `comment` and per-atom arrays are dropped). */
export function writeXyz(frames: readonly Structure[], opts: WriteOptions = {}): string {
  let out = '';
  for (const s of frames) out += formatXyzFrame(s, opts);
  return out;
}
