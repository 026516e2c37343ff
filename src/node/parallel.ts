/**
 * Parallel force evaluation with worker threads (Node only): `ParallelPotential` implements the
 * synchronous Potential contract by splitting the central atoms between the main thread and
 * `nWorkers` workers, using the optional `ctx.atomRange` of the contract ("compute only the terms
 * owned by central atoms start..end-1").
 *
 * Data flow per `compute(s, request, ctx)`:
 *
 *   main: copy positions (3N), numbers (N), cell and pbc into SharedArrayBuffers; on a new
 *         neighbour list also copy its reference positions/cell (the worker rebuilds its own list
 *         from them with the same deterministic builder, cutoff and skin, so it holds the same
 *         pairs); split rows 0..N-1 into contiguous ranges of about equal pair count;
 *         store the command and bump GO (Atomics.notify)             -> every worker
 *   main: compute its own range on the caller's list into the caller's output buffers
 *   worker: Atomics.wait(GO) wakes, refreshes its list's image shifts if the cell changed, runs
 *         its potential on its range into its own shared force / per-atom-energy buffers and
 *         writes energy and stress into a shared result slot, bumps DONE (Atomics.notify)
 *   main: Atomics.wait(DONE) for every worker, then sums the workers' buffers into its result.
 *
 * With one worker both cores work (the main thread computes one share itself). The sum differs
 * from the serial result only in the order of floating-point additions (~1e-15 relative).
 *
 * Requirements. The underlying potential must declare `capabilities.atomRange` (terms organised
 * by central atom over a full list, e.g. Stillinger-Weber); others are rejected. The image
 * shifts of `ctx.neighbors` must be those of `s.cell` (ForceEngine guarantees this); a list object
 * the ParallelPotential has not seen before (ForceEngine builds a new one on every rebuild)
 * triggers a rebuild in the workers. Without `ctx.neighbors` a list (no skin) is built per call.
 *
 * Errors thrown in a worker come back as an MlpotError with code 'WORKER' naming the worker and
 * the original message; a worker that does not answer within `timeoutMs` raises 'WORKER_TIMEOUT'.
 * Workers are unref'ed (they never keep the process alive); `close()` ends them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { MlpotError, ValidationError } from '../core/errors.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import { DEFAULT_REQUEST, type Capabilities, type ComputeContext, type ComputeRequest, type ComputeResult, type Potential } from '../potentials/potential.js';
import { neighborsFor } from '../neighbors/checked.js';
import type { Structure } from '../structure/structure.js';
import { loadPotential } from './potentials.js';

/** Layout of the per-worker control array (Int32Array over a SharedArrayBuffer). */
export const CTRL = {
  /** Command sequence number, bumped by the main thread for every command. */
  GO: 0,
  /** Sequence number of the last command the worker finished. */
  DONE: 1,
  /** 0 = ok, 1 = the command failed (message on the port). */
  STATUS: 2,
  /** Command bits (FLAG_*). */
  FLAGS: 3,
  START: 4,
  END: 5,
  /** pbc bits (1, 2, 4 for a, b, c). */
  PBC: 6,
  /** Set to 1 by a worker that cannot continue (message on the port). */
  FATAL: 7,
  SIZE: 8,
} as const;

export const FLAG = {
  /** New shared buffers: read them from the port first. */
  SETUP: 1,
  /** Rebuild the neighbour list from the shared reference positions/cell. */
  REBUILD: 2,
  FORCES: 4,
  STRESS: 8,
  ENERGIES: 16,
  EXIT: 32,
} as const;

/** Layout of the shared Float64 parameter block. */
export const PARAM = { CELL: 0, REF_CELL: 9, CUTOFF: 18, SKIN: 19, SIZE: 20 } as const;

/** Shared buffers of one size N, sent to a worker with FLAG.SETUP. */
export interface SharedBuffers {
  n: number;
  positions: SharedArrayBuffer; // 3N f64
  numbers: SharedArrayBuffer; // N i32
  refPositions: SharedArrayBuffer; // 3N f64
  params: SharedArrayBuffer; // PARAM.SIZE f64
  /** This worker's outputs. */
  forces: SharedArrayBuffer; // 3N f64
  energies: SharedArrayBuffer; // N f64
  result: SharedArrayBuffer; // 7 f64: energy, stress (6)
}

/** What the worker receives as `workerData`. */
export interface WorkerInit {
  spec: string;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
  index: number;
}

export interface ParallelOptions {
  /** Longest wait for a worker's answer, ms (default 600000). */
  timeoutMs?: number;
  /** Fraction of the pairs the main thread computes itself (default 1/(nWorkers+1)). */
  mainShare?: number;
}

interface WorkerHandle {
  worker: Worker;
  ctrl: Int32Array;
  port: MessagePort;
  forces: Float64Array<SharedArrayBuffer>;
  energies: Float64Array<SharedArrayBuffer>;
  result: Float64Array<SharedArrayBuffer>;
}

/** The compiled worker script next to this module. */
export const WORKER_URL = new URL('./parallel.worker.js', import.meta.url);

export class ParallelPotential implements Potential {
  readonly name: string;
  readonly cutoff: number;
  readonly capabilities: Capabilities;
  readonly species?: readonly number[];
  readonly nWorkers: number;
  /** The main thread's own copy of the potential. */
  readonly inner: Potential;
  /** Number of neighbour-list rebuilds requested from the workers. */
  workerRebuilds = 0;

  private readonly workers: WorkerHandle[] = [];
  private readonly timeoutMs: number;
  private readonly mainShare: number;
  private seq = 0;
  private closed = false;
  private n = -1;
  private positions = new Float64Array(new SharedArrayBuffer(8));
  private numbers = new Int32Array(new SharedArrayBuffer(8));
  private refPositions = new Float64Array(new SharedArrayBuffer(8));
  private params = new Float64Array(new SharedArrayBuffer(8));
  private lastList: NeighborList | null = null;
  private readonly ranges: Int32Array;
  private readonly innerCtx: ComputeContext = { neighbors: undefined, out: {} };

  /**
   * @param spec potential spec as on the command line ("sw", "sw:Si.sw", ...), built by every
   *             thread with `loadPotential` (parameter files read from disk)
   * @param nWorkers worker threads besides the main thread (>= 0)
   */
  constructor(spec: string, nWorkers: number, opts: ParallelOptions = {}) {
    if (!Number.isInteger(nWorkers) || nWorkers < 0) throw new ValidationError(`parallel: nWorkers must be an integer >= 0, got ${nWorkers}`);
    const inner = loadPotential(spec);
    if (!inner.capabilities.atomRange) {
      throw new ValidationError(`parallel: ${inner.name} does not declare capabilities.atomRange (computing only the terms of a range of central atoms), so its work cannot be split between threads`);
    }
    const share = opts.mainShare ?? 1 / (nWorkers + 1);
    if (!(share >= 0 && share <= 1)) throw new ValidationError(`parallel: mainShare must be in [0, 1], got ${share}`);
    this.inner = inner;
    this.name = `parallel(${inner.name}, ${nWorkers} workers)`;
    this.cutoff = inner.cutoff;
    this.capabilities = { ...inner.capabilities, uncertainty: false };
    if (inner.species) this.species = inner.species;
    this.nWorkers = nWorkers;
    this.timeoutMs = opts.timeoutMs ?? 600000;
    this.mainShare = share;
    this.ranges = new Int32Array(2 * (nWorkers + 1));
    if (nWorkers > 0 && !existsSync(fileURLToPath(WORKER_URL))) {
      throw new MlpotError('WORKER', `parallel: worker script ${fileURLToPath(WORKER_URL)} not found (run the compiled .js build, not the .ts sources)`);
    }
    for (let k = 0; k < nWorkers; k++) {
      const ctrlBuf = new SharedArrayBuffer(CTRL.SIZE * 4);
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { spec, ctrl: ctrlBuf, port: port2, index: k };
      const worker = new Worker(WORKER_URL, { workerData: init, transferList: [port2] });
      worker.unref();
      port1.unref();
      // errors are reported through the control block; keep 'error' from becoming uncaught
      worker.on('error', () => undefined);
      this.workers.push({ worker, ctrl: new Int32Array(ctrlBuf), port: port1, forces: new Float64Array(new SharedArrayBuffer(8)), energies: new Float64Array(new SharedArrayBuffer(8)), result: new Float64Array(new SharedArrayBuffer(56)) });
    }
  }

  compute(s: Structure, request: ComputeRequest = DEFAULT_REQUEST, ctx?: ComputeContext): ComputeResult {
    if (this.closed) throw new MlpotError('WORKER', `${this.name}: compute() after close()`);
    if (this.nWorkers === 0) return this.inner.compute(s, request, ctx);
    const n = s.length;
    let flags = 0;
    if (n !== this.n) {
      this.setup(n);
      flags |= FLAG.SETUP;
    }
    // neighbour list: the caller's, or one built here (no skin)
    const nl = neighborsFor(s, this.cutoff, this.name, ctx?.neighbors);
    if (nl !== this.lastList || flags & FLAG.SETUP) {
      flags |= FLAG.REBUILD;
      this.refPositions.set(nl.refPositions);
      this.params.set(nl.refCell, PARAM.REF_CELL);
      this.params[PARAM.CUTOFF] = nl.cutoff;
      this.params[PARAM.SKIN] = nl.skin;
      this.lastList = nl;
      this.workerRebuilds++;
    }
    this.positions.set(s.positions);
    this.numbers.set(s.numbers);
    this.params.set(s.cell, PARAM.CELL);
    if (request.forces) flags |= FLAG.FORCES;
    if (request.stress) flags |= FLAG.STRESS;
    if (request.energies) flags |= FLAG.ENERGIES;
    const pbc = (s.pbc[0] ? 1 : 0) | (s.pbc[1] ? 2 : 0) | (s.pbc[2] ? 4 : 0);
    this.split(nl);
    // hand out the work
    const seq = ++this.seq;
    const r = this.ranges;
    for (let k = 0; k < this.workers.length; k++) {
      const w = this.workers[k]!;
      if (flags & FLAG.SETUP) w.port.postMessage(this.buffersFor(k));
      const c = w.ctrl;
      c[CTRL.FLAGS] = flags;
      c[CTRL.START] = r[2 * (k + 1)]!;
      c[CTRL.END] = r[2 * (k + 1) + 1]!;
      c[CTRL.PBC] = pbc;
      c[CTRL.STATUS] = 0;
      Atomics.store(c, CTRL.GO, seq);
      Atomics.notify(c, CTRL.GO);
    }
    // the main thread's own share
    const ictx = this.innerCtx;
    ictx.neighbors = nl;
    ictx.out = ctx?.out ?? {};
    ictx.atomRange = { start: r[0]!, end: r[1]! };
    let res: ComputeResult | null = null;
    let mainError: unknown = null;
    try {
      res = this.inner.compute(s, request, ictx);
    } catch (e) {
      mainError = e;
    }
    // never leave workers running into the next command, even when our share threw
    this.waitAll(seq);
    const workerError = this.collectWorkerErrors();
    if (mainError !== null) throw mainError;
    if (workerError) throw workerError;
    if (!res) throw new MlpotError('WORKER', `${this.name}: no result`);
    // sum the workers' shares
    let energy = res.energy;
    for (const w of this.workers) {
      energy += w.result[0]!;
      if (res.forces) {
        const f = res.forces, wf = w.forces;
        for (let q = 0; q < 3 * n; q++) f[q] = f[q]! + wf[q]!;
      }
      if (res.energies) {
        const e = res.energies, we = w.energies;
        for (let q = 0; q < n; q++) e[q] = e[q]! + we[q]!;
      }
      if (res.stress) for (let q = 0; q < 6; q++) res.stress[q] = res.stress[q]! + w.result[1 + q]!;
    }
    res.energy = energy;
    if (!Number.isFinite(energy)) throw new ValidationError(`${this.name} produced a non-finite energy (${energy}); check the structure and parameters`);
    return res;
  }

  /** End the workers. Further compute() calls throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const seq = ++this.seq;
    for (const w of this.workers) {
      w.ctrl[CTRL.FLAGS] = FLAG.EXIT;
      Atomics.store(w.ctrl, CTRL.GO, seq);
      Atomics.notify(w.ctrl, CTRL.GO);
    }
    await Promise.all(this.workers.map(async (w) => {
      w.port.close();
      await w.worker.terminate();
    }));
  }

  private setup(n: number): void {
    this.n = n;
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));
    this.positions = new Float64Array(sab(24 * n));
    this.numbers = new Int32Array(sab(4 * n));
    this.refPositions = new Float64Array(sab(24 * n));
    this.params = new Float64Array(sab(8 * PARAM.SIZE));
    for (const w of this.workers) {
      w.forces = new Float64Array(sab(24 * n));
      w.energies = new Float64Array(sab(8 * n));
      w.result = new Float64Array(sab(8 * 7));
    }
    this.lastList = null;
  }

  private buffersFor(k: number): SharedBuffers {
    const w = this.workers[k]!;
    return {
      n: this.n,
      positions: this.positions.buffer,
      numbers: this.numbers.buffer,
      refPositions: this.refPositions.buffer,
      params: this.params.buffer,
      forces: w.forces.buffer,
      energies: w.energies.buffer,
      result: w.result.buffer,
    };
  }

  /** Contiguous row ranges with about equal pair counts (main thread first). */
  private split(nl: NeighborList): void {
    const off = nl.offsets, n = nl.n, parts = this.nWorkers + 1, r = this.ranges;
    const total = off[n]!;
    let start = 0;
    let i = 0;
    for (let k = 0; k < parts; k++) {
      const frac = k === parts - 1 ? 1 : this.mainShare + (k * (1 - this.mainShare)) / (parts - 1);
      const target = frac * total;
      if (k === parts - 1) i = n;
      else while (i < n && off[i]! < target) i++;
      r[2 * k] = start;
      r[2 * k + 1] = i;
      start = i;
    }
  }

  private waitAll(seq: number): void {
    const t0 = Date.now();
    for (let k = 0; k < this.workers.length; k++) {
      const c = this.workers[k]!.ctrl;
      for (;;) {
        const done = Atomics.load(c, CTRL.DONE);
        if (done === seq) break;
        if (Atomics.load(c, CTRL.FATAL)) throw new MlpotError('WORKER', `${this.name}: worker ${k} failed: ${this.portMessage(k)}`);
        const left = this.timeoutMs - (Date.now() - t0);
        if (left <= 0) throw new MlpotError('WORKER_TIMEOUT', `${this.name}: worker ${k} did not answer within ${this.timeoutMs} ms`);
        Atomics.wait(c, CTRL.DONE, done, Math.min(left, 1000));
      }
    }
  }

  /** The first worker error of the last command (every worker's message is taken off its port). */
  private collectWorkerErrors(): MlpotError | null {
    let first: MlpotError | null = null;
    for (let k = 0; k < this.workers.length; k++) {
      if (this.workers[k]!.ctrl[CTRL.STATUS] === 0) continue;
      const e = new MlpotError('WORKER', `${this.name}: worker ${k}: ${this.portMessage(k)}`);
      first ??= e;
    }
    return first;
  }

  private portMessage(k: number): string {
    const m = receiveMessageOnPort(this.workers[k]!.port);
    const msg = m?.message as { error?: string } | undefined;
    return msg?.error ?? '(no message)';
  }
}
