/**
 * What every backend's kernels share with the CPU's: attribute readers with Paddle's defaults and
 * the shape plans of the operators (convolution and pooling geometry, matrix-product layouts,
 * broadcasting), so an accelerator backend computes exactly the shapes and windows the CPU does.
 * Exported from @oar/core as `plans`.
 */
export { alignByAxis, boolAttr, elementwiseShape, floatAttr, intAttr, intsAttr, strAttr } from './specs/common';
export { convEpilogue, convGeom, isNHWC, type ConvActivation, type ConvEpilogue, type ConvGeom } from './specs/conv';
export { fillValue } from './specs/creation';
export { COMPARE_OPS, ELEMENTWISE_OPS, LOGICAL_BINARY_OPS } from './specs/elementwise';
export { normAxisAttr, outOfRange, splitAround } from './specs/indexing';
export { normAxisOp, slicePlan, splitSizes, transposePerm, type SlicePlan } from './specs/manipulation';
export { fcPlan, planFor, type FcActivation, type FcPlan, type MatmulPlan } from './specs/matmul';
export { bnUsesGlobalStats, lnDims, statDType } from './specs/norm';
export { pool2dGeometry, type Pool2dGeometry } from './specs/pool';
export { softmaxAxis } from './specs/softmax';
export { broadcastStrides, fmtShape, stridesOf } from '../tensor/shape';
