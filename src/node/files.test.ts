import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MlpotError, ValidationError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { convert } from '../cli/convert.js';
import { iterStructures, readStructures, writeStructures } from './files.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlpot-files-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const si2 = (e: number) =>
  new Structure({
    numbers: [14, 14],
    positions: [0, 0, 0, 1.3575, 1.3575, 1.3575],
    cell: [0, 2.715, 2.715, 2.715, 0, 2.715, 2.715, 2.715, 0],
    pbc: true,
    info: { REF_energy: e },
  });

test('files: write then read extended XYZ, and append more frames', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'si.extxyz');
    assert.equal(await writeStructures(path, [si2(-1), si2(-2)]), 2);
    assert.equal(await writeStructures(path, [si2(-3)], { append: true }), 1);
    const frames = await readStructures(path);
    assert.deepEqual(frames.map((s) => s.info['REF_energy']), [-1, -2, -3]);
    assert.deepEqual(Array.from(frames[2]!.cell), [0, 2.715, 2.715, 2.715, 0, 2.715, 2.715, 2.715, 0]);
    const streamed: number[] = [];
    for await (const s of iterStructures(path)) streamed.push(s.info['REF_energy'] as number);
    assert.deepEqual(streamed, [-1, -2, -3]);
    assert.deepEqual(await readdir(dir), ['si.extxyz'], 'no temporary file left behind');
  });
});

test('files: a missing file is an error naming the path', async () => {
  await assert.rejects(readStructures('/nonexistent/dir/x.extxyz'), (e: unknown) => e instanceof MlpotError && e.code === 'NOT_FOUND' && e.message.includes('"/nonexistent/dir/x.extxyz"'));
  await assert.rejects(async () => {
    for await (const _ of iterStructures('/nonexistent/y.xyz')) void _;
  }, /no such file or directory: "\/nonexistent\/y.xyz"/);
});

test('files: unknown extensions need an explicit format; appending is only for XYZ', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'x.txt');
    await writeFile(path, '1\n\nH 0 0 0\n');
    await assert.rejects(readStructures(path), (e: unknown) => e instanceof ValidationError && /cannot tell the format of ".*x\.txt"/.test(e.message));
    assert.deepEqual((await readStructures(path, { format: 'xyz' }))[0]!.symbols, ['H']);
    await assert.rejects(writeStructures(join(dir, 'POSCAR'), [si2(0)], { append: true }), /format "vasp" cannot be appended/);
  });
});

test('convert: extended XYZ to POSCAR and back keeps the structure; several frames to POSCAR fail and leave no file', async () => {
  await withTmp(async (dir) => {
    const src = join(dir, 'in.extxyz');
    await writeStructures(src, [si2(-5)]);
    assert.deepEqual(await convert(src, join(dir, 'POSCAR'), {}), { frames: 1 });
    assert.deepEqual(await convert(join(dir, 'POSCAR'), join(dir, 'back.xyz'), {}), { frames: 1 });
    const [back] = await readStructures(join(dir, 'back.xyz'));
    assert.deepEqual(back!.symbols, ['Si', 'Si']);
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(back!.cell[i]! - si2(0).cell[i]!) < 1e-12);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(back!.positions[i]! - si2(0).positions[i]!) < 1e-12);

    const two = join(dir, 'two.extxyz');
    await writeStructures(two, [si2(-1), si2(-2)]);
    await assert.rejects(convert(two, join(dir, 'out.vasp'), {}), /format "vasp" holds exactly one structure, but 2 frames/);
    await assert.rejects(stat(join(dir, 'out.vasp')), /ENOENT/);
    assert.ok(!(await readdir(dir)).some((f) => f.includes('.tmp-')), 'temporary file removed');

    assert.deepEqual(await convert(two, join(dir, 'plain.txt'), { to: 'xyz' }), { frames: 2 });
    const plain = await readStructures(join(dir, 'plain.txt'), { format: 'xyz' });
    assert.equal(plain.length, 2);
    assert.deepEqual(Array.from(plain[0]!.cell), new Array(9).fill(0), 'plain XYZ has no cell');
  });
});

test('files: a directory is a DeePMD system, written and read back with its reference labels', async () => {
  await withTmp(async (dir) => {
    const sys = join(dir, 'sys');
    const frames = [si2(-3), si2(-4)];
    for (const f of frames) f.setArray('REF_forces', { type: 'float', cols: 3, data: Float64Array.of(1, 2, 3, -1, -2, -3) });
    assert.equal(await writeStructures(sys, frames, { format: 'deepmd' }), 2);
    const back = await readStructures(sys);
    assert.deepEqual(back.map((f) => f.info['REF_energy']), [-3, -4]);
    assert.deepEqual(Array.from(back[0]!.floatArray('REF_forces')!), [1, 2, 3, -1, -2, -3]);
    await assert.rejects(readStructures(sys, { format: 'extxyz' }), /is a directory/);
  });
});

test('files: streaming a ~50 MB extended XYZ keeps memory well below the file size', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await withTmp(async (dir) => {
    const path = join(dir, 'big.extxyz');
    const nAtoms = 64;
    const nFrames = 5600;
    function* frames(): Generator<Structure> {
      const pos = new Float64Array(3 * nAtoms);
      const forces = new Float64Array(3 * nAtoms);
      for (let f = 0; f < nFrames; f++) {
        for (let i = 0; i < 3 * nAtoms; i++) {
          pos[i] = 10 * Math.sin(0.37 * i + 0.011 * f) + f * 1e-9;
          forces[i] = Math.cos(1.3 * i - 0.07 * f) / 3;
        }
        yield new Structure({
          numbers: Array.from({ length: nAtoms }, (_, i) => (i % 2 ? 8 : 14)),
          positions: pos,
          cell: [12, 0, 0, 0, 12, 0, 0, 0, 12],
          pbc: true,
          info: { REF_energy: -f - 0.5, step: f },
          arrays: { REF_forces: { type: 'float', cols: 3, data: forces } },
        });
      }
    }
    assert.equal(await writeStructures(path, frames()), nFrames);
    const size = (await stat(path)).size;
    assert.ok(size > 45e6, `file is ${(size / 1e6).toFixed(1)} MB`);

    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let energyOk = true;
    const t0 = performance.now();
    for await (const s of iterStructures(path)) {
      if (s.info['REF_energy'] !== -count - 0.5 || s.length !== nAtoms) energyOk = false;
      count++;
      if (count % 400 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    t.diagnostic(`read ${(size / 1e6).toFixed(1)} MB, ${count} frames in ${seconds.toFixed(2)} s (${(size / 1e6 / seconds).toFixed(0)} MB/s); peak live heap growth ${(peak / 1e6).toFixed(2)} MB`);
    assert.equal(count, nFrames);
    assert.ok(energyOk, 'every frame comes back in order with its label');
    assert.ok(peak < size / 10, `live heap grew by ${(peak / 1e6).toFixed(1)} MB while streaming a ${(size / 1e6).toFixed(1)} MB file`);
  });
});
