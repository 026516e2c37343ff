import { convert } from './convert.js';

export async function convertCommand(input: string, output: string, opts: { from?: string; to?: string }): Promise<void> {
  const { frames } = await convert(input, output, opts);
  process.stdout.write(`wrote ${frames} frame${frames === 1 ? '' : 's'} to ${output}\n`);
}
