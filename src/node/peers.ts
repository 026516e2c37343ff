/**
 * Peer programs used by tests and benchmarks (LAMMPS, ASE's python, xtb, ...).
 * A missing peer makes its tests skip with a message naming the Debian package, except in CI
 * (CI=true), where every peer must be present and a missing one fails the test.
 */
import { spawnSync } from 'node:child_process';

export interface Peer {
  available: boolean;
  /** Pass as `{ skip }` to node:test; false when the peer is available. */
  skip: string | false;
}

const cache = new Map<string, Peer>();

/**
 * @param probe argv that exits 0 when the peer works, e.g. ['lmp', '-h'] or ['/usr/bin/python3', '-c', 'import ase']
 * @param debPackage Debian package that provides it
 */
export function peer(probe: readonly string[], debPackage: string): Peer {
  const key = probe.join(' ');
  const hit = cache.get(key);
  if (hit) return hit;
  const r = spawnSync(probe[0]!, probe.slice(1), { stdio: 'ignore', timeout: 60000 });
  const available = r.status === 0;
  const msg = `needs ${probe[0]} (apt-get install ${debPackage})`;
  if (!available && process.env['CI'] === 'true') {
    throw new Error(`CI: peer program missing: ${msg}; .ci/run must install it`);
  }
  const p: Peer = { available, skip: available ? false : msg };
  cache.set(key, p);
  return p;
}

export const lammpsPeer = (): Peer => peer(['lmp', '-h'], 'lammps');
export const asePeer = (): Peer => peer([PYTHON, '-c', 'import ase, numpy'], 'python3-ase');

/** The system python that has Debian's python3-ase (not a pyenv shim). */
export const PYTHON = '/usr/bin/python3';
