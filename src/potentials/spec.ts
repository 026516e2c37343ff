/**
 * Potential specifications as typed on the command line or in a config file:
 *
 *   NAME                      built-in defaults            (sw, tersoff)
 *   NAME:FILE                 parameter file               (sw:/usr/share/lammps/potentials/Si.sw)
 *   NAME:k=v,k=v              inline parameters            (lj:sigma=3.4,epsilon=0.0104,cutoff=8.5)
 *   NAME:FILE,k=v             both                         (eam:Cu_u3.eam,elements=Cu)
 *   A+B                       sum of potentials            (tersoff+lj:sigma=3,epsilon=0.001)
 *
 * Parsing is pure; reading FILE is the caller's job (Node or browser), see `createPotential`.
 */
import { ValidationError } from '../core/errors.js';

export interface PotentialSpec {
  name: string;
  file?: string;
  params: Record<string, number | string>;
}

/** Split a `+`-joined sum, then parse each term. */
export function parsePotentialSpecs(text: string): PotentialSpec[] {
  const terms = text.split('+').map((t) => t.trim());
  if (terms.some((t) => t === '')) throw new ValidationError(`potential "${text}": empty term in a sum`);
  return terms.map(parsePotentialSpec);
}

export function parsePotentialSpec(text: string): PotentialSpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  const name = (colon < 0 ? t : t.slice(0, colon)).trim().toLowerCase();
  if (!/^[a-z][a-z0-9_/-]*$/.test(name)) throw new ValidationError(`potential "${text}": "${name}" is not a potential name`);
  const spec: PotentialSpec = { name, params: {} };
  if (colon < 0) return spec;
  const rest = t.slice(colon + 1);
  if (rest.trim() === '') throw new ValidationError(`potential "${text}": nothing after ":" (expected a parameter file or k=v parameters)`);
  rest.split(',').forEach((item, k) => {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (k !== 0) throw new ValidationError(`potential "${text}": "${item}" is not k=v (only the first item may be a file)`);
      spec.file = item.trim();
      return;
    }
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (!key || raw === '') throw new ValidationError(`potential "${text}": "${item}" is not k=v`);
    const num = Number(raw);
    spec.params[key] = raw !== '' && Number.isFinite(num) ? num : raw;
  });
  return spec;
}

/** Read a numeric parameter, with a default; throws naming the potential and key on a non-number. */
export function numParam(spec: PotentialSpec, key: string, dflt?: number): number {
  const v = spec.params[key];
  if (v === undefined) {
    if (dflt === undefined) throw new ValidationError(`potential ${spec.name}: missing parameter "${key}"`);
    return dflt;
  }
  if (typeof v !== 'number') throw new ValidationError(`potential ${spec.name}: parameter "${key}" must be a number, got "${v}"`);
  return v;
}

/** Throw if the spec carries keys the potential does not know (catches typos like "sigam"). */
export function assertKnownParams(spec: PotentialSpec, known: readonly string[]): void {
  for (const k of Object.keys(spec.params)) {
    if (!known.includes(k)) throw new ValidationError(`potential ${spec.name}: unknown parameter "${k}" (known: ${known.join(', ') || 'none'})`);
  }
}
