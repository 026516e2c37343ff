export * from './neighbor-list.js';
export * from './build.js';
export { bruteForceNeighborList, type NeighborInput } from './brute-force.js';
export { cellListNeighborList, searchBasis, type CellListOptions } from './cell-list.js';
