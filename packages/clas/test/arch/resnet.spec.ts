import { noGrad, randn, type Tensor } from '@oar/core';
import { BACKBONES } from '../../src/arch/backbones';
import { BasicBlock, BottleneckBlock, MODELS, RESNET_CONFIG, ResNet } from '../../src/arch/backbones/resnet';
import { ceLoss, expectClose, expectGradients, expectPublished, stateShapes, totalCount, trainableCount, withConstantInit, withFastInit } from './backbone-checks';

/**
 * Published parameter counts in millions: PaddleClas release/2.2,
 * docs/en/models/ResNet_and_vd_en.md, "Parameters(M)" column. They count trainable parameters
 * (BN _mean/_variance excluded) and are printed with three decimals but rounded to two
 * (11.690, 25.560), so the tolerance is ±0.005M. The exact counts follow from the architecture,
 * including PaddleClas's projection shortcut on every stage's first block (ResNet18/34 too).
 *
 * The newer table (develop, docs/en/algorithm_introduction/ImageNet_models_en.md) counts every
 * parameter, BN statistics included: ResNet50 25.61, ResNet50_vd 25.63; checked below.
 */
const COUNTS: Record<string, { exact: number; published: number }> = {
  ResNet18: { exact: 11_693_736, published: 11.69 },
  ResNet18_vd: { exact: 11_712_968, published: 11.71 },
  ResNet34: { exact: 21_801_896, published: 21.8 },
  ResNet34_vd: { exact: 21_821_128, published: 21.82 },
  ResNet50: { exact: 25_557_032, published: 25.56 },
  ResNet50_vd: { exact: 25_576_264, published: 25.58 },
  ResNet101: { exact: 44_549_160, published: 44.55 },
  ResNet101_vd: { exact: 44_568_392, published: 44.57 },
  ResNet152: { exact: 60_192_808, published: 60.19 },
  ResNet152_vd: { exact: 60_212_040, published: 60.21 },
  ResNet200_vd: { exact: 74_738_504, published: 74.74 },
};

const WITH_STATS: Record<string, { exact: number; published: number }> = {
  ResNet50: { exact: 25_610_152, published: 25.61 },
  ResNet50_vd: { exact: 25_629_512, published: 25.63 },
};

describe('ResNet (PaddleClas legendary_models/resnet.py)', () => {
  it('registers every depth and _vd variant by PaddleClas name', () => {
    expect(Object.keys(MODELS).sort()).toEqual(Object.keys(COUNTS).sort());
    for (const name of Object.keys(MODELS)) expect(BACKBONES[name]).toBe(MODELS[name]);
  });

  it.each(Object.entries(COUNTS))('%s has PaddleClas\'s parameter count', (name, { exact, published }) => {
    const model = withConstantInit(() => MODELS[name]!({}));
    const trainable = trainableCount(model);
    const total = totalCount(model);
    model.dispose();
    expect(trainable).toBe(exact);
    expectPublished(trainable, published, 2);
    const stats = WITH_STATS[name];
    if (stats) {
      expect(total).toBe(stats.exact);
      expectPublished(total, stats.published, 2);
    }
  });

  it('uses Paddle\'s structured names and shapes (ResNet50_vd)', () => {
    const model = withConstantInit(() => MODELS.ResNet50_vd!({ class_num: 10 }));
    const shapes = stateShapes(model);
    // 3 stem + 16·3 block + 4 shortcut ConvBNLayers, 5 entries each, plus fc.weight and fc.bias.
    expect(shapes.size).toBe((3 + 48 + 4) * 5 + 2);
    // Paddle's order within a ConvBNLayer: conv, then bn's parameters and statistics.
    expect([...shapes.keys()].slice(0, 6)).toEqual([
      'stem.0.conv.weight',
      'stem.0.bn.weight',
      'stem.0.bn.bias',
      'stem.0.bn._mean',
      'stem.0.bn._variance',
      'stem.1.conv.weight',
    ]);
    const expected: Record<string, number[]> = {
      'stem.0.conv.weight': [32, 3, 3, 3],
      'stem.1.conv.weight': [32, 32, 3, 3],
      'stem.2.conv.weight': [64, 32, 3, 3],
      'stem.2.bn._variance': [64],
      'blocks.0.conv0.conv.weight': [64, 64, 1, 1],
      'blocks.0.conv2.conv.weight': [256, 64, 1, 1],
      'blocks.0.short.conv.weight': [256, 64, 1, 1],
      'blocks.1.conv0.conv.weight': [64, 256, 1, 1],
      'blocks.3.conv1.conv.weight': [128, 128, 3, 3],
      'blocks.3.short.conv.weight': [512, 256, 1, 1],
      'blocks.13.short.bn.weight': [2048],
      'blocks.15.conv2.bn._mean': [2048],
      'fc.weight': [2048, 10],
      'fc.bias': [10],
    };
    for (const [k, s] of Object.entries(expected)) expect([k, shapes.get(k)]).toEqual([k, s]);
    expect(shapes.has('blocks.1.short.conv.weight')).toBe(false);
    expect([...shapes.keys()].filter((k) => k.endsWith('conv.bias'))).toEqual([]);
    model.dispose();
  });

  it('projects with average pooling in vd shortcuts, with a strided 1x1 convolution in vb', () => {
    const vd = withConstantInit(() => MODELS.ResNet50_vd!({ class_num: 10 }) as ResNet);
    const vb = withConstantInit(() => MODELS.ResNet50!({ class_num: 10 }) as ResNet);
    const short = (m: ResNet, i: number) => (m.blocks.at(i) as BottleneckBlock).short!;
    // The first block keeps its resolution, so even vd projects it without pooling.
    expect([short(vd, 0).isVdMode, short(vd, 3).isVdMode, short(vd, 3).conv.stride]).toEqual([false, true, 1]);
    expect([short(vb, 0).isVdMode, short(vb, 3).isVdMode, short(vb, 3).conv.stride]).toEqual([false, false, 2]);
    expect(vd.stem.length).toBe(3);
    expect(vb.stem.length).toBe(1);
    vd.dispose();
    vb.dispose();
  });

  it('gives ResNet18/34 a first-block projection unless use_first_short_conv is false', () => {
    const paddle = withConstantInit(() => MODELS.ResNet18!({}) as ResNet);
    const paper = withConstantInit(() => MODELS.ResNet18!({ use_first_short_conv: false }) as ResNet);
    expect(stateShapes(paddle).get('blocks.0.short.conv.weight')).toEqual([64, 64, 1, 1]);
    expect((paper.blocks.at(0) as BasicBlock).short).toBeUndefined();
    expect(trainableCount(paddle) - trainableCount(paper)).toBe(64 * 64 + 2 * 64);
    paddle.dispose();
    paper.dispose();
  });

  it('scales each stage\'s learning rate by lr_mult_list', () => {
    const mult = [0.1, 0.2, 0.3, 0.4, 0.5];
    const model = withConstantInit(() => MODELS.ResNet50_vd!({ lr_mult_list: mult }));
    // ResNet50's stages hold blocks 0-2, 3-6, 7-12, 13-15.
    const stageOf = (block: number): number => (block < 3 ? 1 : block < 7 ? 2 : block < 13 ? 3 : 4);
    for (const [name, p] of model.namedParameters()) {
      if (!p.trainable) continue;
      const m = /^blocks\.(\d+)\./.exec(name);
      const want = name.startsWith('stem.') ? mult[0] : m ? mult[stageOf(Number(m[1]))] : 1;
      expect([name, p.learningRate]).toEqual([name, want]);
    }
    model.dispose();
  });

  it('initializes fc uniformly within ±1/sqrt(channels), as PaddleClas', () => {
    // withFastInit replaces only the weights that name no initializer; fc names Uniform.
    const model = withFastInit(() => MODELS.ResNet50!({ class_num: 10 }) as ResNet);
    const w = model.fc.weight.dataSync();
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i] as number;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    const stdv = 1 / Math.sqrt(2048);
    expect(hi).toBeLessThanOrEqual(stdv);
    expect(lo).toBeGreaterThanOrEqual(-stdv);
    expect(hi - lo).toBeGreaterThan(1.9 * stdv);
    model.dispose();
  });

  it('rejects options PaddleClas does not have and ill-formed ones', () => {
    expect(() => MODELS.ResNet50!({ lr_mult_list: [1, 1, 1, 1] })).toThrow(/lr_mult_list must be a list of 5/);
    expect(() => MODELS.ResNet50!({ stride_list: [2, 2, 2, 2, 1.5] })).toThrow(/stride_list must be a list of 5/);
    expect(() => MODELS.ResNet18!({ layer_type: 'DiverseBranchBlock' })).toThrow(/layer_type must be one of "ConvBNLayer"/);
    expect(() => MODELS.ResNet50!({ depth: 50 })).toThrow(/unknown Arch option "depth"/);
    expect(() => MODELS.ResNet50!({ data_format: 'NCWH' })).toThrow(/data_format must be one of/);
  });

  // Weights from FastHeUniform (see backbone-checks): random enough for gradient flow, and far
  // cheaper than Philox draws inside jest. Batch 2, class_num 10.
  it.each([
    ['ResNet18', 32] as const,
    ['ResNet50', 32] as const,
    // 28 makes the second stage's input 7x7: the vd shortcut's SAME average pool must give 4x4,
    // as the strided 3x3 convolution does.
    ['ResNet50_vd', 28] as const,
  ])('%s trains at %s pixels a side: logits, and gradients for every trainable parameter', (name, size) => {
    const model = withFastInit(() => MODELS[name]!({ class_num: 10 }) as ResNet);
    const out: Tensor = model.call(randn([2, 3, size, size]));
    expect(out.shape).toEqual([2, 10]);
    const { trainable, frozen } = expectGradients(model, ceLoss(out));
    // Each ConvBNLayer trains conv.weight, bn.weight and bn.bias; bn._mean and _variance are statistics.
    expect(trainable.length).toBe(frozen.length * 1.5 + 2);
    // Training updated the running statistics (they start at 0 and 1).
    const runningMean = model.stem.at(0).stateDict().get('bn._mean')!.toArray() as number[];
    expect(runningMean.some((v) => v !== 0)).toBe(true);
    model.eval();
    const evalOut = noGrad(() => model.call(randn([1, 3, size, size])));
    expect(evalOut.shape).toEqual([1, 10]);
    model.dispose();
  }, 60_000);

  it('computes the same logits channels-last (data_format NHWC) from the same weights', () => {
    const nchw = withFastInit(() => MODELS.ResNet18_vd!({ class_num: 5 }) as ResNet);
    const nhwc = withConstantInit(() => MODELS.ResNet18_vd!({ class_num: 5, data_format: 'NHWC' }) as ResNet);
    // Conv weights stay [out, in, kh, kw] in either layout, so the state dicts are interchangeable.
    nhwc.setStateDict(nchw.stateDict());
    const x = randn([2, 3, 27, 27]);
    // Training mode normalizes with batch statistics, eval mode with the running ones.
    expectClose(noGrad(() => nhwc.call(x)), noGrad(() => nchw.call(x)));
    expectClose(noGrad(() => nhwc.eval().call(x)), noGrad(() => nchw.eval().call(x)));
    nchw.dispose();
    nhwc.dispose();
  });

  it('lists its configurations as PaddleClas does', () => {
    expect(RESNET_CONFIG[34]).toEqual({ block_type: 'BasicBlock', block_depth: [3, 4, 6, 3], num_channels: [64, 64, 128, 256] });
    expect(RESNET_CONFIG[152].block_depth).toEqual([3, 8, 36, 3]);
  });
});
