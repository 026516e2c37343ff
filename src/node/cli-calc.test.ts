/**
 * End-to-end: `mlpot calc` as a user runs it. Its output must be read by ASE as calculator results
 * (energy, forces, stress in ASE's units and sign), equal to the library's own results; labels in the
 * input survive as REF_*; bad input fails with a message naming file and cause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { asePeer, PYTHON } from './peers.js';
import { writeStructures, readStructures } from './files.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { Rng } from '../core/rng.js';
import { StillingerWeber } from '../potentials/sw.js';
import { LennardJones } from '../potentials/lj.js';

const BIN = resolve('bin/mlpot.js');
const dir = mkdtempSync(join(tmpdir(), 'mlpot-calc-'));

function mlpot(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

async function siFrames(n: number) {
  const rng = new Rng(11);
  const base = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 2);
  return Array.from({ length: n }, () => rattle(base, 0.08, rng));
}

test('calc writes energy, forces and stress that ASE reads as results and that equal the library', { skip: asePeer().skip }, async () => {
  const frames = await siFrames(3);
  const inp = join(dir, 'si.xyz');
  const out = join(dir, 'si-sw.xyz');
  await writeStructures(inp, frames);
  const r = mlpot('calc', '-p', 'sw', '-i', inp, '-o', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 3 frames/);
  const py = spawnSync(PYTHON, ['-c', `
import json, ase.io
out = []
for a in ase.io.read(${JSON.stringify(out)}, ':'):
    out.append({'energy': a.get_potential_energy(), 'forces': a.get_forces().ravel().tolist(), 'stress': a.get_stress().tolist()})
print(json.dumps(out))
`], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const ase = JSON.parse(py.stdout) as { energy: number; forces: number[]; stress: number[] }[];
  const sw = StillingerWeber.silicon();
  assert.equal(ase.length, 3);
  frames.forEach((s, k) => {
    const ref = sw.compute(s, { forces: true, stress: true });
    assert.equal(ase[k]!.energy, ref.energy);
    assert.deepEqual(ase[k]!.forces, Array.from(ref.forces!));
    // ASE rebuilds Voigt from the 3x3 we wrote; off-diagonals are symmetric so the values are exact
    ase[k]!.stress.forEach((v, c) => assert.ok(Math.abs(v - ref.stress![c]!) <= 1e-15 * Math.max(1, Math.abs(v)), `stress ${c}: ${v} vs ${ref.stress![c]}`));
  });
});

test('calc keeps labels already in the input as REF_* instead of overwriting them', async () => {
  const [s] = await siFrames(1);
  s!.info['energy'] = -123.25;
  const inp = join(dir, 'labelled.extxyz');
  const out = join(dir, 'labelled-out.extxyz');
  await writeStructures(inp, [s!]);
  const r = mlpot('calc', '-p', 'sw', '-i', inp, '-o', out);
  assert.equal(r.status, 0, r.stderr);
  const [back] = await readStructures(out);
  assert.equal(back!.info['REF_energy'], -123.25);
  assert.notEqual(back!.info['energy'], -123.25);
});

test('calc with inline Lennard-Jones parameters and --json prints per-frame energies', async () => {
  const ar = repeat(bulk('Ar', 'fcc', { a: 5.3, cubic: true }), 2);
  const inp = join(dir, 'ar.xyz');
  await writeStructures(inp, [ar]);
  const r = mlpot('calc', '-p', 'lj:sigma=3.4,epsilon=0.0104,cutoff=8.5', '-i', inp, '-o', join(dir, 'ar-out.xyz'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const e = new LennardJones({ sigma: 3.4, epsilon: 0.0104, cutoff: 8.5 }).compute(ar).energy;
  assert.equal(j.frames[0].energy, e);
});

test('calc fails clearly on an unknown element, a NaN coordinate, an unknown potential and a missing file', () => {
  const bad1 = join(dir, 'bad-element.xyz');
  writeFileSync(bad1, '1\ncomment\nQq 0 0 0\n');
  let r = mlpot('calc', '-p', 'sw', '-i', bad1, '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /bad-element\.xyz.*line 3.*Qq/s);

  const bad2 = join(dir, 'nan.xyz');
  writeFileSync(bad2, '2\ncomment\nSi 0 0 0\nSi nan 0 0\n');
  r = mlpot('calc', '-p', 'sw', '-i', bad2, '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nan\.xyz.*line 4/s);

  const ok = join(dir, 'ok.xyz');
  writeFileSync(ok, '2\ncomment\nSi 0 0 0\nSi 2.3 0 0\n');
  r = mlpot('calc', '-p', 'reaxff', '-i', ok, '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown potential "reaxff"; built-ins: lj, morse, sw, tersoff, eam/);

  r = mlpot('calc', '-p', 'sw', '-i', join(dir, 'nope.xyz'), '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nope\.xyz/);

  r = mlpot('calc', '-p', 'sw:/no/such/Si.sw', '-i', ok, '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /parameter file "\/no\/such\/Si\.sw" not found/);

  const ge = join(dir, 'ge.xyz');
  writeFileSync(ge, '2\ncomment\nGe 0 0 0\nGe 2.4 0 0\n');
  r = mlpot('calc', '-p', 'sw', '-i', ge, '-o', join(dir, 'x.xyz'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /frame 0: .*no parameters for element Ge/);
});

test('convert round-trips through POSCAR', async () => {
  const [s] = await siFrames(1);
  const inp = join(dir, 'c.xyz');
  await writeStructures(inp, [s!]);
  const r = mlpot('convert', inp, join(dir, 'POSCAR'));
  assert.equal(r.status, 0, r.stderr);
  const [back] = await readStructures(join(dir, 'POSCAR'));
  assert.equal(back!.length, s!.length);
  for (let k = 0; k < 9; k++) assert.ok(Math.abs(back!.cell[k]! - s!.cell[k]!) < 1e-12);
});
