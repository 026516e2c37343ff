/**
 * Trajectory analysis: radial distribution functions, mean-square displacement, velocity
 * autocorrelation, diffusion coefficients (Einstein and Green-Kubo) and the vibrational density
 * of states. Browser-safe; every accumulator owns its typed buffers, sized once, and its `add`
 * allocates nothing per atom (the RDF builds one neighbour list per frame).
 *
 * Units: Å, fs, amu; diffusion coefficients in Å^2/fs and cm^2/s; frequencies in THz and cm^-1.
 *
 * | symbol      | meaning                                              | variable                    |
 * |-------------|------------------------------------------------------|-----------------------------|
 * | g_ab(r)     | radial distribution of b atoms around a atoms        | `RdfResult.g`               |
 * | n_ab(r)     | mean number of b atoms within r of an a atom         | `RdfResult.n`               |
 * | rho_b       | number density of b atoms N_b / V                    | `nb / v` in `add`           |
 * | MSD(t)      | <|r_i(t0 + t) - r_i(t0)|^2> over atoms and origins   | `MsdResult.msd`             |
 * | C(t)        | <v_i(t0) . v_i(t0 + t)> (optionally m_i-weighted)    | `VacfResult.c`              |
 * | D           | self-diffusion coefficient                           | `DiffusionEstimate.dA2PerFs`|
 * | S(nu)       | vibrational density of states                        | `VdosResult.dos`            |
 */
import { ValidationError } from '../core/errors.js';
import { atomicNumber, symbolOf } from '../core/elements.js';
import { inv3 } from '../core/mat3.js';
import { A2_PER_FS_TO_CM2_PER_S, THZ_TO_INV_CM } from '../core/units.js';
import { buildNeighborList } from '../neighbors/build.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';


/** An element given as a symbol ("Ar") or an atomic number (18). */
export type ElementSpec = string | number;

function zOf(e: ElementSpec): number {
  return typeof e === 'number' ? e : atomicNumber(e);
}

function positiveInt(x: number, what: string): number {
  if (!Number.isInteger(x) || x < 1) throw new ValidationError(`${what} must be a positive integer, got ${x}`);
  return x;
}

function positiveFinite(x: number, what: string): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new ValidationError(`${what} must be a positive finite number, got ${x}`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Radial distribution function

export interface RdfOptions {
  /** Largest distance (Å); may exceed half the box (periodic images are counted). */
  rMaxA: number;
  /** Number of equal bins on [0, rMaxA). */
  nBins: number;
  /** Partial g_ab(r): centre element a and neighbour element b. Default: all atoms. */
  pair?: readonly [ElementSpec, ElementSpec];
  /**
   * Normalisation volume (Å^3). Required unless the structure is periodic in all three
   * directions (then the cell volume of each frame is used; this option overrides it).
   */
  volumeA3?: number;
}

export interface RdfResult {
  /** Bin centres (Å). */
  readonly r: Float64Array;
  /** Bin edges (Å), nBins + 1. */
  readonly edges: Float64Array;
  /** g(r) averaged over frames. */
  readonly g: Float64Array;
  /** Running coordination number at each bin's upper edge: mean count of b within edges[k+1] of an a. */
  readonly n: Float64Array;
  /** Frames accumulated. */
  readonly frames: number;
}

/**
 * Accumulates g_ab(r) over frames.
 *
 *   g_ab(r_k) = < H_k / (N_a rho_b V_k) >_frames,   V_k = (4 pi / 3)(r_{k+1}^3 - r_k^3),  rho_b = N_b / V
 *   n_ab(r_{k+1}) = < sum_{l <= k} H_l / N_a >_frames  (= sum_l rho_b g_ab(r_l) V_l, exact shells)
 *
 * H_k counts ordered pairs (i of element a, j of element b, over all periodic images; an atom's
 * own images count, the atom itself does not) with |d_ij| in bin k. The density is that of b in
 * the infinite periodic system, N_b / V, so n(r) integrates to true coordination numbers (also
 * for a one-atom primitive cell). A finite ideal gas of N_b random points has N_b - 1 other
 * atoms, so there g_ab = 1 - delta_ab / N_b (plus the atom's own images beyond the cell size);
 * the same convention as ASE, VMD and MDAnalysis. Pairs come from the neighbour list, which
 * includes all images, so rMaxA is not limited by the cell. Each frame is normalised with its own
 * V (NPT). Open structures use the given `volumeA3`.
 *
 * | symbol | variable                 |
 * |--------|--------------------------|
 * | H_k    | `counts` (this frame)    |
 * | N_a    | `na`                     |
 * | V      | `v`                      |
 * | V_k    | `shell[k]`               |
 */
export class RdfAccumulator {
  readonly rMaxA: number;
  readonly nBins: number;
  private readonly za: number;
  private readonly zb: number;
  private readonly volumeA3: number | undefined;
  private readonly shell: Float64Array;
  private readonly counts: Float64Array;
  private readonly gSum: Float64Array;
  private readonly nSum: Float64Array;
  private nFrames = 0;

  constructor(opts: RdfOptions) {
    this.rMaxA = positiveFinite(opts.rMaxA, 'RDF rMaxA (Å)');
    this.nBins = positiveInt(opts.nBins, 'RDF nBins');
    this.za = opts.pair ? zOf(opts.pair[0]) : -1;
    this.zb = opts.pair ? zOf(opts.pair[1]) : -1;
    if (opts.volumeA3 !== undefined) positiveFinite(opts.volumeA3, 'RDF volumeA3 (Å^3)');
    this.volumeA3 = opts.volumeA3;
    const dr = this.rMaxA / this.nBins;
    this.shell = new Float64Array(this.nBins);
    for (let k = 0; k < this.nBins; k++) this.shell[k] = ((4 * Math.PI) / 3) * ((k + 1) ** 3 - k ** 3) * dr ** 3;
    this.counts = new Float64Array(this.nBins);
    this.gSum = new Float64Array(this.nBins);
    this.nSum = new Float64Array(this.nBins);
  }

  /** Add one frame. */
  add(s: Structure): void {
    const full = s.pbc[0] && s.pbc[1] && s.pbc[2];
    const v = this.volumeA3 ?? (full ? volume(s.cell) : NaN);
    if (!(v > 0)) {
      throw new ValidationError(full
        ? `RDF: the cell has zero volume`
        : `RDF of a structure that is not periodic in all three directions needs a normalisation volume: pass volumeA3`);
    }
    const z = s.numbers, n = s.length;
    let na = 0, nb = 0;
    for (let i = 0; i < n; i++) {
      if (this.za < 0 || z[i] === this.za) na++;
      if (this.zb < 0 || z[i] === this.zb) nb++;
    }
    const pairs = na * nb;
    if (pairs === 0) {
      const what = this.za < 0 ? 'atoms' : `${symbolOf(this.za)} or ${symbolOf(this.zb)} atoms (${na} and ${nb})`;
      throw new ValidationError(`RDF: frame has no ${what} among its ${n} atoms; nothing to normalise`);
    }
    const nl = buildNeighborList(s, this.rMaxA);
    const x = s.positions, sh = nl.shifts, off = nl.offsets, nbr = nl.neighbors;
    const counts = this.counts;
    counts.fill(0);
    const rmax2 = this.rMaxA * this.rMaxA;
    const invDr = this.nBins / this.rMaxA;
    for (let i = 0; i < n; i++) {
      if (this.za >= 0 && z[i] !== this.za) continue;
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      for (let p = off[i]!; p < off[i + 1]!; p++) {
        const j = nbr[p]!;
        if (this.zb >= 0 && z[j] !== this.zb) continue;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const d2 = dx * dx + dy * dy + dz * dz;
        if (d2 >= rmax2 || d2 === 0) continue;
        const k = Math.min(this.nBins - 1, Math.floor(Math.sqrt(d2) * invDr));
        counts[k] = counts[k]! + 1;
      }
    }
    // g_k = H_k / (N_a rho_b V_k) = H_k V / (N_a N_b V_k)
    const gf = v / pairs;
    let run = 0;
    for (let k = 0; k < this.nBins; k++) {
      this.gSum[k] = this.gSum[k]! + (gf * counts[k]!) / this.shell[k]!;
      run += counts[k]!;
      this.nSum[k] = this.nSum[k]! + run / na;
    }
    this.nFrames++;
  }

  get frames(): number {
    return this.nFrames;
  }

  /** Frame-averaged g(r) and n(r) (fresh arrays). */
  result(): RdfResult {
    if (this.nFrames === 0) throw new ValidationError('RDF: no frames were added');
    const dr = this.rMaxA / this.nBins;
    const r = new Float64Array(this.nBins), edges = new Float64Array(this.nBins + 1);
    const g = new Float64Array(this.nBins), n = new Float64Array(this.nBins);
    for (let k = 0; k <= this.nBins; k++) edges[k] = k * dr;
    for (let k = 0; k < this.nBins; k++) {
      r[k] = (k + 0.5) * dr;
      g[k] = this.gSum[k]! / this.nFrames;
      n[k] = this.nSum[k]! / this.nFrames;
    }
    return { r, edges, g, n, frames: this.nFrames };
  }
}

// ---------------------------------------------------------------------------------------------
// Shared: ring buffer of per-frame vectors with correlation over several time origins

interface LagOptions {
  /** Longest lag in frames (results have maxLag + 1 points, lag 0 included). */
  maxLag: number;
  /** Time between successive added frames (fs). */
  frameIntervalFs: number;
  /** A new time origin every this many frames (default 1: every frame is an origin). */
  originEvery?: number;
}

/** Frame index bookkeeping shared by MSD and VACF: origins are frames t0 with t0 % originEvery == 0. */
class OriginRing {
  readonly maxLag: number;
  readonly originEvery: number;
  readonly frameIntervalFs: number;
  /** Stored origin frames: slot s holds the frame with origin index s modulo `slots`. */
  readonly slots: number;
  /** Origin frames, `slots` x width; sized by the owner on its first frame. */
  origins = new Float64Array(0);
  readonly originFrame: Float64Array;
  frame = 0;

  constructor(o: LagOptions) {
    if (!Number.isInteger(o.maxLag) || o.maxLag < 0) throw new ValidationError(`maxLag must be a non-negative integer number of frames, got ${o.maxLag}`);
    this.maxLag = o.maxLag;
    this.originEvery = positiveInt(o.originEvery ?? 1, 'originEvery');
    this.frameIntervalFs = positiveFinite(o.frameIntervalFs, 'frameIntervalFs (fs)');
    this.slots = Math.floor(this.maxLag / this.originEvery) + 1;
    this.originFrame = new Float64Array(this.slots).fill(-1);
  }

  timesFs(): Float64Array {
    const t = new Float64Array(this.maxLag + 1);
    for (let l = 0; l <= this.maxLag; l++) t[l] = l * this.frameIntervalFs;
    return t;
  }
}

function elementGroups(numbers: Int32Array): { groupOf: Int32Array; zs: number[]; sizes: number[] } {
  const zs = [...new Set(numbers)].sort((a, b) => a - b);
  const groupOf = new Int32Array(numbers.length);
  const sizes = zs.map(() => 0);
  for (let i = 0; i < numbers.length; i++) {
    const g = zs.indexOf(numbers[i]!);
    groupOf[i] = g;
    sizes[g]!++;
  }
  return { groupOf, zs, sizes };
}

// ---------------------------------------------------------------------------------------------
// Mean-square displacement

export interface MsdOptions extends LagOptions {
  /**
   * Unwrap periodic positions from successive frames with minimum-image increments (default
   * true). Correct as long as no atom moves more than half a plane spacing between frames.
   * Pass false when positions are already unwrapped (e.g. straight from an MDState).
   */
  unwrap?: boolean;
}

export interface MsdResult {
  /** Lag times (fs), maxLag + 1. */
  readonly timeFs: Float64Array;
  /** MSD over all atoms (Å^2). */
  readonly msd: Float64Array;
  /** MSD per element symbol (Å^2). */
  readonly byElement: Readonly<Record<string, Float64Array>>;
  /** Number of time origins averaged at each lag. */
  readonly origins: Float64Array;
}

/**
 * Accumulates the mean-square displacement over several time origins (window averaging):
 *
 *   MSD(l dt) = (1 / (N_o N)) sum_{t0 in origins, t0 + l <= last} sum_i |u_i(t0 + l) - u_i(t0)|^2
 *
 * with u_i the unwrapped position. Unwrapping: u_i(t) = u_i(t-1) + mic(x_i(t) - x_i(t-1)), where
 * mic rounds the fractional increment to [-1/2, 1/2) in the current cell. That is the exact
 * minimum image whenever the true increment is shorter than half the smallest plane spacing
 * (then each fractional component, d . b_k with |b_k| = 1/h_k, is below 1/2). Origins every
 * `originEvery` frames; the last maxLag/originEvery + 1 origins are kept in a ring buffer.
 *
 * | symbol | variable             |
 * |--------|----------------------|
 * | u_i    | `unwrapped[3i..]`    |
 * | x_i    | `prev[3i..]` (last input) |
 * | dt     | `frameIntervalFs`    |
 * | N_o    | `nOrigins[l]`        |
 */
export class MsdAccumulator {
  private readonly ring: OriginRing;
  private readonly unwrap: boolean;
  private n = -1;
  private numbers: Int32Array = new Int32Array(0);
  private groupOf: Int32Array = new Int32Array(0);
  private zs: number[] = [];
  private sizes: number[] = [];
  private unwrapped: Float64Array = new Float64Array(0);
  private prev: Float64Array = new Float64Array(0);
  private readonly inv = new Float64Array(9);
  private readonly sum: Float64Array;
  private byGroup: Float64Array = new Float64Array(0);
  private readonly nOrigins: Float64Array;

  constructor(opts: MsdOptions) {
    this.ring = new OriginRing(opts);
    this.unwrap = opts.unwrap ?? true;
    this.sum = new Float64Array(this.ring.maxLag + 1);
    this.nOrigins = new Float64Array(this.ring.maxLag + 1);
  }

  get frames(): number {
    return this.ring.frame;
  }

  /** Time between added frames (fs), as given at construction. */
  get frameIntervalFs(): number {
    return this.ring.frameIntervalFs;
  }

  /** Add the next frame (positions, possibly wrapped; same atoms in the same order every frame). */
  add(s: Structure): void {
    const n = s.length;
    const ring = this.ring;
    if (this.n < 0) this.setup(s);
    else if (n !== this.n) throw new ValidationError(`MSD: frame ${ring.frame} has ${n} atoms; the first frame had ${this.n}`);
    else {
      for (let i = 0; i < n; i++) {
        if (s.numbers[i] !== this.numbers[i]) throw new ValidationError(`MSD: atom ${i} is ${symbolOf(s.numbers[i]!)} in frame ${ring.frame} but ${symbolOf(this.numbers[i]!)} in the first frame`);
      }
    }
    const x = s.positions, u = this.unwrapped, prev = this.prev;
    if (ring.frame === 0) {
      u.set(x);
    } else if (this.unwrap && (s.pbc[0] || s.pbc[1] || s.pbc[2])) {
      const c = s.cell, inv = this.inv;
      inv.set(inv3(c));
      const p0 = s.pbc[0], p1 = s.pbc[1], p2 = s.pbc[2];
      for (let k = 0; k < 3 * n; k += 3) {
        const dx = x[k]! - prev[k]!, dy = x[k + 1]! - prev[k + 1]!, dz = x[k + 2]! - prev[k + 2]!;
        // fractional increment f = d cell^-1, rounded along periodic directions
        const fa = p0 ? Math.round(dx * inv[0]! + dy * inv[3]! + dz * inv[6]!) : 0;
        const fb = p1 ? Math.round(dx * inv[1]! + dy * inv[4]! + dz * inv[7]!) : 0;
        const fc = p2 ? Math.round(dx * inv[2]! + dy * inv[5]! + dz * inv[8]!) : 0;
        u[k] = u[k]! + dx - (fa * c[0]! + fb * c[3]! + fc * c[6]!);
        u[k + 1] = u[k + 1]! + dy - (fa * c[1]! + fb * c[4]! + fc * c[7]!);
        u[k + 2] = u[k + 2]! + dz - (fa * c[2]! + fb * c[5]! + fc * c[8]!);
      }
    } else {
      for (let k = 0; k < 3 * n; k++) u[k] = u[k]! + x[k]! - prev[k]!;
    }
    prev.set(x);
    const t = ring.frame;
    // store this frame as an origin
    const width = 3 * n;
    if (t % ring.originEvery === 0) {
      const slot = (t / ring.originEvery) % ring.slots;
      ring.origins.set(u, slot * width);
      ring.originFrame[slot] = t;
    }
    // correlate with every stored origin within maxLag
    const L = ring.maxLag + 1;
    for (let slot = 0; slot < ring.slots; slot++) {
      const t0 = ring.originFrame[slot]!;
      if (t0 < 0) continue;
      const lag = t - t0;
      if (lag < 0 || lag > ring.maxLag) continue;
      const o = slot * width;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const k = 3 * i;
        const dx = u[k]! - ring.origins[o + k]!, dy = u[k + 1]! - ring.origins[o + k + 1]!, dz = u[k + 2]! - ring.origins[o + k + 2]!;
        const d2 = dx * dx + dy * dy + dz * dz;
        total += d2;
        const gi = this.groupOf[i]! * L + lag;
        this.byGroup[gi] = this.byGroup[gi]! + d2;
      }
      this.sum[lag] = this.sum[lag]! + total;
      this.nOrigins[lag] = this.nOrigins[lag]! + 1;
    }
    ring.frame++;
  }

  private setup(s: Structure): void {
    const n = s.length;
    if (n === 0) throw new ValidationError('MSD: the first frame has no atoms');
    this.n = n;
    this.numbers = Int32Array.from(s.numbers);
    const g = elementGroups(this.numbers);
    this.groupOf = g.groupOf;
    this.zs = g.zs;
    this.sizes = g.sizes;
    this.unwrapped = new Float64Array(3 * n);
    this.prev = new Float64Array(3 * n);
    const r = this.ring;
    r.origins = new Float64Array(r.slots * 3 * n);
    this.byGroup = new Float64Array(this.zs.length * (r.maxLag + 1));
  }

  /** The current unwrapped positions (Å, 3N; a copy). */
  unwrappedPositions(): Float64Array {
    return this.unwrapped.slice();
  }

  /** Averages so far; lags without any origin yet are NaN. */
  result(): MsdResult {
    if (this.ring.frame === 0) throw new ValidationError('MSD: no frames were added');
    const L = this.ring.maxLag + 1;
    const msd = new Float64Array(L);
    const byElement: Record<string, Float64Array> = {};
    for (let l = 0; l < L; l++) msd[l] = this.sum[l]! / (this.nOrigins[l]! * this.n);
    this.zs.forEach((z, gi) => {
      const a = new Float64Array(L);
      for (let l = 0; l < L; l++) a[l] = this.byGroup[gi * L + l]! / (this.nOrigins[l]! * this.sizes[gi]!);
      byElement[symbolOf(z)] = a;
    });
    return { timeFs: this.ring.timesFs(), msd, byElement, origins: this.nOrigins.slice() };
  }
}

// ---------------------------------------------------------------------------------------------
// Diffusion coefficients

export interface DiffusionEstimate {
  /** D in Å^2/fs. */
  readonly dA2PerFs: number;
  /** D in cm^2/s (1 Å^2/fs = 0.1 cm^2/s). */
  readonly dCm2PerS: number;
}

export interface EinsteinFit extends DiffusionEstimate {
  /** Fitted slope (Å^2/fs) and intercept c (Å^2) of MSD = 2 d D t + c. */
  readonly slope: number;
  readonly intercept: number;
  /** Number of points in the fit window. */
  readonly points: number;
}

export interface EinsteinOptions {
  /** Fit window [fromFs, toFs] (inclusive) in lag time. */
  fromFs: number;
  toFs: number;
  /** Spatial dimensions d (default 3): MSD = 2 d D t. */
  dims?: 1 | 2 | 3;
}

/**
 * Einstein relation, least squares over the window: MSD(t) = 2 d D t + c, so
 * D = slope / (2 d) with slope = sum (t - <t>)(y - <y>) / sum (t - <t>)^2.
 * Non-finite MSD points (lags with no origin) are rejected with an error.
 */
export function einsteinDiffusion(timeFs: ArrayLike<number>, msd: ArrayLike<number>, opts: EinsteinOptions): EinsteinFit {
  if (timeFs.length !== msd.length) throw new ValidationError(`Einstein fit: ${timeFs.length} times but ${msd.length} MSD values`);
  const d = opts.dims ?? 3;
  if (!(opts.toFs > opts.fromFs)) throw new ValidationError(`Einstein fit window must have toFs > fromFs, got [${opts.fromFs}, ${opts.toFs}] fs`);
  let m = 0, st = 0, sy = 0;
  for (let k = 0; k < timeFs.length; k++) {
    const t = timeFs[k]!;
    if (t < opts.fromFs || t > opts.toFs) continue;
    if (!Number.isFinite(msd[k]!)) throw new ValidationError(`Einstein fit: MSD at t = ${t} fs is ${msd[k]} (no time origin reached that lag); shorten the window`);
    m++; st += t; sy += msd[k]!;
  }
  if (m < 2) throw new ValidationError(`Einstein fit window [${opts.fromFs}, ${opts.toFs}] fs holds ${m} MSD point(s); need at least 2`);
  const tm = st / m, ym = sy / m;
  let stt = 0, sty = 0;
  for (let k = 0; k < timeFs.length; k++) {
    const t = timeFs[k]!;
    if (t < opts.fromFs || t > opts.toFs) continue;
    stt += (t - tm) * (t - tm);
    sty += (t - tm) * (msd[k]! - ym);
  }
  const slope = sty / stt;
  const dA2PerFs = slope / (2 * d);
  return { slope, intercept: ym - slope * tm, points: m, dA2PerFs, dCm2PerS: dA2PerFs * A2_PER_FS_TO_CM2_PER_S };
}

export interface GreenKuboOptions {
  /** Upper integration limit (fs); default the whole VACF. */
  upToFs?: number;
  /** Spatial dimensions d (default 3): D = (1/d) int C dt. */
  dims?: 1 | 2 | 3;
}

export interface GreenKuboEstimate extends DiffusionEstimate {
  /** Running integral (1/d) int_0^t C dt' at each lag (Å^2/fs). */
  readonly running: Float64Array;
}

/**
 * Green-Kubo relation D = (1/d) int_0^inf C(t) dt with C(t) = <v_i(0) . v_i(t)> (not
 * mass-weighted, not normalised), integrated with the trapezoid rule up to `upToFs`.
 */
export function greenKuboDiffusion(vacf: VacfResult, opts: GreenKuboOptions = {}): GreenKuboEstimate {
  if (vacf.massWeighted) throw new ValidationError('Green-Kubo diffusion needs the plain VACF <v(0).v(t)>; this one is mass-weighted (create the VacfAccumulator with massWeighted: false)');
  const d = opts.dims ?? 3;
  const t = vacf.timeFs, c = vacf.c;
  const upTo = opts.upToFs ?? t[t.length - 1]!;
  const running = new Float64Array(t.length);
  let s = 0, last = 0;
  for (let k = 1; k < t.length; k++) {
    if (t[k]! > upTo + 1e-9 * Math.abs(upTo)) { running[k] = NaN; continue; }
    if (!Number.isFinite(c[k]!)) throw new ValidationError(`Green-Kubo: VACF at t = ${t[k]} fs is ${c[k]} (no time origin reached that lag); lower upToFs`);
    s += 0.5 * (c[k - 1]! + c[k]!) * (t[k]! - t[k - 1]!);
    running[k] = s / d;
    last = k;
  }
  if (last === 0) throw new ValidationError(`Green-Kubo: upToFs = ${upTo} fs covers no VACF interval`);
  const dA2PerFs = s / d;
  return { dA2PerFs, dCm2PerS: dA2PerFs * A2_PER_FS_TO_CM2_PER_S, running };
}

// ---------------------------------------------------------------------------------------------
// Velocity autocorrelation

export interface VacfOptions extends LagOptions {
  /** Weight each atom by its mass: C(t) = (1/N) sum_i m_i v_i(0).v_i(t) (amu Å^2/fs^2). Default false. */
  massWeighted?: boolean;
  /** Masses (amu) for mass weighting; default the standard masses (or `masses` array) of the first frame. */
  masses?: ArrayLike<number>;
}

export interface VacfResult {
  readonly timeFs: Float64Array;
  /** Unnormalised C(t): Å^2/fs^2, or amu Å^2/fs^2 when mass-weighted. */
  readonly c: Float64Array;
  /** C(t) / C(0). */
  readonly cNorm: Float64Array;
  readonly massWeighted: boolean;
  readonly origins: Float64Array;
}

/**
 * Accumulates the velocity autocorrelation over several time origins:
 *
 *   C(l dt) = (1 / (N_o N)) sum_{t0} sum_i w_i v_i(t0) . v_i(t0 + l),   w_i = 1 or m_i
 *
 * | symbol | variable          |
 * |--------|-------------------|
 * | v_i    | input velocities  |
 * | w_i    | `weights[i]`      |
 * | N_o    | `nOrigins[l]`     |
 */
export class VacfAccumulator {
  private readonly ring: OriginRing;
  private readonly massWeighted: boolean;
  private readonly massesIn: ArrayLike<number> | undefined;
  private weights: Float64Array = new Float64Array(0);
  private n = -1;
  private readonly sum: Float64Array;
  private readonly nOrigins: Float64Array;

  constructor(opts: VacfOptions) {
    this.ring = new OriginRing(opts);
    this.massWeighted = opts.massWeighted ?? false;
    this.massesIn = opts.masses;
    this.sum = new Float64Array(this.ring.maxLag + 1);
    this.nOrigins = new Float64Array(this.ring.maxLag + 1);
  }

  get frames(): number {
    return this.ring.frame;
  }

  /** Time between added frames (fs), as given at construction. */
  get frameIntervalFs(): number {
    return this.ring.frameIntervalFs;
  }

  /**
   * Add the next frame's velocities (Å/fs, 3N). `structure` supplies default masses on the
   * first call when mass weighting is on and no masses were given.
   */
  add(velocities: ArrayLike<number>, structure?: Structure): void {
    const ring = this.ring;
    if (velocities.length % 3 !== 0) throw new ValidationError(`VACF: velocities has ${velocities.length} values, not a multiple of 3`);
    const n = velocities.length / 3;
    if (this.n < 0) {
      if (n === 0) throw new ValidationError('VACF: the first frame has no atoms');
      this.n = n;
      this.weights = new Float64Array(n).fill(1);
      if (this.massWeighted) {
        const m = this.massesIn ?? structure?.masses();
        if (!m) throw new ValidationError('VACF: mass weighting needs masses (pass masses, or a structure to add)');
        if (m.length !== n) throw new ValidationError(`VACF: ${m.length} masses for ${n} atoms`);
        for (let i = 0; i < n; i++) this.weights[i] = m[i]!;
      }
      ring.origins = new Float64Array(ring.slots * 3 * n);
    } else if (n !== this.n) {
      throw new ValidationError(`VACF: frame ${ring.frame} has ${n} atoms; the first frame had ${this.n}`);
    }
    const t = ring.frame, width = 3 * n;
    if (t % ring.originEvery === 0) {
      const slot = (t / ring.originEvery) % ring.slots;
      for (let k = 0; k < width; k++) ring.origins[slot * width + k] = velocities[k]!;
      ring.originFrame[slot] = t;
    }
    const w = this.weights;
    for (let slot = 0; slot < ring.slots; slot++) {
      const t0 = ring.originFrame[slot]!;
      if (t0 < 0) continue;
      const lag = t - t0;
      if (lag < 0 || lag > ring.maxLag) continue;
      const o = slot * width;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const k = 3 * i;
        s += w[i]! * (velocities[k]! * ring.origins[o + k]! + velocities[k + 1]! * ring.origins[o + k + 1]! + velocities[k + 2]! * ring.origins[o + k + 2]!);
      }
      this.sum[lag] = this.sum[lag]! + s;
      this.nOrigins[lag] = this.nOrigins[lag]! + 1;
    }
    ring.frame++;
  }

  result(): VacfResult {
    if (this.ring.frame === 0) throw new ValidationError('VACF: no frames were added');
    const L = this.ring.maxLag + 1;
    const c = new Float64Array(L), cNorm = new Float64Array(L);
    for (let l = 0; l < L; l++) c[l] = this.sum[l]! / (this.nOrigins[l]! * this.n);
    for (let l = 0; l < L; l++) cNorm[l] = c[l]! / c[0]!;
    return { timeFs: this.ring.timesFs(), c, cNorm, massWeighted: this.massWeighted, origins: this.nOrigins.slice() };
  }
}

// ---------------------------------------------------------------------------------------------
// Vibrational density of states

export interface VdosOptions {
  /** Number of frequency points (default 2 (L - 1) + 1 for L VACF points: twice the DCT-I grid). */
  nFreq?: number;
  /** Highest frequency (THz); default the Nyquist frequency 1 / (2 dt). */
  maxFrequencyTHz?: number;
  /** Taper applied to C(t) before the transform (default 'hann': w = (1 + cos(pi t / T)) / 2). */
  window?: 'hann' | 'none';
}

export interface VdosResult {
  /** Frequencies nu (THz). */
  readonly frequencyTHz: Float64Array;
  /** Wavenumbers nu / c (cm^-1). */
  readonly wavenumberInvCm: Float64Array;
  /** S(nu) in 1/THz, normalised so int_0^inf S dnu = 1 (multiply by 3N for a mode count). */
  readonly dos: Float64Array;
}

/**
 * Vibrational density of states as the cosine transform of the normalised VACF:
 *
 *   S(nu) = 4 int_0^T w(t) C(t)/C(0) cos(2 pi nu t) dt
 *
 * evaluated by the trapezoid rule (a plain DFT, O(L nFreq)). Because int_0^inf cos(2 pi nu t) dnu
 * = delta(t)/2, int_0^inf S dnu = C(0)/C(0) = 1. Uses `cNorm` (mass-weighted or not, as the VACF
 * was accumulated). The time step is taken from `timeFs` (uniform).
 *
 * | symbol | variable            |
 * |--------|---------------------|
 * | w(t)   | window weight       |
 * | T      | last lag time (fs)  |
 * | nu     | `frequencyTHz`      |
 */
export function vibrationalDos(vacf: Pick<VacfResult, 'timeFs' | 'cNorm'>, opts: VdosOptions = {}): VdosResult {
  const t = vacf.timeFs, c = vacf.cNorm, L = t.length;
  if (L < 2) throw new ValidationError(`VDOS needs a VACF with at least 2 lags, got ${L}`);
  for (let l = 0; l < L; l++) if (!Number.isFinite(c[l]!)) throw new ValidationError(`VDOS: VACF at t = ${t[l]} fs is ${c[l]}; use a trajectory longer than maxLag`);
  const dt = t[1]! - t[0]!;
  const T = t[L - 1]!;
  const nuMaxPerFs = opts.maxFrequencyTHz !== undefined ? positiveFinite(opts.maxFrequencyTHz, 'maxFrequencyTHz') / 1000 : 1 / (2 * dt);
  const nF = positiveInt(opts.nFreq ?? 2 * (L - 1) + 1, 'nFreq');
  const hann = (opts.window ?? 'hann') === 'hann';
  const wc = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    const w = hann ? 0.5 * (1 + Math.cos((Math.PI * t[l]!) / T)) : 1;
    wc[l] = w * c[l]! * (l === 0 || l === L - 1 ? 0.5 : 1) * dt;
  }
  const frequencyTHz = new Float64Array(nF), wavenumberInvCm = new Float64Array(nF), dos = new Float64Array(nF);
  for (let k = 0; k < nF; k++) {
    const nu = nF === 1 ? 0 : (k * nuMaxPerFs) / (nF - 1);
    let s = 0;
    const w = 2 * Math.PI * nu;
    for (let l = 0; l < L; l++) s += wc[l]! * Math.cos(w * t[l]!);
    frequencyTHz[k] = nu * 1000;
    wavenumberInvCm[k] = nu * 1000 * THZ_TO_INV_CM;
    dos[k] = (4 * s) / 1000; // per fs^-1 -> per THz
  }
  return { frequencyTHz, wavenumberInvCm, dos };
}
