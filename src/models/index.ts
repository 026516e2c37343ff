export { LinearPotential, linearDesign, contractRows, speciesIndices, type LinearDesign, type LinearModelJSON, type LinearPotentialOptions, type TrainingInfo } from './linear.js';
