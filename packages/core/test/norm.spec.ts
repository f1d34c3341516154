import { add, backward, batchNorm, engine, groupNorm, instanceNorm, layerNorm, multiply, OpError, sum, tensor, type Tensor } from '../src';

// API behaviour and error messages of the normalization ops; numerics are in the conformance cases.

const close = (a: number[], b: number[], tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(tol));
};

describe('batchNorm', () => {
  // x: [N=4, C=2]; channel 0 = 1, 2, 3, 4 (mean 2.5, biased var 1.25); channel 1 = 0, 0, 2, 2 (mean 1, var 1)
  const data = [1, 0, 2, 0, 3, 2, 4, 2];

  it('updates the running statistics in place with the biased batch variance when training', () => {
    const x = tensor(data, { shape: [4, 2] });
    const mean = tensor([0, 0]);
    const variance = tensor([1, 1]);
    const y = batchNorm(x, mean, variance, null, null, { training: true, momentum: 0.9 });
    close(mean.toFlatArray(), [0.25, 0.1]);
    close(variance.toFlatArray(), [0.9 + 0.1 * 1.25, 1]);
    const s = 1 / Math.sqrt(1.25 + 1e-5);
    close(y.toFlatArray().filter((_, i) => i % 2 === 0), [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s]);
  });

  it('normalizes with the running statistics and leaves them alone in inference', () => {
    const x = tensor(data, { shape: [4, 2] });
    const mean = tensor([1, 0]);
    const variance = tensor([4, 1]);
    const y = batchNorm(x, mean, variance, tensor([2, 1]), tensor([0, 1]));
    expect(mean.toFlatArray()).toEqual([1, 0]);
    expect(variance.toFlatArray()).toEqual([4, 1]);
    close(y.toFlatArray().slice(0, 2), [(2 * (1 - 1)) / Math.sqrt(4 + 1e-5), 0 / Math.sqrt(1 + 1e-5) + 1]);
  });

  it('useGlobalStats while training normalizes with the running statistics and does not update them', () => {
    const mean = tensor([1, 0]);
    const variance = tensor([4, 1]);
    batchNorm(tensor(data, { shape: [4, 2] }), mean, variance, null, null, { training: true, useGlobalStats: true });
    expect(mean.toFlatArray()).toEqual([1, 0]);
  });

  it('handles channels-last input and back-propagates to x, weight and bias', () => {
    const x = tensor([1, 5, 2, 3, 7, 1, 0, 2], { shape: [2, 2, 2], stopGradient: false }); // N, L, C
    const w = tensor([1.5, -1], { stopGradient: false });
    const b = tensor([0, 2], { stopGradient: false });
    const y = batchNorm(x, tensor([0, 0]), tensor([1, 1]), w, b, { training: true, dataFormat: 'NLC' });
    backward(sum(y));
    // Σ y over a channel does not depend on x: dx = 0; dbias = N·L; dweight = Σ x̂ = 0
    close(x.grad!.toFlatArray(), new Array(8).fill(0), 1e-5);
    close(b.grad!.toFlatArray(), [4, 4]);
    close(w.grad!.toFlatArray(), [0, 0], 1e-5);
  });

  it('one layer applied twice before backward updates its statistics twice and still differentiates', () => {
    const mean = tensor([0, 0]);
    const variance = tensor([1, 1]);
    const w = tensor([1, 1], { stopGradient: false });
    const a = batchNorm(tensor(data, { shape: [4, 2] }), mean, variance, w, null, { training: true });
    const b = batchNorm(tensor(data, { shape: [4, 2] }), mean, variance, w, null, { training: true });
    close(mean.toFlatArray(), [0.25 * 0.9 + 0.25, 0.1 * 0.9 + 0.1]);
    backward(sum(multiply(add(a, b), a)));
    expect(w.grad).not.toBeNull();
  });

  it('reports shape and dtype errors naming the slot', () => {
    const x = tensor(data, { shape: [4, 2] });
    const run = (inputs: Record<string, Tensor>): unknown =>
      engine.runOp('batch_norm', { X: x, Scale: tensor([1, 1]), Bias: tensor([0, 0]), Mean: tensor([0, 0]), Variance: tensor([1, 1]), ...inputs });
    expect(() => run({ Scale: tensor([1, 1, 1]) })).toThrow(OpError);
    expect(() => run({ Scale: tensor([1, 1, 1]) })).toThrow(/batch_norm: input Scale must have shape \[2\] \(one value per channel\), got \[3\]/);
    expect(() => run({ X: tensor([1, 2]) })).toThrow(/batch_norm: input X must have rank 2 to 5, got shape \[2\]/);
    expect(() => run({ Mean: tensor([0, 0], { dtype: 'float16' }) })).toThrow(/input Mean must be float32 or float64, got float16/);
    expect(() => batchNorm(x, tensor([0, 0]), tensor([1, 1]), null, null, { dataFormat: 'CHW' as 'NCHW' })).toThrow(/dataFormat must be one of/);
  });

  it('batch_norm_grad needs Mean and Variance with global statistics', () => {
    const x = tensor(data, { shape: [4, 2] });
    const v = tensor([1, 1]);
    expect(() =>
      engine.runOp(
        'batch_norm_grad',
        { X: x, Scale: v, SavedMean: v, SavedVariance: v, 'Y@GRAD': x },
        { use_global_stats: true },
      ),
    ).toThrow(/batch_norm_grad: inputs Mean and Variance are required/);
  });
});

describe('layerNorm', () => {
  it('normalizes over the trailing normalizedShape, flattening a multi-dimensional weight', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { shape: [2, 2, 3] });
    const a = layerNorm(x, [2, 3]).toFlatArray();
    const w = tensor([1, 1, 1, 1, 1, 1], { shape: [2, 3] });
    close(layerNorm(x, [2, 3], w).toFlatArray(), a);
    close(a.slice(0, 6), layerNorm(tensor([1, 2, 3, 4, 5, 6], { shape: [1, 6] }), 6).toFlatArray());
    // every dimension normalized at once
    const all = layerNorm(x, [2, 2, 3]);
    expect(all.shape).toEqual([2, 2, 3]);
    close([all.toFlatArray().reduce((s, v) => s + v, 0)], [0]);
  });

  it('rejects a normalizedShape that does not end x', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    expect(() => layerNorm(x, 2)).toThrow(/normalizedShape \[2\] must match the trailing dimensions of x \[2, 3\]/);
    expect(() => engine.runOp('layer_norm', { X: x, Scale: tensor([1, 1]) }, { begin_norm_axis: 1 })).toThrow(
      /layer_norm: input Scale must have shape \[3\]/,
    );
    expect(() => engine.runOp('layer_norm', { X: x }, { begin_norm_axis: 2 })).toThrow(/begin_norm_axis must be in \[1, 1\]/);
  });
});

describe('groupNorm / instanceNorm', () => {
  it('group norm with one group per channel equals instance norm', () => {
    const x = tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), { shape: [2, 3, 4] });
    close(groupNorm(x, 3).toFlatArray(), instanceNorm(x).toFlatArray(), 1e-5);
  });

  it('group norm rejects a group count that does not divide the channels', () => {
    const x = tensor(new Array(24).fill(1), { shape: [1, 6, 2, 2] });
    expect(() => groupNorm(x, 4)).toThrow(/group_norm: attribute groups must be a positive divisor of the channel count 6, got 4/);
  });

  it('instance norm gives each plane zero mean and applies weight and bias', () => {
    const x = tensor([1, 2, 3, 4, 10, 20, 30, 50], { shape: [1, 2, 4] });
    const y = instanceNorm(x, { weight: tensor([2, 1]), bias: tensor([0, 5]) }).toFlatArray();
    close([y.slice(0, 4).reduce((s, v) => s + v, 0), y.slice(4).reduce((s, v) => s + v, 0)], [0, 20], 1e-4);
    expect(() => instanceNorm(x, { weight: tensor([1, 1, 1]) })).toThrow(/instance_norm: input Scale must have shape \[2\]/);
  });
});
