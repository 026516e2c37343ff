/**
 * Small helpers shared by the dynamics tests (not part of the public index): an LJ argon
 * crystal, the argon potential, and block-average statistics.
 */
import { Rng } from '../core/rng.js';
import { LennardJones } from '../potentials/lj.js';
import { repeat } from '../structure/repeat.js';
import { Structure } from '../structure/structure.js';

/** Lennard-Jones argon: epsilon 0.0104 eV, sigma 3.4 Å, cutoff 2.5 sigma (shifted). */
export function argonLJ(): LennardJones {
  return new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 });
}

/** fcc argon, conventional cubic cell of side aA repeated reps^3 times (4 reps^3 atoms). */
export function argonFcc(reps: number, aA = 5.26): Structure {
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]].map((p) => p.map((c) => c * aA));
  const unit = Structure.fromSymbols(['Ar', 'Ar', 'Ar', 'Ar'], basis, { cell: [aA, 0, 0, 0, aA, 0, 0, 0, aA], pbc: true });
  return reps === 1 ? unit : repeat(unit, reps);
}

/** Displace every atom by N(0, stdev^2) per coordinate. */
export function rattleInPlace(s: Structure, stdevA: number, seed: number): void {
  const r = new Rng(seed);
  for (let k = 0; k < s.positions.length; k++) s.positions[k] = s.positions[k]! + stdevA * r.normal();
}

export interface BlockStats {
  mean: number;
  /** Standard error of the mean from the scatter of block means. */
  err: number;
}

/** Mean and its standard error from `nBlocks` block averages of a correlated series. */
export function blockMean(x: readonly number[], nBlocks = 20): BlockStats {
  const b = Math.floor(x.length / nBlocks);
  const means: number[] = [];
  for (let k = 0; k < nBlocks; k++) {
    let s = 0;
    for (let i = k * b; i < (k + 1) * b; i++) s += x[i]!;
    means.push(s / b);
  }
  const mean = means.reduce((a, c) => a + c, 0) / nBlocks;
  const v = means.reduce((a, c) => a + (c - mean) ** 2, 0) / (nBlocks - 1);
  return { mean, err: Math.sqrt(v / nBlocks) };
}

/**
 * Variance of a series about its global mean, with the standard error from block averages of
 * (x - mean)^2 (within-block variances would miss the slow fluctuations of the block means).
 */
export function blockVariance(x: readonly number[], nBlocks = 20): BlockStats {
  const m = x.reduce((a, c) => a + c, 0) / x.length;
  const d2 = x.map((v) => (v - m) * (v - m));
  const r = blockMean(d2, nBlocks);
  const f = x.length / (x.length - 1);
  return { mean: r.mean * f, err: r.err * f };
}
