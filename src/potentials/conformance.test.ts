import { test, assert } from '../node/test-support.js';
import { LennardJones } from './lj.js';
import { checkForces, checkStress, checkCapabilities, checkTranslation } from './conformance.js';
import type { ComputeContext, ComputeRequest, ComputeResult, Potential } from './potential.js';
import { randomStructure } from '../structure/random.js';
import { cellFromParameters } from '../structure/cell.js';
import type { Structure } from '../structure/structure.js';

/** Wraps a correct potential and corrupts one output, to prove the kit notices. */
function corrupt(inner: Potential, how: 'forces' | 'stress' | 'energies' | 'position-dependent'): Potential {
  return {
    name: `corrupt-${how}`,
    cutoff: inner.cutoff,
    capabilities: inner.capabilities,
    compute(s: Structure, req?: ComputeRequest, ctx?: ComputeContext): ComputeResult {
      const r = inner.compute(s, req, ctx);
      if (how === 'forces' && r.forces) r.forces[0] = r.forces[0]! * 1.001 + 1e-4;
      if (how === 'stress' && r.stress) r.stress[3] = r.stress[3]! + 1e-5;
      if (how === 'energies' && r.energies) r.energies[0] = r.energies[0]! + 1e-3;
      if (how === 'position-dependent') r.energy += 1e-3 * s.positions[0]!;
      return r;
    },
  };
}

const lj = new LennardJones({ epsilon: 0.0104, sigma: 3.4, cutoff: 6.5 });
const s = randomStructure({ numbers: [18], n: 6, cell: cellFromParameters(7, 7.5, 8, 80, 95, 100), minDistance: 3, seed: 7 });

test('the kit passes a correct potential', () => {
  assert.ok(checkForces(lj, s).pass);
  assert.ok(checkStress(lj, s).pass);
  assert.ok(checkCapabilities(lj, s).pass);
  assert.ok(checkTranslation(lj, s).pass);
});

test('the kit catches wrong forces', () => {
  const r = checkForces(corrupt(lj, 'forces'), s);
  assert.equal(r.pass, false);
  assert.match(r.detail, /atom 0 x/);
});

test('the kit catches wrong stress', () => {
  const r = checkStress(corrupt(lj, 'stress'), s);
  assert.equal(r.pass, false);
  assert.match(r.detail, /Voigt yz/);
});

test('the kit catches per-atom energies that do not sum to the energy', () => {
  assert.equal(checkCapabilities(corrupt(lj, 'energies'), s).pass, false);
});

test('the kit catches an energy that depends on absolute position', () => {
  assert.equal(checkTranslation(corrupt(lj, 'position-dependent'), s).pass, false);
});
