/**
 * Worker side of `computeLinearDesigns` (design-pool.ts): rebuilds the descriptor from its JSON,
 * then answers each frame with its design rows (arrays transferred) or the error it raised.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { descriptorFromJSON } from '../descriptors/registry.js';
import { Structure } from '../structure/structure.js';
import { frameDesign } from '../training/linear-fit.js';
import type { DesignJob, DesignReply } from './design-pool.js';
import { enableNativeLinalg } from './linalg-native.js';

const port = parentPort!;
const init = workerData as { descriptor: Record<string, unknown>; nativeLinalg: boolean };
if (init.nativeLinalg && !enableNativeLinalg({ threads: 1 })) throw new Error('design worker: the OpenBLAS backend of the main thread could not be loaded here');
const desc = descriptorFromJSON(init.descriptor);

port.on('message', (job: DesignJob) => {
  let reply: DesignReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const s = new Structure({ numbers: job.numbers, positions: job.positions, cell: job.cell, pbc: job.pbc });
    const d = frameDesign(desc, s, job.id, job.want);
    for (const a of [d.features, d.energy, d.counts, d.forces, d.virial]) if (a) transfer.push(a.buffer as ArrayBuffer);
    reply = { id: job.id, design: d };
  } catch (e) {
    reply = { id: job.id, error: e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) } };
  }
  port.postMessage(reply, transfer);
});
