/** Public face of the dynamics layer: MD state, force engine, integrators and couplers, driver, checkpoints, minimisers. */
export * from './errors.js';
export * from './state.js';
export * from './forces.js';
export * from './integrator.js';
export * from './thermostats.js';
export * from './barostat.js';
export * from './checkpoint.js';
export * from './run.js';
export * from './optimizable.js';
export * from './minimize.js';
export * from './analysis.js';
export * from './observers.js';
