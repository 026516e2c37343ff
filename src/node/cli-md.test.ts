/**
 * End-to-end tests of `mlpot md` and `mlpot opt` as a user runs them: YAML config plus flags,
 * schema errors naming the key and line, the log table, a run killed with SIGKILL and restarted
 * from its checkpoint producing byte-identical log and trajectory, and blow-up handling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeStructures, readStructures } from './files.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { Rng } from '../core/rng.js';

const BIN = resolve('bin/mlpot.js');
const dir = mkdtempSync(join(tmpdir(), 'mlpot-md-'));
const mlpot = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });

const si64 = join(dir, 'si64.xyz');
const si512 = join(dir, 'si512.xyz');
await writeStructures(si64, [rattle(repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 2), 0.02, new Rng(1))]);
await writeStructures(si512, [rattle(repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 4), 0.02, new Rng(2))]);

test('md reads a YAML config, lets flags override it, and writes the documented log table', () => {
  writeFileSync(join(dir, 'md.yaml'), `potential: sw\ninput: ${si64}\nensemble: bussi\ntemperature: 500\ntimestep: 1\nsteps: 40\ninterval: 10\nlog: from-yaml.log\n`);
  const r = mlpot('md', '-c', 'md.yaml', '--steps', '60', '--log', 'md.log', '--json', '--no-progress');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.steps, 60);
  assert.equal(summary.ensemble, 'bussi');
  const lines = readFileSync(join(dir, 'md.log'), 'utf8').trim().split('\n');
  assert.deepEqual(lines[0]!.trim().split(/\s+/), ['step', 'time_fs', 'epot', 'ekin', 'temperature_K', 'pressure_GPa', 'conserved_eV']);
  assert.equal(lines.length, 1 + 7); // steps 0, 10, ..., 60
  const first = lines[1]!.trim().split(/\s+/).map(Number);
  assert.equal(first[0], 0);
  assert.ok(Math.abs(first[4]! - 500) < 1e-6, `initial temperature ${first[4]}`);
  assert.ok(!existsSync(join(dir, 'from-yaml.log')), 'the --log flag overrides the YAML key');
});

test('md config errors name the bad key and where it came from', () => {
  writeFileSync(join(dir, 'bad.yaml'), `potential: sw\ninput: ${si64}\nsteps: 10\ntemprature: 300\ntimestep: fast\n`);
  const r = mlpot('md', '-c', 'bad.yaml');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown key "temprature" \(bad\.yaml line 4\); did you mean "temperature"/);
  assert.match(r.stderr, /key "timestep" \(bad\.yaml line 5\) must be number/);
  const r2 = mlpot('md', '-p', 'sw', '-i', si64, '--ensemble', 'nvt');
  assert.match(r2.stderr, /key "ensemble" \(flag --ensemble\) must be one of "nve", "langevin", "bussi", "nose-hoover", "npt"/);
  const r3 = mlpot('md', '--ensemble', 'nve');
  assert.match(r3.stderr, /missing required key "potential"/);
});

test('a run killed with SIGKILL and restarted from its checkpoint matches an uninterrupted run byte for byte', async () => {
  const common = ['-p', 'sw', '-i', si512, '--ensemble', 'langevin', '--temperature', '800', '--steps', '1200', '--interval', '20', '--checkpoint-interval', '100', '--no-progress', '--json'];
  const a = mlpot('md', ...common, '--log', 'a.log', '--traj', 'a.extxyz', '--checkpoint', 'a.ckpt');
  assert.equal(a.status, 0, a.stderr);
  // second run: kill it hard once a checkpoint exists, then continue
  const child = spawn(process.execPath, [BIN, 'md', ...common, '--log', 'b.log', '--traj', 'b.extxyz', '--checkpoint', 'b.ckpt'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const t0 = Date.now();
  while (!existsSync(join(dir, 'b.ckpt')) && Date.now() - t0 < 120000) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await exited;
  const ck = JSON.parse(readFileSync(join(dir, 'b.ckpt'), 'utf8'));
  assert.ok(ck.state.step >= 100, 'a checkpoint was written before the kill');
  const b = mlpot('md', ...common, '--log', 'b.log', '--traj', 'b.extxyz', '--checkpoint', 'b.ckpt', '--restart');
  assert.equal(b.status, 0, b.stderr);
  assert.equal(JSON.parse(b.stdout).restarted_from_step, ck.state.step);
  assert.equal(readFileSync(join(dir, 'b.log'), 'utf8'), readFileSync(join(dir, 'a.log'), 'utf8'));
  assert.equal(readFileSync(join(dir, 'b.extxyz'), 'utf8'), readFileSync(join(dir, 'a.extxyz'), 'utf8'));
});

test('a restart with different physics is refused', () => {
  const r = mlpot('md', '-p', 'sw', '-i', si512, '--ensemble', 'langevin', '--temperature', '900', '--steps', '1200', '--checkpoint', 'a.ckpt', '--restart');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /was written with temperature = 800, this run has temperature = 900/);
});

test('a blow-up stops with a clear error and writes the last good frame', async () => {
  const r = mlpot('md', '-p', 'sw', '-i', si64, '--temperature', '300', '--timestep', '50', '--steps', '200', '--max-temperature', '20000', '-o', 'boom.xyz', '--no-progress');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /simulation blew up at step \d+: (temperature above limit|force above limit|non-finite)/);
  assert.match(r.stderr, /last good frame \(step \d+\) was written to boom\.lastgood\.extxyz/);
  const [frame] = await readStructures(join(dir, 'boom.lastgood.extxyz'));
  assert.equal(frame!.length, 64);
  assert.ok(frame!.arrays['velocities']);
});

test('opt relaxes the SW silicon cell to the potential\'s lattice constant', () => {
  const r = mlpot('opt', '-p', 'sw', '-i', si64, '--cell', '--fmax', '1e-4', '--smax', '1e-5', '-o', 'relaxed.xyz', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.converged);
  for (const abc of j.cell_abc) assert.ok(Math.abs(abc / 2 - 5.431) < 2e-3, `a = ${abc / 2}`);
  assert.ok(Math.abs(j.energy_per_atom - -4.3366) < 1e-4, `E/atom ${j.energy_per_atom}`);
});

test('analyze reads an md trajectory: fcc argon has 12 nearest neighbours and finite diffusion estimates', async () => {
  const ar = join(dir, 'ar.xyz');
  await writeStructures(ar, [repeat(bulk('Ar', 'fcc', { a: 5.26, cubic: true }), 3)]);
  const md = mlpot('md', '-p', 'lj:sigma=3.4,epsilon=0.0104,cutoff=8.5', '-i', ar, '--ensemble', 'langevin', '--temperature', '30', '--timestep', '5', '--steps', '400', '--traj', 'ar.extxyz', '--interval', '10', '--no-progress');
  assert.equal(md.status, 0, md.stderr);
  const r = mlpot('analyze', 'ar.extxyz', '--max-lag', '10', '--rmax', '5', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.frames, 41);
  assert.equal(j.frame_interval_fs, 50);
  assert.ok(Math.abs(j.rdf.coordination_at_first_minimum - 12) < 0.05, `coordination ${j.rdf.coordination_at_first_minimum}`);
  assert.ok(Math.abs(j.rdf.first_peak_A - 5.26 / Math.SQRT2) < 0.15, `first peak ${j.rdf.first_peak_A}`);
  assert.ok(Number.isFinite(j.msd.D_cm2_per_s) && Number.isFinite(j.vacf.D_green_kubo_cm2_per_s));
  const bad = mlpot('analyze', 'ar.extxyz', '--vacf', '--dt', 'x');
  assert.match(bad.stderr, /--dt must be a number/);
});

test('md with --workers 1 follows the serial trajectory (forces summed across threads)', () => {
  const args = ['md', '-p', 'sw', '-i', si512, '--ensemble', 'nve', '--temperature', '600', '--steps', '50', '--no-progress', '--json'];
  const serial = mlpot(...args);
  const par = mlpot(...args, '--workers', '1');
  assert.equal(serial.status, 0, serial.stderr);
  assert.equal(par.status, 0, par.stderr);
  const a = JSON.parse(serial.stdout), b = JSON.parse(par.stdout);
  assert.ok(Math.abs(a.mean_epot_eV - b.mean_epot_eV) <= 1e-9 * Math.abs(a.mean_epot_eV), `${a.mean_epot_eV} vs ${b.mean_epot_eV}`);
  const lj = mlpot('md', '-p', 'lj:sigma=3.4,epsilon=0.0104', '-i', si64, '--steps', '5', '--workers', '1');
  assert.match(lj.stderr, /does not declare capabilities\.atomRange/);
});
