/**
 * Training-report figures as SVG strings: parity (predicted vs reference) scatter plots and error
 * histograms. Pure string building: no DOM, no dependencies, browser-safe.
 *
 * Parity plot, per series s with reference x_k and prediction y_k:
 *
 *   RMSE_s = sqrt(mean_k (y_k - x_k)^2)          (annotated in the legend, in `unit`)
 *
 * drawn with the y = x line over a square, equal-range box. Large series are thinned
 * deterministically (`thinIndices`) to at most `maxPoints` markers, always keeping the points of
 * largest |y - x| so outliers stay visible; the RMSE is computed on all points.
 *
 * Histogram of values v_k: `bins` equal-width bins over [min_k v_k, max_k v_k] shared by all series,
 * each series drawn as a translucent bar set (counts, not densities).
 *
 * | symbol    | variable                         |
 * |-----------|----------------------------------|
 * | x_k, y_k  | series.ref[k], series.pred[k]    |
 * | RMSE_s    | rmse(series)                     |
 * | v_k       | series.values[k]                 |
 *
 * Non-finite values are skipped (and counted in a footnote); coordinates are written with two
 * decimals, so the output is small and every number in it is finite.
 */

export interface ParitySeries {
  name: string;
  ref: ArrayLike<number>;
  pred: ArrayLike<number>;
  /** CSS colour (default: from a fixed palette). */
  color?: string;
}

export interface ParityPlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Unit appended to the RMSE annotation, e.g. "eV/Å". */
  unit?: string;
  /** Multiply the RMSE by this before printing (e.g. 1000 for meV); default 1. */
  rmseScale?: number;
  /** Most markers drawn per series (default 3000). */
  maxPoints?: number;
  /** Pixels (default 480). */
  size?: number;
}

export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
  color?: string;
}

export interface HistogramOptions {
  title: string;
  xLabel: string;
  /** Number of bins (default 40). */
  bins?: number;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];

/** Escape text for SVG/XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A short label for a tick value. */
function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  const dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(dec);
}

/** About `count` round tick values covering [lo, hi] (steps 1, 2, 5 x 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) out.push(Math.abs(t) < 1e-12 * step ? 0 : t);
  return out;
}

/**
 * Indices of at most `max` of `n` points, deterministic: the `keep` indices with the largest
 * `priority` (e.g. |error|) plus an even stride through the rest; sorted ascending.
 */
export function thinIndices(n: number, max: number, priority?: ArrayLike<number>, keep = Math.floor(max / 20)): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  const chosen = new Uint8Array(n);
  let count = 0;
  if (priority && keep > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (priority[b]! - priority[a]!) || a - b);
    for (let k = 0; k < keep; k++) {
      chosen[order[k]!] = 1;
      count++;
    }
  }
  const rest = max - count;
  for (let k = 0; k < rest; k++) {
    let i = Math.floor((k * n) / rest);
    while (i < n && chosen[i]) i++;
    if (i < n) {
      chosen[i] = 1;
      count++;
    }
  }
  const out = new Int32Array(count);
  let m = 0;
  for (let i = 0; i < n; i++) if (chosen[i]) out[m++] = i;
  return out;
}

function rmseOf(ref: ArrayLike<number>, pred: ArrayLike<number>): { rmse: number; n: number; skipped: number } {
  let q = 0, n = 0, skipped = 0;
  for (let k = 0; k < ref.length; k++) {
    const d = pred[k]! - ref[k]!;
    if (!Number.isFinite(d)) {
      skipped++;
      continue;
    }
    q += d * d;
    n++;
  }
  return { rmse: n ? Math.sqrt(q / n) : NaN, n, skipped };
}

function header(w: number, h: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>`,
    `<text x="${fmt(w / 2)}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
}

/** Parity plot of one or more series (e.g. train and test) with the y = x line. */
export function paritySVG(series: readonly ParitySeries[], o: ParityPlotOptions): string {
  const size = o.size ?? 480;
  const maxPoints = o.maxPoints ?? 3000;
  const scale = o.rmseScale ?? 1;
  const m = { l: 70, r: 20, t: 30, b: 55 };
  const pw = size - m.l - m.r, ph = size - m.t - m.b;
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (let k = 0; k < s.ref.length; k++) {
      const x = s.ref[k]!, y = s.pred[k]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      lo = Math.min(lo, x, y);
      hi = Math.max(hi, x, y);
    }
  }
  const out = header(size, size, o.title);
  if (!(hi >= lo)) {
    out.push(`<text x="${fmt(size / 2)}" y="${fmt(size / 2)}" text-anchor="middle">no data</text>`, '</svg>');
    return out.join('\n') + '\n';
  }
  const pad = hi > lo ? 0.04 * (hi - lo) : Math.max(1e-6, 0.05 * Math.abs(lo));
  lo -= pad;
  hi += pad;
  const X = (v: number) => m.l + ((v - lo) / (hi - lo)) * pw;
  const Y = (v: number) => m.t + ph - ((v - lo) / (hi - lo)) * ph;
  out.push(...axes(m, pw, ph, lo, hi, lo, hi, X, Y, o.xLabel, o.yLabel));
  out.push(`<line x1="${fmt(X(lo))}" y1="${fmt(Y(lo))}" x2="${fmt(X(hi))}" y2="${fmt(Y(hi))}" stroke="#888888" stroke-dasharray="4 3"/>`);
  const legend: string[] = [];
  let skippedAll = 0;
  series.forEach((s, si) => {
    const color = s.color ?? PALETTE[si % PALETTE.length]!;
    const n = Math.min(s.ref.length, s.pred.length);
    const err = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const d = Math.abs(s.pred[k]! - s.ref[k]!);
      err[k] = Number.isFinite(d) ? d : -1;
    }
    const idx = thinIndices(n, maxPoints, err);
    const pts: string[] = [];
    for (const k of idx) {
      const x = s.ref[k]!, y = s.pred[k]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      pts.push(`<circle cx="${fmt(X(x))}" cy="${fmt(Y(y))}" r="2"/>`);
    }
    out.push(`<g fill="${escapeXml(color)}" fill-opacity="0.55">`, ...pts, '</g>');
    const r = rmseOf(s.ref, s.pred);
    skippedAll += r.skipped;
    const thinned = idx.length < n ? `, ${idx.length} of ${n} shown` : '';
    legend.push(`${s.name}: RMSE ${Number.isFinite(r.rmse) ? (r.rmse * scale).toPrecision(3) : '-'}${o.unit ? ` ${o.unit}` : ''} (n = ${r.n}${thinned})`);
  });
  legend.forEach((t, k) => {
    const y = m.t + 16 + 16 * k;
    const color = series[k]!.color ?? PALETTE[k % PALETTE.length]!;
    out.push(`<circle cx="${fmt(m.l + 12)}" cy="${fmt(y - 4)}" r="4" fill="${escapeXml(color)}"/>`);
    out.push(`<text x="${fmt(m.l + 22)}" y="${fmt(y)}">${escapeXml(t)}</text>`);
  });
  if (skippedAll) out.push(`<text x="${fmt(size - 6)}" y="${fmt(size - 6)}" text-anchor="end" font-size="10">${skippedAll} non-finite value(s) skipped</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Histogram of one or more series over shared bins. */
export function histogramSVG(series: readonly HistogramSeries[], o: HistogramOptions): string {
  const w = o.width ?? 560, h = o.height ?? 400;
  const bins = Math.max(1, Math.floor(o.bins ?? 40));
  const m = { l: 70, r: 20, t: 30, b: 55 };
  const pw = w - m.l - m.r, ph = h - m.t - m.b;
  let lo = Infinity, hi = -Infinity, skipped = 0;
  for (const s of series) {
    for (let k = 0; k < s.values.length; k++) {
      const v = s.values[k]!;
      if (!Number.isFinite(v)) {
        skipped++;
        continue;
      }
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const out = header(w, h, o.title);
  if (!(hi >= lo)) {
    out.push(`<text x="${fmt(w / 2)}" y="${fmt(h / 2)}" text-anchor="middle">no data</text>`, '</svg>');
    return out.join('\n') + '\n';
  }
  if (hi === lo) {
    const p = Math.max(1e-9, 1e-3 * Math.abs(lo));
    lo -= p;
    hi += p;
  }
  const width = (hi - lo) / bins;
  const counts = series.map((s) => {
    const c = new Float64Array(bins);
    for (let k = 0; k < s.values.length; k++) {
      const v = s.values[k]!;
      if (!Number.isFinite(v)) continue;
      c[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    }
    return c;
  });
  let cmax = 1;
  for (const c of counts) for (const v of c) cmax = Math.max(cmax, v);
  const X = (v: number) => m.l + ((v - lo) / (hi - lo)) * pw;
  const Y = (v: number) => m.t + ph - (v / (cmax * 1.05)) * ph;
  out.push(...axes(m, pw, ph, lo, hi, 0, cmax * 1.05, X, Y, o.xLabel, 'count'));
  counts.forEach((c, si) => {
    const color = series[si]!.color ?? PALETTE[si % PALETTE.length]!;
    const rects: string[] = [];
    for (let b = 0; b < bins; b++) {
      if (c[b] === 0) continue;
      const x0 = X(lo + b * width), x1 = X(lo + (b + 1) * width);
      rects.push(`<rect x="${fmt(x0)}" y="${fmt(Y(c[b]!))}" width="${fmt(Math.max(0.5, x1 - x0 - 0.5))}" height="${fmt(Y(0) - Y(c[b]!))}"/>`);
    }
    out.push(`<g fill="${escapeXml(color)}" fill-opacity="0.5">`, ...rects, '</g>');
    const y = m.t + 16 + 16 * si;
    let n = 0;
    for (const v of c) n += v;
    out.push(`<rect x="${fmt(m.l + 8)}" y="${fmt(y - 9)}" width="10" height="10" fill="${escapeXml(color)}" fill-opacity="0.5"/>`);
    out.push(`<text x="${fmt(m.l + 22)}" y="${fmt(y)}">${escapeXml(`${series[si]!.name} (n = ${n})`)}</text>`);
  });
  if (skipped) out.push(`<text x="${fmt(w - 6)}" y="${fmt(h - 6)}" text-anchor="end" font-size="10">${skipped} non-finite value(s) skipped</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function axes(
  m: { l: number; r: number; t: number; b: number },
  pw: number,
  ph: number,
  xlo: number,
  xhi: number,
  ylo: number,
  yhi: number,
  X: (v: number) => number,
  Y: (v: number) => number,
  xLabel: string,
  yLabel: string,
): string[] {
  const out: string[] = [];
  out.push(`<rect x="${m.l}" y="${m.t}" width="${fmt(pw)}" height="${fmt(ph)}" fill="none" stroke="#000000"/>`);
  const xt = niceTicks(xlo, xhi, 5), yt = niceTicks(ylo, yhi, 5);
  const xs = xt.length > 1 ? xt[1]! - xt[0]! : 1, ys = yt.length > 1 ? yt[1]! - yt[0]! : 1;
  const y0 = m.t + ph;
  for (const t of xt) {
    const x = X(t);
    out.push(`<line x1="${fmt(x)}" y1="${fmt(y0)}" x2="${fmt(x)}" y2="${fmt(y0 + 5)}" stroke="#000000"/>`);
    out.push(`<text x="${fmt(x)}" y="${fmt(y0 + 18)}" text-anchor="middle">${escapeXml(tickLabel(t, xs))}</text>`);
  }
  for (const t of yt) {
    const y = Y(t);
    out.push(`<line x1="${m.l - 5}" y1="${fmt(y)}" x2="${m.l}" y2="${fmt(y)}" stroke="#000000"/>`);
    out.push(`<text x="${m.l - 8}" y="${fmt(y + 4)}" text-anchor="end">${escapeXml(tickLabel(t, ys))}</text>`);
  }
  out.push(`<text x="${fmt(m.l + pw / 2)}" y="${fmt(y0 + 40)}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  const cy = m.t + ph / 2;
  out.push(`<text x="16" y="${fmt(cy)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(cy)})">${escapeXml(yLabel)}</text>`);
  return out;
}
