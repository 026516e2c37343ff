/**
 * Benchmarks: `npm run bench [-- NAME]` runs every benchmark whose name contains NAME (all when
 * omitted), prints a readable table per benchmark and one JSON line with all figures.
 */
import { readFileSync } from 'node:fs';
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

/**
 * The CPU this process runs on now (Linux: field 39 of /proc/self/stat) and the CPUs it may use
 * (Cpus_allowed_list), or null elsewhere. Recorded because the vCPUs of a shared VM can differ in speed
 * (on the development VM one ran the ACE gradient 1.5x slower than the other): pin a run with
 * `taskset -c N npm run bench -- NAME` to compare like with like.
 */
function cpuPlacement(): { cpu: number | null; allowed: string | null } {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // fields from 3 (state) on
    const cpu = Number(fields[39 - 3]);
    const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
    return { cpu: Number.isInteger(cpu) ? cpu : null, allowed };
  } catch {
    return { cpu: null, allowed: null };
  }
}

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
  const place0 = cpuPlacement();
  const placement: { bench: string; cpuStart: number | null; cpuEnd: number | null }[] = [];
  for (const b of chosen) {
    const start = cpuPlacement().cpu;
    console.log(`\n== ${b.name}: ${b.header}`);
    results[b.name] = await b.run((l) => console.log(l));
    const end = cpuPlacement().cpu;
    placement.push({ bench: b.name, cpuStart: start, cpuEnd: end });
    if (start !== null) console.log(`(ran on CPU ${start}${end !== start ? ` -> ${end}` : ''}; allowed ${place0.allowed ?? '?'})`);
  }
  const env = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, cpusAllowed: place0.allowed, placement, loadavg1Start: load0, loadavg1End: loadavg()[0] };
  console.log(`\nJSON ${JSON.stringify({ env, results })}`);
}

await main(process.argv.slice(2));
