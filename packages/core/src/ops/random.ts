/**
 * Random tensors and dropout (Paddle's `paddle.rand`, `paddle.normal`, `F.dropout`, ...). Draws
 * come from the global Philox generator (`seed()` makes them repeat) unless a nonzero `seed` fixes
 * an op's own stream.
 */
import { assertDType, dtypeToPaddle, isFloatDType, type DType } from '../tensor/dtype';
import { fmtShape, type Shape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { cast, full, withDevice } from './creation';
import { run1 } from './run';

function shapeArg(shape: Shape, where: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of integers`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: invalid shape ${fmtShape(shape)}`);
  }
  return [...shape];
}

function floatType(dtype: DType | undefined, where: string): DType {
  const d = assertDType(dtype ?? 'float32', where);
  if (!isFloatDType(d)) throw new TypeError(`${where}: dtype must be a float type, got ${d}`);
  return d;
}

export interface UniformOptions {
  min?: number;
  max?: number;
  /** Nonzero: a fixed stream of its own, the same numbers on every call. */
  seed?: number;
  dtype?: DType;
}

/** Uniform draws in [min, max), by default [-1, 1) (Paddle's `paddle.uniform`). */
export function uniform(shape: Shape, opts: UniformOptions = {}): Tensor {
  return run1(
    'uniform_random',
    {},
    {
      shape: shapeArg(shape, 'uniform'),
      min: opts.min ?? -1,
      max: opts.max ?? 1,
      seed: opts.seed ?? 0,
      dtype: dtypeToPaddle(floatType(opts.dtype, 'uniform')),
    },
  );
}

/** Uniform draws in [0, 1). */
export function rand(shape: Shape, opts: { dtype?: DType } = {}): Tensor {
  return uniform(shape, { min: 0, max: 1, dtype: opts.dtype });
}

/** Normal draws with mean 0 and standard deviation 1. */
export function standardNormal(shape: Shape, opts: { dtype?: DType } = {}): Tensor {
  return gaussian(shape, 0, 1, opts.dtype, 'standardNormal');
}

/** Normal draws with mean 0 and standard deviation 1 (Paddle's `paddle.randn`). */
export function randn(shape: Shape, opts: { dtype?: DType } = {}): Tensor {
  return gaussian(shape, 0, 1, opts.dtype, 'randn');
}

function gaussian(shape: Shape, mean: number, std: number, dtype: DType | undefined, where: string): Tensor {
  return run1(
    'gaussian_random',
    {},
    { shape: shapeArg(shape, where), mean, std, seed: 0, dtype: dtypeToPaddle(floatType(dtype, where)) },
  );
}

/**
 * Normal draws (Paddle's `paddle.normal`). With number mean and std, `shape` gives the shape; a
 * tensor mean or std gives element-wise parameters and the output takes its shape.
 */
export function normal(mean: number | Tensor = 0, std: number | Tensor = 1, shape: Shape = [1]): Tensor {
  if (typeof mean === 'number' && typeof std === 'number') return gaussian(shape, mean, std, 'float32', 'normal');
  const like = (typeof mean === 'number' ? std : mean) as Tensor;
  if (!isFloatDType(like.dtype)) throw new TypeError(`normal: mean and std tensors must be float, got ${like.dtype}`);
  const z = gaussian(like.shape, 0, 1, like.dtype, 'normal');
  const stdT = typeof std === 'number' ? null : std.dtype === like.dtype ? std : cast(std, like.dtype);
  const scaled = stdT ? run1('elementwise_mul', { X: z, Y: stdT }) : run1('scale', { X: z }, { scale: std as number });
  if (typeof mean === 'number') return run1('scale', { X: scaled }, { scale: 1, bias: mean });
  return run1('elementwise_add', { X: scaled, Y: mean });
}

/**
 * Integers drawn uniformly from [low, high) (Paddle's `paddle.randint`); `randint(n)` draws from
 * [0, n).
 */
export function randint(low: number, high?: number, shape: Shape = [1], opts: { dtype?: DType; seed?: number } = {}): Tensor {
  if (high === undefined) {
    high = low;
    low = 0;
  }
  const dtype = assertDType(opts.dtype ?? 'int64', 'randint');
  return run1(
    'randint',
    {},
    { shape: shapeArg(shape, 'randint'), low, high, seed: opts.seed ?? 0, dtype: dtypeToPaddle(dtype) },
  );
}

/** A random permutation of 0..n-1. */
export function randperm(n: number, dtype: DType = 'int64'): Tensor {
  return run1('randperm', {}, { n, dtype: dtypeToPaddle(assertDType(dtype, 'randperm')) });
}

/** 1 with probability x, else 0, element-wise. */
export function bernoulli(x: Tensor): Tensor {
  return run1('bernoulli', { X: x });
}

export interface DropoutOptions {
  /** Dimensions that get their own draws; the mask is shared along all others (Paddle's `axis`). */
  axis?: number | number[];
  training?: boolean;
  /** `upscale_in_train` (default) or `downscale_in_infer` (Paddle's name for downgrade_in_infer). */
  mode?: 'upscale_in_train' | 'downscale_in_infer' | 'downgrade_in_infer';
}

/**
 * Zeroes each element with probability `p` (Paddle's `F.dropout`). `upscale_in_train` divides
 * the kept elements by 1 - p while training and passes x through at inference;
 * `downscale_in_infer` keeps them unscaled while training and multiplies by 1 - p at inference.
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be a number in [0, 1], got ${p}`);
  const mode = opts.mode ?? 'upscale_in_train';
  if (mode !== 'upscale_in_train' && mode !== 'downscale_in_infer' && mode !== 'downgrade_in_infer') {
    throw new RangeError(`dropout: mode must be 'upscale_in_train' or 'downscale_in_infer', got '${mode as string}'`);
  }
  const impl = mode === 'upscale_in_train' ? 'upscale_in_train' : 'downgrade_in_infer';
  const training = opts.training ?? true;
  if (opts.axis === undefined) {
    return run1('dropout', { X: x }, { dropout_prob: p, is_test: !training, dropout_implementation: impl });
  }
  if (!training) return impl === 'upscale_in_train' ? x : run1('scale', { X: x }, { scale: 1 - p });
  if (p === 0) return x;
  if (p === 1) return run1('scale', { X: x }, { scale: 0 });
  // One draw per position of the listed axes, broadcast along the others.
  const axes = Array.isArray(opts.axis) ? opts.axis : [opts.axis];
  const maskShape = x.shape.map(() => 1);
  for (const a of axes) {
    const ax = a < 0 ? a + x.ndim : a;
    if (!Number.isInteger(ax) || ax < 0 || ax >= x.ndim) throw new RangeError(`dropout: axis ${a} is out of range for rank ${x.ndim}`);
    maskShape[ax] = x.shape[ax]!;
  }
  const u = withDevice(x.device, () => run1('uniform_random', {}, { shape: maskShape, min: 0, max: 1, dtype: dtypeToPaddle(x.dtype) }));
  const keep = run1('greater_equal', { X: u, Y: full([1], p, { dtype: x.dtype, place: x.device }) });
  const maskF = cast(keep, x.dtype);
  const input = impl === 'upscale_in_train' ? run1('scale', { X: x }, { scale: 1 / (1 - p) }) : x;
  return run1('elementwise_mul', { X: input, Y: maskF });
}
