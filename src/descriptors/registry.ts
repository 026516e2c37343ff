/**
 * Rebuild any descriptor from its `toJSON()` value: `descriptorFromJSON(json)` dispatches on `type`.
 */
import { ParameterError } from '../core/errors.js';
import { ACSF } from './acsf.js';
import { AceDescriptor } from './ace.js';
import { BodyOrderDescriptor } from './body-order.js';
import type { Descriptor } from './descriptor.js';
import { ProductDescriptor } from './product.js';

type Reader = (json: { [k: string]: unknown }) => Descriptor;

const READERS: Record<string, Reader> = {
  acsf: (j) => ACSF.fromJSON(j),
  ace: (j) => AceDescriptor.fromJSON(j),
  'body-order': (j) => BodyOrderDescriptor.fromJSON(j),
  product: (j) => ProductDescriptor.fromJSON(j, descriptorFromJSON),
};

/** Descriptor types `descriptorFromJSON` knows. */
export function descriptorTypes(): string[] {
  return Object.keys(READERS);
}

export function descriptorFromJSON(json: unknown): Descriptor {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ParameterError(`descriptorFromJSON: expected an object with "type", got ${JSON.stringify(json)}`);
  const type = (json as { type?: unknown }).type;
  const reader = typeof type === 'string' ? READERS[type] : undefined;
  if (!reader) throw new ParameterError(`descriptorFromJSON: unknown descriptor type ${JSON.stringify(type)}; known: ${descriptorTypes().join(', ')}`);
  return reader(json as { [k: string]: unknown });
}
