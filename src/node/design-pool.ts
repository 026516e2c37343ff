/**
 * Parallel design rows for linear fits (Node only): `computeLinearDesigns` spreads the per-frame
 * work of `frameDesign` (neighbour list, descriptor features and per-pair derivatives, force and
 * virial rows: ~90 % of a linear fit) over worker threads and returns the designs in frame order,
 * for `LinearFitOptions.designs` / `CrossValidateOptions.designs`. The fit then accumulates them in
 * frame order, so the result is bit-identical to the serial fit.
 *
 * Protocol: each worker rebuilds the descriptor from its JSON (`descriptorFromJSON`) and, when this
 * thread uses OpenBLAS, enables it too (one BLAS thread per worker while they run); the main
 * thread hands out one frame at a time (positions, numbers, cell, pbc and what rows it needs) to
 * whichever worker is free; the worker answers with the design's arrays, transferred (not copied).
 * A frame the worker cannot design (overlapping atoms, an unknown element) rejects the whole call with
 * the worker's message (a ValidationError names the frame); a worker that dies rejects with an
 * MlpotError 'WORKER'. Workers are terminated when the call ends, whatever the outcome.
 *
 * Memory: all designs are held at once (the force rows are 3N x columns per frame), which a
 * cross-validation keeps anyway; the serial path of `fitLinear` holds one frame's rows at a time.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MlpotError, ParameterError, ValidationError } from '../core/errors.js';
import type { Descriptor } from '../descriptors/descriptor.js';
import type { LinearDesign } from '../models/linear.js';
import { linalgBackendName } from '../core/linalg.js';
import type { Structure } from '../structure/structure.js';
import { frameDesign, type DesignWant } from '../training/linear-fit.js';
import { loadNativeLinalg } from './linalg-native.js';

/** The compiled worker script next to this module. */
export const DESIGN_WORKER_URL = new URL('./design-pool.worker.js', import.meta.url);

export interface DesignPoolOptions {
  /** Worker threads (default: `defaultDesignWorkers()`); 0 or 1 computes in this thread. */
  workers?: number;
  /** Called after each frame (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A frame sent to a worker. */
export interface DesignJob {
  id: number;
  numbers: Int32Array;
  positions: Float64Array;
  cell: Float64Array;
  pbc: [boolean, boolean, boolean];
  want: DesignWant;
}

/** A worker's answer: the design, or the error it raised. */
export type DesignReply =
  | { id: number; design: LinearDesign }
  | { id: number; error: { name: string; message: string } };

/** Bytes the designs of `frames` take (features, energy and force/virial rows), for a memory check before a pooled fit. */
export function designBytes(desc: Descriptor, frames: readonly Structure[], wants: readonly DesignWant[]): number {
  const ncol = desc.species.length * desc.size;
  let b = 0;
  frames.forEach((s, i) => {
    const n = s.length;
    b += 8 * (n * desc.size + ncol + (wants[i]?.forces ? 3 * n * ncol : 0) + (wants[i]?.virial ? 6 * ncol : 0));
  });
  return b;
}

/** Worker threads used by default: one per available CPU, at most 8. */
export function defaultDesignWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** The design rows of every frame (see the module comment); `wants[i]` says what frame i needs. */
export async function computeLinearDesigns(desc: Descriptor, frames: readonly Structure[], wants: readonly DesignWant[], opts: DesignPoolOptions = {}): Promise<LinearDesign[]> {
  if (wants.length !== frames.length) throw new ValidationError(`computeLinearDesigns: ${wants.length} wants for ${frames.length} frames`);
  const total = frames.length;
  const nWorkers = Math.min(opts.workers ?? defaultDesignWorkers(), total);
  if (!Number.isInteger(nWorkers) || nWorkers < 0) throw new ValidationError(`computeLinearDesigns: workers must be an integer >= 0, got ${opts.workers}`);
  const out = new Array<LinearDesign>(total);
  if (nWorkers <= 1) {
    for (let i = 0; i < total; i++) {
      out[i] = frameDesign(desc, frames[i]!, i, wants[i]!);
      opts.onProgress?.(i + 1, total);
    }
    return out;
  }
  const descriptor = desc.toJSON();
  // the workers use the same linear-algebra backend as this thread (the design GEMMs give the same bits);
  // OpenBLAS runs one thread per worker meanwhile (its thread count is process-wide), restored after
  const nativeLinalg = linalgBackendName() === 'openblas';
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0, done = 0, failed = false;
      const fail = (e: Error): void => {
        if (!failed) {
          failed = true;
          reject(e);
        }
      };
      const send = (w: Worker): void => {
        if (failed || next >= total) return;
        const i = next++;
        const s = frames[i]!;
        const job: DesignJob = { id: i, numbers: s.numbers, positions: s.positions, cell: s.cell, pbc: s.pbc, want: wants[i]! };
        w.postMessage(job);
      };
      for (let k = 0; k < nWorkers; k++) {
        const w = new Worker(DESIGN_WORKER_URL, { workerData: { descriptor, nativeLinalg } });
        workers.push(w);
        w.on('message', (m: DesignReply) => {
          if ('error' in m) {
            // the frame's own errors keep their class and message (as in the serial path); others name the worker
            const { name, message } = m.error;
            fail(name === 'ValidationError' ? new ValidationError(message) : name === 'ParameterError' ? new ParameterError(message) : new MlpotError('WORKER', `design worker ${k}, frame ${m.id}: ${name}: ${message}`));
            return;
          }
          out[m.id] = m.design;
          done++;
          opts.onProgress?.(done, total);
          if (done === total) resolve();
          else send(w);
        });
        w.on('error', (e) => fail(new MlpotError('WORKER', `design worker ${k} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`)));
        w.on('exit', (code) => {
          if (done < total) fail(new MlpotError('WORKER', `design worker ${k} exited (code ${code}) with ${total - done} frame(s) not designed`));
        });
        send(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    if (nativeLinalg) loadNativeLinalg().setThreads?.(Number(process.env['OPENBLAS_NUM_THREADS']) || availableParallelism());
  }
  return out;
}
