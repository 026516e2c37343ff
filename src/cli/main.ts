/**
 * The `mlpot` command line. Each subcommand lives in its own file; this wires them to commander.
 * Options are coerced and validated here, at the boundary; library code takes typed options.
 */
import { enableNativeLinalg } from '../node/linalg-native.js';
import { Command, CommanderError } from 'commander';
import { calcCommand } from './calc.js';
import { convertCommand } from './convert-command.js';
import { analyzeCommand } from './analyze.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { mdCommand } from './md.js';
import { optCommand } from './opt.js';
import { trainCommand } from './train.js';

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
    .requiredOption('-p, --potential <spec>', 'potential: lj|morse|sw|tersoff|eam[:FILE][,k=v...], a model file MODEL.json (or model:FILE) from mlpot train, or a sum A+B  e.g. sw:/usr/share/lammps/potentials/Si.sw or lj:sigma=3.4,epsilon=0.0104,cutoff=8.5')
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
    .command('md')
    .description('Molecular dynamics (NVE, Langevin, Bussi, Nose-Hoover, NPT) from a YAML config and/or flags; flags override the file.')
    .option('-c, --config <file>', 'YAML config; keys as the long flags in snake_case (e.g. max_force)')
    .option('-p, --potential <spec>', 'potential spec (see mlpot calc --help)')
    .option('-i, --input <file>', 'starting structure')
    .option('--frame <n>', 'frame of the input to start from (default 0; -1 = last)')
    .option('--ensemble <name>', 'nve | langevin | bussi | nose-hoover | npt (default nve)')
    .option('--temperature <K>', 'target temperature and initial velocities (default 300)')
    .option('--initial-temperature <K>', 'temperature of the initial Maxwell-Boltzmann velocities (default: --temperature)')
    .option('--pressure <GPa>', 'npt target pressure (default 0)')
    .option('--timestep <fs>', 'time step (default 1)')
    .option('--steps <n>', 'number of steps (default 1000)')
    .option('--seed <n>', 'random seed (default 42)')
    .option('--log <file>', 'log table: step time_fs epot ekin temperature_K pressure_GPa conserved_eV')
    .option('--traj <file>', 'extended-XYZ trajectory with velocities and forces')
    .option('-o, --output <file>', 'final frame')
    .option('--interval <n>', 'steps between log rows (default 10)')
    .option('--traj-interval <n>', 'steps between trajectory frames (default: --interval)')
    .option('--tau <fs>', 'thermostat time constant (default 100 fs; Langevin: 1/friction)')
    .option('--barostat-tau <fs>', 'barostat time constant (default 1000 fs)')
    .option('--compressibility <perGPa>', 'barostat compressibility (default 0.01 /GPa)')
    .option('--anisotropic', 'npt: scale x, y, z independently')
    .option('--npt-thermostat <name>', 'bussi | langevin (default bussi)')
    .option('--skin <A>', 'neighbour-list skin (default 1 Å)')
    .option('--checkpoint <file>', 'checkpoint file, written every --checkpoint-interval steps')
    .option('--checkpoint-interval <n>', 'steps between checkpoints (default 1000)')
    .option('--restart', 'continue from --checkpoint (log and trajectory are continued)')
    .option('--max-force <eV/A>', 'stop if a force exceeds this (default 1000)')
    .option('--max-temperature <K>', 'stop if the temperature exceeds this (default 1e5)')
    .option('--fixed <list>', 'comma-separated indices of atoms held fixed', (v: string) => v.split(',').map((x) => Number(x.trim())))
    .option('--workers <n>', 'worker threads for the forces (potentials that support it, e.g. sw; default 0 = serial)')
    .option('--velocities <how>', 'auto | maxwell-boltzmann | input (default auto: input velocities if present)')
    .option('--progress', 'show progress (default)')
    .option('--no-progress', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .action(async (opts) => {
      await mdCommand(opts);
    });

  program
    .command('opt')
    .description('Relax atoms (and optionally the cell under a pressure) with FIRE or L-BFGS.')
    .option('-c, --config <file>', 'YAML config; keys as the long flags in snake_case')
    .option('-p, --potential <spec>', 'potential spec')
    .option('-i, --input <file>', 'starting structure')
    .option('--frame <n>', 'frame of the input (default 0; -1 = last)')
    .option('-o, --output <file>', 'relaxed structure')
    .option('--optimizer <name>', 'lbfgs | fire (default lbfgs)')
    .option('--fmax <eV/A>', 'force convergence threshold (default 0.01)')
    .option('--cell', 'relax the cell too')
    .option('--hydrostatic', 'cell relaxation keeps the cell shape')
    .option('--pressure <GPa>', 'external pressure for cell relaxation (default 0)')
    .option('--smax <GPa>', 'stress convergence threshold for cell relaxation (default 0.001)')
    .option('--steps <n>', 'maximum steps (default 1000)')
    .option('--log <file>', 'log table: step energy fmax smax_GPa')
    .option('--traj <file>', 'extended-XYZ trajectory of the relaxation')
    .option('--fixed <list>', 'comma-separated indices of atoms held fixed', (v: string) => v.split(',').map((x) => Number(x.trim())))
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      await optCommand(opts);
    });

  program
    .command('train')
    .description('Fit a linear potential from a YAML config; write the model JSON (usable as -p MODEL.json) and a report directory (error table, parity plots, error histogram).')
    .option('-c, --config <file>', 'YAML config: seed, data {train, test, test_fraction}, model {type, descriptor, offset}, fit {weights, energy_per_atom, lambda | lambdas, folds, cv_metric}, output {model, report}; see docs/training.md')
    .option('-o, --output <file>', 'model file (default: output.model, else <config name>.model.json next to the config)')
    .option('--report <dir>', 'report directory (default: output.report, else <model path without .json>-report)')
    .option('--data <file>', 'training data file, replaces data.train (format from the extension, labels chosen automatically)')
    .option('--no-progress', 'no progress output')
    .option('--json', 'print a JSON summary (model, report, metrics) instead of the table')
    .addHelpText('after', `
Example:
  mlpot calc -p sw -i examples/si.xyz -o /tmp/si-labelled.xyz
  mlpot train -c examples/train/si-sw.yaml --data /tmp/si-labelled.xyz -o /tmp/si.model.json

Labels: REF_energy / REF_forces / REF_stress when present, else energy / forces / stress (as written
by mlpot calc); name them per data entry with labels: {energy: KEY, forces: KEY, stress: KEY}.`)
    .action(async (opts) => {
      await trainCommand(opts);
    });

  program
    .command('eval')
    .description('Error metrics of a model (or any potential spec) against the labels of a data file: energy MAE/RMSE per atom, force MAE/RMSE per component.')
    .requiredOption('-m, --model <file>', 'model file from mlpot train (MODEL.json) or any potential spec (see mlpot calc --help)')
    .requiredOption('-i, --input <file>', 'data with reference labels (format from the extension, or --from)')
    .option('--from <format>', 'input format (extxyz, xyz, vasp, lammps-data, mlearn, deepmd)')
    .option('--energy-key <key>', 'info key of the reference energy (default: REF_energy if present, else energy)')
    .option('--forces-key <key>', 'per-atom key of the reference forces (default: REF_forces if present, else forces)')
    .option('--no-progress', 'no progress output')
    .option('--calibration-svg <file>', 'write the force-uncertainty calibration plot (models with an uncertainty: GP, committee)')
    .option('--json', 'print one JSON object: n_structures, n_atoms, energy_mae, energy_rmse (eV/atom), force_mae, force_rmse (eV/Å), force_within_1sigma, force_within_2sigma, sigma_error_spearman, ...')
    .addHelpText('after', `
Example:
  mlpot eval -m /tmp/si.model.json -i /tmp/si-labelled.xyz --json`)
    .action(async (opts) => {
      await evalCommand(opts);
    });

  program
    .command('analyze')
    .description('RDF, mean-square displacement (Einstein D) and velocity autocorrelation (Green-Kubo D, vibrational DOS) of an extended-XYZ trajectory. Without --rdf/--msd/--vacf, all three.')
    .argument('<trajectory>', 'extended-XYZ trajectory (e.g. from mlpot md --traj)')
    .option('--rdf', 'radial distribution function')
    .option('--msd', 'mean-square displacement and Einstein diffusion coefficient')
    .option('--vacf', 'velocity autocorrelation, Green-Kubo diffusion coefficient, vibrational DOS')
    .option('--rmax <A>', 'RDF range (default 6 Å; may exceed half the cell)')
    .option('--bins <n>', 'RDF bins (default 200)')
    .option('--pair <A,B>', 'partial RDF between elements A and B, e.g. Si,Si')
    .option('--max-lag <frames>', 'longest MSD/VACF lag in frames (default 100)')
    .option('--dt <fs>', 'time between frames (default: from the frames\' time_fs)')
    .option('--skip <frames>', 'skip this many frames first (equilibration)')
    .option('--fit-from <fs>', 'Einstein fit window start (default: half the longest lag)')
    .option('--fit-to <fs>', 'Einstein fit window end (default: the longest lag)')
    .option('-o, --output <file>', 'write all curves as JSON')
    .option('--json', 'print results as JSON')
    .action(async (trajectory: string, opts) => {
      await analyzeCommand(trajectory, opts);
    });

  program
    .command('demo')
    .description('The built-in default job: built-in potentials on a few crystals, then a short MD of silicon with Stillinger-Weber.')
    .option('--steps <n>', 'MD steps (default 2000)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      await demoCommand(opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  // OpenBLAS for the dense linear algebra when the optional native addon is built (falls back to
  // pure TypeScript silently); MLPOT_LINALG=typescript keeps the pure-TypeScript kernels
  if (process.env['MLPOT_LINALG'] !== 'typescript') enableNativeLinalg();
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
