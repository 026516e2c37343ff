/**
 * ForceEngine: the explicit caching wrapper around a Potential for MD and minimisation.
 *
 * It owns a neighbour list with a skin and preallocated output buffers (passed to the
 * potential as `ctx.out`). Before every evaluation it decides whether the list is still valid:
 *
 * - cell unchanged: `needsRebuild` (some atom moved more than skin/2 since the build);
 * - cell changed (barostat, cell relaxation): `needsRebuild` in neighbors/ treats any cell change
 *   as a reason to rebuild, which would rebuild on every NPT step. Here the change is split into
 *   the affine part M = H_ref^-1 H (cell rows H) and per-atom residual displacements
 *   u_i = x_i - x_ref,i M. Every pair distance satisfies |d_now| >= s_min(M) |d_ref| - |u_j - u_i|,
 *   with s_min(M) >= 1 - ||M - I||_F, so the list (pairs with |d_ref| < r_c + skin) still holds
 *   every pair with |d_now| < r_c as long as 2 max_i |u_i| <= (1 - ||M - I||_F)(r_c + skin) - r_c.
 *   Otherwise it rebuilds; if it does not, the Cartesian image shifts are refreshed for the new
 *   cell with `refreshShifts` (once per cell change).
 *
 * Rebuilds are counted (`rebuilds`). Forces on fixed atoms are zeroed by `evaluate`.
 */
import { inv3 } from '../core/mat3.js';
import { ValidationError } from '../core/errors.js';
import { buildNeighborList } from '../neighbors/build.js';
import { needsRebuild, refreshShifts, type NeighborList } from '../neighbors/neighbor-list.js';
import type { ComputeRequest, Potential } from '../potentials/potential.js';
import type { Structure } from '../structure/structure.js';
import type { MDState } from './state.js';

export interface ForceEngineOptions {
  /** Neighbour-list skin in Å (default 1 Å). */
  skinA?: number;
}

export interface EngineResult {
  energy: number;
  /** The engine's own buffer (overwritten by the next evaluation). */
  forces: Float64Array;
  /** The engine's own buffer, or null when stress was not requested. */
  stress: Float64Array | null;
}

/** Neighbour-list reference data needed to rebuild the identical list (for bit-exact restarts). */
export interface EngineListState {
  refPositions: Float64Array;
  refCell: Float64Array;
  /** Cell the image shifts were last refreshed for. */
  shiftCell: Float64Array;
}

export class ForceEngine {
  readonly potential: Potential;
  readonly skin: number;
  /** Number of neighbour-list builds so far. */
  rebuilds = 0;
  /** Number of potential evaluations so far. */
  evaluations = 0;
  private list: NeighborList | null = null;
  private readonly shiftCell = new Float64Array(9);
  private forces = new Float64Array(0);
  private readonly stressBuf = new Float64Array(6);
  private readonly m = new Float64Array(9);
  private readonly hinv = new Float64Array(9);
  private readonly request: ComputeRequest = { forces: true, stress: false };
  /** Reused compute context (no allocation per step on our side). */
  private readonly ctx: { neighbors: NeighborList | undefined; out: { forces?: Float64Array; stress?: Float64Array } } = { neighbors: undefined, out: {} };

  constructor(potential: Potential, opts: ForceEngineOptions = {}) {
    this.potential = potential;
    const skin = opts.skinA ?? 1;
    if (!(skin >= 0) || !Number.isFinite(skin)) throw new ValidationError(`force engine skin must be a finite number of Å >= 0, got ${skin}`);
    this.skin = skin;
  }

  /** The current neighbour list (null before the first evaluation). */
  get neighbors(): NeighborList | null {
    return this.list;
  }

  /** Energy, forces (and stress) of `s` at its current positions and cell. */
  compute(s: Structure, opts: { stress?: boolean } = {}): EngineResult {
    const n = s.length;
    if (this.forces.length !== 3 * n) this.forces = new Float64Array(3 * n);
    this.ensureList(s);
    this.request.stress = !!opts.stress;
    const ctx = this.ctx;
    ctx.neighbors = this.list!;
    ctx.out.forces = this.forces;
    ctx.out.stress = opts.stress ? this.stressBuf : undefined;
    const res = this.potential.compute(s, this.request, ctx);
    this.evaluations++;
    if (res.forces && res.forces !== this.forces) this.forces.set(res.forces);
    if (opts.stress && res.stress && res.stress !== this.stressBuf) this.stressBuf.set(res.stress);
    return { energy: res.energy, forces: this.forces, stress: opts.stress ? this.stressBuf : null };
  }

  /** Fill state.forces / energy / stress; forces on fixed atoms are set to zero. */
  evaluate(state: MDState, opts: { stress?: boolean } = {}): void {
    const r = this.compute(state.structure, opts);
    state.forces.set(r.forces);
    const fx = state.fixed, f = state.forces;
    for (let i = 0; i < fx.length; i++) if (fx[i]) f[3 * i] = f[3 * i + 1] = f[3 * i + 2] = 0;
    state.energy = r.energy;
    if (r.stress) {
      if (!state.stress) state.stress = new Float64Array(6);
      state.stress.set(r.stress);
    } else {
      state.stress = null;
    }
  }

  /** Forget the list (next evaluation rebuilds). */
  reset(): void {
    this.list = null;
  }

  /** Reference data of the current list, or null. */
  getListState(): EngineListState | null {
    if (!this.list) return null;
    return { refPositions: this.list.refPositions.slice(), refCell: this.list.refCell.slice(), shiftCell: this.shiftCell.slice() };
  }

  /**
   * Rebuild the list from stored reference data (same positions and cell as the original build,
   * so the deterministic builder produces the identical list), then refresh shifts as before.
   */
  setListState(s: Structure, st: EngineListState | null): void {
    if (!st) {
      this.list = null;
      return;
    }
    this.list = buildNeighborList({ positions: st.refPositions, cell: st.refCell, pbc: s.pbc }, this.potential.cutoff, { skin: this.skin });
    this.shiftCell.set(st.refCell);
    if (!sameCell(st.shiftCell, st.refCell)) {
      refreshShifts(this.list, st.shiftCell);
      this.shiftCell.set(st.shiftCell);
    }
  }

  private build(s: Structure): void {
    this.list = buildNeighborList(s, this.potential.cutoff, { skin: this.skin });
    this.shiftCell.set(s.cell);
    this.rebuilds++;
  }

  private ensureList(s: Structure): void {
    const nl = this.list;
    if (!nl || nl.n !== s.length) return this.build(s);
    const cell = s.cell;
    if (sameCell(cell, nl.refCell)) {
      if (needsRebuild(nl, s.positions, cell)) return this.build(s);
      if (!sameCell(this.shiftCell, cell)) {
        refreshShifts(nl, cell);
        this.shiftCell.set(cell);
      }
      return;
    }
    if (!this.strainedListValid(nl, s)) return this.build(s);
    if (!sameCell(this.shiftCell, cell)) {
      refreshShifts(nl, cell);
      this.shiftCell.set(cell);
    }
  }

  /** The strain-aware validity test of the module doc. */
  private strainedListValid(nl: NeighborList, s: Structure): boolean {
    const pbcAll = s.pbc[0] && s.pbc[1] && s.pbc[2];
    if (!pbcAll) return false; // a cell change with open directions: rebuild (rare)
    const h0inv = inv3(nl.refCell, this.hinv);
    const m = this.m;
    // M = H_ref^-1 H  (row-vector convention: x_now ~ x_ref M)
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let t = 0;
        for (let k = 0; k < 3; k++) t += h0inv[3 * a + k]! * s.cell[3 * k + b]!;
        m[3 * a + b] = t;
      }
    let dev = 0;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) dev += (m[3 * a + b]! - (a === b ? 1 : 0)) ** 2;
    const smin = 1 - Math.sqrt(dev);
    const budget = smin * (nl.cutoff + nl.skin) - this.potential.cutoff;
    if (!(budget > 0)) return false;
    const lim2 = 0.25 * budget * budget;
    const x = s.positions, r = nl.refPositions;
    for (let i = 0; i < x.length; i += 3) {
      const rx = r[i]!, ry = r[i + 1]!, rz = r[i + 2]!;
      const ux = x[i]! - (rx * m[0]! + ry * m[3]! + rz * m[6]!);
      const uy = x[i + 1]! - (rx * m[1]! + ry * m[4]! + rz * m[7]!);
      const uz = x[i + 2]! - (rx * m[2]! + ry * m[5]! + rz * m[8]!);
      if (ux * ux + uy * uy + uz * uz > lim2) return false;
    }
    return true;
  }
}

function sameCell(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let k = 0; k < 9; k++) if (a[k] !== b[k]) return false;
  return true;
}
