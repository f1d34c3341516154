/** Common layers: Linear, Identity, Flatten, Dropout, Embedding, upsampling and padding. */
import { engine } from '../../engine/engine';
import { tensor } from '../../ops/creation';
import { embedding } from '../../ops/indexing';
import { interpolate } from '../../ops/interpolate';
import { flatten } from '../../ops/manipulation';
import { dropout } from '../../ops/random';
import type { Parameter } from '../../tensor/parameter';
import { fmtShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { dropout2d, linear, pad2dFn } from '../functional-extra';
import { Layer } from '../layer';
import type { ParamAttrLike } from '../param-attr';
import { notFalse, requirePositiveInt } from './util';

export interface LinearOptions {
  weightAttr?: ParamAttrLike;
  /** False: no bias. */
  biasAttr?: ParamAttrLike;
  name?: string;
}

/**
 * y = x·W + b over the last axis (Paddle's `Linear`). The weight is [inFeatures, outFeatures]
 * (Paddle's layout, the transpose of PyTorch's), XavierUniform by default; the bias is zeros.
 */
export class Linear extends Layer {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    requirePositiveInt('Linear', 'inFeatures', inFeatures);
    requirePositiveInt('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.createParameter([inFeatures, outFeatures], { attr: notFalse('Linear', 'weightAttr', opts.weightAttr) });
    this.bias = this.createParameter([outFeatures], { attr: opts.biasAttr, isBias: true });
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`Linear: input must have last dimension ${this.inFeatures} (inFeatures), got shape ${fmtShape(x.shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=${this._dtype}`;
  }
}

/** Returns its input unchanged (Paddle's `Identity`; constructor arguments are accepted and ignored, as in Paddle). */
export class Identity extends Layer {
  constructor(..._args: unknown[]) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Merges dimensions startAxis..stopAxis into one (Paddle's `Flatten(start_axis=1, stop_axis=-1)`). */
export class Flatten extends Layer {
  constructor(
    readonly startAxis = 1,
    readonly stopAxis = -1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startAxis, this.stopAxis);
  }

  override extraRepr(): string {
    return `start_axis=${this.startAxis}, stop_axis=${this.stopAxis}`;
  }
}

export interface DropoutOptions {
  /** Axes that get their own draws; the mask is shared along the others. */
  axis?: number | number[];
  /** 'upscale_in_train' (default) scales kept values by 1/(1-p) in training; 'downscale_in_infer' scales by (1-p) in eval. */
  mode?: 'upscale_in_train' | 'downscale_in_infer';
}

/** Zeroes elements with probability p while training (Paddle's `Dropout(p=0.5)`); identity in eval with upscale_in_train. */
export class Dropout extends Layer {
  readonly p: number;
  readonly axis: number | number[] | undefined;
  readonly mode: 'upscale_in_train' | 'downscale_in_infer';

  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be a number in [0, 1], got ${String(p)}`);
    this.p = p;
    this.axis = opts.axis;
    this.mode = opts.mode ?? 'upscale_in_train';
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { axis: this.axis, training: this.training, mode: this.mode });
  }

  override extraRepr(): string {
    return `p=${this.p}, axis=${JSON.stringify(this.axis ?? null)}, mode=${this.mode}`;
  }
}

/** Zeroes whole channels of a 4-D input with probability p (Paddle's `Dropout2D`). */
export class Dropout2D extends Layer {
  constructor(
    readonly p = 0.5,
    readonly dataFormat: 'NCHW' | 'NHWC' = 'NCHW',
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout2D: p must be a number in [0, 1], got ${String(p)}`);
    if (dataFormat !== 'NCHW' && dataFormat !== 'NHWC') throw new RangeError(`Dropout2D: dataFormat must be NCHW or NHWC, got "${String(dataFormat)}"`);
  }

  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training, dataFormat: this.dataFormat });
  }

  override extraRepr(): string {
    return `p=${this.p}, data_format=${this.dataFormat}`;
  }
}

export interface EmbeddingOptions {
  /** Row whose output is zeros and gets no gradient; negative counts from numEmbeddings. */
  paddingIdx?: number | null;
  /** Accepted for Paddle compatibility; gradients are always dense here. */
  sparse?: boolean;
  weightAttr?: ParamAttrLike;
}

/**
 * Lookup table (Paddle's `Embedding`): weight [numEmbeddings, embeddingDim], XavierUniform by
 * default, with the padding row set to zeros at creation (as Paddle does).
 */
export class Embedding extends Layer {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Normalized padding row, or -1 for none. */
  readonly paddingIdx: number;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    requirePositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    requirePositiveInt('Embedding', 'embeddingDim', embeddingDim);
    const pi = opts.paddingIdx;
    if (pi !== undefined && pi !== null && (!Number.isInteger(pi) || pi < -numEmbeddings || pi >= numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${pi}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pi === undefined || pi === null ? -1 : pi < 0 ? pi + numEmbeddings : pi;
    this.weight = this.createParameter([numEmbeddings, embeddingDim], { attr: notFalse('Embedding', 'weightAttr', opts.weightAttr) });
    if (this.paddingIdx >= 0) zeroRow(this.weight, this.paddingIdx);
  }

  override forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight, this.paddingIdx >= 0 ? this.paddingIdx : undefined);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx >= 0 ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** Sets row `row` of a 2-D parameter to zeros in place (zero bits are 0.0 in every float type). */
function zeroRow(p: Parameter, row: number): void {
  const data = p.dataSync();
  const width = p.shape[1]!;
  data.fill(0 as never, row * width, (row + 1) * width);
  engine.assignInPlace(p, tensor(data, { shape: p.shape, dtype: p.dtype }));
}

export interface UpsampleOptions {
  /** Output [H, W] (a number sets both). One of size and scaleFactor is required. */
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: 'nearest' | 'bilinear' | 'area';
  alignCorners?: boolean;
  alignMode?: 0 | 1;
  dataFormat?: 'NCHW' | 'NHWC';
}

/** Resizes 4-D inputs (Paddle's `Upsample`, mode 'nearest' by default). */
export class Upsample extends Layer {
  constructor(readonly options: UpsampleOptions) {
    super();
    if (options.size === undefined && options.scaleFactor === undefined) throw new TypeError('Upsample: one of size and scaleFactor must be set');
    if (options.size !== undefined && options.scaleFactor !== undefined) throw new TypeError('Upsample: only one of size and scaleFactor may be set');
  }

  override forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `${o.size !== undefined ? `size=${JSON.stringify(o.size)}` : `scale_factor=${JSON.stringify(o.scaleFactor)}`}, mode=${o.mode ?? 'nearest'}, align_corners=${!!o.alignCorners}`;
  }
}

/** Nearest-neighbour upsampling (Paddle's `UpsamplingNearest2D`). */
export class UpsamplingNearest2D extends Upsample {
  constructor(opts: { size?: number | number[]; scaleFactor?: number | number[]; dataFormat?: 'NCHW' | 'NHWC' }) {
    super({ ...opts, mode: 'nearest' });
  }
}

/** Bilinear upsampling with aligned corners (Paddle's `UpsamplingBilinear2D`). */
export class UpsamplingBilinear2D extends Upsample {
  constructor(opts: { size?: number | number[]; scaleFactor?: number | number[]; dataFormat?: 'NCHW' | 'NHWC' }) {
    super({ ...opts, mode: 'bilinear', alignCorners: true, alignMode: 0 });
  }
}

export type Pad2DMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Pads the H and W of a 4-D input; padding is a number or [left, right, top, bottom] (Paddle's `Pad2D`). */
export class Pad2D extends Layer {
  readonly padding: [number, number, number, number];

  constructor(
    padding: number | number[],
    readonly mode: Pad2DMode = 'constant',
    readonly value = 0,
    readonly dataFormat: 'NCHW' | 'NHWC' = 'NCHW',
  ) {
    super();
    const p = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
    if (!Array.isArray(p) || p.length !== 4 || !p.every((v) => Number.isInteger(v))) {
      throw new RangeError(`${this.constructor.name}: padding must be an integer or 4 integers [left, right, top, bottom], got ${JSON.stringify(padding)}`);
    }
    this.padding = [p[0]!, p[1]!, p[2]!, p[3]!];
  }

  override forward(x: Tensor): Tensor {
    return pad2dFn(x, this.padding, this.mode, this.value, this.dataFormat);
  }

  override extraRepr(): string {
    return `padding=[${this.padding.join(', ')}], mode=${this.mode}, value=${this.value}, data_format=${this.dataFormat}`;
  }
}

/** Zero padding of H and W (Paddle's `ZeroPad2D`). */
export class ZeroPad2D extends Pad2D {
  constructor(padding: number | number[], dataFormat: 'NCHW' | 'NHWC' = 'NCHW') {
    super(padding, 'constant', 0, dataFormat);
  }
}
