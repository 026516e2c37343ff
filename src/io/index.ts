/** Structure formats: strings in, Structures out (browser-safe). Files live in `src/node/files.ts`. */
export type { Format, FrameParser, ReadOptions, WriteOptions } from './format.js';
export {
  XyzStreamParser,
  extxyzComment,
  formatExtxyzFrame,
  iterXyzChunks,
  readExtxyz,
  writeExtxyz,
  type XyzMode,
  type XyzReadOptions,
} from './extxyz.js';
export { formatXyzFrame, readXyz, writeXyz } from './xyz.js';
export { formatFloat, formatReal, isDecimal, parseDecimal, parseInteger, type DecimalOptions } from './text.js';
export {
  DEFAULT_REFERENCE_KEYS,
  ENERGIES_KEY,
  PREDICTION_KEYS,
  getEnergy,
  getForces,
  getStressVoigt,
  setPrediction,
  type LabelKeys,
  type Prediction,
} from './labels.js';
export { FORMATS, formatFromPath, getFormat, readString, requireFormatFromPath, writeString } from './registry.js';
export { readPoscar, writePoscar } from './poscar.js';
export { readLammpsData, writeLammpsData } from './lammps-data.js';
export { readMlearnJson, writeMlearnJson } from './mlearn.js';
