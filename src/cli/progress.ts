/**
 * Progress reporting for long commands: a live bar with ETA and extra fields on a terminal
 * (cli-progress), plain lines on a pipe or in CI (about every 10% and at most every 30 s).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields: Record<string, string>): void;
  stop(): void;
}

export function createProgress(label: string, total: number, opts: { enabled?: boolean; fieldsFormat?: string } = {}): Progress {
  const stream = process.stderr;
  const tty = !!stream.isTTY && process.env['CI'] !== 'true';
  if (opts.enabled === false) return { update() {}, stop() {} };
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | ${opts.fieldsFormat ?? ''}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, {});
    return {
      update: (done, fields) => bar.update(done, fields),
      stop: () => bar.stop(),
    };
  }
  const t0 = Date.now();
  let nextFrac = 0.1;
  let lastT = t0;
  return {
    update(done, fields) {
      const now = Date.now();
      const frac = total > 0 ? done / total : 1;
      if (frac + 1e-12 < nextFrac && now - lastT < 30000 && done !== total) return;
      while (nextFrac <= frac + 1e-12) nextFrac += 0.1;
      lastT = now;
      const el = (now - t0) / 1000;
      const eta = frac > 0 ? (el * (1 - frac)) / frac : NaN;
      const f = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
      stream.write(`${label}: ${done}/${total} (${(100 * frac).toFixed(0)}%) ${f} elapsed ${el.toFixed(1)} s eta ${Number.isFinite(eta) ? eta.toFixed(1) : '?'} s\n`);
    },
    stop() {},
  };
}
