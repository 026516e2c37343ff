/**
 * Public neighbour-list builder. Chooses the algorithm; callers never need to.
 * The O(N) cell list (cell-list.ts) is used for every size: measured, it is as fast as the
 * brute-force reference already for a handful of atoms (see docs/neighbors.md).
 */
import type { NeighborInput } from './brute-force.js';
import { cellListNeighborList } from './cell-list.js';
import type { NeighborList } from './neighbor-list.js';

export interface NeighborOptions {
  /** Extra shell in Å so the list can be reused while atoms move less than skin/2. Default 0. */
  skin?: number;
}

/** Full neighbour list of all pairs closer than cutoff + skin (see NeighborList). */
export function buildNeighborList(s: NeighborInput, cutoff: number, opts: NeighborOptions = {}): NeighborList {
  return cellListNeighborList(s, cutoff, opts.skin ?? 0);
}
