/** run_glue.py's optimizer: decay off for biases and LayerNorm, linear warm-up then linear decay, clipping. */
import { crossEntropy, seed, tensor } from '@oar/core';
import { buildOptimizer, decayParamNames, linearWarmupDecay } from '../../src/engine';
import { BertForSequenceClassification, BertModel } from '../../src/models';
import { TINY } from './fixtures';

describe('linearWarmupDecay', () => {
  it('rises linearly over the warm-up and falls linearly to zero at the last step', () => {
    expect([0, 5, 10, 55, 100, 120].map((s) => linearWarmupDecay(s, 10, 100))).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    expect(linearWarmupDecay(0, 0, 10)).toBe(1);
  });
});

describe('buildOptimizer', () => {
  const model = new BertForSequenceClassification(new BertModel(TINY), 2);

  it('decays every weight but no bias and no LayerNorm parameter', () => {
    const decayed = decayParamNames(model);
    const named = model.namedParameters();
    const decayedNames = named.filter(([, p]) => decayed.has(p.name)).map(([n]) => n);
    expect(decayedNames).toContain('bert.encoder.layers.0.self_attn.q_proj.weight');
    expect(decayedNames).toContain('bert.embeddings.word_embeddings.weight');
    expect(decayedNames).toContain('classifier.weight');
    expect(decayedNames.some((n) => n.includes('bias') || n.includes('norm'))).toBe(false);
    expect(named.length - decayedNames.length).toBe(named.filter(([n]) => n.includes('bias') || n.includes('norm')).length);
  });

  it('follows the schedule step by step and clips the global gradient norm', () => {
    seed(1);
    const { optimizer, scheduler } = buildOptimizer(model, { learningRate: 1e-3, weightDecay: 0.01, adamEpsilon: 1e-6, maxGradNorm: 1, totalSteps: 4, warmupSteps: 2 });
    const lrs: number[] = [];
    const ids = tensor([[101, 2204, 102]], { dtype: 'int64' });
    for (let i = 0; i < 4; i++) {
      lrs.push(scheduler.lastLr);
      crossEntropy(model.call(ids), tensor([[1]], { dtype: 'int64' })).backward();
      optimizer.step();
      optimizer.clearGrad();
      scheduler.step();
    }
    expect(lrs.map((x) => Number(x.toFixed(8)))).toEqual([0, 5e-4, 1e-3, 5e-4]);
    expect(optimizer.gradClip?.constructor.name).toBe('ClipGradByGlobalNorm');
  });
});
