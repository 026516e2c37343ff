export * from './structure.js';
export * from './cell.js';
export * from './repeat.js';
export * from './builders.js';
export { randomStructure, type RandomStructureOptions } from './random.js';
