import { crossEntropy, nn, Parameter, randint, randn, seed, tensor, type DType, type Shape, type Tensor } from '@oar/core';
import { MODELS } from '../../src/arch/backbones/hrnet';

/**
 * Published parameter counts in millions, from PaddleClas release/2.3
 * `docs/en/algorithm_introduction/ImageNet_models_en.md` (section "HRNet series" and the SSLD
 * table for SE_HRNet_W64_C_ssld; column Params(M)). The page says they were computed with
 * `paddle.flops()`, which sums every parameter, BatchNorm running statistics (`_mean`,
 * `_variance`: parameters with trainable=False in Paddle) included; all eight agree with our
 * totals to the two decimals printed. (The older `docs/en/models/HRNet_en.md`, release/2.2,
 * gives 21.290 for W18 and so on, which matches neither the total nor the trainable count,
 * 21,295,164, of the architecture in `legendary_models/hrnet.py`; it is not used here.)
 * HRNet_W60_C and SE_HRNet_W{18..60}_C have factories in PaddleClas but no published figure;
 * they are checked by construction rules below.
 *
 * The exact totals are ours, pinned so that any change to the structure is noticed.
 */
const PUBLISHED: [name: string, publishedM: number, total: number][] = [
  ['HRNet_W18_C', 21.35, 21346380],
  ['HRNet_W30_C', 37.78, 37779660],
  ['HRNet_W32_C', 41.3, 41303464],
  ['HRNet_W40_C', 57.64, 57641320],
  ['HRNet_W44_C', 67.16, 67155832],
  ['HRNet_W48_C', 77.57, 77567400],
  ['HRNet_W64_C', 128.18, 128184232],
  ['SE_HRNet_W64_C', 129.12, 129119392],
];
const WIDTHS = [18, 30, 32, 40, 44, 48, 60, 64];

// Jest runs test code in a vm context whose globals (Math, Number, ...) are looked up through
// interceptors, which makes hot loops touching them ~100× slower than under plain Node; the
// Philox-backed random initializers suffer most (seconds per million weights). These cached
// module-level copies keep the helpers below at native speed.
const { imul, sqrt, floor } = Math;
const finite = Number.isFinite;

/**
 * Pseudo-random uniform weights with variance 1/fan_in from an integer hash: the forward and
 * backward test needs varied, well-scaled weights, not Paddle's exact draws.
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

/**
 * Parameters at class_num 1000, BN statistics included, as paddle.flops counts them. The model is
 * built with class_num 1 and the other 999 classifier columns (Linear(2048, ·) weights and
 * biases) are added: drawing fc's 2M Uniform weights is most of the construction time under jest.
 */
function count(name: string): number {
  const m = MODELS[name]!({ class_num: 1 });
  let total = 0;
  for (const p of m.parameters()) total += p.size;
  m.dispose();
  return total + 999 * (2048 + 1);
}

describe('HRNet registry', () => {
  it('registers PaddleClas names for every width, with and without SE', () => {
    const names = WIDTHS.flatMap((w) => [`HRNet_W${w}_C`, `SE_HRNet_W${w}_C`]);
    expect(Object.keys(MODELS).sort()).toEqual(names.sort());
  });
});

describe('HRNet parameter counts', () => {
  // Constant weights: construction cost is then allocation only, and counts do not depend on values.
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  const totals = new Map<string, number>();
  const get = (name: string): number => {
    if (!totals.has(name)) totals.set(name, count(name));
    return totals.get(name)!;
  };

  it.each(PUBLISHED)('%s has %sM parameters as published', (name, publishedM, total) => {
    expect(Math.abs(get(name) / 1e6 - publishedM)).toBeLessThanOrEqual(0.005);
    expect(get(name)).toBe(total);
  });

  it('every width follows the same quadratic in w (so HRNet_W60_C is built by the published rule)', () => {
    // Every channel count is constant or linear in w, so the count is exactly a·w² + b·w + c:
    // the parabola through W18, W32 and W48 must give every other width exactly.
    const [x0, x1, x2] = [18, 32, 48];
    const [y0, y1, y2] = [x0, x1, x2].map((w) => get(`HRNet_W${w}_C`)) as [number, number, number];
    const at = (w: number): number =>
      (y0 * (w - x1) * (w - x2)) / ((x0 - x1) * (x0 - x2)) +
      (y1 * (w - x0) * (w - x2)) / ((x1 - x0) * (x1 - x2)) +
      (y2 * (w - x0) * (w - x1)) / ((x2 - x0) * (x2 - x1));
    for (const w of [30, 40, 44, 60, 64]) expect([w, Math.round(at(w))]).toEqual([w, get(`HRNet_W${w}_C`)]);
  });

  it('SE_HRNet adds exactly one SE layer per residual block', () => {
    // Widths where flooring C/16 matters at several branches (30: 1, 3, 7, 15; 44: 2, 5, 11, 22),
    // the smallest, and the published W64; the others differ only in w.
    // SE on C channels: Linear(C, C/16) and Linear(C/16, C), both with bias.
    const se = (c: number): number => {
      const m = floor(c / 16);
      return 2 * c * m + m + c;
    };
    const branches = (w: number, n: number): number => [1, 2, 4, 8].slice(0, n).reduce((s, f) => s + se(f * w), 0);
    const added = (w: number): number =>
      4 * se(256) + // layer1 bottlenecks
      1 * 4 * branches(w, 2) + // st2: 1 module × 4 basic blocks per branch
      4 * 4 * branches(w, 3) + // st3
      3 * 4 * branches(w, 4) + // st4
      [128, 256, 512, 1024].reduce((s, c) => s + se(c), 0); // last_cls bottlenecks
    for (const w of [18, 30, 44, 64]) expect([w, get(`SE_HRNet_W${w}_C`) - get(`HRNet_W${w}_C`)]).toEqual([w, added(w)]);
  });
});

describe('HRNet structured names', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it('HRNet_W18_C has PaddleClas keys, shapes and order', () => {
    const m = MODELS.HRNet_W18_C!({});
    const s = new Map([...m.stateDict()].map(([k, t]) => [k, [...t.shape]]));
    const keys = [...s.keys()];
    expect(keys.slice(0, 5)).toEqual([
      'conv_layer1_1.conv.weight',
      'conv_layer1_1.bn.weight',
      'conv_layer1_1.bn.bias',
      'conv_layer1_1.bn._mean',
      'conv_layer1_1.bn._variance',
    ]);
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    const expected: Record<string, number[]> = {
      'conv_layer1_2.conv.weight': [64, 64, 3, 3],
      'layer1.0.conv_down.conv.weight': [256, 64, 1, 1],
      'layer1.3.conv3.bn._variance': [256],
      'conv_tr1_1.conv.weight': [18, 256, 3, 3],
      'conv_tr1_2.conv.weight': [36, 256, 3, 3],
      'st2.stage_func_list.0.basic_block_list.1.3.conv2.conv.weight': [36, 36, 3, 3],
      'st2.stage_func_list.0.fuse_func.residual_func_list.0.conv.weight': [18, 36, 1, 1],
      'st2.stage_func_list.0.fuse_func.residual_func_list.1.conv.weight': [36, 18, 3, 3],
      'conv_tr2.conv.weight': [72, 36, 3, 3],
      'st3.stage_func_list.3.basic_block_list.2.0.conv1.bn.weight': [72],
      'conv_tr3.conv.weight': [144, 72, 3, 3],
      // Fuse order for 4 branches: output 3 from branch 0 is a chain of three stride-2 convs
      // (indices 10, 11, 12): the first two keep 18 channels, the last reaches 144.
      'st4.stage_func_list.2.fuse_func.residual_func_list.11.conv.weight': [18, 18, 3, 3],
      'st4.stage_func_list.2.fuse_func.residual_func_list.12.conv.weight': [144, 18, 3, 3],
      'st4.stage_func_list.2.fuse_func.residual_func_list.15.conv.weight': [144, 72, 3, 3],
      'last_cls.func_list.0.conv1.conv.weight': [32, 18, 1, 1],
      'last_cls.func_list.3.conv_down.conv.weight': [1024, 144, 1, 1],
      'cls_head_conv_list.0.conv.weight': [256, 128, 3, 3],
      'cls_head_conv_list.2.conv.weight': [1024, 512, 3, 3],
      'conv_last.conv.weight': [2048, 1024, 1, 1],
      'fc.weight': [2048, 1000],
      'fc.bias': [1000],
    };
    for (const [k, shape] of Object.entries(expected)) expect([k, s.get(k)]).toEqual([k, shape]);
    for (const k of [
      'layer1.1.conv_down.conv.weight',
      'st4.stage_func_list.0.fuse_func.residual_func_list.16.conv.weight',
      'st3.stage_func_list.4.fuse_func.residual_func_list.0.conv.weight',
      'conv_layer1_1.conv.bias',
      'layer1.0.se.fc_squeeze.weight',
    ]) {
      expect([k, s.has(k)]).toEqual([k, false]);
    }
    const mean = m.stateDict().get('conv_last.bn._mean') as Parameter;
    expect([mean.trainable, mean.stopGradient]).toEqual([false, true]);
    m.dispose();
  });

  it('SE_HRNet_W18_C adds fc_squeeze / fc_excitation to every block', () => {
    const m = MODELS.SE_HRNet_W18_C!({ class_num: 5 });
    const s = new Map([...m.stateDict()].map(([k, t]) => [k, [...t.shape]]));
    expect(s.get('layer1.0.se.fc_squeeze.weight')).toEqual([256, 16]);
    expect(s.get('layer1.0.se.fc_excitation.bias')).toEqual([256]);
    expect(s.get('st2.stage_func_list.0.basic_block_list.0.0.se.fc_squeeze.weight')).toEqual([18, 1]);
    expect(s.get('st4.stage_func_list.2.basic_block_list.3.3.se.fc_excitation.weight')).toEqual([9, 144]);
    expect(s.get('last_cls.func_list.3.se.fc_squeeze.weight')).toEqual([1024, 64]);
    expect(s.get('fc.weight')).toEqual([2048, 5]);
    m.dispose();
  });
});

describe('HRNet options', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new nn.initializer.Constant(0), new nn.initializer.Constant(0)));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it('takes class_num and has_se as PaddleClas does, and rejects the rest', () => {
    const m = MODELS.HRNet_W18_C!({ class_num: 3, has_se: true });
    expect(m.stateDict().get('layer1.0.se.fc_squeeze.weight')!.shape).toEqual([256, 16]);
    expect(m.stateDict().get('fc.bias')!.shape).toEqual([3]);
    m.dispose();
    expect(() => MODELS.HRNet_W18_C!({ width: 32 })).toThrow(/fixed by the model name/);
    expect(() => MODELS.SE_HRNet_W18_C!({ has_se: false })).toThrow(/fixed by the model name/);
    expect(() => MODELS.HRNet_W18_C!({ class_nums: 3 })).toThrow(/unknown Arch parameter "class_nums"/);
    expect(() => MODELS.HRNet_W18_C!({ class_num: 2.5 })).toThrow(/class_num must be a positive integer/);
  });
});

describe('HRNet forward and backward on small inputs', () => {
  beforeAll(() => nn.initializer.setGlobalInitializer(new HashUniform()));
  afterAll(() => nn.initializer.setGlobalInitializer(null, null));

  it('HRNet_W18_C trains at 32×32 and predicts at 28×28', () => {
    seed(11);
    const m = MODELS.HRNet_W18_C!({ class_num: 10 });
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
    // Gradient reaches the lowest-resolution branch through the fuse layers and the head.
    const g = m.stateDict().get('st4.stage_func_list.0.basic_block_list.3.0.conv1.conv.weight')!.grad!;
    expect(g.abs().max().item()).toBeGreaterThan(0);

    // 28×28 gives branches of 7, 4, 2, 1 pixels: upsampling 4 → 7 is not a power of two.
    m.eval();
    const y = m.call(randn([2, 3, 28, 28])) as Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(allFinite(y)).toBe(true);
    m.dispose();
  });
});
