/** Pooling (Paddle 2.0's `paddle.nn.functional.max_pool2d`, `avg_pool2d`, `adaptive_*_pool2d`). */
import type { Tensor } from '../tensor/tensor';
import { run1, runAll } from './run';

export type PoolDataFormat = 'NCHW' | 'NHWC';
/**
 * `padding` as Paddle 2.0 takes it: one number, [pad_h, pad_w], [top, bottom, left, right],
 * [[0,0],[0,0],[top,bottom],[left,right]] (batch and channel entries must be 0), or "SAME"/"VALID".
 */
export type PoolPadding = number | number[] | number[][] | string;

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: number | number[];
  padding?: PoolPadding;
  ceilMode?: boolean;
  dataFormat?: PoolDataFormat;
  /** Also return the flat h·W+w position of each maximum (max_pool2d_with_index). */
  returnMask?: boolean;
}

export interface AvgPool2dOptions {
  stride?: number | number[];
  padding?: PoolPadding;
  ceilMode?: boolean;
  /** Divide by the number of input (non-padding) elements in the window; default true. */
  exclusive?: boolean;
  /** Divide every window sum by this number instead. */
  divisorOverride?: number;
  dataFormat?: PoolDataFormat;
}

function pair(v: number | number[], what: string, where: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x))) {
    throw new TypeError(`${where}: ${what} must be an integer or a list of 2 integers, got ${JSON.stringify(v)}`);
  }
  return [p[0]!, p[1]!];
}

function checkFormat(f: string, where: string): PoolDataFormat {
  if (f !== 'NCHW' && f !== 'NHWC') throw new TypeError(`${where}: dataFormat must be "NCHW" or "NHWC", got "${f}"`);
  return f;
}

/** Paddle's `_update_padding_nd` for two spatial dimensions: op `paddings` and `padding_algorithm`. */
export function poolPadding(
  padding: PoolPadding,
  channelLast: boolean,
  ceilMode: boolean,
  where: string,
): { paddings: number[]; algorithm: string } {
  if (typeof padding === 'string') {
    const a = padding.toUpperCase();
    if (a !== 'SAME' && a !== 'VALID') throw new TypeError(`${where}: padding must be "SAME" or "VALID", got "${padding}"`);
    if (a === 'VALID' && ceilMode) throw new TypeError(`${where}: ceilMode must be false when padding is "VALID"`);
    return { paddings: [0, 0], algorithm: a };
  }
  if (typeof padding === 'number') return { paddings: pair(padding, 'padding', where), algorithm: 'EXPLICIT' };
  let flat: number[];
  if (padding.length === 4 && Array.isArray(padding[0])) {
    const pairs = padding as number[][];
    const spatial = channelLast ? [pairs[1]!, pairs[2]!] : [pairs[2]!, pairs[3]!];
    const other = channelLast ? [pairs[0]!, pairs[3]!] : [pairs[0]!, pairs[1]!];
    if (pairs.some((p) => !Array.isArray(p) || p.length !== 2) || other.some((p) => p[0] !== 0 || p[1] !== 0)) {
      throw new TypeError(`${where}: padding pairs must be [before, after] with zeros for the batch and channel dimensions, got ${JSON.stringify(padding)}`);
    }
    flat = [spatial[0]![0]!, spatial[0]![1]!, spatial[1]![0]!, spatial[1]![1]!];
  } else if (padding.length === 4 && padding.every((v) => typeof v === 'number')) {
    flat = padding as number[];
  } else if (padding.length === 2 && padding.every((v) => typeof v === 'number')) {
    return { paddings: pair(padding as number[], 'padding', where), algorithm: 'EXPLICIT' };
  } else {
    throw new TypeError(`${where}: invalid padding ${JSON.stringify(padding)}`);
  }
  if (!flat.every((v) => Number.isInteger(v))) throw new TypeError(`${where}: paddings must be integers, got ${JSON.stringify(padding)}`);
  // Symmetric paddings collapse to the 2-value form, as Paddle writes them into programs.
  const symmetric = flat[0] === flat[1] && flat[2] === flat[3];
  return { paddings: symmetric ? [flat[0]!, flat[2]!] : flat, algorithm: 'EXPLICIT' };
}

/** 2-D max pooling; with `returnMask` also the flat position of each maximum within its plane. */
export function maxPool2d(x: Tensor, kernelSize: number | number[], opts: MaxPool2dOptions & { returnMask: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: number | number[], opts?: MaxPool2dOptions): Tensor;
export function maxPool2d(x: Tensor, kernelSize: number | number[], opts: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const where = 'max_pool2d';
  const ksize = pair(kernelSize, 'kernelSize', where);
  const strides = pair(opts.stride ?? ksize, 'stride', where);
  const format = checkFormat(opts.dataFormat ?? 'NCHW', where);
  const ceilMode = !!opts.ceilMode;
  const { paddings, algorithm } = poolPadding(opts.padding ?? 0, format === 'NHWC', ceilMode, where);
  if (opts.returnMask) {
    if (format !== 'NCHW' || ceilMode || algorithm !== 'EXPLICIT' || paddings.length !== 2) {
      throw new TypeError(`${where}: returnMask supports NCHW input with symmetric explicit padding and ceilMode false (max_pool2d_with_index)`);
    }
    const r = runAll('max_pool2d_with_index', { X: x }, { ksize, strides, paddings });
    return [r.Out as Tensor, r.Mask as Tensor];
  }
  return run1(
    'pool2d',
    { X: x },
    { pooling_type: 'max', ksize, strides, paddings, padding_algorithm: algorithm, ceil_mode: ceilMode, data_format: format, exclusive: true },
  );
}

/** 2-D average pooling. */
export function avgPool2d(x: Tensor, kernelSize: number | number[], opts: AvgPool2dOptions = {}): Tensor {
  const where = 'avg_pool2d';
  const ksize = pair(kernelSize, 'kernelSize', where);
  const strides = pair(opts.stride ?? ksize, 'stride', where);
  const format = checkFormat(opts.dataFormat ?? 'NCHW', where);
  const ceilMode = !!opts.ceilMode;
  const { paddings, algorithm } = poolPadding(opts.padding ?? 0, format === 'NHWC', ceilMode, where);
  const out = run1(
    'pool2d',
    { X: x },
    {
      pooling_type: 'avg',
      ksize,
      strides,
      paddings,
      padding_algorithm: algorithm,
      ceil_mode: ceilMode,
      exclusive: opts.exclusive ?? true,
      data_format: format,
    },
  );
  if (opts.divisorOverride === undefined) return out;
  if (!(opts.divisorOverride > 0)) throw new TypeError(`${where}: divisorOverride must be positive, got ${opts.divisorOverride}`);
  // Paddle rescales the kh·kw average to a sum divided by the override.
  return run1('scale', { X: out }, { scale: (ksize[0] * ksize[1]) / opts.divisorOverride, bias: 0 });
}

/** Output size of adaptive pooling; null keeps the input's extent. */
function adaptiveSize(x: Tensor, outputSize: number | (number | null)[], nhwc: boolean, where: string): [number, number] {
  const hw = nhwc ? [x.shape[1], x.shape[2]] : [x.shape[2], x.shape[3]];
  const req = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (x.ndim !== 4) throw new TypeError(`${where}: x must be a 4-D tensor, got shape [${x.shape.join(', ')}]`);
  if (req.length !== 2) throw new TypeError(`${where}: outputSize must be a number or a list of 2, got ${JSON.stringify(outputSize)}`);
  const out = req.map((v, i) => (v === null ? hw[i]! : v));
  if (!out.every((v) => Number.isInteger(v) && v > 0)) {
    throw new TypeError(`${where}: outputSize must hold positive integers, got ${JSON.stringify(outputSize)}`);
  }
  return [out[0]!, out[1]!];
}

/** Adaptive average pooling to `outputSize` (windows floor(i·H/OH) .. ceil((i+1)·H/OH)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | (number | null)[], dataFormat: PoolDataFormat = 'NCHW'): Tensor {
  const where = 'adaptive_avg_pool2d';
  const format = checkFormat(dataFormat, where);
  const ksize = adaptiveSize(x, outputSize, format === 'NHWC', where);
  return run1('pool2d', { X: x }, { pooling_type: 'avg', ksize, adaptive: true, data_format: format });
}

/** Adaptive max pooling (NCHW); with `returnMask` also the flat position of each maximum. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | (number | null)[], returnMask: true): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | (number | null)[], returnMask?: false): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | (number | null)[], returnMask = false): Tensor | [Tensor, Tensor] {
  const where = 'adaptive_max_pool2d';
  const ksize = adaptiveSize(x, outputSize, false, where);
  if (returnMask) {
    const r = runAll('max_pool2d_with_index', { X: x }, { ksize, adaptive: true });
    return [r.Out as Tensor, r.Mask as Tensor];
  }
  return run1('pool2d', { X: x }, { pooling_type: 'max', ksize, adaptive: true });
}
