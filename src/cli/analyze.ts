/**
 * `mlpot analyze TRAJ`: radial distribution function, mean-square displacement (Einstein
 * diffusion coefficient) and velocity autocorrelation (Green-Kubo diffusion coefficient,
 * vibrational density of states) from an extended-XYZ trajectory such as `mlpot md --traj` writes.
 * Frames are streamed; full curves go to `-o FILE.json`.
 */
import { writeFileSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';
import { atomicNumber } from '../core/elements.js';
import { einsteinDiffusion, greenKuboDiffusion, MsdAccumulator, RdfAccumulator, VacfAccumulator, vibrationalDos } from '../dynamics/analysis.js';
import { iterStructures } from '../node/files.js';
import type { Structure } from '../structure/structure.js';

export interface AnalyzeOptions {
  rdf?: boolean;
  msd?: boolean;
  vacf?: boolean;
  rmax?: string;
  bins?: string;
  pair?: string;
  maxLag?: string;
  dt?: string;
  skip?: string;
  fitFrom?: string;
  fitTo?: string;
  output?: string;
  json?: boolean;
}

function num(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new ValidationError(`--${name} must be a number, got "${v}"`);
  return x;
}

export async function analyzeCommand(traj: string, o: AnalyzeOptions): Promise<Record<string, unknown>> {
  const doAll = !o.rdf && !o.msd && !o.vacf;
  const want = { rdf: doAll || !!o.rdf, msd: doAll || !!o.msd, vacf: doAll || !!o.vacf };
  const skip = num(o.skip, 'skip', 0);
  const maxLag = num(o.maxLag, 'max-lag', 100);
  const pair = o.pair ? (o.pair.split(',').map((x) => x.trim()) as [string, string]) : undefined;
  if (pair && (pair.length !== 2 || !pair.every((p) => atomicNumber(p) > 0))) throw new ValidationError(`--pair must name two elements, e.g. Si,Si; got "${o.pair}"`);
  let rdf: RdfAccumulator | null = null;
  let msd: MsdAccumulator | null = null;
  let vacf: VacfAccumulator | null = null;
  let dtFs = o.dt !== undefined ? num(o.dt, 'dt', NaN) : NaN;
  const pending: Structure[] = [];
  let frames = 0;
  let seen = 0;
  const feed = (s: Structure) => {
    rdf?.add(s);
    msd?.add(s);
    if (vacf) {
      const v = s.arrays['velocities'];
      if (!v || v.type !== 'float') throw new ValidationError(`${traj}: frame ${seen} has no "velocities" array; the VACF needs velocities (mlpot md --traj writes them)`);
      vacf.add(v.data, s);
    }
    frames++;
  };
  const setup = () => {
    if (want.rdf) rdf = new RdfAccumulator({ rMaxA: num(o.rmax, 'rmax', 6), nBins: num(o.bins, 'bins', 200), ...(pair ? { pair } : {}) });
    if (want.msd || want.vacf) {
      if (!Number.isFinite(dtFs)) {
        const t0 = pending[0]?.info['time_fs'], t1 = pending[1]?.info['time_fs'];
        if (typeof t0 === 'number' && typeof t1 === 'number' && t1 > t0) dtFs = t1 - t0;
        else throw new ValidationError(`${traj}: cannot tell the time between frames (no time_fs in the first two frames); give --dt FS`);
      }
      if (want.msd) msd = new MsdAccumulator({ maxLag, frameIntervalFs: dtFs });
      if (want.vacf) vacf = new VacfAccumulator({ maxLag, frameIntervalFs: dtFs });
    }
  };
  let ready = false;
  for await (const s of iterStructures(traj)) {
    if (seen++ < skip) continue;
    if (!ready) {
      pending.push(s); // the first two frames fix the frame interval
      if (pending.length < 2) continue;
      setup();
      ready = true;
      pending.splice(0).forEach(feed);
      continue;
    }
    feed(s);
  }
  if (!ready && pending.length) {
    setup();
    pending.splice(0).forEach(feed);
  }
  if (frames === 0) throw new ValidationError(`${traj}: no frames to analyse${skip ? ` after skipping ${skip}` : ''}`);
  const out: Record<string, unknown> = { trajectory: traj, frames, frame_interval_fs: Number.isFinite(dtFs) ? dtFs : null };
  const lines: string[] = [`analyze ${traj}: ${frames} frames${Number.isFinite(dtFs) ? `, ${dtFs} fs apart` : ''}`];
  if (rdf) {
    const r = (rdf as RdfAccumulator).result();
    let kmax = 0;
    for (let k = 1; k < r.g.length; k++) if (r.g[k]! > r.g[kmax]!) kmax = k;
    let kmin = kmax;
    while (kmin + 1 < r.g.length && r.g[kmin + 1]! <= r.g[kmin]!) kmin++;
    out['rdf'] = { r: Array.from(r.r), g: Array.from(r.g), n: Array.from(r.n), first_peak_A: r.r[kmax], first_peak_g: r.g[kmax], first_minimum_A: r.r[kmin], coordination_at_first_minimum: r.n[kmin] };
    lines.push(`  g(r)${pair ? ` ${pair.join('-')}` : ''}: first peak ${r.r[kmax]!.toFixed(3)} Å (g = ${r.g[kmax]!.toFixed(3)}), first minimum ${r.r[kmin]!.toFixed(3)} Å, coordination ${r.n[kmin]!.toFixed(3)}`);
  }
  if (msd) {
    const m = (msd as MsdAccumulator).result();
    const tEnd = m.timeFs[m.timeFs.length - 1]!;
    const fit = einsteinDiffusion(m.timeFs, m.msd, { fromFs: num(o.fitFrom, 'fit-from', tEnd / 2), toFs: num(o.fitTo, 'fit-to', tEnd) });
    out['msd'] = { time_fs: Array.from(m.timeFs), msd_A2: Array.from(m.msd), by_element: Object.fromEntries(Object.entries(m.byElement).map(([k, v]) => [k, Array.from(v)])), D_A2_per_fs: fit.dA2PerFs, D_cm2_per_s: fit.dCm2PerS };
    lines.push(`  MSD: ${m.msd[m.msd.length - 1]!.toFixed(4)} Å^2 at ${tEnd} fs; Einstein D = ${fit.dCm2PerS.toExponential(3)} cm^2/s (fit over ${fit.points} points)`);
  }
  if (vacf) {
    const v = (vacf as VacfAccumulator).result();
    const gk = greenKuboDiffusion(v);
    const dos = vibrationalDos(v);
    let kp = 1;
    for (let k = 1; k < dos.dos.length; k++) if (dos.dos[k]! > dos.dos[kp]!) kp = k;
    out['vacf'] = { time_fs: Array.from(v.timeFs), c_norm: Array.from(v.cNorm), D_green_kubo_cm2_per_s: gk.dCm2PerS, dos_THz: Array.from(dos.frequencyTHz), dos: Array.from(dos.dos), dos_peak_THz: dos.frequencyTHz[kp] };
    lines.push(`  VACF: Green-Kubo D = ${gk.dCm2PerS.toExponential(3)} cm^2/s; vibrational DOS peak at ${dos.frequencyTHz[kp]!.toFixed(2)} THz`);
  }
  if (o.output) {
    writeFileSync(o.output, JSON.stringify(out));
    lines.push(`  curves written to ${o.output}`);
  }
  process.stdout.write(o.json ? JSON.stringify(out) + '\n' : lines.join('\n') + '\n');
  return out;
}
