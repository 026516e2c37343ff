/**
 * Built-in potentials by name: the factory behind `-p SPEC` on the command line.
 * Parameter files are passed in as text (`files`), so this runs in a browser too;
 * the Node adapter (src/node/potentials.ts) reads them from disk.
 *
 * Fitted models (files written by `mlpot train`) are potentials too: a term whose text ends in
 * `.json` (`Si.model.json`) or starts with `model:` (`model:Si.model.json`) is read through the
 * same `FileReader` and rebuilt by `modelFromJSON`; it can be a term of a sum
 * (`Si.model.json+lj:sigma=3,epsilon=0.001`). Model file paths must not contain `+`.
 */
import { ValidationError } from '../core/errors.js';
import { modelFromText } from '../models/registry.js';
import { SumPotential } from './compose.js';
import { Eam } from './eam.js';
import { LennardJones } from './lj.js';
import { Morse } from './morse.js';
import type { Potential } from './potential.js';
import { assertKnownParams, numParam, parsePotentialSpec, parsePotentialSpecs, type PotentialSpec } from './spec.js';
import { StillingerWeber } from './sw.js';
import { Tersoff } from './tersoff.js';

export const POTENTIAL_NAMES = ['lj', 'morse', 'sw', 'tersoff', 'eam', 'eam/alloy'] as const;

/** Reads a parameter file named in a spec; returns its text. */
export type FileReader = (path: string) => string;

/** Element symbols named in a spec's `elements=` parameter ("Si" or "Si Ge"/"Si;Ge"). */
function elementsParam(spec: PotentialSpec): string[] | undefined {
  const v = spec.params['elements'];
  if (v === undefined) return undefined;
  return String(v).split(/[\s;/]+/).filter(Boolean);
}

/** Elements of a LAMMPS many-body parameter file (first three words of every entry). */
export function elementsInLammpsFile(text: string): string[] {
  const seen: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    if (words.length >= 3 && /^[A-Z][a-z]?$/.test(words[0]!)) {
      for (const w of words.slice(0, 3)) if (/^[A-Z][a-z]?$/.test(w) && !seen.includes(w)) seen.push(w);
    }
  }
  return seen;
}

/** True for a spec term naming a model file: `model:PATH` or a path ending in `.json`. */
export function isModelSpec(term: string): boolean {
  const t = term.trim();
  return /^model:/i.test(t) || /\.json$/i.test(t);
}

/** A fitted model file (JSON text from `readFile(path)`) as a Potential. */
export function loadModelPotential(path: string, readFile: FileReader): Potential {
  const model: Potential = modelFromText(readFile(path), `model file ${path}`);
  return model;
}

export function createPotentialFromSpec(spec: PotentialSpec, readFile: FileReader): Potential {
  if (spec.name === 'model') {
    assertKnownParams(spec, []);
    if (spec.file === undefined) throw new ValidationError('model: needs a model file, e.g. model:Si.model.json (written by mlpot train)');
    return loadModelPotential(spec.file, readFile);
  }
  const text = spec.file !== undefined ? readFile(spec.file) : undefined;
  switch (spec.name) {
    case 'lj': {
      assertKnownParams(spec, ['epsilon', 'sigma', 'cutoff', 'shift']);
      return new LennardJones({
        epsilon: numParam(spec, 'epsilon'),
        sigma: numParam(spec, 'sigma'),
        cutoff: numParam(spec, 'cutoff', 2.5 * numParam(spec, 'sigma')),
        shift: numParam(spec, 'shift', 1) !== 0,
      });
    }
    case 'morse': {
      assertKnownParams(spec, ['D0', 'alpha', 'r0', 'cutoff', 'shift']);
      return new Morse({
        D0: numParam(spec, 'D0'),
        alpha: numParam(spec, 'alpha'),
        r0: numParam(spec, 'r0'),
        cutoff: numParam(spec, 'cutoff'),
        shift: numParam(spec, 'shift', 1) !== 0,
      });
    }
    case 'sw':
    case 'tersoff': {
      assertKnownParams(spec, ['elements']);
      const Cls = spec.name === 'sw' ? StillingerWeber : Tersoff;
      if (text === undefined) {
        if (elementsParam(spec) && elementsParam(spec)!.join() !== 'Si') throw new ValidationError(`${spec.name}: the built-in parameters are for Si only; give a parameter file for other elements`);
        return Cls.silicon();
      }
      return Cls.fromLammps(text, elementsParam(spec) ?? elementsInLammpsFile(text));
    }
    case 'eam':
    case 'eam/alloy': {
      assertKnownParams(spec, ['elements']);
      if (text === undefined) throw new ValidationError(`${spec.name}: needs a parameter file, e.g. eam:/usr/share/lammps/potentials/Cu_u3.eam (funcfl) or eam:FILE.eam.alloy (setfl)`);
      const isSetfl = spec.name === 'eam/alloy' || /\.(eam\.alloy|setfl)$/i.test(spec.file ?? '') || looksLikeSetfl(text);
      return isSetfl ? Eam.fromSetfl(text, elementsParam(spec)) : Eam.fromFuncfl(text);
    }
    default:
      throw new ValidationError(`unknown potential "${spec.name}"; built-ins: ${POTENTIAL_NAMES.join(', ')}; or a model file written by mlpot train (NAME.json or model:FILE)`);
  }
}

/** setfl files have the element count and symbols on line 4; funcfl has "Z mass a lattice" on line 2. */
function looksLikeSetfl(text: string): boolean {
  const lines = text.split('\n');
  const l4 = (lines[3] ?? '').trim().split(/\s+/);
  const n = Number(l4[0]);
  return Number.isInteger(n) && n >= 1 && l4.length === n + 1 && l4.slice(1).every((w) => /^[A-Z][a-z]?$/.test(w));
}

/**
 * Build a potential (or a sum) from a spec string such as "sw", "lj:sigma=3.4,epsilon=0.0104",
 * "sw:Si.sw", "Si.model.json" or "model:Si.model.json+lj:sigma=3,epsilon=0.001".
 */
export function createPotential(specText: string, readFile: FileReader): Potential {
  const raw = specText.split('+').map((t) => t.trim());
  if (raw.some((t) => t === '')) parsePotentialSpecs(specText); // throws the "empty term" error
  const terms = raw.map((t) => {
    if (!isModelSpec(t)) return createPotentialFromSpec(parsePotentialSpec(t), readFile);
    const path = t.replace(/^model:/i, '').trim();
    if (path === '') throw new ValidationError(`potential "${t}": model: needs a model file, e.g. model:Si.model.json (written by mlpot train)`);
    return loadModelPotential(path, readFile);
  });
  return terms.length === 1 ? terms[0]! : new SumPotential(terms);
}
