/**
 * Shared types of the format registry: read/write options and the `Format` record.
 *
 * Readers take text (browser-safe); directory formats (DeePMD) live in `src/node/`.
 */
import type { Structure } from '../structure/structure.js';

/** Options common to every reader. */
export interface ReadOptions {
  /** Name used in error messages (file path or a label such as "<stdin>"). */
  file?: string;
}

/** Options common to every writer. */
export interface WriteOptions {
  /**
   * Significant digits for real per-atom columns (positions, forces...). Omitted: the shortest
   * round-trip-exact form (parse(write(x)) === x bit for bit). Cells and info values are always exact.
   */
  precision?: number;
}

/** One entry of the format registry. */
export interface Format {
  /** Registry name, e.g. "extxyz". */
  readonly name: string;
  /** One-line human description. */
  readonly description: string;
  /** File extensions (lower case, with dot) and exact file names that select this format. */
  readonly extensions: readonly string[];
  readonly fileNames: readonly string[];
  /** True when one file holds several frames. */
  readonly multiFrame: boolean;
  /** True when the format is a directory rather than a text file (Node only). */
  readonly directory: boolean;
  /** Parse text into frames; absent for directory formats. */
  readonly read?: (text: string, opts?: ReadOptions) => Structure[];
  /** Serialise frames to text; absent for directory formats. */
  readonly write?: (frames: readonly Structure[], opts?: WriteOptions) => string;
  /** Streaming reader, for formats whose frames can be parsed one at a time. */
  readonly createParser?: (opts?: ReadOptions) => FrameParser;
  /** One frame's text, for formats whose file is the concatenation of its frames (appendable). */
  readonly writeFrame?: (s: Structure, opts?: WriteOptions) => string;
}

/** An incremental parser: fed text split anywhere, it returns frames as they complete. */
export interface FrameParser {
  push(chunk: string): Structure[];
  /** End of input: returns the last frames, throws ParseError on a truncated frame. */
  end(): Structure[];
}
