/**
 * mlpot public API (browser-safe). Node-only adapters (files, LAMMPS, peers) are in `mlpot/node`.
 */
export * from './core/index.js';
export * from './structure/index.js';
export * from './io/index.js';
export * from './neighbors/index.js';
export * from './potentials/index.js';
