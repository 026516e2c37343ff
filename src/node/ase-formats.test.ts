/**
 * Cross-checks against ASE 3.22 (the system python): files ASE writes read the same in mlpot as
 * in ASE, and files mlpot writes read in ASE as the original structure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, asePeer } from './peers.js';
import { readPoscar, writePoscar } from '../io/poscar.js';
import { readLammpsData, writeLammpsData } from '../io/lammps-data.js';
import { Structure } from '../structure/structure.js';
import { cellFromParameters, cellParameters, minimumImage } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';
import { rotationMatrix } from '../core/mat3.js';

interface AseAtoms { numbers: number[]; positions: number[][]; cell: number[][]; mask?: number[][] }

const PY = `
import json, sys, numpy as np
import ase.io
from ase import Atoms
from ase.constraints import FixAtoms, FixScaled
d = sys.argv[1]
inp = json.load(open(d + '/in.json'))
out = {}
def dump(a):
    r = {'numbers': a.numbers.tolist(), 'positions': a.positions.tolist(), 'cell': a.cell.array.tolist()}
    mask = np.ones((len(a), 3), dtype=int)
    for c in a.constraints:
        if isinstance(c, FixAtoms): mask[c.index] = 0
        elif isinstance(c, FixScaled): mask[c.a] = np.where(c.mask, 0, 1)
    r['mask'] = mask.tolist()
    return r
for name, s in inp['structures'].items():
    a = Atoms(numbers=s['numbers'], positions=np.array(s['positions']).reshape(-1, 3), cell=np.array(s['cell']).reshape(3, 3), pbc=True)
    if 'fixed' in s:
        a.set_constraint([FixAtoms(indices=s['fixed']), FixScaled(a.cell, s['partial'], [True, False, True])])
    ase.io.write(f'{d}/{name}.vasp', a, format='vasp')
    ase.io.write(f'{d}/{name}_direct.vasp', a, format='vasp', direct=True)
    ase.io.write(f'{d}/{name}.data', a, format='lammps-data', atom_style='atomic', specorder=inp['specorder'])
    out[f'ase:{name}.vasp'] = dump(ase.io.read(f'{d}/{name}.vasp', format='vasp'))
    out[f'ase:{name}_direct.vasp'] = dump(ase.io.read(f'{d}/{name}_direct.vasp', format='vasp'))
    zt = {k + 1: int(z) for k, z in enumerate(inp['specorderZ'])}
    out[f'ase:{name}.data'] = dump(ase.io.read(f'{d}/{name}.data', format='lammps-data', style='atomic', Z_of_type=zt))
for f in inp['mine']:
    if f.endswith('.vasp'):
        out['mine:' + f] = dump(ase.io.read(f'{d}/{f}', format='vasp'))
    else:
        zt = {k + 1: int(z) for k, z in enumerate(inp['specorderZ'])}
        out['mine:' + f] = dump(ase.io.read(f'{d}/{f}', format='lammps-data', style='atomic', Z_of_type=zt))
print(json.dumps(out))
`;

function structures(): Record<string, Structure> {
  const tric = cellFromParameters(5.3, 5.8, 6.4, 70, 80, 100);
  // A general (not LAMMPS-oriented) triclinic cell: rotate cell and atoms together.
  const R = rotationMatrix([1, 2, 3], 0.9);
  const rot = (src: ArrayLike<number>) => {
    const out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i += 3) for (let r = 0; r < 3; r++) out[i + r] = R[3 * r]! * src[i]! + R[3 * r + 1]! * src[i + 1]! + R[3 * r + 2]! * src[i + 2]!;
    return out;
  };
  const t = randomStructure({ numbers: [14, 8], n: 10, cell: tric, seed: 5, minDistance: 1.2 });
  const general = new Structure({ numbers: t.numbers, positions: rot(t.positions), cell: rot(t.cell), pbc: true });
  const ortho = randomStructure({ numbers: [8, 14], n: 8, cell: cellFromParameters(6, 7, 8), seed: 6, minDistance: 1.2 });
  return { tric: t, general, ortho };
}

test('ASE and mlpot agree on POSCAR and LAMMPS data files written by either (triclinic included)', { skip: asePeer().skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlpot-ase-'));
  try {
    const ss = structures();
    const specorder = ['O', 'Si'];
    const mine: string[] = [];
    const input: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(ss)) {
      input[name] = { numbers: Array.from(s.numbers), positions: Array.from(s.positions), cell: Array.from(s.cell), ...(name === 'tric' ? { fixed: [0, 3], partial: [1] } : {}) };
      if (name === 'tric') {
        const mask = new Uint8Array(3 * s.length).fill(1);
        mask.fill(0, 0, 3);
        mask.fill(0, 9, 12);
        mask[3] = 0;
        mask[5] = 0;
        s.setArray('move_mask', { type: 'bool', cols: 3, data: mask });
      }
      writeFileSync(join(dir, `mine_${name}.vasp`), writePoscar(s));
      writeFileSync(join(dir, `mine_${name}_direct.vasp`), writePoscar(s, { direct: true }));
      writeFileSync(join(dir, `mine_${name}.data`), writeLammpsData(s, { specorder: [8, 14] }));
      mine.push(`mine_${name}.vasp`, `mine_${name}_direct.vasp`, `mine_${name}.data`);
    }
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ structures: input, specorder, specorderZ: [8, 14], mine }));
    const r = spawnSync(PYTHON, ['-c', PY, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ase = JSON.parse(r.stdout) as Record<string, AseAtoms>;

    const flat = (m: number[][]) => m.flat();
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
      assert.equal(a.length, b.length, what);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
    };

    for (const [name, s] of Object.entries(ss)) {
      // 1. ASE-written files read by mlpot equal ASE's reading of them.
      for (const f of [`${name}.vasp`, `${name}_direct.vasp`]) {
        const m = readPoscar(readFileSync(join(dir, f), 'utf8'), { file: f });
        const a = ase[`ase:${f}`]!;
        assert.deepEqual(Array.from(m.numbers), a.numbers, f);
        assert.deepEqual(Array.from(m.cell), flat(a.cell), `${f} cell`);
        // Cartesian: the same parse of the same digits; Direct: f @ cell summed in another order.
        close(m.positions, flat(a.positions), f.includes('direct') ? 1e-13 : 0, `${f} positions`);
        if (name === 'tric') assert.deepEqual(Array.from(m.arrays['move_mask']!.data as Uint8Array), flat(a.mask!), `${f} selective dynamics`);
      }
      const fd = `${name}.data`;
      const md = readLammpsData(readFileSync(join(dir, fd), 'utf8'), { file: fd, typeToZ: [8, 14] });
      const ad = ase[`ase:${fd}`]!;
      assert.deepEqual(Array.from(md.numbers), ad.numbers, fd);
      assert.deepEqual(Array.from(md.cell), flat(ad.cell), `${fd} cell`);
      assert.deepEqual(Array.from(md.positions), flat(ad.positions), `${fd} positions`);

      // 2. mlpot-written files read by ASE equal the original (POSCAR: grouped species order).
      const order = [...new Set(s.numbers)].flatMap((z) => [...s.numbers.keys()].filter((i) => s.numbers[i] === z));
      const grouped = s.select(order);
      for (const f of [`mine_${name}.vasp`, `mine_${name}_direct.vasp`]) {
        const a = ase[`mine:${f}`]!;
        assert.deepEqual(a.numbers, Array.from(grouped.numbers), f);
        assert.deepEqual(flat(a.cell), Array.from(s.cell), `${f} cell`);
        close(flat(a.positions), grouped.positions, f.includes('direct') ? 1e-13 : 0, `${f} positions`);
        if (name === 'tric') assert.deepEqual(flat(a.mask!), Array.from(grouped.arrays['move_mask']!.data as Uint8Array), `${f} selective dynamics`);
      }
      // LAMMPS data: same atoms; cell and positions up to the documented rotation.
      const a = ase[`mine:mine_${name}.data`]!;
      assert.deepEqual(a.numbers, Array.from(s.numbers));
      const back = new Structure({ numbers: a.numbers, positions: flat(a.positions), cell: flat(a.cell), pbc: true });
      if (name === 'ortho') {
        assert.deepEqual(Array.from(back.cell), Array.from(s.cell));
        assert.deepEqual(Array.from(back.positions), Array.from(s.positions));
      }
      close(cellParameters(back.cell), cellParameters(s.cell), 1e-11, `mine_${name}.data cell parameters`);
      for (let i = 0; i < s.length; i++) {
        for (let j = 0; j < i; j++) {
          const d = (t: Structure) => Math.hypot(...minimumImage(t.cell, t.pbc, [0, 1, 2].map((k) => t.positions[3 * i + k]! - t.positions[3 * j + k]!)));
          assert.ok(Math.abs(d(back) - d(s)) < 1e-12, `mine_${name}.data distance ${i}-${j}: ${d(back)} vs ${d(s)}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
