/**
 * Element table, H (Z=1) to Rn (Z=86): symbol, name, standard atomic mass (amu, IUPAC 2016
 * conventional values, as in ASE's default table) and covalent radius (Å, Cordero et al.,
 * Dalton Trans. 2008, 2832; the same table ASE uses).
 */
import { MlpotError } from './errors.js';

export interface Element {
  readonly z: number;
  readonly symbol: string;
  readonly name: string;
  /** Standard atomic mass in amu. */
  readonly mass: number;
  /** Covalent radius in Å. */
  readonly covalentRadius: number;
}

const DATA: ReadonlyArray<readonly [string, string, number, number]> = [
  ['H', 'Hydrogen', 1.008, 0.31],
  ['He', 'Helium', 4.002602, 0.28],
  ['Li', 'Lithium', 6.94, 1.28],
  ['Be', 'Beryllium', 9.0121831, 0.96],
  ['B', 'Boron', 10.81, 0.84],
  ['C', 'Carbon', 12.011, 0.76],
  ['N', 'Nitrogen', 14.007, 0.71],
  ['O', 'Oxygen', 15.999, 0.66],
  ['F', 'Fluorine', 18.998403163, 0.57],
  ['Ne', 'Neon', 20.1797, 0.58],
  ['Na', 'Sodium', 22.98976928, 1.66],
  ['Mg', 'Magnesium', 24.305, 1.41],
  ['Al', 'Aluminium', 26.9815385, 1.21],
  ['Si', 'Silicon', 28.085, 1.11],
  ['P', 'Phosphorus', 30.973761998, 1.07],
  ['S', 'Sulfur', 32.06, 1.05],
  ['Cl', 'Chlorine', 35.45, 1.02],
  ['Ar', 'Argon', 39.948, 1.06],
  ['K', 'Potassium', 39.0983, 2.03],
  ['Ca', 'Calcium', 40.078, 1.76],
  ['Sc', 'Scandium', 44.955908, 1.7],
  ['Ti', 'Titanium', 47.867, 1.6],
  ['V', 'Vanadium', 50.9415, 1.53],
  ['Cr', 'Chromium', 51.9961, 1.39],
  ['Mn', 'Manganese', 54.938044, 1.39],
  ['Fe', 'Iron', 55.845, 1.32],
  ['Co', 'Cobalt', 58.933194, 1.26],
  ['Ni', 'Nickel', 58.6934, 1.24],
  ['Cu', 'Copper', 63.546, 1.32],
  ['Zn', 'Zinc', 65.38, 1.22],
  ['Ga', 'Gallium', 69.723, 1.22],
  ['Ge', 'Germanium', 72.63, 1.2],
  ['As', 'Arsenic', 74.921595, 1.19],
  ['Se', 'Selenium', 78.971, 1.2],
  ['Br', 'Bromine', 79.904, 1.2],
  ['Kr', 'Krypton', 83.798, 1.16],
  ['Rb', 'Rubidium', 85.4678, 2.2],
  ['Sr', 'Strontium', 87.62, 1.95],
  ['Y', 'Yttrium', 88.90584, 1.9],
  ['Zr', 'Zirconium', 91.224, 1.75],
  ['Nb', 'Niobium', 92.90637, 1.64],
  ['Mo', 'Molybdenum', 95.95, 1.54],
  ['Tc', 'Technetium', 97.90721, 1.47],
  ['Ru', 'Ruthenium', 101.07, 1.46],
  ['Rh', 'Rhodium', 102.9055, 1.42],
  ['Pd', 'Palladium', 106.42, 1.39],
  ['Ag', 'Silver', 107.8682, 1.45],
  ['Cd', 'Cadmium', 112.414, 1.44],
  ['In', 'Indium', 114.818, 1.42],
  ['Sn', 'Tin', 118.71, 1.39],
  ['Sb', 'Antimony', 121.76, 1.39],
  ['Te', 'Tellurium', 127.6, 1.38],
  ['I', 'Iodine', 126.90447, 1.39],
  ['Xe', 'Xenon', 131.293, 1.4],
  ['Cs', 'Caesium', 132.90545196, 2.44],
  ['Ba', 'Barium', 137.327, 2.15],
  ['La', 'Lanthanum', 138.90547, 2.07],
  ['Ce', 'Cerium', 140.116, 2.04],
  ['Pr', 'Praseodymium', 140.90766, 2.03],
  ['Nd', 'Neodymium', 144.242, 2.01],
  ['Pm', 'Promethium', 144.91276, 1.99],
  ['Sm', 'Samarium', 150.36, 1.98],
  ['Eu', 'Europium', 151.964, 1.98],
  ['Gd', 'Gadolinium', 157.25, 1.96],
  ['Tb', 'Terbium', 158.92535, 1.94],
  ['Dy', 'Dysprosium', 162.5, 1.92],
  ['Ho', 'Holmium', 164.93033, 1.92],
  ['Er', 'Erbium', 167.259, 1.89],
  ['Tm', 'Thulium', 168.93422, 1.9],
  ['Yb', 'Ytterbium', 173.054, 1.87],
  ['Lu', 'Lutetium', 174.9668, 1.87],
  ['Hf', 'Hafnium', 178.49, 1.75],
  ['Ta', 'Tantalum', 180.94788, 1.7],
  ['W', 'Tungsten', 183.84, 1.62],
  ['Re', 'Rhenium', 186.207, 1.51],
  ['Os', 'Osmium', 190.23, 1.44],
  ['Ir', 'Iridium', 192.217, 1.41],
  ['Pt', 'Platinum', 195.084, 1.36],
  ['Au', 'Gold', 196.966569, 1.36],
  ['Hg', 'Mercury', 200.592, 1.32],
  ['Tl', 'Thallium', 204.38, 1.45],
  ['Pb', 'Lead', 207.2, 1.46],
  ['Bi', 'Bismuth', 208.9804, 1.48],
  ['Po', 'Polonium', 208.98243, 1.4],
  ['At', 'Astatine', 209.98715, 1.5],
  ['Rn', 'Radon', 222.01758, 1.5],
];

export const MAX_Z = DATA.length;

/** Indexed by Z; ELEMENTS[0] is a placeholder "X" (unknown). */
export const ELEMENTS: readonly Element[] = [
  { z: 0, symbol: 'X', name: 'Unknown', mass: 0, covalentRadius: 0.2 },
  ...DATA.map(([symbol, name, mass, covalentRadius], i) => ({ z: i + 1, symbol, name, mass, covalentRadius })),
];

const BY_SYMBOL = new Map<string, number>(ELEMENTS.slice(1).map((e) => [e.symbol, e.z]));

/** Atomic number for a symbol ("Si" -> 14). Case-sensitive as in chemistry; throws on unknown symbols. */
export function atomicNumber(symbol: string): number {
  const z = BY_SYMBOL.get(symbol);
  if (z === undefined) {
    const fixed = symbol.length > 0 ? symbol[0]!.toUpperCase() + symbol.slice(1).toLowerCase() : symbol;
    const hint = fixed !== symbol && BY_SYMBOL.has(fixed) ? ` (did you mean "${fixed}"?)` : '';
    throw new MlpotError('UNKNOWN_ELEMENT', `unknown element symbol "${symbol}"${hint}; mlpot knows H to Rn`);
  }
  return z;
}

export function isElementSymbol(symbol: string): boolean {
  return BY_SYMBOL.has(symbol);
}

/** Element record for an atomic number; throws for Z outside 1..86. */
export function element(z: number): Element {
  if (!Number.isInteger(z) || z < 1 || z > MAX_Z) {
    throw new MlpotError('UNKNOWN_ELEMENT', `unknown atomic number ${z}; mlpot knows Z = 1 (H) to ${MAX_Z} (Rn)`);
  }
  return ELEMENTS[z]!;
}

export function symbolOf(z: number): string {
  return element(z).symbol;
}

export function massOf(z: number): number {
  return element(z).mass;
}
