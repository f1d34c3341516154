/** Creating tensors: from JS data, constants, ranges and random draws. */
import { fromNumbers } from '../backends/cpu/backend';
import { engine } from '../engine/engine';
import {
  assertDType,
  dtypeOfArray,
  dtypeToPaddle,
  isFloatDType,
  type DType,
  type TypedArray,
} from '../tensor/dtype';
import { fmtShape, numel, type Shape } from '../tensor/shape';
import type { NestedArray, Tensor } from '../tensor/tensor';
import { run1 } from './run';

export interface CreateOptions {
  dtype?: DType;
  /** Device string (`cpu`, `xpu:0`); the default device when omitted. */
  place?: string;
  /** Paddle's `stop_gradient`; true by default. */
  stopGradient?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.stopGradient === false) t.stopGradient = false;
  return t;
}

function inferShape(data: NestedArray, where: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  // Validate that the nesting is rectangular.
  const walk = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new TypeError(`${where}: ragged nested array at ${path}: expected a scalar`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new TypeError(
        `${where}: ragged nested array at ${path}: expected ${shape[dim]} elements, got ${Array.isArray(v) ? v.length : 'a scalar'}`,
      );
    }
    v.forEach((x, i) => walk(x, dim + 1, `${path}[${i}]`));
  };
  walk(data, 0, 'data');
  return shape;
}

/**
 * A tensor from JS data (Paddle's `to_tensor`): a number, boolean, bigint, nested arrays of
 * them, or a typed array (then `shape` gives its shape, default 1-D). Numbers default to
 * float32, booleans to bool, bigints to int64, typed arrays to their own element type.
 */
export function tensor(data: NestedArray | TypedArray, opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const shape = opts.shape ?? [arr.length];
    if (numel(shape) !== arr.length) {
      throw new RangeError(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} elements, the typed array has ${arr.length}`);
    }
    const own = dtypeOfArray(arr);
    const dtype = opts.dtype ? assertDType(opts.dtype, 'tensor') : own;
    const storage = dtype === own || sameStorage(dtype, own) ? arr : fromNumbers(dtype, Array.from(arr as ArrayLike<number>, Number));
    return finish(engine.fromArray(storage, shape, dtype, opts.place), opts);
  }
  const shape = opts.shape ?? inferShape(data as NestedArray, 'tensor');
  const flat: NestedArray[] = Array.isArray(data) ? (data as NestedArray[]).flat(Infinity as 1) : [data];
  if (numel(shape) !== flat.length) {
    throw new RangeError(`tensor: shape ${fmtShape(shape)} needs ${numel(shape)} elements, data has ${flat.length}`);
  }
  const first = flat[0];
  const dtype = opts.dtype
    ? assertDType(opts.dtype, 'tensor')
    : typeof first === 'boolean'
      ? 'bool'
      : typeof first === 'bigint'
        ? 'int64'
        : 'float32';
  const nums = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v === 'number') nums[i] = v;
    else if (typeof v === 'boolean') nums[i] = v ? 1 : 0;
    else if (typeof v === 'bigint') nums[i] = Number(v);
    else throw new TypeError(`tensor: element ${i} is ${typeof v}, expected a number, boolean or bigint`);
  }
  let storage: TypedArray;
  if (dtype === 'int64' && flat.every((v) => typeof v === 'bigint')) storage = BigInt64Array.from(flat as bigint[]);
  else storage = fromNumbers(dtype, nums);
  return finish(engine.fromArray(storage, shape, dtype, opts.place), opts);
}

function sameStorage(a: DType, b: DType): boolean {
  // uint8/bool share Uint8Array; float16/bfloat16 share Uint16Array (bit patterns).
  return (a === 'bool' && b === 'uint8') || (a === 'uint8' && b === 'bool') || ((a === 'float16' || a === 'bfloat16') && b === 'float16');
}

function checkShapeArg(shape: Shape, where: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of integers`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: invalid shape ${fmtShape(shape)}`);
  }
  return [...shape];
}

/** Tensor of `shape` filled with `value` (Paddle's `full`). */
export function full(shape: Shape, value: number | boolean, opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const t = withDevice(opts.place, () =>
    run1('fill_constant', {}, { shape: checkShapeArg(shape, 'full'), value: Number(value), dtype: dtypeToPaddle(dtype) }),
  );
  return finish(t, opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function fullLike(x: Tensor, value: number, opts: { dtype?: DType } = {}): Tensor {
  return run1('fill_any_like', { X: x }, { value, dtype: opts.dtype ? dtypeToPaddle(opts.dtype) : -1 });
}

export function zerosLike(x: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return fullLike(x, 0, opts);
}

export function onesLike(x: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return fullLike(x, 1, opts);
}

/** Runs `fn` with `place` as the default device. */
export function withDevice<T>(place: string | undefined, fn: () => T): T {
  if (!place) return fn();
  const prev = engine.getDevice();
  engine.setDevice(place);
  try {
    return fn();
  } finally {
    engine.setDevice(prev);
  }
}

/** A copy of `x` that shares nothing with it (differentiable, Paddle's `clone`). */
export function clone(x: Tensor): Tensor {
  return run1('assign', { X: x });
}

/** A tensor sharing `x`'s data but cut from the autograd graph (Paddle's `detach`). */
export function detach(x: Tensor): Tensor {
  const t = engine.view(x, x.shape);
  t.stopGradient = true;
  return t;
}

/** `x` converted to `dtype` (Paddle's `cast` / `astype`). */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertDType(dtype, 'cast');
  return run1('cast', { X: x }, { in_dtype: dtypeToPaddle(x.dtype), out_dtype: dtypeToPaddle(dtype) });
}

export function isFloating(x: Tensor): boolean {
  return isFloatDType(x.dtype);
}
