/** Optimizers, learning-rate schedulers (`lr`), weight decay and gradient clipping. */
export { Optimizer, type OptimizerOptions, type ParamGroup, type OptimizerState, type AccumulatorSpec, type Group } from './optimizer';
export { SGD, Momentum, Adam, AdamW, RMSProp, Lamb } from './optimizers';
export type { MomentumOptions, AdamOptions, AdamWOptions, RMSPropOptions, LambOptions } from './optimizers';
export { L1Decay, L2Decay } from './regularizer';
export { ClipGradBase, ClipGradByValue, ClipGradByNorm, ClipGradByGlobalNorm, type ParamGrad } from './clip';
export * as lr from './lr';
