/**
 * mlearn JSON (materialsvirtuallab/mlearn `data/<El>/training.json`): one JSON array, one record
 * per structure, with a pymatgen `Structure` dict and DFT labels.
 *
 * Record -> Structure
 *   structure.lattice.matrix      rows = lattice vectors (Å)            -> cell, pbc all true
 *   structure.sites[k].xyz        Cartesian position (Å)               -> positions
 *     (`abc` @ matrix when `xyz` is absent)
 *   structure.sites[k].species[0].element                               -> numbers
 *   outputs.energy                total energy of the cell (eV)         -> info REF_energy
 *   outputs.forces                N x 3 (eV/Å)                          -> arrays REF_forces
 *   outputs.virial_stress         6 numbers s, kbar, positive = compressive
 *                                 -> info REF_stress (Voigt xx yy zz yz xz xy, eV/Å^3, ASE sign)
 *   group, description, tag       kept verbatim in info
 *
 * Stress. sigma = -s * KBAR_TO_EV_PER_A3, with the component order of s depending on the file
 * (see /work/shared/data/mlearn/README.md): Li, Si, Ge use [xx yy zz xy yz xz] ('xy-yz-xz');
 * Mo, Cu, Ni use [xx yy zz xy xz yz] ('xy-xz-yz'). The order is taken from, in turn:
 * `opts.stressOrder`; `outputs.virial_stress_order` (a key mlpot's writer adds; mlearn's files
 * do not have it); the record's `element` (or its single species) looked up in that table.
 * A record with a stress but none of these is a ParseError asking for `stressOrder`.
 *
 * Errors name the file and the frame (record index); JSON syntax errors name the line.
 */
import { ParseError, ValidationError } from '../core/errors.js';
import { atomicNumber, isElementSymbol, symbolOf } from '../core/elements.js';
import { KBAR_TO_EV_PER_A3 } from '../core/units.js';
import { cellParameters, toFractional, volume } from '../structure/cell.js';
import { Structure, type InfoValue, type PerAtomArray } from '../structure/structure.js';
import type { ReadOptions, WriteOptions } from './format.js';
import { formatFloat } from './text.js';

/** Order of the three shear components in `virial_stress` after xx yy zz. */
export type MlearnStressOrder = 'xy-yz-xz' | 'xy-xz-yz';

/** Per-element component order of the mlearn files, established in the data README. */
export const MLEARN_STRESS_ORDER: Readonly<Record<string, MlearnStressOrder>> = {
  Li: 'xy-yz-xz',
  Si: 'xy-yz-xz',
  Ge: 'xy-yz-xz',
  Mo: 'xy-xz-yz',
  Cu: 'xy-xz-yz',
  Ni: 'xy-xz-yz',
};

export interface MlearnReadOptions extends ReadOptions {
  /** Component order of `virial_stress`; overrides the per-element default. */
  stressOrder?: MlearnStressOrder;
}

export interface MlearnWriteOptions extends WriteOptions {
  /** Component order to write; default: the per-element table, else 'xy-yz-xz' (VASP's order). */
  stressOrder?: MlearnStressOrder;
}

/** Index into mlearn's 6-vector for each Voigt slot (xx yy zz yz xz xy). */
const VOIGT_FROM: Record<MlearnStressOrder, readonly number[]> = {
  'xy-yz-xz': [0, 1, 2, 4, 5, 3],
  'xy-xz-yz': [0, 1, 2, 5, 4, 3],
};

const ORDER_LABEL: Record<MlearnStressOrder, string> = {
  'xy-yz-xz': 'xx yy zz xy yz xz',
  'xy-xz-yz': 'xx yy zz xy xz yz',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function readMlearnJson(text: string, opts: MlearnReadOptions = {}): Structure[] {
  const file = opts.file;
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? Number(pos[1]) : jsonErrorOffset(text);
    const line = at === undefined ? undefined : text.slice(0, at).split('\n').length;
    throw new ParseError(`invalid JSON (${msg}); expected an mlearn JSON array of structure records`, { file, line });
  }
  if (!Array.isArray(doc)) throw new ParseError('expected a JSON array of structure records at the top level', { file, line: 1 });
  return doc.map((rec, frame) => readRecord(rec, frame, opts));
}

function readRecord(rec: Json, frame: number, opts: MlearnReadOptions): Structure {
  const fail = (msg: string): never => {
    throw new ParseError(msg, { file: opts.file, frame });
  };
  const obj = (v: Json | undefined, what: string): { [k: string]: Json } =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? v : fail(`expected ${what} to be an object`);
  const vec = (v: Json | undefined, n: number, what: string): number[] => {
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isFinite(x))) {
      return fail(`expected ${what} to be ${n} finite numbers, found ${JSON.stringify(v)?.slice(0, 80)}`);
    }
    return v as number[];
  };

  const r = obj(rec, 'the record');
  const st = obj(r['structure'], '"structure"');
  const lat = obj(st['lattice'], '"structure.lattice"');
  const m = lat['matrix'];
  if (!Array.isArray(m) || m.length !== 3) fail('expected "structure.lattice.matrix" to be 3 rows');
  const cell = (m as Json[]).flatMap((row, k) => vec(row, 3, `lattice row ${k}`));
  const sites = st['sites'];
  if (!Array.isArray(sites) || sites.length === 0) return fail('expected "structure.sites" to be a non-empty array');
  const n = sites.length;
  const numbers = new Int32Array(n);
  const positions = new Float64Array(3 * n);
  sites.forEach((site, k) => {
    const s = obj(site, `site ${k}`);
    const sp = s['species'];
    if (!Array.isArray(sp) || sp.length !== 1) fail(`site ${k}: expected exactly one species (disordered sites are not supported)`);
    const el = obj((sp as Json[])[0], `site ${k} species`)['element'];
    if (typeof el !== 'string' || !isElementSymbol(el)) fail(`site ${k}: unknown element ${JSON.stringify(el)}`);
    numbers[k] = atomicNumber(el as string);
    let xyz: number[];
    if (s['xyz'] !== undefined) xyz = vec(s['xyz'], 3, `site ${k} "xyz"`);
    else {
      const f = vec(s['abc'], 3, `site ${k} "abc"`);
      xyz = [0, 1, 2].map((c) => f[0]! * cell[c]! + f[1]! * cell[3 + c]! + f[2]! * cell[6 + c]!);
    }
    positions.set(xyz, 3 * k);
  });
  if (r['num_atoms'] !== undefined && r['num_atoms'] !== n) fail(`"num_atoms" is ${JSON.stringify(r['num_atoms'])} but there are ${n} sites`);

  const info: Record<string, InfoValue> = {};
  for (const key of ['group', 'description', 'tag']) {
    const v = r[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') info[key] = v;
  }
  const arrays: Record<string, PerAtomArray> = {};
  const out = r['outputs'] === undefined ? undefined : obj(r['outputs'], '"outputs"');
  if (out) {
    const e = out['energy'];
    if (e !== undefined && e !== null) {
      if (typeof e !== 'number' || !Number.isFinite(e)) fail(`expected "outputs.energy" to be a finite number (total energy, eV), found ${JSON.stringify(e)}`);
      info['REF_energy'] = e as number;
    }
    const f = out['forces'];
    if (f !== undefined && f !== null) {
      if (!Array.isArray(f) || f.length !== n) fail(`expected "outputs.forces" to have ${n} rows (one per site), found ${Array.isArray(f) ? f.length : typeof f}`);
      arrays['REF_forces'] = { type: 'float', cols: 3, data: Float64Array.from((f as Json[]).flatMap((row, k) => vec(row, 3, `forces row ${k}`))) };
    }
    const vs = out['virial_stress'];
    if (vs !== undefined && vs !== null) {
      const s = vec(vs, 6, '"outputs.virial_stress"');
      const order = opts.stressOrder ?? orderFromLabel(out['virial_stress_order']) ?? defaultOrder(r, numbers);
      if (!order) {
        fail(`cannot tell the component order of "virial_stress" for ${JSON.stringify(r['element'] ?? [...new Set(Array.from(numbers, symbolOf))].join(''))}; known: ${Object.keys(MLEARN_STRESS_ORDER).join(', ')}; pass stressOrder ('xy-yz-xz' or 'xy-xz-yz')`);
      }
      info['REF_stress'] = VOIGT_FROM[order!].map((k) => -s[k]! * KBAR_TO_EV_PER_A3);
    }
  }
  return new Structure({ numbers, positions, cell, pbc: true, info, arrays });
}

/**
 * Offset of the first JSON syntax error (V8's messages do not always give one), found by a
 * small recursive-descent scan; undefined if none is found.
 */
const JSON_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const value = (): boolean => {
    ws();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return ++i > 0;
      for (;;) {
        if (ch === '{') {
          ws();
          if (text[i] !== '"' || !value()) return false;
          ws();
          if (text[i++] !== ':') return (i--, false);
        }
        if (!value()) return false;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) return ++i > 0;
        return false;
      }
    }
    JSON_TOKEN.lastIndex = i;
    const m = JSON_TOKEN.exec(text);
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  const ok = value();
  ws();
  return ok && i === text.length ? undefined : i;
}

function orderFromLabel(v: Json | undefined): MlearnStressOrder | undefined {
  for (const [k, label] of Object.entries(ORDER_LABEL)) if (v === label) return k as MlearnStressOrder;
  return undefined;
}

function defaultOrder(rec: { [k: string]: Json }, numbers: Int32Array): MlearnStressOrder | undefined {
  const el = rec['element'];
  if (typeof el === 'string') return MLEARN_STRESS_ORDER[el];
  const species = new Set(numbers);
  return species.size === 1 ? MLEARN_STRESS_ORDER[symbolOf(numbers[0]!)] : undefined;
}

export function writeMlearnJson(frames: readonly Structure[], opts: MlearnWriteOptions = {}): string {
  const p = opts.precision;
  // JSON numbers rounded to `precision` significant digits (non-finite values become null either way)
  const r = p === undefined ? (x: number) => x : (x: number) => Number(formatFloat(x, p));
  const records = frames.map((s, frame) => {
    if (!(volume(s.cell) > 0)) throw new ValidationError(`mlearn JSON: frame ${frame} has a zero-volume cell; mlearn records are periodic pymatgen Structures`);
    const symbols = s.symbols;
    const species = [...new Set(symbols)];
    const frac = toFractional(s.cell, s.positions);
    const [a, b, c, alpha, beta, gamma] = cellParameters(s.cell);
    const rows = [0, 1, 2].map((k) => Array.from(s.cell.subarray(3 * k, 3 * k + 3), r));
    const rec: Record<string, unknown> = {
      structure: {
        '@module': 'pymatgen.core.structure',
        '@class': 'Structure',
        charge: null,
        lattice: { matrix: rows, a: r(a), b: r(b), c: r(c), alpha: r(alpha), beta: r(beta), gamma: r(gamma), volume: r(volume(s.cell)) },
        sites: symbols.map((el, i) => ({
          species: [{ element: el, occu: 1 }],
          abc: Array.from(frac.subarray(3 * i, 3 * i + 3), r),
          xyz: Array.from(s.positions.subarray(3 * i, 3 * i + 3), r),
          label: el,
          properties: {},
        })),
      },
      num_atoms: s.length,
    };
    if (species.length === 1) rec['element'] = species[0];
    for (const key of ['group', 'description', 'tag']) if (s.info[key] !== undefined) rec[key] = s.info[key];
    const outputs: Record<string, unknown> = {};
    const e = s.info['REF_energy'];
    if (typeof e === 'number') outputs['energy'] = r(e);
    const f = s.floatArray('REF_forces');
    if (f) outputs['forces'] = Array.from({ length: s.length }, (_, i) => Array.from(f.subarray(3 * i, 3 * i + 3), r));
    const st = s.info['REF_stress'];
    if (st !== undefined) {
      if (!Array.isArray(st) || st.length !== 6 || typeof st[0] !== 'number') {
        throw new ValidationError(`mlearn JSON: frame ${frame} REF_stress must be 6 numbers (Voigt xx yy zz yz xz xy, eV/Å^3)`);
      }
      const order = opts.stressOrder ?? (species.length === 1 ? MLEARN_STRESS_ORDER[species[0]!] : undefined) ?? 'xy-yz-xz';
      const v = new Array<number>(6);
      VOIGT_FROM[order].forEach((k, slot) => (v[k] = r(-(st[slot] as number) / KBAR_TO_EV_PER_A3)));
      outputs['virial_stress'] = v;
      outputs['virial_stress_order'] = ORDER_LABEL[order];
    }
    if (Object.keys(outputs).length) rec['outputs'] = outputs;
    return JSON.stringify(rec);
  });
  return '[\n' + records.join(',\n') + '\n]\n';
}
