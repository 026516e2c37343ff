import { test, assert, readBytes, runPython, withTempDir } from '../node/test-support.js';
import { parseNpy, writeNpy } from './npy.js';
import { ParseError } from '../core/errors.js';
import { asePeer } from '../node/peers.js';

test('npy write/parse round trip is exact, including 1-D and 0-D shapes', () => {
  const data = Float64Array.of(1.5, -0, Math.PI, 1e-310, -2.5e300, 7);
  for (const shape of [[6], [2, 3], [1, 2, 3]]) {
    const bytes = writeNpy(shape, data);
    assert.equal((bytes[8]! | (bytes[9]! << 8)) + 10, bytes.length - 48, 'data starts right after the header');
    assert.equal((10 + (bytes[8]! | (bytes[9]! << 8))) % 64, 0, 'header padded to 64 bytes');
    const a = parseNpy(bytes);
    assert.deepEqual(a.shape, shape);
    assert.equal(a.dtype, '<f8');
    assert.deepEqual(Array.from(a.data), Array.from(data));
  }
  const scalar = parseNpy(writeNpy([], Float64Array.of(42)));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual(Array.from(scalar.data), [42]);
});

test('npy arrays written by numpy (all dtypes, versions 1-3) parse to the same values, and numpy reads ours', { skip: asePeer().skip }, () => {
  withTempDir('mlpot-npy-', (dir) => {
    const py = `
import numpy as np, json, sys
d = sys.argv[1]
vals = [[1.5, -2.25, 3.0], [1e-7, 65504.0, -0.0]]
ints = [[-128, 0, 127], [5, 6, 7]]
cases = []
for dt in ['<f2', '<f4', '<f8', '>f8', '>f4']:
    cases.append((dt, np.array(vals, dtype=dt)))
for dt in ['<i4', '>i4', '<i8', '|i1', '<i2', '>u2', '<u4', '<u8']:
    a = np.array(ints, dtype='<i8')
    if dt[1] == 'u': a = np.abs(a)
    cases.append((dt, a.astype(dt)))
cases.append(('|u1', np.array([[0, 200, 255]], dtype='|u1')))
cases.append(('|b1', np.array([True, False, True])))
out = []
for k, (dt, a) in enumerate(cases):
    for ver in [(1, 0), (2, 0), (3, 0)]:
        name = f"{d}/a{k}_{ver[0]}.npy"
        with open(name, 'wb') as f:
            np.lib.format.write_array(f, a, version=ver)
        out.append({'file': name, 'dtype': a.dtype.str, 'shape': list(a.shape), 'values': a.astype(float).ravel().tolist()})
mine = np.load(f"{d}/mine.npy")
out.append({'mine': mine.tolist(), 'dtype': mine.dtype.str, 'shape': list(mine.shape)})
print(json.dumps(out))
`;
    dir.write('mine.npy', writeNpy([2, 2], Float64Array.of(0.1, 0.2, 1 / 3, -1e-300)));
    const r = runPython(py, [dir.path]);
    assert.equal(r.status, 0, r.stderr);
    const cases = JSON.parse(r.stdout) as Array<{ file: string; dtype: string; shape: number[]; values: number[]; mine?: number[][] }>;
    const mine = cases.pop()!;
    assert.deepEqual(mine.mine, [[0.1, 0.2], [1 / 3, -1e-300]]);
    assert.equal(mine.dtype, '<f8');
    assert.equal(cases.length, 15 * 3);
    for (const c of cases) {
      const a = parseNpy(readBytes(c.file), { file: c.file });
      assert.deepEqual(a.shape, c.shape, c.file);
      assert.equal(a.dtype, c.dtype, c.file);
      assert.ok(c.dtype.includes('f') ? a.data instanceof Float64Array : a.data instanceof Int32Array, `${c.file} array type`);
      assert.deepEqual(Array.from(a.data), c.values, `${c.file} (${c.dtype}) values`);
    }
  });
});

function withHeader(header: string, data = new Uint8Array(0)): Uint8Array {
  const h = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  for (let k = 0; k < h.length; k++) out[10 + k] = h.charCodeAt(k);
  out.set(data, 10 + h.length);
  return out;
}

const good = writeNpy([3], Float64Array.of(1, 2, 3));
const bad: Array<[string, Uint8Array, RegExp]> = [
  ['bad magic', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, ...good.subarray(6)]), /f.npy: npy: byte 5: not an npy file/],
  ['unsupported version', Uint8Array.from([...good.subarray(0, 6), 4, 0, ...good.subarray(8)]), /byte 6: format version 4.0 is not supported/],
  ['truncated data', good.subarray(0, good.length - 5), /byte 128: data has 19 bytes; shape \(3\) of '<f8' needs 24/],
  ['header past end', good.subarray(0, 40), /byte 10: header length 118 runs past the end/],
  ['fortran order', withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(32)), /'fortran_order' is True: Fortran-order arrays are not supported/],
  ['missing shape', withHeader("{'descr': '<f8', 'fortran_order': False, }"), /header field 'shape' missing or malformed/],
  ['corrupt shape', withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }"), /'shape': expected non-negative integers, found "x"/],
  ['unsupported dtype', withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16)), /dtype '<c16' is not supported/],
  ['structured dtype', withHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), /structured dtypes are not supported/],
  ['int64 overflow', withHeader("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0)), /byte 128: element 0 of '<i8' array does not fit in int32/],
];
for (const [label, bytes, re] of bad) {
  test(`npy corrupt input (${label}) gives a ParseError naming file, byte or field`, () => {
    assert.throws(() => parseNpy(bytes, { file: 'f.npy' }), (e: unknown) => (e instanceof ParseError && re.test(e.message)) || assert.fail(String(e)));
  });
}
