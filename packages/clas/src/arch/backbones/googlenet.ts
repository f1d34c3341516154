/**
 * GoogLeNet as PaddleClas builds it (ppcls/arch/backbone/model_zoo/googlenet.py, class
 * GoogLeNetDY), with the same structured names (`_conv._conv.weight`, `_ince3a._conv3r._conv.weight`,
 * `_fc_out.weight`, ...) and the same ParamAttr names (`conv1_weights`,
 * `inception_ince3a_3x3_reduce_weights`, `out_weights`, `out_offset`, ...), so PaddleClas's
 * GoogLeNet_pretrained.pdparams loads by either.
 *
 * Faithful to PaddleClas rather than to the paper, because the weights were trained that way:
 * convolutions have no bias, no batch norm and no activation of their own (only each Inception
 * output goes through ReLU), the stem max pools are unpadded, and the second auxiliary head has
 * no ReLU after its first fully connected layer.
 *
 * Outputs: in training mode [out, aux1, aux2], the three logits GoogLeNetLoss weighs 1, 0.3, 0.3;
 * in eval mode only `out`, and the auxiliary heads are not run. The heads flatten a fixed
 * 3·3·128 map, so training needs inputs of 189 to 236 pixels a side (224 in PaddleClas); the main
 * path alone pools adaptively and takes inputs from 61 pixels.
 */
import { concat, nn, relu, transpose, type Tensor } from '@oar/core';
import { dataFormat, positiveInt, readArchOptions, type DataFormat } from './common';
import type { BackboneFactory, BackboneOptions } from './registry';

/** Paddle's Uniform(±sqrt(3 / (k²·channels))) weight attribute, named `<name>_weights`. */
function xavier(channels: number, filterSize: number, name: string): nn.ParamAttr {
  const stdv = Math.sqrt(3 / (filterSize ** 2 * channels));
  return new nn.ParamAttr({ initializer: new nn.initializer.Uniform(-stdv, stdv), name: `${name}_weights` });
}

/** A bias-free convolution whose weight is named `<name>_weights`. */
export class ConvLayer extends nn.Layer {
  _conv: nn.Conv2D;

  constructor(numChannels: number, numFilters: number, filterSize: number, stride: number, name: string, format: DataFormat) {
    super();
    this._conv = new nn.Conv2D(numChannels, numFilters, filterSize, {
      stride,
      padding: Math.floor((filterSize - 1) / 2),
      weightAttr: new nn.ParamAttr({ name: `${name}_weights` }),
      biasAttr: false,
      dataFormat: format,
    });
  }

  override forward(x: Tensor): Tensor {
    return this._conv.call(x);
  }
}

/** Four branches (1x1; 1x1→3x3; 1x1→5x5; 3x3 max pool→1x1) concatenated along channels, then ReLU. */
export class Inception extends nn.Layer {
  _conv1: ConvLayer;
  _conv3r: ConvLayer;
  _conv3: ConvLayer;
  _conv5r: ConvLayer;
  _conv5: ConvLayer;
  _pool: nn.MaxPool2D;
  _convprj: ConvLayer;
  readonly dataFormat: DataFormat;

  constructor(
    inputChannels: number,
    filter1: number,
    filter3R: number,
    filter3: number,
    filter5R: number,
    filter5: number,
    proj: number,
    name: string,
    format: DataFormat,
  ) {
    super();
    this.dataFormat = format;
    const n = `inception_${name}`;
    this._conv1 = new ConvLayer(inputChannels, filter1, 1, 1, `${n}_1x1`, format);
    this._conv3r = new ConvLayer(inputChannels, filter3R, 1, 1, `${n}_3x3_reduce`, format);
    this._conv3 = new ConvLayer(filter3R, filter3, 3, 1, `${n}_3x3`, format);
    this._conv5r = new ConvLayer(inputChannels, filter5R, 1, 1, `${n}_5x5_reduce`, format);
    this._conv5 = new ConvLayer(filter5R, filter5, 5, 1, `${n}_5x5`, format);
    this._pool = new nn.MaxPool2D(3, { stride: 1, padding: 1, dataFormat: format });
    this._convprj = new ConvLayer(inputChannels, proj, 1, 1, `${n}_3x3_proj`, format);
  }

  override forward(x: Tensor): Tensor {
    const conv1 = this._conv1.call(x);
    const conv3 = this._conv3.call(this._conv3r.call(x));
    const conv5 = this._conv5.call(this._conv5r.call(x));
    const convprj = this._convprj.call(this._pool.call(x));
    return relu(concat([conv1, conv3, conv5, convprj], this.dataFormat === 'NHWC' ? 3 : 1));
  }
}

export interface GoogLeNetOptions {
  class_num?: number;
  /** NHWC: the NCHW input is transposed once and the network runs channels-last. */
  data_format?: DataFormat;
}

/** The three logits of a training step. */
export type GoogLeNetTrainOutput = [out: Tensor, aux1: Tensor, aux2: Tensor];

/** PaddleClas's GoogLeNetDY. */
export class GoogLeNetDY extends nn.Layer {
  _conv: ConvLayer;
  _pool: nn.MaxPool2D;
  _conv_1: ConvLayer;
  _conv_2: ConvLayer;
  _ince3a: Inception;
  _ince3b: Inception;
  _ince4a: Inception;
  _ince4b: Inception;
  _ince4c: Inception;
  _ince4d: Inception;
  _ince4e: Inception;
  _ince5a: Inception;
  _ince5b: Inception;
  _pool_5: nn.AdaptiveAvgPool2D;
  _drop: nn.Dropout;
  flatten: nn.Flatten;
  _fc_out: nn.Linear;
  _pool_o1: nn.AvgPool2D;
  _conv_o1: ConvLayer;
  _fc_o1: nn.Linear;
  _drop_o1: nn.Dropout;
  _out1: nn.Linear;
  _pool_o2: nn.AvgPool2D;
  _conv_o2: ConvLayer;
  _fc_o2: nn.Linear;
  _drop_o2: nn.Dropout;
  _out2: nn.Linear;
  readonly dataFormat: DataFormat;

  constructor(opts: GoogLeNetOptions = {}) {
    super();
    const f = opts.data_format ?? 'NCHW';
    const classNum = opts.class_num ?? 1000;
    this.dataFormat = f;
    this._conv = new ConvLayer(3, 64, 7, 2, 'conv1', f);
    this._pool = new nn.MaxPool2D(3, { stride: 2, dataFormat: f });
    this._conv_1 = new ConvLayer(64, 64, 1, 1, 'conv2_1x1', f);
    this._conv_2 = new ConvLayer(64, 192, 3, 1, 'conv2_3x3', f);
    this._ince3a = new Inception(192, 64, 96, 128, 16, 32, 32, 'ince3a', f);
    this._ince3b = new Inception(256, 128, 128, 192, 32, 96, 64, 'ince3b', f);
    this._ince4a = new Inception(480, 192, 96, 208, 16, 48, 64, 'ince4a', f);
    this._ince4b = new Inception(512, 160, 112, 224, 24, 64, 64, 'ince4b', f);
    this._ince4c = new Inception(512, 128, 128, 256, 24, 64, 64, 'ince4c', f);
    this._ince4d = new Inception(512, 112, 144, 288, 32, 64, 64, 'ince4d', f);
    this._ince4e = new Inception(528, 256, 160, 320, 32, 128, 128, 'ince4e', f);
    this._ince5a = new Inception(832, 256, 160, 320, 32, 128, 128, 'ince5a', f);
    this._ince5b = new Inception(832, 384, 192, 384, 48, 128, 128, 'ince5b', f);
    this._pool_5 = new nn.AdaptiveAvgPool2D(1, f);
    // downscale_in_infer, as PaddleClas trained with: no rescaling while training.
    this._drop = new nn.Dropout(0.4, { mode: 'downscale_in_infer' });
    this.flatten = new nn.Flatten();
    this._fc_out = new nn.Linear(1024, classNum, { weightAttr: xavier(1024, 1, 'out'), biasAttr: new nn.ParamAttr({ name: 'out_offset' }) });
    this._pool_o1 = new nn.AvgPool2D(5, { stride: 3, dataFormat: f });
    this._conv_o1 = new ConvLayer(512, 128, 1, 1, 'conv_o1', f);
    this._fc_o1 = new nn.Linear(1152, 1024, { weightAttr: xavier(2048, 1, 'fc_o1'), biasAttr: new nn.ParamAttr({ name: 'fc_o1_offset' }) });
    this._drop_o1 = new nn.Dropout(0.7, { mode: 'downscale_in_infer' });
    this._out1 = new nn.Linear(1024, classNum, { weightAttr: xavier(1024, 1, 'out1'), biasAttr: new nn.ParamAttr({ name: 'out1_offset' }) });
    this._pool_o2 = new nn.AvgPool2D(5, { stride: 3, dataFormat: f });
    this._conv_o2 = new ConvLayer(528, 128, 1, 1, 'conv_o2', f);
    this._fc_o2 = new nn.Linear(1152, 1024, { weightAttr: xavier(2048, 1, 'fc_o2'), biasAttr: new nn.ParamAttr({ name: 'fc_o2_offset' }) });
    this._drop_o2 = new nn.Dropout(0.7, { mode: 'downscale_in_infer' });
    this._out2 = new nn.Linear(1024, classNum, { weightAttr: xavier(1024, 1, 'out2'), biasAttr: new nn.ParamAttr({ name: 'out2_offset' }) });
  }

  /** Training mode: [out, aux1, aux2]; eval mode: out. */
  override forward(inputs: Tensor): Tensor | GoogLeNetTrainOutput {
    const x0 = this.dataFormat === 'NHWC' ? transpose(inputs, [0, 2, 3, 1]) : inputs;
    let x = this._pool.call(this._conv.call(x0));
    x = this._pool.call(this._conv_2.call(this._conv_1.call(x)));
    x = this._pool.call(this._ince3b.call(this._ince3a.call(x)));
    const ince4a = this._ince4a.call(x);
    x = this._ince4c.call(this._ince4b.call(ince4a));
    const ince4d = this._ince4d.call(x);
    x = this._pool.call(this._ince4e.call(ince4d));
    const ince5b = this._ince5b.call(this._ince5a.call(x));
    const out = this._fc_out.call(this.flatten.call(this._drop.call(this._pool_5.call(ince5b))));
    if (!this.training) return out;

    const aux = (from: Tensor, pool: nn.AvgPool2D, conv: ConvLayer): Tensor => {
      const side = from.shape[this.dataFormat === 'NHWC' ? 1 : 2]!;
      if (side < 11 || side > 13) {
        throw new RangeError(
          `GoogLeNet: the auxiliary heads need 11 to 13 pixel maps at ince4a/ince4d (input sides 189 to 236), got ${side} ` +
            `from input shape [${inputs.shape.join(', ')}]; in eval mode they are not run`,
        );
      }
      return this.flatten.call(conv.call(pool.call(from)));
    };
    let a1 = this._fc_o1.call(aux(ince4a, this._pool_o1, this._conv_o1));
    a1 = this._out1.call(this._drop_o1.call(relu(a1)));
    // PaddleClas applies no ReLU here (unlike the first head); the weights expect it so.
    const a2 = this._out2.call(this._drop_o2.call(this._fc_o2.call(aux(ince4d, this._pool_o2, this._conv_o2))));
    return [out, a1, a2];
  }
}

export const MODELS: Record<string, BackboneFactory> = {
  GoogLeNet: (opts: BackboneOptions) => new GoogLeNetDY(readArchOptions('GoogLeNet', opts, { class_num: positiveInt(1000), data_format: dataFormat() })),
};
