/**
 * Training committees (query-by-committee ensembles, `models/committee.ts`).
 *
 * Member k is fitted on its own resample of the training frames and with its own seed:
 *  - `bootstrap` (default): N frames drawn with replacement from the N training frames
 *    (Breiman's bagging; a frame drawn twice counts twice in that member's loss);
 *  - `subsample`: a random fraction (default 0.8) of the frames without replacement;
 *  - `none`: all frames (members then differ only through their seeds: enough for NN members,
 *    which start from seeded random weights; linear members would be identical).
 * The resample of member k uses the seed `seed + 1000 k`, which is also passed to the member fit.
 *
 * `fitCommittee` is generic over the member type (`fitMember` fits one member); `fitLinearCommittee`
 * is the linear case: if several lambdas are given, k-fold cross-validation on all frames picks one
 * lambda first (one CV, not one per member) and every member is fitted with it.
 *
 * | symbol   | variable                          |
 * |----------|-----------------------------------|
 * | K        | opts.members                      |
 * | N        | frames.length                     |
 * | S_k      | report.members[k].frames (indices)|
 */
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { CommitteePotential } from '../models/committee.js';
import type { FittedModel } from '../models/registry.js';
import type { Structure } from '../structure/structure.js';
import { fitLinear, type LinearFitOptions } from './linear-fit.js';

export type ResampleMode = 'bootstrap' | 'subsample' | 'none';

export interface CommitteeFitOptions {
  /** Number of members K (>= 2). */
  members: number;
  /** How each member's training frames are drawn (default 'bootstrap'). */
  resample?: ResampleMode;
  /** Fraction of frames per member for 'subsample' (default 0.8). */
  fraction?: number;
  /** Base seed (default 0). */
  seed?: number;
  /** Called after each member is fitted. */
  onMember?: (k: number, total: number) => void;
}

export interface CommitteeMemberReport {
  seed: number;
  /** Indices of the training frames the member saw (with repeats for bootstrap). */
  frames: number[];
  /** Distinct frames among them. */
  distinct: number;
  fitTimeS: number;
}

export interface CommitteeFitResult {
  potential: CommitteePotential;
  report: { members: CommitteeMemberReport[]; resample: ResampleMode; fitTimeS: number; lambda?: number };
}

/** Frame indices for member k (seeded). */
export function resampleIndices(n: number, mode: ResampleMode, seed: number, fraction = 0.8): number[] {
  if (n < 1) throw new ValidationError('committee: no training frames');
  const rng = new Rng(seed);
  if (mode === 'none') return Array.from({ length: n }, (_, i) => i);
  if (mode === 'bootstrap') {
    const out = Array.from({ length: n }, () => rng.int(n));
    return out.sort((a, b) => a - b);
  }
  if (mode === 'subsample') {
    if (!(fraction > 0 && fraction <= 1)) throw new ValidationError(`committee: subsample fraction must be in (0, 1], got ${fraction}`);
    const m = Math.max(1, Math.round(fraction * n));
    return rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, m).sort((a, b) => a - b);
  }
  throw new ValidationError(`committee: resample must be 'bootstrap', 'subsample' or 'none', got ${JSON.stringify(mode)}`);
}

/** Fit K members with `fitMember(frames, seed, k)` on seeded resamples and wrap them in a committee. */
export function fitCommittee(
  frames: readonly Structure[],
  opts: CommitteeFitOptions,
  fitMember: (frames: Structure[], seed: number, k: number) => FittedModel,
  extra: { lambda?: number } = {},
): CommitteeFitResult {
  const t0 = Date.now();
  const K = opts.members;
  if (!Number.isInteger(K) || K < 2) throw new ValidationError(`committee: members must be an integer >= 2, got ${K}`);
  const mode = opts.resample ?? 'bootstrap';
  const base = opts.seed ?? 0;
  const models: FittedModel[] = [];
  const reports: CommitteeMemberReport[] = [];
  for (let k = 0; k < K; k++) {
    const seed = base + 1000 * k;
    const idx = resampleIndices(frames.length, mode, seed, opts.fraction);
    const t = Date.now();
    models.push(fitMember(idx.map((i) => frames[i]!), seed, k));
    reports.push({ seed, frames: idx, distinct: new Set(idx).size, fitTimeS: (Date.now() - t) / 1000 });
    opts.onMember?.(k + 1, K);
  }
  const report: CommitteeFitResult['report'] = { members: reports, resample: mode, fitTimeS: (Date.now() - t0) / 1000 };
  if (extra.lambda !== undefined) report.lambda = extra.lambda;
  const training = { resample: mode, members: K, seed: base, ...(extra.lambda !== undefined ? { lambda: extra.lambda } : {}) };
  return { potential: new CommitteePotential(models, training), report };
}

/**
 * A committee of linear models. With `linear.lambdas`, one cross-validation on all frames picks
 * lambda; members are then fitted with that lambda on their resamples.
 */
export function fitLinearCommittee(frames: readonly Structure[], linear: LinearFitOptions, opts: CommitteeFitOptions): CommitteeFitResult {
  let lambda = linear.lambda ?? 0;
  if (linear.lambdas && linear.lambdas.length > 1) {
    lambda = fitLinear(frames, linear).report.lambda;
  } else if (linear.lambdas && linear.lambdas.length === 1) {
    lambda = linear.lambdas[0]!;
  }
  const memberOpts: LinearFitOptions = { ...linear, lambda };
  delete memberOpts.lambdas;
  delete memberOpts.validation;
  if ((opts.resample ?? 'bootstrap') === 'none') throw new ValidationError("committee of linear models: resample 'none' would give identical members (the fit is deterministic); use 'bootstrap' or 'subsample'");
  return fitCommittee(frames, opts, (fr) => fitLinear(fr, memberOpts).potential, { lambda });
}
