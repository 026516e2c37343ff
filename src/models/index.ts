export { LinearPotential, linearDesign, contractRows, speciesIndices, type LinearDesign, type LinearModelJSON, type LinearPotentialOptions, type TrainingInfo } from './linear.js';
export { modelFromJSON, modelFromText, modelTypes, MODEL_FORMAT, type FittedModel, type ModelRequest, type ModelContext, type ModelResult } from './registry.js';
export { CommitteePotential, type CommitteeJSON } from './committee.js';
