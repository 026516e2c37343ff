export { LinearPotential, linearDesign, contractRows, speciesIndices, type LinearDesign, type LinearModelJSON, type LinearPotentialOptions, type TrainingInfo } from './linear.js';
export { modelFromJSON, modelFromText, modelTypes, MODEL_FORMAT, type FittedModel, type ModelRequest, type ModelContext, type ModelResult } from './registry.js';
export { CommitteePotential, type CommitteeJSON } from './committee.js';
export { GPPotential, GPBasis, gpDesign, type GPBasisOptions, type GPModelJSON, type GPNoise, type GPPotentialOptions, type GPVariance } from './gp.js';
export { NNPotential, MLP, type Activation, type NNModelJSON, type NNPotentialOptions } from './nn.js';
export { checkKernel, kernelValue, type KernelSpec } from './kernels.js';
