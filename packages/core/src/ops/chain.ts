/**
 * Tensor methods (`x.add(y)`, `x.reshape([2, 3])`), as Paddle's Tensor has them. Each is the
 * functional op with the tensor as first argument; the functions stay the real implementation.
 */
import { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import * as act from './activation';
import * as creation from './creation';
import * as idx from './indexing';
import * as linalg from './linalg';
import * as manip from './manipulation';
import * as math from './math';
import * as unary from './unary';

/** A function `(x: Tensor, ...rest) => R` seen as the method `(...rest) => R`. */
type Method<F> = F extends (x: Tensor, ...rest: infer A) => infer R ? (...rest: A) => R : never;

const METHODS = {
  add: math.add,
  subtract: math.subtract,
  multiply: math.multiply,
  divide: math.divide,
  maximum: math.maximum,
  minimum: math.minimum,
  pow: math.pow,
  floorDivide: math.floorDivide,
  remainder: math.remainder,
  scale: math.scale,
  neg: math.neg,
  equal: math.equal,
  notEqual: math.notEqual,
  lessThan: math.lessThan,
  lessEqual: math.lessEqual,
  greaterThan: math.greaterThan,
  greaterEqual: math.greaterEqual,
  logicalAnd: math.logicalAnd,
  logicalOr: math.logicalOr,
  logicalNot: math.logicalNot,
  sum: math.sum,
  mean: math.mean,
  max: math.max,
  min: math.min,
  prod: math.prod,
  all: math.all,
  any: math.any,
  matmul: linalg.matmul,
  mm: linalg.mm,
  dot: linalg.dot,
  reshape: manip.reshape,
  transpose: manip.transpose,
  flatten: manip.flatten,
  squeeze: manip.squeeze,
  unsqueeze: manip.unsqueeze,
  split: manip.split,
  chunk: manip.chunk,
  slice: manip.slice,
  tile: manip.tile,
  expand: manip.expand,
  expandAs: manip.expandAs,
  broadcastTo: manip.broadcastTo,
  flip: manip.flip,
  roll: manip.roll,
  t: manip.t,
  getItem: manip.getItem,
  gather: idx.gather,
  indexSelect: idx.indexSelect,
  argmax: idx.argmax,
  argmin: idx.argmin,
  topk: idx.topk,
  sort: idx.sort,
  argsort: idx.argsort,
  cumsum: idx.cumsum,
  exp: unary.exp,
  log: unary.log,
  sqrt: unary.sqrt,
  rsqrt: unary.rsqrt,
  abs: unary.abs,
  square: unary.square,
  reciprocal: unary.reciprocal,
  sin: unary.sin,
  cos: unary.cos,
  floor: unary.floor,
  ceil: unary.ceil,
  round: unary.round,
  sign: unary.sign,
  clip: unary.clip,
  tanh: act.tanh,
  sigmoid: act.sigmoid,
  relu: act.relu,
  softmax: act.softmax,
  clone: creation.clone,
  detach: creation.detach,
  cast: creation.cast,
  astype: (x: Tensor, dtype: DType): Tensor => creation.cast(x, dtype),
};

type Methods = typeof METHODS;

declare module '../tensor/tensor' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor extends TensorMethods {}
}

export type TensorMethods = { [K in keyof Methods]: Method<Methods[K]> };

for (const [name, fn] of Object.entries(METHODS) as [string, (x: Tensor, ...a: unknown[]) => unknown][]) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...args: unknown[]) {
      return fn(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}
