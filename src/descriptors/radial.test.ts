import { test, assert } from '../node/test-support.js';
import { ChebyshevRadialBasis, parseRadialTransform, type RadialTransform } from './radial.js';
import { COSINE_CUTOFF, POLYNOMIAL_CUTOFF } from './cutoff.js';
import { BodyOrderDescriptor } from './body-order.js';
import { checkDescriptorDerivatives } from './check.js';
import { randomStructure } from '../structure/random.js';
import { buildNeighborList } from '../neighbors/build.js';
import { ParameterError } from '../core/errors.js';

const TRANSFORMS: RadialTransform[] = [
  { kind: 'linear' },
  { kind: 'agnesi', r0: 2.35, p: 2, q: 4 },
  { kind: 'agnesi', r0: 2.0, p: 1.5, q: 3.5 },
  { kind: 'inverse-power', r0: 2.3, p: 2 },
];

test('radial transforms: dR_n/dr matches central differences and x spans [-1, 1] on [r_min, r_c]', () => {
  const N = 8;
  const R = new Float64Array(N), dR = new Float64Array(N), Rp = new Float64Array(N), Rm = new Float64Array(N), tmp = new Float64Array(N);
  for (const t of TRANSFORMS) {
    const rMin = t.kind === 'inverse-power' ? 1.2 : 0;
    for (const fc of [COSINE_CUTOFF, POLYNOMIAL_CUTOFF]) {
      const b = new ChebyshevRadialBasis(N, 5.0, rMin, fc, t);
      assert.ok(Math.abs(Math.abs(b.x(rMin)) - 1) < 1e-12 && Math.abs(Math.abs(b.x(5.0)) - 1) < 1e-12 && b.x(rMin) * b.x(5.0) < 0, `${t.kind}: x(r_min) = ${b.x(rMin)}, x(r_c) = ${b.x(5.0)}`);
      let worst = 0, biggest = 0;
      for (let r = rMin + 0.05; r < 4.99; r += 0.173) {
        const h = 1e-6;
        b.evaluate(r, R, dR, 0);
        b.evaluate(r + h, Rp, tmp, 0);
        b.evaluate(r - h, Rm, tmp, 0);
        for (let n = 0; n < N; n++) {
          const num = (Rp[n]! - Rm[n]!) / (2 * h);
          worst = Math.max(worst, Math.abs(num - dR[n]!));
          biggest = Math.max(biggest, Math.abs(dR[n]!));
        }
      }
      assert.ok(worst < 1e-6 * Math.max(1, biggest), `${t.kind}/${fc.kind}: worst |dR - FD| = ${worst} (max |dR| ${biggest})`);
      b.evaluate(5.0, R, dR, 0);
      assert.ok(R.every((v) => v === 0) && dR.every((v) => v === 0), 'zero at and beyond the cutoff');
    }
  }
});

test('the linear transform is the default and reproduces the original basis exactly', () => {
  const a = new ChebyshevRadialBasis(6, 4.5, 1.0, COSINE_CUTOFF);
  const b = new ChebyshevRadialBasis(6, 4.5, 1.0, COSINE_CUTOFF, { kind: 'linear' });
  const Ra = new Float64Array(6), dRa = new Float64Array(6), Rb = new Float64Array(6), dRb = new Float64Array(6);
  for (const r of [1.1, 2.2, 3.7, 4.4]) {
    a.evaluate(r, Ra, dRa, 0);
    b.evaluate(r, Rb, dRb, 0);
    assert.deepEqual(Ra, Rb);
    assert.deepEqual(dRa, dRb);
    // x linear in r
    assert.ok(Math.abs(a.x(r) - (2 * (r - 1.0) / 3.5 - 1)) < 1e-15);
  }
  assert.equal(a.transform.kind, 'linear');
});

test('bad transforms are rejected with the cause named', () => {
  assert.throws(() => parseRadialTransform({ kind: 'agnesi', r0: 2, p: 4, q: 2 }), /q must exceed p/);
  assert.throws(() => parseRadialTransform({ kind: 'agnesi', r0: -1, p: 2, q: 4 }), /r0 must be a positive/);
  assert.throws(() => parseRadialTransform({ kind: 'spline' }), ParameterError);
  assert.throws(() => new ChebyshevRadialBasis(4, 5, 0, COSINE_CUTOFF, { kind: 'inverse-power', r0: 2, p: 2 }), /rMin > 0/);
});

test('body-order features on an Agnesi-transformed radial basis: forces and virial match finite differences', () => {
  const s = randomStructure({ numbers: [14], n: 10, cell: [6.0, 0, 0, 0.3, 6.2, 0, 0.2, 0.1, 5.9], minDistance: 2.0, seed: 11 });
  const d = new BodyOrderDescriptor({ species: [14], cutoff: 4.5, maxBodyOrder: 4, nMax: 5, nMax3: 3, lMax3: 3, nMax4: 2, lMax4: 3, radialTransform: { kind: 'agnesi', r0: 2.35, p: 2, q: 4 } });
  const plain = new BodyOrderDescriptor({ species: [14], cutoff: 4.5, maxBodyOrder: 4, nMax: 5, nMax3: 3, lMax3: 3, nMax4: 2, lMax4: 3 });
  const r = checkDescriptorDerivatives(d, s, { skin: 0.5, tol: 1e-6 });
  assert.ok(r.ok, `max rel error ${r.maxRelError} (virial ${r.virialMaxRelError}) at ${JSON.stringify(r.worst)}`);
  assert.ok(r.maxDerivative > 1e-3, 'the check is not vacuous');
  // and the transform changes the features (it is not silently ignored)
  const nl = { f1: new Float64Array(10 * d.size), f2: new Float64Array(10 * d.size) };
  const list = buildNeighborList(s, 4.5);
  d.compute(s, list, nl.f1);
  plain.compute(s, list, nl.f2);
  let diff = 0;
  for (let k = 0; k < nl.f1.length; k++) diff = Math.max(diff, Math.abs(nl.f1[k]! - nl.f2[k]!));
  assert.ok(diff > 1e-3, `features differ by ${diff}`);
  // the transform travels with the descriptor JSON; a linear one is not written (old files unchanged)
  const back = BodyOrderDescriptor.fromJSON(JSON.parse(JSON.stringify(d.toJSON())) as { [k: string]: unknown });
  assert.deepEqual(back.radialTransform, { kind: 'agnesi', r0: 2.35, p: 2, q: 4 });
  const f3 = new Float64Array(10 * d.size);
  back.compute(s, list, f3);
  assert.deepEqual(f3, nl.f1);
  assert.equal('radialTransform' in plain.toJSON(), false);
});
