/** Node-only adapters: files on disk, potentials from parameter files, peer programs. */
export { readStructures, iterStructures, writeStructures } from './files.js';
export { readDeepmdDir, writeDeepmdDir } from './deepmd-dir.js';
export { loadPotential, resolvePotentialFile, LAMMPS_POTENTIAL_DIR } from './potentials.js';
export { runLammps } from './lammps.js';
export { ParallelPotential } from './parallel.js';
