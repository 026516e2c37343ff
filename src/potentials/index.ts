/** Potentials: the contract, built-ins, compositions, conformance kit, spec registry. */
export * from './potential.js';
export { prepare, finishStress, MIN_ATOM_DISTANCE } from './prepare.js';
export { LennardJones, type LennardJonesParams } from './lj.js';
export { Morse, type MorseParams } from './morse.js';
export { StillingerWeber, type SwParams } from './sw.js';
export { Tersoff, type TersoffParams } from './tersoff.js';
export { Eam, type EamTables } from './eam.js';
export { HarmonicRestraints, type Restraint, type PositionRestraint, type DistanceRestraint, type AngleRestraint, type DihedralRestraint } from './restraints.js';
export { SumPotential, ScaledPotential, mix } from './compose.js';
export * from './conformance.js';
export { createPotential, createPotentialFromSpec, isModelSpec, loadModelPotential, POTENTIAL_NAMES, type FileReader } from './registry.js';
export { parsePotentialSpec, parsePotentialSpecs, type PotentialSpec } from './spec.js';
