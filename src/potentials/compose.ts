/**
 * Compositions of potentials: a sum of terms (e.g. MLP + dispersion, EAM + restraints) and a
 * potential scaled by a constant (lambda-mixing for thermodynamic integration).
 *
 *   Sum:    E = sum_t E_t,   F = sum_t F_t,   sigma = sum_t sigma_t,   e_i = sum_t e_{t,i}
 *   Scaled: E = c E_term (and F, sigma, e_i times c; uncertainties times |c|)
 *   mix(a, b, lambda) = (1 - lambda) E_a + lambda E_b
 *
 * | symbol | variable         |
 * |--------|------------------|
 * | E_t    | `terms[t]`       |
 * | c      | `factor`         |
 * | lambda | `lambda`         |
 *
 * A sum declares forces/stress/per-atom energies only when every term does; uncertainty is
 * passed through from the one term that has it (none when zero or several terms do). Its
 * cutoff is the largest term cutoff and its species the intersection of the terms' species.
 * One neighbour list (the caller's, or one built at the largest cutoff) serves every term.
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import type { Structure } from '../structure/structure.js';
import { assertSpecies } from './prepare.js';
import { assertValidStructure, neighborsFor, outputBuffers } from '../neighbors/checked.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential, type Uncertainty } from './potential.js';

export class SumPotential implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities;
  readonly species?: readonly number[];
  readonly terms: readonly Potential[];
  /** Index of the term that supplies uncertainty, or -1. */
  private readonly uncertaintyTerm: number;

  constructor(terms: readonly Potential[]) {
    if (terms.length === 0) throw new ValidationError('sum: needs at least one term');
    this.terms = [...terms];
    this.name = terms.map((t) => t.name).join(' + ');
    this.cutoff = Math.max(0, ...terms.map((t) => t.cutoff));
    const withU = terms.flatMap((t, k) => (t.capabilities.uncertainty ? [k] : []));
    this.uncertaintyTerm = withU.length === 1 ? withU[0]! : -1;
    this.capabilities = {
      forces: terms.every((t) => t.capabilities.forces),
      stress: terms.every((t) => t.capabilities.stress),
      energies: terms.every((t) => t.capabilities.energies),
      uncertainty: this.uncertaintyTerm >= 0,
    };
    let species: number[] | undefined;
    for (const t of terms) {
      if (!t.species) continue;
      species = species ? species.filter((z) => t.species!.includes(z)) : [...t.species];
    }
    if (species && species.length === 0) throw new ParameterError(`sum: the terms have no element in common (${this.name})`);
    if (species) this.species = species;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    assertValidStructure(s);
    assertSpecies(this, s);
    const nl = ctx?.neighbors ?? (this.cutoff > 0 ? neighborsFor(s, this.cutoff, this.name) : undefined);
    const sub: ComputeContext = nl ? { neighbors: nl } : {};
    const { forces, stress, energies } = outputBuffers(s.length, request, ctx?.out);
    let energy = 0;
    let uncertainty: Uncertainty | undefined;
    this.terms.forEach((t, k) => {
      const req: ComputeRequest = { forces: request.forces, stress: request.stress, energies: request.energies };
      if (request.uncertainty && k === this.uncertaintyTerm) req.uncertainty = true;
      const r = t.compute(s, req, sub);
      energy += r.energy;
      if (forces) addInto(forces, r.forces, t, 'forces');
      if (stress) addInto(stress, r.stress, t, 'stress');
      if (energies) addInto(energies, r.energies, t, 'per-atom energies');
      if (req.uncertainty && r.uncertainty) uncertainty = r.uncertainty;
    });
    const res: ComputeResult = { energy };
    if (forces) res.forces = forces;
    if (stress) res.stress = stress;
    if (energies) res.energies = energies;
    if (uncertainty) res.uncertainty = uncertainty;
    return res;
  }
}

function addInto(acc: Float64Array, v: Float64Array | undefined, t: Potential, what: string): void {
  if (!v || v.length !== acc.length) throw new ValidationError(`sum: term ${t.name} returned no ${what} (or the wrong number)`);
  for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + v[k]!;
}

export class ScaledPotential implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities;
  readonly species?: readonly number[];

  constructor(readonly term: Potential, readonly factor: number) {
    if (!Number.isFinite(factor)) throw new ValidationError(`scaled: factor must be a finite number, got ${factor}`);
    this.name = `${factor}*(${term.name})`;
    this.cutoff = term.cutoff;
    this.capabilities = term.capabilities;
    if (term.species) this.species = term.species;
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    const r = this.term.compute(s, request, ctx);
    const c = this.factor;
    const scale = (v: Float64Array | undefined, by: number) => {
      if (v) for (let k = 0; k < v.length; k++) v[k] = v[k]! * by;
    };
    // the term's arrays are fresh or the caller's out buffers: scaling in place is safe
    scale(r.forces, c);
    scale(r.stress, c);
    scale(r.energies, c);
    const out: ComputeResult = { ...r, energy: c * r.energy };
    if (r.uncertainty) {
      const u = r.uncertainty, a = Math.abs(c);
      const su: Uncertainty = {};
      if (u.energyStd !== undefined) su.energyStd = a * u.energyStd;
      if (u.forceStd) su.forceStd = u.forceStd.map((v) => a * v);
      if (u.atomForceDeviation) su.atomForceDeviation = u.atomForceDeviation.map((v) => a * v);
      if (u.maxForceDeviation !== undefined) su.maxForceDeviation = a * u.maxForceDeviation;
      out.uncertainty = su;
    }
    return out;
  }
}

/** (1 - lambda) a + lambda b, for thermodynamic integration from a (lambda = 0) to b (lambda = 1). */
export function mix(a: Potential, b: Potential, lambda: number): SumPotential {
  if (!Number.isFinite(lambda)) throw new ValidationError(`mix: lambda must be a finite number, got ${lambda}`);
  return new SumPotential([new ScaledPotential(a, 1 - lambda), new ScaledPotential(b, lambda)]);
}
