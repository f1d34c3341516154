/**
 * ResNet18/34/50/101/152 and the _vd variants (18 to 200) as PaddleClas 2.2+ builds them
 * (ppcls/arch/backbone/legendary_models/resnet.py), with the same structured names: `stem.N`,
 * `max_pool`, `blocks.N` (conv0, conv1[, conv2][, short]), `fc`; each ConvBNLayer holds `conv`
 * (no bias) and `bn` (weight, bias, _mean, _variance). PaddleClas's ResNet*.pdparams load as is.
 *
 * Differences from the paper that PaddleClas makes and that the weights depend on:
 * - every stage's first block has a 1x1 projection shortcut (`short`), even ResNet18/34's first,
 *   where the shapes already match (use_first_short_conv: false drops it there);
 * - vd: a deep stem of three 3x3 convolutions (32, 32, 64 filters) instead of one 7x7, and
 *   shortcuts that downsample by 2x2 average pooling before a stride-1 1x1 convolution.
 */
import { add, nn, transpose, type Tensor } from '@oar/core';
import { boolean, dataFormat, numberList, oneOf, positiveInt, readArchOptions, type DataFormat } from './common';
import type { BackboneFactory, BackboneOptions } from './registry';

type BlockType = 'BasicBlock' | 'BottleneckBlock';

export interface ResNetConfig {
  block_type: BlockType;
  /** Blocks per stage. */
  block_depth: number[];
  /** Input channels of each stage. */
  num_channels: number[];
}

export const RESNET_CONFIG: Record<18 | 34 | 50 | 101 | 152 | 200, ResNetConfig> = {
  18: { block_type: 'BasicBlock', block_depth: [2, 2, 2, 2], num_channels: [64, 64, 128, 256] },
  34: { block_type: 'BasicBlock', block_depth: [3, 4, 6, 3], num_channels: [64, 64, 128, 256] },
  50: { block_type: 'BottleneckBlock', block_depth: [3, 4, 6, 3], num_channels: [64, 256, 512, 1024] },
  101: { block_type: 'BottleneckBlock', block_depth: [3, 4, 23, 3], num_channels: [64, 256, 512, 1024] },
  152: { block_type: 'BottleneckBlock', block_depth: [3, 8, 36, 3], num_channels: [64, 256, 512, 1024] },
  200: { block_type: 'BottleneckBlock', block_depth: [3, 12, 48, 3], num_channels: [64, 256, 512, 1024] },
};

export interface ConvBNLayerOptions {
  stride?: number;
  groups?: number;
  /** Downsample by 2x2 average pooling (stride `stride`) before a stride-1 convolution. */
  is_vd_mode?: boolean;
  /** Any activation name turns on ReLU, as in PaddleClas. */
  act?: string | null;
  /** Learning-rate multiplier of the conv and bn parameters. */
  lr_mult?: number;
  data_format?: DataFormat;
}

/** Convolution (no bias), batch norm, optional ReLU; in vd mode an average pool first. */
export class ConvBNLayer extends nn.Layer {
  avg_pool: nn.AvgPool2D;
  conv: nn.Conv2D;
  bn: nn.BatchNorm;
  relu: nn.ReLU;
  readonly isVdMode: boolean;
  readonly act: string | null;

  constructor(numChannels: number, numFilters: number, filterSize: number, opts: ConvBNLayerOptions = {}) {
    super();
    const stride = opts.stride ?? 1;
    const lrMult = opts.lr_mult ?? 1;
    const format = opts.data_format ?? 'NCHW';
    this.isVdMode = opts.is_vd_mode ?? false;
    this.act = opts.act ?? null;
    // SAME padding with ceil mode: an odd side is covered by a last, one-wide window.
    this.avg_pool = new nn.AvgPool2D(2, { stride, padding: 'SAME', ceilMode: true, dataFormat: format });
    this.conv = new nn.Conv2D(numChannels, numFilters, filterSize, {
      stride: this.isVdMode ? 1 : stride,
      padding: Math.floor((filterSize - 1) / 2),
      groups: opts.groups ?? 1,
      weightAttr: new nn.ParamAttr({ learningRate: lrMult }),
      biasAttr: false,
      dataFormat: format,
    });
    this.bn = new nn.BatchNorm(numFilters, {
      paramAttr: new nn.ParamAttr({ learningRate: lrMult }),
      biasAttr: new nn.ParamAttr({ learningRate: lrMult }),
      dataLayout: format,
    });
    this.relu = new nn.ReLU();
  }

  override forward(x: Tensor): Tensor {
    if (this.isVdMode) x = this.avg_pool.call(x);
    x = this.bn.call(this.conv.call(x));
    return this.act ? this.relu.call(x) : x;
  }
}

export interface ResidualBlockOptions {
  stride: number;
  /** True: identity shortcut; false: a ConvBNLayer projection named `short`. */
  shortcut: boolean;
  /** The first block of a vd network: its projection does not average-pool. */
  if_first: boolean;
  lr_mult: number;
  data_format: DataFormat;
}

/** 1x1 → 3x3 (stride) → 1x1 (4× filters), plus the shortcut, then ReLU. */
export class BottleneckBlock extends nn.Layer {
  conv0: ConvBNLayer;
  conv1: ConvBNLayer;
  conv2: ConvBNLayer;
  short?: ConvBNLayer;
  relu: nn.ReLU;
  readonly shortcut: boolean;

  constructor(numChannels: number, numFilters: number, o: ResidualBlockOptions) {
    super();
    const common = { lr_mult: o.lr_mult, data_format: o.data_format };
    this.conv0 = new ConvBNLayer(numChannels, numFilters, 1, { act: 'relu', ...common });
    this.conv1 = new ConvBNLayer(numFilters, numFilters, 3, { stride: o.stride, act: 'relu', ...common });
    this.conv2 = new ConvBNLayer(numFilters, numFilters * 4, 1, { act: null, ...common });
    if (!o.shortcut) {
      this.short = new ConvBNLayer(numChannels, numFilters * 4, 1, { stride: o.stride, is_vd_mode: !o.if_first, ...common });
    }
    this.relu = new nn.ReLU();
    this.shortcut = o.shortcut;
  }

  override forward(x: Tensor): Tensor {
    const y = this.conv2.call(this.conv1.call(this.conv0.call(x)));
    const short = this.short ? this.short.call(x) : x;
    return this.relu.call(add(y, short));
  }
}

/** 3x3 (stride) → 3x3, plus the shortcut, then ReLU. */
export class BasicBlock extends nn.Layer {
  conv0: ConvBNLayer;
  conv1: ConvBNLayer;
  short?: ConvBNLayer;
  relu: nn.ReLU;
  readonly shortcut: boolean;

  constructor(numChannels: number, numFilters: number, o: ResidualBlockOptions) {
    super();
    const common = { lr_mult: o.lr_mult, data_format: o.data_format };
    this.conv0 = new ConvBNLayer(numChannels, numFilters, 3, { stride: o.stride, act: 'relu', ...common });
    this.conv1 = new ConvBNLayer(numFilters, numFilters, 3, { act: null, ...common });
    if (!o.shortcut) {
      this.short = new ConvBNLayer(numChannels, numFilters, 1, { stride: o.stride, is_vd_mode: !o.if_first, ...common });
    }
    this.shortcut = o.shortcut;
    this.relu = new nn.ReLU();
  }

  override forward(x: Tensor): Tensor {
    const y = this.conv1.call(this.conv0.call(x));
    const short = this.short ? this.short.call(x) : x;
    return this.relu.call(add(y, short));
  }
}

export interface ResNetOptions {
  config: ResNetConfig;
  /** 'vb' (7x7 stem, strided shortcuts) or 'vd' (deep stem, average-pool shortcuts). */
  version?: 'vb' | 'vd';
  /** Activation of the stem convolutions; null for none. */
  stem_act?: 'relu' | null;
  class_num?: number;
  /** Learning-rate multipliers: stem, then the four stages. */
  lr_mult_list?: number[];
  /** Strides: stem, max pool, stages 2 to 4 (stage 1 always has stride 1 after the pool). */
  stride_list?: number[];
  /** NHWC: the NCHW input is transposed once and the network runs channels-last. */
  data_format?: DataFormat;
  input_image_channel?: number;
  /** False: identity shortcut in the first stage's first block where shapes allow (the paper's ResNet). */
  use_first_short_conv?: boolean;
}

/** PaddleClas's ResNet. */
export class ResNet extends nn.Layer {
  stem: nn.Sequential;
  max_pool: nn.MaxPool2D;
  blocks: nn.Sequential;
  avg_pool: nn.AdaptiveAvgPool2D;
  flatten: nn.Flatten;
  fc: nn.Linear;
  readonly dataFormat: DataFormat;

  constructor(opts: ResNetOptions) {
    super();
    const cfg = opts.config;
    const version = opts.version ?? 'vb';
    const stemAct = opts.stem_act === undefined ? 'relu' : opts.stem_act;
    const lrMult = opts.lr_mult_list ?? [1, 1, 1, 1, 1];
    const strides = opts.stride_list ?? [2, 2, 2, 2, 2];
    const format = opts.data_format ?? 'NCHW';
    const inC = opts.input_image_channel ?? 3;
    const useFirstShortConv = opts.use_first_short_conv ?? true;
    if (lrMult.length !== 5) throw new RangeError(`ResNet: lr_mult_list must have 5 entries, got ${JSON.stringify(lrMult)}`);
    if (strides.length !== 5) throw new RangeError(`ResNet: stride_list must have 5 entries, got ${JSON.stringify(strides)}`);
    this.dataFormat = format;

    const numFilters = [64, 128, 256, 512];
    const channelsMult = cfg.num_channels[cfg.num_channels.length - 1] === 256 ? 1 : 4;
    // [in, out, kernel, stride] of each stem ConvBNLayer.
    const stemCfg: [number, number, number, number][] =
      version === 'vd'
        ? [
            [inC, 32, 3, strides[0]!],
            [32, 32, 3, 1],
            [32, 64, 3, 1],
          ]
        : [[inC, 64, 7, strides[0]!]];
    this.stem = new nn.Sequential(
      ...stemCfg.map(([i, o, k, s]) => new ConvBNLayer(i, o, k, { stride: s, act: stemAct, lr_mult: lrMult[0]!, data_format: format })),
    );
    this.max_pool = new nn.MaxPool2D(3, { stride: strides[1]!, padding: 1, dataFormat: format });

    const blocks: nn.Layer[] = [];
    cfg.block_depth.forEach((depth, stage) => {
      // Only the first block of a stage projects its shortcut.
      let shortcut = !useFirstShortConv && stage === 0;
      for (let i = 0; i < depth; i++) {
        const o: ResidualBlockOptions = {
          stride: i === 0 && stage !== 0 ? strides[stage + 1]! : 1,
          shortcut,
          // vb shortcuts never average-pool; vd ones do, except in the very first block.
          if_first: version === 'vd' ? stage === 0 && i === 0 : true,
          lr_mult: lrMult[stage + 1]!,
          data_format: format,
        };
        const cin = i === 0 ? cfg.num_channels[stage]! : numFilters[stage]! * channelsMult;
        blocks.push(cfg.block_type === 'BasicBlock' ? new BasicBlock(cin, numFilters[stage]!, o) : new BottleneckBlock(cin, numFilters[stage]!, o));
        shortcut = true;
      }
    });
    this.blocks = new nn.Sequential(...blocks);

    this.avg_pool = new nn.AdaptiveAvgPool2D(1, format);
    this.flatten = new nn.Flatten();
    const poolChannels = cfg.num_channels[cfg.num_channels.length - 1]! * 2;
    const stdv = 1 / Math.sqrt(poolChannels);
    this.fc = new nn.Linear(poolChannels, opts.class_num ?? 1000, {
      weightAttr: new nn.ParamAttr({ initializer: new nn.initializer.Uniform(-stdv, stdv) }),
    });
  }

  /** Logits [N, class_num] for an NCHW image batch. */
  override forward(x: Tensor): Tensor {
    if (this.dataFormat === 'NHWC') x = transpose(x, [0, 2, 3, 1]);
    x = this.stem.call(x);
    x = this.max_pool.call(x);
    x = this.blocks.call(x);
    x = this.avg_pool.call(x);
    x = this.flatten.call(x);
    return this.fc.call(x);
  }
}

function resnet(depth: keyof typeof RESNET_CONFIG, version: 'vb' | 'vd'): BackboneFactory {
  const model = `ResNet${depth}${version === 'vd' ? '_vd' : ''}`;
  return (opts: BackboneOptions) => {
    const o = readArchOptions(model, opts, {
      class_num: positiveInt(1000),
      stem_act: oneOf<'relu' | null>('relu', ['relu', null]),
      lr_mult_list: numberList([1, 1, 1, 1, 1], (x) => x >= 0, 'learning-rate multipliers >= 0'),
      stride_list: numberList([2, 2, 2, 2, 2], (x) => Number.isInteger(x) && x >= 1, 'strides (integers >= 1)'),
      data_format: dataFormat(),
      input_image_channel: positiveInt(3),
      use_first_short_conv: boolean(true),
      layer_type: oneOf('ConvBNLayer', ['ConvBNLayer']),
    });
    const { layer_type: _layerType, ...rest } = o;
    return new ResNet({ config: RESNET_CONFIG[depth], version, ...rest });
  };
}

export const MODELS: Record<string, BackboneFactory> = {
  ResNet18: resnet(18, 'vb'),
  ResNet18_vd: resnet(18, 'vd'),
  ResNet34: resnet(34, 'vb'),
  ResNet34_vd: resnet(34, 'vd'),
  ResNet50: resnet(50, 'vb'),
  ResNet50_vd: resnet(50, 'vd'),
  ResNet101: resnet(101, 'vb'),
  ResNet101_vd: resnet(101, 'vd'),
  ResNet152: resnet(152, 'vb'),
  ResNet152_vd: resnet(152, 'vd'),
  ResNet200_vd: resnet(200, 'vd'),
};
