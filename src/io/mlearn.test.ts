import { test, assert, cwdPath, fileExists, isCI, readText } from '../node/test-support.js';
import { readMlearnJson, writeMlearnJson, type MlearnStressOrder } from './mlearn.js';
import { ParseError } from '../core/errors.js';
import { KBAR_TO_EV_PER_A3 } from '../core/units.js';
import { Structure } from '../structure/structure.js';

const DIR = cwdPath('../shared/data/mlearn');
const present = fileExists(DIR);
if (!present && isCI()) throw new Error(`CI: shared data folder ${DIR} is missing`);
const skip = present ? false : `needs ${DIR} (shared mlearn data)`;

const FILES: Array<[string, string, number, number, [number, number] | undefined]> = [
  ['Li', 'Li/training.json', 241, 11576, [-1.9, -1.71]],
  ['Mo', 'Mo/training.json', 194, 10087, [-10.85, -9.41]],
  ['Si', 'Si/training.json', 214, 13233, [-5.43, -4.57]],
  ['Ge', 'Ge/training.json', 228, 14072, [-4.49, -3.88]],
  ['Cu', 'Cu/training_reconstructed_from_snap.json', 262, 27416, undefined],
  ['Ni', 'Ni/training_partial_noAIMD_reconstructed_from_snap.json', 155, 15756, undefined],
];

const cache = new Map<string, Structure[]>();
function load(el: string, order?: MlearnStressOrder): Structure[] {
  const key = el + (order ?? '');
  if (!cache.has(key)) {
    const f = FILES.find((x) => x[0] === el)![1];
    cache.set(key, readMlearnJson(readText(`${DIR}/${f}`), { file: f, ...(order ? { stressOrder: order } : {}) }));
  }
  return cache.get(key)!;
}

for (const [el, , nStruct, nAtoms, range] of FILES) {
  test(`mlearn ${el}: structure and atom counts match the README, labels present, E/N in range`, { skip }, () => {
    const frames = load(el);
    assert.equal(frames.length, nStruct);
    assert.equal(frames.reduce((a, s) => a + s.length, 0), nAtoms);
    for (const s of frames) {
      assert.ok(s.numbers.every((z) => z === s.numbers[0]), 'elemental data');
      assert.equal(s.floatArray('REF_forces')!.length, 3 * s.length);
      assert.equal((s.info['REF_stress'] as number[]).length, 6);
      assert.ok(['AIMD-NVT', 'Elastic', 'Surface', 'Vacancy'].includes(s.info['group'] as string));
      assert.equal(s.info['tag'], 'train');
      if (range) {
        const epa = (s.info['REF_energy'] as number) / s.length;
        assert.ok(epa >= range[0] - 0.005 && epa <= range[1] + 0.005, `${el} E/N ${epa} outside ${range} (README ranges are rounded to 0.01)`);
      }
    }
  });
}

/** Single-shear Elastic cells: which Voigt slot (3 yz, 4 xz, 5 xy) is sheared, and the sign of the shear strain. */
function singleShear(s: Structure): { slot: number; sign: number } | undefined {
  const c = s.cell;
  const row = (k: number) => [c[3 * k]!, c[3 * k + 1]!, c[3 * k + 2]!];
  const cos = (i: number, j: number) => {
    const u = row(i), v = row(j);
    return (u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!) / Math.hypot(...u) / Math.hypot(...v);
  };
  const angles = [cos(1, 2), cos(0, 2), cos(0, 1)]; // yz, xz, xy
  const big = angles.map((x, k) => [Math.abs(x) > 0.005, k, x] as const).filter((x) => x[0]);
  if (big.length !== 1) return undefined;
  return { slot: 3 + big[0]![1], sign: Math.sign(big[0]![2]) };
}

for (const el of ['Si', 'Mo']) {
  test(`mlearn ${el}: the large shear stress of single-shear Elastic cells lands in the sheared Voigt slot with the strain's sign`, { skip }, () => {
    let checked = 0;
    const seen = new Set<number>();
    for (const s of load(el)) {
      if (s.info['group'] !== 'Elastic') continue;
      const sh = singleShear(s);
      if (!sh) continue;
      const st = s.info['REF_stress'] as number[];
      const shear = [3, 4, 5].sort((a, b) => Math.abs(st[b]!) - Math.abs(st[a]!))[0]!;
      assert.equal(shear, sh.slot, `${el}: stress ${st} for a shear in slot ${sh.slot}`);
      assert.equal(Math.sign(st[shear]!), sh.sign, 'positive shear strain gives positive (tensile-sign) shear stress');
      seen.add(sh.slot);
      checked++;
    }
    assert.ok(checked >= 27, `checked ${checked} cells`);
    assert.deepEqual([...seen].sort(), [3, 4, 5], 'all three shear planes occur');
  });
}

test('mlearn stressOrder overrides the element default (Mo read with the Si order swaps yz and xz)', { skip }, () => {
  const mo = load('Mo'), wrong = load('Mo', 'xy-yz-xz');
  for (let k = 0; k < mo.length; k++) {
    const a = mo[k]!.info['REF_stress'] as number[], b = wrong[k]!.info['REF_stress'] as number[];
    assert.deepEqual([b[0], b[1], b[2], b[3], b[4], b[5]], [a[0], a[1], a[2], a[4], a[3], a[5]]);
  }
});

const REC = {
  structure: {
    lattice: { matrix: [[4, 0, 0], [0, 4, 0], [0, 0.5, 4]] },
    sites: [
      { species: [{ element: 'Si', occu: 1 }], xyz: [0, 0, 0] },
      { species: [{ element: 'Si', occu: 1 }], abc: [0.5, 0.5, 0.5] },
    ],
  },
  num_atoms: 2,
  element: 'Si',
  group: 'Elastic',
  description: 'test',
  tag: 'train',
  outputs: { energy: -10.5, forces: [[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3]], virial_stress: [1, 2, 3, 4, 5, 6] },
};

test('mlearn maps a record: kbar compressive stress to ASE Voigt eV/Å^3, abc when xyz is absent', () => {
  const [s] = readMlearnJson(JSON.stringify([REC]));
  assert.deepEqual(Array.from(s!.positions), [0, 0, 0, 2, 2.25, 2]);
  assert.equal(s!.info['REF_energy'], -10.5);
  assert.deepEqual(s!.info['REF_stress'], [1, 2, 3, 5, 6, 4].map((x) => -x * KBAR_TO_EV_PER_A3));
  assert.equal(s!.info['description'], 'test');
});

test('mlearn write/read round trip keeps geometry, labels and stress (also for an element without a known order)', () => {
  const [s] = readMlearnJson(JSON.stringify([REC]));
  const c = s!.clone();
  const back = readMlearnJson(writeMlearnJson([s!, c]));
  assert.equal(back.length, 2);
  assert.deepEqual(Array.from(back[0]!.positions), Array.from(s!.positions));
  assert.deepEqual(Array.from(back[0]!.cell), Array.from(s!.cell));
  assert.deepEqual(Array.from(back[0]!.floatArray('REF_forces')!), Array.from(s!.floatArray('REF_forces')!));
  const a = s!.info['REF_stress'] as number[], b = back[0]!.info['REF_stress'] as number[];
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-18, `stress ${k}`);
  const gaas = new Structure({ numbers: [31, 33], positions: [0, 0, 0, 1, 1, 1], cell: [4, 0, 0, 0, 4, 0, 0, 0, 4], pbc: true, info: { REF_stress: [1, 2, 3, 4, 5, 6] } });
  const text = writeMlearnJson([gaas]);
  const got = readMlearnJson(text)[0]!.info['REF_stress'] as number[];
  got.forEach((x, k) => assert.ok(Math.abs(x - (k + 1)) < 1e-12, `order label written by mlpot is honoured: ${got}`));
});

const bad: Array<[string, string, RegExp, object?]> = [
  ['JSON syntax', '[\n{"structure": }\n]', /m.json, line 2: invalid JSON/],
  ['not an array', '{"a": 1}', /m.json, line 1: expected a JSON array/],
  ['wrong atom count', JSON.stringify([{ ...REC, num_atoms: 3 }]), /m.json, frame 0: "num_atoms" is 3 but there are 2 sites/],
  ['bad number', JSON.stringify([REC]).replace('[0.1,0.2,0.3]', '[0.1,"x",0.3]'), /m.json, frame 0: expected forces row 0 to be 3 finite numbers/],
  ['unknown element', JSON.stringify([REC]).replace('"element":"Si","occu"', '"element":"Qq","occu"'), /m.json, frame 0: site 0: unknown element "Qq"/],
  ['unknown stress order', JSON.stringify([{ ...REC, element: 'Fe' }]), /m.json, frame 0: cannot tell the component order of "virial_stress" for "Fe".*pass stressOrder/],
];
for (const [label, text, re] of bad) {
  test(`mlearn malformed input (${label}) gives a ParseError naming file and line or frame`, () => {
    assert.throws(() => readMlearnJson(text, { file: 'm.json' }), (e: unknown) => (e instanceof ParseError && re.test(e.message)) || assert.fail(String(e)));
  });
}
