/**
 * Long physics validation runs of the dynamics engine on Stillinger-Weber silicon (a script, not
 * a test: about a minute). Run after a build:
 *
 *   node dist/bench/validate-md.js [--workers K]
 *
 * 1. NVE: 512 atoms (diamond 4x4x4 cubic cells, a = 5.431 Å), velocities for 1000 K
 *    (Maxwell-Boltzmann, zero momentum, seeded), velocity Verlet 1 fs, 10 ps (10000 steps),
 *    neighbour skin 1 Å. Reports max_t |E(t) - E(0)| / N and the slope of a least-squares line
 *    through E(t)/N (eV/atom/ps) times the run length; then the same at 0.5 fs (20000 steps), so
 *    the ratio of the two maxima shows whether the error is velocity Verlet's O(dt^2) one.
 * 2. NPT at 0 GPa and 300 K: 512 atoms, Bussi (tau 100 fs) + isotropic stochastic cell rescaling
 *    (tau 1 ps, beta_T = 0.01/GPa, about silicon's), 1 fs; 5 ps equilibration, 20 ps production;
 *    lattice constant a = (V / 64)^(1/3) sampled every 10 fs, mean and block-average error
 *    (20 blocks of 1 ps).
 * 3. Cell relaxation at 0 GPa: 8-atom cubic diamond cell started at a = 5.5 Å and rattled by
 *    0.02 Å, `CellOptimizable` + L-BFGS to fmax 1e-6 eV/Å and 1e-7 GPa; compared with a
 *    golden-section minimisation of E(a) of the perfect crystal on [5.2, 5.7] Å (tolerance 1e-10 Å).
 *
 * `--workers K` evaluates forces with `ParallelPotential('sw', K)` (K = 0: serial, the default).
 * Prints one line per check and a final JSON line.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../core/rng.js';
import { stochasticCellRescaling } from '../dynamics/barostat.js';
import { ForceEngine } from '../dynamics/forces.js';
import { velocityVerlet } from '../dynamics/integrator.js';
import { lbfgs, minimize } from '../dynamics/minimize.js';
import { CellOptimizable } from '../dynamics/optimizable.js';
import { createState, kineticEnergy, maxwellBoltzmann, temperature } from '../dynamics/state.js';
import { bussi } from '../dynamics/thermostats.js';
import { ParallelPotential } from '../node/parallel.js';
import type { Potential } from '../potentials/potential.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, rattle } from '../structure/builders.js';
import { volume } from '../structure/cell.js';
import { repeat } from '../structure/repeat.js';
import type { Structure } from '../structure/structure.js';

/** Diamond Si, n^3 conventional cubic cells. */
export function siliconCells(n: number, a = 5.431): Structure {
  const unit = bulk('Si', 'diamond', { a, cubic: true });
  return n === 1 ? unit : repeat(unit, n);
}

export interface NveDrift {
  atoms: number;
  steps: number;
  timestepFs: number;
  /** max_t |E(t) - E(0)| / N, eV/atom. */
  maxDevPerAtom: number;
  /** Least-squares slope of E(t)/N, eV/atom/ps. */
  slopePerAtomPerPs: number;
  /** slope x run length, eV/atom. */
  driftPerAtom: number;
  /** Mean temperature over the run, K. */
  meanTemperatureK: number;
  seconds: number;
}

/** NVE velocity Verlet from Maxwell-Boltzmann velocities; E(t) sampled every `every` steps. */
export function nveDrift(pot: Potential, s: Structure, o: { temperatureK: number; timestepFs: number; steps: number; seed: number; every?: number }): NveDrift {
  const every = o.every ?? 10;
  const state = createState(s);
  maxwellBoltzmann(state, o.temperatureK, new Rng(o.seed));
  const md = velocityVerlet({ engine: new ForceEngine(pot, { skinA: 1 }), timestepFs: o.timestepFs });
  const t0 = performance.now();
  md.init(state);
  const n = s.length;
  const e0 = state.energy + kineticEnergy(state);
  const ts: number[] = [0], es: number[] = [0];
  let maxDev = 0, sumT = 0, nT = 0;
  for (let k = 1; k <= o.steps; k++) {
    md.step(state);
    if (k % every === 0) {
      const ke = kineticEnergy(state);
      const de = (state.energy + ke - e0) / n;
      maxDev = Math.max(maxDev, Math.abs(de));
      ts.push((k * o.timestepFs) / 1000);
      es.push(de);
      sumT += temperature(state, ke);
      nT++;
    }
  }
  const slope = linearSlope(ts, es);
  const lengthPs = (o.steps * o.timestepFs) / 1000;
  return { atoms: n, steps: o.steps, timestepFs: o.timestepFs, maxDevPerAtom: maxDev, slopePerAtomPerPs: slope, driftPerAtom: slope * lengthPs, meanTemperatureK: sumT / nT, seconds: (performance.now() - t0) / 1000 };
}

/** Least-squares slope of y against x. */
export function linearSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (x[k]! - mx) * (y[k]! - my);
    sxx += (x[k]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Golden-section search for the minimum of f on [lo, hi]. */
export function goldenSection(f: (x: number) => number, lo: number, hi: number, tol = 1e-10): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo, b = hi;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  while (b - a > tol) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  return 0.5 * (a + b);
}

export interface CellRelaxCheck {
  /** Lattice constant from the L-BFGS cell relaxation (mean of |a|, |b|, |c|), Å. */
  relaxedA: number;
  /** Largest deviation of a cell vector length from relaxedA, and largest off-diagonal entry, Å. */
  cellSpreadA: number;
  /** Minimum of E(a) by golden section, Å. */
  scannedA: number;
  steps: number;
  converged: boolean;
}

/** Relax the 8-atom SW diamond cell at 0 GPa with L-BFGS and scan E(a) independently. */
export function swCellRelaxation(pot: Potential = StillingerWeber.silicon()): CellRelaxCheck {
  const scannedA = goldenSection((a) => pot.compute(siliconCells(1, a), { forces: false }).energy, 5.2, 5.7);
  const s = rattle(siliconCells(1, 5.5), 0.02, new Rng(4));
  const opt = new CellOptimizable(s, new ForceEngine(pot), { pressureGPa: 0 });
  const r = minimize(opt, { fmax: 1e-6, smaxGPa: 1e-7, maxSteps: 2000, minimizer: lbfgs() });
  const c = s.cell;
  const lens = [0, 1, 2].map((k) => Math.hypot(c[3 * k]!, c[3 * k + 1]!, c[3 * k + 2]!));
  const relaxedA = (lens[0]! + lens[1]! + lens[2]!) / 3;
  let spread = Math.max(...lens.map((l) => Math.abs(l - relaxedA)));
  for (const k of [1, 2, 3, 5, 6, 7]) spread = Math.max(spread, Math.abs(c[k]!));
  return { relaxedA, cellSpreadA: spread, scannedA, steps: r.steps, converged: r.converged };
}

export interface NptLattice {
  atoms: number;
  meanA: number;
  errA: number;
  meanTemperatureK: number;
  samples: number;
  seconds: number;
}

/** NPT (Bussi + stochastic cell rescaling) lattice constant of SW Si at 0 GPa. */
export function nptLattice(pot: Potential, o: { cells: number; temperatureK: number; equilibrationPs: number; productionPs: number; seed: number }): NptLattice {
  const s = siliconCells(o.cells);
  const state = createState(s);
  const rng = new Rng(o.seed);
  maxwellBoltzmann(state, o.temperatureK, rng);
  const md = velocityVerlet({ engine: new ForceEngine(pot, { skinA: 1 }), timestepFs: 1, rng, couplers: [
    bussi({ temperatureK: o.temperatureK, tauFs: 100 }),
    stochasticCellRescaling({ pressureGPa: 0, temperatureK: o.temperatureK, tauFs: 1000, compressibilityPerGPa: 0.01 }),
  ] });
  const t0 = performance.now();
  md.init(state);
  for (let k = 0; k < o.equilibrationPs * 1000; k++) md.step(state);
  const as: number[] = [];
  let sumT = 0;
  const cells3 = o.cells ** 3;
  for (let k = 1; k <= o.productionPs * 1000; k++) {
    md.step(state);
    if (k % 10 === 0) {
      as.push(Math.cbrt(volume(state.structure.cell) / cells3));
      sumT += temperature(state);
    }
  }
  const nb = 20, b = Math.floor(as.length / nb);
  const means = Array.from({ length: nb }, (_, q) => as.slice(q * b, (q + 1) * b).reduce((x, y) => x + y, 0) / b);
  const mean = means.reduce((x, y) => x + y, 0) / nb;
  const err = Math.sqrt(means.reduce((x, y) => x + (y - mean) ** 2, 0) / (nb - 1) / nb);
  return { atoms: s.length, meanA: mean, errA: err, meanTemperatureK: sumT / as.length, samples: as.length, seconds: (performance.now() - t0) / 1000 };
}

function main(argv: string[]): void {
  const wi = argv.indexOf('--workers');
  const workers = wi >= 0 ? Number(argv[wi + 1]) : 0;
  const par = workers > 0 ? new ParallelPotential('sw', workers) : null;
  const pot: Potential = par ?? StillingerWeber.silicon();
  try {
    const nve = nveDrift(pot, siliconCells(4), { temperatureK: 1000, timestepFs: 1, steps: 10000, seed: 2024 });
    const nveHalf = nveDrift(pot, siliconCells(4), { temperatureK: 1000, timestepFs: 0.5, steps: 20000, seed: 2024, every: 20 });
    for (const r of [nve, nveHalf]) {
      console.log(`NVE  SW Si ${r.atoms} atoms, 1000 K start (mean ${r.meanTemperatureK.toFixed(0)} K), ${r.steps} x ${r.timestepFs} fs: max |E(t)-E(0)|/N = ${r.maxDevPerAtom.toExponential(2)} eV/atom, linear drift ${r.driftPerAtom.toExponential(2)} eV/atom over the run (${r.slopePerAtomPerPs.toExponential(2)} eV/atom/ps)  [${r.seconds.toFixed(1)} s]`);
    }
    console.log(`NVE  max |E(t)-E(0)| ratio 1 fs / 0.5 fs = ${(nve.maxDevPerAtom / nveHalf.maxDevPerAtom).toFixed(2)} (4 for the O(dt^2) error of velocity Verlet)`);
    const npt = nptLattice(pot, { cells: 4, temperatureK: 300, equilibrationPs: 5, productionPs: 20, seed: 99 });
    console.log(`NPT  SW Si ${npt.atoms} atoms, 300 K (mean ${npt.meanTemperatureK.toFixed(1)} K), 0 GPa, 20 ps: a = ${npt.meanA.toFixed(5)} ± ${npt.errA.toFixed(5)} Å (${npt.samples} samples)  [${npt.seconds.toFixed(1)} s]`);
    const rel = swCellRelaxation();
    console.log(`OPT  SW Si cell relaxation (L-BFGS, ${rel.steps} steps, converged ${rel.converged}): a = ${rel.relaxedA.toFixed(8)} Å (cell spread ${rel.cellSpreadA.toExponential(1)} Å); golden-section E(a) minimum ${rel.scannedA.toFixed(8)} Å; difference ${(rel.relaxedA - rel.scannedA).toExponential(2)} Å`);
    console.log(`JSON ${JSON.stringify({ workers, nve, nveHalf, npt, cellRelaxation: rel })}`);
  } finally {
    void par?.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) main(process.argv.slice(2));
