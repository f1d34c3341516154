import { optim, tensor, tidy } from '@oar/core';
import { buildLrScheduler, buildOptimizer, ConstantLR } from '../../src/optimizer';
import { LrSchema, OptimizerSchema } from '../../src/config/schema/optimizer';

const lr = (v: unknown) => LrSchema.parse(v);

/** The rates the schedule gives to iterations 0..n-1 (read before each step, as the Engine does). */
function rates(s: optim.lr.LRScheduler, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(s.lastLr);
    s.step();
  }
  return out;
}

describe('buildLrScheduler (PaddleClas semantics: per iteration over epochs x steps)', () => {
  test('Cosine anneals over epochs x step_each_epoch iterations', () => {
    const s = buildLrScheduler(lr({ name: 'Cosine', learning_rate: 0.1 }), { epochs: 2, stepEachEpoch: 5 });
    expect(s).toBeInstanceOf(optim.lr.CosineAnnealingDecay);
    const r = rates(s, 11);
    expect(r[0]).toBeCloseTo(0.1, 12);
    // Halfway through the 10 iterations the cosine is at half the rate; at the end at eta_min.
    expect(r[5]).toBeCloseTo(0.05, 10);
    expect(r[10]).toBeCloseTo(0, 10);
    for (let i = 1; i < 10; i++) expect(r[i]!).toBeLessThan(r[i - 1]!);
  });

  test('warmup_epoch wraps the schedule in LinearWarmup from warmup_start_lr to the base rate', () => {
    const s = buildLrScheduler(lr({ name: 'Cosine', learning_rate: 0.4, warmup_epoch: 1, warmup_start_lr: 0.0 }), { epochs: 3, stepEachEpoch: 4 });
    expect(s).toBeInstanceOf(optim.lr.LinearWarmup);
    const r = rates(s, 13);
    expect(r.slice(0, 4).map((v) => +v.toFixed(10))).toEqual([0, 0.1, 0.2, 0.3]);
    // After warm-up the cosine runs over the remaining (3 - 1) x 4 = 8 iterations.
    expect(r[4]).toBeCloseTo(0.4, 10);
    expect(r[8]).toBeCloseTo(0.2, 10);
    expect(r[12]).toBeCloseTo(0, 10);
  });

  test('Piecewise decay_epochs become iteration boundaries', () => {
    const s = buildLrScheduler(lr({ name: 'Piecewise', decay_epochs: [1, 2], values: [0.1, 0.01, 0.001] }), { epochs: 3, stepEachEpoch: 3 });
    expect(rates(s, 9).map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]);
  });

  test('Step, Linear and Constant', () => {
    const step = buildLrScheduler(lr({ name: 'Step', learning_rate: 1, step_size: 1, gamma: 0.5 }), { epochs: 3, stepEachEpoch: 2 });
    expect(rates(step, 6).map((v) => +v.toFixed(6))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    const lin = buildLrScheduler(lr({ name: 'Linear', learning_rate: 1, end_lr: 0 }), { epochs: 2, stepEachEpoch: 2 });
    expect(rates(lin, 5).map((v) => +v.toFixed(6))).toEqual([1, 0.75, 0.5, 0.25, 0]);
    const c = buildLrScheduler(lr({ name: 'Constant', learning_rate: 0.3 }), { epochs: 2, stepEachEpoch: 2 });
    expect(c).toBeInstanceOf(ConstantLR);
    expect(rates(c, 3)).toEqual([0.3, 0.3, 0.3]);
  });

  test('errors name the key', () => {
    expect(() => buildLrScheduler(lr({ name: 'Cosine', learning_rate: 0.1, warmup_epoch: 5 }), { epochs: 3, stepEachEpoch: 2 })).toThrow(
      /Optimizer\.lr\.warmup_epoch: 5 warm-up epochs exceed Global\.epochs \(3\)/,
    );
    expect(() => buildLrScheduler(lr({ name: 'Cosine', learning_rate: 0.1, warmup_epoch: 1, warmup_start_lr: 0.2 }), { epochs: 3, stepEachEpoch: 2 })).toThrow(
      /warmup_start_lr: 0.2 must be below the learning rate it warms up to \(0.1\)/,
    );
  });
});

describe('buildOptimizer', () => {
  test('Momentum with L2Decay takes its hyper-parameters and the schedule', () => {
    tidy(() => {
      const p = tensor([1, 2, 3], { dtype: 'float32' });
      p.name = 'fc_0.w_0';
      const cfg = OptimizerSchema.parse({ name: 'Momentum', momentum: 0.8, lr: { name: 'Cosine', learning_rate: 0.05 }, regularizer: { name: 'L2', coeff: 1e-4 } });
      const { optimizer, lrScheduler } = buildOptimizer(cfg, [['fc.weight', p]], { epochs: 1, stepEachEpoch: 10 });
      expect(optimizer).toBeInstanceOf(optim.Momentum);
      expect(optimizer.regularization).toBeInstanceOf(optim.L2Decay);
      expect((optimizer.regularization as optim.L2Decay).coeff).toBe(1e-4);
      expect(optimizer.lrScheduler).toBe(lrScheduler);
      expect(optimizer.getLr()).toBeCloseTo(0.05, 12);
    });
  });

  test('AdamW skips decay for no_weight_decay_name words and 1-D parameters', () => {
    tidy(() => {
      const w = tensor([[1, 2]], { dtype: 'float32' });
      w.name = 'linear_0.w_0';
      const b = tensor([1, 2], { dtype: 'float32' });
      b.name = 'linear_0.b_0';
      const n = tensor([[1, 2]], { dtype: 'float32' });
      n.name = 'norm_0.w_0';
      const cfg = OptimizerSchema.parse({
        name: 'AdamW',
        weight_decay: 0.05,
        no_weight_decay_name: 'norm',
        one_dim_param_no_weight_decay: true,
        lr: { name: 'Constant', learning_rate: 0.001 },
      });
      const { optimizer } = buildOptimizer(cfg, [['fc.weight', w], ['fc.bias', b], ['norm.weight', n]], { epochs: 1, stepEachEpoch: 1 });
      const adamw = optimizer as optim.AdamW;
      expect(adamw.applyDecayParamFun!('linear_0.w_0')).toBe(true);
      expect(adamw.applyDecayParamFun!('linear_0.b_0')).toBe(false);
      expect(adamw.applyDecayParamFun!('norm_0.w_0')).toBe(false);
    });
  });
});
