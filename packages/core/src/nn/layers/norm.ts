/**
 * Normalization layers. BatchNorm keeps its running statistics as non-trainable parameters
 * `_mean` and `_variance` (Paddle does the same, so they appear in `parameters()` and in state
 * dicts under those keys).
 */
import { engine } from '../../engine/engine';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../../ops/norm';
import type { DType } from '../../tensor/dtype';
import type { Parameter } from '../../tensor/parameter';
import { fmtShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { activationByName, type ActivationName } from '../functional-extra';
import { Constant } from '../initializer/constant';
import { Layer } from '../layer';
import { ParamAttr, toParamAttr, type ParamAttrLike } from '../param-attr';
import { requirePositiveInt } from './util';

/**
 * A scale or shift parameter as Paddle's norm layers make them: attr false still creates the
 * parameter (at its constant) but freezes it; an attr with learning rate 0 freezes it too.
 */
function affineParam(layer: Layer, shape: number[], attr: ParamAttrLike, value: number, isBias: boolean, dtype?: DType): Parameter {
  const init = new Constant(value);
  if (attr === false) {
    const p = layer.createParameter(shape, { dtype, isBias, defaultInitializer: init });
    p.stopGradient = true;
    return p;
  }
  const p = layer.createParameter(shape, { attr, dtype, isBias, defaultInitializer: init });
  const a = toParamAttr(attr);
  if (a !== false && a.learningRate === 0) p.stopGradient = true;
  return p;
}

/** The running mean or variance: a frozen parameter, named `<name>_mean` when the layer has a name. */
function statParam(layer: Layer, shape: number[], value: number, name: string | undefined, dtype?: DType): Parameter {
  const p = layer.createParameter(shape, {
    dtype,
    attr: new ParamAttr({ name, initializer: new Constant(value), trainable: false }),
  });
  p.stopGradient = true;
  return p;
}

type BNFormat = 'NC' | 'NCL' | 'NLC' | 'NCHW' | 'NHWC' | 'NCDHW' | 'NDHWC';

export interface BatchNormNDOptions {
  /** running = momentum·running + (1 − momentum)·batch; default 0.9. */
  momentum?: number;
  epsilon?: number;
  /** False: scale fixed at 1 (still created, not trained). */
  weightAttr?: ParamAttrLike;
  /** False: shift fixed at 0. */
  biasAttr?: ParamAttrLike;
  dataFormat?: BNFormat;
  /** true: always the running statistics; false: always batch statistics; default: by training mode. */
  useGlobalStats?: boolean;
  /** Names the running statistics `<name>_mean` / `<name>_variance`. */
  name?: string;
}

/** Shared body of BatchNorm1D/2D/3D and SyncBatchNorm (Paddle's `_BatchNormBase`). */
export abstract class BatchNormBase extends Layer {
  weight: Parameter;
  bias: Parameter;
  _mean: Parameter;
  _variance: Parameter;
  readonly numFeatures: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly dataFormat: BNFormat;
  readonly useGlobalStats: boolean | undefined;

  protected abstract readonly formats: BNFormat[];
  protected abstract readonly ranks: number[];

  constructor(numFeatures: number, opts: BatchNormNDOptions, defaultFormat: BNFormat) {
    super();
    const cls = this.constructor.name;
    requirePositiveInt(cls, 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.momentum = opts.momentum ?? 0.9;
    this.epsilon = opts.epsilon ?? 1e-5;
    this.dataFormat = opts.dataFormat ?? defaultFormat;
    this.useGlobalStats = opts.useGlobalStats;
    // BatchNorm statistics stay float32 even when the default dtype is float16 (as in Paddle).
    const dtype: DType = this._dtype === 'float16' ? 'float32' : this._dtype;
    this.weight = affineParam(this, [numFeatures], opts.weightAttr, 1, false, dtype);
    this.bias = affineParam(this, [numFeatures], opts.biasAttr, 0, true, dtype);
    this._mean = statParam(this, [numFeatures], 0, opts.name ? `${opts.name}_mean` : undefined, dtype);
    this._variance = statParam(this, [numFeatures], 1, opts.name ? `${opts.name}_variance` : undefined, dtype);
  }

  override forward(x: Tensor): Tensor {
    const cls = this.constructor.name;
    if (!this.formats.includes(this.dataFormat)) {
      throw new RangeError(`${cls}: dataFormat must be ${this.formats.join(' or ')}, got "${this.dataFormat}"`);
    }
    if (!this.ranks.includes(x.ndim)) {
      throw new RangeError(`${cls}: expected a ${this.ranks.join('-D or ')}-D input, got shape ${fmtShape(x.shape)}`);
    }
    const c = this.dataFormat.endsWith('C') && this.dataFormat !== 'NC' ? x.shape[x.ndim - 1] : x.shape[1];
    if (c !== this.numFeatures) {
      throw new RangeError(`${cls}: expected ${this.numFeatures} channels (${this.dataFormat}), got shape ${fmtShape(x.shape)}`);
    }
    return batchNorm(x, this._mean, this._variance, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      epsilon: this.epsilon,
      dataFormat: this.dataFormat,
      useGlobalStats: this.useGlobalStats,
    });
  }

  override extraRepr(): string {
    return `num_features=${this.numFeatures}, momentum=${this.momentum}, epsilon=${this.epsilon}${this.dataFormat !== 'NCHW' ? `, data_format=${this.dataFormat}` : ''}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] (or NLC) inputs. */
export class BatchNorm1D extends BatchNormBase {
  protected readonly formats: BNFormat[] = ['NC', 'NCL', 'NLC'];
  protected readonly ranks = [2, 3];
  constructor(numFeatures: number, opts: BatchNormNDOptions = {}) {
    super(numFeatures, opts, 'NCL');
  }
}

/** Batch norm over [N, C, H, W] (or NHWC) inputs. */
export class BatchNorm2D extends BatchNormBase {
  protected readonly formats: BNFormat[] = ['NCHW', 'NHWC'];
  protected readonly ranks = [4];
  constructor(numFeatures: number, opts: BatchNormNDOptions = {}) {
    super(numFeatures, opts, 'NCHW');
  }
}

/** Batch norm over [N, C, D, H, W] (or NDHWC) inputs. */
export class BatchNorm3D extends BatchNormBase {
  protected readonly formats: BNFormat[] = ['NCDHW', 'NDHWC'];
  protected readonly ranks = [5];
  constructor(numFeatures: number, opts: BatchNormNDOptions = {}) {
    super(numFeatures, opts, 'NCDHW');
  }
}

/**
 * Paddle's `SyncBatchNorm`. Statistics would be reduced across all training processes; Oar
 * trains in one process, where the global batch is the local one, so it computes exactly what
 * BatchNorm does on inputs of rank 2 to 5 (channels at dataFormat's position).
 */
export class SyncBatchNorm extends BatchNormBase {
  protected readonly formats: BNFormat[] = ['NC', 'NCL', 'NCHW', 'NCDHW', 'NLC', 'NHWC', 'NDHWC'];
  protected readonly ranks = [2, 3, 4, 5];
  constructor(numFeatures: number, opts: BatchNormNDOptions = {}) {
    super(numFeatures, opts, 'NCHW');
  }

  /**
   * Replaces every BatchNorm1D/2D/3D in `layer` (or `layer` itself) by a SyncBatchNorm that
   * takes over its parameters and statistics (Paddle's `convert_sync_batchnorm`).
   */
  static convertSyncBatchnorm(layer: Layer): Layer {
    if (layer instanceof BatchNormBase && !(layer instanceof SyncBatchNorm)) {
      const s = new SyncBatchNorm(layer.numFeatures, {
        momentum: layer.momentum,
        epsilon: layer.epsilon,
        dataFormat: layer.dataFormat,
        useGlobalStats: layer.useGlobalStats,
      });
      for (const k of ['weight', 'bias', '_mean', '_variance'] as const) {
        s[k].dispose();
        s[k] = layer[k];
      }
      s.training = layer.training;
      return s;
    }
    for (const [name, child] of layer.namedChildren()) {
      const converted = SyncBatchNorm.convertSyncBatchnorm(child);
      if (converted !== child) (layer as unknown as Record<string, unknown>)[name] = converted;
    }
    return layer;
  }
}

export interface BatchNormOptions {
  /** Activation applied to the output, by functional name ('relu', 'sigmoid', ...). */
  act?: ActivationName | null;
  /** Always use the running statistics (also in training). */
  isTest?: boolean;
  momentum?: number;
  epsilon?: number;
  paramAttr?: ParamAttrLike;
  biasAttr?: ParamAttrLike;
  dtype?: DType;
  dataLayout?: 'NCHW' | 'NHWC';
  movingMeanName?: string;
  movingVarianceName?: string;
  /** Normalize with the running statistics even in training. */
  useGlobalStats?: boolean;
  /** In eval mode, still normalize with batch statistics (and update the running ones). */
  trainableStatistics?: boolean;
}

/**
 * The fluid-style `paddle.nn.BatchNorm(num_channels, act, ...)`: any rank from 2 to 5 with the
 * channels second (NCHW) or last (NHWC), an optional activation, and Paddle's is_test /
 * use_global_stats / trainable_statistics switches.
 */
export class BatchNorm extends Layer {
  weight: Parameter;
  bias: Parameter;
  _mean: Parameter;
  _variance: Parameter;
  readonly numChannels: number;
  readonly options: Readonly<BatchNormOptions>;

  constructor(numChannels: number, opts: BatchNormOptions = {}) {
    super(undefined, opts.dtype ?? 'float32');
    requirePositiveInt('BatchNorm', 'numChannels', numChannels);
    if (opts.act) activationByName(opts.act, 'BatchNorm');
    this.numChannels = numChannels;
    this.options = { ...opts };
    const dtype: DType = this._dtype === 'float16' ? 'float32' : this._dtype;
    this.weight = this.createParameter([numChannels], { attr: opts.paramAttr === false ? undefined : opts.paramAttr, dtype, defaultInitializer: new Constant(1) });
    this.bias = this.createParameter([numChannels], { attr: opts.biasAttr === false ? undefined : opts.biasAttr, dtype, isBias: true, defaultInitializer: new Constant(0) });
    // Fluid BatchNorm freezes the affine parameters with use_global_stats and learning rate 0.
    const frozen = (a: ParamAttrLike): boolean => {
      const pa = toParamAttr(a);
      return pa === false || (!!opts.useGlobalStats && pa.learningRate === 0);
    };
    if (frozen(opts.paramAttr)) this.weight.stopGradient = true;
    if (frozen(opts.biasAttr)) this.bias.stopGradient = true;
    this._mean = statParam(this, [numChannels], 0, opts.movingMeanName, dtype);
    this._variance = statParam(this, [numChannels], 1, opts.movingVarianceName, dtype);
  }

  override forward(x: Tensor): Tensor {
    const o = this.options;
    const layout = o.dataLayout ?? 'NCHW';
    const c = layout === 'NHWC' ? x.shape[x.ndim - 1] : x.shape[1];
    if (x.ndim < 2 || x.ndim > 5 || c !== this.numChannels) {
      throw new RangeError(`BatchNorm: expected a 2-D to 5-D ${layout} input with ${this.numChannels} channels, got shape ${fmtShape(x.shape)}`);
    }
    const y = engine.runOp(
      'batch_norm',
      { X: x, Scale: this.weight, Bias: this.bias, Mean: this._mean, Variance: this._variance },
      {
        is_test: !!o.isTest || !this.training,
        momentum: o.momentum ?? 0.9,
        epsilon: o.epsilon ?? 1e-5,
        data_layout: layout,
        use_global_stats: !!o.useGlobalStats,
        trainable_statistics: !!o.trainableStatistics,
      },
    ).Y as Tensor;
    return o.act ? activationByName(o.act, 'BatchNorm')(y) : y;
  }

  override extraRepr(): string {
    return `num_channels=${this.numChannels}, momentum=${this.options.momentum ?? 0.9}, epsilon=${this.options.epsilon ?? 1e-5}`;
  }
}

export interface LayerNormOptions {
  epsilon?: number;
  /** False: no scale. */
  weightAttr?: ParamAttrLike;
  /** False: no shift. */
  biasAttr?: ParamAttrLike;
}

/**
 * Normalizes over the trailing `normalizedShape` dimensions. weight and bias are 1-D of
 * prod(normalizedShape) elements, as in Paddle; ones and zeros initially.
 */
export class LayerNorm extends Layer {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly epsilon: number;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (ns.length === 0 || !ns.every((d) => Number.isInteger(d) && d > 0)) {
      throw new RangeError(`LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    this.normalizedShape = ns;
    this.epsilon = opts.epsilon ?? 1e-5;
    const n = ns.reduce((a, b) => a * b, 1);
    this.weight = this.createParameter([n], { attr: opts.weightAttr, defaultInitializer: new Constant(1) });
    this.bias = this.createParameter([n], { attr: opts.biasAttr, isBias: true });
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.epsilon);
  }

  override extraRepr(): string {
    return `normalized_shape=[${this.normalizedShape.join(', ')}], epsilon=${this.epsilon}`;
  }
}

export interface GroupNormOptions {
  epsilon?: number;
  /** False: scale fixed at 1. */
  weightAttr?: ParamAttrLike;
  /** False: shift fixed at 0. */
  biasAttr?: ParamAttrLike;
  dataFormat?: 'NCHW' | 'NHWC';
}

/** Normalizes each of `numGroups` channel groups per sample (Paddle's `GroupNorm`). */
export class GroupNorm extends Layer {
  weight: Parameter;
  bias: Parameter;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly epsilon: number;
  readonly dataFormat: 'NCHW' | 'NHWC';

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    requirePositiveInt('GroupNorm', 'numGroups', numGroups);
    requirePositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.epsilon = opts.epsilon ?? 1e-5;
    this.dataFormat = opts.dataFormat ?? 'NCHW';
    this.weight = affineParam(this, [numChannels], opts.weightAttr, 1, false);
    this.bias = affineParam(this, [numChannels], opts.biasAttr, 0, true);
  }

  override forward(x: Tensor): Tensor {
    const c = this.dataFormat === 'NHWC' ? x.shape[x.ndim - 1] : x.shape[1];
    if (x.ndim < 2 || c !== this.numChannels) {
      throw new RangeError(`GroupNorm: expected an input with ${this.numChannels} channels (${this.dataFormat}), got shape ${fmtShape(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, { epsilon: this.epsilon, dataFormat: this.dataFormat });
  }

  override extraRepr(): string {
    return `num_groups=${this.numGroups}, num_channels=${this.numChannels}, epsilon=${this.epsilon}`;
  }
}

export interface InstanceNormOptions {
  epsilon?: number;
  /** Kept for Paddle compatibility; instance norm keeps no running statistics. */
  momentum?: number;
  /** False (together with biasAttr false): no affine parameters. */
  weightAttr?: ParamAttrLike;
  biasAttr?: ParamAttrLike;
  dataFormat?: 'NCHW';
}

/**
 * Normalizes each (sample, channel) plane of a 4-D input (Paddle's `InstanceNorm2D`). The
 * scale parameter is named `scale`, as in Paddle's state dicts.
 */
export class InstanceNorm2D extends Layer {
  scale: Parameter | null;
  bias: Parameter | null;
  readonly numFeatures: number;
  readonly epsilon: number;

  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super();
    requirePositiveInt('InstanceNorm2D', 'numFeatures', numFeatures);
    if ((opts.weightAttr === false) !== (opts.biasAttr === false)) {
      throw new TypeError('InstanceNorm2D: weightAttr and biasAttr must be false together (no affine parameters) or not at all');
    }
    if (opts.dataFormat !== undefined && opts.dataFormat !== 'NCHW') {
      throw new RangeError(`InstanceNorm2D: only the NCHW layout is supported, got "${String(opts.dataFormat)}"`);
    }
    this.numFeatures = numFeatures;
    this.epsilon = opts.epsilon ?? 1e-5;
    this.scale = this.createParameter([numFeatures], { attr: opts.weightAttr, defaultInitializer: new Constant(1) });
    this.bias = this.createParameter([numFeatures], { attr: opts.biasAttr, isBias: true, defaultInitializer: new Constant(0) });
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new RangeError(`InstanceNorm2D: expected a 4-D NCHW input with ${this.numFeatures} channels, got shape ${fmtShape(x.shape)}`);
    }
    return instanceNorm(x, { weight: this.scale, bias: this.bias, eps: this.epsilon });
  }

  override extraRepr(): string {
    return `num_features=${this.numFeatures}, epsilon=${this.epsilon}`;
  }
}
