import { crossEntropy, nn, optim, Parameter, randint, randn, seed, tensor, type DType, type Shape, type Tensor } from '@oar/core';
import { MODELS, makeDivisible } from '../../src/arch/backbones/mobilenet_v3';

/**
 * Published parameter counts in millions, from PaddleClas release/2.3
 * `docs/en/algorithm_introduction/ImageNet_models_en.md` (section "Mobile series", column
 * Params(M); the same figures are in `docs/zh_CN/models/ImageNet1k/model_list.md` on develop).
 * That page says they were computed with `paddle.flops()`, which sums every parameter of the
 * model, so they include the BatchNorm running statistics (`_mean`, `_variance`, parameters with
 * trainable=False in Paddle): all ten agree with our totals to the two decimals printed.
 * The older `docs/en/models/Mobile_en.md` (release/2.2) lists slightly different figures
 * (large_x1_0 5.47, small_x0_35 1.66, ...) that match neither the total nor the trainable count
 * of the architecture in `legendary_models/mobilenet_v3.py` (trainable large_x1_0 = 5,480,206),
 * so they are not used here.
 *
 * The exact counts (total incl. BN statistics / trainable) are ours, pinned so that any change
 * to the structure is noticed.
 */
const COUNTS: [name: string, publishedM: number, total: number, trainable: number][] = [
  ['MobileNetV3_small_x0_35', 1.67, 1670226, 1665954],
  ['MobileNetV3_small_x0_5', 1.91, 1908696, 1902536],
  ['MobileNetV3_small_x0_75', 2.38, 2384338, 2375106],
  ['MobileNetV3_small_x1_0', 2.95, 2952102, 2939958],
  ['MobileNetV3_small_x1_25', 3.64, 3642650, 3627370],
  ['MobileNetV3_large_x0_35', 2.11, 2112920, 2104328],
  ['MobileNetV3_large_x0_5', 2.69, 2685790, 2673422],
  ['MobileNetV3_large_x0_75', 3.93, 3930696, 3912248],
  ['MobileNetV3_large_x1_0', 5.5, 5504638, 5480206],
  ['MobileNetV3_large_x1_25', 7.47, 7473948, 7443308],
];

// Jest runs test code in a vm context whose globals (Math, Number, ...) are looked up through
// interceptors, which makes hot loops touching them ~100× slower than under plain Node; the
// Philox-backed random initializers suffer most (seconds per million weights). These cached
// module-level copies keep the helpers below at native speed.
const { imul, sqrt } = Math;
const finite = Number.isFinite;

/**
 * Pseudo-random uniform weights with variance 1/fan_in from an integer hash: the forward and
 * backward tests need varied, well-scaled weights, not Paddle's exact draws.
 */
class HashUniform extends nn.initializer.Initializer {
  private calls = 0;

  generate(shape: Shape, dtype: DType): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = sqrt(3 / nn.initializer.computeFans(shape).fanIn);
    const a = new Float32Array(n);
    let h = imul(++this.calls, 0x9e3779b1);
    for (let i = 0; i < n; i++) {
      h = imul(h ^ (h >>> 15), 0x2c1b3c6d) + i;
      h = imul(h ^ (h >>> 12), 0x297a2d39);
      a[i] = (((h ^ (h >>> 15)) >>> 8) / 16777216 - 0.5) * 2 * bound;
    }
    return tensor(a, { shape, dtype });
  }
}

const allFinite = (t: Tensor | null): boolean => {
  if (!t) return false;
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) if (!finite(d[i])) return false;
  return true;
};

const shapes = (m: nn.Layer): Map<string, number[]> => new Map([...m.stateDict()].map(([k, t]) => [k, [...t.shape]]));

describe('MobileNetV3 registry', () => {
  it('registers exactly PaddleClas names for both sizes at scales 0.35 to 1.25', () => {
    expect(Object.keys(MODELS).sort()).toEqual(COUNTS.map(([n]) => n).sort());
  });

  it('makeDivisible rounds to multiples of 8 and never loses more than 10%', () => {
    expect(makeDivisible(16 * 0.35)).toBe(8); // minimum is the divisor
    expect(makeDivisible(72 * 0.35)).toBe(24);
    expect(makeDivisible(960 * 1.25)).toBe(1200);
    expect(makeDivisible(11)).toBe(16); // 8 would lose 27%, so it steps up
  });
});

describe('MobileNetV3 parameter counts', () => {
  // Constant weights: construction cost is then allocation only, and counts do not depend on values.
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it.each(COUNTS)('%s has %sM parameters as published', (name, publishedM, total, trainable) => {
    const m = MODELS[name]!({});
    let all = 0;
    let train = 0;
    for (const p of m.parameters()) {
      all += p.size;
      if (p.trainable) train += p.size;
    }
    m.dispose();
    expect(Math.abs(all / 1e6 - publishedM)).toBeLessThanOrEqual(0.005);
    expect(all).toBe(total);
    expect(train).toBe(trainable);
  });
});

describe('MobileNetV3 structured names', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it('MobileNetV3_large_x1_0 has PaddleClas keys, shapes and order', () => {
    const m = MODELS.MobileNetV3_large_x1_0!({});
    const s = shapes(m);
    // conv(5) + 15 blocks × 3 ConvBN (5 each) + 8 SE blocks × 4 + last_second_conv(5) + last_conv(1) + fc(2)
    expect(s.size).toBe(5 + 15 * 15 + 8 * 4 + 5 + 1 + 2);
    const keys = [...s.keys()];
    expect(keys.slice(0, 5)).toEqual(['conv.conv.weight', 'conv.bn.weight', 'conv.bn.bias', 'conv.bn._mean', 'conv.bn._variance']);
    expect(keys.slice(-3)).toEqual(['last_conv.weight', 'fc.weight', 'fc.bias']);
    expect(s.get('conv.conv.weight')).toEqual([16, 3, 3, 3]);
    expect(s.get('blocks.0.expand_conv.conv.weight')).toEqual([16, 16, 1, 1]);
    expect(s.get('blocks.0.bottleneck_conv.conv.weight')).toEqual([16, 1, 3, 3]); // depthwise
    expect(s.get('blocks.3.bottleneck_conv.conv.weight')).toEqual([72, 1, 5, 5]);
    expect(s.get('blocks.3.mid_se.conv1.weight')).toEqual([18, 72, 1, 1]);
    expect(s.get('blocks.3.mid_se.conv1.bias')).toEqual([18]);
    expect(s.get('blocks.3.mid_se.conv2.weight')).toEqual([72, 18, 1, 1]);
    expect(s.get('blocks.14.linear_conv.bn._variance')).toEqual([160]);
    expect(s.get('last_second_conv.conv.weight')).toEqual([960, 160, 1, 1]);
    expect(s.get('last_conv.weight')).toEqual([1280, 960, 1, 1]);
    expect(s.get('fc.weight')).toEqual([1280, 1000]);
    expect(s.has('blocks.0.mid_se.conv1.weight')).toBe(false);
    expect(s.has('last_conv.bias')).toBe(false);
    expect(s.has('blocks.0.expand_conv.conv.bias')).toBe(false);
    m.dispose();
  });

  it('MobileNetV3_small_x0_35 scales the widths with makeDivisible', () => {
    const m = MODELS.MobileNetV3_small_x0_35!({});
    const s = shapes(m);
    expect(s.size).toBe(5 + 11 * 15 + 9 * 4 + 5 + 1 + 2);
    expect(s.get('conv.conv.weight')).toEqual([8, 3, 3, 3]);
    expect(s.get('blocks.0.mid_se.conv1.weight')).toEqual([2, 8, 1, 1]);
    expect(s.get('blocks.10.expand_conv.conv.weight')).toEqual([200, 32, 1, 1]);
    expect(s.get('last_second_conv.conv.weight')).toEqual([200, 32, 1, 1]);
    // class_expand is not scaled.
    expect(s.get('last_conv.weight')).toEqual([1280, 200, 1, 1]);
    m.dispose();
  });

  it('keeps BatchNorm statistics out of training and scale/shift out of weight decay', () => {
    const m = MODELS.MobileNetV3_small_x1_0!({});
    const sd = m.stateDict();
    const mean = sd.get('blocks.3.bottleneck_conv.bn._mean') as Parameter;
    expect(mean).toBeInstanceOf(Parameter);
    expect([mean.trainable, mean.stopGradient]).toEqual([false, true]);
    const scale = sd.get('blocks.3.bottleneck_conv.bn.weight') as Parameter;
    expect(scale.trainable).toBe(true);
    expect(scale.regularizer).toBeInstanceOf(optim.L2Decay);
    expect((scale.regularizer as optim.L2Decay).coeff).toBe(0);
    // Conv and linear weights follow the optimizer's decay.
    expect((sd.get('fc.weight') as Parameter).regularizer).toBeNull();
    m.dispose();
  });
});

describe('MobileNetV3 options', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it('takes class_num, class_expand, inplanes and dropout_prob', () => {
    const m = MODELS.MobileNetV3_small_x1_0!({ class_num: 7, class_expand: 512, inplanes: 24, dropout_prob: null });
    const s = shapes(m);
    expect(s.get('conv.conv.weight')).toEqual([24, 3, 3, 3]);
    expect(s.get('blocks.0.expand_conv.conv.weight')).toEqual([16, 24, 1, 1]);
    expect(s.get('last_conv.weight')).toEqual([512, 576, 1, 1]);
    expect(s.get('fc.weight')).toEqual([512, 7]);
    expect(m.namedSublayers().some(([k]) => k === 'dropout')).toBe(false);
    m.dispose();
  });

  it('rejects parameters fixed by the name, unknown ones and bad values', () => {
    expect(() => MODELS.MobileNetV3_large_x1_0!({ scale: 0.5 })).toThrow(/fixed by the model name/);
    expect(() => MODELS.MobileNetV3_large_x1_0!({ clas_num: 10 })).toThrow(/unknown Arch parameter "clas_num"/);
    expect(() => MODELS.MobileNetV3_large_x1_0!({ class_num: 0 })).toThrow(/class_num must be a positive integer/);
    expect(() => MODELS.MobileNetV3_large_x1_0!({ dropout_prob: 1.5 })).toThrow(/dropout_prob/);
    expect(() => MODELS.MobileNetV3_large_x1_0!({ pretrained: true })).toThrow(/Global.pretrained_model/);
  });
});

describe('MobileNetV3 forward and backward on small inputs', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new HashUniform()));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it.each(['MobileNetV3_small_x1_0', 'MobileNetV3_large_x1_0'])('%s trains at 32×32 and predicts at 28×28', (name) => {
    seed(7);
    const m = MODELS[name]!({ class_num: 10 });
    const logits = m.call(randn([2, 3, 32, 32])) as Tensor;
    expect(logits.shape).toEqual([2, 10]);
    const loss = crossEntropy(logits, randint(0, 10, [2, 1]));
    loss.backward();
    expect(finite(loss.item())).toBe(true);
    for (const [k, p] of m.namedParameters()) {
      // BatchNorm running statistics are parameters too, but not trainable: no gradient.
      if (!p.trainable) {
        expect([k, p.grad]).toEqual([k, null]);
        continue;
      }
      expect([k, p.grad?.shape, allFinite(p.grad)]).toEqual([k, p.shape, true]);
    }
    // The classifier sees every sample, so its gradient cannot be all zeros.
    expect(m.stateDict().get('fc.weight')!.grad!.abs().max().item()).toBeGreaterThan(0);
    // Training mode updated the running statistics from their initial 0.
    expect(m.stateDict().get('conv.bn._mean')!.abs().max().item()).toBeGreaterThan(0);

    m.eval();
    const y = m.call(randn([2, 3, 28, 28])) as Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(allFinite(y)).toBe(true);
    m.dispose();
  });
});
