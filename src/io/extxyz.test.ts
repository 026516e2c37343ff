import { test, assert } from '../node/test-support.js';
import { ParseError, ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Structure } from '../structure/structure.js';
import { XyzStreamParser, readExtxyz, writeExtxyz } from './extxyz.js';

const ASE_STYLE = [
  '2',
  'Lattice="5.0 0.0 0.0 1.0 6.0 0.0 0.5 0.25 7.0" Properties=species:S:1:pos:R:3:forces:R:3:REF_forces:R:3:tag:I:1:fixed:L:1:label:S:1 ' +
    'energy=-10.5 REF_energy=-10.25 n=3 name="bulk \\"Si\\" cell" flag vec="1.5 2.5 3.5" ivec="1 2 3" bools="T F T" ' +
    'js="_JSON [\\"a b\\", \\"c\\"]" mat="_JSON [[1, 2], [3, 4]]" obj="_JSON {\\"k\\": 1}" t=T f=F pbc="T T F"',
  'si 0.1 0.2 0.3 1.0 2.0 3.0 1.5 2.5 3.5 7 T first',
  'Si 1.1 1.2 1.3 -1.0 -2.0 -3.0 -1.5 -2.5 -3.5 -2 False second',
].join('\n');

test('extxyz reads an ASE-style header: Lattice rows, pbc, typed info and typed columns', () => {
  const [s] = readExtxyz(ASE_STYLE);
  assert.ok(s);
  assert.deepEqual(Array.from(s.cell), [5, 0, 0, 1, 6, 0, 0.5, 0.25, 7]);
  assert.deepEqual(s.pbc, [true, true, false]);
  assert.deepEqual(Array.from(s.numbers), [14, 14]);
  assert.deepEqual(Array.from(s.positions), [0.1, 0.2, 0.3, 1.1, 1.2, 1.3]);
  assert.deepEqual(s.info, {
    energy: -10.5,
    REF_energy: -10.25,
    n: 3,
    name: 'bulk "Si" cell',
    flag: true,
    vec: [1.5, 2.5, 3.5],
    ivec: [1, 2, 3],
    bools: [true, false, true],
    js: ['a b', 'c'],
    mat: [[1, 2], [3, 4]],
    obj: '_JSON {"k": 1}',
    t: true,
    f: false,
  });
  assert.deepEqual(s.arrays['forces'], { type: 'float', cols: 3, data: Float64Array.of(1, 2, 3, -1, -2, -3) });
  assert.deepEqual(s.arrays['REF_forces'], { type: 'float', cols: 3, data: Float64Array.of(1.5, 2.5, 3.5, -1.5, -2.5, -3.5) });
  assert.deepEqual(s.arrays['tag'], { type: 'int', cols: 1, data: Int32Array.of(7, -2) });
  assert.deepEqual(s.arrays['fixed'], { type: 'bool', cols: 1, data: Uint8Array.of(1, 0) });
  assert.deepEqual(s.arrays['label'], { type: 'string', cols: 1, data: ['first', 'second'] });
  assert.equal(Object.keys(s.arrays).length, 5, 'species and pos are not kept as arrays');
});

test('extxyz pbc defaults to true with a Lattice and to false without', () => {
  const withCell = readExtxyz('1\nLattice="3 0 0 0 3 0 0 0 3" Properties=species:S:1:pos:R:3\nH 0 0 0\n')[0]!;
  assert.deepEqual(withCell.pbc, [true, true, true]);
  const molecule = readExtxyz('1\nProperties=species:S:1:pos:R:3\nH 0 0 0\n')[0]!;
  assert.deepEqual(molecule.pbc, [false, false, false]);
  assert.deepEqual(Array.from(molecule.cell), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('extxyz without Properties reads species and positions; "key = value" with spaces and {}/[] quotes work', () => {
  const [s] = readExtxyz('1\na = 1 b={x y} c=[1,2] \nO 1 2 3\n');
  assert.deepEqual(s!.info, { a: 1, b: 'x y', c: [1, 2] });
  assert.deepEqual(Array.from(s!.positions), [1, 2, 3]);
});

test('extxyz reads stress and virial as the 3x3 matrix ASE sees (file in Fortran order), kept flat row-major', () => {
  const [s] = readExtxyz('1\nstress="1 2 3 4 5 6 7 8 9" virial="1 0 0 0 1 0 0 0 2"\nAr 0 0 0\n');
  // Fortran order: the file lists columns, so row 0 is (1, 4, 7)
  assert.deepEqual(s!.info['stress'], [1, 4, 7, 2, 5, 8, 3, 6, 9]);
  assert.deepEqual(s!.info['virial'], [1, 0, 0, 0, 1, 0, 0, 0, 2]);
  const text = writeExtxyz([s!]);
  assert.match(text, /stress="1 2 3 4 5 6 7 8 9"/);
});

test('extxyz Z column gives the atomic numbers, as in ASE', () => {
  const [s] = readExtxyz('2\nProperties=species:S:1:pos:R:3:Z:I:1\nH 0 0 0 8\nH 1 0 0 1\n');
  assert.deepEqual(Array.from(s!.numbers), [8, 1]);
  assert.equal(s!.arrays['Z'], undefined);
});

function randomDouble(rng: Rng): number {
  const dv = new DataView(new ArrayBuffer(8));
  for (;;) {
    dv.setUint32(0, Math.floor(rng.uniform() * 2 ** 32));
    dv.setUint32(4, Math.floor(rng.uniform() * 2 ** 32));
    const x = dv.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

test('extxyz write then read gives every float back bit for bit (positions, cell, columns, info)', () => {
  const rng = new Rng(7);
  const n = 40;
  const special = [0, -0, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3, -2.5e-17, 123456789012345680000, 1e21, 2 ** 53 + 2];
  const pos = Float64Array.from({ length: 3 * n }, (_, i) => (i < special.length ? special[i]! : randomDouble(rng)));
  const forces = Float64Array.from({ length: 3 * n }, () => randomDouble(rng));
  const cell = Float64Array.from({ length: 9 }, () => randomDouble(rng));
  const s = new Structure({
    numbers: Array.from({ length: n }, (_, i) => 1 + (i % 86)),
    positions: pos,
    cell,
    pbc: [true, false, true],
    info: { e: randomDouble(rng), tiny: 5e-324, negz: -0, big: 1e300, v: [randomDouble(rng), randomDouble(rng), -0], stress: special.slice(0, 9) },
    arrays: { forces: { type: 'float', cols: 3, data: forces } },
  });
  const back = readExtxyz(writeExtxyz([s]))[0]!;
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} != ${b[i]}`);
  };
  same(back.positions, pos, 'positions');
  same(back.cell, cell, 'cell');
  same(back.floatArray('forces')!, forces, 'forces');
  for (const k of ['e', 'tiny', 'negz', 'big']) assert.ok(Object.is(back.info[k], s.info[k]), k);
  same(back.info['v'] as number[], s.info['v'] as number[], 'v');
  same(back.info['stress'] as number[], s.info['stress'] as number[], 'stress');
  assert.deepEqual(back.pbc, [true, false, true]);
  assert.deepEqual(Array.from(back.numbers), Array.from(s.numbers));
});

test('extxyz round-trips info of every kind, including strings that look like numbers, booleans or JSON', () => {
  const info = {
    int: 42,
    neg: -7,
    float: 2.5,
    t: true,
    f: false,
    plain: 'word',
    spaced: 'two words "quoted" and \\backslash\\ and = sign',
    numeric: '123',
    numericList: '1 2 3',
    boolish: 'T',
    empty: '',
    newline: 'line1\nline2',
    jsonish: '_JSON [1, 2]',
    nums: [1, 2.5, -3],
    one: [4],
    none: [] as number[],
    flags: [true, false],
    oneFlag: [true],
    words: ['a b', 'c'],
    grid: [[1, 2, 3], [4, 5, 6]],
    nanv: NaN,
    infv: -Infinity,
  };
  const s = new Structure({ numbers: [1], positions: [0, 0, 0], info });
  const back = readExtxyz(writeExtxyz([s]))[0]!;
  assert.deepEqual(back.info, { ...info, jsonish: [1, 2] });
});

test('extxyz keeps reference labels and predictions apart under their own keys', () => {
  const s = new Structure({
    numbers: [1, 1],
    positions: [0, 0, 0, 0.74, 0, 0],
    info: { REF_energy: -1.1, energy: -1.0 },
    arrays: {
      REF_forces: { type: 'float', cols: 3, data: Float64Array.of(1, 0, 0, -1, 0, 0) },
      forces: { type: 'float', cols: 3, data: Float64Array.of(2, 0, 0, -2, 0, 0) },
    },
  });
  const back = readExtxyz(writeExtxyz([s]))[0]!;
  assert.equal(back.info['REF_energy'], -1.1);
  assert.equal(back.info['energy'], -1.0);
  assert.deepEqual(Array.from(back.floatArray('REF_forces')!), [1, 0, 0, -1, 0, 0]);
  assert.deepEqual(Array.from(back.floatArray('forces')!), [2, 0, 0, -2, 0, 0]);
});

test('extxyz reads several frames with different sizes and columns, and CRLF line ends', () => {
  const text = '1\nProperties=species:S:1:pos:R:3 a=1\nH 0 0 0\n3\nProperties=species:S:1:pos:R:3:q:R:1 a=2\nO 0 0 0 -0.8\nH 1 0 0 0.4\nH 0 1 0 0.4\n\n';
  const frames = readExtxyz(text.replace(/\n/g, '\r\n'));
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.length, 1);
  assert.equal(frames[1]!.length, 3);
  assert.equal(frames[1]!.info['a'], 2);
  assert.deepEqual(Array.from(frames[1]!.floatArray('q')!), [-0.8, 0.4, 0.4]);
});

test('extxyz stream parser hands out each frame as soon as its last atom line arrives', () => {
  const p = new XyzStreamParser();
  assert.equal(p.line('2'), undefined);
  assert.equal(p.line('Properties=species:S:1:pos:R:3'), undefined);
  assert.equal(p.line('H 0 0 0'), undefined);
  const s = p.line('H 0 0 0.74');
  assert.ok(s instanceof Structure);
  assert.equal(s.positions[5], 0.74);
  assert.equal(p.framesRead, 1);
  assert.deepEqual(p.end(), []);
});

test('extxyz stream parser gives the same frames whatever the chunk boundaries', () => {
  const text = writeExtxyz(readExtxyz(ASE_STYLE).concat(readExtxyz('1\nk="a b"\nNe 1 2 3')));
  const whole = readExtxyz(text);
  for (let cut = 1; cut < text.length; cut += 7) {
    const p = new XyzStreamParser();
    const frames = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
    assert.deepEqual(frames, whole, `split at ${cut}`);
  }
  const p = new XyzStreamParser();
  const bytewise: Structure[] = [];
  for (const ch of text) bytewise.push(...p.push(ch));
  bytewise.push(...p.end());
  assert.deepEqual(bytewise, whole);
});

function parseErr(text: string, re: RegExp, frame: number, line: number): void {
  assert.throws(
    () => readExtxyz(text, { file: 'in.extxyz' }),
    (e: unknown) => {
      assert.ok(e instanceof ParseError, `expected ParseError, got ${e}`);
      assert.match(e.message, re);
      assert.match(e.message, /^in\.extxyz, frame \d+, line \d+: /);
      assert.equal(e.location.file, 'in.extxyz');
      assert.equal(e.location.frame, frame, `frame in: ${e.message}`);
      assert.equal(e.location.line, line, `line in: ${e.message}`);
      return true;
    },
  );
}

const OK_FRAME = '1\nProperties=species:S:1:pos:R:3\nH 0 0 0\n';

test('extxyz rejects a count line that is not a non-negative integer', () => {
  parseErr(OK_FRAME + 'two\nx\nH 0 0 0\n', /expected the atom count of frame 1.*"two"/, 1, 4);
  parseErr('-1\n\n', /expected the atom count/, 0, 1);
});

test('extxyz reports an atom count larger than the atom lines', () => {
  parseErr('2\nProperties=species:S:1:pos:R:3\nH 0 0 0\n1\nc\nH 0 0 0\n', /looks like the next frame's atom count.*count on line 1/, 0, 4);
});

test('extxyz reports missing columns against the Properties', () => {
  parseErr('1\nProperties=species:S:1:pos:R:3:forces:R:3\nH 0 0 0 1 2\n', /has 6 fields; expected 7 \(species:S:1 pos:R:3 forces:R:3\)/, 0, 3);
});

test('extxyz reports non-numeric and bad typed fields', () => {
  parseErr(OK_FRAME + '1\n\nH 0 abc 0\n', /column "pos" \(R\) has "abc"/, 1, 6);
  parseErr('1\nProperties=species:S:1:pos:R:3:n:I:1\nH 0 0 0 1.5\n', /column "n" \(I\) has "1.5"; expected a 32-bit integer/, 0, 3);
  parseErr('1\nProperties=species:S:1:pos:R:3:m:L:1\nH 0 0 0 yes\n', /column "m" \(L\) has "yes"; expected T, F/, 0, 3);
  parseErr('1\nProperties=species:S:1:pos:R:3\nH 0x10 0 0\n', /column "pos" \(R\) has "0x10"/, 0, 3);
});

test('extxyz rejects NaN and infinite coordinates but accepts nan in other real columns', () => {
  parseErr('1\n\nH nan 0 0\n', /position|"nan"/, 0, 3);
  parseErr('1\n\nH 0 0 inf\n', /position "inf" is not finite/, 0, 3);
  parseErr('1\n\nH 0 1e999 0\n', /position "1e999" is not finite/, 0, 3);
  const [s] = readExtxyz('1\nProperties=species:S:1:pos:R:3:u:R:1\nH 0 0 0 nan\n');
  assert.ok(Number.isNaN(s!.floatArray('u')![0]));
});

test('extxyz rejects a bad Lattice, bad pbc and bad Properties', () => {
  parseErr('1\nLattice="1 0 0 0 1 0 0 0"\nH 0 0 0\n', /Lattice="1 0 0 0 1 0 0 0" is not 9 finite numbers/, 0, 2);
  parseErr('1\nLattice="1 0 0 0 1 0 0 0 x"\nH 0 0 0\n', /Lattice=.*not 9 finite numbers/, 0, 2);
  parseErr('1\npbc="T X T"\nH 0 0 0\n', /pbc="T X T"; expected three flags/, 0, 2);
  parseErr('1\nProperties=species:S:1:pos:R\nH 0 0 0\n', /name:type:ncols triples/, 0, 2);
  parseErr('1\nProperties=species:S:1:pos:Q:3\nH 0 0 0\n', /type "Q"; expected R \(real\)/, 0, 2);
  parseErr('1\nProperties=species:S:1\nH 0 0 0\n', /no pos:R:3 column/, 0, 2);
});

test('extxyz reports an unterminated quote on the comment line', () => {
  parseErr(OK_FRAME + '1\nname="open ended\nH 0 0 0\n', /unterminated quote.*"\\""/, 1, 5);
});

test('extxyz reports a truncated last frame', () => {
  parseErr(OK_FRAME + '3\nProperties=species:S:1:pos:R:3\nH 0 0 0\nH 1 0 0', /file ends inside the frame that starts at line 4: expected a comment line and 3 atom lines, got 2 of them/, 1, 7);
  parseErr('5\n', /got no comment line/, 0, 1);
});

test('extxyz reports an unknown element with file, frame and line', () => {
  parseErr(OK_FRAME + OK_FRAME + '1\n\nXx 0 0 0\n', /unknown element "Xx"/, 2, 9);
});

test('extxyz writer refuses per-atom strings with spaces and reserved names', () => {
  const base = { numbers: [1], positions: [0, 0, 0] };
  assert.throws(() => writeExtxyz([new Structure({ ...base, arrays: { tag: { type: 'string', cols: 1, data: ['a b'] } } })]), ValidationError);
  assert.throws(() => writeExtxyz([new Structure({ ...base, arrays: { species: { type: 'string', cols: 1, data: ['H'] } } })]), /clashes/);
  assert.throws(() => writeExtxyz([new Structure({ ...base, info: { Lattice: 'x' } })]), /reserved/);
});

test('extxyz writes a comment line ASE can read: Lattice, Properties, info, pbc', () => {
  const s = new Structure({
    numbers: [14],
    positions: [0, 0, 0],
    cell: [5, 0, 0, 0, 5, 0, 0, 0, 5],
    pbc: true,
    info: { energy: -1.5, note: 'a b' },
    arrays: { m: { type: 'bool', cols: 1, data: Uint8Array.of(1) }, k: { type: 'int', cols: 2, data: Int32Array.of(3, 4) } },
  });
  const lines = writeExtxyz([s]).split('\n');
  assert.equal(lines[0], '1');
  assert.equal(lines[1], 'Lattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3:m:L:1:k:I:2 energy=-1.5 note="a b" pbc="T T T"');
  assert.deepEqual(lines[2]!.trim().split(/\s+/), ['Si', '0.0', '0.0', '0.0', 'T', '3', '4']);
});
