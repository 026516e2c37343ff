/**
 * LAMMPS as a reference calculator: write a data file and an input script for one structure,
 * run `lmp` (serial, one core) and read energy, forces, virial stress and optionally per-atom
 * energies back at full precision, in mlpot's frame, atom order, units and sign conventions.
 *
 * Frame. LAMMPS needs a "restricted" triclinic box: a along +x, b in the xy plane, c with
 * positive z, and tilt factors |xy|, |xz| <= lx/2, |yz| <= ly/2. We build an orthogonal map R
 * (rows e1 = a/|a|, e2 = unit(b_perp), e3 = +-e1 x e2 so that c.e3 > 0; R may be a reflection
 * for a left-handed cell, which the scalar potentials compared here do not notice) and hand
 * LAMMPS r' = R (r - origin). Tilts are reduced by adding lattice vectors along periodic
 * directions (same lattice, same energy). Results come back as F = R^T F', sigma = R^T sigma' R.
 * Non-periodic directions get a fixed ('f') box around the atoms with a 1 Å margin.
 *
 * Stress. `compute P all pressure NULL virial` is the virial-only pressure tensor in bar:
 * P_ab = nktv2p * W_ab / V with W_ab = sum r_a f_b. ASE's stress is sigma = (1/V) dE/d eps = -W/V,
 * so sigma = -P / nktv2p. nktv2p is LAMMPS' own metal-units factor (src/update.cpp,
 * `force->nktv2p = 1.6021765e6`: eV/Å^3 -> bar), used as-is so the round trip is exact
 * (it differs from the CODATA-2018 value 1.602176634e6 in the 8th digit).
 * For structures not periodic in all three directions the stress refers to the LAMMPS box
 * volume and has no physical meaning; only energy and forces should be compared then.
 *
 * Precision. Energy and pressure are printed with `$(expr:%.17g)`, forces and per-atom energies
 * dumped with `format float %.17g`; positions and cell are written with round-trip
 * JavaScript number formatting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlpotError, ValidationError } from '../core/errors.js';
import { atomicNumber, massOf, symbolOf } from '../core/elements.js';
import type { Structure } from '../structure/structure.js';

/** LAMMPS metal units: pressure (bar) = nktv2p * energy/volume (eV/Å^3). From LAMMPS src/update.cpp. */
export const LAMMPS_METAL_NKTV2P = 1.6021765e6;

export interface LammpsResult {
  energy: number;
  /** 3N, eV/Å, mlpot's frame and atom order. */
  forces: Float64Array;
  /** Voigt xx yy zz yz xz xy, eV/Å^3, ASE sign (sigma = (1/V) dE/d eps). */
  stress: Float64Array;
  energies?: Float64Array;
}

export interface LammpsOptions {
  pairStyle: string;
  /** pair_coeff arguments, one command each, e.g. ['* * /usr/share/lammps/potentials/Si.sw Si']. */
  pairCoeff: string[];
  /** Element per LAMMPS type (type k+1 = typeSymbols[k]); default: unique elements sorted by Z. */
  typeSymbols?: string[];
  /** Inserted after pair_coeff, before the run (e.g. 'pair_modify shift yes'). */
  extraCommands?: string[];
  perAtomEnergy?: boolean;
  /** Default 120000 ms. */
  timeoutMs?: number;
  /** Keep the working directory (its path is printed in errors) instead of deleting it. */
  keepDir?: boolean;
}

/** A structure in LAMMPS' restricted triclinic frame. */
export interface LammpsFrame {
  /** Orthogonal map (row-major): r_lammps = R (r - origin). */
  R: Float64Array;
  /** Box: lx, ly, lz and tilts xy, xz, yz (origin at 0). */
  lx: number; ly: number; lz: number; xy: number; xz: number; yz: number;
  /** True when some tilt could not be reduced (non-periodic direction); needs `box tilt large`. */
  largeTilt: boolean;
  /** Positions in the LAMMPS frame (3N), wrapped into the box along periodic directions. */
  positions: Float64Array;
  /** Per-atom LAMMPS type (1-based). */
  types: Int32Array;
  typeSymbols: string[];
  /** Box volume (Å^3). */
  volume: number;
  /** 'p' or 'f' per direction. */
  boundary: string;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
const crossv = (a: ArrayLike<number>, b: ArrayLike<number>) => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const norm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));

/** Default LAMMPS types: the structure's elements sorted by atomic number. */
export function defaultTypeSymbols(s: Structure): string[] {
  return [...new Set(s.numbers)].sort((a, b) => a - b).map(symbolOf);
}

/** Map a structure to LAMMPS' restricted triclinic frame (see the module comment). */
export function lammpsFrame(s: Structure, typeSymbols: string[] = defaultTypeSymbols(s)): LammpsFrame {
  const n = s.length;
  const typeOfZ = new Map<number, number>();
  typeSymbols.forEach((sym, k) => {
    const z = atomicNumber(sym);
    if (!typeOfZ.has(z)) typeOfZ.set(z, k + 1);
  });
  const types = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = typeOfZ.get(s.numbers[i]!);
    if (t === undefined) throw new ValidationError(`lammps: atom ${i} is ${symbolOf(s.numbers[i]!)}, which is not among the LAMMPS types ${typeSymbols.join(' ')}`);
    types[i] = t;
  }
  const pbc = s.pbc;
  // lattice vectors, completing missing (zero) vectors along non-periodic directions
  const v = [0, 1, 2].map((k) => [s.cell[3 * k]!, s.cell[3 * k + 1]!, s.cell[3 * k + 2]!]);
  for (let k = 0; k < 3; k++) {
    if (pbc[k] && norm(v[k]!) === 0) throw new ValidationError(`lammps: lattice vector ${'abc'[k]} is zero but periodic`);
  }
  for (let k = 0; k < 3; k++) {
    if (norm(v[k]!) > 0) continue;
    const others = [v[(k + 1) % 3]!, v[(k + 2) % 3]!].filter((u) => norm(u) > 0);
    let u: number[];
    if (others.length === 2 && norm(crossv(others[0]!, others[1]!)) > 0) {
      u = crossv(v[(k + 1) % 3]!, v[(k + 2) % 3]!);
    } else if (others.length >= 1) {
      const o = others[0]!;
      const trial = Math.abs(o[0]!) < 0.9 * norm(o) ? [1, 0, 0] : [0, 1, 0];
      u = crossv(o, trial);
      if (others.length === 2) u = crossv(o, u); // others parallel: any perpendicular will do
    } else {
      u = [k === 0 ? 1 : 0, k === 1 ? 1 : 0, k === 2 ? 1 : 0];
    }
    const l = norm(u);
    v[k] = u.map((x) => x / l);
  }
  const detv = dot(v[0]!, crossv(v[1]!, v[2]!));
  if (!(Math.abs(detv) > 0)) throw new ValidationError('lammps: the cell vectors are linearly dependent');
  // fractional coordinates in the completed cell
  const inv = invert3(v);
  const frac = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const r = [s.positions[3 * i]!, s.positions[3 * i + 1]!, s.positions[3 * i + 2]!];
    for (let k = 0; k < 3; k++) frac[3 * i + k] = r[0]! * inv[0]![k]! + r[1]! * inv[1]![k]! + r[2]! * inv[2]![k]!;
  }
  // non-periodic directions: box spans the atoms plus a 1 Å margin
  for (let k = 0; k < 3; k++) {
    if (pbc[k]) {
      for (let i = 0; i < n; i++) frac[3 * i + k] = frac[3 * i + k]! - Math.floor(frac[3 * i + k]!);
      continue;
    }
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) { lo = Math.min(lo, frac[3 * i + k]!); hi = Math.max(hi, frac[3 * i + k]!); }
    if (n === 0) { lo = 0; hi = 0; }
    const m = 1 / norm(v[k]!);
    const span = hi - lo + 2 * m;
    for (let i = 0; i < n; i++) frac[3 * i + k] = (frac[3 * i + k]! - lo + m) / span;
    v[k] = v[k]!.map((x) => x * span);
  }
  // rotation into the restricted frame
  const a = v[0]!, b = v[1]!, c = v[2]!;
  const la = norm(a);
  const e1 = a.map((x) => x / la);
  const bp = b.map((x, q) => x - dot(b, e1) * e1[q]!);
  const lbp = norm(bp);
  const e2 = bp.map((x) => x / lbp);
  let e3 = crossv(e1, e2);
  if (dot(c, e3) < 0) e3 = e3.map((x) => -x);
  const R = Float64Array.of(...e1, ...e2, ...e3);
  let ax = la;
  let bx = dot(b, e1), by = dot(b, e2);
  let cx = dot(c, e1), cy = dot(c, e2);
  const cz = dot(c, e3);
  // reduce tilts by lattice translations along periodic directions (frac coordinates follow)
  const shiftFrac = (from: number, onto: number, m: number) => {
    // new vector v_from' = v_from - m v_onto  =>  f_onto' = f_onto + m f_from
    if (m === 0) return;
    for (let i = 0; i < n; i++) frac[3 * i + onto] = frac[3 * i + onto]! + m * frac[3 * i + from]!;
  };
  let largeTilt = false;
  if (pbc[0] && pbc[1]) { const m = Math.round(bx / ax); bx -= m * ax; shiftFrac(1, 0, m); }
  if (pbc[1] && pbc[2]) { const m = Math.round(cy / by); cx -= m * bx; cy -= m * by; shiftFrac(2, 1, m); }
  if (pbc[0] && pbc[2]) { const m = Math.round(cx / ax); cx -= m * ax; shiftFrac(2, 0, m); }
  if (Math.abs(bx) > 0.5 * ax * (1 + 1e-12) || Math.abs(cx) > 0.5 * ax * (1 + 1e-12) || Math.abs(cy) > 0.5 * by * (1 + 1e-12)) largeTilt = true;
  const positions = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) if (pbc[k]) frac[3 * i + k] = frac[3 * i + k]! - Math.floor(frac[3 * i + k]!);
    const f0 = frac[3 * i]!, f1 = frac[3 * i + 1]!, f2 = frac[3 * i + 2]!;
    positions[3 * i] = f0 * ax + f1 * bx + f2 * cx;
    positions[3 * i + 1] = f1 * by + f2 * cy;
    positions[3 * i + 2] = f2 * cz;
  }
  return {
    R, lx: ax, ly: by, lz: cz, xy: bx, xz: cx, yz: cy, largeTilt, positions, types, typeSymbols,
    volume: ax * by * cz,
    boundary: pbc.map((p) => (p ? 'p' : 'f')).join(' '),
  };
}

function invert3(v: number[][]): number[][] {
  const [a, b, c] = v as [number[], number[], number[]];
  const d = dot(a, crossv(b, c));
  const r0 = crossv(b, c), r1 = crossv(c, a), r2 = crossv(a, b);
  // inverse of the matrix with rows a,b,c: columns are (b x c, c x a, a x b) / det
  return [0, 1, 2].map((row) => [r0[row]! / d, r1[row]! / d, r2[row]! / d]);
}

/** LAMMPS data file text (atom_style atomic) for a frame. */
export function lammpsDataText(f: LammpsFrame): string {
  const n = f.types.length;
  const lines = [
    'LAMMPS data file written by mlpot',
    '',
    `${n} atoms`,
    `${f.typeSymbols.length} atom types`,
    '',
    `0 ${f.lx} xlo xhi`,
    `0 ${f.ly} ylo yhi`,
    `0 ${f.lz} zlo zhi`,
  ];
  if (f.xy !== 0 || f.xz !== 0 || f.yz !== 0) lines.push(`${f.xy} ${f.xz} ${f.yz} xy xz yz`);
  lines.push('', 'Masses', '');
  f.typeSymbols.forEach((sym, k) => lines.push(`${k + 1} ${massOf(atomicNumber(sym))}`));
  lines.push('', 'Atoms # atomic', '');
  for (let i = 0; i < n; i++) lines.push(`${i + 1} ${f.types[i]} ${f.positions[3 * i]} ${f.positions[3 * i + 1]} ${f.positions[3 * i + 2]}`);
  lines.push('');
  return lines.join('\n');
}

/** Input-script header shared by the harness and the benchmarks: units, box, data, pair style. */
export function lammpsSetupCommands(f: LammpsFrame, dataFile: string, opts: Pick<LammpsOptions, 'pairStyle' | 'pairCoeff' | 'extraCommands'>): string[] {
  return [
    'units metal',
    'atom_style atomic',
    'atom_modify map array',
    `boundary ${f.boundary}`,
    ...(f.largeTilt ? ['box tilt large'] : []),
    `read_data ${dataFile}`,
    `pair_style ${opts.pairStyle}`,
    ...opts.pairCoeff.map((c) => `pair_coeff ${c}`),
    ...(opts.extraCommands ?? []),
  ];
}

/** Run `lmp -in in.lmp` in `dir`; throws with the log tail on failure. */
export function runLmp(dir: string, script: string, timeoutMs = 120000, keptDir = true): void {
  writeFileSync(join(dir, 'in.lmp'), script);
  const r = spawnSync('lmp', ['-in', 'in.lmp', '-log', 'log.lammps', '-screen', 'none', '-nocite'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.error || r.status !== 0) {
    const logPath = join(dir, 'log.lammps');
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    const tail = (log + (r.stderr ?? '') + (r.stdout ?? '')).trim().split('\n').slice(-15).join('\n');
    const why = r.error ? `could not run lmp (${r.error.message})` : `lmp exited with status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`;
    throw new MlpotError('PEER', `${why} in ${dir}${keptDir ? '' : ' (removed; pass keepDir: true to keep it)'}; last lines of its log:\n${tail}`);
  }
}

/** Energy, forces, virial stress (and per-atom energies) of `s` computed by LAMMPS. */
export function runLammps(s: Structure, opts: LammpsOptions): LammpsResult {
  const f = lammpsFrame(s, opts.typeSymbols);
  const n = s.length;
  const dir = mkdtempSync(join(tmpdir(), 'mlpot-lammps-'));
  try {
    writeFileSync(join(dir, 'data.lmp'), lammpsDataText(f));
    const pe = opts.perAtomEnergy ?? false;
    const script = [
      ...lammpsSetupCommands(f, 'data.lmp', opts),
      'compute P all pressure NULL virial',
      ...(pe ? ['compute pea all pe/atom'] : []),
      'thermo_style custom step pe c_P[1] c_P[2] c_P[3] c_P[4] c_P[5] c_P[6]',
      `dump d all custom 1 forces.dump id fx fy fz${pe ? ' c_pea' : ''}`,
      'dump_modify d sort id format float %.17g',
      'run 0',
      'print "RESULT $(pe:%.17g) $(c_P[1]:%.17g) $(c_P[2]:%.17g) $(c_P[3]:%.17g) $(c_P[4]:%.17g) $(c_P[5]:%.17g) $(c_P[6]:%.17g)" file result.txt screen no',
      '',
    ].join('\n');
    runLmp(dir, script, opts.timeoutMs, opts.keepDir ?? false);
    const res = readFileSync(join(dir, 'result.txt'), 'utf8').trim().split(/\s+/);
    if (res[0] !== 'RESULT' || res.length !== 8) throw new MlpotError('PEER', `lammps: unexpected result line "${res.join(' ')}" in ${dir}`);
    const [energy, pxx, pyy, pzz, pxy, pxz, pyz] = res.slice(1).map(Number) as [number, number, number, number, number, number, number];
    // dump: header of 9 lines, then id fx fy fz [pe] sorted by id
    const dump = readFileSync(join(dir, 'forces.dump'), 'utf8').trim().split('\n');
    const body = dump.slice(9);
    if (body.length !== n) throw new MlpotError('PEER', `lammps: dump has ${body.length} atoms, expected ${n} (atoms lost?) in ${dir}`);
    const forces = new Float64Array(3 * n);
    const energies = pe ? new Float64Array(n) : undefined;
    const R = f.R;
    for (const line of body) {
      const w = line.trim().split(/\s+/).map(Number);
      const i = w[0]! - 1;
      const fx = w[1]!, fy = w[2]!, fz = w[3]!;
      // F = R^T F'
      forces[3 * i] = R[0]! * fx + R[3]! * fy + R[6]! * fz;
      forces[3 * i + 1] = R[1]! * fx + R[4]! * fy + R[7]! * fz;
      forces[3 * i + 2] = R[2]! * fx + R[5]! * fy + R[8]! * fz;
      if (energies) energies[i] = w[4]!;
    }
    // sigma' = -P / nktv2p in the LAMMPS frame; sigma = R^T sigma' R
    const sl = [pxx, pxy, pxz, pxy, pyy, pyz, pxz, pyz, pzz].map((p) => -p / LAMMPS_METAL_NKTV2P);
    const sig = new Float64Array(9);
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let t = 0;
        for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) t += R[3 * k + a]! * sl[3 * k + l]! * R[3 * l + b]!;
        sig[3 * a + b] = t;
      }
    const stress = Float64Array.of(sig[0]!, sig[4]!, sig[8]!, 0.5 * (sig[5]! + sig[7]!), 0.5 * (sig[2]! + sig[6]!), 0.5 * (sig[1]! + sig[3]!));
    const out: LammpsResult = { energy, forces, stress };
    if (energies) out.energies = energies;
    return out;
  } finally {
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}
