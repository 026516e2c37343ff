/**
 * Behler-Parrinello atom-centred symmetry functions (Behler & Parrinello 2007; Behler 2011), with
 * element-resolved channels and analytic derivatives with respect to every pair vector d_ij.
 *
 * Radial (one channel per neighbour element z):
 *
 *   G2_z(i)  = sum_{j: Z_j = z} exp(-eta (r_ij - r_s)^2) f_c(r_ij)
 *
 * Angular (one channel per unordered neighbour-element pair {z1, z2}); each unordered pair of
 * neighbour-list entries (j, k), j != k, counts once:
 *
 *   G4(i) = 2^(1-zeta) sum_{j<k} (1 + lambda cos theta_ijk)^zeta
 *           exp(-eta (r_ij^2 + r_ik^2 + r_jk^2)) f_c(r_ij) f_c(r_ik) f_c(r_jk)      ("narrow")
 *   G5(i) = 2^(1-zeta) sum_{j<k} (1 + lambda cos theta_ijk)^zeta
 *           exp(-eta (r_ij^2 + r_ik^2)) f_c(r_ij) f_c(r_ik)                          ("wide")
 *
 * with cos theta_ijk = d_ij . d_ik / (r_ij r_ik) and d_jk = d_ik - d_ij (so every feature is a
 * function of the pair vectors of atom i only, as the Descriptor contract requires). Note: the
 * sum over j<k is half of Behler's sum over all j != k (n2p2 uses j<k too).
 *
 * Feature layout: first the radial block [z][g] (g over `radial`), then the angular block
 * [pair(z1<=z2)][a] (a over `angular`), pairs in the order (0,0), (0,1), ..., (1,1), ...
 *
 * Derivatives, for one triplet term T = P E F with P = 2^(1-zeta) u^zeta, u = 1 + lambda cos,
 * E the Gaussian and F the cutoff product, and X = dP/dcos E F:
 *
 *   dT/dd_ij = (-X cos / r_ij^2 - 2 eta T + P E f'_ij f_ik f_jk / r_ij) d_ij + X / (r_ij r_ik) d_ik
 *              + [G4] (2 eta T - P E f_ij f_ik f'_jk / r_jk) d_jk
 *   dT/dd_ik = (-X cos / r_ik^2 - 2 eta T + P E f_ij f'_ik f_jk / r_ik) d_ik + X / (r_ij r_ik) d_ij
 *              + [G4] (-2 eta T + P E f_ij f_ik f'_jk / r_jk) d_jk
 *
 * | symbol              | variable                               | unit   |
 * |---------------------|----------------------------------------|--------|
 * | eta                 | RadialParams.eta, AngularParams.eta    | Å^-2   |
 * | r_s                 | RadialParams.rs                        | Å      |
 * | zeta, lambda        | AngularParams.zeta, .lambda            | -      |
 * | r_c                 | cutoff                                 | Å      |
 * | f_c, f'_c           | fc[m], dfc[m] (per short-list entry m)  | -, Å^-1|
 * | d_ij, r_ij          | sd[3m..3m+2], sr[m]                    | Å      |
 * | exp(-eta r_ij^2)    | sEx[m * nA + a]                        | -      |
 */
import { ParameterError } from '../core/errors.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { COSINE_CUTOFF, cutoffCode, cutoffValueAndDerivative, parseCutoffFunction, type CutoffFunction } from './cutoff.js';
import { checkGradientArgs, type Descriptor, type DescriptorDerivatives, type DescriptorGradientOutput, type DescriptorWeights } from './descriptor.js';
import { checkBuffer, checkInput, normalizeSpecies, speciesTable } from './species.js';

export interface RadialParams {
  /** Gaussian width parameter (Å^-2). */
  readonly eta: number;
  /** Gaussian centre (Å). */
  readonly rs: number;
}

export interface AngularParams {
  /** Å^-2. */
  readonly eta: number;
  /** >= 1. */
  readonly zeta: number;
  /** +1 or -1. */
  readonly lambda: number;
  /** 'G4' (narrow, includes r_jk) or 'G5' (wide). */
  readonly kind: 'G4' | 'G5';
}

export interface ACSFOptions {
  /** Atomic numbers of the neighbour channels (and of every atom the descriptor accepts). */
  species: readonly number[];
  /** Å. */
  cutoff: number;
  /** Default cosine. */
  cutoffFunction?: CutoffFunction;
  radial: readonly RadialParams[];
  angular: readonly AngularParams[];
}

export interface ACSFStandardOptions {
  species: readonly number[];
  /** Å. */
  cutoff: number;
  /** Radial functions per neighbour element (default 8). */
  nRadial?: number;
  /** Angular eta values (default 4); each is combined with every zeta and lambda = +-1. */
  nAngular?: number;
  /** Zeta values of the angular functions (default [1, 4]). */
  zetas?: readonly number[];
  /** Smallest distance the radial grid resolves (Å, default 0.5). */
  rMin?: number;
  /** Default 'G4'. */
  angularKind?: 'G4' | 'G5';
  cutoffFunction?: CutoffFunction;
}

const WHO = 'acsf';

export class ACSF implements Descriptor {
  readonly name = 'acsf';
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly size: number;
  readonly cutoffFunction: CutoffFunction;
  readonly radial: readonly RadialParams[];
  readonly angular: readonly AngularParams[];
  /** Index of the first angular feature. */
  readonly angularOffset: number;

  private readonly ns: number;
  private readonly table: Int32Array;
  private readonly pairIdx: Int32Array;
  private readonly fcCode: number;
  private readonly rEta: Float64Array;
  private readonly rRs: Float64Array;
  private readonly aEta: Float64Array;
  private readonly aZeta: Float64Array;
  private readonly aLambda: Float64Array;
  private readonly aG4: Uint8Array;
  private readonly aNorm: Float64Array;
  private readonly anyG4: boolean;
  private readonly allG4: boolean;
  /** Index of the angular function's eta among the distinct angular etas; zeta as an integer (or -1). */
  private readonly aEtaIdx: Int32Array;
  private readonly aIntZeta: Int32Array;
  private readonly etaU: Float64Array;
  private readonly e3: Float64Array;
  // per-atom scratch (grown on demand)
  private cap = 0;
  private sp = new Int32Array(0);
  private st = new Int32Array(0);
  private sd = new Float64Array(0);
  private sr = new Float64Array(0);
  private sfc = new Float64Array(0);
  private sdfc = new Float64Array(0);
  private sEx = new Float64Array(0);
  private readonly tmp = new Float64Array(2);
  private featScratch = new Float64Array(0);
  private readonly grad: GradMode = { w: new Float64Array(0), rows: null, pg: new Float64Array(0), energies: null, perAtom: false };

  constructor(o: ACSFOptions) {
    this.species = normalizeSpecies(o.species, WHO);
    if (!(o.cutoff > 0) || !Number.isFinite(o.cutoff)) throw new ParameterError(`${WHO}: cutoff must be a positive finite number of Å, got ${o.cutoff}`);
    this.cutoff = o.cutoff;
    this.cutoffFunction = parseCutoffFunction(o.cutoffFunction ?? COSINE_CUTOFF);
    this.fcCode = cutoffCode(this.cutoffFunction);
    o.radial.forEach((g, k) => {
      if (!(g.eta >= 0) || !Number.isFinite(g.eta) || !Number.isFinite(g.rs)) throw new ParameterError(`${WHO}: radial function ${k} needs finite eta >= 0 and rs, got eta=${g.eta}, rs=${g.rs}`);
    });
    o.angular.forEach((g, k) => {
      if (!(g.eta >= 0) || !Number.isFinite(g.eta)) throw new ParameterError(`${WHO}: angular function ${k} needs a finite eta >= 0, got ${g.eta}`);
      if (!(g.zeta >= 1) || !Number.isFinite(g.zeta)) throw new ParameterError(`${WHO}: angular function ${k} needs zeta >= 1, got ${g.zeta}`);
      if (g.lambda !== 1 && g.lambda !== -1) throw new ParameterError(`${WHO}: angular function ${k} needs lambda = +1 or -1, got ${g.lambda}`);
      if (g.kind !== 'G4' && g.kind !== 'G5') throw new ParameterError(`${WHO}: angular function ${k} has kind ${JSON.stringify(g.kind)}; expected "G4" or "G5"`);
    });
    this.radial = o.radial.map((g) => ({ eta: g.eta, rs: g.rs }));
    this.angular = o.angular.map((g) => ({ eta: g.eta, zeta: g.zeta, lambda: g.lambda, kind: g.kind }));
    const ns = this.species.length;
    this.ns = ns;
    this.table = speciesTable(this.species);
    this.pairIdx = new Int32Array(ns * ns);
    let q = 0;
    for (let a = 0; a < ns; a++) for (let b = a; b < ns; b++) { this.pairIdx[a * ns + b] = q; this.pairIdx[b * ns + a] = q; q++; }
    this.rEta = Float64Array.from(this.radial, (g) => g.eta);
    this.rRs = Float64Array.from(this.radial, (g) => g.rs);
    this.aEta = Float64Array.from(this.angular, (g) => g.eta);
    this.aZeta = Float64Array.from(this.angular, (g) => g.zeta);
    this.aLambda = Float64Array.from(this.angular, (g) => g.lambda);
    this.aG4 = Uint8Array.from(this.angular, (g) => (g.kind === 'G4' ? 1 : 0));
    this.aNorm = Float64Array.from(this.angular, (g) => Math.pow(2, 1 - g.zeta));
    this.anyG4 = this.aG4.some((v) => v === 1);
    this.allG4 = this.angular.length > 0 && this.aG4.every((v) => v === 1);
    const etas = [...new Set(this.angular.map((g) => g.eta))];
    this.etaU = Float64Array.from(etas);
    this.aEtaIdx = Int32Array.from(this.angular, (g) => etas.indexOf(g.eta));
    this.aIntZeta = Int32Array.from(this.angular, (g) => (Number.isInteger(g.zeta) && g.zeta <= 32 ? g.zeta : -1));
    this.e3 = new Float64Array(etas.length);
    this.angularOffset = ns * this.radial.length;
    this.size = this.angularOffset + q * this.angular.length;
  }

  /**
   * A sensible default grid after Imbalzano et al. (J. Chem. Phys. 148, 241730, 2018):
   * radial "shifted" functions r_s = rMin + m Δ, Δ = (r_c - rMin)/nRadial, eta = 1/(2 Δ^2);
   * angular "centred" functions (r_s = 0) with eta = 1/(2 σ^2), σ geometric from r_c down to
   * max(rMin, r_c/4) over nAngular values, each with zeta in `zetas` and lambda = +-1.
   */
  static standard(o: ACSFStandardOptions): ACSF {
    const nR = o.nRadial ?? 8;
    const nA = o.nAngular ?? 4;
    const rMin = o.rMin ?? 0.5;
    const rc = o.cutoff;
    if (!Number.isInteger(nR) || nR < 1 || !Number.isInteger(nA) || nA < 0) throw new ParameterError(`${WHO}: nRadial must be an integer >= 1 and nAngular >= 0, got ${nR}, ${nA}`);
    if (!(rMin >= 0 && rMin < rc)) throw new ParameterError(`${WHO}: rMin must be in [0, cutoff), got ${rMin}`);
    const dr = (rc - rMin) / nR;
    const radial: RadialParams[] = [];
    for (let m = 0; m < nR; m++) radial.push({ eta: 1 / (2 * dr * dr), rs: rMin + m * dr });
    const angular: AngularParams[] = [];
    const sLo = Math.max(rMin, rc / 4);
    for (let m = 0; m < nA; m++) {
      const sigma = nA === 1 ? rc : rc * Math.pow(sLo / rc, m / (nA - 1));
      for (const zeta of o.zetas ?? [1, 4]) for (const lambda of [1, -1]) angular.push({ eta: 1 / (2 * sigma * sigma), zeta, lambda, kind: o.angularKind ?? 'G4' });
    }
    return new ACSF({ species: o.species, cutoff: rc, cutoffFunction: o.cutoffFunction ?? COSINE_CUTOFF, radial, angular });
  }

  toJSON(): { type: string; version: number; [k: string]: unknown } {
    return {
      type: 'acsf',
      version: 1,
      species: [...this.species],
      cutoff: this.cutoff,
      cutoffFunction: { ...this.cutoffFunction },
      radial: this.radial.map((g) => ({ ...g })),
      angular: this.angular.map((g) => ({ ...g })),
    };
  }

  static fromJSON(json: { [k: string]: unknown }): ACSF {
    if (json['type'] !== 'acsf') throw new ParameterError(`acsf.fromJSON: type is ${JSON.stringify(json['type'])}, expected "acsf"`);
    if (json['version'] !== 1) throw new ParameterError(`acsf.fromJSON: unsupported version ${JSON.stringify(json['version'])} (this build reads version 1)`);
    return new ACSF({
      species: json['species'] as number[],
      cutoff: json['cutoff'] as number,
      cutoffFunction: parseCutoffFunction(json['cutoffFunction']),
      radial: json['radial'] as RadialParams[],
      angular: json['angular'] as AngularParams[],
    });
  }

  compute(s: Structure, nl: NeighborList, out: Float64Array): void {
    this.run(s, nl, out, null, null);
  }

  computeWithDerivatives(s: Structure, nl: NeighborList, out: DescriptorDerivatives): void {
    this.run(s, nl, out.features, out.derivatives, null);
  }

  /**
   * Contracted gradient (Descriptor contract): the derivative expressions above, each multiplied by
   * its feature's weight w_i,k and summed into g_p as it is produced (no per-feature array).
   */
  computeGradient(s: Structure, nl: NeighborList, w: DescriptorWeights, out: DescriptorGradientOutput): void {
    const n = s.numbers.length;
    checkGradientArgs(WHO, n, nl.offsets[n]!, this.size, w, out);
    let feat = out.features;
    if (!feat) {
      if (this.featScratch.length < this.size) this.featScratch = new Float64Array(this.size);
      feat = this.featScratch;
    }
    const g = this.grad;
    g.w = w.weights;
    g.rows = w.rows ?? null;
    g.pg = out.pairGradients;
    g.energies = out.energies ?? null;
    g.perAtom = !out.features;
    this.run(s, nl, feat, null, g);
  }

  private ensureScratch(m: number): void {
    if (m <= this.cap) return;
    const c = Math.max(m, 2 * this.cap, 32);
    this.cap = c;
    this.sp = new Int32Array(c);
    this.st = new Int32Array(c);
    this.sd = new Float64Array(3 * c);
    this.sr = new Float64Array(c);
    this.sfc = new Float64Array(c);
    this.sdfc = new Float64Array(c);
    this.sEx = new Float64Array(c * Math.max(1, this.angular.length));
  }

  /**
   * Features, and either per-feature pair derivatives (`der`) or the weighted contraction (`gm`);
   * with `gm.perAtom`, `feat` holds one atom's features at a time.
   */
  private run(s: Structure, nl: NeighborList, feat: Float64Array, der: Float64Array | null, gm: GradMode | null): void {
    const n = s.numbers.length;
    const size = this.size;
    checkInput(WHO, this.table, this.species, s, nl, this.cutoff);
    const perAtom = gm !== null && gm.perAtom;
    checkBuffer(WHO, 'features', feat, perAtom ? size : n * size);
    const np = nl.offsets[n]!;
    if (der) {
      checkBuffer(WHO, 'derivatives', der, np * 3 * size);
      der.fill(0, 0, np * 3 * size);
    }
    feat.fill(0, 0, perAtom ? size : n * size);
    const pg = gm ? gm.pg : null, wt = gm ? gm.w : null, wrows = gm ? gm.rows : null;
    if (pg) pg.fill(0, 0, 3 * np);
    let wb = 0;
    const x = s.positions, off = nl.offsets, nb = nl.neighbors, sh = nl.shifts;
    const rc = this.cutoff, rc2 = rc * rc, code = this.fcCode, tmp = this.tmp;
    const table = this.table, numbers = s.numbers;
    const nR = this.radial.length, nA = this.angular.length, ns = this.ns;
    const rEta = this.rEta, rRs = this.rRs;
    const aEta = this.aEta, aZeta = this.aZeta, aLam = this.aLambda, aG4 = this.aG4, aNorm = this.aNorm;
    const pairIdx = this.pairIdx, angOff = this.angularOffset, anyG4 = this.anyG4, allG4 = this.allG4;
    const aEtaIdx = this.aEtaIdx, aIntZeta = this.aIntZeta, etaU = this.etaU, e3 = this.e3, nU = etaU.length;
    let maxRow = 0;
    for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, off[i + 1]! - off[i]!);
    this.ensureScratch(maxRow);
    const sp = this.sp, st = this.st, sd = this.sd, sr = this.sr, sfc = this.sfc, sdfc = this.sdfc, sEx = this.sEx;

    for (let i = 0; i < n; i++) {
      const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
      // short list: neighbours within the cutoff
      let m = 0;
      for (let p = off[i]!; p < off[i + 1]!; p++) {
        const j = nb[p]!;
        const dx = x[3 * j]! + sh[3 * p]! - xi, dy = x[3 * j + 1]! + sh[3 * p + 1]! - yi, dz = x[3 * j + 2]! + sh[3 * p + 2]! - zi;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 >= rc2 || r2 === 0) continue;
        const r = Math.sqrt(r2);
        sp[m] = p;
        st[m] = table[numbers[j]!]!;
        sd[3 * m] = dx; sd[3 * m + 1] = dy; sd[3 * m + 2] = dz;
        sr[m] = r;
        cutoffValueAndDerivative(code, r, rc, tmp);
        sfc[m] = tmp[0]!;
        sdfc[m] = tmp[1]!;
        for (let a = 0; a < nA; a++) sEx[m * nA + a] = Math.exp(-aEta[a]! * r2);
        m++;
      }
      const fb = perAtom ? 0 : i * size;
      if (perAtom && i > 0) feat.fill(0, 0, size);
      if (wt) wb = (wrows ? wrows[i]! : i) * size;
      // radial G2
      for (let q = 0; q < m; q++) {
        const r = sr[q]!, fc = sfc[q]!, dfc = sdfc[q]!;
        const kb = fb + st[q]! * nR;
        const db = sp[q]! * 3 * size + st[q]! * nR;
        const ux = sd[3 * q]! / r, uy = sd[3 * q + 1]! / r, uz = sd[3 * q + 2]! / r;
        for (let g = 0; g < nR; g++) {
          const dr = r - rRs[g]!;
          const e = Math.exp(-rEta[g]! * dr * dr);
          feat[kb + g] += e * fc;
          if (der) {
            const dv = e * (dfc - 2 * rEta[g]! * dr * fc);
            der[db + g] += dv * ux;
            der[db + size + g] += dv * uy;
            der[db + 2 * size + g] += dv * uz;
          } else if (pg) {
            const dv = wt![wb + st[q]! * nR + g]! * e * (dfc - 2 * rEta[g]! * dr * fc);
            const p3 = 3 * sp[q]!;
            pg[p3] += dv * ux;
            pg[p3 + 1] += dv * uy;
            pg[p3 + 2] += dv * uz;
          }
        }
      }
      if (nA === 0) {
        if (gm && gm.energies) gm.energies[i] = rowDot(wt!, wb, feat, fb, size);
        continue;
      }
      // angular G4/G5 over unordered pairs of short-list entries
      for (let q1 = 0; q1 < m; q1++) {
        const x1 = sd[3 * q1]!, y1 = sd[3 * q1 + 1]!, z1 = sd[3 * q1 + 2]!;
        const r1 = sr[q1]!, f1 = sfc[q1]!, df1 = sdfc[q1]!;
        const t1 = st[q1]!;
        const d1b = sp[q1]! * 3 * size;
        for (let q2 = q1 + 1; q2 < m; q2++) {
          const x2 = sd[3 * q2]!, y2 = sd[3 * q2 + 1]!, z2 = sd[3 * q2 + 2]!;
          const r2 = sr[q2]!, f2 = sfc[q2]!, df2 = sdfc[q2]!;
          const d2b = sp[q2]! * 3 * size;
          const kb = angOff + pairIdx[t1 * ns + st[q2]!]! * nA;
          const inv12 = 1 / (r1 * r2);
          const cos = (x1 * x2 + y1 * y2 + z1 * z2) * inv12;
          const x3 = x2 - x1, y3 = y2 - y1, z3 = z2 - z1;
          let r3sq = 0, r3 = 0, f3 = 0, df3 = 0;
          if (anyG4) {
            r3sq = x3 * x3 + y3 * y3 + z3 * z3;
            r3 = Math.sqrt(r3sq);
            cutoffValueAndDerivative(code, r3, rc, tmp);
            f3 = tmp[0]!;
            df3 = tmp[1]!;
            if (f3 === 0 && df3 === 0) {
              if (allG4) continue;
            } else {
              for (let e = 0; e < nU; e++) e3[e] = Math.exp(-etaU[e]! * r3sq);
            }
          }
          for (let a = 0; a < nA; a++) {
            const g4 = aG4[a] === 1;
            if (g4 && f3 === 0 && df3 === 0) continue;
            const eta = aEta[a]!, zeta = aZeta[a]!, lam = aLam[a]!;
            let u = 1 + lam * cos;
            if (u < 0) u = 0;
            const iz = aIntZeta[a]!;
            let pw = 1;
            if (iz >= 1) for (let e = 1; e < iz; e++) pw *= u;
            else pw = Math.pow(u, zeta - 1);
            const P = aNorm[a]! * pw * u;
            let E = sEx[q1 * nA + a]! * sEx[q2 * nA + a]!;
            let F = f1 * f2;
            if (g4) { E *= e3[aEtaIdx[a]!]!; F *= f3; }
            const T = P * E * F;
            feat[fb + kb + a] += T;
            if (!der && !pg) continue;
            const X = aNorm[a]! * zeta * pw * lam * E * F;
            const PE = P * E;
            const f3v = g4 ? f3 : 1;
            const a1 = -X * cos / (r1 * r1) - 2 * eta * T + (PE * df1 * f2 * f3v) / r1;
            const a2 = -X * cos / (r2 * r2) - 2 * eta * T + (PE * f1 * df2 * f3v) / r2;
            const b = X * inv12;
            let c1 = 0, c2 = 0;
            if (g4) {
              const h = r3 > 0 ? (PE * f1 * f2 * df3) / r3 : 0;
              c1 = 2 * eta * T - h;
              c2 = -2 * eta * T + h;
            }
            const k = kb + a;
            if (pg) {
              const wk = wt![wb + k]!;
              const p1 = 3 * sp[q1]!, p2 = 3 * sp[q2]!;
              pg[p1] += wk * (a1 * x1 + b * x2 + c1 * x3);
              pg[p1 + 1] += wk * (a1 * y1 + b * y2 + c1 * y3);
              pg[p1 + 2] += wk * (a1 * z1 + b * z2 + c1 * z3);
              pg[p2] += wk * (a2 * x2 + b * x1 + c2 * x3);
              pg[p2 + 1] += wk * (a2 * y2 + b * y1 + c2 * y3);
              pg[p2 + 2] += wk * (a2 * z2 + b * z1 + c2 * z3);
              continue;
            }
            if (!der) continue;
            der[d1b + k] += a1 * x1 + b * x2 + c1 * x3;
            der[d1b + size + k] += a1 * y1 + b * y2 + c1 * y3;
            der[d1b + 2 * size + k] += a1 * z1 + b * z2 + c1 * z3;
            der[d2b + k] += a2 * x2 + b * x1 + c2 * x3;
            der[d2b + size + k] += a2 * y2 + b * y1 + c2 * y3;
            der[d2b + 2 * size + k] += a2 * z2 + b * z1 + c2 * z3;
          }
        }
      }
      if (gm && gm.energies) gm.energies[i] = rowDot(wt!, wb, feat, fb, size);
    }
  }
}

/** Weighted-contraction mode of `ACSF.run` (reused object, no allocation per call). */
interface GradMode {
  w: Float64Array;
  rows: Int32Array | null;
  pg: Float64Array;
  energies: Float64Array | null;
  /** Features are not returned: `feat` is a one-atom scratch row. */
  perAtom: boolean;
}

function rowDot(w: Float64Array, wb: number, f: Float64Array, fb: number, size: number): number {
  let e = 0;
  for (let k = 0; k < size; k++) e += w[wb + k]! * f[fb + k]!;
  return e;
}
