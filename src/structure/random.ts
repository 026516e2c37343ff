/**
 * Random structures for property-based tests: atoms placed uniformly with a minimum separation
 * (rejection sampling against all periodic images), in an optionally triclinic cell.
 */
import { ValidationError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { minimumImage } from './cell.js';
import { Structure } from './structure.js';

export interface RandomStructureOptions {
  /** Atomic numbers to draw from (uniformly). */
  numbers: readonly number[];
  n: number;
  /** Lattice vectors as rows (9). For open boundaries, the box atoms are placed in. */
  cell: ArrayLike<number>;
  pbc?: boolean | readonly boolean[];
  /** Minimum distance between atoms (Å). Default 1.5. */
  minDistance?: number;
  seed?: number;
  rng?: Rng;
}

export function randomStructure(o: RandomStructureOptions): Structure {
  const rng = o.rng ?? new Rng(o.seed ?? 0);
  const pbcIn = o.pbc ?? true;
  const pbc = typeof pbcIn === 'boolean' ? [pbcIn, pbcIn, pbcIn] : [...pbcIn];
  const dmin = o.minDistance ?? 1.5;
  const pos = new Float64Array(3 * o.n);
  const d = new Float64Array(3);
  const img = new Float64Array(3);
  for (let i = 0; i < o.n; i++) {
    let tries = 0;
    for (;;) {
      if (++tries > 100000) throw new ValidationError(`randomStructure: could not place atom ${i} at least ${dmin} Å from the others; the cell is too small`);
      const f = [rng.uniform(), rng.uniform(), rng.uniform()];
      const c = o.cell;
      const x = f[0]! * c[0]! + f[1]! * c[3]! + f[2]! * c[6]!;
      const y = f[0]! * c[1]! + f[1]! * c[4]! + f[2]! * c[7]!;
      const z = f[0]! * c[2]! + f[1]! * c[5]! + f[2]! * c[8]!;
      let ok = true;
      for (let j = 0; j < i && ok; j++) {
        d[0] = x - pos[3 * j]!; d[1] = y - pos[3 * j + 1]!; d[2] = z - pos[3 * j + 2]!;
        minimumImage(c, pbc, d, img);
        if (img[0]! * img[0]! + img[1]! * img[1]! + img[2]! * img[2]! < dmin * dmin) ok = false;
      }
      if (ok) {
        pos[3 * i] = x; pos[3 * i + 1] = y; pos[3 * i + 2] = z;
        break;
      }
    }
  }
  const numbers = Array.from({ length: o.n }, () => o.numbers[rng.int(o.numbers.length)]!);
  return new Structure({ numbers, positions: pos, cell: o.cell, pbc });
}
