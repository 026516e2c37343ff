import { test, assert, runPython } from '../node/test-support.js';
import { bulk, perturbCell, rattle, removeAtoms, supercell, surface, vacancy, type Crystal } from './builders.js';
import { Structure, floatArray } from './structure.js';
import { volume, toCartesian, toFractional } from './cell.js';
import { repeat } from './repeat.js';
import { Rng } from '../core/rng.js';
import { ValidationError } from '../core/errors.js';
import { asePeer } from '../node/peers.js';
import { bruteForceNeighborList } from '../neighbors/brute-force.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Sorted neighbour distances of atom i within rc: a fingerprint independent of orientation and order. */
function shells(s: Structure, rc: number): number[] {
  const nl = bruteForceNeighborList(s, rc);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++)
    for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
      const j = nl.neighbors[p]!;
      out.push(Math.round(1e6 * Math.hypot(...[0, 1, 2].map((k) => s.positions[3 * j + k]! + nl.shifts[3 * p + k]! - s.positions[3 * i + k]!))) / 1e6);
    }
  return out.sort((x, y) => x - y);
}

test('bulk primitive cells have the expected atom counts, volumes and nearest-neighbour distances', () => {
  const a = 4.05;
  const cases: [Crystal, number, number, number][] = [
    ['sc', 1, a ** 3, a],
    ['fcc', 1, a ** 3 / 4, a / Math.SQRT2],
    ['bcc', 1, a ** 3 / 2, (a * Math.sqrt(3)) / 2],
    ['diamond', 2, a ** 3 / 4, (a * Math.sqrt(3)) / 4],
  ];
  for (const [crystal, n, vol, dnn] of cases) {
    const s = bulk('Al', crystal, { a });
    assert.equal(s.length, n, crystal);
    assert.ok(Math.abs(volume(s.cell) - vol) < 1e-10, crystal);
    assert.ok(Math.abs(bruteForceNeighborList(s, 6).minDistance - dnn) < 1e-10, crystal);
    assert.deepEqual(s.pbc, [true, true, true]);
  }
  const hcp = bulk('Mg', 'hcp', { a: 3.21 });
  assert.equal(hcp.length, 2);
  assert.ok(Math.abs(hcp.cell[8]! - 3.21 * Math.sqrt(8 / 3)) < 1e-12);
  // ideal hcp: 12 neighbours at a
  const nl = bruteForceNeighborList(hcp, 3.22);
  assert.equal(nl.offsets[1], 12);
});

test('cubic cells are repeats of primitive ones: same neighbour shells per atom', () => {
  for (const crystal of ['fcc', 'bcc', 'diamond', 'sc'] as Crystal[]) {
    const prim = bulk('Si', crystal, { a: 5.431 });
    const cub = bulk('Si', crystal, { a: 5.431, cubic: true });
    const ratio = cub.length / prim.length;
    assert.equal(ratio, Math.round(volume(cub.cell) / volume(prim.cell)), crystal);
    // every neighbour distance of the primitive cell appears `ratio` times in the cubic cell
    const sp = shells(prim, 6), sc = shells(cub, 6);
    assert.deepEqual(sc, sp.flatMap((d) => new Array<number>(ratio).fill(d)), crystal);
  }
  const nacl = bulk('Na', 'rocksalt', { a: 5.64, symbols2: 'Cl', cubic: true });
  assert.deepEqual(nacl.symbols, ['Na', 'Cl', 'Na', 'Cl', 'Na', 'Cl', 'Na', 'Cl']);
});

test('bulk rejects bad lattice constants, unknown crystals and misplaced options', () => {
  const isValidation = (re: RegExp) => (e: unknown) => e instanceof ValidationError && re.test(e.message);
  assert.throws(() => bulk('Si', 'diamond', { a: -1 }), isValidation(/lattice constant a must be a positive/));
  assert.throws(() => bulk('Si', 'diamond', { a: NaN }), isValidation(/lattice constant a/));
  assert.throws(() => bulk('Si', 'wurtzite' as Crystal, { a: 5 }), isValidation(/unknown crystal structure "wurtzite"/));
  assert.throws(() => bulk('Na', 'rocksalt', { a: 5 }), isValidation(/needs a second species/));
  assert.throws(() => bulk('Mg', 'hcp', { a: 3, cubic: true }), isValidation(/hcp has no cubic cell/));
  assert.throws(() => bulk('Mg', 'hcp', { a: 3, c: 0 }), isValidation(/lattice constant c/));
  assert.throws(() => bulk('Xx', 'fcc', { a: 3 }), /unknown element symbol "Xx"/);
});

test('supercell: |det M| copies, new cell = M cell, atoms inside the cell, arrays carried', () => {
  const si = bulk('Si', 'diamond', { a: 5.431 });
  si.setArray('tag', floatArray([1, 2]));
  for (const M of [[2, 2, 2], [[1, 1, 0], [-1, 1, 0], [0, 0, 1]], [-1, 1, 1, 1, -1, 1, 1, 1, -1], [[2, 1, 0], [0, 1, 3], [1, 0, 1]], [[0, 1, 0], [1, 0, 0], [0, 0, 1]]] as const) {
    const sc = supercell(si, M);
    const flat = (M as readonly unknown[]).length === 3 && Array.isArray(M[0]) ? (M as readonly (readonly number[])[]).flat() : M.length === 3 ? [M[0], 0, 0, 0, M[1], 0, 0, 0, M[2]] as number[] : [...(M as readonly number[])];
    const det = Math.abs(flat[0]! * (flat[4]! * flat[8]! - flat[5]! * flat[7]!) - flat[1]! * (flat[3]! * flat[8]! - flat[5]! * flat[6]!) + flat[2]! * (flat[3]! * flat[7]! - flat[4]! * flat[6]!));
    assert.equal(sc.length, det * si.length, `M=${JSON.stringify(M)}`);
    assert.ok(Math.abs(volume(sc.cell) - det * volume(si.cell)) < 1e-9);
    const f = toFractional(sc.cell, sc.positions);
    assert.ok(f.every((v) => v >= -1e-9 && v < 1 + 1e-9), 'atoms wrapped into the new cell');
    assert.deepEqual(Array.from(sc.floatArray('tag')!), Array.from({ length: sc.length }, (_, i) => 1 + (i % 2)));
    // same crystal: every atom keeps 4 neighbours at the bond length, no overlaps
    const nl = bruteForceNeighborList(sc, 2.4);
    for (let i = 0; i < sc.length; i++) assert.equal(nl.offsets[i + 1]! - nl.offsets[i]!, 4);
    assert.ok(Math.abs(nl.minDistance - (5.431 * Math.sqrt(3)) / 4) < 1e-9);
  }
  // a diagonal supercell matches repeat() atom for atom
  const r = repeat(si, [2, 3, 1]), s2 = supercell(si, [2, 3, 1]);
  close(s2.positions, r.positions, 1e-12, 'positions');
  close(s2.cell, r.cell, 0, 'cell');
});

test('supercell rejects singular and non-integer matrices', () => {
  const si = bulk('Si', 'diamond', { a: 5.431 });
  assert.throws(() => supercell(si, [[1, 0, 0], [2, 0, 0], [0, 0, 1]]), (e: unknown) => e instanceof ValidationError && /singular/.test(e.message));
  assert.throws(() => supercell(si, [1.5, 1, 1]), /must contain integers/);
  assert.throws(() => supercell(si, [1, 2]), /9 integers/);
});

test('surface slabs of fcc and diamond: atom counts, normal along z, vacuum on both sides', () => {
  const cu = bulk('Cu', 'fcc', { a: 3.61, cubic: true });
  const si = bulk('Si', 'diamond', { a: 5.431, cubic: true });
  // ASE's layers are repeats of the unimodular surface cell: N = N_bulk x layers; distinct atomic planes per repeat
  const cases: [Structure, [number, number, number], number][] = [
    [cu, [1, 0, 0], 2], [cu, [1, 1, 0], 2], [cu, [1, 1, 1], 1], [si, [1, 0, 0], 4], [si, [1, 1, 0], 2], [si, [1, 1, 1], 2],
  ];
  for (const [bulkCell, miller, planes] of cases) {
    const layers = 3;
    const slab = surface(bulkCell, miller, layers, { vacuum: 7.5 });
    const label = `${bulkCell.symbols[0]} (${miller.join('')})`;
    assert.equal(slab.length, bulkCell.length * layers, label);
    const zs = new Set(Array.from({ length: slab.length }, (_, i) => Math.round(slab.positions[3 * i + 2]! * 1e6)));
    assert.equal(zs.size, planes * layers, `${label}: atomic planes`);
    assert.deepEqual(slab.pbc, [true, true, false]);
    // a and b in the xy plane, c along z
    assert.equal(slab.cell[2], 0); assert.equal(slab.cell[5], 0);
    assert.equal(slab.cell[6], 0); assert.equal(slab.cell[7], 0);
    let zmin = Infinity, zmax = -Infinity;
    for (let i = 2; i < slab.positions.length; i += 3) { zmin = Math.min(zmin, slab.positions[i]!); zmax = Math.max(zmax, slab.positions[i]!); }
    assert.ok(Math.abs(zmin - 7.5) < 1e-9 && Math.abs(slab.cell[8]! - zmax - 7.5) < 1e-9, label);
    // the in-plane lattice vectors are perpendicular to the Miller direction (cubic lattice): their
    // lengths and angle match those of c1, c2 in the bulk frame, i.e. the area per cell is that of the plane
    const area = Math.abs(slab.cell[0]! * slab.cell[4]! - slab.cell[1]! * slab.cell[3]!);
    const a = bulkCell.cell[0]!;
    const hkl = Math.hypot(...miller);
    // area of the (hkl) surface cell of a unimodular basis: V_bulk * |hkl| / a = a^2 |hkl| (cubic)
    assert.ok(Math.abs(area - a * a * hkl) < 1e-9, `${label}: area ${area} vs ${a * a * hkl}`);
    // no overlapping atoms after wrapping
    assert.ok(bruteForceNeighborList(slab, 3).minDistance > 2.2, label);
  }
  const open = surface(cu, [1, 1, 1], 2);
  assert.deepEqual(Array.from(open.cell.subarray(6)), [0, 0, 0], 'no vacuum, non-periodic: c = 0 as in ASE');
  assert.throws(() => surface(cu, [0, 0, 0], 2), /not all zero/);
  assert.throws(() => surface(cu, [1, 1, 1], 0), /layers must be a positive integer/);
});

test('removeAtoms and vacancy drop the listed atoms and keep per-atom arrays aligned', () => {
  const s = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 2);
  s.setArray('id', floatArray(Array.from({ length: s.length }, (_, i) => i)));
  const v = vacancy(s, 5);
  assert.equal(v.length, s.length - 1);
  assert.equal(v.floatArray('id')![5], 6);
  const r = removeAtoms(s, [0, 63, 10]);
  assert.equal(r.length, 61);
  assert.deepEqual(Array.from(r.floatArray('id')!).slice(0, 3), [1, 2, 3]);
  assert.throws(() => vacancy(s, 64), (e: unknown) => e instanceof ValidationError && /cannot remove atom 64/.test(e.message));
  assert.throws(() => removeAtoms(s, [1, 1]), /listed twice/);
});

test('rattle displaces with the requested standard deviation and is reproducible; the input is untouched', () => {
  const s = repeat(bulk('Si', 'diamond', { a: 5.431, cubic: true }), 4);
  const before = Float64Array.from(s.positions);
  const a = rattle(s, 0.05, new Rng(1)), b = rattle(s, 0.05, new Rng(1));
  assert.deepEqual(a.positions, b.positions);
  assert.deepEqual(s.positions, before);
  let sum = 0, sum2 = 0;
  for (let i = 0; i < before.length; i++) { const d = a.positions[i]! - before[i]!; sum += d; sum2 += d * d; }
  const n = before.length;
  const sd = Math.sqrt(sum2 / n);
  assert.ok(Math.abs(sd - 0.05) < 0.05 * 5 / Math.sqrt(2 * n), `stdev ${sd}`);
  assert.ok(Math.abs(sum / n) < 5 * 0.05 / Math.sqrt(n));
});

test('perturbCell strains cell and positions by the same symmetric matrix: fractional coordinates unchanged', () => {
  const s = bulk('Mg', 'hcp', { a: 3.21 });
  const p = perturbCell(s, 0.02, new Rng(5));
  close(toFractional(p.cell, p.positions), toFractional(s.cell, s.positions), 1e-12, 'fractional');
  const f = new Float64Array(9);
  assert.notEqual(volume(p.cell), volume(s.cell));
  // recover F from the rows: cell' = cell F  ->  F = cell^-1 cell'
  const c = s.cell, cp = p.cell;
  const det = c[0]! * (c[4]! * c[8]! - c[5]! * c[7]!) - c[1]! * (c[3]! * c[8]! - c[5]! * c[6]!) + c[2]! * (c[3]! * c[7]! - c[4]! * c[6]!);
  const ci = [
    (c[4]! * c[8]! - c[5]! * c[7]!) / det, (c[2]! * c[7]! - c[1]! * c[8]!) / det, (c[1]! * c[5]! - c[2]! * c[4]!) / det,
    (c[5]! * c[6]! - c[3]! * c[8]!) / det, (c[0]! * c[8]! - c[2]! * c[6]!) / det, (c[2]! * c[3]! - c[0]! * c[5]!) / det,
    (c[3]! * c[7]! - c[4]! * c[6]!) / det, (c[1]! * c[6]! - c[0]! * c[7]!) / det, (c[0]! * c[4]! - c[1]! * c[3]!) / det,
  ];
  for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) f[3 * r + q] = ci[3 * r]! * cp[q]! + ci[3 * r + 1]! * cp[3 + q]! + ci[3 * r + 2]! * cp[6 + q]!;
  for (const [r, q] of [[0, 1], [0, 2], [1, 2]] as const) assert.ok(Math.abs(f[3 * r + q]! - f[3 * q + r]!) < 1e-12);
  assert.ok(Math.abs(f[1]!) > 0, 'off-diagonal strain present');
});

const ASE_SCRIPT = `
import json, sys
from ase.build import bulk, surface
out = {}
def rec(a):
    return {'cell': a.cell.array.flatten().tolist(), 'pos': a.positions.flatten().tolist(), 'numbers': a.numbers.tolist(), 'pbc': a.pbc.tolist()}
for name, cs, kw in [('Si','diamond',{}),('Cu','fcc',{}),('Fe','bcc',{}),('Mg','hcp',{}),('Po','sc',{}),('NaCl','rocksalt',{})]:
    a = {'Si':5.431,'Cu':3.61,'Fe':2.87,'Mg':3.21,'Po':3.35,'NaCl':5.64}[name]
    out[name+'-prim'] = rec(bulk(name, cs, a=a, c=(a*(8/3)**0.5 if cs == 'hcp' else None)))
    if cs != 'hcp':
        out[name+'-cubic'] = rec(bulk(name, cs, a=a, cubic=True))
out['Mg-hcp-c'] = rec(bulk('Mg', 'hcp', a=3.21, c=5.2))
for name, cs, a in [('Cu','fcc',3.61),('Si','diamond',5.431)]:
    b = bulk(name, cs, a=a, cubic=True)
    for m in [(1,0,0),(1,1,0),(1,1,1),(2,1,1),(3,1,0),(1,2,3),(1,-1,2)]:
        out['%s-%d%d%d' % ((name,)+m)] = rec(surface(b, m, 3, vacuum=6.0))
    out[name+'-111-periodic'] = rec(surface(b, (1,1,1), 2, periodic=True))
json.dump(out, sys.stdout)
`;

test('bulk and surface give the same cells, atoms and order as ASE', { skip: asePeer().skip }, () => {
  const r = runPython(ASE_SCRIPT, [], { timeoutMs: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const ase = JSON.parse(r.stdout) as Record<string, { cell: number[]; pos: number[]; numbers: number[]; pbc: boolean[] }>;
  const cmp = (key: string, s: Structure) => {
    const ref = ase[key]!;
    assert.ok(ref, key);
    close(s.cell, ref.cell, 1e-10, `${key} cell`);
    // positions equal up to a lattice translation along periodic directions (ASE may leave an atom
    // at fractional 1.0 - 1e-16 where we have 0.0: the same site)
    assert.equal(s.positions.length, ref.pos.length, `${key} atom count`);
    const d = s.positions.map((v, i) => v - ref.pos[i]!);
    const f = toFractional(s.cell, d);
    for (let i = 0; i < f.length; i++) if (s.pbc[i % 3]) f[i] = f[i]! - Math.round(f[i]!);
    close(toCartesian(s.cell, f), new Float64Array(f.length), 1e-9, `${key} positions`);
    assert.deepEqual(Array.from(s.numbers), ref.numbers, `${key} numbers`);
    assert.deepEqual(s.pbc, ref.pbc, `${key} pbc`);
  };
  const lat: Record<string, [string, Crystal, number, string?]> = {
    Si: ['Si', 'diamond', 5.431], Cu: ['Cu', 'fcc', 3.61], Fe: ['Fe', 'bcc', 2.87], Mg: ['Mg', 'hcp', 3.21], Po: ['Po', 'sc', 3.35], NaCl: ['Na', 'rocksalt', 5.64, 'Cl'],
  };
  for (const [key, [sym, cs, a, s2]] of Object.entries(lat)) {
    const o = s2 ? { a, symbols2: s2 } : { a };
    cmp(`${key}-prim`, bulk(sym, cs, o));
    if (cs !== 'hcp') cmp(`${key}-cubic`, bulk(sym, cs, { ...o, cubic: true }));
  }
  cmp('Mg-hcp-c', bulk('Mg', 'hcp', { a: 3.21, c: 5.2 }));
  for (const [name, cs, a] of [['Cu', 'fcc', 3.61], ['Si', 'diamond', 5.431]] as const) {
    const b = bulk(name, cs, { a, cubic: true });
    for (const m of [[1, 0, 0], [1, 1, 0], [1, 1, 1], [2, 1, 1], [3, 1, 0], [1, 2, 3], [1, -1, 2]] as [number, number, number][]) {
      cmp(`${name}-${m.join('')}`, surface(b, m, 3, { vacuum: 6.0 }));
    }
    cmp(`${name}-111-periodic`, surface(b, [1, 1, 1], 2, { periodic: true }));
  }
});
