import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import { MlpotError, ParameterError, ValidationError } from '../core/errors.js';
import { AceDescriptor } from '../descriptors/ace.js';
import { StillingerWeber } from '../potentials/sw.js';
import { bulk, rattle } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { floatArray, type Structure } from '../structure/structure.js';
import { crossValidateLinear } from '../training/cross-validate.js';
import { makeDataset } from '../training/dataset.js';
import { designWants, fitLinear, frameDesign, linearFitWants } from '../training/linear-fit.js';
import type { LinearDesign } from '../models/linear.js';
import { computeLinearDesigns, designBytes } from './design-pool.js';

const TIMEOUT = { timeout: 120000 };

/** Rattled diamond Si cells of 8-64 atoms labelled by SW (energy, forces, stress), some strained. */
function frames(count: number, seed = 5): Structure[] {
  const rng = new Rng(seed);
  const sw = StillingerWeber.silicon();
  const out: Structure[] = [];
  for (let k = 0; k < count; k++) {
    const base = bulk('Si', 'diamond', { a: 5.431 * (0.98 + 0.04 * rng.uniform()), cubic: true });
    const s = rattle(k % 3 === 0 ? repeat(base, 2) : base, 0.12, rng);
    s.cell[1] = 0.2 * rng.uniform();
    const r = sw.compute(s, { forces: true, stress: true });
    s.info['REF_energy'] = r.energy;
    s.setArray('REF_forces', floatArray(r.forces!, 3));
    s.info['REF_stress'] = Array.from(r.stress!);
    if (k % 4 === 1) delete s.info['REF_stress'];
    out.push(s);
  }
  return out;
}

const desc = (): AceDescriptor => new AceDescriptor({ species: [14], cutoff: 4.5, maxBodyOrder: 4, nMax: [6, 4, 2], lMax: [3, 2] });

function sameDesign(a: LinearDesign, b: LinearDesign, where: string): void {
  assert.equal(a.n, b.n, where);
  assert.equal(a.ncol, b.ncol, where);
  for (const key of ['features', 'energy', 'counts', 'forces', 'virial'] as const) {
    const x = a[key], y = b[key];
    assert.equal(x === undefined, y === undefined, `${where}: ${key} present in one design only`);
    if (x && y) assert.deepEqual(Array.from(x), Array.from(y), `${where}: ${key} differs`);
  }
}

test('designs from 2 workers are bit-identical to the serial ones (ACE, 12 frames, forces and virial where wanted)', TIMEOUT, async () => {
  const fr = frames(12);
  const d = desc();
  const wants = fr.map((_, k) => ({ forces: k % 5 !== 2, virial: k % 2 === 0 }));
  let calls = 0;
  const par = await computeLinearDesigns(d, fr, wants, { workers: 2, onProgress: () => calls++ });
  assert.equal(calls, 12);
  fr.forEach((s, k) => sameDesign(par[k]!, frameDesign(d, s, k, wants[k]!), `frame ${k}`));
  assert.equal(par[2]!.forces, undefined);
  assert.equal(par[1]!.virial, undefined);
  const serial = await computeLinearDesigns(d, fr, wants, { workers: 0 });
  fr.forEach((_, k) => sameDesign(par[k]!, serial[k]!, `frame ${k} (workers 0)`));
  // the memory estimate the CLI checks before a pooled fit is the designs' actual size (counts aside)
  const actual = serial.reduce((b, x) => b + x.features.byteLength + x.energy.byteLength + (x.forces?.byteLength ?? 0) + (x.virial?.byteLength ?? 0), 0);
  assert.equal(designBytes(d, fr, wants), actual);
});

test('fitLinear and crossValidateLinear with pooled designs give the serial result exactly', TIMEOUT, async () => {
  const fr = frames(10, 9);
  const d = desc();
  const weights = { energy: 10, forces: 1, stress: 0.5 };
  const opts = { descriptor: d, weights, lambdas: [1e-8, 1e-6], folds: 3, energyPerAtom: true } as const;
  const designs = await computeLinearDesigns(d, fr, linearFitWants(fr, opts), { workers: 2 });
  const a = fitLinear(fr, opts), b = fitLinear(fr, { ...opts, designs });
  assert.equal(a.report.lambda, b.report.lambda);
  assert.deepEqual(Array.from(b.potential.toJSON().coefficients as number[][]).flat(), Array.from(a.potential.toJSON().coefficients as number[][]).flat());
  const records = makeDataset(fr, { require: { energy: true, forces: true } });
  const cvDesigns = await computeLinearDesigns(d, fr, designWants(records, weights, true), { workers: 2 });
  const cvOpts = { descriptor: d, weights, lambdas: [1e-8, 1e-6], folds: 3, energyPerAtom: true };
  const ca = crossValidateLinear(records, cvOpts), cb = crossValidateLinear(records, { ...cvOpts, designs: cvDesigns });
  assert.deepEqual(Array.from(cb.theta!), Array.from(ca.theta!));
  assert.deepEqual(Array.from(cb.best.energyErrors), Array.from(ca.best.energyErrors));
  assert.equal(cb.best.pooled.force_rmse, ca.best.pooled.force_rmse);
});

test('a frame with overlapping atoms rejects the pooled call with the serial message; workers are stopped', TIMEOUT, async () => {
  const fr = frames(6, 2);
  fr[3]!.positions[3] = fr[3]!.positions[0]! + 0.01;
  fr[3]!.positions[4] = fr[3]!.positions[1]!;
  fr[3]!.positions[5] = fr[3]!.positions[2]!;
  const wants = fr.map(() => ({ forces: true, virial: false }));
  await assert.rejects(computeLinearDesigns(desc(), fr, wants, { workers: 2 }), (e: unknown) => e instanceof ValidationError && /frame 3: atoms 0 \(Si\) and 1 \(Si\) are 0\.0100 Å apart, closer than 0\.1 Å \(overlapping atoms\)/.test(e.message));
  assert.throws(() => frameDesign(desc(), fr[3]!, 3, wants[3]!), /frame 3: atoms 0 \(Si\) and 1 \(Si\) are 0\.0100 Å apart/);
  // an element the descriptor does not know: the serial ParameterError, class and message
  const ge = frames(3, 2);
  ge[1]!.numbers[2] = 32;
  let serial = '';
  try {
    frameDesign(desc(), ge[1]!, 1, wants[1]!);
  } catch (e) {
    serial = (e as Error).message;
  }
  assert.match(serial, /atom 2 is Ge/);
  await assert.rejects(computeLinearDesigns(desc(), ge, wants.slice(0, 3), { workers: 2 }), (e: unknown) => e instanceof ParameterError && e.message === serial);
});

test('designs that do not fit the frames are rejected naming the frame', TIMEOUT, async () => {
  const fr = frames(4, 4);
  const d = desc();
  const weights = { energy: 1, forces: 1 };
  const noForces = await computeLinearDesigns(d, fr, fr.map(() => ({ forces: false, virial: false })), { workers: 0 });
  assert.throws(() => fitLinear(fr, { descriptor: d, weights, designs: noForces }), /designs\[0\] has no force rows but frame 0's forces are used/);
  assert.throws(() => fitLinear(fr, { descriptor: d, weights, designs: noForces.slice(1) }), /designs has 3 entries for 4 frames/);
  const swapped = [noForces[1]!, noForces[0]!, noForces[2]!, noForces[3]!];
  assert.notEqual(fr[0]!.length, fr[1]!.length);
  assert.throws(() => fitLinear(fr, { descriptor: d, weights: { energy: 1, forces: 0 }, designs: swapped }), /designs\[0\] is for \d+ atoms/);
  await assert.rejects(computeLinearDesigns(d, fr, [], { workers: 2 }), /0 wants for 4 frames/);
});

test('a worker that cannot start (descriptor JSON it cannot rebuild) rejects with a WORKER error naming it', TIMEOUT, async () => {
  const fr = frames(3, 6);
  const d = desc();
  const broken = Object.assign(Object.create(Object.getPrototypeOf(d) as object) as AceDescriptor, d, { toJSON: () => ({ type: 'no-such-descriptor', version: 1 }) });
  await assert.rejects(computeLinearDesigns(broken, fr, fr.map(() => ({ forces: true, virial: false })), { workers: 2 }), (e: unknown) => e instanceof MlpotError && e.code === 'WORKER' && /design worker \d failed: .*no-such-descriptor/.test(e.message));
});
