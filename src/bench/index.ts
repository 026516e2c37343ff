/**
 * Benchmarks: `npm run bench [-- NAME]` runs every benchmark whose name contains NAME (all when
 * omitted), prints a readable table per benchmark and one JSON line with all figures.
 */
import { cpus, loadavg } from 'node:os';
import { runSwBench, SW_BENCH_HEADER } from './sw.js';

interface Bench {
  name: string;
  header: string;
  run: (log: (line: string) => void) => unknown;  // may return a Promise (awaited)
}

const BENCHES: Bench[] = [
  { name: 'sw', header: `Stillinger-Weber Si, energy + forces, neighbour list (skin 1 Å) prebuilt\n${SW_BENCH_HEADER}`, run: (log) => runSwBench({ log }) },
  (await import('./linalg.js')).LINALG_BENCH,
  (await import('./md.js')).MD_BENCH,
  (await import('./ml-md.js')).ML_MD_BENCH,
  (await import('./mlearn.js')).MLEARN_BENCH,
  (await import('./uq.js')).UQ_BENCH,
];

async function main(argv: string[]): Promise<void> {
  const filter = argv[0];
  const chosen = BENCHES.filter((b) => !filter || b.name.includes(filter));
  if (chosen.length === 0) {
    console.error(`no benchmark matches "${filter}"; available: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exitCode = 1;
    return;
  }
  const results: Record<string, unknown> = {};
  const load0 = loadavg()[0];
  for (const b of chosen) {
    console.log(`\n== ${b.name}: ${b.header}`);
    results[b.name] = await b.run((l) => console.log(l));
  }
  const env = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavg1Start: load0, loadavg1End: loadavg()[0] };
  console.log(`\nJSON ${JSON.stringify({ env, results })}`);
}

await main(process.argv.slice(2));
