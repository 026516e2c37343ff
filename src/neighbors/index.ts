export * from './neighbor-list.js';
export * from './build.js';
export { bruteForceNeighborList, type NeighborInput } from './brute-force.js';
