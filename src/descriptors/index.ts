export type { Descriptor, DescriptorDerivatives, DescriptorGradientOutput, DescriptorWeights } from './descriptor.js';
export * from './cutoff.js';
export { ACSF, type ACSFOptions, type ACSFStandardOptions, type AngularParams, type RadialParams } from './acsf.js';
export { descriptorFromJSON, descriptorTypes } from './registry.js';
export { checkDescriptorDerivatives, descriptorTestStructures, type DerivativeCheckOptions, type DerivativeCheckResult } from './check.js';
export { BodyOrderDescriptor, type BodyOrderOptions } from './body-order.js';
export { ChebyshevRadialBasis, chebyshevCoefficients, parseRadialTransform, LINEAR_TRANSFORM, type RadialTransform } from './radial.js';
export { ProductDescriptor, productIndices, selectProductIndices, type ProductOptions, type ProductSelection } from './product.js';
