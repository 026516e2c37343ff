/**
 * Species bookkeeping shared by the descriptors: a Z -> channel table, and the input check that
 * names the first element of a structure the descriptor has no channel for.
 */
import { ParameterError, ValidationError } from '../core/errors.js';
import { MAX_Z, element, symbolOf } from '../core/elements.js';
import type { NeighborList } from '../neighbors/neighbor-list.js';
import type { Structure } from '../structure/structure.js';

/** Sorted unique atomic numbers, validated (throws on unknown Z or an empty list). */
export function normalizeSpecies(species: readonly number[], who: string): number[] {
  if (!Array.isArray(species) || species.length === 0) throw new ParameterError(`${who}: species must be a non-empty list of atomic numbers`);
  for (const z of species) element(z);
  return [...new Set(species)].sort((a, b) => a - b);
}

/** Table indexed by Z giving the channel (index into species), -1 for absent elements. */
export function speciesTable(species: readonly number[]): Int32Array {
  const t = new Int32Array(MAX_Z + 1).fill(-1);
  species.forEach((z, k) => (t[z] = k));
  return t;
}

/** Check a structure and neighbour list against a descriptor; throws naming the cause. */
export function checkInput(who: string, table: Int32Array, species: readonly number[], s: Structure, nl: NeighborList, cutoff: number): void {
  const n = s.numbers.length;
  if (nl.n !== n) throw new ValidationError(`${who}: neighbour list is for ${nl.n} atoms, structure has ${n}`);
  if (nl.cutoff + nl.skin < cutoff - 1e-12) {
    throw new ValidationError(`${who}: neighbour list covers ${nl.cutoff + nl.skin} Å (cutoff + skin), the descriptor needs ${cutoff} Å`);
  }
  for (let i = 0; i < n; i++) {
    const z = s.numbers[i]!;
    if (table[z]! < 0) {
      throw new ParameterError(`${who}: atom ${i} is ${symbolOf(z)}, which is not among the descriptor's species (${species.map(symbolOf).join(', ')})`);
    }
  }
}

/** Check output buffer sizes. */
export function checkBuffer(who: string, what: string, buf: Float64Array, want: number): void {
  if (buf.length < want) throw new ValidationError(`${who}: ${what} buffer has ${buf.length} values; needs ${want}`);
}
