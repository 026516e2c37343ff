/**
 * Linear potentials on a descriptor: per-element coefficient blocks on the per-atom features, plus
 * per-element reference energies.
 *
 *   E      = sum_i c_{Z_i} . B(i) + sum_i e0_{Z_i} + E_shift
 *   e_i    = c_{Z_i} . B(i) + e0_{Z_i} + E_shift / N                   (per-atom energies, sum to E)
 *   F_j,a  = -dE/dr_j,a = sum_col theta_col X^F_{(j,a),col}
 *   W_ab   = dE/d eps_ab = sum_col theta_col X^W_{ab,col}              (stress sigma = W / V)
 *
 * with theta = (c_{z_0}, c_{z_1}, ...) flattened (column col = s * size + k for species index s,
 * feature k), and the design rows built from the descriptor's per-pair derivatives D[p] = dB(i)/dd_ij
 * by the contract's rules (`descriptor.ts`):
 *
 *   X^E_col          = sum_{i: Z_i = z_s} B_k(i)                      (energy row)
 *   X^F_{(j,a),col} = -dE/dr_j,a per unit theta_col = sum_{p=(i->j), Z_i=z_s} (-D[p]_a,k) + sum_{p=(j->.), Z_j = z_s} D[p]_a,k
 *   X^W_{ab,col}     = sum_{p=(i->.), Z_i=z_s} d_p,a D[p]_b,k          (Voigt xx yy zz yz xz xy)
 *
 * `linearDesign` builds these rows and the fitter (`training/linear-fit.ts`) puts them into the
 * normal equations. For prediction, `LinearPotential.compute` uses the descriptor's contracted
 * gradient when it has one (`Descriptor.computeGradient` with per-atom weights w_i = c_{Z_i}), which
 * gives e_i = c_{Z_i} . B(i) and g_p = sum_k c_{Z_i,k} D[p]_k = theta . (per-pair design entries)
 * without forming D or X^F:
 *
 *   F_i += g_p,   F_j -= g_p,   W_ab += d_p,a g_p,b            (p = (i -> j), d_p = d_ij)
 *
 * which is X^F theta and X^W theta summed in a different order (equal to rounding). Without
 * `computeGradient` it contracts the design rows (the same code as training).
 *
 * | symbol          | variable                                          |
 * |-----------------|---------------------------------------------------|
 * | c_{z_s, k}      | coefficients[s * size + k]                         |
 * | e0_{z_s}        | e0[s]                                              |
 * | E_shift         | energyShift (a global offset fitted as b: E_shift = -b) |
 * | X^E             | design.energy (ncol)                               |
 * | X^F             | design.forces ((3N) x ncol, row 3j + a)            |
 * | X^W             | design.virial (6 x ncol)                           |
 * | n_z             | design.counts[s] (atoms of species s)              |
 * | g_p             | pairGrad[3p + a] (contracted path)                 |
 * | s(i)            | rows[i] (species index of atom i)                  |
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { MAX_Z, symbolOf } from '../core/elements.js';
import type { Descriptor, DescriptorGradientOutput, DescriptorWeights } from '../descriptors/descriptor.js';
import { pairCount, type NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { volume } from '../structure/cell.js';
import { assertStressPeriodic, assertValidStructure, neighborsFor, outputBuffers } from '../neighbors/checked.js';
import { readModelHeader, readOffsets, readTraining, speciesBlocks } from './model-json.js';

/** Design rows of one structure for a linear model (see the module comment). */
export interface LinearDesign {
  /** Atoms. */
  n: number;
  /** Columns = species x descriptor size. */
  ncol: number;
  /** Per-atom features B (N x size), as computed by the descriptor. */
  features: Float64Array;
  /** X^E (ncol). */
  energy: Float64Array;
  /** Atoms per species (ns). */
  counts: Float64Array;
  /** X^F, (3N) x ncol, when requested. */
  forces?: Float64Array;
  /** X^W, 6 x ncol (dE/d eps, not divided by V), when requested. */
  virial?: Float64Array;
}

let derivScratch = new Float64Array(0);

/** Index of every atom's species in `species`, or a ParameterError naming the atom. */
export function speciesIndices(species: readonly number[], s: Structure, who: string): Int32Array {
  const table = new Map<number, number>();
  species.forEach((z, k) => table.set(z, k));
  const out = new Int32Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const k = table.get(s.numbers[i]!);
    if (k === undefined) throw new ParameterError(`${who}: atom ${i} is ${symbolOf(s.numbers[i]!)}, which is not among the species ${species.map(symbolOf).join(', ')}`);
    out[i] = k;
  }
  return out;
}

/**
 * The design rows of a linear model on `desc` for structure `s` (neighbour list `nl` built for at
 * least `desc.cutoff`). Forces and virial rows only when asked: they need the per-pair derivatives.
 */
export function linearDesign(desc: Descriptor, s: Structure, nl: NeighborList, want: { forces?: boolean; virial?: boolean } = {}): LinearDesign {
  const n = s.length;
  const size = desc.size;
  const ns = desc.species.length;
  const ncol = ns * size;
  const sp = speciesIndices(desc.species, s, desc.name);
  const features = new Float64Array(n * size);
  const needDeriv = !!(want.forces || want.virial);
  let deriv: Float64Array | undefined;
  if (needDeriv) {
    // one grow-only scratch for every call: the per-pair array is large (pairs x 3 x size) and is
    // overwritten by the descriptor, so allocating (and zeroing) it per structure only costs time
    const need = pairCount(nl) * 3 * size;
    if (derivScratch.length < need) derivScratch = new Float64Array(Math.max(need, Math.min(2 * derivScratch.length, 1 << 27)));
    deriv = derivScratch;
    desc.computeWithDerivatives(s, nl, { features, derivatives: deriv });
  } else {
    desc.compute(s, nl, features);
  }
  const energy = new Float64Array(ncol);
  const counts = new Float64Array(ns);
  for (let i = 0; i < n; i++) {
    const o = sp[i]! * size;
    counts[sp[i]!]! += 1;
    const fi = i * size;
    for (let k = 0; k < size; k++) energy[o + k] += features[fi + k]!;
  }
  const out: LinearDesign = { n, ncol, features, energy, counts };
  if (!needDeriv || !deriv) return out;
  const F = want.forces ? new Float64Array(3 * n * ncol) : undefined;
  const W = want.virial ? new Float64Array(6 * ncol) : undefined;
  const x = s.positions;
  const { offsets, neighbors, shifts } = nl;
  for (let i = 0; i < n; i++) {
    const o = sp[i]! * size;
    const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
    for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
      const j = neighbors[p]!;
      const base = p * 3 * size;
      if (F) {
        for (let a = 0; a < 3; a++) {
          const dp = base + a * size;
          const ri = (3 * i + a) * ncol + o; // dE/dr_i = -sum D  ->  -dE/dr_i = +D
          const rj = (3 * j + a) * ncol + o; // dE/dr_j = +D      ->  -dE/dr_j = -D
          for (let k = 0; k < size; k++) {
            const v = deriv[dp + k]!;
            F[ri + k] += v;
            F[rj + k] -= v;
          }
        }
      }
      if (W) {
        const dx = x[3 * j]! + shifts[3 * p]! - xi;
        const dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi;
        const dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
        const Dx = base, Dy = base + size, Dz = base + 2 * size;
        for (let k = 0; k < size; k++) {
          const gx = deriv[Dx + k]!, gy = deriv[Dy + k]!, gz = deriv[Dz + k]!;
          if (gx === 0 && gy === 0 && gz === 0) continue;
          W[o + k] += dx * gx;
          W[ncol + o + k] += dy * gy;
          W[2 * ncol + o + k] += dz * gz;
          W[3 * ncol + o + k] += dy * gz;
          W[4 * ncol + o + k] += dx * gz;
          W[5 * ncol + o + k] += dx * gy;
        }
      }
    }
  }
  if (F) out.forces = F;
  if (W) out.virial = W;
  return out;
}

/** y = A theta for a row-major (rows x ncol) block, into `out`. */
export function contractRows(a: Float64Array, rows: number, ncol: number, theta: Float64Array, out: Float64Array): Float64Array {
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const o = r * ncol;
    for (let c = 0; c < ncol; c++) acc += a[o + c]! * theta[c]!;
    out[r] = acc;
  }
  return out;
}

/*
 * The Potential contract lives in potentials/, a later layer than models/, so this file may not
 * import it; LinearPotential satisfies it structurally (checked in linear.test.ts by assigning to
 * `Potential`). The shapes below are the subset of that contract it uses, field for field.
 */
interface Request { forces?: boolean; stress?: boolean; energies?: boolean; uncertainty?: boolean }
interface Context { neighbors?: NeighborList; out?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array } }
interface Result { energy: number; forces?: Float64Array; stress?: Float64Array; energies?: Float64Array }

/** Training provenance stored with a fitted model (free-form, JSON-able). */
export type TrainingInfo = { [k: string]: unknown };

export interface LinearPotentialOptions {
  descriptor: Descriptor;
  /** theta: species x size values, block s for species `descriptor.species[s]`. */
  coefficients: ArrayLike<number>;
  /** Reference atomic energies e0 per species (eV; default 0). */
  e0?: ArrayLike<number>;
  /** Constant added to every total energy (eV; default 0). Makes E non-extensive; see docs/training.md. */
  energyShift?: number;
  /** False when the energies were not fitted (w_E = 0): energies are then known only up to a constant. */
  offsetDetermined?: boolean;
  training?: TrainingInfo;
}

/** The versioned JSON form of a LinearPotential. */
export interface LinearModelJSON {
  format: 'mlpot-model';
  version: 1;
  type: 'linear';
  descriptor: { type: string; version: number; [k: string]: unknown };
  species: number[];
  /** One array of `size` coefficients per species. */
  coefficients: number[][];
  /** eV per atom of each species. */
  e0: number[];
  /** eV added to every total energy (0 unless fitted with a global offset). */
  energyShift?: number;
  offsetDetermined: boolean;
  training?: TrainingInfo;
}

export class LinearPotential {
  readonly name: string;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly capabilities = { forces: true, stress: true, energies: true, uncertainty: false } as const;
  readonly descriptor: Descriptor;
  readonly coefficients: Float64Array;
  readonly e0: Float64Array;
  readonly energyShift: number;
  readonly offsetDetermined: boolean;
  readonly training: TrainingInfo | undefined;
  /** Species index by Z (-1: not a species of the model). */
  private readonly zIndex: Int32Array;
  // scratch of the contracted path, grown when needed (no allocation per call once sized)
  private rows = new Int32Array(0);
  private pairGrad = new Float64Array(0);
  private atomEnergy = new Float64Array(0);
  private readonly gw: DescriptorWeights;
  private readonly gout: DescriptorGradientOutput = { pairGradients: new Float64Array(0), energies: new Float64Array(0) };

  constructor(o: LinearPotentialOptions) {
    const d = o.descriptor;
    const ns = d.species.length;
    this.descriptor = d;
    this.cutoff = d.cutoff;
    this.species = [...d.species];
    this.name = `linear(${d.name}, ${ns * d.size} coefficients)`;
    if (o.coefficients.length !== ns * d.size) {
      throw new ParameterError(`LinearPotential: coefficients has ${o.coefficients.length} values; expected ${ns} species x ${d.size} features = ${ns * d.size}`);
    }
    this.coefficients = Float64Array.from(o.coefficients);
    this.e0 = o.e0 ? Float64Array.from(o.e0) : new Float64Array(ns);
    if (this.e0.length !== ns) throw new ParameterError(`LinearPotential: e0 has ${this.e0.length} values; expected one per species (${ns})`);
    this.coefficients.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new ParameterError(`LinearPotential: coefficient ${k} is ${v}`);
    });
    this.e0.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new ParameterError(`LinearPotential: e0 of ${symbolOf(this.species[k]!)} is ${v}`);
    });
    this.energyShift = o.energyShift ?? 0;
    if (!Number.isFinite(this.energyShift)) throw new ParameterError(`LinearPotential: energyShift is ${this.energyShift}`);
    this.offsetDetermined = o.offsetDetermined ?? true;
    this.training = o.training;
    this.zIndex = new Int32Array(MAX_Z + 1).fill(-1);
    this.species.forEach((z, k) => (this.zIndex[z] = k));
    this.gw = { weights: this.coefficients, rows: this.rows };
  }

  /**
   * Energy, forces (F = X^F theta), stress (sigma = X^W theta / V) and per-atom energies (through
   * the descriptor's contracted gradient when it has one; see the module comment), with the
   * input checks of every built-in potential (finite coordinates, valid cell, known elements, no
   * overlapping atoms, a neighbour list of sufficient range, finite energy).
   */
  compute(s: Structure, request: Request = { forces: true, stress: false, energies: false }, ctx?: Context): Result {
    const req = request;
    assertValidStructure(s);
    assertStressPeriodic(s, req);
    const nl = neighborsFor(s, this.cutoff, this.name, ctx?.neighbors);
    const out = outputBuffers(s.length, req, ctx?.out);
    // energies only: features suffice (no derivative work at all) -> design path without rows
    if (this.descriptor.computeGradient && (out.forces || out.stress)) return this.computeContracted(s, nl, out);
    return this.computeDesign(s, nl, out);
  }

  /** The contracted path (module comment): one descriptor pass, no per-feature derivatives. */
  private computeContracted(s: Structure, nl: NeighborList, out: { forces: Float64Array | undefined; stress: Float64Array | undefined; energies: Float64Array | undefined }): Result {
    const n = s.length;
    const np = pairCount(nl);
    if (this.rows.length < n) {
      this.rows = new Int32Array(Math.max(n, 2 * this.rows.length));
      this.atomEnergy = new Float64Array(this.rows.length);
      this.gw.rows = this.rows;
    }
    if (this.pairGrad.length < 3 * np) this.pairGrad = new Float64Array(Math.max(3 * np, 2 * this.pairGrad.length));
    const rows = this.rows, eAtom = this.atomEnergy, g = this.pairGrad, zIndex = this.zIndex;
    for (let i = 0; i < n; i++) {
      const k = zIndex[s.numbers[i]!] ?? -1;
      if (k < 0) throw new ParameterError(`${this.name}: atom ${i} is ${symbolOf(s.numbers[i]!)}, which is not among the species ${this.species.map(symbolOf).join(', ')}`);
      rows[i] = k;
    }
    const gout = this.gout;
    gout.pairGradients = g;
    gout.energies = eAtom;
    this.descriptor.computeGradient!(s, nl, this.gw, gout);
    const e0 = this.e0;
    let energy = this.energyShift;
    for (let i = 0; i < n; i++) energy += eAtom[i]! + e0[rows[i]!]!;
    if (!Number.isFinite(energy)) throw new ValidationError(`${this.name} produced a non-finite energy (${energy}); check the structure and coefficients`);
    const res: Result = { energy };
    const { forces, stress, energies } = out;
    if (forces || stress) {
      const x = s.positions, { offsets, neighbors, shifts } = nl;
      let w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0;
      for (let i = 0; i < n; i++) {
        const xi = x[3 * i]!, yi = x[3 * i + 1]!, zi = x[3 * i + 2]!;
        let fx = 0, fy = 0, fz = 0;
        for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
          const gx = g[3 * p]!, gy = g[3 * p + 1]!, gz = g[3 * p + 2]!;
          if (gx === 0 && gy === 0 && gz === 0) continue;
          const j = neighbors[p]!;
          fx += gx; fy += gy; fz += gz;
          if (forces) {
            forces[3 * j] -= gx;
            forces[3 * j + 1] -= gy;
            forces[3 * j + 2] -= gz;
          }
          if (stress) {
            const dx = x[3 * j]! + shifts[3 * p]! - xi, dy = x[3 * j + 1]! + shifts[3 * p + 1]! - yi, dz = x[3 * j + 2]! + shifts[3 * p + 2]! - zi;
            w0 += dx * gx; w1 += dy * gy; w2 += dz * gz; w3 += dy * gz; w4 += dx * gz; w5 += dx * gy;
          }
        }
        if (forces) {
          forces[3 * i] += fx;
          forces[3 * i + 1] += fy;
          forces[3 * i + 2] += fz;
        }
      }
      if (forces) res.forces = forces;
      if (stress) {
        const iv = 1 / volume(s.cell);
        stress[0] = w0 * iv; stress[1] = w1 * iv; stress[2] = w2 * iv; stress[3] = w3 * iv; stress[4] = w4 * iv; stress[5] = w5 * iv;
        res.stress = stress;
      }
    }
    if (energies) {
      const shift = n > 0 ? this.energyShift / n : 0;
      for (let i = 0; i < n; i++) energies[i] = eAtom[i]! + e0[rows[i]!]! + shift;
      res.energies = energies;
    }
    return res;
  }

  /** The design-row path: F = X^F theta, sigma = X^W theta / V (descriptors without computeGradient). */
  private computeDesign(s: Structure, nl: NeighborList, out: { forces: Float64Array | undefined; stress: Float64Array | undefined; energies: Float64Array | undefined }): Result {
    const n = s.length;
    const d = this.descriptor;
    const sp = speciesIndices(d.species, s, this.name);
    const { forces, stress, energies } = out;
    const design = linearDesign(d, s, nl, { forces: !!forces, virial: !!stress });
    const theta = this.coefficients;
    const ncol = design.ncol;
    let energy = this.energyShift;
    for (let c = 0; c < ncol; c++) energy += design.energy[c]! * theta[c]!;
    for (let k = 0; k < this.e0.length; k++) energy += design.counts[k]! * this.e0[k]!;
    if (!Number.isFinite(energy)) throw new ValidationError(`${this.name} produced a non-finite energy (${energy}); check the structure and coefficients`);
    const res: Result = { energy };
    if (forces && design.forces) res.forces = contractRows(design.forces, 3 * n, ncol, theta, forces);
    if (stress && design.virial) {
      contractRows(design.virial, 6, ncol, theta, stress);
      const v = volume(s.cell);
      for (let k = 0; k < 6; k++) stress[k] = stress[k]! / v;
      res.stress = stress;
    }
    if (energies) {
      const size = d.size;
      const shift = n > 0 ? this.energyShift / n : 0;
      for (let i = 0; i < n; i++) {
        const o = sp[i]! * size;
        let e = this.e0[sp[i]!]! + shift;
        for (let k = 0; k < size; k++) e += design.features[i * size + k]! * theta[o + k]!;
        energies[i] = e;
      }
      res.energies = energies;
    }
    return res;
  }

  /** Coefficient block of one element (a copy). */
  coefficientsOf(zNumber: number): Float64Array {
    const k = this.species.indexOf(zNumber);
    if (k < 0) throw new ParameterError(`${this.name}: no coefficients for element ${symbolOf(zNumber)}`);
    const size = this.descriptor.size;
    return this.coefficients.slice(k * size, (k + 1) * size);
  }

  toJSON(): LinearModelJSON {
    const size = this.descriptor.size;
    const json: LinearModelJSON = {
      format: 'mlpot-model',
      version: 1,
      type: 'linear',
      descriptor: this.descriptor.toJSON(),
      species: [...this.species],
      coefficients: this.species.map((_, k) => Array.from(this.coefficients.subarray(k * size, (k + 1) * size))),
      e0: Array.from(this.e0),
      offsetDetermined: this.offsetDetermined,
    };
    if (this.energyShift !== 0) json.energyShift = this.energyShift;
    if (this.training !== undefined) json.training = this.training;
    return json;
  }

  /** Rebuild from `toJSON()` output (after JSON.parse); errors name the offending field. */
  static fromJSON(json: unknown): LinearPotential {
    const h = readModelHeader(json, 'linear');
    const { j, desc } = h;
    const coefficients = speciesBlocks(h.bad, 'coefficients', j['coefficients'], desc.species.length, desc.size, 'numbers (descriptor size)');
    const opts: LinearPotentialOptions = { descriptor: desc, coefficients, ...readOffsets(h) };
    const training = readTraining(h);
    if (training !== undefined) opts.training = training;
    return new LinearPotential(opts);
  }
}
