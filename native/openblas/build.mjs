#!/usr/bin/env node
// Build the optional OpenBLAS backend (never fails the caller: exits 0 with a message when the
// compiler, Node headers or libopenblas-dev are missing; mlpot then stays on pure TypeScript).
//   node native/openblas/build.mjs        -> native/openblas/build/mlpot_openblas.node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'mlpot_openblas.node');
const nodeInc = [resolve(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
const blasInc = ['/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/openblas', '/usr/include'].find((d) => existsSync(join(d, 'cblas.h')));
if (!nodeInc || !blasInc) {
  console.log(`mlpot native OpenBLAS backend not built: missing ${!nodeInc ? 'Node headers (node_api.h)' : 'cblas.h (install Debian libopenblas-dev)'}; using pure TypeScript`);
  process.exit(0);
}
mkdirSync(join(here, 'build'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const args = ['-O2', '-fPIC', '-shared', '-DNODE_GYP_MODULE_NAME=mlpot_openblas', `-I${nodeInc}`, `-I${blasInc}`, join(here, 'mlpot_openblas.c'), '-o', out, '-lopenblas'];
const r = spawnSync(cc, args, { encoding: 'utf8' });
if (r.status !== 0) {
  console.log(`mlpot native OpenBLAS backend not built (${cc} failed; install build-essential and libopenblas-dev); using pure TypeScript\n${r.stderr ?? r.error}`);
  process.exit(0);
}
console.log(`built ${out}`);
