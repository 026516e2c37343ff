/**
 * The `mlpot` command line. Each subcommand lives in its own file; this wires them to commander.
 * Options are coerced and validated here, at the boundary; library code takes typed options.
 */
import { Command, CommanderError } from 'commander';
import { calcCommand } from './calc.js';
import { convertCommand } from './convert-command.js';
import { demoCommand } from './demo.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mlpot')
    .description('Machine-learned interatomic potentials: structures, reference potentials, training, MD.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run "mlpot <command> --help" for usage)');

  program
    .command('calc')
    .description('Compute energy, forces and stress for every frame of a file with a potential; write extended XYZ (or any writable format).')
    .requiredOption('-p, --potential <spec>', 'potential: lj|morse|sw|tersoff|eam[:FILE][,k=v...]  e.g. sw:/usr/share/lammps/potentials/Si.sw or lj:sigma=3.4,epsilon=0.0104,cutoff=8.5')
    .requiredOption('-i, --input <file>', 'input structures (format from the extension, or --from)')
    .requiredOption('-o, --output <file>', 'output file (extended XYZ from .xyz/.extxyz, or --to)')
    .option('--from <format>', 'input format (extxyz, xyz, vasp, lammps-data, mlearn, deepmd)')
    .option('--to <format>', 'output format')
    .option('--energies', 'also write per-atom energies (per-atom array "energies")')
    .option('--no-stress', 'do not compute stress (by default it is computed for 3D-periodic frames)')
    .option('--json', 'print a JSON summary instead of the table')
    .action(async (opts) => {
      await calcCommand(opts);
    });

  program
    .command('convert')
    .description('Convert structure files between formats (extxyz, xyz, vasp, lammps-data, mlearn, deepmd).')
    .argument('<input>', 'input file (or DeePMD system directory)')
    .argument('<output>', 'output file')
    .option('--from <format>', 'input format (default: from the extension)')
    .option('--to <format>', 'output format (default: from the extension)')
    .action(async (input: string, output: string, opts) => {
      await convertCommand(input, output, opts);
    });

  program
    .command('demo')
    .description('The built-in default job: compute a few structures with built-in potentials and print the results.')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      await demoCommand(opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit with code 0; usage errors were already printed by commander
      return err.exitCode;
    }
    throw err;
  }
}
