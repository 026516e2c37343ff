/**
 * Committee (ensemble) of fitted models: query-by-committee uncertainty.
 *
 * K member models M_1..M_K (any type: linear, GP, NN, or a mix) predict the same structure; the
 * committee predicts their mean and reports their spread:
 *
 *   E        = <E_k> = (1/K) sum_k E_k                       F_i = <F_k,i>,   sigma = <sigma_k>
 *   energyStd            = sqrt( <(E_k - E)^2> )                                 (eV)
 *   forceStd_(i,a)       = sqrt( <(F_k,ia - F_ia)^2> )                           (eV/Å, 3N)
 *   atomForceDeviation_i = sqrt( <|F_k,i - F_i|^2> )                             (eV/Å, N)
 *   maxForceDeviation    = max_i atomForceDeviation_i      (the DP-GEN "model deviation" max_devi_f)
 *
 * Averages <.> are over members with equal weight and the population (1/K) normalisation, as
 * DP-GEN's model deviation uses. The mean of each member's analytic forces is the analytic force
 * of the mean energy, so the committee passes the same finite-difference checks as its members.
 *
 * One neighbour list (the largest member cutoff, or the caller's) is shared by all members.
 *
 * | symbol               | variable                         |
 * |----------------------|----------------------------------|
 * | K                    | members.length                   |
 * | E_k, F_k             | the k-th member's result         |
 * | energyStd            | uncertainty.energyStd            |
 * | forceStd             | uncertainty.forceStd (3N)        |
 * | atomForceDeviation_i | uncertainty.atomForceDeviation   |
 *
 * JSON: `{format: "mlpot-model", version: 1, type: "committee", members: [<model JSON>, ...],
 * training?}`; members are read back by the model registry (`modelFromJSON`), passed in as
 * `readMember` so this file does not import the registry (which imports it).
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import { assertStressPeriodic, assertValidStructure, neighborsFor, outputBuffers } from '../neighbors/checked.js';
import type { Structure } from '../structure/structure.js';
import type { FittedModel, ModelContext, ModelRequest, ModelResult } from './registry.js';

export interface CommitteeJSON {
  format: 'mlpot-model';
  version: 1;
  type: 'committee';
  members: unknown[];
  training?: { [k: string]: unknown };
}

export class CommitteePotential implements FittedModel {
  readonly name: string;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly capabilities: { readonly forces: boolean; readonly stress: boolean; readonly energies: boolean; readonly uncertainty: boolean };
  readonly members: readonly FittedModel[];
  readonly offsetDetermined: boolean;
  readonly training: { [k: string]: unknown } | undefined;
  // scratch, grown on demand (no allocation per call once sized)
  private memberForces: Float64Array[] = [];
  private memberStress: Float64Array[] = [];
  private memberEnergies: Float64Array[] = [];

  constructor(members: readonly FittedModel[], training?: { [k: string]: unknown }) {
    if (members.length < 2) throw new ParameterError(`committee: needs at least 2 members, got ${members.length}`);
    const sp = members[0]!.species;
    for (const [k, m] of members.entries()) {
      const same = m.species.length === sp.length && m.species.every((z) => sp.includes(z));
      if (!same) throw new ParameterError(`committee: member ${k} (${m.name}) covers ${m.species.map(symbolOf).join(', ')}, member 0 covers ${sp.map(symbolOf).join(', ')}; all members must cover the same elements`);
    }
    this.members = [...members];
    this.species = [...sp];
    this.cutoff = Math.max(...members.map((m) => m.cutoff));
    const all = (f: (c: FittedModel['capabilities']) => boolean) => members.every((m) => f(m.capabilities));
    this.capabilities = { forces: all((c) => c.forces), stress: all((c) => c.stress), energies: all((c) => c.energies), uncertainty: true };
    this.offsetDetermined = members.every((m) => m.offsetDetermined !== false);
    this.training = training;
    this.name = `committee(${members.length} x ${members[0]!.name})`;
  }

  compute(s: Structure, request: ModelRequest = { forces: true }, ctx?: ModelContext): ModelResult {
    const n = s.length;
    const K = this.members.length;
    assertValidStructure(s);
    assertStressPeriodic(s, request);
    for (let i = 0; i < n; i++) {
      if (!this.species.includes(s.numbers[i]!)) throw new ParameterError(`${this.name}: atom ${i} is ${symbolOf(s.numbers[i]!)}, which is not among the species ${this.species.map(symbolOf).join(', ')}`);
    }
    const nl = neighborsFor(s, this.cutoff, this.name, ctx?.neighbors);
    const unc = !!request.uncertainty;
    // forces are needed for the force deviation even when not requested
    const wantF = !!request.forces || unc;
    const out = outputBuffers(n, { forces: wantF, stress: request.stress, energies: request.energies }, ctx?.out);
    this.ensureScratch(K, n, wantF, !!request.stress, !!request.energies);
    const memberReq: ModelRequest = { forces: wantF, stress: !!request.stress, energies: !!request.energies };
    const energies = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const mctx: ModelContext = { neighbors: nl, out: {} };
      if (wantF) mctx.out!.forces = this.memberForces[k]!;
      if (request.stress) mctx.out!.stress = this.memberStress[k]!;
      if (request.energies) mctx.out!.energies = this.memberEnergies[k]!;
      const r = this.members[k]!.compute(s, memberReq, mctx);
      energies[k] = r.energy;
      // members may return their own arrays instead of filling ours
      if (wantF) {
        if (!r.forces) throw new ValidationError(`${this.name}: member ${k} returned no forces`);
        if (r.forces !== this.memberForces[k]) this.memberForces[k]!.set(r.forces);
      }
      if (request.stress) {
        if (!r.stress) throw new ValidationError(`${this.name}: member ${k} returned no stress`);
        if (r.stress !== this.memberStress[k]) this.memberStress[k]!.set(r.stress);
      }
      if (request.energies) {
        if (!r.energies) throw new ValidationError(`${this.name}: member ${k} returned no per-atom energies`);
        if (r.energies !== this.memberEnergies[k]) this.memberEnergies[k]!.set(r.energies);
      }
    }
    let e = 0;
    for (let k = 0; k < K; k++) e += energies[k]!;
    e /= K;
    const res: ModelResult = { energy: e };
    if (out.forces) {
      meanInto(out.forces, this.memberForces, K, 3 * n);
      if (request.forces) res.forces = out.forces;
    }
    if (out.stress) res.stress = meanInto(out.stress, this.memberStress, K, 6);
    if (out.energies) res.energies = meanInto(out.energies, this.memberEnergies, K, n);
    if (unc) {
      let ve = 0;
      for (let k = 0; k < K; k++) ve += (energies[k]! - e) ** 2;
      const forceStd = new Float64Array(3 * n);
      const atomDev = new Float64Array(n);
      const F = out.forces!;
      let maxDev = 0;
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let a = 0; a < 3; a++) {
          const c = 3 * i + a;
          let v = 0;
          for (let k = 0; k < K; k++) v += (this.memberForces[k]![c]! - F[c]!) ** 2;
          v /= K;
          forceStd[c] = Math.sqrt(v);
          sum += v;
        }
        atomDev[i] = Math.sqrt(sum);
        if (atomDev[i]! > maxDev) maxDev = atomDev[i]!;
      }
      res.uncertainty = { energyStd: Math.sqrt(ve / K), forceStd, atomForceDeviation: atomDev, maxForceDeviation: maxDev };
    }
    return res;
  }

  toJSON(): CommitteeJSON {
    const j: CommitteeJSON = { format: 'mlpot-model', version: 1, type: 'committee', members: this.members.map((m) => m.toJSON()) };
    if (this.training !== undefined) j.training = this.training;
    return j;
  }

  /** Rebuild from `toJSON()` output; `readMember` turns each member's JSON into a model (the registry's `modelFromJSON`). */
  static fromJSON(json: { [k: string]: unknown }, readMember: (j: unknown, source: string) => FittedModel): CommitteePotential {
    if (json['type'] !== 'committee') throw new ValidationError(`committee model JSON: field "type" must be "committee", got ${JSON.stringify(json['type'])}`);
    const members = json['members'];
    if (!Array.isArray(members) || members.length < 2) throw new ValidationError(`committee model JSON: field "members" must be an array of at least 2 model objects, got ${Array.isArray(members) ? `${members.length}` : typeof members}`);
    const training = json['training'];
    if (training !== undefined && (typeof training !== 'object' || training === null || Array.isArray(training))) throw new ValidationError('committee model JSON: field "training" must be an object when present');
    return new CommitteePotential(members.map((m, k) => readMember(m, `members[${k}]`)), training as { [k: string]: unknown } | undefined);
  }

  private ensureScratch(K: number, n: number, f: boolean, st: boolean, en: boolean): void {
    const grow = (arr: Float64Array[], size: number) => {
      for (let k = 0; k < K; k++) if (!arr[k] || arr[k]!.length !== size) arr[k] = new Float64Array(size);
    };
    if (f) grow(this.memberForces, 3 * n);
    if (st) grow(this.memberStress, 6);
    if (en) grow(this.memberEnergies, n);
  }
}

function meanInto(out: Float64Array, parts: readonly Float64Array[], K: number, len: number): Float64Array {
  for (let c = 0; c < len; c++) {
    let v = 0;
    for (let k = 0; k < K; k++) v += parts[k]![c]!;
    out[c] = v / K;
  }
  return out;
}
