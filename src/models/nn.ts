/**
 * Neural-network potentials, Behler-Parrinello style: one small multilayer perceptron per element
 * on standardised descriptor features, total energy = sum of atomic energies.
 *
 *   x_i        = (B(i) - mu_{Z_i}) / s_{Z_i}                        (elementwise standardisation)
 *   a^0        = x_i
 *   z^l        = W^l a^{l-1} + b^l,   a^l = f(z^l)                   (l = 1 .. L-1, hidden layers)
 *   eps_i      = z^L = W^L a^{L-1} + b^L                             (linear scalar output)
 *   E          = sum_i eps_i + sum_i e0_{Z_i} + E_shift
 *   e_i        = eps_i + e0_{Z_i} + E_shift / N                      (per-atom energies, sum to E)
 *
 * Forces by the input gradient (backpropagation of d eps / dx through the network):
 *
 *   delta^L = 1,  delta^{l} = f'(z^l) (W^{l+1})^T delta^{l+1},  g_i = d eps_i/dx_i = (W^1)^T delta^1
 *   gB_i = g_i / s_{Z_i}      (= d eps_i / dB(i))
 *   per pair p = (i -> j):  gp_a = gB_i . D[p]_a   (D[p] = dB(i)/dd_ij, descriptor.ts)
 *   F_i += gp,  F_j -= gp,   W_ab += d_p,a gp_b     (stress sigma = W / V)
 *
 * exactly the conventions of `linearDesign` (models/linear.ts) with c_{Z_i} replaced by gB_i.
 *
 * Second-order pieces for training through the forces (Pearlmutter's R-operator). With a loss
 * L(eps, g) and its adjoints dL/deps_i and v_i = dL/dg_i (a vector in x space), the parameter
 * gradient of atom i's contribution is
 *
 *   dL/dtheta += (dL/deps_i) d eps_i/dtheta + d(g_i . v_i)/dtheta       (v_i held fixed)
 *
 * and g_i . v_i = R{eps_i} is the directional derivative of eps along v_i, computed by a tangent
 * (forward-mode) pass R{a^0} = v_i, R{z^l} = W^l R{a^{l-1}}, R{a^l} = f'(z^l) R{z^l}. Reverse mode
 * over the pair (z, R{z}) with seeds zbar^L = dL/deps_i, Rzbar^L = 1 gives
 *
 *   dL/dW^l += zbar^l (a^{l-1})^T + Rzbar^l (R{a^{l-1}})^T,    dL/db^l += zbar^l
 *   abar = (W^l)^T zbar^l,  Rabar = (W^l)^T Rzbar^l
 *   zbar^{l-1}  = f'(z^{l-1}) abar + f''(z^{l-1}) R{z^{l-1}} Rabar
 *   Rzbar^{l-1} = f'(z^{l-1}) Rabar
 *
 * (`MLP.paramGradient`). The per-atom adjoint v_i comes from the force adjoints u_j = dL/dF_j by
 * the transpose of the pair assembly (`pairAdjoint`): v_i = sum_{p=(i->j)} sum_a D[p]_a (u_i,a - u_j,a)
 * (plus sum_a D[p]_a sum_b d_p,b w_ba for virial adjoints w = dL/dW when stress is fitted).
 *
 * Parameters are one flat Float64Array: species block s (length `MLP.count`) holds, for each layer
 * l = 1..L in turn, W^l (row-major, n_l x n_{l-1}) then b^l (n_l).
 *
 * | symbol          | variable                                                   |
 * |-----------------|------------------------------------------------------------|
 * | n_l             | MLP.sizes[l] (n_0 = descriptor size, n_L = 1)              |
 * | W^l_{rc}, b^l_r | params[o + wOff[l-1] + r n_{l-1} + c], params[o + bOff[l-1] + r], o = s * count |
 * | z^l, a^l        | MLP scratch z[zo[l-1] ..], a[zo[l-1] ..]                    |
 * | f, f', f''      | activation value / first / second derivative (fa, fp, fpp)  |
 * | R{z}, R{a}      | rz, ra                                                     |
 * | zbar, Rzbar     | bz, brz                                                    |
 * | mu_s, s_s       | featureMean[s * size + k], featureStd[s * size + k]         |
 * | e0_s            | e0[s]                                                      |
 * | E_shift         | energyShift (a global offset fitted as b: E_shift = -b)     |
 * | D[p]_a,k        | deriv[(p * 3 + a) * size + k]                               |
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { symbolOf } from '../core/elements.js';
import type { Rng } from '../core/rng.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import { pairCount, type NeighborList } from '../neighbors/neighbor-list.js';
import { assertStressPeriodic, assertValidStructure, neighborsFor, outputBuffers } from '../neighbors/checked.js';
import { volume } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';
import { speciesIndices, type TrainingInfo } from './linear.js';
import { readModelHeader, readOffsets, readTraining, speciesBlocks } from './model-json.js';

export type Activation = 'tanh' | 'silu' | 'softplus';

export const ACTIVATIONS: readonly Activation[] = ['tanh', 'silu', 'softplus'];

/**
 * f, f', f'' of an activation at z, written into out[0..2]. Smooth everywhere (forces need f',
 * force training needs f'').
 *   tanh:     f = tanh z,           f' = 1 - f^2,              f'' = -2 f f'
 *   silu:     f = z sig(z),         f' = sig (1 + z (1 - sig)), f'' = sig (1 - sig) (2 + z (1 - 2 sig))
 *   softplus: f = log(1 + e^z),     f' = sig,                  f'' = sig (1 - sig)
 */
function activate(kind: number, z: number, out: Float64Array): void {
  if (kind === 0) {
    const t = Math.tanh(z);
    const d = 1 - t * t;
    out[0] = t;
    out[1] = d;
    out[2] = -2 * t * d;
  } else {
    const sg = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    const q = sg * (1 - sg);
    if (kind === 1) {
      out[0] = z * sg;
      out[1] = sg + z * q;
      out[2] = q * (2 + z * (1 - 2 * sg));
    } else {
      out[0] = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      out[1] = sg;
      out[2] = q;
    }
  }
}

/**
 * One multilayer perceptron architecture (layer sizes, activation) with its scratch buffers.
 * Parameters are passed in (flat array + offset), so one MLP object serves every element's network.
 * Not re-entrant: `forward` leaves the activations in scratch for `inputGradient`/`paramGradient`.
 */
export class MLP {
  readonly sizes: Int32Array;
  readonly activation: Activation;
  /** Weight layers L. */
  readonly nLayers: number;
  /** Parameters per network. */
  readonly count: number;
  readonly wOff: Int32Array;
  readonly bOff: Int32Array;
  /** Offset of layer l+1's units in the per-unit scratch (l = 0..L-1). */
  readonly zo: Int32Array;
  private readonly kind: number;
  private readonly z: Float64Array;
  private readonly fa: Float64Array;
  private readonly fp: Float64Array;
  private readonly fpp: Float64Array;
  private readonly rz: Float64Array;
  private readonly ra: Float64Array;
  private readonly bz: Float64Array;
  private readonly brz: Float64Array;
  private readonly t1: Float64Array;
  private readonly t2: Float64Array;
  private readonly f3 = new Float64Array(3);

  constructor(sizes: readonly number[], activation: Activation) {
    if (sizes.length < 2) throw new ParameterError(`MLP: needs at least an input and an output size, got ${JSON.stringify(sizes)}`);
    sizes.forEach((n, l) => {
      if (!Number.isInteger(n) || n < 1) throw new ParameterError(`MLP: layer ${l} size must be a positive integer, got ${n}`);
    });
    if (sizes[sizes.length - 1] !== 1) throw new ParameterError(`MLP: the output layer must have size 1 (an atomic energy), got ${sizes[sizes.length - 1]}`);
    const k = ACTIVATIONS.indexOf(activation);
    if (k < 0) throw new ParameterError(`MLP: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
    this.kind = k;
    this.activation = activation;
    this.sizes = Int32Array.from(sizes);
    const L = sizes.length - 1;
    this.nLayers = L;
    this.wOff = new Int32Array(L);
    this.bOff = new Int32Array(L);
    this.zo = new Int32Array(L + 1);
    let c = 0;
    let units = 0;
    let widest = 0;
    for (let l = 0; l < L; l++) {
      const nin = sizes[l]!, nout = sizes[l + 1]!;
      this.wOff[l] = c;
      c += nin * nout;
      this.bOff[l] = c;
      c += nout;
      this.zo[l] = units;
      units += nout;
      widest = Math.max(widest, nin, nout);
    }
    this.zo[L] = units;
    this.count = c;
    this.z = new Float64Array(units);
    this.fa = new Float64Array(units);
    this.fp = new Float64Array(units);
    this.fpp = new Float64Array(units);
    this.rz = new Float64Array(units);
    this.ra = new Float64Array(units);
    this.bz = new Float64Array(units);
    this.brz = new Float64Array(units);
    this.t1 = new Float64Array(widest);
    this.t2 = new Float64Array(widest);
  }

  /** Input size n_0. */
  get inputSize(): number {
    return this.sizes[0]!;
  }

  /** eps = NN(x) with parameters p[o ..], input x[xo .. xo + n_0). Keeps activations for the gradient passes. */
  forward(p: Float64Array, o: number, x: Float64Array, xo: number): number {
    const L = this.nLayers;
    const sizes = this.sizes;
    const z = this.z, fa = this.fa, f3 = this.f3;
    for (let l = 0; l < L; l++) {
      const nin = sizes[l]!, nout = sizes[l + 1]!;
      const w = o + this.wOff[l]!, b = o + this.bOff[l]!;
      const zo = this.zo[l]!;
      const src = l === 0 ? x : fa;
      const so = l === 0 ? xo : this.zo[l - 1]!;
      const hidden = l < L - 1;
      for (let r = 0; r < nout; r++) {
        let acc = p[b + r]!;
        const wr = w + r * nin;
        for (let c = 0; c < nin; c++) acc += p[wr + c]! * src[so + c]!;
        z[zo + r] = acc;
        if (hidden) {
          activate(this.kind, acc, f3);
          fa[zo + r] = f3[0]!;
          this.fp[zo + r] = f3[1]!;
          this.fpp[zo + r] = f3[2]!;
        }
      }
    }
    return z[this.zo[L - 1]!]!;
  }

  /** Values `saveActivations` writes per input (f, f', f'' of every hidden unit). */
  get activationSize(): number {
    return 3 * this.zo[this.nLayers - 1]!;
  }

  /** Copy the hidden activations left by `forward` to out[oo ..) (`activationSize` values). */
  saveActivations(out: Float64Array, oo: number): void {
    const h = this.zo[this.nLayers - 1]!;
    out.set(this.fa.subarray(0, h), oo);
    out.set(this.fp.subarray(0, h), oo + h);
    out.set(this.fpp.subarray(0, h), oo + 2 * h);
  }

  /** Restore activations saved by `saveActivations`: equivalent to re-running `forward` on the same input. */
  restoreActivations(src: Float64Array, so: number): void {
    const h = this.zo[this.nLayers - 1]!;
    this.fa.set(src.subarray(so, so + h));
    this.fp.set(src.subarray(so + h, so + 2 * h));
    this.fpp.set(src.subarray(so + 2 * h, so + 3 * h));
  }

  /** After `forward`: g = d eps / dx into out[oo .. oo + n_0). */
  inputGradient(p: Float64Array, o: number, out: Float64Array, oo: number): void {
    const L = this.nLayers;
    const sizes = this.sizes;
    const bz = this.bz;
    bz[this.zo[L - 1]!] = 1;
    for (let l = L - 1; l >= 0; l--) {
      const nin = sizes[l]!, nout = sizes[l + 1]!;
      const w = o + this.wOff[l]!;
      const zo = this.zo[l]!;
      const t = this.t1;
      t.fill(0, 0, nin);
      for (let r = 0; r < nout; r++) {
        const d = bz[zo + r]!;
        if (d === 0) continue;
        const wr = w + r * nin;
        for (let c = 0; c < nin; c++) t[c] += p[wr + c]! * d;
      }
      if (l > 0) {
        const po = this.zo[l - 1]!;
        for (let c = 0; c < nin; c++) bz[po + c] = this.fp[po + c]! * t[c]!;
      } else {
        for (let c = 0; c < nin; c++) out[oo + c] = t[c]!;
      }
    }
  }

  /**
   * After `forward` at the same x (or `restoreActivations` of its state): grad[go ..] += dEps * d eps/dtheta + d(g . v)/dtheta, with
   * g = d eps/dx and v = v[vo .. vo + n_0) held fixed (v = null: the first term only). See the
   * module comment for the recursion.
   */
  paramGradient(p: Float64Array, o: number, x: Float64Array, xo: number, dEps: number, v: Float64Array | null, vo: number, grad: Float64Array, go: number): void {
    const L = this.nLayers;
    const sizes = this.sizes;
    const fa = this.fa, fp = this.fp, fpp = this.fpp, rz = this.rz, ra = this.ra, bz = this.bz, brz = this.brz;
    const tangent = v !== null;
    if (tangent) {
      for (let l = 0; l < L; l++) {
        const nin = sizes[l]!, nout = sizes[l + 1]!;
        const w = o + this.wOff[l]!;
        const zo = this.zo[l]!;
        const src = l === 0 ? v : ra;
        const so = l === 0 ? vo : this.zo[l - 1]!;
        for (let r = 0; r < nout; r++) {
          let acc = 0;
          const wr = w + r * nin;
          for (let c = 0; c < nin; c++) acc += p[wr + c]! * src[so + c]!;
          rz[zo + r] = acc;
          if (l < L - 1) ra[zo + r] = fp[zo + r]! * acc;
        }
      }
    }
    const top = this.zo[L - 1]!;
    bz[top] = dEps;
    brz[top] = tangent ? 1 : 0;
    for (let l = L - 1; l >= 0; l--) {
      const nin = sizes[l]!, nout = sizes[l + 1]!;
      const w = o + this.wOff[l]!;
      const gw = go + this.wOff[l]!, gb = go + this.bOff[l]!;
      const zo = this.zo[l]!;
      const src = l === 0 ? x : fa;
      const so = l === 0 ? xo : this.zo[l - 1]!;
      const rsrc = l === 0 ? v : ra;
      const rso = l === 0 ? vo : this.zo[l - 1]!;
      const ta = this.t1, tr = this.t2;
      if (l > 0) {
        ta.fill(0, 0, nin);
        tr.fill(0, 0, nin);
      }
      for (let r = 0; r < nout; r++) {
        const gz = bz[zo + r]!;
        const grz = tangent ? brz[zo + r]! : 0;
        grad[gb + r] += gz;
        const wr = w + r * nin;
        const gr = gw + r * nin;
        if (grz !== 0 && rsrc) {
          for (let c = 0; c < nin; c++) grad[gr + c] += gz * src[so + c]! + grz * rsrc[rso + c]!;
        } else if (gz !== 0) {
          for (let c = 0; c < nin; c++) grad[gr + c] += gz * src[so + c]!;
        }
        if (l > 0) {
          for (let c = 0; c < nin; c++) {
            const wv = p[wr + c]!;
            ta[c] += wv * gz;
            tr[c] += wv * grz;
          }
        }
      }
      if (l > 0) {
        const po = this.zo[l - 1]!;
        for (let c = 0; c < nin; c++) {
          const u = po + c;
          bz[u] = fp[u]! * ta[c]! + (tangent ? fpp[u]! * rz[u]! * tr[c]! : 0);
          brz[u] = fp[u]! * tr[c]!;
        }
      }
    }
  }

  /**
   * Seeded initial parameters for `nets` networks: W^l ~ N(0, 1/n_{l-1}) (LeCun), the output layer
   * scaled by `outputScale` (default 0.1, so an untrained network adds small energies), biases 0.
   */
  initialParameters(nets: number, rng: Rng, outputScale = 0.1): Float64Array {
    const p = new Float64Array(nets * this.count);
    const L = this.nLayers;
    for (let s = 0; s < nets; s++) {
      const o = s * this.count;
      for (let l = 0; l < L; l++) {
        const nin = this.sizes[l]!, nout = this.sizes[l + 1]!;
        const sc = (l === L - 1 ? outputScale : 1) / Math.sqrt(nin);
        const w = o + this.wOff[l]!;
        for (let k = 0; k < nin * nout; k++) p[w + k] = sc * rng.normal();
      }
    }
    return p;
  }
}

/** The CSR part of a neighbour list the pair kernels need. */
export interface PairTopology {
  readonly n: number;
  readonly offsets: Int32Array;
  readonly neighbors: Int32Array;
}

/**
 * Forces (and virial) from per-atom gradients g (N x size, d eps_i / d(feature space)) and the
 * matching per-pair derivatives deriv ((pairs x 3 x size), same feature space):
 * gp_a = g_i . D[p]_a, F_i += gp, F_j -= gp, W += d_p (x) gp (Voigt xx yy zz yz xz xy, not divided
 * by V). `forces` (3N) and `virial` (6) are accumulated into (zero them first).
 */
export function pairForces(
  g: Float64Array,
  deriv: Float64Array,
  size: number,
  nl: PairTopology,
  forces: Float64Array | undefined,
  virial?: { positions: Float64Array; shifts: Float64Array; out: Float64Array },
): void {
  const { n, offsets, neighbors } = nl;
  const x = virial?.positions, sh = virial?.shifts, W = virial?.out;
  for (let i = 0; i < n; i++) {
    const gi = i * size;
    for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
      const base = p * 3 * size;
      let gx = 0, gy = 0, gz = 0;
      for (let k = 0; k < size; k++) {
        const gk = g[gi + k]!;
        gx += gk * deriv[base + k]!;
        gy += gk * deriv[base + size + k]!;
        gz += gk * deriv[base + 2 * size + k]!;
      }
      if (forces) {
        const j = neighbors[p]!;
        forces[3 * i] += gx;
        forces[3 * i + 1] += gy;
        forces[3 * i + 2] += gz;
        forces[3 * j] -= gx;
        forces[3 * j + 1] -= gy;
        forces[3 * j + 2] -= gz;
      }
      if (W && x && sh) {
        const j = neighbors[p]!;
        const dx = x[3 * j]! + sh[3 * p]! - x[3 * i]!;
        const dy = x[3 * j + 1]! + sh[3 * p + 1]! - x[3 * i + 1]!;
        const dz = x[3 * j + 2]! + sh[3 * p + 2]! - x[3 * i + 2]!;
        W[0] += dx * gx;
        W[1] += dy * gy;
        W[2] += dz * gz;
        W[3] += dy * gz;
        W[4] += dx * gz;
        W[5] += dx * gy;
      }
    }
  }
}

/**
 * The transpose of the assembly of `pairForces`: given force adjoints u (3N, u_j = dL/dF_j) and,
 * optionally, virial adjoints w (Voigt 6, w_v = dL/dW_v), v_i = dL/dg_i (N x size) is
 *
 *   v_i = sum_{p=(i->j)} sum_b D[p]_b c_b,   c_b = (u_i,b - u_j,b) + sum_a d_p,a w_ab
 *
 * with w_ab the Voigt entries as `pairForces` writes them (W_xx = d_x gp_x, W_yz = d_y gp_z,
 * W_xz = d_x gp_z, W_xy = d_x gp_y): c_x += w_xx d_x, c_y += w_yy d_y + w_xy d_x,
 * c_z += w_zz d_z + w_yz d_y + w_xz d_x.
 */
export function pairAdjoint(
  u: Float64Array | null,
  deriv: Float64Array,
  size: number,
  nl: PairTopology,
  v: Float64Array,
  virial?: { positions: Float64Array; shifts: Float64Array; adjoint: Float64Array },
): void {
  const { n, offsets, neighbors } = nl;
  v.fill(0, 0, n * size);
  const x = virial?.positions, sh = virial?.shifts, w = virial?.adjoint;
  for (let i = 0; i < n; i++) {
    const vi = i * size;
    const ux = u ? u[3 * i]! : 0, uy = u ? u[3 * i + 1]! : 0, uz = u ? u[3 * i + 2]! : 0;
    for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
      const j = neighbors[p]!;
      let cx = 0, cy = 0, cz = 0;
      if (u) {
        cx = ux - u[3 * j]!;
        cy = uy - u[3 * j + 1]!;
        cz = uz - u[3 * j + 2]!;
      }
      if (w && x && sh) {
        const dx = x[3 * j]! + sh[3 * p]! - x[3 * i]!;
        const dy = x[3 * j + 1]! + sh[3 * p + 1]! - x[3 * i + 1]!;
        const dz = x[3 * j + 2]! + sh[3 * p + 2]! - x[3 * i + 2]!;
        cx += w[0]! * dx;
        cy += w[1]! * dy + w[5]! * dx;
        cz += w[2]! * dz + w[3]! * dy + w[4]! * dx;
      }
      const base = p * 3 * size;
      for (let k = 0; k < size; k++) v[vi + k] += cx * deriv[base + k]! + cy * deriv[base + size + k]! + cz * deriv[base + 2 * size + k]!;
    }
  }
}

/*
 * The Potential contract lives in potentials/, a later layer; NNPotential satisfies it
 * structurally (nn.test.ts assigns it to `Potential`), as LinearPotential does.
 */
interface Request { forces?: boolean; stress?: boolean; energies?: boolean; uncertainty?: boolean }
interface Context { neighbors?: NeighborList; out?: { forces?: Float64Array; stress?: Float64Array; energies?: Float64Array } }
interface Result { energy: number; forces?: Float64Array; stress?: Float64Array; energies?: Float64Array }

export interface NNPotentialOptions {
  descriptor: Descriptor;
  /** Hidden layer widths, e.g. [32, 32]. */
  hidden: readonly number[];
  activation: Activation;
  /** species x MLP.count values (block s for `descriptor.species[s]`, layout in the module comment). */
  parameters: ArrayLike<number>;
  /** Feature means and standard deviations per species (species x size each; defaults 0 and 1). */
  featureMean?: ArrayLike<number>;
  featureStd?: ArrayLike<number>;
  /** eV per atom of each species (default 0). */
  e0?: ArrayLike<number>;
  /** eV added to every total energy (default 0). */
  energyShift?: number;
  /** False when energies were not fitted (w_E = 0): energies known only up to a constant. */
  offsetDetermined?: boolean;
  training?: TrainingInfo;
}

/** The versioned JSON form of an NNPotential. */
export interface NNModelJSON {
  format: 'mlpot-model';
  version: 1;
  type: 'nn';
  descriptor: { type: string; version: number; [k: string]: unknown };
  species: number[];
  /** [descriptor size, ...hidden, 1]. */
  layers: number[];
  activation: Activation;
  /** One flat parameter array per species (layout in models/nn.ts). */
  parameters: number[][];
  featureScaling: { mean: number[][]; std: number[][] };
  e0: number[];
  energyShift?: number;
  offsetDetermined: boolean;
  training?: TrainingInfo;
}

export class NNPotential {
  readonly name: string;
  readonly cutoff: number;
  readonly species: readonly number[];
  readonly capabilities = { forces: true, stress: true, energies: true, uncertainty: false } as const;
  readonly descriptor: Descriptor;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly net: MLP;
  readonly parameters: Float64Array;
  readonly featureMean: Float64Array;
  readonly featureStd: Float64Array;
  readonly e0: Float64Array;
  readonly energyShift: number;
  readonly offsetDetermined: boolean;
  readonly training: TrainingInfo | undefined;
  private xbuf: Float64Array;

  constructor(o: NNPotentialOptions) {
    const d = o.descriptor;
    const ns = d.species.length;
    const size = d.size;
    this.descriptor = d;
    this.cutoff = d.cutoff;
    this.species = [...d.species];
    this.hidden = [...o.hidden];
    this.activation = o.activation;
    this.net = new MLP([size, ...o.hidden, 1], o.activation);
    const want = ns * this.net.count;
    this.name = `nn(${d.name}, ${[size, ...o.hidden, 1].join('-')} ${o.activation}, ${want} parameters)`;
    if (o.parameters.length !== want) throw new ParameterError(`NNPotential: parameters has ${o.parameters.length} values; expected ${ns} species x ${this.net.count} = ${want}`);
    this.parameters = Float64Array.from(o.parameters);
    this.parameters.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new ParameterError(`NNPotential: parameter ${k} is ${v}`);
    });
    this.featureMean = o.featureMean ? Float64Array.from(o.featureMean) : new Float64Array(ns * size);
    this.featureStd = o.featureStd ? Float64Array.from(o.featureStd) : new Float64Array(ns * size).fill(1);
    if (this.featureMean.length !== ns * size) throw new ParameterError(`NNPotential: featureMean has ${this.featureMean.length} values; expected ${ns} x ${size}`);
    if (this.featureStd.length !== ns * size) throw new ParameterError(`NNPotential: featureStd has ${this.featureStd.length} values; expected ${ns} x ${size}`);
    this.featureMean.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new ParameterError(`NNPotential: featureMean[${k}] is ${v}`);
    });
    this.featureStd.forEach((v, k) => {
      if (!(v > 0) || !Number.isFinite(v)) throw new ParameterError(`NNPotential: featureStd[${k}] must be a positive finite number, got ${v}`);
    });
    this.e0 = o.e0 ? Float64Array.from(o.e0) : new Float64Array(ns);
    if (this.e0.length !== ns) throw new ParameterError(`NNPotential: e0 has ${this.e0.length} values; expected one per species (${ns})`);
    this.e0.forEach((v, k) => {
      if (!Number.isFinite(v)) throw new ParameterError(`NNPotential: e0 of ${symbolOf(this.species[k]!)} is ${v}`);
    });
    this.energyShift = o.energyShift ?? 0;
    if (!Number.isFinite(this.energyShift)) throw new ParameterError(`NNPotential: energyShift is ${this.energyShift}`);
    this.offsetDetermined = o.offsetDetermined ?? true;
    this.training = o.training;
    this.xbuf = new Float64Array(size);
  }

  /**
   * Energy, forces, stress and per-atom energies (module comment), with the input checks of every
   * built-in potential (finite coordinates, valid cell, known elements, no overlapping atoms, a
   * neighbour list of sufficient range, finite energy).
   */
  compute(s: Structure, request: Request = { forces: true, stress: false, energies: false }, ctx?: Context): Result {
    const req = request;
    const n = s.length;
    assertValidStructure(s);
    assertStressPeriodic(s, req);
    const d = this.descriptor;
    const size = d.size;
    const sp = speciesIndices(d.species, s, this.name);
    const nl = neighborsFor(s, this.cutoff, this.name, ctx?.neighbors);
    const { forces, stress, energies } = outputBuffers(n, req, ctx?.out);
    const features = new Float64Array(n * size);
    const needDeriv = !!(forces || stress);
    let deriv: Float64Array | undefined;
    if (needDeriv) {
      deriv = new Float64Array(pairCount(nl) * 3 * size);
      d.computeWithDerivatives(s, nl, { features, derivatives: deriv });
    } else {
      d.compute(s, nl, features);
    }
    const g = needDeriv ? new Float64Array(n * size) : undefined;
    const net = this.net, p = this.parameters, x = this.xbuf;
    const mu = this.featureMean, sd = this.featureStd;
    const shift = n > 0 ? this.energyShift / n : 0;
    let energy = this.energyShift;
    for (let i = 0; i < n; i++) {
      const si = sp[i]!;
      const fo = si * size;
      for (let k = 0; k < size; k++) x[k] = (features[i * size + k]! - mu[fo + k]!) / sd[fo + k]!;
      const eps = net.forward(p, si * net.count, x, 0);
      energy += eps + this.e0[si]!;
      if (energies) energies[i] = eps + this.e0[si]! + shift;
      if (g) {
        net.inputGradient(p, si * net.count, g, i * size);
        for (let k = 0; k < size; k++) g[i * size + k] = g[i * size + k]! / sd[fo + k]!;
      }
    }
    if (!Number.isFinite(energy)) throw new ValidationError(`${this.name} produced a non-finite energy (${energy}); check the structure and parameters`);
    const res: Result = { energy };
    if (g && deriv) {
      pairForces(g, deriv, size, nl, forces, stress ? { positions: s.positions, shifts: nl.shifts, out: stress } : undefined);
      if (forces) res.forces = forces;
      if (stress) {
        const v = volume(s.cell);
        for (let k = 0; k < 6; k++) stress[k] = stress[k]! / v;
        res.stress = stress;
      }
    }
    if (energies) res.energies = energies;
    return res;
  }

  /** The same model with other parameters (and optionally offsets); used by the trainer. */
  withParameters(parameters: ArrayLike<number>, extra: { e0?: ArrayLike<number>; energyShift?: number; offsetDetermined?: boolean; training?: TrainingInfo } = {}): NNPotential {
    const o: NNPotentialOptions = {
      descriptor: this.descriptor,
      hidden: this.hidden,
      activation: this.activation,
      parameters,
      featureMean: this.featureMean,
      featureStd: this.featureStd,
      e0: extra.e0 ?? this.e0,
      energyShift: extra.energyShift ?? this.energyShift,
      offsetDetermined: extra.offsetDetermined ?? this.offsetDetermined,
    };
    const t = extra.training ?? this.training;
    if (t !== undefined) o.training = t;
    return new NNPotential(o);
  }

  toJSON(): NNModelJSON {
    const size = this.descriptor.size;
    const c = this.net.count;
    const blocks = (a: Float64Array, m: number) => this.species.map((_, k) => Array.from(a.subarray(k * m, (k + 1) * m)));
    const json: NNModelJSON = {
      format: 'mlpot-model',
      version: 1,
      type: 'nn',
      descriptor: this.descriptor.toJSON(),
      species: [...this.species],
      layers: Array.from(this.net.sizes),
      activation: this.activation,
      parameters: blocks(this.parameters, c),
      featureScaling: { mean: blocks(this.featureMean, size), std: blocks(this.featureStd, size) },
      e0: Array.from(this.e0),
      offsetDetermined: this.offsetDetermined,
    };
    if (this.energyShift !== 0) json.energyShift = this.energyShift;
    if (this.training !== undefined) json.training = this.training;
    return json;
  }

  /** Rebuild from `toJSON()` output (after JSON.parse); errors name the offending field. */
  static fromJSON(json: unknown): NNPotential {
    const h = readModelHeader(json, 'nn');
    const { j, desc, bad } = h;
    const ns = desc.species.length;
    const layers = j['layers'];
    if (!Array.isArray(layers) || layers.length < 2 || layers.some((v) => !Number.isInteger(v) || (v as number) < 1)) bad('layers', `must be a list of positive integers [input, ...hidden, 1], got ${JSON.stringify(layers)}`);
    const ls = layers as number[];
    if (ls[0] !== desc.size) bad('layers', `must start with the descriptor size ${desc.size}, got ${ls[0]}`);
    if (ls[ls.length - 1] !== 1) bad('layers', `must end with 1 (atomic energy), got ${ls[ls.length - 1]}`);
    const act = j['activation'];
    if (typeof act !== 'string' || !ACTIVATIONS.includes(act as Activation)) bad('activation', `must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(act)}`);
    const net = new MLP(ls, act as Activation);
    const flat = (field: string, v: unknown, m: number): Float64Array => speciesBlocks(bad, field, v, ns, m);
    const params = flat('parameters', j['parameters'], net.count);
    const fs = j['featureScaling'];
    if (typeof fs !== 'object' || fs === null || Array.isArray(fs)) bad('featureScaling', 'must be an object {mean, std}');
    const fso = fs as { [k: string]: unknown };
    const mean = flat('featureScaling.mean', fso['mean'], desc.size);
    const std = flat('featureScaling.std', fso['std'], desc.size);
    if (std.some((v) => !(v > 0))) bad('featureScaling.std', 'must be positive');
    const opts: NNPotentialOptions = {
      descriptor: desc,
      hidden: ls.slice(1, -1),
      activation: act as Activation,
      parameters: params,
      featureMean: mean,
      featureStd: std,
      ...readOffsets(h),
    };
    const training = readTraining(h);
    if (training !== undefined) opts.training = training;
    return new NNPotential(opts);
  }
}
