import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readDeepmdDir, writeDeepmdDir } from './deepmd-dir.js';
import { ParseError } from '../core/errors.js';

const WATER = resolve(process.cwd(), '../shared/data/deepmd_water');
const present = existsSync(WATER);
if (!present && process.env['CI'] === 'true') throw new Error(`CI: shared data folder ${WATER} is missing`);
const skip = present ? false : `needs ${WATER} (shared DeePMD water data)`;

test('deepmd water data_0: 80 frames of 64 O + 128 H in a 12.444661 Å cube, labels as in the README', { skip }, async () => {
  const frames = await readDeepmdDir(join(WATER, 'data_0'));
  assert.equal(frames.length, 80);
  for (const s of frames) {
    assert.equal(s.length, 192);
    assert.deepEqual(s.symbols.slice(0, 64), Array(64).fill('O'));
    assert.deepEqual(s.symbols.slice(64), Array(128).fill('H'));
    assert.deepEqual(s.pbc, [true, true, true]);
    for (const k of [0, 4, 8]) assert.ok(Math.abs(s.cell[k]! - 12.444661) < 1e-5, `cell ${s.cell[k]}`);
    for (const k of [1, 2, 3, 5, 6, 7]) assert.equal(s.cell[k], 0);
    const e = s.info['REF_energy'] as number;
    assert.ok(e > -29945.7 && e < -29941.5, `energy ${e}`);
    const f = s.floatArray('REF_forces')!;
    assert.equal(f.length, 576);
    for (let i = 0; i < 192; i++) assert.ok(Math.hypot(f[3 * i]!, f[3 * i + 1]!, f[3 * i + 2]!) <= 6.0 + 1e-3);
    assert.equal(s.info['REF_stress'], undefined, 'no virial files');
  }
  const xs = frames.flatMap((s) => Array.from(s.positions));
  assert.ok(Math.min(...xs) < -8 && Math.max(...xs) > 20, 'coordinates are not wrapped');
});

test('deepmd water data_1 reads both sets in order (160 frames)', { skip }, async () => {
  const frames = await readDeepmdDir(join(WATER, 'data_1'));
  assert.equal(frames.length, 160);
  assert.equal(frames[0]!.info['deepmd_set'], 'set.000');
  assert.equal(frames[159]!.info['deepmd_set'], 'set.001');
});

test('deepmd folder write/read round trip in a temp dir is exact', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlpot-deepmd-'));
  try {
    const frames = (await readDeepmdDir(join(WATER, 'data_0'))).slice(0, 5);
    frames[2]!.info['REF_stress'] = [0.001, 0.002, 0.003, 0.004, 0.005, 0.006];
    for (const s of frames) s.info['REF_stress'] = frames[2]!.info['REF_stress']!;
    await writeDeepmdDir(join(dir, 'sys'), frames);
    assert.deepEqual((await readdir(join(dir, 'sys'))).sort(), ['set.000', 'type.raw', 'type_map.raw']);
    const back = await readDeepmdDir(join(dir, 'sys'));
    assert.equal(back.length, 5);
    back.forEach((s, f) => {
      assert.deepEqual(Array.from(s.positions), Array.from(frames[f]!.positions));
      assert.deepEqual(Array.from(s.cell), Array.from(frames[f]!.cell));
      assert.deepEqual(Array.from(s.numbers), Array.from(frames[f]!.numbers));
      assert.equal(s.info['REF_energy'], frames[f]!.info['REF_energy']);
      assert.deepEqual(Array.from(s.floatArray('REF_forces')!), Array.from(frames[f]!.floatArray('REF_forces')!));
      (s.info['REF_stress'] as number[]).forEach((x, k) => assert.ok(Math.abs(x - (k + 1) * 0.001) < 1e-15));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('deepmd folder with raw files at the top level, and errors for a folder that is not a system', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlpot-deepmd-'));
  try {
    await writeFile(join(dir, 'type.raw'), '0\n0\n');
    await writeFile(join(dir, 'type_map.raw'), 'Cu\n');
    await writeFile(join(dir, 'box.raw'), '3 0 0 0 3 0 0 0 3\n');
    await writeFile(join(dir, 'coord.raw'), '0 0 0 1.5 1.5 0\n');
    await writeFile(join(dir, 'energy.raw'), '-7.25\n');
    const [s] = await readDeepmdDir(dir);
    assert.deepEqual(s!.symbols, ['Cu', 'Cu']);
    assert.equal(s!.info['REF_energy'], -7.25);
    await assert.rejects(readDeepmdDir(join(dir, 'nope')), (e: unknown) => e instanceof ParseError && /type.raw is missing/.test(e.message));
    await rm(join(dir, 'coord.raw'));
    await assert.rejects(readDeepmdDir(dir), (e: unknown) => e instanceof ParseError && /no set.\* folders and no coord.raw/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
