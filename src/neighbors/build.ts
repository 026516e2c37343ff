/**
 * Public neighbour-list builder. Chooses the algorithm; callers never need to.
 */
import { bruteForceNeighborList, type NeighborInput } from './brute-force.js';
import type { NeighborList } from './neighbor-list.js';

export interface NeighborOptions {
  /** Extra shell in Å so the list can be reused while atoms move less than skin/2. Default 0. */
  skin?: number;
}

/** Full neighbour list of all pairs closer than cutoff + skin (see NeighborList). */
export function buildNeighborList(s: NeighborInput, cutoff: number, opts: NeighborOptions = {}): NeighborList {
  // TODO(issue 2): O(N) cell list replaces this brute-force placeholder (helper in progress).
  return bruteForceNeighborList(s, cutoff, opts.skin ?? 0);
}
