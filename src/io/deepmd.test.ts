import { test, assert } from '../node/test-support.js';
import { readDeepmdRaw, readDeepmdSystem, writeDeepmdSystem, type DeepmdFiles } from './deepmd.js';
import { writeNpy } from './npy.js';
import { ParseError, ValidationError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters, volume } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';

function frames(nf: number): Structure[] {
  const cell = cellFromParameters(6, 7, 8, 80, 95, 100);
  return Array.from({ length: nf }, (_, f) => {
    const s = randomStructure({ numbers: [8, 1], n: 6, cell, seed: 10 + f, minDistance: 1 });
    const base = randomStructure({ numbers: [8, 1], n: 6, cell, seed: 10, minDistance: 1 });
    const t = new Structure({ numbers: base.numbers, positions: s.positions, cell, pbc: true });
    t.info['REF_energy'] = -10 - f;
    t.setArray('REF_forces', { type: 'float', cols: 3, data: Float64Array.from({ length: 18 }, (_, k) => Math.sin(k + f)) });
    t.info['REF_stress'] = [0.01, -0.02, 0.03, 0.004, -0.005, 0.006].map((x) => x * (f + 1));
    return t;
  });
}

test('deepmd system write/read round trip keeps geometry and labels; stress goes through virial = -sigma V', () => {
  const fr = frames(3);
  const files = writeDeepmdSystem(fr);
  assert.equal(files.typeMapRaw, 'O\nH\n');
  assert.equal(files.nopbc, false);
  const back = readDeepmdSystem(files);
  assert.equal(back.length, 3);
  back.forEach((s, f) => {
    assert.deepEqual(Array.from(s.numbers), Array.from(fr[f]!.numbers));
    assert.deepEqual(Array.from(s.positions), Array.from(fr[f]!.positions));
    assert.deepEqual(Array.from(s.cell), Array.from(fr[f]!.cell));
    assert.equal(s.info['REF_energy'], -10 - f);
    assert.deepEqual(Array.from(s.floatArray('REF_forces')!), Array.from(fr[f]!.floatArray('REF_forces')!));
    const a = fr[f]!.info['REF_stress'] as number[], b = s.info['REF_stress'] as number[];
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-16, `stress ${k}: ${a[k]} vs ${b[k]}`);
    assert.equal(s.info['deepmd_set'], 'set.000');
  });
});

test('deepmd virial sign: a compressed cell (positive virial trace) has negative ASE stress', () => {
  const cell = Float64Array.of(10, 0, 0, 0, 10, 0, 0, 0, 10);
  const files: DeepmdFiles = {
    typeRaw: '0\n', typeMapRaw: 'Ar\n',
    sets: [{ name: 'set.000', box: writeNpy([1, 9], cell), coord: writeNpy([1, 3], Float64Array.of(1, 2, 3)), virial: writeNpy([1, 9], Float64Array.of(3, 1, 0, 1, 3, 0, 0, 0, 3)) }],
  };
  const [s] = readDeepmdSystem(files);
  const v = volume(cell);
  assert.deepEqual(s!.info['REF_stress'], [-3 / v, -3 / v, -3 / v, -0 / v, -0 / v, -1 / v]);
});

test('deepmd raw text format reads like the npy form; nopbc keeps the virial unconverted', () => {
  const raw = {
    typeRaw: '1 0\n', typeMapRaw: 'H O\n',
    boxRaw: '5 0 0 0 5 0 0 0 5\n5 0 0 0 5 0 0 0 5\n',
    coordRaw: '0 0 0 1 0 0\n0 0 0 1.1 0 0\n',
    energyRaw: '-1.5\n-1.25\n',
    forceRaw: '1 0 0 -1 0 0\n2 0 0 -2 0 0\n',
  };
  const fr = readDeepmdRaw(raw, { file: 'sys' });
  assert.equal(fr.length, 2);
  assert.deepEqual(fr[1]!.symbols, ['O', 'H']);
  assert.equal(fr[1]!.positions[3], 1.1);
  assert.equal(fr[1]!.info['REF_energy'], -1.25);
  assert.deepEqual(fr[0]!.pbc, [true, true, true]);
  const open = readDeepmdRaw({ typeRaw: '0', typeMapRaw: 'H', nopbc: true, coordRaw: '1 2 3', virialRaw: '1 2 3 4 5 6 7 8 9' });
  assert.deepEqual(open[0]!.pbc, [false, false, false]);
  assert.deepEqual(open[0]!.info['REF_virial'], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(open[0]!.info['REF_stress'], undefined);
});

test('deepmd writer refuses frames with different atoms and labels present in some frames only', () => {
  const fr = frames(2);
  const other = fr[1]!.select([0, 1, 2]);
  assert.throws(() => writeDeepmdSystem([fr[0]!, other]), ValidationError);
  delete fr[1]!.info['REF_energy'];
  assert.throws(() => writeDeepmdSystem(fr), /REF_energy is present in 1 of 2 frames/);
});

const good = writeDeepmdSystem(frames(2));
const bad: Array<[string, () => unknown, RegExp]> = [
  ['atom count differs between type.raw and coord', () => readDeepmdSystem({ ...good, typeRaw: '0 0 1 1 1\n' }, { file: 'sys' }), /sys\/set.000\/coord.npy: 18 values per frame; expected 15 \(3 x 5 atoms of type.raw\)/],
  ['frame counts differ', () => readDeepmdSystem({ ...good, sets: [{ ...good.sets[0]!, energy: writeNpy([3], Float64Array.of(1, 2, 3)) }] }, { file: 'sys' }), /sys\/set.000\/energy.npy: 3 frames but coord has 2/],
  ['corrupt npy header', () => readDeepmdSystem({ ...good, sets: [{ ...good.sets[0]!, force: good.sets[0]!.force!.slice(0, 30) }] }, { file: 'sys' }), /sys\/set.000\/force.npy: npy: byte 10: header length/],
  ['unknown element in type_map', () => readDeepmdSystem({ ...good, typeMapRaw: 'O\nXy\n' }, { file: 'sys' }), /sys\/type_map.raw, line 2: type 1 is "Xy", not an element symbol/],
  ['type index beyond type_map', () => readDeepmdSystem({ ...good, typeRaw: '0\n1\n2\n0\n0\n0\n' }, { file: 'sys' }), /sys\/type.raw, line 3: atom 2 has type 2 but type_map has 2 entries/],
  ['bad number in type.raw', () => readDeepmdSystem({ ...good, typeRaw: '0\n1\nx\n' }, { file: 'sys' }), /sys\/type.raw, line 3: expected a type index/],
  ['missing type_map', () => readDeepmdSystem({ typeRaw: good.typeRaw, sets: good.sets }, { file: 'sys' }), /sys\/type_map.raw: no type_map.raw: pass typeMap/],
  ['bad number in raw', () => readDeepmdRaw({ typeRaw: '0', typeMapRaw: 'H', nopbc: true, coordRaw: '1 2 3\n1 2 z\n' }, { file: 'sys' }), /sys\/coord.raw, line 2: expected a number, found "z"/],
  ['ragged raw', () => readDeepmdRaw({ typeRaw: '0', typeMapRaw: 'H', nopbc: true, coordRaw: '1 2 3\n1 2\n' }, { file: 'sys' }), /sys\/coord.raw, line 2: 2 values; expected 3/],
  ['periodic without box', () => readDeepmdRaw({ typeRaw: '0', typeMapRaw: 'H', coordRaw: '1 2 3\n' }, { file: 'sys' }), /sys: no box: periodic systems need box/],
];
for (const [label, fn, re] of bad) {
  test(`deepmd malformed input (${label}) gives a ParseError naming the file and what was expected`, () => {
    assert.throws(fn, (e: unknown) => (e instanceof ParseError && re.test(e.message)) || assert.fail(String(e)));
  });
}
