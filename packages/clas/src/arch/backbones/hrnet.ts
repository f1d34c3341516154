/**
 * HRNet for classification (Wang et al., 2019, arXiv:1908.07919; the "_C" models), built as
 * PaddleClas 2.2+ builds it in `ppcls/arch/backbone/legendary_models/hrnet.py`: the same layer
 * classes and attribute names in the same order, so `stateDict()` keys, shapes and order equal
 * those of a PaddleClas `.pdparams` (`conv_layer1_1.conv.weight`, `layer1.0.conv_down.bn._mean`,
 * `st3.stage_func_list.2.basic_block_list.1.3.conv2.bn.weight`,
 * `st4.stage_func_list.0.fuse_func.residual_func_list.5.conv.weight`, `last_cls.func_list.3.conv3.bn.bias`,
 * `cls_head_conv_list.2.conv.weight`, `conv_last.bn._variance`, `fc.weight`, ...).
 *
 * Shape: a stem of two stride-2 convs, four bottlenecks, then stages with 2, 3 and 4 parallel
 * branches (widths w, 2w, 4w, 8w at strides 4, 8, 16, 32) that exchange information in fuse
 * layers; the classification head turns each branch into 128·2^i channels with a bottleneck,
 * merges them from high to low resolution with stride-2 convs, and ends in a 2048-channel 1×1
 * conv, global average pooling and a linear classifier.
 */
import { add, interpolate, multiply, nn, squeeze, unsqueeze, type Tensor } from '@oar/core';
import type { BackboneFactory, BackboneOptions } from './registry';

type Act = 'relu' | null;

/** Conv (no bias, "same" padding) → BatchNorm → activation (Identity for none); members `conv`, `bn`, `act`. */
class ConvBNLayer extends nn.Layer {
  conv: nn.Conv2D;
  bn: nn.BatchNorm;
  act: nn.Layer;

  constructor(numChannels: number, numFilters: number, filterSize: number, stride = 1, groups = 1, act: Act = 'relu') {
    super();
    this.conv = new nn.Conv2D(numChannels, numFilters, filterSize, {
      stride,
      padding: Math.floor((filterSize - 1) / 2),
      groups,
      biasAttr: false,
    });
    this.bn = new nn.BatchNorm(numFilters);
    this.act = act === 'relu' ? new nn.ReLU() : new nn.Identity();
  }

  override forward(x: Tensor): Tensor {
    return this.act.call(this.bn.call(this.conv.call(x))) as Tensor;
  }
}

/** Squeeze-and-excitation with linear layers (members `fc_squeeze`, `fc_excitation`), for SE_HRNet. */
class SELayer extends nn.Layer {
  avg_pool: nn.AdaptiveAvgPool2D;
  fc_squeeze: nn.Linear;
  relu: nn.ReLU;
  fc_excitation: nn.Linear;
  sigmoid: nn.Sigmoid;

  constructor(numChannels: number, numFilters: number, reductionRatio: number) {
    super();
    const med = Math.floor(numChannels / reductionRatio);
    this.avg_pool = new nn.AdaptiveAvgPool2D(1);
    let stdv = 1 / Math.sqrt(numChannels);
    this.fc_squeeze = new nn.Linear(numChannels, med, { weightAttr: new nn.initializer.Uniform(-stdv, stdv) });
    this.relu = new nn.ReLU();
    stdv = 1 / Math.sqrt(med);
    this.fc_excitation = new nn.Linear(med, numFilters, { weightAttr: new nn.initializer.Uniform(-stdv, stdv) });
    this.sigmoid = new nn.Sigmoid();
  }

  override forward(x: Tensor): Tensor {
    let s = squeeze(this.avg_pool.call(x), [2, 3]);
    s = this.relu.call(this.fc_squeeze.call(s)) as Tensor;
    s = this.sigmoid.call(this.fc_excitation.call(s)) as Tensor;
    return multiply(x, unsqueeze(s, [2, 3]));
  }
}

/** 1×1 → 3×3 (stride) → 1×1 to 4·numFilters channels, with an optional projection shortcut. */
class BottleneckBlock extends nn.Layer {
  readonly has_se: boolean;
  readonly downsample: boolean;
  conv1: ConvBNLayer;
  conv2: ConvBNLayer;
  conv3: ConvBNLayer;
  conv_down?: ConvBNLayer;
  se?: SELayer;
  relu: nn.ReLU;

  constructor(numChannels: number, numFilters: number, hasSE: boolean, stride = 1, downsample = false) {
    super();
    this.has_se = hasSE;
    this.downsample = downsample;
    this.conv1 = new ConvBNLayer(numChannels, numFilters, 1, 1, 1, 'relu');
    this.conv2 = new ConvBNLayer(numFilters, numFilters, 3, stride, 1, 'relu');
    this.conv3 = new ConvBNLayer(numFilters, numFilters * 4, 1, 1, 1, null);
    // PaddleClas projects with a stride-1 conv, so a downsampling block needs stride 1 (it always has).
    if (downsample) this.conv_down = new ConvBNLayer(numChannels, numFilters * 4, 1, 1, 1, null);
    if (hasSE) this.se = new SELayer(numFilters * 4, numFilters * 4, 16);
    this.relu = new nn.ReLU();
  }

  override forward(x: Tensor): Tensor {
    const residual = this.conv_down ? this.conv_down.call(x) : x;
    let y = this.conv3.call(this.conv2.call(this.conv1.call(x)));
    if (this.se) y = this.se.call(y);
    return this.relu.call(add(residual, y)) as Tensor;
  }
}

/** Two 3×3 convs with an identity shortcut (the branch block of every stage). */
class BasicBlock extends nn.Layer {
  readonly has_se: boolean;
  conv1: ConvBNLayer;
  conv2: ConvBNLayer;
  se?: SELayer;
  relu: nn.ReLU;

  constructor(numChannels: number, numFilters: number, hasSE = false) {
    super();
    this.has_se = hasSE;
    this.conv1 = new ConvBNLayer(numChannels, numFilters, 3, 1, 1, 'relu');
    this.conv2 = new ConvBNLayer(numFilters, numFilters, 3, 1, 1, null);
    if (hasSE) this.se = new SELayer(numFilters, numFilters, 16);
    this.relu = new nn.ReLU();
  }

  override forward(x: Tensor): Tensor {
    let y = this.conv2.call(this.conv1.call(x));
    if (this.se) y = this.se.call(y);
    return this.relu.call(add(x, y)) as Tensor;
  }
}

/**
 * Upsamples the 1×1 projection of a lower-resolution branch to branch `i`'s size: by the exact
 * power of two when the sizes allow (what PaddleClas records, so exported programs match), else
 * to the target size itself. PaddleClas only has the first case and so needs inputs divisible by
 * 32; the second, with the same nearest-neighbour rule, lets 28×28 inputs through.
 */
function upsampleTo(x: Tensor, target: Tensor, factor: number): Tensor {
  const [h, w] = [target.shape[2]!, target.shape[3]!];
  if (x.shape[2]! * factor === h && x.shape[3]! * factor === w) return interpolate(x, { scaleFactor: factor, mode: 'nearest' });
  return interpolate(x, { size: [h, w], mode: 'nearest' });
}

/**
 * Exchanges information between branches: output i sums branch i, every lower-resolution branch
 * j > i (1×1 conv, then nearest upsampling) and every higher-resolution branch j < i (a chain of
 * i − j stride-2 3×3 convs). `residual_func_list` holds those convs in Paddle's order: for each
 * i, for each j ≠ i, the conv (j > i) or the chain (j < i).
 */
class FuseLayers extends nn.Layer {
  readonly _actual_ch: number;
  readonly _in_channels: readonly number[];
  residual_func_list: nn.LayerList;
  relu: nn.ReLU;

  constructor(inChannels: readonly number[], outChannels: readonly number[]) {
    super();
    this._actual_ch = inChannels.length;
    this._in_channels = inChannels;
    this.residual_func_list = new nn.LayerList();
    this.relu = new nn.ReLU();
    const n = inChannels.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) {
          this.residual_func_list.append(new ConvBNLayer(inChannels[j]!, outChannels[i]!, 1, 1, 1, null));
        } else if (j < i) {
          let pre = inChannels[j]!;
          for (let k = 0; k < i - j; k++) {
            const last = k === i - j - 1;
            // Intermediate steps keep branch j's width and use ReLU; the last reaches branch i's width, no activation.
            const out = last ? outChannels[i]! : outChannels[j]!;
            this.residual_func_list.append(new ConvBNLayer(pre, out, 3, 2, 1, last ? null : 'relu'));
            pre = out;
          }
        }
      }
    }
  }

  override forward(x: Tensor[]): Tensor[] {
    const out: Tensor[] = [];
    let idx = 0;
    const fn = (): ConvBNLayer => this.residual_func_list.at(idx++) as ConvBNLayer;
    for (let i = 0; i < this._in_channels.length; i++) {
      let residual = x[i]!;
      for (let j = 0; j < this._in_channels.length; j++) {
        if (j > i) {
          residual = add(residual, upsampleTo(fn().call(x[j]!), residual, 2 ** (j - i)));
        } else if (j < i) {
          let xj = x[j]!;
          for (let k = 0; k < i - j; k++) xj = fn().call(xj);
          residual = add(residual, xj);
        }
      }
      out.push(this.relu.call(residual) as Tensor);
    }
    return out;
  }
}

/** Four BasicBlocks per branch, then a fuse layer. */
class HighResolutionModule extends nn.Layer {
  basic_block_list: nn.LayerList;
  fuse_func: FuseLayers;

  constructor(numFilters: readonly number[], hasSE = false) {
    super();
    this.basic_block_list = new nn.LayerList(
      numFilters.map((c) => new nn.Sequential(...Array.from({ length: 4 }, () => new BasicBlock(c, c, hasSE)))),
    );
    this.fuse_func = new FuseLayers(numFilters, numFilters);
  }

  override forward(x: Tensor[]): Tensor[] {
    const out = x.map((xi, i) => (this.basic_block_list.at(i) as nn.Sequential).call(xi));
    return this.fuse_func.call(out);
  }
}

/** `numModules` high-resolution modules in a row. */
class Stage extends nn.Layer {
  readonly _num_modules: number;
  stage_func_list: nn.LayerList;

  constructor(numModules: number, numFilters: readonly number[], hasSE = false) {
    super();
    this._num_modules = numModules;
    this.stage_func_list = new nn.LayerList(Array.from({ length: numModules }, () => new HighResolutionModule(numFilters, hasSE)));
  }

  override forward(x: Tensor[]): Tensor[] {
    let y = x;
    for (let i = 0; i < this._num_modules; i++) y = (this.stage_func_list.at(i) as HighResolutionModule).call(y);
    return y;
  }
}

/** One downsampling bottleneck per branch, to 128, 256, 512, 1024 channels. */
class LastClsOut extends nn.Layer {
  func_list: nn.LayerList;

  constructor(numChannelList: readonly number[], hasSE: boolean, numFiltersList: readonly number[] = [32, 64, 128, 256]) {
    super();
    this.func_list = new nn.LayerList(numChannelList.map((c, i) => new BottleneckBlock(c, numFiltersList[i]!, hasSE, 1, true)));
  }

  override forward(x: Tensor[]): Tensor[] {
    return x.map((xi, i) => (this.func_list.at(i) as BottleneckBlock).call(xi));
  }
}

export interface HRNetOptions {
  /** Width of the highest-resolution branch (18, 30, 32, 40, 44, 48, 60, 64). */
  width?: number;
  /** Squeeze-and-excitation in every block (the SE_HRNet models). */
  has_se?: boolean;
  class_num?: number;
}

/** HRNet classification model; `forward(x)` maps [N, 3, H, W] images to [N, class_num] logits. */
export class HRNet extends nn.Layer {
  readonly width: number;
  readonly has_se: boolean;
  readonly _class_num: number;
  conv_layer1_1: ConvBNLayer;
  conv_layer1_2: ConvBNLayer;
  layer1: nn.Sequential;
  conv_tr1_1: ConvBNLayer;
  conv_tr1_2: ConvBNLayer;
  st2: Stage;
  conv_tr2: ConvBNLayer;
  st3: Stage;
  conv_tr3: ConvBNLayer;
  st4: Stage;
  last_cls: LastClsOut;
  cls_head_conv_list: nn.LayerList;
  conv_last: ConvBNLayer;
  avg_pool: nn.AdaptiveAvgPool2D;
  flatten: nn.Flatten;
  fc: nn.Linear;

  constructor(opts: HRNetOptions = {}) {
    super();
    const w = (this.width = opts.width ?? 18);
    const hasSE = (this.has_se = opts.has_se ?? false);
    this._class_num = opts.class_num ?? 1000;
    const ch2 = [w, 2 * w];
    const ch3 = [w, 2 * w, 4 * w];
    const ch4 = [w, 2 * w, 4 * w, 8 * w];

    this.conv_layer1_1 = new ConvBNLayer(3, 64, 3, 2, 1, 'relu');
    this.conv_layer1_2 = new ConvBNLayer(64, 64, 3, 2, 1, 'relu');
    this.layer1 = new nn.Sequential(...Array.from({ length: 4 }, (_, i) => new BottleneckBlock(i === 0 ? 64 : 256, 64, hasSE, 1, i === 0)));
    this.conv_tr1_1 = new ConvBNLayer(256, w, 3);
    this.conv_tr1_2 = new ConvBNLayer(256, 2 * w, 3, 2);
    this.st2 = new Stage(1, ch2, hasSE);
    this.conv_tr2 = new ConvBNLayer(2 * w, 4 * w, 3, 2);
    this.st3 = new Stage(4, ch3, hasSE);
    this.conv_tr3 = new ConvBNLayer(4 * w, 8 * w, 3, 2);
    this.st4 = new Stage(3, ch4, hasSE);

    const numFiltersList = [32, 64, 128, 256];
    this.last_cls = new LastClsOut(ch4, hasSE, numFiltersList);
    const lastNumFilters = [256, 512, 1024];
    this.cls_head_conv_list = new nn.LayerList(lastNumFilters.map((c, i) => new ConvBNLayer(numFiltersList[i]! * 4, c, 3, 2)));
    this.conv_last = new ConvBNLayer(1024, 2048, 1, 1);
    this.avg_pool = new nn.AdaptiveAvgPool2D(1);
    this.flatten = new nn.Flatten(1, -1);
    const stdv = 1 / Math.sqrt(2048);
    this.fc = new nn.Linear(2048, this._class_num, { weightAttr: new nn.initializer.Uniform(-stdv, stdv) });
  }

  override forward(x: Tensor): Tensor {
    let y = this.conv_layer1_2.call(this.conv_layer1_1.call(x));
    y = this.layer1.call(y);
    let xs = this.st2.call([this.conv_tr1_1.call(y), this.conv_tr1_2.call(y)]);
    xs = this.st3.call([...xs, this.conv_tr2.call(xs[xs.length - 1]!)]);
    xs = this.st4.call([...xs, this.conv_tr3.call(xs[xs.length - 1]!)]);
    xs = this.last_cls.call(xs);
    let h = xs[0]!;
    for (let i = 0; i < 3; i++) h = add(xs[i + 1]!, (this.cls_head_conv_list.at(i) as ConvBNLayer).call(h));
    h = this.conv_last.call(h);
    h = this.avg_pool.call(h);
    h = this.flatten.call(h);
    return this.fc.call(h);
  }
}

// ---- Arch options -----------------------------------------------------------------------------

/**
 * Checks the `Arch` parameters of a PaddleClas HRNet factory. `width` is fixed by the name, as
 * is `has_se` for the SE_ models (PaddleClas passes both itself, so repeating them fails there
 * too); `name` is tolerated because it sits beside them in `Arch`.
 */
function hrnetOptions(model: string, o: BackboneOptions, seFixed: boolean): Pick<HRNetOptions, 'class_num' | 'has_se'> {
  const known = ['class_num', 'pretrained', 'use_ssld', 'name', ...(seFixed ? [] : ['has_se'])];
  for (const k of Object.keys(o)) {
    if (k === 'width' || (seFixed && k === 'has_se')) throw new RangeError(`${model}: "${k}" is fixed by the model name; choose another HRNet variant instead`);
    if (!known.includes(k)) throw new RangeError(`${model}: unknown Arch parameter "${k}"; accepted: ${known.filter((n) => n !== 'name').join(', ')}`);
  }
  if (o.pretrained !== undefined && o.pretrained !== false) {
    throw new RangeError(`${model}: pretrained weights are not downloaded by the model; load a .pdparams with Global.pretrained_model`);
  }
  if (o.use_ssld !== undefined && typeof o.use_ssld !== 'boolean') throw new TypeError(`${model}: use_ssld must be a boolean`);
  const c = o.class_num;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c <= 0)) {
    throw new RangeError(`${model}: class_num must be a positive integer, got ${JSON.stringify(c)}`);
  }
  if (o.has_se !== undefined && typeof o.has_se !== 'boolean') throw new TypeError(`${model}: has_se must be a boolean`);
  return { class_num: c as number | undefined, has_se: o.has_se as boolean | undefined };
}

/** The widths PaddleClas defines factories for (HRNet_W60_C and the SE_ models have no published weights). */
const WIDTHS = [18, 30, 32, 40, 44, 48, 60, 64];

/** Every HRNet by its PaddleClas name: `HRNet_W{18,...,64}_C` and `SE_HRNet_W{18,...,64}_C`. */
export const MODELS: Record<string, BackboneFactory> = {};
for (const width of WIDTHS) {
  const name = `HRNet_W${width}_C`;
  MODELS[name] = (opts: BackboneOptions = {}) => new HRNet({ has_se: false, ...hrnetOptions(name, opts, false), width });
}
for (const width of WIDTHS) {
  const name = `SE_HRNet_W${width}_C`;
  MODELS[name] = (opts: BackboneOptions = {}) => new HRNet({ ...hrnetOptions(name, opts, true), width, has_se: true });
}
