import { test, assert } from '../node/test-support.js';
import { Rng } from '../core/rng.js';
import { SPEED_OF_LIGHT_M_S } from '../core/units.js';
import { ValidationError } from '../core/errors.js';
import { bruteForceNeighborList } from '../neighbors/brute-force.js';
import { bulk } from '../structure/builders.js';
import { volume, wrapPositions } from '../structure/cell.js';
import { randomStructure } from '../structure/random.js';
import { Structure } from '../structure/structure.js';
import {
  MsdAccumulator, RdfAccumulator, VacfAccumulator, einsteinDiffusion, greenKuboDiffusion, vibrationalDos,
} from './analysis.js';

/** Uniform random points (an ideal gas) in a cubic periodic box, species drawn from `symbols`. */
function idealGas(n: number, side: number, rng: Rng, symbols: readonly string[] = ['Ar']): Structure {
  const pos = new Float64Array(3 * n);
  for (let k = 0; k < 3 * n; k++) pos[k] = side * rng.uniform();
  const sym = Array.from({ length: n }, () => symbols[rng.int(symbols.length)]!);
  return Structure.fromSymbols(sym, pos, { cell: [side, 0, 0, 0, side, 0, 0, 0, side], pbc: true });
}

const shellVolume = (r0: number, r1: number) => ((4 * Math.PI) / 3) * (r1 ** 3 - r0 ** 3);

test('g(r) of an ideal gas is 1 within statistical error, total and partial (each species density)', () => {
  const rng = new Rng(11);
  const side = 15, n = 600, frames = 10;
  const V = side ** 3;
  const acc = new RdfAccumulator({ rMaxA: 7, nBins: 35 });
  const aa = new RdfAccumulator({ rMaxA: 7, nBins: 35, pair: ['Ar', 'Ar'] });
  const ab = new RdfAccumulator({ rMaxA: 7, nBins: 35, pair: ['Ar', 'Kr'] });
  const ba = new RdfAccumulator({ rMaxA: 7, nBins: 35, pair: [36, 18] });
  let nAr = 0;
  for (let f = 0; f < frames; f++) {
    const s = idealGas(n, side, rng, ['Ar', 'Kr', 'Kr']);
    nAr += s.symbols.filter((x) => x === 'Ar').length;
    for (const a of [acc, aa, ab, ba]) a.add(s);
  }
  const meanAr = nAr / frames;
  // expected ordered-pair count per bin: (number of centres) x (density of partners) x shell;
  // every unordered pair is counted twice for like pairs, so var(H) ~ 2 E[H] there
  const check = (name: string, a: RdfAccumulator, centres: number, partners: number, twice: boolean) => {
    const r = a.result();
    let sumH = 0, sumE = 0;
    for (let k = 0; k < r.g.length; k++) {
      const expected = frames * centres * (partners / V) * shellVolume(r.edges[k]!, r.edges[k + 1]!);
      const sd = Math.sqrt((twice ? 2 : 1) / expected);
      assert.ok(Math.abs(r.g[k]! - 1) < 5 * sd, `${name}: g(${r.r[k]!.toFixed(2)}) = ${r.g[k]} differs from 1 by more than 5 sd (${sd.toFixed(3)})`);
      sumH += r.g[k]! * expected;
      sumE += expected;
    }
    // pooled over all bins: the finite gas has N_b - 1 partners for like pairs
    const pooled = sumH / sumE;
    const want = twice ? (partners - 1) / partners : 1;
    const sd = Math.sqrt((twice ? 2 : 1) / sumE);
    assert.ok(Math.abs(pooled - want) < 4 * sd, `${name}: pooled g = ${pooled}, expected ${want} +- ${sd}`);
  };
  check('total', acc, n, n, true);
  check('Ar-Ar', aa, meanAr, meanAr, true);
  check('Ar-Kr', ab, meanAr, n - meanAr, false);
  check('Kr-Ar', ba, n - meanAr, meanAr, false);
});

test('r_max beyond the box: ideal-gas g(r) follows (N-1)/N plus the atom\'s own periodic images', () => {
  const rng = new Rng(3);
  const side = 6, n = 20, frames = 150, rMax = 10, nBins = 20;
  const acc = new RdfAccumulator({ rMaxA: rMax, nBins });
  for (let f = 0; f < frames; f++) acc.add(idealGas(n, side, rng));
  const r = acc.result();
  // own images: lattice vectors side * (i, j, k) != 0 with length in each bin
  const images = new Float64Array(nBins);
  const m = Math.ceil(rMax / side);
  for (let i = -m; i <= m; i++) for (let j = -m; j <= m; j++) for (let k = -m; k <= m; k++) {
    const d = side * Math.hypot(i, j, k);
    if (d > 0 && d < rMax) images[Math.floor((d / rMax) * nBins)]! += 1;
  }
  const V = side ** 3;
  for (let k = 0; k < nBins; k++) {
    const shell = shellVolume(r.edges[k]!, r.edges[k + 1]!);
    const expectedPerAtom = ((n - 1) / V) * shell + images[k]!;
    const want = expectedPerAtom / ((n / V) * shell);
    const sd = Math.sqrt(2 / (frames * n * ((n - 1) / V) * shell)) * ((n - 1) / n);
    assert.ok(Math.abs(r.g[k]! - want) < 5 * sd + 1e-12, `bin ${k}: g = ${r.g[k]}, expected ${want} +- ${sd}`);
  }
  assert.ok(images.some((c) => c > 0), 'the test should include image shells');
});

test('perfect fcc: peaks at a/sqrt2 and a with coordination numbers 12 and 18 (12 + 6), primitive and cubic cells', () => {
  const a = 4.05;
  for (const s of [bulk('Al', 'fcc', { a }), bulk('Al', 'fcc', { a, cubic: true })]) {
    const rMax = 4.5, nBins = 45, dr = rMax / nBins;
    const acc = new RdfAccumulator({ rMaxA: rMax, nBins });
    acc.add(s);
    const r = acc.result();
    const k1 = Math.floor(a / Math.SQRT2 / dr), k2 = Math.floor(a / dr);
    for (let k = 0; k < nBins; k++) {
      if (k !== k1 && k !== k2) assert.equal(r.g[k], 0, `g should vanish at ${r.r[k]} Å (${s.length}-atom cell)`);
      const n = k < k1 ? 0 : k < k2 ? 12 : 18;
      assert.ok(Math.abs(r.n[k]! - n) < 1e-12, `n(${r.edges[k + 1]}) = ${r.n[k]}, expected ${n}`);
    }
    assert.ok(r.g[k1]! > r.g[k2]!, 'first shell is the highest peak');
    // the peak heights follow from the counts: g = count / (rho V_shell)
    const rho = s.length / volume(s.cell);
    assert.ok(Math.abs(r.g[k1]! - 12 / (rho * shellVolume(k1 * dr, (k1 + 1) * dr))) < 1e-9 * r.g[k1]!);
    assert.ok(Math.abs(r.g[k2]! - 6 / (rho * shellVolume(k2 * dr, (k2 + 1) * dr))) < 1e-9 * r.g[k2]!);
  }
});

test('n(r) and the integral of 4 pi r^2 rho g(r) equal neighbour-list counts (partials, triclinic periodic and open)', () => {
  const cell = [9, 0, 0, 2.5, 8.5, 0, -1.5, 1.8, 10];
  const periodic = randomStructure({ numbers: [18, 36], n: 40, cell, pbc: true, minDistance: 2, seed: 5 });
  const open = randomStructure({ numbers: [18, 36], n: 40, cell, pbc: false, minDistance: 2, seed: 6 });
  for (const [label, s] of [['periodic', periodic], ['open', open]] as const) {
    const V = label === 'open' ? 1234.5 : volume(s.cell);
    for (const pair of [undefined, ['Ar', 'Kr'], ['Kr', 'Kr']] as const) {
      const rMax = 12, nBins = 24;
      const acc = new RdfAccumulator({ rMaxA: rMax, nBins, ...(pair ? { pair } : {}), ...(label === 'open' ? { volumeA3: V } : {}) });
      acc.add(s);
      const res = acc.result();
      const zOf = (e: string) => (e === 'Ar' ? 18 : 36);
      const za = pair ? zOf(pair[0]) : -1, zb = pair ? zOf(pair[1]) : -1;
      const isA = (i: number) => za < 0 || s.numbers[i] === za, isB = (j: number) => zb < 0 || s.numbers[j] === zb;
      let na = 0, nb = 0;
      for (let i = 0; i < s.length; i++) { if (isA(i)) na++; if (isB(i)) nb++; }
      let integral = 0;
      for (let k = 0; k < nBins; k++) {
        const rc = res.edges[k + 1]!;
        const nl = bruteForceNeighborList(s, rc);
        let count = 0;
        for (let i = 0; i < s.length; i++) {
          if (!isA(i)) continue;
          for (let p = nl.offsets[i]!; p < nl.offsets[i + 1]!; p++) {
            const j = nl.neighbors[p]!;
            const dx = s.positions[3 * j]! + nl.shifts[3 * p]! - s.positions[3 * i]!;
            const dy = s.positions[3 * j + 1]! + nl.shifts[3 * p + 1]! - s.positions[3 * i + 1]!;
            const dz = s.positions[3 * j + 2]! + nl.shifts[3 * p + 2]! - s.positions[3 * i + 2]!;
            if (isB(j) && Math.hypot(dx, dy, dz) < rc) count++;
          }
        }
        integral += (nb / V) * res.g[k]! * shellVolume(res.edges[k]!, rc);
        const want = count / na;
        assert.ok(Math.abs(res.n[k]! - want) < 1e-9, `${label} ${pair ?? 'all'}: n(${rc}) = ${res.n[k]}, neighbour list gives ${want}`);
        assert.ok(Math.abs(integral - want) < 1e-9 * Math.max(1, want), `${label} ${pair ?? 'all'}: integral of g to ${rc} = ${integral}, neighbour list gives ${want}`);
      }
      assert.ok(res.n[nBins - 1]! > 1, 'the test should count neighbours');
    }
  }
  assert.throws(() => new RdfAccumulator({ rMaxA: 5, nBins: 10 }).add(open), (e: unknown) => e instanceof ValidationError && /volumeA3/.test(e.message));
  assert.throws(() => new RdfAccumulator({ rMaxA: 5, nBins: 10, pair: ['Ar', 'Ne'], volumeA3: 1000 }).add(open), /no Ar or Ne atoms/);
});

test('MSD of atoms at constant velocity is v^2 t^2, from wrapped positions in a triclinic cell, per element', () => {
  const cell = [10, 0, 0, 3, 11, 0, -2, 2.5, 12];
  const n = 12, frames = 120, dt = 1.5;
  const rng = new Rng(9);
  const x0 = new Float64Array(3 * n), v = new Float64Array(3 * n);
  for (let k = 0; k < 3 * n; k++) { x0[k] = 10 * rng.uniform(); v[k] = rng.range(-0.2, 0.2); }
  const numbers = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 18 : 10));
  const acc = new MsdAccumulator({ maxLag: 60, frameIntervalFs: dt, originEvery: 4 });
  const x = new Float64Array(3 * n);
  let wrapped = false;
  let first = new Float64Array(0);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < 3 * n; k++) x[k] = x0[k]! + v[k]! * f * dt;
    const w = wrapPositions(cell, [true, true, true], x);
    if (f === 0) first = w.slice();
    wrapped ||= w.some((c, k) => Math.abs(c - x[k]!) > 1);
    acc.add(new Structure({ numbers, positions: w, cell, pbc: true }));
  }
  assert.ok(wrapped, 'atoms should cross the periodic boundaries');
  const res = acc.result();
  const v2 = (sel: (i: number) => boolean) => {
    let s = 0, c = 0;
    for (let i = 0; i < n; i++) if (sel(i)) { s += v[3 * i]! ** 2 + v[3 * i + 1]! ** 2 + v[3 * i + 2]! ** 2; c++; }
    return s / c;
  };
  for (let l = 0; l <= 60; l++) {
    const t = res.timeFs[l]!;
    assert.ok(Math.abs(t - l * dt) < 1e-12);
    assert.ok(Math.abs(res.msd[l]! - v2(() => true) * t * t) < 1e-9 * (1 + t * t), `MSD(${t}) = ${res.msd[l]}`);
    assert.ok(Math.abs(res.byElement['Ar']![l]! - v2((i) => numbers[i] === 18) * t * t) < 1e-9 * (1 + t * t));
    assert.ok(Math.abs(res.byElement['Ne']![l]! - v2((i) => numbers[i] === 10) * t * t) < 1e-9 * (1 + t * t));
    // origins at frames 0, 4, 8, ... with t0 + l <= frames - 1
    assert.equal(res.origins[l], Math.floor((frames - 1 - l) / 4) + 1);
  }
  const u = acc.unwrappedPositions();
  // unwrapped = first (wrapped) frame + v t
  for (let k = 0; k < 3 * n; k++) assert.ok(Math.abs(u[k]! - (first[k]! + v[k]! * (frames - 1) * dt)) < 1e-9);
  assert.throws(() => acc.add(new Structure({ numbers: [18], positions: [0, 0, 0], cell, pbc: true })), /has 1 atoms; the first frame had 12/);
});

test('MSD of a Gaussian random walk gives D = s^2 / (2 dt) (Einstein fit), in Å^2/fs and cm^2/s', () => {
  const s = 0.1, dt = 2, side = 20, groups = 8, perGroup = 50, frames = 300;
  const dTrue = (s * s) / (2 * dt);
  const rng = new Rng(21);
  const ds: number[] = [];
  for (let g = 0; g < groups; g++) {
    const acc = new MsdAccumulator({ maxLag: 100, frameIntervalFs: dt, originEvery: 2 });
    const x = new Float64Array(3 * perGroup);
    for (let k = 0; k < x.length; k++) x[k] = side * rng.uniform();
    const numbers = new Array<number>(perGroup).fill(18);
    for (let f = 0; f < frames; f++) {
      if (f > 0) for (let k = 0; k < x.length; k++) x[k] = x[k]! + s * rng.normal();
      acc.add(new Structure({ numbers, positions: wrapPositions([side, 0, 0, 0, side, 0, 0, 0, side], [true, true, true], x), cell: [side, 0, 0, 0, side, 0, 0, 0, side], pbc: true }));
    }
    const r = acc.result();
    const fit = einsteinDiffusion(r.timeFs, r.msd, { fromFs: 20, toFs: 200 });
    // 1 Å^2/fs = (1e-8 cm)^2 / 1e-15 s
    assert.ok(Math.abs(fit.dCm2PerS - (fit.dA2PerFs * 1e-16) / 1e-15) < 1e-15);
    ds.push(fit.dA2PerFs);
  }
  const mean = ds.reduce((a, b) => a + b, 0) / groups;
  const se = Math.sqrt(ds.reduce((a, b) => a + (b - mean) ** 2, 0) / (groups - 1) / groups);
  assert.ok(se < 0.1 * dTrue, `standard error ${se} too large to test anything`);
  assert.ok(Math.abs(mean - dTrue) < 4 * se, `D = ${mean} +- ${se}, expected ${dTrue}`);
  assert.throws(() => einsteinDiffusion([0, 1, 2], [0, 1, 2], { fromFs: 5, toFs: 9 }), /holds 0 MSD point/);
});

test('VACF of harmonic oscillators is cos(omega t) (normalised) and 3 A^2 omega^2 / 2 cos(omega t); its DOS peaks at omega', () => {
  const periodFs = 100, w = (2 * Math.PI) / periodFs, A = 0.3, n = 12, dt = 1, frames = 2000, maxLag = 1000;
  const plain = new VacfAccumulator({ maxLag, frameIntervalFs: dt, originEvery: 7 });
  const massW = new VacfAccumulator({ maxLag, frameIntervalFs: dt, originEvery: 7, massWeighted: true });
  const s = Structure.fromSymbols(new Array<string>(n).fill('Ar'), new Float64Array(3 * n));
  const v = new Float64Array(3 * n);
  for (let f = 0; f < frames; f++) {
    // phases evenly spread over the atoms, so sum_i cos(2 phi_i + c) = 0 and the average is exact
    for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) v[3 * i + a] = -A * w * Math.sin(w * f * dt + (2 * Math.PI * i) / n + a);
    plain.add(v);
    massW.add(v, s);
  }
  const r = plain.result(), rm = massW.result();
  const mAr = s.masses()[0]!;
  for (let l = 0; l <= maxLag; l++) {
    const t = r.timeFs[l]!;
    assert.ok(Math.abs(r.cNorm[l]! - Math.cos(w * t)) < 1e-10, `C(${t})/C(0) = ${r.cNorm[l]}`);
    assert.ok(Math.abs(r.c[l]! - 1.5 * A * A * w * w * Math.cos(w * t)) < 1e-10 * A * A * w * w);
    assert.ok(Math.abs(rm.c[l]! - mAr * r.c[l]!) < 1e-9 * mAr * A * A * w * w);
    assert.ok(Math.abs(rm.cNorm[l]! - r.cNorm[l]!) < 1e-10);
  }
  const nu0THz = 1000 / periodFs;
  const dos = vibrationalDos(r, { nFreq: 2001, maxFrequencyTHz: 50 });
  let kMax = 0;
  for (let k = 1; k < dos.dos.length; k++) if (dos.dos[k]! > dos.dos[kMax]!) kMax = k;
  const step = 50 / 2000;
  assert.ok(Math.abs(dos.frequencyTHz[kMax]! - nu0THz) <= step, `DOS peak at ${dos.frequencyTHz[kMax]} THz, expected ${nu0THz}`);
  const nu0InvCm = (nu0THz * 1e12) / (SPEED_OF_LIGHT_M_S * 100);
  assert.ok(Math.abs(dos.wavenumberInvCm[kMax]! - nu0InvCm) <= (step * 1e12) / (SPEED_OF_LIGHT_M_S * 100) + 1e-9);
  // unit area over the full band (default grid up to the Nyquist frequency)
  const full = vibrationalDos(r);
  let area = 0;
  for (let k = 1; k < full.dos.length; k++) area += 0.5 * (full.dos[k]! + full.dos[k - 1]!) * (full.frequencyTHz[k]! - full.frequencyTHz[k - 1]!);
  assert.ok(Math.abs(area - 1) < 1e-3, `DOS area ${area}`);
  assert.throws(() => greenKuboDiffusion(rm), /mass-weighted/);
});

test('Green-Kubo D equals Einstein D for Ornstein-Uhlenbeck (Langevin free) particles, and both equal kT/(m gamma)', () => {
  // exact OU velocity update v' = c v + sqrt(sigma^2 (1 - c^2)) xi, c = exp(-gamma dt); positions by
  // the trapezoid rule. Per dimension D = sigma^2 / gamma (sigma^2 = kT/m).
  const sigma2 = 0.01, gamma = 0.02, dt = 2, groups = 8, perGroup = 32, frames = 4000;
  const dTrue = sigma2 / gamma;
  const c = Math.exp(-gamma * dt), kick = Math.sqrt(sigma2 * (1 - c * c));
  const rng = new Rng(2024);
  const dE: number[] = [], dG: number[] = [];
  const side = 30, cell = [side, 0, 0, 0, side, 0, 0, 0, side];
  for (let g = 0; g < groups; g++) {
    const msd = new MsdAccumulator({ maxLag: 500, frameIntervalFs: dt, originEvery: 5 });
    const vacf = new VacfAccumulator({ maxLag: 250, frameIntervalFs: dt, originEvery: 5 });
    const x = new Float64Array(3 * perGroup), v = new Float64Array(3 * perGroup);
    for (let k = 0; k < x.length; k++) { x[k] = side * rng.uniform(); v[k] = Math.sqrt(sigma2) * rng.normal(); }
    const numbers = new Array<number>(perGroup).fill(18);
    for (let f = 0; f < frames; f++) {
      if (f > 0) {
        for (let k = 0; k < x.length; k++) {
          const vn = c * v[k]! + kick * rng.normal();
          x[k] = x[k]! + 0.5 * (v[k]! + vn) * dt;
          v[k] = vn;
        }
      }
      msd.add(new Structure({ numbers, positions: wrapPositions(cell, [true, true, true], x), cell, pbc: true }));
      vacf.add(v);
    }
    const m = msd.result();
    // fit well past the ballistic regime (t >> 1/gamma = 50 fs)
    dE.push(einsteinDiffusion(m.timeFs, m.msd, { fromFs: 300, toFs: 1000 }).dA2PerFs);
    const gk = greenKuboDiffusion(vacf.result());
    dG.push(gk.dA2PerFs);
    assert.ok(Math.abs(gk.dCm2PerS - 0.1 * gk.dA2PerFs) < 1e-15);
  }
  const stats = (d: number[]) => {
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    return { mean, se: Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1) / d.length) };
  };
  const e = stats(dE), gk = stats(dG);
  assert.ok(e.se < 0.1 * dTrue && gk.se < 0.1 * dTrue, `errors too large: ${e.se}, ${gk.se}`);
  assert.ok(Math.abs(e.mean - dTrue) < 4 * e.se, `Einstein D = ${e.mean} +- ${e.se}, expected ${dTrue}`);
  assert.ok(Math.abs(gk.mean - dTrue) < 4 * gk.se, `Green-Kubo D = ${gk.mean} +- ${gk.se}, expected ${dTrue}`);
  assert.ok(Math.abs(gk.mean - e.mean) < 4 * Math.hypot(e.se, gk.se), `Green-Kubo ${gk.mean} vs Einstein ${e.mean}`);
});
