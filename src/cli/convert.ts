/**
 * `mlpot convert IN OUT [--from F] [--to F]`: convert structure files between formats.
 * Streams frame by frame when both formats allow it (extxyz, xyz); otherwise reads whole.
 */
import { iterStructures, writeStructures } from '../node/files.js';

export async function convert(input: string, output: string, opts: { from?: string; to?: string }): Promise<{ frames: number }> {
  const frames = iterStructures(input, opts.from !== undefined ? { format: opts.from } : {});
  const n = await writeStructures(output, frames, opts.to !== undefined ? { format: opts.to } : {});
  return { frames: n };
}
