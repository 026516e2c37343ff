/**
 * Numbers in plain-text formats (POSCAR, LAMMPS data, XYZ/extxyz, mlearn JSON): one reader for
 * decimal tokens with errors that name the file and line, and one writer for floats.
 */
import { ParseError, type InputLocation } from '../core/errors.js';

/** Sign, digits with an optional point, optional exponent (`e`/`E`; also Fortran's `d`/`D` when allowed). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECIMAL_FORTRAN = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

export interface DecimalOptions {
  /** Accept a Fortran `d`/`D` exponent (VASP files), e.g. `1.0D-3`. */
  fortran?: boolean;
}

/** Whether `tok` is a plain decimal number (no `nan`, `inf`, hex or `_` separators). */
export function isDecimal(tok: string, opts: DecimalOptions = {}): boolean {
  return (opts.fortran ? DECIMAL_FORTRAN : DECIMAL).test(tok);
}

/**
 * The number in a decimal token, or a ParseError at `at` naming `what`: "expected <what>, found end
 * of line" for a missing token, "expected <what> (a number), found "<tok>"" for anything else.
 */
export function parseDecimal(tok: string | undefined, what: string, at: InputLocation, opts: DecimalOptions = {}): number {
  if (tok === undefined) throw new ParseError(`expected ${what}, found end of line`, at);
  if (!isDecimal(tok, opts)) throw new ParseError(`expected ${what} (a number), found "${tok}"`, at);
  return Number(opts.fortran ? tok.replace(/[dD]/, 'e') : tok);
}

/** The integer in a token (optional sign, digits), or a ParseError at `at` naming `what`. */
export function parseInteger(tok: string | undefined, what: string, at: InputLocation): number {
  if (tok === undefined) throw new ParseError(`expected ${what}, found end of line`, at);
  if (!INTEGER.test(tok)) throw new ParseError(`expected ${what} (an integer), found "${tok}"`, at);
  return Number(tok);
}

/**
 * A float as text: `precision` significant digits when given, else the shortest decimal that reads
 * back as exactly `x` (`String(x)`). Non-finite values are spelled `nan`, `inf`, `-inf` (what
 * Python's float() and ASE read). Negative zero is written `negativeZero`: extxyz keeps the sign
 * (`-0.0`, the default); POSCAR and LAMMPS data write `0`.
 */
export function formatFloat(x: number, precision?: number, negativeZero = '-0.0'): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (precision !== undefined) return x.toPrecision(precision);
  return Object.is(x, -0) ? negativeZero : String(x);
}

/** Shortest round-trip form with extxyz's spelling of -0, nan and inf (`formatFloat` without precision). */
export function formatReal(x: number): string {
  return formatFloat(x);
}
