import { test, assert } from '../node/test-support.js';
import { mix, ScaledPotential, SumPotential } from './compose.js';
import { LennardJones } from './lj.js';
import { Morse } from './morse.js';
import { HarmonicRestraints } from './restraints.js';
import { runConformance, checkForces, checkStress } from './conformance.js';
import type { Capabilities, ComputeContext, ComputeRequest, ComputeResult, Potential } from './potential.js';
import { randomStructure } from '../structure/random.js';
import { cellFromParameters } from '../structure/cell.js';
import { buildNeighborList } from '../neighbors/build.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';
import { ParameterError } from '../core/errors.js';

const lj = new LennardJones({ epsilon: 0.0104, sigma: 2.3, cutoff: 6.0 });
const morse = new Morse({ D0: 0.3429, alpha: 1.3588, r0: 2.866, cutoff: 5.0 });
const cell = cellFromParameters(6.2, 6.6, 7.0, 80, 95, 105);
const sample = (seed: number) => randomStructure({ numbers: [29], n: 6, cell, minDistance: 2.1, seed });
const ALL = { forces: true, stress: true, energies: true } as const;

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k]! - b[k]!) <= tol * Math.max(1, Math.abs(b[k]!)), `${what}[${k}]: ${a[k]} vs ${b[k]}`);
}

test('sum equals the term-by-term sum of energy, forces, stress and per-atom energies', () => {
  const s = sample(1);
  const a = lj.compute(s, ALL), b = morse.compute(s, ALL);
  const r = new SumPotential([lj, morse]).compute(s, ALL);
  assert.ok(Math.abs(r.energy - (a.energy + b.energy)) < 1e-14);
  close(r.forces!, a.forces!.map((v, k) => v + b.forces![k]!), 1e-14, 'forces');
  close(r.stress!, a.stress!.map((v, k) => v + b.stress![k]!), 1e-14, 'stress');
  close(r.energies!, a.energies!.map((v, k) => v + b.energies![k]!), 1e-14, 'energies');
});

test('scaled multiplies energy, forces, stress and per-atom energies by the factor', () => {
  const s = sample(2);
  const a = morse.compute(s, ALL);
  const r = new ScaledPotential(morse, -0.37).compute(s, ALL);
  assert.equal(r.energy, -0.37 * a.energy);
  close(r.forces!, a.forces!.map((v) => -0.37 * v), 1e-15, 'forces');
  close(r.stress!, a.stress!.map((v) => -0.37 * v), 1e-15, 'stress');
  close(r.energies!, a.energies!.map((v) => -0.37 * v), 1e-15, 'energies');
});

test('mix(a, b, lambda) is a at 0, b at 1 and (1 - lambda) a + lambda b between', () => {
  const s = sample(3);
  const a = lj.compute(s, ALL), b = morse.compute(s, ALL);
  assert.ok(Math.abs(mix(lj, morse, 0).compute(s).energy - a.energy) < 1e-15);
  assert.ok(Math.abs(mix(lj, morse, 1).compute(s).energy - b.energy) < 1e-15);
  const r = mix(lj, morse, 0.25).compute(s, ALL);
  assert.ok(Math.abs(r.energy - (0.75 * a.energy + 0.25 * b.energy)) < 1e-14);
  close(r.forces!, a.forces!.map((v, k) => 0.75 * v + 0.25 * b.forces![k]!), 1e-14, 'forces');
  close(r.stress!, a.stress!.map((v, k) => 0.75 * v + 0.25 * b.stress![k]!), 1e-14, 'stress');
});

test('sum of LJ and Morse (different cutoffs) and a scaled potential pass the conformance kit', () => {
  for (const pot of [new SumPotential([lj, morse]), new ScaledPotential(lj, 2.5), mix(lj, morse, 0.4)]) {
    for (let seed = 0; seed < 2; seed++) {
      for (const r of runConformance(pot, sample(10 + seed), { forceTol: 1e-7, stressTol: 1e-8 })) assert.ok(r.pass, `${pot.name} ${r.check}: ${r.detail}`);
    }
  }
});

test('sum of a pair potential and restraints has consistent forces and stress', () => {
  const pot = new SumPotential([morse, new HarmonicRestraints([{ kind: 'distance', atoms: [0, 1], k: 2, distance: 2.5 }, { kind: 'angle', atoms: [0, 1, 2], k: 0.5, angleDeg: 110 }])]);
  assert.equal(pot.cutoff, 5.0);
  const s = sample(20);
  for (const r of [checkForces(pot, s, { forceTol: 1e-7 }), checkStress(pot, s, { stressTol: 1e-8 })]) assert.ok(r.pass, `${r.check}: ${r.detail}`);
});

/** A stub potential recording the neighbour list it was handed. */
class Stub implements Potential {
  readonly name: string;
  seen: NeighborList | undefined;
  constructor(
    readonly cutoff: number,
    readonly capabilities: Capabilities,
    readonly species?: readonly number[],
    private readonly std?: number,
  ) {
    this.name = `stub(${cutoff})`;
  }
  compute(s: Structure, _req?: ComputeRequest, ctx?: ComputeContext): ComputeResult {
    this.seen = ctx?.neighbors;
    const r: ComputeResult = { energy: this.cutoff, forces: new Float64Array(3 * s.length) };
    if (this.std !== undefined) r.uncertainty = { energyStd: this.std };
    return r;
  }
}
const caps = (o: Partial<Capabilities> = {}): Capabilities => ({ forces: true, stress: true, energies: true, uncertainty: false, ...o });

test('sum capabilities are the AND over terms; uncertainty comes from the single term that has it', () => {
  const s = new SumPotential([new Stub(3, caps()), new Stub(4, caps({ stress: false })), new Stub(2, caps({ uncertainty: true }), undefined, 0.05)]);
  assert.deepEqual(s.capabilities, { forces: true, stress: false, energies: true, uncertainty: true });
  assert.equal(s.cutoff, 4);
  assert.equal(s.compute(sample(4), { forces: true, uncertainty: true }).uncertainty?.energyStd, 0.05);
  const two = new SumPotential([new Stub(3, caps({ uncertainty: true }), undefined, 1), new Stub(3, caps({ uncertainty: true }), undefined, 2)]);
  assert.equal(two.capabilities.uncertainty, false);
  assert.equal(two.compute(sample(4), { forces: true, uncertainty: true }).uncertainty, undefined);
  const scaled = new ScaledPotential(new Stub(2, caps({ uncertainty: true }), undefined, 0.05), -3);
  assert.ok(Math.abs(scaled.compute(sample(4), { uncertainty: true }).uncertainty!.energyStd! - 0.15) < 1e-15);
});

test('sum species are the intersection of the terms\' species (undefined when all accept any)', () => {
  assert.equal(new SumPotential([new Stub(1, caps()), new Stub(2, caps())]).species, undefined);
  assert.deepEqual(new SumPotential([new Stub(1, caps(), [28, 29, 13]), new Stub(2, caps()), new Stub(2, caps(), [29, 28])]).species, [28, 29]);
  assert.throws(() => new SumPotential([new Stub(1, caps(), [29]), new Stub(2, caps(), [14])]), ParameterError);
  const s = new SumPotential([new Stub(1, caps(), [28])]);
  assert.throws(() => s.compute(sample(5)), /no parameters for element Cu/);
});

test('sum builds one neighbour list at the largest cutoff and shares it, or passes the caller\'s', () => {
  const a = new Stub(3, caps()), b = new Stub(4.5, caps());
  const sum = new SumPotential([a, b]);
  const s = sample(6);
  sum.compute(s);
  assert.ok(a.seen && a.seen === b.seen, 'one shared list');
  assert.equal(a.seen!.cutoff, 4.5);
  const nl = buildNeighborList(s, 5, { skin: 0.5 });
  sum.compute(s, { forces: true }, { neighbors: nl });
  assert.equal(a.seen, nl);
  assert.equal(b.seen, nl);
});

test('sum writes into caller-owned output buffers', () => {
  const s = sample(7);
  const out = { forces: new Float64Array(3 * s.length).fill(99), stress: new Float64Array(6), energies: new Float64Array(s.length) };
  const r = new SumPotential([lj, morse]).compute(s, ALL, { out });
  assert.equal(r.forces, out.forces);
  assert.equal(r.stress, out.stress);
  const ref = new SumPotential([lj, morse]).compute(s, ALL);
  close(out.forces, ref.forces!, 1e-15, 'forces');
});
