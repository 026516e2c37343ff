/** Every example MD config in examples/md validates and runs (shortened to a few steps). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve('.');
const out = mkdtempSync(join(tmpdir(), 'mlpot-examples-'));

for (const f of readdirSync(join(root, 'examples/md')).filter((x) => x.endsWith('.yaml'))) {
  test(`example ${f} runs`, () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/mlpot.js'), 'md', '-c', join(root, 'examples/md', f), '--input', join(root, 'examples', readInput(f)), '--steps', '20', '--no-progress', '--json'], { cwd: out, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).steps, 20);
  });
}

function readInput(f: string): string {
  return f.startsWith('ar') ? 'ar.xyz' : 'si.xyz';
}
