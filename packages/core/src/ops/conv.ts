/** Convolutions (Paddle's `paddle.nn.functional.conv2d` and `conv2d_transpose`). */
import type { Tensor } from '../tensor/tensor';
import { run1 } from './run';

/**
 * Paddle's padding forms: a number; [padH, padW]; [top, bottom, left, right]; per-dimension
 * pairs including batch and channel ([[0, 0], [0, 0], [t, b], [l, r]] for NCHW); or 'SAME' /
 * 'VALID'.
 */
export type ConvPadding = number | number[] | number[][] | 'SAME' | 'VALID' | 'same' | 'valid';

export interface Conv2dOptions {
  stride?: number | number[];
  padding?: ConvPadding;
  dilation?: number | number[];
  groups?: number;
  dataFormat?: 'NCHW' | 'NHWC';
}

export interface Conv2dTransposeOptions extends Conv2dOptions {
  /** Extra rows/columns at the bottom/right of the output (below max(stride, dilation)). */
  outputPadding?: number | number[];
  /** The output's [H, W], within [inferred, inferred + stride); excludes outputPadding. */
  outputSize?: number | number[];
}

function pair(fn: string, name: string, v: number | number[]): number[] {
  const a = typeof v === 'number' ? [v, v] : [...v];
  if (a.length !== 2 || a.some((x) => !Number.isInteger(x))) {
    throw new RangeError(`${fn}: ${name} must be an integer or 2 integers, got ${JSON.stringify(v)}`);
  }
  return a;
}

/** The `paddings` / `padding_algorithm` attributes for a padding argument. */
function paddingAttrs(fn: string, padding: ConvPadding, channelLast: boolean): { paddings: number[]; padding_algorithm: string } {
  if (typeof padding === 'string') {
    const algo = padding.toUpperCase();
    if (algo !== 'SAME' && algo !== 'VALID') {
      throw new RangeError(`${fn}: padding must be 'SAME', 'VALID' or numbers, got '${padding}'`);
    }
    return { paddings: [0, 0], padding_algorithm: algo };
  }
  if (typeof padding === 'number') return { paddings: [padding, padding], padding_algorithm: 'EXPLICIT' };
  let flat: number[];
  if (padding.length === 4 && padding.every((p) => Array.isArray(p))) {
    const pairs = padding as number[][];
    const [batch, chan] = channelLast ? [pairs[0]!, pairs[3]!] : [pairs[0]!, pairs[1]!];
    const spatial = channelLast ? [pairs[1]!, pairs[2]!] : [pairs[2]!, pairs[3]!];
    if ([...batch, ...chan].some((p) => p !== 0) || pairs.some((p) => p.length !== 2)) {
      throw new RangeError(`${fn}: padding pairs must be 2 values each and 0 for the batch and channel dimensions, got ${JSON.stringify(padding)}`);
    }
    flat = spatial.flat();
  } else if (padding.every((p) => typeof p === 'number')) {
    flat = padding as number[];
  } else {
    throw new RangeError(`${fn}: padding must be a number, 2 or 4 numbers, or 4 pairs, got ${JSON.stringify(padding)}`);
  }
  if (flat.length !== 2 && flat.length !== 4) {
    throw new RangeError(`${fn}: padding must have 2 ([h, w]) or 4 ([top, bottom, left, right]) values, got ${JSON.stringify(padding)}`);
  }
  if (flat.length === 4 && flat[0] === flat[1] && flat[2] === flat[3]) flat = [flat[0]!, flat[2]!];
  return { paddings: flat, padding_algorithm: 'EXPLICIT' };
}

function addBias(out: Tensor, bias: Tensor | null | undefined, channelLast: boolean): Tensor {
  if (!bias) return out;
  return run1('elementwise_add', { X: out, Y: bias }, { axis: channelLast ? -1 : 1 });
}

/**
 * 2-D convolution (cross-correlation) of `x` [N, C, H, W] (or NHWC) with `weight`
 * [M, C/groups, KH, KW], plus `bias` [M] when given. Runs `depthwise_conv2d` when groups
 * equals the channel count (C > 1) and M is a multiple of it, as Paddle does.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const fn = 'conv2d';
  const dataFormat = opts.dataFormat ?? 'NCHW';
  const channelLast = dataFormat === 'NHWC';
  const groups = opts.groups ?? 1;
  const channels = x.ndim === 4 ? x.shape[channelLast ? 3 : 1]! : 0;
  const depthwise = channels === groups && channels !== 1 && weight.ndim === 4 && weight.shape[0]! % channels === 0;
  const out = run1(
    depthwise ? 'depthwise_conv2d' : 'conv2d',
    { Input: x, Filter: weight },
    {
      strides: pair(fn, 'stride', opts.stride ?? 1),
      dilations: pair(fn, 'dilation', opts.dilation ?? 1),
      groups,
      data_format: dataFormat,
      ...paddingAttrs(fn, opts.padding ?? 0, channelLast),
    },
    'Output',
  );
  return addBias(out, bias, channelLast);
}

/**
 * 2-D transposed convolution of `x` [N, C, H, W] (or NHWC) with `weight` [C, M/groups, KH, KW],
 * plus `bias` [M] when given. Runs `depthwise_conv2d_transpose` when groups equals the channel
 * count and each group has one output channel, as Paddle's CPU path does.
 */
export function conv2dTranspose(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dTransposeOptions = {}): Tensor {
  const fn = 'conv2dTranspose';
  const dataFormat = opts.dataFormat ?? 'NCHW';
  const channelLast = dataFormat === 'NHWC';
  const groups = opts.groups ?? 1;
  const outputPadding = opts.outputPadding ?? 0;
  const hasPadding = Array.isArray(outputPadding) ? outputPadding.some((p) => p !== 0) : outputPadding !== 0;
  if (opts.outputSize !== undefined && hasPadding) {
    throw new RangeError(`${fn}: outputPadding and outputSize are mutually exclusive`);
  }
  const channels = x.ndim === 4 ? x.shape[channelLast ? 3 : 1]! : 0;
  const depthwise = channels === groups && weight.ndim === 4 && weight.shape[1] === 1;
  const out = run1(
    depthwise ? 'depthwise_conv2d_transpose' : 'conv2d_transpose',
    { Input: x, Filter: weight },
    {
      strides: pair(fn, 'stride', opts.stride ?? 1),
      dilations: pair(fn, 'dilation', opts.dilation ?? 1),
      groups,
      data_format: dataFormat,
      output_size: opts.outputSize === undefined ? [] : pair(fn, 'outputSize', opts.outputSize),
      output_padding: hasPadding ? pair(fn, 'outputPadding', outputPadding) : [],
      ...paddingAttrs(fn, opts.padding ?? 0, channelLast),
    },
    'Output',
  );
  return addBias(out, bias, channelLast);
}
