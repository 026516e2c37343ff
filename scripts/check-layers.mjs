#!/usr/bin/env node
// Import-direction lint (fails the tests): every folder under src/ may import only the layers
// before it, and browser-safe layers may not import Node built-ins or use Node globals.
//   core < structure < io < neighbors < descriptors < models < potentials < training
//        < dynamics < methods < active < workflows < {cli, web}
// `node/` (Node-only adapters) may import any browser layer; only `cli` (and bench) may import `node/`.
// Test files (*.test.ts) may import any layer (they ship in no bundle), but in browser-safe layers
// they too reach Node (runner, assert, files, peer programs) only through src/node/test-support.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const ORDER = ['core', 'structure', 'io', 'neighbors', 'descriptors', 'models', 'potentials', 'training', 'dynamics', 'methods', 'active', 'workflows'];
const ENTRY = ['cli', 'web'];
const NODE_ONLY = ['node', 'bench'];
const SRC = resolve('src');
const NODE_BUILTINS = /^(node:|fs$|fs\/|path$|child_process$|net$|os$|worker_threads$|http$|https$|readline$|stream$|url$|crypto$|zlib$|util$|events$|process$|buffer$|tty$|perf_hooks$|module$)/;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function layerOf(file) {
  const rel = relative(SRC, file).split(sep);
  return rel.length > 1 ? rel[0] : '(root)';
}

function rank(layer) {
  const i = ORDER.indexOf(layer);
  if (i >= 0) return i;
  if (ENTRY.includes(layer)) return ORDER.length + 1;
  if (NODE_ONLY.includes(layer)) return ORDER.length; // after all browser layers, before cli
  if (layer === '(root)') return ORDER.length + 2;
  return -1;
}

const problems = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of walk(SRC)) {
  const isTest = file.endsWith('.test.ts');
  const layer = layerOf(file);
  const r = rank(layer);
  const rel = relative(process.cwd(), file);
  if (r < 0) {
    problems.push(`${rel}: folder "${layer}" is not a known layer (${[...ORDER, ...ENTRY, ...NODE_ONLY].join(', ')})`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  const browserSafe = ORDER.includes(layer) || layer === 'web';
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (isTest) {
      if (browserSafe && !spec.startsWith('.') && NODE_BUILTINS.test(spec)) {
        problems.push(`${rel}: test in browser-safe layer "${layer}" imports Node built-in "${spec}"; use src/node/test-support.ts`);
      }
      continue;
    }
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      const tl = layerOf(target);
      const tr = rank(tl);
      if (tl === layer) continue;
      if (NODE_ONLY.includes(tl) && !(ENTRY.includes(layer) && layer === 'cli') && !NODE_ONLY.includes(layer) && layer !== '(root)') {
        problems.push(`${rel}: layer "${layer}" imports Node-only "${tl}" (${spec}); only cli may wire Node adapters in`);
      } else if (tr > r && !(layer === 'bench')) {
        problems.push(`${rel}: layer "${layer}" imports later layer "${tl}" (${spec}); allowed order: ${ORDER.join(' < ')} < cli/web`);
      }
    } else if (browserSafe && NODE_BUILTINS.test(spec)) {
      problems.push(`${rel}: browser-safe layer "${layer}" imports Node built-in "${spec}"; move it behind an adapter in src/node/`);
    }
  }
  if (browserSafe) {
    // tests may print (console) but not touch process/Buffer/require either
    const lines = text.split('\n');
    lines.forEach((line, k) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/\b(process\.|Buffer\.|require\(|__dirname|__filename)/.test(code) && !/^\s*\*/.test(code)) {
        problems.push(`${rel}:${k + 1}: browser-safe layer "${layer}" uses a Node global: ${line.trim()}`);
      }
    });
  }
}
if (problems.length) {
  console.error(`layer check: ${problems.length} problem(s)\n` + problems.map((p) => '  ' + p).join('\n'));
  process.exit(1);
}
console.log('layer check: ok');
