/**
 * Finite-difference checker for any Descriptor: the conformance kit for descriptors.
 *
 * Assembles Cartesian derivatives from the per-pair derivatives D[p] = dB(i)/dd_p by the contract's
 * rules and compares them with central differences of the features:
 *
 *   dB(i)/dr_j = sum_{p of i, partner j} D[p] - delta_ij sum_{p of i} D[p]
 *              ~ (B(i; r_j,a + h) - B(i; r_j,a - h)) / 2h
 *   W_ab(i)    = sum_p d_p,a D[p]_b
 *              ~ (B(i; x (I + h e_ab)) - B(i; x (I - h e_ab))) / 2h   (positions and cell rows strained)
 *
 * Errors are relative per feature: |analytic - numeric| / max(scale_k, tiny), where scale_k is the
 * largest |analytic| entry of feature k over all atoms, coordinates and strain components.
 * The perturbed features are computed with freshly built neighbour lists (no skin), the analytic
 * ones with a list carrying `skin`, so a skin is exercised too.
 */
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount, reversePairs, type NeighborList } from '../neighbors/neighbor-list.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import type { Descriptor } from './descriptor.js';

export interface DerivativeCheckOptions {
  /** Finite-difference step (Å, and dimensionless for strain). Default 1e-5. */
  h?: number;
  /** Relative tolerance for `ok`. Default 1e-6. */
  tol?: number;
  /** Skin of the neighbour list used for the analytic derivatives (Å). Default 0. */
  skin?: number;
  /** Also check the virial by strain (needs a nonzero cell). Default: when the structure is periodic. */
  virial?: boolean;
}

export interface DerivativeCheckResult {
  ok: boolean;
  /** Worst relative error over positions. */
  maxRelError: number;
  /** Worst absolute error over positions. */
  maxAbsError: number;
  /** Where the worst relative position error occurred. */
  worst: { atom: number; coordinate: number; movedAtom: number; feature: number; analytic: number; numeric: number };
  /** Worst relative virial error (0 when not checked). */
  virialMaxRelError: number;
  /** Largest |dB/dr| seen (to judge that the check was not vacuous). */
  maxDerivative: number;
}

function features(desc: Descriptor, s: Structure): Float64Array {
  const nl = buildNeighborList(s, desc.cutoff);
  const out = new Float64Array(s.length * desc.size);
  desc.compute(s, nl, out);
  return out;
}

export function checkDescriptorDerivatives(desc: Descriptor, s: Structure, opts: DerivativeCheckOptions = {}): DerivativeCheckResult {
  const h = opts.h ?? 1e-5;
  const tol = opts.tol ?? 1e-6;
  const n = s.length, size = desc.size;
  const nl = buildNeighborList(s, desc.cutoff, { skin: opts.skin ?? 0 });
  const np = pairCount(nl);
  const out = { features: new Float64Array(n * size), derivatives: new Float64Array(np * 3 * size) };
  desc.computeWithDerivatives(s, nl, out);
  const D = out.derivatives;
  // analytic dB(i)_k/dr_{j,a} at [((i * n + j) * 3 + a) * size + k], and virial [(i * 9 + 3a + b) * size + k]
  const G = new Float64Array(n * n * 3 * size);
  const W = new Float64Array(n * 9 * size);
  const x = s.positions;
  for (let i = 0; i < n; i++) {
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      const j = nl.neighbors[p]!;
      const d = [0, 1, 2].map((a) => x[3 * j + a]! + nl.shifts[3 * p + a]! - x[3 * i + a]!);
      for (let a = 0; a < 3; a++) {
        for (let k = 0; k < size; k++) {
          const v = D[(p * 3 + a) * size + k]!;
          G[((i * n + j) * 3 + a) * size + k] += v;
          G[((i * n + i) * 3 + a) * size + k] -= v;
          for (let b = 0; b < 3; b++) W[(i * 9 + 3 * b + a) * size + k] += d[b]! * v;
        }
      }
    }
  }
  const scale = new Float64Array(size);
  for (let q = 0; q < G.length; q++) scale[q % size] = Math.max(scale[q % size]!, Math.abs(G[q]!));
  for (let q = 0; q < W.length; q++) scale[q % size] = Math.max(scale[q % size]!, Math.abs(W[q]!));
  let maxDerivative = 0;
  for (let k = 0; k < size; k++) maxDerivative = Math.max(maxDerivative, scale[k]!);
  const tiny = 1e-12 * Math.max(1, maxDerivative);
  let maxRel = 0, maxAbs = 0;
  let worst = { atom: -1, coordinate: -1, movedAtom: -1, feature: -1, analytic: 0, numeric: 0 };
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < 3; a++) {
      const sp = s.clone(), sm = s.clone();
      sp.positions[3 * j + a] += h;
      sm.positions[3 * j + a] -= h;
      const fp = features(desc, sp), fm = features(desc, sm);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < size; k++) {
          const num = (fp[i * size + k]! - fm[i * size + k]!) / (2 * h);
          const ana = G[((i * n + j) * 3 + a) * size + k]!;
          const err = Math.abs(num - ana);
          const rel = err / Math.max(scale[k]!, tiny);
          maxAbs = Math.max(maxAbs, err);
          if (rel > maxRel) {
            maxRel = rel;
            worst = { atom: i, coordinate: a, movedAtom: j, feature: k, analytic: ana, numeric: num };
          }
        }
      }
    }
  }
  let virialRel = 0;
  const doVirial = opts.virial ?? s.periodic;
  if (doVirial) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const strained = (sign: number): Structure => {
          const t = s.clone();
          // rows x' = x (I + eps): x'_b += eps_ab x_a
          const pos = t.positions;
          for (let q = 0; q < n; q++) pos[3 * q + b] += sign * h * s.positions[3 * q + a]!;
          const cell = new Float64Array(s.cell);
          for (let r = 0; r < 3; r++) cell[3 * r + b] += sign * h * s.cell[3 * r + a]!;
          return new Structure({ numbers: t.numbers, positions: pos, cell, pbc: t.pbc });
        };
        const fp = features(desc, strained(1)), fm = features(desc, strained(-1));
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < size; k++) {
            const num = (fp[i * size + k]! - fm[i * size + k]!) / (2 * h);
            const ana = W[(i * 9 + 3 * a + b) * size + k]!;
            virialRel = Math.max(virialRel, Math.abs(num - ana) / Math.max(scale[k]!, tiny));
          }
        }
      }
    }
  }
  return { ok: maxRel <= tol && virialRel <= tol, maxRelError: maxRel, maxAbsError: maxAbs, worst, virialMaxRelError: virialRel, maxDerivative };
}

/**
 * Small random multi-element structures covering the cases a descriptor must get right: open
 * boundaries, an orthorhombic box, a triclinic cell, and a small cell whose width is below twice
 * the cutoff (atoms see their own images). `numbers` picks the elements.
 */
export function descriptorTestStructures(numbers: readonly number[], cutoff: number, seed = 1): { label: string; s: Structure }[] {
  const out: { label: string; s: Structure }[] = [];
  const L = 1.2 * cutoff;
  out.push({ label: 'open cluster', s: randomStructure({ numbers, n: 7, cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], pbc: false, minDistance: 1.6, seed }) });
  out.push({ label: 'orthorhombic', s: randomStructure({ numbers, n: 8, cell: [L, 0, 0, 0, 0.9 * L, 0, 0, 0, 1.1 * L], pbc: true, minDistance: 1.6, seed: seed + 1 }) });
  out.push({ label: 'triclinic', s: randomStructure({ numbers, n: 7, cell: [L, 0, 0, 0.3 * L, 0.9 * L, 0, -0.2 * L, 0.25 * L, L], pbc: true, minDistance: 1.6, seed: seed + 2 }) });
  const c = 0.7 * cutoff;
  out.push({ label: 'small cell (cutoff > half the cell)', s: randomStructure({ numbers, n: 3, cell: [c, 0, 0, 0.1 * c, c, 0, 0, 0.15 * c, c], pbc: true, minDistance: 1.6, seed: seed + 3 }) });
  return out;
}

/**
 * Reference for `computeGradient`: g_p = sum_k w_i,k D[p]_a,k and e_i = w_i . B(i) contracted from
 * the full per-pair derivatives of `computeWithDerivatives` (slow; for tests of the contracted path).
 * `rows` as in DescriptorWeights (omitted: w has one row per atom). Returns the features too.
 */
export function contractedGradientReference(d: Descriptor, s: Structure, nl: NeighborList, w: Float64Array, rows?: Int32Array): { g: Float64Array; e: Float64Array; f: Float64Array } {
  const n = s.length, size = d.size, np = pairCount(nl);
  const f = new Float64Array(n * size);
  const der = new Float64Array(np * 3 * size);
  d.computeWithDerivatives(s, nl, { features: f, derivatives: der });
  const g = new Float64Array(3 * np), e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wb = (rows ? rows[i]! : i) * size;
    for (let k = 0; k < size; k++) e[i] += w[wb + k]! * f[i * size + k]!;
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      for (let a = 0; a < 3; a++) {
        let acc = 0;
        for (let k = 0; k < size; k++) acc += w[wb + k]! * der[(3 * p + a) * size + k]!;
        g[3 * p + a] = acc;
      }
    }
  }
  return { g, e, f };
}

/**
 * Pair totals t_p = g_p - g_p' (p' the reverse of p): what forces and virial depend on. The
 * contracted-gradient contract fixes these; how a pair's total is split between its two
 * directions is up to the descriptor.
 */
export function pairTotals(nl: NeighborList, g: Float64Array): Float64Array {
  const rev = reversePairs(nl), t = new Float64Array(g.length);
  for (let p = 0; p < rev.length; p++) for (let a = 0; a < 3; a++) t[3 * p + a] = g[3 * p + a]! - g[3 * rev[p]! + a]!;
  return t;
}

/** max |a - b| / max |a| (0/0 -> 0): the error of b relative to the scale of the reference a. */
export function maxScaledDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0, m = 0;
  for (let k = 0; k < a.length; k++) scale = Math.max(scale, Math.abs(a[k]!));
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m / Math.max(scale, 1e-300);
}
