/**
 * The shipped training configs (examples/mlearn/*.yaml, examples/train/*.yaml) stay loadable as the
 * code moves: each passes `mlpot train`'s schema, its model type matches its file name
 * (<El>-<type>.yaml; plain <El>.yaml is linear), its descriptor builds, and for the linear mlearn
 * configs the benchmark (`npm run bench -- mlearn`) builds the same descriptor as `mlpot train`.
 * No data are read (the data files are not part of the repository).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicNumber } from '../core/elements.js';
import { descriptorFromConfig, loadTrainConfig } from '../cli/train.js';
import { planDescriptor, planFromFile } from '../bench/mlearn.js';
import { Structure } from '../structure/structure.js';

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'examples'))) {
    const up = dirname(d);
    if (up === d) throw new Error('repository root not found above the test file');
    d = up;
  }
  return d;
}
const root = repoRoot();
const env = { MLPOT_MLEARN_DIR: '/nonexistent/mlearn' };

function oneAtom(el: string): Structure {
  return new Structure({ numbers: Int32Array.of(atomicNumber(el)), positions: new Float64Array(3), cell: new Float64Array([10, 0, 0, 0, 10, 0, 0, 0, 10]), pbc: [true, true, true] });
}

test('every examples/mlearn config loads, has the model type of its name, and builds its descriptor', () => {
  const dir = join(root, 'examples', 'mlearn');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  for (const el of ['Ni', 'Cu', 'Li', 'Mo', 'Si', 'Ge']) assert.ok(files.includes(`${el}.yaml`), `examples/mlearn/${el}.yaml exists`);
  for (const t of ['gp', 'nn', 'committee']) for (const el of ['Si', 'Mo']) assert.ok(files.includes(`${el}-${t}.yaml`), `examples/mlearn/${el}-${t}.yaml exists`);
  for (const f of files) {
    const path = join(dir, f);
    const c = loadTrainConfig(path, {}, env);
    const [el, kind] = f.replace(/\.yaml$/, '').split('-') as [string, string | undefined];
    const wantType = kind === undefined || kind === 'product' || kind === 'fast' ? 'linear' : kind;
    assert.equal(c.model.type, wantType, `${f}: model.type`);
    assert.ok(c.data.train.path.startsWith('/nonexistent/mlearn/'), `${f}: data path follows MLPOT_MLEARN_DIR (${c.data.train.path})`);
    assert.ok(c.data.train.path.includes(`/${el}/`), `${f}: reads the ${el} directory`);
    const d = descriptorFromConfig(c.model.descriptor, [oneAtom(el)]);
    assert.ok(d.size > 0 && d.species.length === 1 && d.species[0] === atomicNumber(el), `${f}: descriptor`);
    if (wantType === 'linear') {
      const plan = planFromFile(path, env);
      const b = planDescriptor(plan.descriptor, [oneAtom(el)]);
      assert.deepEqual(b.toJSON(), d.toJSON(), `${f}: bench and mlpot train build the same descriptor`);
      assert.equal(plan.trainPath, c.data.train.path, `${f}: same data path`);
      assert.equal(plan.weights.energy, c.fit.weights.energy, `${f}: same energy weight`);
      assert.equal(plan.weights.stress, c.fit.weights.stress, `${f}: same stress weight`);
    }
  }
});

test('examples/train configs load', () => {
  const dir = join(root, 'examples', 'train');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const c = loadTrainConfig(join(dir, f), {}, env);
    assert.ok(descriptorFromConfig(c.model.descriptor, [oneAtom('Si')]).cutoff > 0, f);
  }
});
