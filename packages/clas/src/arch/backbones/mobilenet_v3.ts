/**
 * MobileNetV3 large and small (Howard et al., 2019, arXiv:1905.02244), built as PaddleClas 2.2+
 * builds it in `ppcls/arch/backbone/legendary_models/mobilenet_v3.py`: the same layer classes
 * with the same attribute names in the same order, so `stateDict()` keys, shapes and order
 * equal those of a PaddleClas `.pdparams` (`conv.conv.weight`, `blocks.3.mid_se.conv1.bias`,
 * `last_second_conv.bn._variance`, `last_conv.weight`, `fc.weight`, ...).
 */
import { add, hardSigmoid, multiply, nn, optim, type Tensor } from '@oar/core';
import type { BackboneFactory, BackboneOptions } from './registry';

type Act = 'relu' | 'hardswish' | null;

/** One inverted-residual block: kernel, expanded channels, output channels, SE, activation, stride. */
type BlockSpec = readonly [k: number, exp: number, c: number, se: boolean, act: Exclude<Act, null>, s: number];

/** The block tables of the paper (Tables 1 and 2), as PaddleClas's NET_CONFIG lists them. */
const NET_CONFIG: Record<'large' | 'small', readonly BlockSpec[]> = {
  large: [
    [3, 16, 16, false, 'relu', 1],
    [3, 64, 24, false, 'relu', 2],
    [3, 72, 24, false, 'relu', 1],
    [5, 72, 40, true, 'relu', 2],
    [5, 120, 40, true, 'relu', 1],
    [5, 120, 40, true, 'relu', 1],
    [3, 240, 80, false, 'hardswish', 2],
    [3, 200, 80, false, 'hardswish', 1],
    [3, 184, 80, false, 'hardswish', 1],
    [3, 184, 80, false, 'hardswish', 1],
    [3, 480, 112, true, 'hardswish', 1],
    [3, 672, 112, true, 'hardswish', 1],
    [5, 672, 160, true, 'hardswish', 2],
    [5, 960, 160, true, 'hardswish', 1],
    [5, 960, 160, true, 'hardswish', 1],
  ],
  small: [
    [3, 16, 16, true, 'relu', 2],
    [3, 72, 24, false, 'relu', 2],
    [3, 88, 24, false, 'relu', 1],
    [5, 96, 40, true, 'hardswish', 2],
    [5, 240, 40, true, 'hardswish', 1],
    [5, 240, 40, true, 'hardswish', 1],
    [5, 120, 48, true, 'hardswish', 1],
    [5, 144, 48, true, 'hardswish', 1],
    [5, 288, 96, true, 'hardswish', 2],
    [5, 576, 96, true, 'hardswish', 1],
    [5, 576, 96, true, 'hardswish', 1],
  ],
};

/** Channels of the 1×1 conv before pooling, per variant (before scaling). */
const CLASS_SQUEEZE = { large: 960, small: 576 } as const;

/**
 * Rounds a scaled channel count to a multiple of `divisor` (at least `divisor`), going up one
 * step when plain rounding would lose more than 10%: the rule every MobileNet port shares, and
 * the reason scaled widths (and so parameter counts) match the reference exactly.
 */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

function createAct(act: Act): nn.Layer | null {
  if (act === 'relu') return new nn.ReLU();
  if (act === 'hardswish') return new nn.Hardswish();
  return null;
}

/** Scale and shift of the batch norms are excluded from weight decay, as in PaddleClas. */
const noDecay = (): nn.ParamAttr => new nn.ParamAttr({ regularizer: new optim.L2Decay(0) });

/** Conv (no bias) → BatchNorm → optional activation; members `conv`, `bn`, `act`. */
class ConvBNLayer extends nn.Layer {
  conv: nn.Conv2D;
  bn: nn.BatchNorm;
  act: nn.Layer | null;

  constructor(inC: number, outC: number, filterSize: number, stride: number, padding: number, groups: number, act: Act) {
    super();
    this.conv = new nn.Conv2D(inC, outC, filterSize, { stride, padding, groups, biasAttr: false });
    this.bn = new nn.BatchNorm(outC, { paramAttr: noDecay(), biasAttr: noDecay() });
    this.act = createAct(act);
  }

  override forward(x: Tensor): Tensor {
    const y = this.bn.call(this.conv.call(x));
    return this.act ? (this.act.call(y) as Tensor) : y;
  }
}

/** clip(0.2·x + 0.5, 0, 1): PaddleClas's SE gate, whose slope differs from nn.Hardsigmoid's 1/6. */
class SEHardsigmoid extends nn.Layer {
  constructor(
    readonly slope = 0.2,
    readonly offset = 0.5,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return hardSigmoid(x, this.slope, this.offset);
  }
}

/** Squeeze-and-excitation with 1×1 convs (with biases): members `conv1`, `conv2`. */
class SEModule extends nn.Layer {
  avg_pool: nn.AdaptiveAvgPool2D;
  conv1: nn.Conv2D;
  relu: nn.ReLU;
  conv2: nn.Conv2D;
  hardsigmoid: SEHardsigmoid;

  constructor(channel: number, reduction = 4) {
    super();
    const mid = Math.floor(channel / reduction);
    this.avg_pool = new nn.AdaptiveAvgPool2D(1);
    this.conv1 = new nn.Conv2D(channel, mid, 1);
    this.relu = new nn.ReLU();
    this.conv2 = new nn.Conv2D(mid, channel, 1);
    this.hardsigmoid = new SEHardsigmoid(0.2, 0.5);
  }

  override forward(x: Tensor): Tensor {
    let s = this.avg_pool.call(x);
    s = this.conv1.call(s);
    s = this.relu.call(s) as Tensor;
    s = this.conv2.call(s);
    s = this.hardsigmoid.call(s);
    return multiply(x, s);
  }
}

/** Expand (1×1) → depthwise k×k → optional SE → project (1×1), with identity shortcut when shapes allow. */
class ResidualUnit extends nn.Layer {
  readonly if_shortcut: boolean;
  readonly if_se: boolean;
  expand_conv: ConvBNLayer;
  bottleneck_conv: ConvBNLayer;
  mid_se?: SEModule;
  linear_conv: ConvBNLayer;

  constructor(inC: number, midC: number, outC: number, filterSize: number, stride: number, useSE: boolean, act: Act) {
    super();
    this.if_shortcut = stride === 1 && inC === outC;
    this.if_se = useSE;
    this.expand_conv = new ConvBNLayer(inC, midC, 1, 1, 0, 1, act);
    this.bottleneck_conv = new ConvBNLayer(midC, midC, filterSize, stride, Math.floor((filterSize - 1) / 2), midC, act);
    if (useSE) this.mid_se = new SEModule(midC);
    this.linear_conv = new ConvBNLayer(midC, outC, 1, 1, 0, 1, null);
  }

  override forward(x: Tensor): Tensor {
    let y = this.expand_conv.call(x);
    y = this.bottleneck_conv.call(y);
    if (this.mid_se) y = this.mid_se.call(y);
    y = this.linear_conv.call(y);
    return this.if_shortcut ? add(x, y) : y;
  }
}

export interface MobileNetV3Options {
  config: readonly BlockSpec[];
  scale?: number;
  class_num?: number;
  /** Channels of the stem conv before scaling (default 16). */
  inplanes?: number;
  /** Channels of the 1×1 conv before pooling, before scaling (960 large, 576 small). */
  class_squeeze?: number;
  /** Channels of the last 1×1 conv after pooling; not scaled (default 1280). */
  class_expand?: number;
  /** Dropout before the classifier; null removes the layer (default 0.2). */
  dropout_prob?: number | null;
}

/** MobileNetV3; `forward(x)` maps [N, 3, H, W] images to [N, class_num] logits. */
export class MobileNetV3 extends nn.Layer {
  readonly scale: number;
  readonly inplanes: number;
  readonly class_squeeze: number;
  readonly class_expand: number;
  readonly class_num: number;
  conv: ConvBNLayer;
  blocks: nn.Sequential;
  last_second_conv: ConvBNLayer;
  avg_pool: nn.AdaptiveAvgPool2D;
  last_conv: nn.Conv2D;
  hardswish: nn.Hardswish;
  dropout: nn.Dropout | null;
  flatten: nn.Flatten;
  fc: nn.Linear;

  constructor(opts: MobileNetV3Options) {
    super();
    const cfg = opts.config;
    const scale = (this.scale = opts.scale ?? 1.0);
    this.inplanes = opts.inplanes ?? 16;
    this.class_squeeze = opts.class_squeeze ?? CLASS_SQUEEZE.large;
    this.class_expand = opts.class_expand ?? 1280;
    this.class_num = opts.class_num ?? 1000;
    const dropoutProb = opts.dropout_prob === undefined ? 0.2 : opts.dropout_prob;

    this.conv = new ConvBNLayer(3, makeDivisible(this.inplanes * scale), 3, 2, 1, 1, 'hardswish');
    this.blocks = new nn.Sequential(
      ...cfg.map(([k, exp, c, se, act, s], i) => {
        const inC = makeDivisible(i === 0 ? this.inplanes * scale : cfg[i - 1]![2] * scale);
        return new ResidualUnit(inC, makeDivisible(scale * exp), makeDivisible(scale * c), k, s, se, act);
      }),
    );
    const squeeze = makeDivisible(scale * this.class_squeeze);
    this.last_second_conv = new ConvBNLayer(makeDivisible(cfg[cfg.length - 1]![2] * scale), squeeze, 1, 1, 0, 1, 'hardswish');
    this.avg_pool = new nn.AdaptiveAvgPool2D(1);
    this.last_conv = new nn.Conv2D(squeeze, this.class_expand, 1, { biasAttr: false });
    this.hardswish = new nn.Hardswish();
    // PaddleClas scales at inference ("downscale_in_infer"), so eval outputs match its weights.
    this.dropout = dropoutProb === null ? null : new nn.Dropout(dropoutProb, { mode: 'downscale_in_infer' });
    this.flatten = new nn.Flatten(1, -1);
    this.fc = new nn.Linear(this.class_expand, this.class_num);
  }

  override forward(x: Tensor): Tensor {
    let y = this.conv.call(x);
    y = this.blocks.call(y);
    y = this.last_second_conv.call(y);
    y = this.avg_pool.call(y);
    y = this.last_conv.call(y);
    y = this.hardswish.call(y) as Tensor;
    if (this.dropout) y = this.dropout.call(y);
    y = this.flatten.call(y);
    return this.fc.call(y);
  }
}

// ---- Arch options -----------------------------------------------------------------------------

/**
 * Checks the `Arch` parameters a PaddleClas MobileNetV3 factory accepts. `scale` and
 * `class_squeeze` are fixed by the model's name (PaddleClas passes them itself, so giving them
 * again is an error there too); `name` is tolerated because it sits beside them in `Arch`.
 */
function mobileNetV3Options(model: string, o: BackboneOptions): Omit<MobileNetV3Options, 'config' | 'scale' | 'class_squeeze'> {
  const known = ['class_num', 'inplanes', 'class_expand', 'dropout_prob', 'pretrained', 'use_ssld', 'name'];
  for (const k of Object.keys(o)) {
    if (k === 'scale' || k === 'class_squeeze') {
      throw new RangeError(`${model}: "${k}" is fixed by the model name; choose another MobileNetV3 variant instead`);
    }
    if (!known.includes(k)) throw new RangeError(`${model}: unknown Arch parameter "${k}"; accepted: ${known.filter((n) => n !== 'name').join(', ')}`);
  }
  if (o.pretrained !== undefined && o.pretrained !== false) {
    throw new RangeError(`${model}: pretrained weights are not downloaded by the model; load a .pdparams with Global.pretrained_model`);
  }
  if (o.use_ssld !== undefined && typeof o.use_ssld !== 'boolean') throw new TypeError(`${model}: use_ssld must be a boolean`);
  const posInt = (k: string): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${model}: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const p = o.dropout_prob;
  if (p !== undefined && p !== null && (typeof p !== 'number' || !(p >= 0 && p < 1))) {
    throw new RangeError(`${model}: dropout_prob must be a number in [0, 1) or null, got ${JSON.stringify(p)}`);
  }
  return {
    class_num: posInt('class_num'),
    inplanes: posInt('inplanes'),
    class_expand: posInt('class_expand'),
    dropout_prob: p as number | null | undefined,
  };
}

const SCALES: [string, number][] = [
  ['x0_35', 0.35],
  ['x0_5', 0.5],
  ['x0_75', 0.75],
  ['x1_0', 1.0],
  ['x1_25', 1.25],
];

/** Every MobileNetV3 by its PaddleClas name: `MobileNetV3_{small,large}_x{0_35,0_5,0_75,1_0,1_25}`. */
export const MODELS: Record<string, BackboneFactory> = {};
for (const kind of ['small', 'large'] as const) {
  for (const [suffix, scale] of SCALES) {
    const name = `MobileNetV3_${kind}_${suffix}`;
    MODELS[name] = (opts: BackboneOptions = {}) =>
      new MobileNetV3({ ...mobileNetV3Options(name, opts), config: NET_CONFIG[kind], scale, class_squeeze: CLASS_SQUEEZE[kind] });
  }
}
