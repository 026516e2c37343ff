/**
 * Extended XYZ against ASE 3.22 (Debian python3-ase), both directions, bit for bit.
 * Python's json writes floats with repr, which round-trips exactly, so equal JSON numbers here
 * mean identical doubles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { Structure, type InfoValue } from '../structure/structure.js';
import { readExtxyz, writeExtxyz } from '../io/extxyz.js';
import { getEnergy, getForces, getStressVoigt, setPrediction } from '../io/labels.js';
import { PYTHON, asePeer } from './peers.js';

const SCRIPT = String.raw`
import json, sys
import numpy as np
from ase import Atoms
from ase.io import read, write
from ase.calculators.singlepoint import SinglePointCalculator

def conv(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {k: conv(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    return v

def dump(path):
    out = []
    for a in read(path, ':', format='extxyz'):
        calc = a.calc
        out.append({
            'cell': a.cell.array.tolist(),
            'pbc': a.pbc.tolist(),
            'info': conv(a.info),
            'arrays': conv(dict(a.arrays)),
            'results': conv(dict(calc.results)) if calc is not None else {},
        })
    print(json.dumps(out))

def make(path):
    rng = np.random.default_rng(3)
    a = Atoms('Si2O', positions=rng.normal(size=(3, 3)) * 2,
              cell=[[5.1, 0, 0], [0.7, 4.9, 0], [0.3, 0.45, 6.2]], pbc=[True, True, False])
    a.info.update(step=7, temperature=300.25, note='two words here', ok=True, bad=False,
                  vec3=np.array([1.5, -2.25, 3.125]), ivec=np.array([1, 2, 3]),
                  REF_energy=-12.345678901234567, tiny=1e-300, third=1 / 3,
                  virial=np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.5]]),
                  names=['x', 'y z'], grid=np.array([[1, 2], [3, 4]]), meta={'a': 1, 'b': [1, 2]})
    a.new_array('charge_f', rng.normal(size=3))
    a.new_array('tags_i', np.array([1, -2, 3]))
    a.new_array('fixed_b', np.array([True, False, True]))
    a.new_array('names_s', np.array(['a', 'bb', 'ccc']))
    a.new_array('REF_forces', rng.normal(size=(3, 3)))
    a.new_array('vel', rng.normal(size=(3, 3)))
    a.calc = SinglePointCalculator(a, energy=-12.3, forces=rng.normal(size=(3, 3)),
                                   stress=np.array([0.1, 0.2, 0.3, 0.04, 0.05, 0.06]))
    m = Atoms('H2O', positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    m.info['REF_energy'] = -14.2
    m.calc = SinglePointCalculator(m, energy=-14.0, forces=rng.normal(size=(3, 3)))
    write(path, [a, m], format='extxyz')

if sys.argv[1] == 'make':
    make(sys.argv[2])
dump(sys.argv[2])
`;

interface AseFrame {
  cell: number[][];
  pbc: boolean[];
  info: Record<string, unknown>;
  arrays: Record<string, unknown>;
  results: Record<string, unknown>;
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlpot-ase-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ase(dir: string, mode: 'make' | 'dump', path: string): Promise<AseFrame[]> {
  const script = join(dir, 'ase_io.py');
  await writeFile(script, SCRIPT);
  return JSON.parse(execFileSync(PYTHON, [script, mode, path], { encoding: 'utf8', maxBuffer: 1 << 26 })) as AseFrame[];
}

const flat = (v: unknown): unknown => (Array.isArray(v) ? v.flat(Infinity) : v);

/** Our info value in the shape ASE's json dump has. */
function asAse(key: string, v: InfoValue): unknown {
  if (typeof v === 'string' && v.startsWith('_JSON ')) return JSON.parse(v.slice(6));
  if ((key === 'stress' || key === 'virial') && Array.isArray(v) && v.length === 9) return [v.slice(0, 3), v.slice(3, 6), v.slice(6, 9)];
  return v;
}

function arrayValues(s: Structure, name: string): unknown[] {
  const a = s.arrays[name];
  assert.ok(a, `array "${name}" missing`);
  return a.type === 'bool' ? Array.from(a.data, (x) => x === 1) : Array.from(a.data as ArrayLike<number | string>);
}

/** Everything ASE sees must be what mlpot sees, exactly. */
function assertAgrees(ours: Structure, theirs: AseFrame, label: string): void {
  assert.deepEqual(Array.from(ours.cell), theirs.cell.flat(), `${label}: cell`);
  assert.deepEqual(ours.pbc, theirs.pbc, `${label}: pbc`);
  assert.deepEqual(Array.from(ours.numbers), theirs.arrays['numbers'], `${label}: numbers`);
  assert.deepEqual(Array.from(ours.positions), flat(theirs.arrays['positions']), `${label}: positions`);
  assert.deepEqual(Object.keys(ours.info).sort(), Object.keys(theirs.info).sort(), `${label}: info keys`);
  for (const [k, v] of Object.entries(ours.info)) assert.deepEqual(asAse(k, v), theirs.info[k], `${label}: info "${k}"`);
  const theirArrays = Object.keys(theirs.arrays).filter((k) => k !== 'numbers' && k !== 'positions');
  assert.deepEqual(Object.keys(ours.arrays).sort(), theirArrays.sort(), `${label}: array names`);
  for (const k of theirArrays) assert.deepEqual(arrayValues(ours, k), flat(theirs.arrays[k]), `${label}: array "${k}"`);
  const r = theirs.results;
  if ('energy' in r) assert.equal(getEnergy(ours, 'energy'), r['energy'], `${label}: calculator energy`);
  if ('forces' in r) assert.deepEqual(Array.from(getForces(ours, 'forces')!), flat(r['forces']), `${label}: calculator forces`);
  if ('stress' in r) assert.deepEqual(Array.from(getStressVoigt(ours, 'stress')!), r['stress'], `${label}: calculator stress`);
  if ('energies' in r) assert.deepEqual(Array.from(ours.floatArray('energies')!), r['energies'], `${label}: calculator energies`);
}

test('ASE writes extended XYZ, mlpot reads exactly what ASE reads back', { skip: asePeer().skip }, async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'ase.extxyz');
    const theirs = await ase(dir, 'make', path);
    const ours = readExtxyz(await readFile(path, 'utf8'), { file: path });
    assert.equal(ours.length, 2);
    assert.equal(theirs.length, 2);
    assert.deepEqual(Object.keys(theirs[0]!.results).sort(), ['energy', 'forces', 'stress'], 'ASE made a calculator from energy/forces/stress');
    ours.forEach((s, i) => assertAgrees(s, theirs[i]!, `frame ${i}`));
    // reference labels and predictions stay apart
    assert.equal(ours[0]!.info['REF_energy'], -12.345678901234567);
    assert.equal(ours[0]!.info['energy'], -12.3);
    assert.notDeepEqual(ours[0]!.arrays['REF_forces'], ours[0]!.arrays['forces']);
  });
});

function randomDouble(rng: Rng): number {
  const dv = new DataView(new ArrayBuffer(8));
  for (;;) {
    dv.setUint32(0, Math.floor(rng.uniform() * 2 ** 32));
    dv.setUint32(4, Math.floor(rng.uniform() * 2 ** 32));
    const x = dv.getFloat64(0);
    if (Number.isFinite(x) && Math.abs(x) < 1e100 && Math.abs(x) > 1e-100) return x;
  }
}

function mlpotFrames(): Structure[] {
  const rng = new Rng(11);
  const n = 5;
  const r = (k: number) => Float64Array.from({ length: k }, () => randomDouble(rng));
  const bulk = new Structure({
    numbers: [26, 26, 6, 1, 8],
    positions: [...r(14), -0],
    cell: [4.1, 0, 0, 0.3, 4.3, 0, -0.2, 0.1, 5.7],
    pbc: [true, true, true],
    info: {
      REF_energy: -41.123456789,
      step: 12,
      temperatureK: 300,
      dt: 0.5,
      note: 'mlpot wrote "this"',
      code: '007',
      flag: true,
      off: false,
      vec: [1.5, randomDouble(rng), 3],
      one: [4],
      flags: [true, false, true],
      words: ['a', 'b c'],
      grid: [[1, 2, 3], [4, 5, 6]],
      virial: [1, 2, 3, 4, 5, 6, 7, 8, 9.25],
    },
    arrays: {
      REF_forces: { type: 'float', cols: 3, data: r(3 * n) },
      q: { type: 'float', cols: 1, data: r(n) },
      tag: { type: 'int', cols: 1, data: Int32Array.of(0, 1, -2, 3, 2147483647) },
      fixed: { type: 'bool', cols: 3, data: Uint8Array.of(1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0) },
      kind: { type: 'string', cols: 1, data: ['core', 'core', 'ads', 'ads', 'ads'] },
    },
  });
  setPrediction(bulk, { energy: -40.98765, forces: r(3 * n), stress: r(6), energies: r(n) });
  const mol = Structure.fromSymbols(['C', 'O'], [[0, 0, 0], [1.128, 0, 1e-17]], { info: { REF_energy: -14.5 } });
  setPrediction(mol, { energy: -14.25, forces: Float64Array.of(0.5, 0, 0, -0.5, 0, 0) });
  return [bulk, mol];
}

test('mlpot writes extended XYZ (with predictions), ASE reads the same values and calculator results', { skip: asePeer().skip }, async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'mlpot.extxyz');
    const frames = mlpotFrames();
    await writeFile(path, writeExtxyz(frames));
    const theirs = await ase(dir, 'dump', path);
    assert.equal(theirs.length, 2);
    assert.deepEqual(Object.keys(theirs[0]!.results).sort(), ['energies', 'energy', 'forces', 'stress']);
    assert.deepEqual(Object.keys(theirs[1]!.results).sort(), ['energy', 'forces']);
    frames.forEach((s, i) => assertAgrees(s, theirs[i]!, `frame ${i}`));
    assert.equal(theirs[0]!.info['REF_energy'], -41.123456789);
    assert.equal(theirs[0]!.info['code'], '007', 'a numeric-looking string stays a string in ASE');
  });
});

test('mlpot writes and reads its own extended XYZ back unchanged', () => {
  const frames = mlpotFrames();
  assert.deepEqual(readExtxyz(writeExtxyz(frames)), frames);
});
