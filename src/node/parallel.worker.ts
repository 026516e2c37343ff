/**
 * Worker side of `ParallelPotential` (parallel.ts): holds its own potential (built from the spec
 * with `loadPotential`), its own neighbour list and its own force buffer in shared memory.
 * Loop: wait for GO to change, run the command, publish DONE. See parallel.ts for the protocol.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { buildNeighborList } from '../neighbors/build.js';
import { refreshShifts, type NeighborList } from '../neighbors/neighbor-list.js';
import type { ComputeContext, ComputeRequest, Potential } from '../potentials/potential.js';
import { Structure } from '../structure/structure.js';
import { CTRL, FLAG, PARAM, type SharedBuffers, type WorkerInit } from './parallel.js';
import { loadPotential } from './potentials.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const port = init.port;

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function run(): void {
  const pot: Potential = loadPotential(init.spec);
  let bufs: SharedBuffers | null = null;
  let positions: Float64Array = new Float64Array(0), numbers: Int32Array = new Int32Array(0), refPositions: Float64Array = new Float64Array(0);
  let params: Float64Array = new Float64Array(0), forces: Float64Array = new Float64Array(0), energies: Float64Array = new Float64Array(0), result: Float64Array = new Float64Array(0);
  let s: Structure | null = null;
  let nl: NeighborList | null = null;
  const shiftCell = new Float64Array(9);
  const request: ComputeRequest = {};
  const ctx: ComputeContext = { neighbors: undefined, out: {}, atomRange: { start: 0, end: 0 } };
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.GO, seen);
    const seq = Atomics.load(ctrl, CTRL.GO);
    if (seq === seen) continue;
    seen = seq;
    const flags = ctrl[CTRL.FLAGS]!;
    if (flags & FLAG.EXIT) return;
    try {
      if (flags & FLAG.SETUP) {
        const m = receiveMessageOnPort(port);
        if (!m) throw new Error('setup command without buffers on the port');
        bufs = m.message as SharedBuffers;
        positions = new Float64Array(bufs.positions, 0, 3 * bufs.n);
        numbers = new Int32Array(bufs.numbers, 0, bufs.n);
        refPositions = new Float64Array(bufs.refPositions, 0, 3 * bufs.n);
        params = new Float64Array(bufs.params);
        forces = new Float64Array(bufs.forces, 0, 3 * bufs.n);
        energies = new Float64Array(bufs.energies, 0, bufs.n);
        result = new Float64Array(bufs.result);
        s = new Structure({ numbers, positions, cell: params.subarray(PARAM.CELL, PARAM.CELL + 9), pbc: true });
        nl = null;
      }
      if (!s || !bufs) throw new Error('compute command before setup');
      const p = ctrl[CTRL.PBC]!;
      s.pbc = [!!(p & 1), !!(p & 2), !!(p & 4)];
      s.positions.set(positions);
      s.numbers.set(numbers);
      s.cell.set(params.subarray(PARAM.CELL, PARAM.CELL + 9));
      if (flags & FLAG.REBUILD || !nl) {
        const refCell = params.slice(PARAM.REF_CELL, PARAM.REF_CELL + 9);
        nl = buildNeighborList({ positions: refPositions, cell: refCell, pbc: s.pbc }, params[PARAM.CUTOFF]!, { skin: params[PARAM.SKIN]! });
        shiftCell.set(refCell);
      }
      let same = true;
      for (let k = 0; k < 9; k++) if (shiftCell[k] !== s.cell[k]) same = false;
      if (!same) {
        refreshShifts(nl, s.cell);
        shiftCell.set(s.cell);
      }
      request.forces = !!(flags & FLAG.FORCES);
      request.stress = !!(flags & FLAG.STRESS);
      request.energies = !!(flags & FLAG.ENERGIES);
      ctx.neighbors = nl;
      ctx.out = { forces, energies };
      ctx.atomRange = { start: ctrl[CTRL.START]!, end: ctrl[CTRL.END]! };
      const res = pot.compute(s, request, ctx);
      if (res.forces && res.forces !== forces) forces.set(res.forces);
      if (res.energies && res.energies !== energies) energies.set(res.energies);
      result[0] = res.energy;
      for (let k = 0; k < 6; k++) result[1 + k] = res.stress ? res.stress[k]! : 0;
      ctrl[CTRL.STATUS] = 0;
    } catch (e) {
      port.postMessage({ error: message(e) });
      ctrl[CTRL.STATUS] = 1;
    }
    Atomics.store(ctrl, CTRL.DONE, seq);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

try {
  run();
} catch (e) {
  port.postMessage({ error: message(e) });
  Atomics.store(ctrl, CTRL.FATAL, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
port.close();
