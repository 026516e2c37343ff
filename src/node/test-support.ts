/**
 * Node adapter for the tests of the browser-safe layers (core ... workflows). Those folders import
 * no Node built-in, tests included: a test reaches the test runner, assertions, files, temporary
 * directories and peer programs (python3 with numpy/ASE) through this module only, so every
 * Node dependency of the test suite sits in `src/node/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PYTHON } from './peers.js';

export { test } from 'node:test';
export { default as assert } from 'node:assert/strict';

export { PYTHON } from './peers.js';

/** Running under CI (`CI=true`): missing peers and data are failures there, not skips. */
export function isCI(): boolean {
  return process.env['CI'] === 'true';
}

export interface ProcessResult {
  /** Exit status (null when killed, e.g. by the timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (e.g. not installed). */
  error?: Error;
}

/** Run a program synchronously and collect its text output. */
export function runProgram(cmd: string, args: readonly string[], o: { timeoutMs?: number; input?: string } = {}): ProcessResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}), ...(o.input !== undefined ? { input: o.input } : {}) });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
}

/** `python3 -c script [args...]` with Debian's interpreter. */
export function runPython(script: string, args: readonly string[] = [], o: { timeoutMs?: number } = {}): ProcessResult {
  return runProgram(PYTHON, ['-c', script, ...args], o);
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function listDir(path: string): string[] {
  return readdirSync(path);
}

/** `parts` joined and resolved against the working directory (the repository root under npm test). */
export function cwdPath(...parts: string[]): string {
  return resolve(process.cwd(), ...parts);
}

/** A scratch directory: write and read binary files by name inside it. */
export interface ScratchDir {
  readonly path: string;
  file(name: string): string;
  write(name: string, data: Uint8Array | string): void;
  read(name: string): Uint8Array;
}

/** Run `fn` with a fresh temporary directory, removed afterwards (also when `fn` throws). */
export function withTempDir<T>(prefix: string, fn: (dir: ScratchDir) => T): T {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const dir: ScratchDir = {
    path,
    file: (name) => join(path, name),
    write: (name, data) => writeFileSync(join(path, name), data),
    read: (name) => readBytes(join(path, name)),
  };
  try {
    return fn(dir);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}
