/**
 * @oar/core: tensors, Paddle-named operators, autograd, and the CPU backend.
 */
import { registerCpuBackend } from './backends/cpu/register';
import { engine } from './engine/engine';
import { registerAllOps } from './kernels/specs';
import './ops/chain';

registerAllOps();
registerCpuBackend();

export { engine, Engine } from './engine/engine';
export type { MemoryInfo, OpListener } from './engine/engine';
export * from './engine/api';
export { Tensor, type NestedArray } from './tensor/tensor';
export * from './tensor/dtype';
export { numel, broadcastShapes, type Shape } from './tensor/shape';
export type { Backend, BackendFactory } from './backends/backend';
export { blasInfo } from './backends/cpu/blas';
export { dnnlInfo } from './backends/cpu/dnnl/lib';
export {
  registerOp,
  registerKernel,
  getOpSpec,
  hasOp,
  registeredOps,
  registeredKernels,
  Dynamic,
  type OpSpec,
  type KernelFn,
  type KernelContext,
  type Attrs,
  type AttrValue,
  type TensorMeta,
  type SlotMap,
} from './kernels/registry';
export * as plans from './kernels/plans';
export { OpError } from './utils/errors';
export { Parameter, type Regularizer } from './tensor/parameter';
export * from './ops/creation';
export * from './ops/math';
export * from './ops/unary';
export * from './ops/activation';
export * from './ops/linalg';
export * from './ops/conv';
export * from './ops/pool';
export * from './ops/interpolate';
export * from './ops/pad';
export * from './ops/norm';
export * from './ops/loss';
export * from './ops/random';
export * from './ops/range';
export * from './ops/manipulation';
export * from './ops/indexing';
export { run1, runAll, runList } from './ops/run';
export type { TensorMethods } from './ops/chain';
export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export * as data from './data';

void engine;
export * as inference from './inference';
export * as framework from './static';
export * as jit from './jit';
export { InputSpec } from './jit/input-spec';
