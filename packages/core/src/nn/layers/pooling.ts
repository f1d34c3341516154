/** Pooling layers (Paddle's `MaxPool2D`, `AvgPool2D`, `AdaptiveAvgPool2D`, `AdaptiveMaxPool2D`). */
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  maxPool2d,
  type PoolDataFormat,
  type PoolPadding,
} from '../../ops/pool';
import type { Tensor } from '../../tensor/tensor';
import { Layer } from '../layer';

export interface MaxPool2DOptions {
  /** Defaults to kernelSize. */
  stride?: number | number[];
  padding?: PoolPadding;
  ceilMode?: boolean;
  /** Also return the flat position of each maximum: forward then gives [out, mask]. */
  returnMask?: boolean;
  dataFormat?: PoolDataFormat;
}

/** The output of a pooling layer built with `returnMask` M: [out, mask] when true. */
export type PoolOutput<M extends boolean> = M extends true ? [Tensor, Tensor] : Tensor;

/** Paddle's second positional argument of the pooling layers is the stride: `MaxPool2D(2, 2)`. */
function poolOptions<O extends { stride?: number | number[] }>(arg: O | number | number[] | undefined): O {
  if (arg === undefined) return {} as O;
  if (typeof arg === 'number' || Array.isArray(arg)) return { stride: arg } as O;
  return arg;
}

/**
 * 2-D max pooling. The second argument is the options, or the stride alone as in Paddle's
 * `MaxPool2D(2, 2)`; `new MaxPool2D(2, { returnMask: true })` makes forward return [out, mask].
 */
export class MaxPool2D<M extends boolean = false> extends Layer {
  readonly options: MaxPool2DOptions & { returnMask?: M };

  constructor(
    readonly kernelSize: number | number[],
    options?: (MaxPool2DOptions & { returnMask?: M }) | number | number[],
  ) {
    super();
    this.options = poolOptions(options);
  }

  override forward(x: Tensor): PoolOutput<M> {
    const o = this.options;
    const common = { stride: o.stride, padding: o.padding, ceilMode: o.ceilMode, dataFormat: o.dataFormat };
    const r = o.returnMask ? maxPool2d(x, this.kernelSize, { ...common, returnMask: true }) : maxPool2d(x, this.kernelSize, common);
    return r as PoolOutput<M>;
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.options.stride ?? null)}, padding=${JSON.stringify(this.options.padding ?? 0)}`;
  }
}

export interface AvgPool2DOptions {
  stride?: number | number[];
  padding?: PoolPadding;
  ceilMode?: boolean;
  /** Divide by the count of non-padding elements (default true). */
  exclusive?: boolean;
  divisorOverride?: number;
  dataFormat?: PoolDataFormat;
}

/** 2-D average pooling; the second argument is the options, or the stride alone (`AvgPool2D(2, 2)`). */
export class AvgPool2D extends Layer {
  readonly options: AvgPool2DOptions;

  constructor(
    readonly kernelSize: number | number[],
    options?: AvgPool2DOptions | number | number[],
  ) {
    super();
    this.options = poolOptions(options);
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.options.stride ?? null)}, padding=${JSON.stringify(this.options.padding ?? 0)}`;
  }
}

/** Average pooling to a fixed output size; null in outputSize keeps that input extent. */
export class AdaptiveAvgPool2D extends Layer {
  constructor(
    readonly outputSize: number | (number | null)[],
    readonly dataFormat: PoolDataFormat = 'NCHW',
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize, this.dataFormat);
  }

  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}

/** Max pooling to a fixed output size (NCHW); with returnMask forward gives [out, mask]. */
export class AdaptiveMaxPool2D<M extends boolean = false> extends Layer {
  readonly returnMask: M;

  constructor(
    readonly outputSize: number | (number | null)[],
    returnMask?: M,
  ) {
    super();
    this.returnMask = (returnMask ?? false) as M;
  }

  override forward(x: Tensor): PoolOutput<M> {
    const r = this.returnMask ? adaptiveMaxPool2d(x, this.outputSize, true) : adaptiveMaxPool2d(x, this.outputSize);
    return r as PoolOutput<M>;
  }

  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}, return_mask=${this.returnMask}`;
  }
}
