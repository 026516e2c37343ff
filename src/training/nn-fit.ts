/**
 * Training neural-network potentials (`models/nn.ts`) on the force-matching loss
 *
 *   L(theta, b) = sum_k [ w_E (E_theta(R_k) - E_ref,k - b)^2 + (w_F / N_k) sum_{i,a} (F_theta,ia - F_ref,ia)^2
 *                        + w_S sum_{v=1..6} (sigma_theta,v - sigma_ref,v)^2 ]  +  lambda |W|^2
 *
 * with Adam (mini-batches of frames, learning-rate schedule) or L-BFGS (full batch), early stopping
 * on a validation split with the best-validation parameters restored, all seeded.
 *
 * - Descriptors have no trainable parameters, so each frame's standardised features x (N x size) and
 *   per-pair derivatives in the same space, Dx[p] = D[p] / s_{Z_i}, are computed once (`prepareNNFrames`).
 * - Offsets b, as in fitLinear: 'per-element' (trainable e0_z, E_model includes sum_i e0_{Z_i}),
 *   'global' (one trainable constant, stored as E_shift = -b; not extensive) or 'none'. They are
 *   initialised by least squares of the energies per atom on the composition; the networks'
 *   output biases start at those e0 for 'global' and 'none' (so training does not have to move
 *   the cohesive energy). With w_E = 0 there are no offset parameters and the model says
 *   `offsetDetermined = false`.
 * - `energyPerAtom: true` compares energies per atom: w_E ((E_theta - E_ref - b) / N_k)^2.
 * - The ridge acts on the network weights W only (not biases, not offsets): penalising biases
 *   would pull the energy zero towards 0 by an amount that depends on lambda.
 * - Gradient (`NNLoss.evaluate`): per frame, forward pass (eps_i, input gradients g_i), forces by
 *   `pairForces`; adjoints dL/deps_i = 2 w_E r_E (/ N_k^2 per atom), u_j = dL/dF_j =
 *   (2 w_F / N_k)(F_j - F_ref,j); with stress, w_v = dL/dW_v = 2 w_S (sigma_v - sigma_ref,v) / V
 *   (sigma = W / V, Voigt, off-diagonals once as in fitLinear); v_i = dL/dg_i by `pairAdjoint`
 *   (forces and virial); then `MLP.paramGradient` adds
 *   (dL/deps_i) d eps_i/dtheta + d(g_i . v_i)/dtheta (the R-op pass). Checked against central
 *   finite differences in nn-fit.test.ts.
 * - Mini-batch loss: (K / |batch|) x (data loss of the batch) + penalty, an unbiased estimate of L.
 * - Learning rate at epoch e of E: constant; exponential lr0 decay^e; cosine
 *   lr0 (m + (1 - m)(1 + cos(pi e / E)) / 2). L-BFGS ignores the schedule: `learningRate` is the length
 *   of its first (steepest-descent) step, after which the two-loop recursion scales the steps.
 * - L-BFGS: two-loop recursion with memory m, gamma = s.y / y.y, Armijo backtracking (halving,
 *   c1 = 1e-4); pairs with s.y <= 1e-10 |s||y| are skipped, a non-descent direction or a failed line
 *   search resets the memory; a failed search with an empty memory ends the run. (dynamics/minimize.ts
 *   has an L-BFGS for atoms, but dynamics/ is a later layer than training/, so this is its own.)
 * - Early stopping: after every epoch (an Adam pass over the training frames, or an L-BFGS
 *   iteration) the validation data loss is computed; training stops when it has not improved for
 *   `patience` epochs, and the parameters of the best epoch are returned.
 *
 * | symbol            | variable                                                |
 * |-------------------|---------------------------------------------------------|
 * | theta             | theta[0 .. P) (network parameters, P = ns x MLP.count)   |
 * | e0_z / E_shift    | theta[P + s] ('per-element') / theta[P] ('global')       |
 * | w_E, w_F, w_S     | weights.energy, weights.forces, weights.stress            |
 * | lambda            | lambda                                                    |
 * | N_k               | frame.n                                                   |
 * | x_i, Dx[p]        | frame.x, frame.dx                                         |
 * | g_i, v_i          | work.g, work.v                                            |
 * | u_j, w_v          | work.u, work.w                                            |
 * | m (L-BFGS)        | lbfgsMemory                                               |
 * | beta1, beta2, eps | adam.beta1, adam.beta2, adam.epsilon                      |
 */
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { LabelKeys } from '../io/labels.js';
import { speciesIndices } from '../models/linear.js';
import { MLP, NNPotential, pairAdjoint, pairForces, type Activation, type PairTopology } from '../models/nn.js';
import { assertNoOverlap } from '../neighbors/checked.js';
import { buildNeighborList } from '../neighbors/build.js';
import { pairCount } from '../neighbors/neighbor-list.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { makeDataset, trainTestSplit, type DatasetOptions, type TrainingRecord } from './dataset.js';
import type { OffsetMode } from './linear-fit.js';
import { evaluatePotential, type MetricsRecord } from './metrics.js';

/** One frame, precomputed for training (see the module comment). */
export interface NNFrame {
  /** Index in the frame list given to the fitter. */
  index: number;
  n: number;
  /** Species index of every atom. */
  sp: Int32Array;
  /** Atoms per species. */
  counts: Float64Array;
  /** Standardised features x (N x size). */
  x: Float64Array;
  /** Per-pair derivatives of x (pairs x 3 x size), or null when forces are not fitted. */
  dx: Float64Array | null;
  topo: PairTopology;
  /** Positions and per-pair Cartesian shifts (for the virial). */
  positions: Float64Array;
  shifts: Float64Array;
  /** Cell volume (Å^3; 0 when not periodic in all three directions). */
  volume: number;
  energy?: number;
  forces?: Float64Array;
  /** Voigt stress label (eV/Å^3). */
  stress?: Float64Array;
}

/** Per-species feature mean and standard deviation (ns x size each); std 1 for constant features. */
export interface FeatureScaling {
  mean: Float64Array;
  std: Float64Array;
}

/**
 * Compute descriptors (and, when `derivatives`, per-pair derivatives) of every record, standardised
 * with `scaling`, or with statistics of these records when `scaling` is omitted (returned as well).
 */
export function prepareNNFrames(desc: Descriptor, records: readonly TrainingRecord[], derivatives: boolean, scaling?: FeatureScaling): { frames: NNFrame[]; scaling: FeatureScaling } {
  const size = desc.size;
  const ns = desc.species.length;
  const frames: NNFrame[] = records.map((rec) => {
    const s = rec.structure;
    const nl = buildNeighborList(s, desc.cutoff);
    try {
      assertNoOverlap(s, nl);
    } catch (e) {
      throw new ValidationError(`frame ${rec.index}: ${(e as Error).message}`);
    }
    const n = s.length;
    const sp = speciesIndices(desc.species, s, `frame ${rec.index}`);
    const counts = new Float64Array(ns);
    for (let i = 0; i < n; i++) counts[sp[i]!] += 1;
    const x = new Float64Array(n * size);
    let dx: Float64Array | null = null;
    if (derivatives) {
      dx = new Float64Array(pairCount(nl) * 3 * size);
      desc.computeWithDerivatives(s, nl, { features: x, derivatives: dx });
    } else {
      desc.compute(s, nl, x);
    }
    const periodic = s.pbc[0] && s.pbc[1] && s.pbc[2];
    const f: NNFrame = { index: rec.index, n, sp, counts, x, dx, topo: { n, offsets: nl.offsets, neighbors: nl.neighbors }, positions: s.positions, shifts: nl.shifts, volume: periodic ? volume(s.cell) : 0 };
    if (rec.energy !== undefined) f.energy = rec.energy;
    if (rec.forces !== undefined) f.forces = rec.forces;
    if (rec.stress !== undefined) f.stress = rec.stress;
    return f;
  });
  let sc = scaling;
  if (!sc) {
    const mean = new Float64Array(ns * size), sq = new Float64Array(ns * size), cnt = new Float64Array(ns);
    for (const f of frames) {
      for (let i = 0; i < f.n; i++) {
        const o = f.sp[i]! * size;
        cnt[f.sp[i]!] += 1;
        for (let k = 0; k < size; k++) mean[o + k] += f.x[i * size + k]!;
      }
    }
    for (let s = 0; s < ns; s++) for (let k = 0; k < size; k++) mean[s * size + k] = cnt[s]! > 0 ? mean[s * size + k]! / cnt[s]! : 0;
    for (const f of frames) {
      for (let i = 0; i < f.n; i++) {
        const o = f.sp[i]! * size;
        for (let k = 0; k < size; k++) sq[o + k] += (f.x[i * size + k]! - mean[o + k]!) ** 2;
      }
    }
    const std = new Float64Array(ns * size);
    for (let s = 0; s < ns; s++) {
      for (let k = 0; k < size; k++) {
        const v = cnt[s]! > 1 ? Math.sqrt(sq[s * size + k]! / (cnt[s]! - 1)) : 0;
        std[s * size + k] = v > 1e-10 * (1 + Math.abs(mean[s * size + k]!)) ? v : 1;
      }
    }
    sc = { mean, std };
  }
  const { mean, std } = sc;
  for (const f of frames) {
    for (let i = 0; i < f.n; i++) {
      const o = f.sp[i]! * size;
      for (let k = 0; k < size; k++) f.x[i * size + k] = (f.x[i * size + k]! - mean[o + k]!) / std[o + k]!;
      if (f.dx) {
        const { offsets } = f.topo;
        for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
          for (let a = 0; a < 3; a++) {
            const b = (p * 3 + a) * size;
            for (let k = 0; k < size; k++) f.dx[b + k] = f.dx[b + k]! / std[o + k]!;
          }
        }
      }
    }
  }
  return { frames, scaling: sc };
}

export interface NNLossOptions {
  weights: { energy: number; forces: number; stress?: number };
  /** Ridge on the network weights (default 0). */
  lambda?: number;
  offset: OffsetMode;
  energyPerAtom?: boolean;
}

export interface LossValue {
  data: number;
  penalty: number;
  total: number;
}

/**
 * The loss of the module comment over a list of precomputed frames, as a function of the flat
 * vector theta = (network parameters, offsets), with its exact gradient.
 */
export class NNLoss {
  readonly net: MLP;
  readonly ns: number;
  /** Network parameters P = ns x net.count. */
  readonly nNet: number;
  /** Offset parameters (ns, 1 or 0). */
  readonly nOff: number;
  /** nNet + nOff. */
  readonly nParams: number;
  readonly wE: number;
  readonly wF: number;
  readonly wS: number;
  readonly lambda: number;
  readonly perAtom: boolean;
  readonly offset: OffsetMode;
  private readonly isWeight: Uint8Array;
  private eps = new Float64Array(0);
  private g = new Float64Array(0);
  private v = new Float64Array(0);
  private u = new Float64Array(0);
  private F = new Float64Array(0);
  private readonly W = new Float64Array(6);
  private readonly w = new Float64Array(6);
  /** Hidden activations of every atom of the current frame (saved by the forward pass for the gradient pass). */
  private act = new Float64Array(0);

  constructor(net: MLP, ns: number, o: NNLossOptions) {
    this.net = net;
    this.ns = ns;
    this.nNet = ns * net.count;
    this.wE = o.weights.energy;
    this.wF = o.weights.forces;
    this.wS = o.weights.stress ?? 0;
    this.lambda = o.lambda ?? 0;
    this.perAtom = o.energyPerAtom ?? false;
    this.offset = o.offset;
    this.nOff = this.wE === 0 ? 0 : o.offset === 'per-element' ? ns : o.offset === 'global' ? 1 : 0;
    this.nParams = this.nNet + this.nOff;
    this.isWeight = new Uint8Array(this.nNet);
    for (let s = 0; s < ns; s++) {
      for (let l = 0; l < net.nLayers; l++) {
        const w = s * net.count + net.wOff[l]!;
        this.isWeight.fill(1, w, w + net.sizes[l]! * net.sizes[l + 1]!);
      }
    }
  }

  /** 1 where theta[k] is a network weight (penalised), 0 for biases. */
  penalised(k: number): boolean {
    return this.isWeight[k] === 1;
  }

  private ensure(n: number, size: number): void {
    if (this.eps.length < n) {
      this.eps = new Float64Array(n);
      this.F = new Float64Array(3 * n);
      this.u = new Float64Array(3 * n);
    }
    if (this.act.length < n * this.net.activationSize) this.act = new Float64Array(n * this.net.activationSize);
    if (this.g.length < n * size) {
      this.g = new Float64Array(n * size);
      this.v = new Float64Array(n * size);
    }
  }

  /** Model energy and (when the frame has derivatives) forces into this.F and virial into this.W, as asked. */
  private frameForward(theta: Float64Array, f: NNFrame, wantForces: boolean, wantVirial: boolean, saveAct: boolean): number {
    const net = this.net, size = net.inputSize, P = this.nNet;
    this.ensure(f.n, size);
    let E = this.offset === 'global' && this.nOff === 1 ? theta[P]! : 0;
    const doF = (wantForces || wantVirial) && f.dx !== null;
    for (let i = 0; i < f.n; i++) {
      const s = f.sp[i]!;
      const o = s * net.count;
      const e = net.forward(theta, o, f.x, i * size);
      if (saveAct) net.saveActivations(this.act, i * net.activationSize);
      this.eps[i] = e;
      E += e;
      if (this.nOff === this.ns && this.offset === 'per-element') E += theta[P + s]!;
      if (doF) net.inputGradient(theta, o, this.g, i * size);
    }
    if (doF) {
      this.F.fill(0, 0, 3 * f.n);
      this.W.fill(0);
      pairForces(this.g, f.dx!, size, f.topo, wantForces ? this.F : undefined, wantVirial ? { positions: f.positions, shifts: f.shifts, out: this.W } : undefined);
    }
    return E;
  }

  /**
   * Loss over `frames` (all, or those listed in `batch`) with the data term multiplied by
   * `scale`; the gradient is added into `grad` (zero it first) when given.
   */
  evaluate(theta: Float64Array, frames: readonly NNFrame[], grad: Float64Array | null, batch?: readonly number[], scale = 1): LossValue {
    if (theta.length !== this.nParams) throw new ValidationError(`NNLoss: theta has ${theta.length} values, expected ${this.nParams}`);
    const net = this.net, size = net.inputSize, P = this.nNet;
    let data = 0;
    const count = batch ? batch.length : frames.length;
    for (let q = 0; q < count; q++) {
      const f = frames[batch ? batch[q]! : q]!;
      const useE = this.wE > 0 && f.energy !== undefined;
      const useF = this.wF > 0 && f.forces !== undefined && f.dx !== null;
      const useS = this.wS > 0 && f.stress !== undefined && f.dx !== null && f.volume > 0;
      if (!useE && !useF && !useS) continue;
      const E = this.frameForward(theta, f, useF, useS, grad !== null);
      let dEps = 0;
      if (useE) {
        const r = E - f.energy!;
        const c = this.perAtom ? 1 / (f.n * f.n) : 1;
        data += this.wE * r * r * c;
        dEps = 2 * this.wE * r * c * scale;
      }
      if (useF) {
        const wf = this.wF / f.n;
        const F = this.F, ref = f.forces!, u = this.u;
        for (let k = 0; k < 3 * f.n; k++) {
          const d = F[k]! - ref[k]!;
          data += wf * d * d;
          u[k] = 2 * wf * d * scale;
        }
      }
      if (useS) {
        const V = f.volume;
        for (let q = 0; q < 6; q++) {
          const d = this.W[q]! / V - f.stress![q]!;
          data += this.wS * d * d;
          this.w[q] = ((2 * this.wS * d) / V) * scale;
        }
      }
      if (!grad) continue;
      const useD = useF || useS;
      if (useD) pairAdjoint(useF ? this.u : null, f.dx!, size, f.topo, this.v, useS ? { positions: f.positions, shifts: f.shifts, adjoint: this.w } : undefined);
      for (let i = 0; i < f.n; i++) {
        const s = f.sp[i]!;
        const o = s * net.count;
        net.restoreActivations(this.act, i * net.activationSize);
        net.paramGradient(theta, o, f.x, i * size, dEps, useD ? this.v : null, i * size, grad, o);
        if (useE && this.nOff === this.ns && this.offset === 'per-element') grad[P + s] += dEps;
      }
      if (useE && this.nOff === 1 && this.offset === 'global') grad[P] += dEps;
    }
    let pen = 0;
    if (this.lambda > 0) {
      for (let k = 0; k < P; k++) {
        if (this.isWeight[k] !== 1) continue;
        const t = theta[k]!;
        pen += t * t;
        if (grad) grad[k] += 2 * this.lambda * t;
      }
      pen *= this.lambda;
    }
    data *= scale;
    return { data, penalty: pen, total: data + pen };
  }
}

export type LearningRateSchedule = { type: 'constant' } | { type: 'exponential'; /** factor per epoch (default 0.99) */ decay?: number } | { type: 'cosine'; /** final lr / lr0 (default 0.01) */ minFactor?: number };

export interface NNFitOptions {
  descriptor: Descriptor;
  /** Hidden layer widths (default [32, 32]). */
  hidden?: readonly number[];
  /** Default 'silu' (held-out forces on mlearn Si were better than with tanh: docs/nn.md). */
  activation?: Activation;
  /** w_E, w_F and w_S (stress, default 0: stress labels unused). */
  weights: { energy: number; forces: number; stress?: number };
  /** Ridge on the network weights (default 0). */
  lambda?: number;
  /** Default 'per-element'. */
  offset?: OffsetMode;
  energyPerAtom?: boolean;
  /** Default 'adam'. */
  optimizer?: 'adam' | 'lbfgs';
  /** Maximum epochs (Adam passes) or L-BFGS iterations (default 200). */
  epochs?: number;
  /** Frames per Adam step (default 8; L-BFGS always uses all frames). */
  batchSize?: number;
  /** Adam step size lr0 (default 1e-3); L-BFGS length of the first step (default 1e-2). */
  learningRate?: number;
  /** Adam only (default exponential, decay 0.99 per epoch). */
  schedule?: LearningRateSchedule;
  adam?: { beta1?: number; beta2?: number; epsilon?: number };
  /** L-BFGS memory (default 10). */
  lbfgsMemory?: number;
  /** Held-out fraction of the frames for early stopping (default 0.1 when >= 5 frames, else 0 = no early stopping). */
  validationFraction?: number;
  /** Explicit validation frames (then no fraction is split off). */
  validation?: readonly Structure[];
  /** Epochs without validation improvement before stopping (default 20). */
  patience?: number;
  /** Seeds the split, the initial parameters and the batch order (default 0). */
  seed?: number;
  labels?: LabelKeys;
  /** Called after every epoch (progress); returning false stops training (the best parameters so far are kept). */
  onEpoch?: (e: EpochRecord) => void | boolean;
}

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  /** Adam: mean of the mini-batch loss estimates over the epoch; L-BFGS: the full loss. */
  trainLoss: number;
  /** Validation data loss (null without a validation set). */
  validationLoss: number | null;
}

export interface NNFitReport {
  optimizer: 'adam' | 'lbfgs';
  layers: number[];
  activation: Activation;
  nParameters: number;
  weights: { energy: number; forces: number; stress: number };
  lambda: number;
  energyPerAtom: boolean;
  offset: OffsetMode;
  offsetDetermined: boolean;
  /** Fitted b (eV) for 'global', else null. */
  energyOffset: number | null;
  e0: number[];
  nTrain: number;
  nValidation: number;
  /** Frame indices (into the input list) split off for validation (empty with explicit `validation` frames). */
  validationIndices: number[];
  epochs: number;
  /** Epoch whose parameters were returned (best validation loss; the last epoch without validation). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Why training ended: all epochs run, early stopping, the onEpoch callback, or a failed L-BFGS line search. */
  stopReason: 'epochs' | 'early-stopping' | 'callback' | 'line-search';
  /** Full training loss at the returned parameters. */
  loss: LossValue;
  history: EpochRecord[];
  seed: number;
  /** Wall time (s): descriptor precomputation, and the optimisation. */
  prepareTimeS: number;
  trainTimeS: number;
  warnings: string[];
  metrics: { train: MetricsRecord; validation?: MetricsRecord };
}

export interface NNFitResult {
  potential: NNPotential;
  report: NNFitReport;
}

/** Least-squares e0 per species from energies per atom on the composition (tiny ridge for fixed compositions). */
function compositionOffsets(frames: readonly NNFrame[], ns: number): Float64Array {
  const A = new Float64Array(ns * ns), r = new Float64Array(ns);
  for (const f of frames) {
    if (f.energy === undefined) continue;
    for (let a = 0; a < ns; a++) {
      r[a] += (f.counts[a]! / f.n) * (f.energy / f.n);
      for (let b = 0; b < ns; b++) A[a * ns + b] += (f.counts[a]! / f.n) * (f.counts[b]! / f.n);
    }
  }
  let tr = 0;
  for (let a = 0; a < ns; a++) tr += A[a * ns + a]!;
  for (let a = 0; a < ns; a++) A[a * ns + a] += 1e-10 * tr + 1e-300;
  // Gaussian elimination (ns is small)
  const x = Float64Array.from(r);
  for (let c = 0; c < ns; c++) {
    const piv = A[c * ns + c]!;
    if (!(Math.abs(piv) > 0)) continue;
    for (let rr = c + 1; rr < ns; rr++) {
      const m = A[rr * ns + c]! / piv;
      for (let k = c; k < ns; k++) A[rr * ns + k] -= m * A[c * ns + k]!;
      x[rr] -= m * x[c]!;
    }
  }
  for (let c = ns - 1; c >= 0; c--) {
    let acc = x[c]!;
    for (let k = c + 1; k < ns; k++) acc -= A[c * ns + k]! * x[k]!;
    const piv = A[c * ns + c]!;
    x[c] = Math.abs(piv) > 0 ? acc / piv : 0;
  }
  return x;
}

function learningRateAt(lr0: number, s: LearningRateSchedule, epoch: number, epochs: number): number {
  if (s.type === 'constant') return lr0;
  if (s.type === 'exponential') return lr0 * (s.decay ?? 0.99) ** epoch;
  const m = s.minFactor ?? 0.01;
  return lr0 * (m + ((1 - m) * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs))) / 2);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

export function fitNN(frames: readonly Structure[], opts: NNFitOptions): NNFitResult {
  const t0 = Date.now();
  const desc = opts.descriptor;
  const w = { energy: opts.weights.energy, forces: opts.weights.forces, stress: opts.weights.stress ?? 0 };
  for (const [k, v] of Object.entries(w)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValidationError(`fitNN: weights.${k} must be a finite number >= 0, got ${v}`);
  }
  if (w.energy === 0 && w.forces === 0 && w.stress === 0) throw new ValidationError('fitNN: all loss weights are 0; nothing to fit');
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new ValidationError(`fitNN: lambda must be a finite number >= 0, got ${lambda}`);
  const offset = opts.offset ?? 'per-element';
  if (offset !== 'global' && offset !== 'per-element' && offset !== 'none') throw new ValidationError(`fitNN: offset must be 'global', 'per-element' or 'none', got ${JSON.stringify(offset)}`);
  const optimizer = opts.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'lbfgs') throw new ValidationError(`fitNN: optimizer must be 'adam' or 'lbfgs', got ${JSON.stringify(optimizer)}`);
  const posInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new ValidationError(`fitNN: ${what} must be a positive integer, got ${v}`);
    return v;
  };
  const epochs = posInt(opts.epochs ?? 200, 'epochs');
  const batchSize = posInt(opts.batchSize ?? 8, 'batchSize');
  const patience = posInt(opts.patience ?? 20, 'patience');
  const memory = posInt(opts.lbfgsMemory ?? 10, 'lbfgsMemory');
  const lr0 = opts.learningRate ?? (optimizer === 'adam' ? 1e-3 : 1e-2);
  if (!(lr0 > 0) || !Number.isFinite(lr0)) throw new ValidationError(`fitNN: learningRate must be a positive number, got ${lr0}`);
  const schedule: LearningRateSchedule = opts.schedule ?? { type: 'exponential', decay: 0.99 };
  const hidden = [...(opts.hidden ?? [32, 32])];
  const activation = opts.activation ?? 'silu';
  const seed = opts.seed ?? 0;
  const energyPerAtom = opts.energyPerAtom ?? false;
  const warnings: string[] = [];

  const dsOpts: DatasetOptions = { require: { energy: w.energy > 0, forces: w.forces > 0 } };
  if (opts.labels) dsOpts.labels = opts.labels;
  const all = makeDataset(frames, dsOpts);
  if (w.stress > 0 && !all.some((r) => r.stress)) throw new ValidationError(`fitNN: weights.stress is ${w.stress} but no frame has a stress label "${opts.labels?.stress ?? 'REF_stress'}"`);
  let trainRecs = all, valRecs: TrainingRecord[] = [];
  let validationIndices: number[] = [];
  if (opts.validation && opts.validation.length) {
    valRecs = makeDataset(opts.validation, dsOpts);
  } else {
    const frac = opts.validationFraction ?? (all.length >= 5 ? 0.1 : 0);
    if (frac > 0) {
      if (all.length < 2) throw new ValidationError(`fitNN: validationFraction ${frac} needs at least 2 frames, got ${all.length}`);
      const split = trainTestSplit(all.length, frac, seed);
      trainRecs = split.train.map((i) => all[i]!);
      valRecs = split.test.map((i) => all[i]!);
      validationIndices = split.test;
    }
  }

  const needD = w.forces > 0 || w.stress > 0;
  const { frames: train, scaling } = prepareNNFrames(desc, trainRecs, needD);
  const val = valRecs.length ? prepareNNFrames(desc, valRecs, needD, scaling).frames : [];
  const tPrep = Date.now();

  const ns = desc.species.length;
  const net = new MLP([desc.size, ...hidden, 1], activation);
  const loss = new NNLoss(net, ns, { weights: w, lambda, offset, energyPerAtom });
  const vloss = new NNLoss(net, ns, { weights: w, lambda: 0, offset, energyPerAtom });
  const P = loss.nNet, N = loss.nParams;
  if (loss.wE === 0) warnings.push('w_E = 0: energies were not fitted; the model predicts energies only up to a constant (offsetDetermined = false)');

  // --- initial parameters ---
  const rng = new Rng(seed);
  const theta = new Float64Array(N);
  theta.set(net.initialParameters(ns, rng));
  const e0init = w.energy > 0 ? compositionOffsets(train, ns) : new Float64Array(ns);
  const outBias = (s: number) => s * net.count + net.bOff[net.nLayers - 1]!;
  if (loss.nOff === ns && offset === 'per-element') for (let s = 0; s < ns; s++) theta[P + s] = e0init[s]!;
  else for (let s = 0; s < ns; s++) theta[outBias(s)] = e0init[s]!;
  if (loss.nOff === 1 && offset === 'global') {
    // global: E_shift starts at the mean residual energy of the composition fit
    let acc = 0, m = 0;
    for (const f of train) {
      if (f.energy === undefined) continue;
      let e = f.energy;
      for (let s = 0; s < ns; s++) e -= f.counts[s]! * e0init[s]!;
      acc += e;
      m++;
    }
    theta[P] = m ? acc / m : 0;
  }

  // --- optimisation with early stopping ---
  const history: EpochRecord[] = [];
  const best = Float64Array.from(theta);
  let bestVal = Infinity, bestEpoch = 0, stoppedEarly = false;
  let stopReason: NNFitReport['stopReason'] = 'epochs';
  const grad = new Float64Array(N);
  const checkFinite = (v: number, where: string) => {
    if (!Number.isFinite(v)) throw new ValidationError(`fitNN: the loss became ${v} at ${where}; lower the learning rate (now ${lr0}) or check the labels`);
  };
  /** Book-keeping after an epoch; returns true to stop. */
  const endEpoch = (epoch: number, lr: number, trainLoss: number): boolean => {
    const vl = val.length ? vloss.evaluate(theta, val, null).data : null;
    const rec: EpochRecord = { epoch, learningRate: lr, trainLoss, validationLoss: vl };
    history.push(rec);
    const go = opts.onEpoch?.(rec);
    if (vl === null) {
      best.set(theta);
      bestEpoch = epoch;
    } else if (vl < bestVal) {
      bestVal = vl;
      best.set(theta);
      bestEpoch = epoch;
    } else if (epoch - bestEpoch >= patience) {
      stoppedEarly = true;
      stopReason = 'early-stopping';
      return true;
    }
    if (go === false) {
      stopReason = 'callback';
      return true;
    }
    return false;
  };

  if (optimizer === 'adam') {
    const b1 = opts.adam?.beta1 ?? 0.9, b2 = opts.adam?.beta2 ?? 0.999, epsA = opts.adam?.epsilon ?? 1e-8;
    const m1 = new Float64Array(N), m2 = new Float64Array(N);
    const order = Array.from({ length: train.length }, (_, i) => i);
    const shuffler = new Rng(seed ^ 0x5bd1e995);
    let step = 0;
    const K = train.length;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const lr = learningRateAt(lr0, schedule, epoch - 1, epochs);
      shuffler.shuffle(order);
      let sum = 0, nb = 0;
      for (let b0 = 0; b0 < K; b0 += batchSize) {
        const batch = order.slice(b0, Math.min(K, b0 + batchSize));
        grad.fill(0);
        const lv = loss.evaluate(theta, train, grad, batch, K / batch.length);
        checkFinite(lv.total, `epoch ${epoch}`);
        sum += lv.total;
        nb++;
        step++;
        const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
        for (let k = 0; k < N; k++) {
          const gk = grad[k]!;
          m1[k] = b1 * m1[k]! + (1 - b1) * gk;
          m2[k] = b2 * m2[k]! + (1 - b2) * gk * gk;
          theta[k] -= (lr * (m1[k]! / c1)) / (Math.sqrt(m2[k]! / c2) + epsA);
        }
      }
      if (endEpoch(epoch, lr, sum / nb)) break;
    }
  } else {
    const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
    const alpha = new Float64Array(memory);
    const g = new Float64Array(N), gn = new Float64Array(N), d = new Float64Array(N), xn = new Float64Array(N);
    let f = loss.evaluate(theta, train, g).total;
    checkFinite(f, 'the initial parameters');
    for (let it = 1; it <= epochs; it++) {
      // two-loop recursion: d = -H g
      d.set(g);
      for (let q = S.length - 1; q >= 0; q--) {
        alpha[q] = rho[q]! * dot(S[q]!, d);
        const y = Y[q]!;
        for (let k = 0; k < N; k++) d[k] -= alpha[q]! * y[k]!;
      }
      if (S.length) {
        const y = Y[S.length - 1]!;
        const gamma = dot(S[S.length - 1]!, y) / dot(y, y);
        for (let k = 0; k < N; k++) d[k] *= gamma;
      } else {
        const gnorm = Math.sqrt(dot(g, g));
        const sc = gnorm > 0 ? lr0 / gnorm : 0;
        for (let k = 0; k < N; k++) d[k] *= sc;
      }
      for (let q = 0; q < S.length; q++) {
        const beta = rho[q]! * dot(Y[q]!, d);
        const s = S[q]!;
        for (let k = 0; k < N; k++) d[k] += s[k]! * (alpha[q]! - beta);
      }
      for (let k = 0; k < N; k++) d[k] = -d[k]!;
      let gd = dot(g, d);
      if (!(gd < 0)) {
        S.length = Y.length = rho.length = 0;
        const gnorm = Math.sqrt(dot(g, g));
        if (gnorm === 0) break;
        for (let k = 0; k < N; k++) d[k] = (-lr0 * g[k]!) / gnorm;
        gd = dot(g, d);
      }
      let t = 1, fn = Infinity, ok = false;
      for (let ls = 0; ls < 30; ls++) {
        for (let k = 0; k < N; k++) xn[k] = theta[k]! + t * d[k]!;
        gn.fill(0);
        fn = loss.evaluate(xn, train, gn).total;
        if (Number.isFinite(fn) && fn <= f + 1e-4 * t * gd) {
          ok = true;
          break;
        }
        t *= 0.5;
      }
      if (!ok) {
        if (S.length === 0) {
          warnings.push(`L-BFGS: the line search failed at iteration ${it} with an empty memory; stopped (converged to rounding or a non-smooth region)`);
          stopReason = 'line-search';
          break;
        }
        S.length = Y.length = rho.length = 0;
        it--; // retry this iteration as steepest descent
        continue;
      }
      const s = new Float64Array(N), y = new Float64Array(N);
      for (let k = 0; k < N; k++) {
        s[k] = xn[k]! - theta[k]!;
        y[k] = gn[k]! - g[k]!;
      }
      const sy = dot(s, y);
      if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
        S.push(s);
        Y.push(y);
        rho.push(1 / sy);
        if (S.length > memory) {
          S.shift();
          Y.shift();
          rho.shift();
        }
      }
      theta.set(xn);
      g.set(gn);
      f = fn;
      if (endEpoch(it, t, f)) break;
    }
  }
  theta.set(best);
  const t1 = Date.now();

  // --- the model ---
  const final = loss.evaluate(theta, train, null);
  const e0 = new Float64Array(ns);
  let shift = 0;
  let energyOffset: number | null = null;
  if (loss.nOff === ns && offset === 'per-element') for (let s = 0; s < ns; s++) e0[s] = theta[P + s]!;
  if (loss.nOff === 1 && offset === 'global') {
    shift = theta[P]!;
    energyOffset = -shift;
  }
  const training = {
    fitter: `nn-${optimizer}`,
    weights: w,
    lambda,
    energyPerAtom,
    offset,
    seed,
    epochs: history.length,
    bestEpoch,
    nTrain: train.length,
    nValidation: val.length,
  };
  const potential = new NNPotential({
    descriptor: desc,
    hidden,
    activation,
    parameters: theta.subarray(0, P),
    featureMean: scaling.mean,
    featureStd: scaling.std,
    e0,
    energyShift: shift,
    offsetDetermined: w.energy > 0,
    training,
  });
  const metrics: NNFitReport['metrics'] = { train: evaluatePotential(potential, trainRecs) };
  if (valRecs.length) metrics.validation = evaluatePotential(potential, valRecs);
  (training as Record<string, unknown>)['metrics'] = metrics;
  const report: NNFitReport = {
    optimizer,
    layers: Array.from(net.sizes),
    activation,
    nParameters: N,
    weights: w,
    lambda,
    energyPerAtom,
    offset,
    offsetDetermined: w.energy > 0,
    energyOffset,
    e0: Array.from(e0),
    nTrain: train.length,
    nValidation: val.length,
    validationIndices,
    epochs: history.length,
    bestEpoch,
    stoppedEarly,
    stopReason,
    loss: final,
    history,
    seed,
    prepareTimeS: (tPrep - t0) / 1000,
    trainTimeS: (t1 - tPrep) / 1000,
    warnings,
    metrics,
  };
  return { potential, report };
}
