/**
 * Structure files on disk: read, stream and write any registered format.
 *
 * Formats come from `--format`-style options or from the path (see `formatFromPath`); a directory
 * is a DeePMD system. Extended and plain XYZ are streamed frame by frame in both directions, so
 * files larger than memory can be converted; other formats are read and written whole.
 * Writes go to a temporary file renamed into place at the end, so a failed write leaves no
 * half-written file (and reading and writing the same path is safe).
 */
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { MlpotError, ValidationError } from '../core/errors.js';
import type { Structure } from '../structure/structure.js';
import type { WriteOptions } from '../io/format.js';
import { getFormat, readString, requireFormatFromPath, writeString } from '../io/registry.js';

export interface FileReadOptions {
  /** Format name (see FORMATS); default: from the path, or `deepmd` for a directory. */
  format?: string;
}

export interface FileWriteOptions extends WriteOptions {
  /** Format name; default: from the path (`.xyz` and `.extxyz` write extended XYZ). */
  format?: string;
  /** Append frames to an existing file (multi-frame text formats only: extxyz, xyz). */
  append?: boolean;
}

async function statOrThrow(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MlpotError('NOT_FOUND', `no such file or directory: "${path}"`);
    throw err;
  }
}

async function readFormat(path: string, format: string | undefined): Promise<string> {
  const st = await statOrThrow(path);
  const name = format !== undefined ? getFormat(format).name : st.isDirectory() ? 'deepmd' : requireFormatFromPath(path, 'read');
  const dir = getFormat(name).directory;
  if (dir && !st.isDirectory()) throw new ValidationError(`format "${name}" is a directory, but "${path}" is a file`);
  if (!dir && st.isDirectory()) throw new ValidationError(`"${path}" is a directory; format "${name}" is a file format (a DeePMD system directory is format "deepmd")`);
  return name;
}

/** Every frame of a file (or DeePMD directory). */
export async function readStructures(path: string, opts: FileReadOptions = {}): Promise<Structure[]> {
  const name = await readFormat(path, opts.format);
  if (getFormat(name).directory) return (await import('./deepmd-dir.js')).readDeepmdDir(path);
  return readString(await readFile(path, 'utf8'), name, { file: path });
}

/**
 * Frames of a file one at a time. Extended/plain XYZ are parsed while the file streams in, so
 * memory use does not grow with the file; other formats are read whole, then yielded.
 */
export async function* iterStructures(path: string, opts: FileReadOptions = {}): AsyncGenerator<Structure> {
  const name = await readFormat(path, opts.format);
  const f = getFormat(name);
  if (!f.createParser) {
    yield* await readStructures(path, { format: name });
    return;
  }
  const parser = f.createParser({ file: path });
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) yield* parser.push(chunk as string);
  yield* parser.end();
}

/** Output format for a path: explicit, else from the name; a `deepmd` target is a directory. */
export function writeFormat(path: string, format: string | undefined): string {
  return format !== undefined ? getFormat(format).name : requireFormatFromPath(path, 'write');
}

/**
 * Write frames (an array or any sync/async iterable) to `path`; returns the number of frames.
 * Extended/plain XYZ are written as the frames arrive.
 */
export async function writeStructures(
  path: string,
  frames: Iterable<Structure> | AsyncIterable<Structure>,
  opts: FileWriteOptions = {},
): Promise<number> {
  const name = writeFormat(path, opts.format);
  const f = getFormat(name);
  const wopts: WriteOptions = opts.precision !== undefined ? { precision: opts.precision } : {};
  if (opts.append && !f.writeFrame) throw new ValidationError(`format "${name}" cannot be appended to; only extxyz and xyz files can`);
  if (f.directory) {
    const all: Structure[] = [];
    for await (const s of frames) all.push(s);
    await (await import('./deepmd-dir.js')).writeDeepmdDir(path, all);
    return all.length;
  }
  const target = opts.append ? path : `${path}.tmp-${process.pid}-${Date.now()}`;
  let count = 0;
  try {
    if (f.writeFrame) {
      const fh = await open(target, opts.append ? 'a' : 'w');
      try {
        let buf = '';
        for await (const s of frames) {
          buf += f.writeFrame(s, wopts);
          count++;
          if (buf.length > 1 << 20) {
            await fh.write(buf);
            buf = '';
          }
        }
        if (buf !== '') await fh.write(buf);
      } finally {
        await fh.close();
      }
    } else {
      const all: Structure[] = [];
      for await (const s of frames) all.push(s);
      count = all.length;
      await writeFile(target, writeString(all, name, wopts));
    }
    if (target !== path) await rename(target, path);
  } catch (err) {
    if (target !== path) await unlink(target).catch(() => undefined);
    throw err;
  }
  return count;
}
