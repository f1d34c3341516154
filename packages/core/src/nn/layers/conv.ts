/** Convolution layers (Paddle's `Conv2D`, `Conv2DTranspose`). */
import { conv2d, conv2dTranspose, type ConvPadding } from '../../ops/conv';
import type { Parameter } from '../../tensor/parameter';
import { fmtShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { Normal } from '../initializer/random';
import { Layer } from '../layer';
import type { ParamAttrLike } from '../param-attr';
import { pad2dFn } from '../functional-extra';
import { notFalse, requirePositiveInt, toPair } from './util';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface Conv2DOptions {
  stride?: number | number[];
  padding?: ConvPadding;
  dilation?: number | number[];
  groups?: number;
  /** How the border is padded: zeros (default), or reflect / replicate / circular (padded first, then convolved unpadded). */
  paddingMode?: PaddingMode;
  weightAttr?: ParamAttrLike;
  /** False: no bias. */
  biasAttr?: ParamAttrLike;
  dataFormat?: 'NCHW' | 'NHWC';
}

function checkConvArgs(layer: string, inChannels: number, outChannels: number, groups: number): void {
  requirePositiveInt(layer, 'inChannels', inChannels);
  requirePositiveInt(layer, 'outChannels', outChannels);
  requirePositiveInt(layer, 'groups', groups);
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
}

function checkInput(layer: string, x: Tensor, channels: number, dataFormat: string): void {
  const c = dataFormat === 'NHWC' ? 3 : 1;
  if (x.ndim !== 4 || x.shape[c] !== channels) {
    throw new RangeError(`${layer}: expected a 4-D ${dataFormat} input with ${channels} channels, got shape ${fmtShape(x.shape)}`);
  }
}

/**
 * 2-D convolution layer. Weight [outChannels, inChannels/groups, kh, kw], initialized like
 * Paddle 2.0: Normal(0, sqrt(2 / (kh·kw·inChannels))); bias zeros.
 */
export class Conv2D extends Layer {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: number | number[];
  readonly padding: ConvPadding;
  readonly dilation: number | number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly dataFormat: 'NCHW' | 'NHWC';

  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: Conv2DOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    checkConvArgs('Conv2D', inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = toPair('Conv2D', 'kernelSize', kernelSize, 1);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = groups;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    this.dataFormat = opts.dataFormat ?? 'NCHW';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode)) {
      throw new RangeError(`Conv2D: paddingMode must be zeros, reflect, replicate or circular, got "${this.paddingMode}"`);
    }
    if (this.paddingMode !== 'zeros' && (typeof this.padding === 'string' || (Array.isArray(this.padding) && this.padding.length !== 2))) {
      throw new RangeError(`Conv2D: with paddingMode "${this.paddingMode}", padding must be a number or [padH, padW], got ${JSON.stringify(this.padding)}`);
    }
    const [kh, kw] = this.kernelSize;
    const std = Math.sqrt(2 / (kh * kw * inChannels));
    this.weight = this.createParameter([outChannels, inChannels / groups, kh, kw], {
      attr: notFalse('Conv2D', 'weightAttr', opts.weightAttr),
      defaultInitializer: new Normal(0, std),
    });
    this.bias = this.createParameter([outChannels], { attr: opts.biasAttr, isBias: true });
  }

  override forward(x: Tensor): Tensor {
    checkInput('Conv2D', x, this.inChannels, this.dataFormat);
    let input = x;
    let padding = this.padding;
    if (this.paddingMode !== 'zeros') {
      const [ph, pw] = toPair('Conv2D', 'padding', this.padding as number | number[]);
      input = pad2dFn(x, [pw, pw, ph, ph], this.paddingMode, 0, this.dataFormat);
      padding = 0;
    }
    return conv2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
      dataFormat: this.dataFormat,
    });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=[${this.kernelSize.join(', ')}], stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}, groups=${this.groups}, data_format=${this.dataFormat}`;
  }
}

export interface Conv2DTransposeOptions {
  stride?: number | number[];
  padding?: ConvPadding;
  /** Extra rows/columns at the bottom/right of the output. */
  outputPadding?: number | number[];
  groups?: number;
  dilation?: number | number[];
  weightAttr?: ParamAttrLike;
  biasAttr?: ParamAttrLike;
  dataFormat?: 'NCHW' | 'NHWC';
}

/**
 * 2-D transposed convolution layer. Weight [inChannels, outChannels/groups, kh, kw]; Paddle gives
 * it no special default, so it is XavierUniform; bias zeros.
 */
export class Conv2DTranspose extends Layer {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: number | number[];
  readonly padding: ConvPadding;
  readonly outputPadding: number | number[];
  readonly dilation: number | number[];
  readonly groups: number;
  readonly dataFormat: 'NCHW' | 'NHWC';

  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: Conv2DTransposeOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    checkConvArgs('Conv2DTranspose', inChannels, outChannels, groups);
    if (outChannels % groups !== 0) throw new RangeError(`Conv2DTranspose: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = toPair('Conv2DTranspose', 'kernelSize', kernelSize, 1);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.outputPadding = opts.outputPadding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = groups;
    this.dataFormat = opts.dataFormat ?? 'NCHW';
    this.weight = this.createParameter([inChannels, outChannels / groups, ...this.kernelSize], {
      attr: notFalse('Conv2DTranspose', 'weightAttr', opts.weightAttr),
    });
    this.bias = this.createParameter([outChannels], { attr: opts.biasAttr, isBias: true });
  }

  /** `outputSize` picks the output [H, W] when the stride makes it ambiguous. */
  override forward(x: Tensor, outputSize?: number | number[]): Tensor {
    checkInput('Conv2DTranspose', x, this.inChannels, this.dataFormat);
    return conv2dTranspose(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: outputSize === undefined ? this.outputPadding : 0,
      outputSize,
      dilation: this.dilation,
      groups: this.groups,
      dataFormat: this.dataFormat,
    });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=[${this.kernelSize.join(', ')}], stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}, groups=${this.groups}, data_format=${this.dataFormat}`;
  }
}
