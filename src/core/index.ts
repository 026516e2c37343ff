export * from './units.js';
export * from './errors.js';
export * from './elements.js';
export * from './rng.js';
export * from './mat3.js';
