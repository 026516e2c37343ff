import { test, assert } from '../node/test-support.js';
import { cellListNeighborList, searchBasis } from './cell-list.js';
import { bruteForceNeighborList, type NeighborInput } from './brute-force.js';
import { buildNeighborList } from './build.js';
import { needsRebuild, pairCount, type NeighborList } from './neighbor-list.js';
import { Rng } from '../core/rng.js';
import { cellFromParameters } from '../structure/cell.js';
import { bulk } from '../structure/builders.js';
import { repeat } from '../structure/repeat.js';
import { ValidationError } from '../core/errors.js';

/** Pairs as sorted strings "i j a b c". */
function pairSet(nl: NeighborList): string[] {
  const out: string[] = [];
  for (let i = 0; i < nl.n; i++) {
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      out.push(`${i} ${nl.neighbors[p]} ${nl.images[3 * p]} ${nl.images[3 * p + 1]} ${nl.images[3 * p + 2]}`);
    }
  }
  return out.sort();
}

function assertSameAsBruteForce(s: NeighborInput, cutoff: number, skin: number, label: string, opts: { binsPerRange?: number } = {}): NeighborList {
  const cl = cellListNeighborList(s, cutoff, skin, opts);
  const bf = bruteForceNeighborList(s, cutoff, skin);
  const a = pairSet(cl), b = pairSet(bf);
  assert.equal(a.length, b.length, `${label}: ${a.length} pairs vs brute force ${b.length}`);
  assert.deepEqual(a, b, label);
  if (Number.isFinite(bf.minDistance)) {
    assert.ok(Math.abs(cl.minDistance - bf.minDistance) <= 1e-12 * bf.minDistance, `${label}: minDistance ${cl.minDistance} vs ${bf.minDistance}`);
  } else {
    assert.equal(cl.minDistance, Infinity, label);
  }
  // shifts agree with images and the cell; displacements are below the range
  const x = s.positions, c = s.cell;
  for (let i = 0; i < cl.n; i++) {
    for (let p = cl.offsets[i]!; p < cl.offsets[i + 1]!; p++) {
      const j = cl.neighbors[p]!;
      let r2 = 0;
      for (let k = 0; k < 3; k++) {
        const sh = cl.images[3 * p]! * c[k]! + cl.images[3 * p + 1]! * c[3 + k]! + cl.images[3 * p + 2]! * c[6 + k]!;
        assert.equal(cl.shifts[3 * p + k], sh);
        const d = x[3 * j + k]! + sh - x[3 * i + k]!;
        r2 += d * d;
      }
      assert.ok(r2 < (cutoff + skin) ** 2 * (1 + 1e-12), `${label}: pair ${i}-${j} at ${Math.sqrt(r2)}`);
    }
  }
  return cl;
}

/** Uniform random atoms (no minimum separation needed for a neighbour test) in a random cell. */
function randomCase(rng: Rng, kind: string): { s: NeighborInput; cutoff: number; skin: number } {
  const n = 1 + rng.int(kind === 'one' ? 1 : kind === 'tiny' ? 4 : 40);
  let cell: Float64Array;
  if (kind === 'ortho' || kind === 'open' || kind === 'one' && rng.uniform() < 0.5) cell = cellFromParameters(rng.range(3, 12), rng.range(3, 12), rng.range(3, 12));
  else {
    // strongly skewed triclinic: angles 40-140 degrees with an upper-triangular shear on top
    for (;;) {
      cell = cellFromParameters(rng.range(2, 10), rng.range(2, 10), rng.range(2, 10), rng.range(50, 130), rng.range(50, 130), rng.range(40, 140));
      if (cell.every(Number.isFinite) && cell[8]! > 0.5) break;
    }
    cell[3] = cell[3]! + rng.range(-2, 2) * cell[0]!;
    cell[6] = cell[6]! + rng.range(-2, 2) * cell[0]!;
    cell[7] = cell[7]! + rng.range(-1, 1) * cell[4]!;
  }
  const pbcChoices: boolean[][] = [[true, true, true], [true, true, false], [false, true, true], [true, false, false], [false, false, true], [false, false, false]];
  const pbc = kind === 'open' ? [false, false, false] : kind === 'mixed' ? pbcChoices[1 + rng.int(4)]! : [true, true, true];
  const spread = kind === 'unwrapped' ? 6 : 1;
  const pos = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const f = [rng.range(-spread + 1, spread), rng.range(-spread + 1, spread), rng.range(-spread + 1, spread)].map((v) => (spread === 1 ? rng.uniform() : v));
    for (let k = 0; k < 3; k++) pos[3 * i + k] = f[0]! * cell[k]! + f[1]! * cell[3 + k]! + f[2]! * cell[6 + k]!;
  }
  const cutoff = kind === 'tiny' || kind === 'one' ? rng.range(2, 14) : rng.range(1, 6);
  const skin = rng.uniform() < 0.5 ? 0 : rng.range(0, 1);
  return { s: { positions: pos, cell, pbc }, cutoff, skin };
}

test('every bin width (1, 2, 3 bins per range) gives the brute-force list, incl. a small box with a long cutoff', () => {
  const rng = new Rng(4242);
  for (const kind of ['ortho', 'triclinic', 'mixed', 'tiny']) {
    for (let t = 0; t < 8; t++) {
      const { s, cutoff, skin } = randomCase(rng, kind);
      for (const binsPerRange of [1, 2, 3]) assertSameAsBruteForce(s, cutoff, skin, `${kind} #${t} bins/range ${binsPerRange}`, { binsPerRange });
    }
  }
  // fcc Ar 5x5x5 with rc = 9.5 Å: the box is under 3 ranges wide, so the automatic choice uses finer bins
  const ar = repeat(bulk('Ar', 'fcc', { a: 5.26, cubic: true }), 3);
  assertSameAsBruteForce(ar, 8.5, 1, 'fcc Ar 108 atoms, rc 9.5');
});

for (const kind of ['open', 'ortho', 'triclinic', 'mixed', 'tiny', 'one', 'unwrapped']) {
  test(`cell list equals brute force as sets of (i, j, image): ${kind} cells`, () => {
    const rng = new Rng(1000 + kind.length * 17 + kind.charCodeAt(0));
    for (let t = 0; t < 40; t++) {
      const { s, cutoff, skin } = randomCase(rng, kind);
      assertSameAsBruteForce(s, cutoff, skin, `${kind} #${t} (n=${s.positions.length / 3}, rc=${(cutoff + skin).toFixed(3)}, pbc=${s.pbc})`);
    }
  });
}

test('one-atom cell: the atom is its own neighbour through every image within range', () => {
  const a = 2.5;
  const s = { positions: [0.3, 0.2, 0.1], cell: [a, 0, 0, 0, a, 0, 0, 0, a], pbc: [true, true, true] };
  const nl = cellListNeighborList(s, 2.6);
  assert.equal(pairCount(nl), 6);
  assert.ok(Array.from(nl.neighbors).every((j) => j === 0));
  // sqrt(2) a = 3.54, sqrt(3) a = 4.33: 6 + 12 + 8 images
  assert.equal(pairCount(cellListNeighborList(s, 4.4)), 26);
  assert.ok(Math.abs(nl.minDistance - a) < 1e-12);
});

test('open boundaries with a zero cell and a slab with zero c vector are handled', () => {
  const rng = new Rng(7);
  for (let t = 0; t < 20; t++) {
    const n = 1 + rng.int(30);
    const pos = Array.from({ length: 3 * n }, () => rng.range(-8, 8));
    const open = cellListNeighborList({ positions: pos, cell: new Float64Array(9), pbc: [false, false, false] }, 3.5);
    const ref = bruteForceNeighborList({ positions: pos, cell: new Float64Array(9), pbc: [false, false, false] }, 3.5);
    assert.deepEqual(pairSet(open), pairSet(ref));
    // slab: c = 0 in the structure; brute force needs an invertible cell, so give it any c
    const ab = [6.1, 0, 0, -2.0, 5.5, 0];
    const slab = cellListNeighborList({ positions: pos, cell: [...ab, 0, 0, 0], pbc: [true, true, false] }, 3.5);
    const slabRef = bruteForceNeighborList({ positions: pos, cell: [...ab, 1.0, 0.4, 3.0], pbc: [true, true, false] }, 3.5);
    assert.deepEqual(pairSet(slab), pairSet(slabRef));
    // wire: only a periodic
    const wire = cellListNeighborList({ positions: pos, cell: [2.0, 1.0, 0.5, 0, 0, 0, 0, 0, 0], pbc: [true, false, false] }, 3.5);
    const wireRef = bruteForceNeighborList({ positions: pos, cell: [2.0, 1.0, 0.5, 0, 3, 0, 0, 0, 3], pbc: [true, false, false] }, 3.5);
    assert.deepEqual(pairSet(wire), pairSet(wireRef));
  }
});

test('search basis completes periodic vectors with orthonormal open directions', () => {
  const B = searchBasis([3, 0, 0, 1, 2, 0, 0, 0, 0], [true, true, false]);
  assert.deepEqual(Array.from(B.subarray(6)), [0, 0, 1]);
  const W = searchBasis([1, 1, 1, 0, 0, 0, 0, 0, 0], [true, false, false]);
  const dot = (r: number, q: number) => W[3 * r]! * W[3 * q]! + W[3 * r + 1]! * W[3 * q + 1]! + W[3 * r + 2]! * W[3 * q + 2]!;
  assert.ok(Math.abs(dot(0, 1)) < 1e-15 && Math.abs(dot(0, 2)) < 1e-15 && Math.abs(dot(1, 2)) < 1e-15);
  assert.ok(Math.abs(dot(1, 1) - 1) < 1e-15 && Math.abs(dot(2, 2) - 1) < 1e-15);
});

test('list is deterministic and rows are in atom order with ascending bins', () => {
  const rng = new Rng(3);
  const { s, cutoff, skin } = randomCase(rng, 'triclinic');
  const a = cellListNeighborList(s, cutoff, skin), b = cellListNeighborList(s, cutoff, skin);
  assert.deepEqual(a.neighbors, b.neighbors);
  assert.deepEqual(a.images, b.images);
  assert.equal(a.offsets.length, a.n + 1);
  for (let i = 0; i < a.n; i++) assert.ok(a.offsets[i + 1]! >= a.offsets[i]!);
});

test('every pair appears in both directions with negated image', () => {
  const rng = new Rng(11);
  for (let t = 0; t < 10; t++) {
    const { s, cutoff, skin } = randomCase(rng, 'mixed');
    const nl = cellListNeighborList(s, cutoff, skin);
    const set = new Set(pairSet(nl));
    for (const key of set) {
      const [i, j, a, b, c] = key.split(' ').map(Number) as [number, number, number, number, number];
      assert.ok(set.has(`${j} ${i} ${-a || 0} ${-b || 0} ${-c || 0}`), `missing reverse of ${key}`);
    }
  }
});

test('bad cutoff, skin, coordinates and cells are rejected naming the cause', () => {
  const s = { positions: [0, 0, 0], cell: [2, 0, 0, 0, 2, 0, 0, 0, 2], pbc: [true, true, true] };
  assert.throws(() => cellListNeighborList(s, 0), (e: unknown) => e instanceof ValidationError && /cutoff must be a positive/.test(e.message));
  assert.throws(() => cellListNeighborList(s, 3, -1), /skin must be a non-negative/);
  assert.throws(() => cellListNeighborList({ ...s, positions: [0, NaN, 0] }, 3), /atom 0 has a non-finite y/);
  assert.throws(() => cellListNeighborList({ ...s, cell: [2, 0, 0, 4, 0, 0, 0, 0, 2] }, 3), /zero volume/);
});

test('needsRebuild: atoms moved less than skin/2 keep every pair within cutoff listed', () => {
  const rng = new Rng(21);
  const cutoff = 3.0, skin = 0.8;
  for (let t = 0; t < 10; t++) {
    const { s } = randomCase(rng, t % 2 ? 'triclinic' : 'mixed');
    const nl = buildNeighborList(s, cutoff, { skin });
    const moved = Float64Array.from(s.positions);
    for (let i = 0; i < moved.length; i += 3) {
      // random direction, length just under skin/2
      const v = [rng.normal(), rng.normal(), rng.normal()];
      const l = Math.hypot(v[0]!, v[1]!, v[2]!);
      for (let k = 0; k < 3; k++) moved[i + k] = moved[i + k]! + (0.499 * skin * v[k]!) / l;
    }
    assert.equal(needsRebuild(nl, moved, s.cell), false);
    const fresh = new Set(pairSet(bruteForceNeighborList({ ...s, positions: moved }, cutoff, 0)));
    const old = new Set(pairSet(nl));
    for (const key of fresh) assert.ok(old.has(key), `pair ${key} within cutoff after the move is missing from the old list`);
    // one atom moving more than skin/2 triggers a rebuild, as does a changed cell
    moved[0] = moved[0]! + skin;
    assert.equal(needsRebuild(nl, moved, s.cell), true);
    const cell2 = Float64Array.from(s.cell);
    cell2[0] = cell2[0]! * 1.001;
    assert.equal(needsRebuild(nl, s.positions, cell2), true);
  }
});

test('diamond Si: 4 nearest neighbours at 2.35 Å and 28 within 4.77 Å per atom', () => {
  const a = 5.431;
  const nl = buildNeighborList(repeat(bulk('Si', 'diamond', { a, cubic: true }), 3), 3.77118, { skin: 1.0 });
  for (let i = 0; i < nl.n; i++) assert.equal(nl.offsets[i + 1]! - nl.offsets[i]!, 28);
  assert.ok(Math.abs(nl.minDistance - (a * Math.sqrt(3)) / 4) < 1e-12);
});
