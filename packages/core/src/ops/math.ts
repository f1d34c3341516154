/** Arithmetic, comparisons and reductions (Paddle's `paddle.add`, `paddle.sum`, ...). */
import { dtypeToPaddle, type DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { full } from './creation';
import { run1 } from './run';

export type TensorOrScalar = Tensor | number;

function asTensor(v: TensorOrScalar, like: Tensor): Tensor {
  return typeof v === 'number' ? full([1], v, { dtype: like.dtype, place: like.device }) : v;
}

function binary(type: string, x: TensorOrScalar, y: TensorOrScalar, axis = -1): Tensor {
  if (typeof x === 'number' && typeof y === 'number') throw new TypeError(`${type}: at least one operand must be a Tensor`);
  const xt = typeof x === 'number' ? asTensor(x, y as Tensor) : x;
  const yt = asTensor(y, xt);
  return run1(type, { X: xt, Y: yt }, { axis });
}

/** x + y with broadcasting; a number operand becomes a `scale` (as Paddle does for `x + 1`). */
export function add(x: Tensor, y: TensorOrScalar, axis = -1): Tensor {
  if (typeof y === 'number') return run1('scale', { X: x }, { scale: 1, bias: y });
  return binary('elementwise_add', x, y, axis);
}

export function subtract(x: TensorOrScalar, y: TensorOrScalar, axis = -1): Tensor {
  if (typeof y === 'number' && typeof x !== 'number') return run1('scale', { X: x }, { scale: 1, bias: -y });
  return binary('elementwise_sub', x, y, axis);
}

export function multiply(x: Tensor, y: TensorOrScalar, axis = -1): Tensor {
  if (typeof y === 'number') return run1('scale', { X: x }, { scale: y, bias: 0 });
  return binary('elementwise_mul', x, y, axis);
}

export function divide(x: TensorOrScalar, y: TensorOrScalar, axis = -1): Tensor {
  return binary('elementwise_div', x, y, axis);
}

export function maximum(x: Tensor, y: TensorOrScalar, axis = -1): Tensor {
  return binary('elementwise_max', x, y, axis);
}

export function minimum(x: Tensor, y: TensorOrScalar, axis = -1): Tensor {
  return binary('elementwise_min', x, y, axis);
}

export function pow(x: Tensor, y: TensorOrScalar): Tensor {
  return binary('elementwise_pow', x, y);
}

export function floorDivide(x: Tensor, y: TensorOrScalar): Tensor {
  return binary('elementwise_floordiv', x, y);
}

export function remainder(x: Tensor, y: TensorOrScalar): Tensor {
  return binary('elementwise_mod', x, y);
}

/** out = scale * x + bias (or scale * (x + bias) when biasAfterScale is false). */
export function scale(x: Tensor, s = 1, bias = 0, biasAfterScale = true): Tensor {
  return run1('scale', { X: x }, { scale: s, bias, bias_after_scale: biasAfterScale });
}

export function neg(x: Tensor): Tensor {
  return scale(x, -1);
}

export const equal = (x: Tensor, y: TensorOrScalar): Tensor => binary('equal', x, y);
export const notEqual = (x: Tensor, y: TensorOrScalar): Tensor => binary('not_equal', x, y);
export const lessThan = (x: Tensor, y: TensorOrScalar): Tensor => binary('less_than', x, y);
export const lessEqual = (x: Tensor, y: TensorOrScalar): Tensor => binary('less_equal', x, y);
export const greaterThan = (x: Tensor, y: TensorOrScalar): Tensor => binary('greater_than', x, y);
export const greaterEqual = (x: Tensor, y: TensorOrScalar): Tensor => binary('greater_equal', x, y);
export const logicalAnd = (x: Tensor, y: Tensor): Tensor => run1('logical_and', { X: x, Y: y });
export const logicalOr = (x: Tensor, y: Tensor): Tensor => run1('logical_or', { X: x, Y: y });
export const logicalXor = (x: Tensor, y: Tensor): Tensor => run1('logical_xor', { X: x, Y: y });
export const logicalNot = (x: Tensor): Tensor => run1('logical_not', { X: x });

export interface ReduceOptions {
  keepdim?: boolean;
  dtype?: DType;
}

function reduce(type: string, x: Tensor, axis: number | number[] | undefined, opts: ReduceOptions): Tensor {
  const all = axis === undefined || (Array.isArray(axis) && axis.length === 0);
  return run1(
    type,
    { X: x },
    {
      dim: all ? [0] : Array.isArray(axis) ? axis : [axis],
      keep_dim: !!opts.keepdim,
      reduce_all: all,
      out_dtype: opts.dtype ? dtypeToPaddle(opts.dtype) : -1,
    },
  );
}

/** Sum over `axis` (all axes when omitted). bool and int32 inputs sum to int64, as in Paddle. */
export function sum(x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor {
  const dtype = opts.dtype ?? (x.dtype === 'bool' || x.dtype === 'int32' ? 'int64' : undefined);
  return reduce('reduce_sum', x, axis, { ...opts, dtype });
}

export const mean = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_mean', x, axis, opts);
export const max = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_max', x, axis, opts);
export const min = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_min', x, axis, opts);
export const prod = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_prod', x, axis, opts);
export const all = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_all', x, axis, opts);
export const any = (x: Tensor, axis?: number | number[], opts: ReduceOptions = {}): Tensor => reduce('reduce_any', x, axis, opts);
