/**
 * Fixtures shared by the command-line tests: a launcher for this build's CLI in a scratch
 * directory (bin/mlpot.js runs dist/, which may be another build), and small SW-labelled silicon
 * data sets.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/rng.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, perturbCell, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { floatArray, type Structure } from '../structure/structure.js';

export interface CliSandbox {
  /** The scratch directory (the CLI's working directory). */
  dir: string;
  /** Run `mlpot ARGS...` of this build in `dir`, with CI=true (plain progress lines). */
  mlpot(...args: string[]): SpawnSyncReturns<string>;
}

/** A fresh scratch directory with a launcher for ../cli/main.js of this build. */
export function cliSandbox(prefix: string): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const bin = join(dir, 'mlpot.mjs');
  writeFileSync(bin, `import { main } from ${JSON.stringify(main)};
main(process.argv.slice(2)).then((c) => process.exit(c ?? 0), (e) => { process.stderr.write('mlpot: ' + (e && e.message ? e.message : String(e)) + '\\n'); process.exit(1); });\n`);
  return { dir, mlpot: (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, CI: 'true' } }) };
}

/**
 * Strained, rattled 8- and 16-atom diamond Si cells labelled with SW under REF_energy and
 * REF_forces (and REF_stress when `stress`).
 */
export function swLabelledFrames(count: number, seed: number, o: { stress?: boolean } = {}): Structure[] {
  const sw = StillingerWeber.silicon();
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const base = bulk('Si', 'diamond', { a: 5.431 * (0.97 + 0.005 * k), cubic: true });
    const s = rattle(perturbCell(k % 2 ? repeat(base, [2, 1, 1]) : base, 0.02, rng), 0.12, rng);
    const r = sw.compute(s, { forces: true, stress: o.stress === true });
    s.info['REF_energy'] = r.energy;
    s.setArray('REF_forces', floatArray(Float64Array.from(r.forces!), 3));
    if (o.stress) s.info['REF_stress'] = Array.from(r.stress!);
    return s;
  });
}
