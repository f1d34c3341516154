/**
 * VGG11/13/16/19 as PaddleClas 2.2+ builds them (ppcls/arch/backbone/legendary_models/vgg.py):
 * five ConvBlocks of bias-free 3x3 convolutions (no batch norm) each ending in a 2x2 max pool,
 * then fc1 (7·7·512 → 4096), fc2, fc3 with ReLU and dropout. Structured names
 * (`conv_block_1.conv1.weight`, `fc1.weight`) equal Paddle's, so PaddleClas's VGG*.pdparams load.
 *
 * fc1's input size is fixed at 7·7·512, as in PaddleClas: the network takes inputs whose side
 * is 224 to 255 (7 after five halvings), not small images.
 */
import { nn, type Tensor } from '@oar/core';
import { nonNegativeInt, positiveInt, readArchOptions } from './common';
import type { BackboneFactory, BackboneOptions } from './registry';

/** Convolutions per block, by depth. */
export const VGG_CONFIG: Record<11 | 13 | 16 | 19, number[]> = {
  11: [1, 1, 2, 2, 2],
  13: [2, 2, 2, 2, 2],
  16: [2, 2, 3, 3, 3],
  19: [2, 2, 4, 4, 4],
};

/** `groups` (1 to 4) 3x3 convolutions with ReLU, then max pooling. Named convN, as PaddleClas. */
export class ConvBlock extends nn.Layer {
  conv1: nn.Conv2D;
  conv2?: nn.Conv2D;
  conv3?: nn.Conv2D;
  conv4?: nn.Conv2D;
  max_pool: nn.MaxPool2D;
  relu: nn.ReLU;
  readonly groups: number;

  constructor(inputChannels: number, outputChannels: number, groups: number) {
    super();
    if (!Number.isInteger(groups) || groups < 1 || groups > 4) throw new RangeError(`ConvBlock: groups must be 1 to 4, got ${groups}`);
    this.groups = groups;
    const conv = (cin: number): nn.Conv2D => new nn.Conv2D(cin, outputChannels, 3, { stride: 1, padding: 1, biasAttr: false });
    this.conv1 = conv(inputChannels);
    if (groups >= 2) this.conv2 = conv(outputChannels);
    if (groups >= 3) this.conv3 = conv(outputChannels);
    if (groups >= 4) this.conv4 = conv(outputChannels);
    this.max_pool = new nn.MaxPool2D(2, { stride: 2, padding: 0 });
    this.relu = new nn.ReLU();
  }

  override forward(x: Tensor): Tensor {
    for (const conv of [this.conv1, this.conv2, this.conv3, this.conv4]) {
      if (conv) x = this.relu.call(conv.call(x));
    }
    return this.max_pool.call(x);
  }
}

export interface VGGNetOptions {
  /** Convolutions per block (VGG_CONFIG). */
  config: number[];
  /** Blocks 1..stop_grad_layers are frozen (their parameters are not trainable). Default 0. */
  stop_grad_layers?: number;
  class_num?: number;
}

/** PaddleClas's VGGNet. */
export class VGGNet extends nn.Layer {
  conv_block_1: ConvBlock;
  conv_block_2: ConvBlock;
  conv_block_3: ConvBlock;
  conv_block_4: ConvBlock;
  conv_block_5: ConvBlock;
  relu: nn.ReLU;
  flatten: nn.Flatten;
  drop: nn.Dropout;
  fc1: nn.Linear;
  fc2: nn.Linear;
  fc3: nn.Linear;
  readonly stopGradLayers: number;

  constructor(opts: VGGNetOptions) {
    super();
    const { config } = opts;
    if (config.length !== 5) throw new RangeError(`VGGNet: config must list 5 blocks, got ${JSON.stringify(config)}`);
    this.stopGradLayers = opts.stop_grad_layers ?? 0;
    const classNum = opts.class_num ?? 1000;
    this.conv_block_1 = new ConvBlock(3, 64, config[0]!);
    this.conv_block_2 = new ConvBlock(64, 128, config[1]!);
    this.conv_block_3 = new ConvBlock(128, 256, config[2]!);
    this.conv_block_4 = new ConvBlock(256, 512, config[3]!);
    this.conv_block_5 = new ConvBlock(512, 512, config[4]!);
    this.relu = new nn.ReLU();
    this.flatten = new nn.Flatten(1, -1);
    const blocks = [this.conv_block_1, this.conv_block_2, this.conv_block_3, this.conv_block_4, this.conv_block_5];
    blocks.forEach((block, i) => {
      if (this.stopGradLayers >= i + 1) for (const p of block.parameters()) p.trainable = false;
    });
    // downscale_in_infer: dropped units are zeroed without rescaling in training, and outputs
    // are scaled by 0.5 at inference, as the PaddleClas weights were trained.
    this.drop = new nn.Dropout(0.5, { mode: 'downscale_in_infer' });
    this.fc1 = new nn.Linear(7 * 7 * 512, 4096);
    this.fc2 = new nn.Linear(4096, 4096);
    this.fc3 = new nn.Linear(4096, classNum);
  }

  override forward(inputs: Tensor): Tensor {
    let x = this.conv_block_1.call(inputs);
    x = this.conv_block_2.call(x);
    x = this.conv_block_3.call(x);
    x = this.conv_block_4.call(x);
    x = this.conv_block_5.call(x);
    x = this.flatten.call(x);
    if (x.shape[1] !== this.fc1.inFeatures) {
      throw new RangeError(
        `VGGNet: the last block gives ${x.shape[1]} features, fc1 takes 7·7·512 = ${this.fc1.inFeatures}; ` +
          `the input side must be 224 to 255 pixels, got input shape [${inputs.shape.join(', ')}]`,
      );
    }
    x = this.drop.call(this.relu.call(this.fc1.call(x)));
    x = this.drop.call(this.relu.call(this.fc2.call(x)));
    return this.fc3.call(x);
  }
}

function vgg(depth: 11 | 13 | 16 | 19): BackboneFactory {
  const model = `VGG${depth}`;
  return (opts: BackboneOptions) => {
    const o = readArchOptions(model, opts, { class_num: positiveInt(1000), stop_grad_layers: nonNegativeInt(0) });
    return new VGGNet({ config: VGG_CONFIG[depth], ...o });
  };
}

export const MODELS: Record<string, BackboneFactory> = {
  VGG11: vgg(11),
  VGG13: vgg(13),
  VGG16: vgg(16),
  VGG19: vgg(19),
};
