/**
 * Error types. Every error says what went wrong and where (file, frame, line, atom, key),
 * so a user can act on it without reading a stack trace.
 */

export interface InputLocation {
  /** File name or other source label (e.g. "<stdin>"). */
  file?: string;
  /** 1-based line number in the file. */
  line?: number;
  /** 0-based frame index in a multi-frame file. */
  frame?: number;
}

/** Base class of all mlpot errors; `code` is stable for programs that branch on it. */
export class MlpotError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'MlpotError';
    this.code = code;
  }
}

/** A file or string could not be parsed: names the file, frame and line, and what was expected. */
export class ParseError extends MlpotError {
  readonly location: InputLocation;
  constructor(message: string, location: InputLocation = {}) {
    super('PARSE', `${formatLocation(location)}${message}`);
    this.name = 'ParseError';
    this.location = location;
  }
}

/** A value is physically or logically invalid (NaN coordinate, zero-volume cell, overlapping atoms...). */
export class ValidationError extends MlpotError {
  constructor(message: string) {
    super('INVALID', message);
    this.name = 'ValidationError';
  }
}

/** A potential or model lacks parameters for an element or an element pair. */
export class ParameterError extends MlpotError {
  constructor(message: string) {
    super('PARAMETERS', message);
    this.name = 'ParameterError';
  }
}

/** A requested feature is not supported by this object (e.g. stress from a model without it). */
export class CapabilityError extends MlpotError {
  constructor(message: string) {
    super('CAPABILITY', message);
    this.name = 'CapabilityError';
  }
}

export function formatLocation(loc: InputLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.frame !== undefined) parts.push(`frame ${loc.frame}`);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}
