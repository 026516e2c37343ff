/**
 * Optional native backend for `core/linalg.ts`: OpenBLAS (Debian libopenblas-dev) through the small
 * Node-API addon in `native/openblas/` (build with `node native/openblas/build.mjs`). When the addon
 * is missing nothing fails: `enableNativeLinalg()` returns false and mlpot stays on pure TypeScript.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLinalgBackend, type LinalgBackend } from '../core/linalg.js';

interface Addon {
  syrk: LinalgBackend['syrk'];
  gemm: LinalgBackend['gemm'];
  potrfUpper: LinalgBackend['potrfUpper'];
  setThreads(n: number): void;
}

const ADDON_REL = join('native', 'openblas', 'build', 'mlpot_openblas.node');

/** Path of the built addon: `$MLPOT_OPENBLAS_ADDON`, else the first `native/openblas/build/...` found walking up from this file. */
export function findNativeLinalgAddon(): string | undefined {
  const env = process.env.MLPOT_OPENBLAS_ADDON;
  if (env) return existsSync(env) ? env : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) return p;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

let cached: { backend: LinalgBackend; addon: Addon } | null | undefined;

/** Load the OpenBLAS backend (undefined when the addon is not built or fails to load; `reason` says why). */
export function loadNativeLinalg(): { backend?: LinalgBackend; reason?: string; setThreads?: (n: number) => void } {
  if (cached === undefined) {
    cached = null;
    const path = findNativeLinalgAddon();
    if (!path) return { reason: 'addon not built: install libopenblas-dev and run `node native/openblas/build.mjs`' };
    try {
      const addon = createRequire(import.meta.url)(path) as Addon;
      const backend: LinalgBackend = {
        name: 'openblas',
        syrk: (...a) => addon.syrk(...a),
        gemm: (...a) => addon.gemm(...a),
        potrfUpper: (n, a, lda) => addon.potrfUpper(n, a, lda),
      };
      cached = { backend, addon };
    } catch (e) {
      return { reason: `addon ${path} failed to load: ${(e as Error).message}` };
    }
  }
  if (!cached) return { reason: 'addon failed to load earlier' };
  const addon = cached.addon;
  return { backend: cached.backend, setThreads: (n: number) => addon.setThreads(n) };
}

/** Register the OpenBLAS backend with core/linalg if available (optionally pinning BLAS threads); returns whether it is active. */
export function enableNativeLinalg(opts: { threads?: number } = {}): boolean {
  const { backend, setThreads } = loadNativeLinalg();
  if (!backend) return false;
  if (opts.threads !== undefined) setThreads?.(opts.threads);
  setLinalgBackend(backend);
  return true;
}

/** Back to the pure-TypeScript kernels. */
export function disableNativeLinalg(): void {
  setLinalgBackend(null);
}
