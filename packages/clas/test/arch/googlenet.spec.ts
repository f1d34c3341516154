import { noGrad, randn, scale, add, type Tensor } from '@oar/core';
import { BACKBONES } from '../../src/arch/backbones';
import { GoogLeNetDY, MODELS, type GoogLeNetTrainOutput } from '../../src/arch/backbones/googlenet';
import { ceLoss, expectClose, expectGradients, expectPublished, stateShapes, trainableCount, withConstantInit, withFastInit } from './backbone-checks';

/**
 * Published count: PaddleClas develop, docs/en/algorithm_introduction/ImageNet_models_en.md,
 * GoogLeNet row, "Params(M)" 11.54: the whole model with both auxiliary heads, which is what
 * GoogLeNet_pretrained.pdparams holds. (release/2.2 docs/en/models/Inception_en.md lists 8.46,
 * which matches neither the whole model nor the main path.) GoogLeNet has no batch norm, so
 * trainable and total counts are the same.
 *
 * Exact: bias-free convolutions 5,966,272; out 1024·1000+1000; each auxiliary head 128 1x1
 * filters on 512 (528) channels, 1152·1024+1024 and 1024·1000+1000: 11,535,736 in all.
 */
const EXACT = 11_535_736;
const MAIN_PATH = 5_966_272 + 1024 * 1000 + 1000;

describe('GoogLeNet (PaddleClas model_zoo/googlenet.py)', () => {
  it('registers GoogLeNet', () => {
    expect(Object.keys(MODELS)).toEqual(['GoogLeNet']);
    expect(BACKBONES.GoogLeNet).toBe(MODELS.GoogLeNet);
  });

  it('has PaddleClas\'s parameter count', () => {
    const model = withConstantInit(() => MODELS.GoogLeNet!({}));
    const count = trainableCount(model);
    const heads = ['_conv_o1.', '_fc_o1.', '_out1.', '_conv_o2.', '_fc_o2.', '_out2.'];
    const aux = model.namedParameters().filter(([k]) => heads.some((h) => k.startsWith(h)));
    model.dispose();
    expect(count).toBe(EXACT);
    expectPublished(count, 11.54, 2);
    expect(count - aux.reduce((n, [, p]) => n + p.size, 0)).toBe(MAIN_PATH);
  });

  it('uses Paddle\'s structured names and PaddleClas\'s parameter names', () => {
    const model = withConstantInit(() => MODELS.GoogLeNet!({ class_num: 10 }));
    const shapes = stateShapes(model);
    // 3 stem convolutions, 6 per Inception (9 of them), 2 auxiliary; 5 Linear layers with bias.
    expect(shapes.size).toBe(3 + 9 * 6 + 2 + 5 * 2);
    const state = model.stateDict();
    const expected: [string, string, number[]][] = [
      ['_conv._conv.weight', 'conv1_weights', [64, 3, 7, 7]],
      ['_conv_2._conv.weight', 'conv2_3x3_weights', [192, 64, 3, 3]],
      ['_ince3a._conv3r._conv.weight', 'inception_ince3a_3x3_reduce_weights', [96, 192, 1, 1]],
      ['_ince4e._conv5._conv.weight', 'inception_ince4e_5x5_weights', [128, 32, 5, 5]],
      ['_ince5b._convprj._conv.weight', 'inception_ince5b_3x3_proj_weights', [128, 832, 1, 1]],
      ['_fc_out.weight', 'out_weights', [1024, 10]],
      ['_fc_out.bias', 'out_offset', [10]],
      ['_conv_o2._conv.weight', 'conv_o2_weights', [128, 528, 1, 1]],
      ['_fc_o1.weight', 'fc_o1_weights', [1152, 1024]],
      ['_out2.bias', 'out2_offset', [10]],
    ];
    for (const [key, name, shape] of expected) {
      const t = state.get(key);
      expect([key, t?.name, t?.shape]).toEqual([key, name, shape]);
    }
    // The names are unique, so a checkpoint saved by parameter name (static-graph style) loads too.
    expect(new Set([...state.values()].map((t) => t.name)).size).toBe(state.size);
    model.dispose();
  });

  it('loads a state dict keyed by PaddleClas\'s parameter names', () => {
    const src = withFastInit(() => new GoogLeNetDY({ class_num: 10 }));
    const dst = withConstantInit(() => new GoogLeNetDY({ class_num: 10 }));
    const byName = new Map([...src.stateDict().values()].map((t) => [t.name, t]));
    dst.setStateDict(byName, { useStructuredName: false });
    expect(dst._ince4a._conv1._conv.weight.toArray()).toEqual(src._ince4a._conv1._conv.weight.toArray());
    src.dispose();
    dst.dispose();
  });

  // The auxiliary heads flatten a fixed 3·3·128 map, as in PaddleClas, so training needs inputs
  // of 189 to 236 pixels a side; 189 is the smallest. Batch 2, class_num 10.
  it('trains at 189x189: [out, aux1, aux2] logits, and gradients for every parameter', () => {
    const model = withFastInit(() => MODELS.GoogLeNet!({ class_num: 10 }) as GoogLeNetDY);
    expect(() => model.call(randn([1, 3, 64, 64]))).toThrow(/input sides 189 to 236/);
    const outs = model.call(randn([2, 3, 189, 189])) as GoogLeNetTrainOutput;
    expect(outs.map((t) => t.shape)).toEqual([
      [2, 10],
      [2, 10],
      [2, 10],
    ]);
    // PaddleClas's GoogLeNetLoss: out + 0.3·aux1 + 0.3·aux2.
    const [out, aux1, aux2] = outs;
    const loss: Tensor = add(add(ceLoss(out), scale(ceLoss(aux1), 0.3)), scale(ceLoss(aux2), 0.3));
    const { trainable, frozen } = expectGradients(model, loss);
    expect([trainable.length, frozen.length]).toEqual([3 + 9 * 6 + 2 + 5 * 2, 0]);
    model.dispose();
  }, 60_000);

  // The main path pools adaptively, so in eval mode (auxiliary heads skipped) inputs from
  // 61 pixels work; 32x32 would pool to nothing before the last Inception stage.
  it('infers at 64x64 in eval mode, returning the main logits only', () => {
    const model = withFastInit(() => MODELS.GoogLeNet!({ class_num: 10 }) as GoogLeNetDY).eval();
    const out = noGrad(() => model.call(randn([2, 3, 64, 64]))) as Tensor;
    expect(out.shape).toEqual([2, 10]);
    model.dispose();
  });

  it('computes the same logits channels-last (data_format NHWC)', () => {
    const nchw = withFastInit(() => new GoogLeNetDY({ class_num: 4 })).eval();
    const nhwc = withConstantInit(() => new GoogLeNetDY({ class_num: 4, data_format: 'NHWC' })).eval();
    nhwc.setStateDict(nchw.stateDict());
    const x = randn([2, 3, 64, 64]);
    expectClose(noGrad(() => nhwc.call(x)) as Tensor, noGrad(() => nchw.call(x)) as Tensor);
    nchw.dispose();
    nhwc.dispose();
  });

  it('rejects options PaddleClas does not have', () => {
    expect(() => MODELS.GoogLeNet!({ class_num: 0 })).toThrow(/class_num must be a positive integer/);
    expect(() => MODELS.GoogLeNet!({ aux_logits: false })).toThrow(/unknown Arch option "aux_logits"/);
  });
});
