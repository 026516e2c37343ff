import { test, assert } from '../node/test-support.js';
import { ValidationError } from '../core/errors.js';
import { Structure } from '../structure/structure.js';
import { FORMATS, formatFromPath, getFormat, readString, writeString } from './registry.js';

test('registry finds formats from extensions and well-known file names', () => {
  const cases: [string, string | undefined][] = [
    ['a/b/md.extxyz', 'extxyz'],
    ['train.XYZ', 'xyz'],
    ['POSCAR', 'vasp'],
    ['run1/CONTCAR', 'vasp'],
    ['POSCAR_relaxed', 'vasp'],
    ['si.vasp', 'vasp'],
    ['x.poscar', 'vasp'],
    ['in.data', 'lammps-data'],
    ['cell.lmp', 'lammps-data'],
    ['set.json', 'mlearn'],
    ['notes.txt', undefined],
    ['Makefile', undefined],
  ];
  for (const [path, want] of cases) assert.equal(formatFromPath(path), want, path);
  assert.equal(formatFromPath('out.xyz', 'write'), 'extxyz', '.xyz is written as extended XYZ so nothing is lost');
});

test('registry lists the known formats when a name is unknown', () => {
  assert.throws(() => getFormat('cif'), (e: unknown) => e instanceof ValidationError && /unknown format "cif"; known formats: extxyz, xyz, vasp, lammps-data, mlearn, deepmd/.test(e.message));
  assert.equal(getFormat('POSCAR').name, 'vasp');
  assert.deepEqual(FORMATS.map((f) => f.name), ['extxyz', 'xyz', 'vasp', 'lammps-data', 'mlearn', 'deepmd']);
});

test('registry refuses several frames for a single-frame format, naming it', () => {
  const s = new Structure({ numbers: [14], positions: [0, 0, 0], cell: [5, 0, 0, 0, 5, 0, 0, 0, 5], pbc: true });
  assert.throws(() => writeString([s, s], 'vasp'), (e: unknown) => e instanceof ValidationError && /format "vasp" holds exactly one structure, but 2 frames/.test(e.message));
  assert.throws(() => writeString([s, s], 'lammps-data'), /"lammps-data" holds exactly one/);
  assert.throws(() => readString('', 'deepmd'), /directory format/);
});

test('registry reads and writes text in a named format', () => {
  const s = new Structure({ numbers: [1, 8], positions: [0, 0, 0, 0.97, 0, 0], info: { REF_energy: -3.5 } });
  const text = writeString([s], 'extxyz');
  const back = readString(text, 'extxyz', { file: 'mem' });
  assert.equal(back.length, 1);
  assert.equal(back[0]!.info['REF_energy'], -3.5);
  assert.deepEqual(back[0]!.symbols, ['H', 'O']);
  assert.deepEqual(readString(writeString(s, 'xyz'), 'xyz')[0]!.symbols, ['H', 'O']);
});
