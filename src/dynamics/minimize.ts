/**
 * Minimisers over the Optimizable contract, as init/step pairs, plus `minimize`.
 *
 * FIRE (Bitzek et al., PRL 97, 170201, 2006; the parameters of ASE's FIRE). It reuses the
 * velocity-Verlet update of the MD integrator with unit masses (`drift` as the axpy):
 *
 *   x <- x + dt v + dt^2/2 F          (displacement capped at maxStep in norm, as ASE)
 *   F' = -grad(x);  v <- v + dt/2 (F + F')
 *   P = F'.v
 *   v <- (1 - alpha) v + alpha |v| F'/|F'|
 *   P > 0 for more than N_min steps: dt <- min(dt f_inc, dt_max), alpha <- alpha f_alpha
 *   P <= 0: v <- 0, dt <- dt f_dec, alpha <- alpha_start
 *
 * | symbol   | variable    | default |
 * |----------|-------------|---------|
 * | dt       | dtStart     | 0.1     |
 * | dt_max   | dtMax       | 1.0     |
 * | N_min    | nMin        | 5       |
 * | f_inc    | fInc        | 1.1     |
 * | f_dec    | fDec        | 0.5     |
 * | alpha    | alphaStart  | 0.1     |
 * | f_alpha  | fAlpha      | 0.99    |
 * | maxStep  | maxStep (Å) | 0.2     |
 *
 * L-BFGS (Nocedal 1980; two-loop recursion) with memory m (default 20), initial inverse
 * Hessian gamma I, gamma = s.y / y.y of the newest pair (1/70 Å^2/eV before any pair, ASE's
 * default), the step capped so no atom (triplet of coordinates) moves more than maxStep (0.2 Å),
 * and a backtracking (halving) search on the Armijo condition E' <= E + 1e-4 t g.d (up to 10
 * halvings; accepted anyway when the energy change is at rounding level). Pairs with s.y <= 0
 * are skipped; a non-descent direction resets the memory.
 *
 * | symbol | meaning                 | variable       |
 * |--------|-------------------------|----------------|
 * | s_k    | x_{k+1} - x_k           | sMem[k]        |
 * | y_k    | g_{k+1} - g_k           | yMem[k]        |
 * | rho_k  | 1 / (y_k . s_k)         | rho[k]         |
 * | d      | search direction        | d              |
 */
import { ValidationError } from '../core/errors.js';
import { drift } from './integrator.js';
import type { Optimizable } from './optimizable.js';

/** State shared by all minimisers: coordinates, gradient and energy at the current point. */
export interface MinimizerState {
  x: Float64Array;
  g: Float64Array;
  energy: number;
  /** Objective evaluations so far. */
  evaluations: number;
}

export interface Minimizer<S extends MinimizerState = MinimizerState> {
  readonly name: string;
  init(opt: Optimizable): S;
  step(opt: Optimizable, state: S): void;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

// ---------------------------------------------------------------------------------------------

export interface FireOptions {
  dtStart?: number;
  dtMax?: number;
  nMin?: number;
  fInc?: number;
  fDec?: number;
  alphaStart?: number;
  fAlpha?: number;
  maxStep?: number;
}

export interface FireState extends MinimizerState {
  v: Float64Array;
  /** Force (-gradient) at the current point. */
  f: Float64Array;
  dx: Float64Array;
  dt: number;
  alpha: number;
  nPos: number;
}

export function fire(o: FireOptions = {}): Minimizer<FireState> {
  const dtStart = o.dtStart ?? 0.1, dtMax = o.dtMax ?? 1.0, nMin = o.nMin ?? 5;
  const fInc = o.fInc ?? 1.1, fDec = o.fDec ?? 0.5, alphaStart = o.alphaStart ?? 0.1, fAlpha = o.fAlpha ?? 0.99;
  const maxStep = o.maxStep ?? 0.2;
  for (const [k, v] of Object.entries({ dtStart, dtMax, fInc, fDec, alphaStart, fAlpha, maxStep })) {
    if (!(v > 0) || !Number.isFinite(v)) throw new ValidationError(`fire: ${k} must be a positive number, got ${v}`);
  }
  return {
    name: 'fire',
    init(opt) {
      const n = opt.dof();
      const x = new Float64Array(n), g = new Float64Array(n), f = new Float64Array(n);
      opt.getX(x);
      opt.setX(x);
      const energy = opt.energyAndGradient(g);
      for (let k = 0; k < n; k++) f[k] = -g[k]!;
      return { x, g, f, energy, evaluations: 1, v: new Float64Array(n), dx: new Float64Array(n), dt: dtStart, alpha: alphaStart, nPos: 0 };
    },
    step(opt, s) {
      const { x, v, f, g, dx } = s;
      const dt = s.dt;
      // velocity-Verlet drift with unit mass: dx = dt v + dt^2/2 F
      dx.fill(0);
      drift(dx, v, dt);
      drift(dx, f, 0.5 * dt * dt);
      const norm = Math.sqrt(dot(dx, dx));
      if (norm > maxStep) for (let k = 0; k < dx.length; k++) dx[k] = (dx[k]! * maxStep) / norm;
      drift(x, dx, 1);
      opt.setX(x);
      s.energy = opt.energyAndGradient(g);
      s.evaluations++;
      // kick: v += dt/2 (F_old + F_new); then F <- F_new
      drift(v, f, 0.5 * dt);
      for (let k = 0; k < f.length; k++) f[k] = -g[k]!;
      drift(v, f, 0.5 * dt);
      const p = dot(f, v);
      const vn = Math.sqrt(dot(v, v)), fn = Math.sqrt(dot(f, f));
      if (p > 0) {
        const mix = fn > 0 ? (s.alpha * vn) / fn : 0;
        for (let k = 0; k < v.length; k++) v[k] = (1 - s.alpha) * v[k]! + mix * f[k]!;
        if (s.nPos > nMin) {
          s.dt = Math.min(s.dt * fInc, dtMax);
          s.alpha *= fAlpha;
        }
        s.nPos++;
      } else {
        v.fill(0);
        s.dt *= fDec;
        s.alpha = alphaStart;
        s.nPos = 0;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface LbfgsOptions {
  /** Number of stored correction pairs (default 20). */
  memory?: number;
  /** Largest displacement of one atom (coordinate triplet) per step, Å (default 0.2). */
  maxStep?: number;
  /** Initial inverse-Hessian scale before any pair is stored, 1/alpha in Å^2/eV (default 1/70). */
  initialInverseHessian?: number;
}

export interface LbfgsState extends MinimizerState {
  sMem: Float64Array[];
  yMem: Float64Array[];
  rho: Float64Array;
  alphaBuf: Float64Array;
  /** Number of stored pairs and index of the newest. */
  count: number;
  head: number;
  d: Float64Array;
  xTrial: Float64Array;
  gTrial: Float64Array;
}

export function lbfgs(o: LbfgsOptions = {}): Minimizer<LbfgsState> {
  const m = o.memory ?? 20;
  if (!Number.isInteger(m) || m < 1) throw new ValidationError(`lbfgs: memory must be a positive integer, got ${m}`);
  const maxStep = o.maxStep ?? 0.2;
  if (!(maxStep > 0)) throw new ValidationError(`lbfgs: maxStep must be positive, got ${maxStep}`);
  const h0Default = o.initialInverseHessian ?? 1 / 70;

  const direction = (s: LbfgsState) => {
    const { g, d, sMem, yMem, rho, alphaBuf } = s;
    d.set(g);
    for (let c = 0; c < s.count; c++) {
      const k = (s.head - c + m) % m;
      const a = rho[k]! * dot(sMem[k]!, d);
      alphaBuf[k] = a;
      const y = yMem[k]!;
      for (let q = 0; q < d.length; q++) d[q] = d[q]! - a * y[q]!;
    }
    let h0 = h0Default;
    if (s.count > 0) {
      const y = yMem[s.head]!;
      h0 = dot(sMem[s.head]!, y) / dot(y, y);
    }
    for (let q = 0; q < d.length; q++) d[q] = d[q]! * h0;
    for (let c = s.count - 1; c >= 0; c--) {
      const k = (s.head - c + m) % m;
      const b = rho[k]! * dot(yMem[k]!, d);
      const sk = sMem[k]!;
      const coef = alphaBuf[k]! - b;
      for (let q = 0; q < d.length; q++) d[q] = d[q]! + coef * sk[q]!;
    }
    for (let q = 0; q < d.length; q++) d[q] = -d[q]!;
  };

  return {
    name: 'lbfgs',
    init(opt) {
      const n = opt.dof();
      const x = new Float64Array(n), g = new Float64Array(n);
      opt.getX(x);
      opt.setX(x);
      const energy = opt.energyAndGradient(g);
      return {
        x, g, energy, evaluations: 1,
        sMem: Array.from({ length: m }, () => new Float64Array(n)),
        yMem: Array.from({ length: m }, () => new Float64Array(n)),
        rho: new Float64Array(m), alphaBuf: new Float64Array(m),
        count: 0, head: m - 1,
        d: new Float64Array(n), xTrial: new Float64Array(n), gTrial: new Float64Array(n),
      };
    },
    step(opt, s) {
      const { x, g, d, xTrial, gTrial } = s;
      direction(s);
      let gd = dot(g, d);
      if (!(gd < 0)) {
        s.count = 0;
        for (let q = 0; q < d.length; q++) d[q] = -h0Default * g[q]!;
        gd = dot(g, d);
      }
      // cap the largest per-atom displacement
      let big = 0;
      for (let q = 0; q + 2 < d.length; q += 3) big = Math.max(big, Math.hypot(d[q]!, d[q + 1]!, d[q + 2]!));
      for (let q = d.length - (d.length % 3); q < d.length; q++) big = Math.max(big, Math.abs(d[q]!));
      let t = big > maxStep ? maxStep / big : 1;
      let eTrial = NaN;
      for (let tries = 0; ; tries++) {
        for (let q = 0; q < x.length; q++) xTrial[q] = x[q]! + t * d[q]!;
        opt.setX(xTrial);
        eTrial = opt.energyAndGradient(gTrial);
        s.evaluations++;
        const tol = 1e-14 * Math.max(1, Math.abs(s.energy));
        if (eTrial <= s.energy + 1e-4 * t * gd || Math.abs(eTrial - s.energy) <= tol || tries >= 10) break;
        t *= 0.5;
      }
      // update memory with the accepted step
      let sy = 0;
      for (let q = 0; q < x.length; q++) sy += (xTrial[q]! - x[q]!) * (gTrial[q]! - g[q]!);
      if (sy > 1e-300 && Number.isFinite(sy)) {
        const next = (s.head + 1) % m;
        const sk = s.sMem[next]!, yk = s.yMem[next]!;
        for (let q = 0; q < x.length; q++) {
          sk[q] = xTrial[q]! - x[q]!;
          yk[q] = gTrial[q]! - g[q]!;
        }
        s.rho[next] = 1 / sy;
        s.head = next;
        s.count = Math.min(s.count + 1, m);
      }
      x.set(xTrial);
      g.set(gTrial);
      s.energy = eTrial;
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface MinimizeOptions {
  /** Converged when every atomic force is below fmax (eV/Å). */
  fmax: number;
  /** For optimizables with a cell: converged also needs max |sigma + P I| below this (GPa; default 1e-3). */
  smaxGPa?: number;
  /** Give up after this many steps (default 1000). */
  maxSteps?: number;
  /** Minimiser (default lbfgs()). */
  minimizer?: Minimizer<MinimizerState>;
  /** Called after every step. */
  onStep?: (step: number, state: MinimizerState, opt: Optimizable) => void;
}

export interface MinimizeResult {
  converged: boolean;
  steps: number;
  /** Objective at the end (eV; the enthalpy for cell relaxations). */
  energy: number;
  /** Largest atomic force at the end (eV/Å). */
  fmax: number;
  /** Largest stress residual at the end (GPa), for cell relaxations. */
  smaxGPa?: number;
  evaluations: number;
}

/** Run a minimiser until forces (and stress) are below the thresholds or maxSteps is reached. */
export function minimize(opt: Optimizable, o: MinimizeOptions): MinimizeResult {
  if (!(o.fmax > 0)) throw new ValidationError(`minimize: fmax must be positive (eV/Å), got ${o.fmax}`);
  const smax = o.smaxGPa ?? 1e-3;
  const maxSteps = o.maxSteps ?? 1000;
  const mz: Minimizer<MinimizerState> = o.minimizer ?? lbfgs();
  const st = mz.init(opt);
  const converged = () => opt.maxForce() < o.fmax && (opt.maxStress === undefined || opt.maxStress() < smax);
  let steps = 0;
  while (!converged() && steps < maxSteps) {
    mz.step(opt, st);
    steps++;
    o.onStep?.(steps, st, opt);
    if (!Number.isFinite(st.energy)) break;
  }
  const res: MinimizeResult = { converged: converged(), steps, energy: st.energy, fmax: opt.maxForce(), evaluations: st.evaluations };
  if (opt.maxStress) res.smaxGPa = opt.maxStress();
  return res;
}
