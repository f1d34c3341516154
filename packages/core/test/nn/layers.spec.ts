import { nn, tensor, seed, randn, rand, backward, sum, multiply, subtract, memory, tidy, noGrad, engine, type Tensor } from '../../src';

const L = nn;

interface ShapeCase {
  name: string;
  make: () => InstanceType<typeof nn.Layer>;
  /** Inputs; float inputs get gradients. */
  inputs: () => Tensor[];
  out: number[];
  /** Which output to differentiate, for layers returning a list. */
  pick?: number;
}

const x4 = (...s: number[]) => () => [randn(s)];

const cases: ShapeCase[] = [
  { name: 'Linear', make: () => new L.Linear(5, 3), inputs: x4(2, 4, 5), out: [2, 4, 3] },
  { name: 'Linear (no bias)', make: () => new L.Linear(5, 3, { biasAttr: false }), inputs: x4(2, 5), out: [2, 3] },
  { name: 'Conv2D', make: () => new L.Conv2D(3, 4, 3, { padding: 1, stride: 2 }), inputs: x4(2, 3, 7, 7), out: [2, 4, 4, 4] },
  { name: 'Conv2D groups+dilation', make: () => new L.Conv2D(4, 6, [3, 1], { groups: 2, dilation: 2 }), inputs: x4(1, 4, 8, 5), out: [1, 6, 4, 5] },
  { name: 'Conv2D reflect padding', make: () => new L.Conv2D(2, 2, 3, { padding: 1, paddingMode: 'reflect' }), inputs: x4(1, 2, 5, 5), out: [1, 2, 5, 5] },
  { name: 'Conv2D NHWC', make: () => new L.Conv2D(3, 2, 3, { dataFormat: 'NHWC' }), inputs: x4(1, 6, 6, 3), out: [1, 4, 4, 2] },
  { name: 'Conv2DTranspose', make: () => new L.Conv2DTranspose(4, 2, 3, { stride: 2, padding: 1 }), inputs: x4(1, 4, 5, 5), out: [1, 2, 9, 9] },
  { name: 'BatchNorm', make: () => new L.BatchNorm(3, { act: 'relu' }), inputs: x4(4, 3, 2, 2), out: [4, 3, 2, 2] },
  { name: 'BatchNorm1D', make: () => new L.BatchNorm1D(3), inputs: x4(4, 3, 5), out: [4, 3, 5] },
  { name: 'BatchNorm1D NC', make: () => new L.BatchNorm1D(3), inputs: x4(6, 3), out: [6, 3] },
  { name: 'BatchNorm2D', make: () => new L.BatchNorm2D(3), inputs: x4(2, 3, 4, 4), out: [2, 3, 4, 4] },
  { name: 'BatchNorm2D NHWC', make: () => new L.BatchNorm2D(3, { dataFormat: 'NHWC' }), inputs: x4(2, 4, 4, 3), out: [2, 4, 4, 3] },
  { name: 'BatchNorm3D', make: () => new L.BatchNorm3D(2), inputs: x4(2, 2, 3, 3, 3), out: [2, 2, 3, 3, 3] },
  { name: 'SyncBatchNorm', make: () => new L.SyncBatchNorm(3), inputs: x4(2, 3, 4, 4), out: [2, 3, 4, 4] },
  { name: 'LayerNorm', make: () => new L.LayerNorm([4, 5]), inputs: x4(2, 3, 4, 5), out: [2, 3, 4, 5] },
  { name: 'GroupNorm', make: () => new L.GroupNorm(2, 4), inputs: x4(2, 4, 3, 3), out: [2, 4, 3, 3] },
  { name: 'InstanceNorm2D', make: () => new L.InstanceNorm2D(3), inputs: x4(2, 3, 4, 4), out: [2, 3, 4, 4] },
  { name: 'Dropout', make: () => new L.Dropout(0.3), inputs: x4(4, 5), out: [4, 5] },
  { name: 'Dropout axis', make: () => new L.Dropout(0.3, { axis: 1 }), inputs: x4(4, 5), out: [4, 5] },
  { name: 'Dropout2D', make: () => new L.Dropout2D(0.3), inputs: x4(2, 3, 4, 4), out: [2, 3, 4, 4] },
  { name: 'Embedding', make: () => new L.Embedding(10, 4, { paddingIdx: 0 }), inputs: () => [tensor([[1, 0, 9], [3, 3, 2]], { dtype: 'int64' })], out: [2, 3, 4] },
  { name: 'MaxPool2D', make: () => new L.MaxPool2D(2), inputs: x4(1, 2, 6, 6), out: [1, 2, 3, 3] },
  { name: 'MaxPool2D mask', make: () => new L.MaxPool2D(3, { stride: 2, padding: 1, returnMask: true }), inputs: x4(1, 2, 6, 6), out: [1, 2, 3, 3], pick: 0 },
  { name: 'MaxPool2D positional stride', make: () => new L.MaxPool2D(2, 1), inputs: x4(1, 1, 4, 4), out: [1, 1, 3, 3] },
  { name: 'AvgPool2D positional stride', make: () => new L.AvgPool2D(3, [1, 2]), inputs: x4(1, 1, 5, 5), out: [1, 1, 3, 2] },
  { name: 'AvgPool2D', make: () => new L.AvgPool2D(3, { stride: 2, ceilMode: true }), inputs: x4(1, 2, 6, 6), out: [1, 2, 3, 3] },
  { name: 'AdaptiveAvgPool2D', make: () => new L.AdaptiveAvgPool2D([1, 3]), inputs: x4(2, 3, 5, 7), out: [2, 3, 1, 3] },
  { name: 'AdaptiveMaxPool2D', make: () => new L.AdaptiveMaxPool2D(2), inputs: x4(2, 3, 5, 5), out: [2, 3, 2, 2] },
  { name: 'Upsample nearest', make: () => new L.Upsample({ scaleFactor: 2 }), inputs: x4(1, 2, 3, 3), out: [1, 2, 6, 6] },
  { name: 'Upsample bilinear', make: () => new L.Upsample({ size: [5, 4], mode: 'bilinear' }), inputs: x4(1, 2, 3, 3), out: [1, 2, 5, 4] },
  { name: 'UpsamplingNearest2D', make: () => new L.UpsamplingNearest2D({ size: 4 }), inputs: x4(1, 1, 2, 2), out: [1, 1, 4, 4] },
  { name: 'UpsamplingBilinear2D', make: () => new L.UpsamplingBilinear2D({ scaleFactor: 2 }), inputs: x4(1, 1, 2, 3), out: [1, 1, 4, 6] },
  { name: 'Flatten', make: () => new L.Flatten(), inputs: x4(2, 3, 4), out: [2, 12] },
  { name: 'Pad2D reflect', make: () => new L.Pad2D([1, 2, 0, 1], 'reflect'), inputs: x4(1, 2, 4, 4), out: [1, 2, 5, 7] },
  { name: 'ZeroPad2D', make: () => new L.ZeroPad2D(1), inputs: x4(1, 2, 3, 3), out: [1, 2, 5, 5] },
  { name: 'Identity', make: () => new L.Identity(3, 'ignored'), inputs: x4(2, 2), out: [2, 2] },
  { name: 'PReLU', make: () => new L.PReLU(3), inputs: x4(2, 3, 2, 2), out: [2, 3, 2, 2] },
  { name: 'Softmax', make: () => new L.Softmax(1), inputs: x4(2, 3), out: [2, 3] },
  { name: 'LogSoftmax', make: () => new L.LogSoftmax(), inputs: x4(2, 3), out: [2, 3] },
  { name: 'MultiHeadAttention', make: () => new L.MultiHeadAttention(8, 2, { kdim: 6, vdim: 4 }), inputs: () => [randn([2, 3, 8]), randn([2, 5, 6]), randn([2, 5, 4])], out: [2, 3, 8] },
  { name: 'TransformerEncoderLayer', make: () => new L.TransformerEncoderLayer(8, 2, 12), inputs: x4(2, 3, 8), out: [2, 3, 8] },
  { name: 'TransformerEncoder', make: () => new L.TransformerEncoder(new L.TransformerEncoderLayer(8, 4, 12), 2), inputs: x4(2, 3, 8), out: [2, 3, 8] },
];

const activations: [string, () => InstanceType<typeof nn.Layer>][] = [
  ['ReLU', () => new L.ReLU()],
  ['ReLU6', () => new L.ReLU6()],
  ['LeakyReLU', () => new L.LeakyReLU(0.2)],
  ['Sigmoid', () => new L.Sigmoid()],
  ['LogSigmoid', () => new L.LogSigmoid()],
  ['Hardsigmoid', () => new L.Hardsigmoid()],
  ['Hardswish', () => new L.Hardswish()],
  ['Hardtanh', () => new L.Hardtanh()],
  ['Hardshrink', () => new L.Hardshrink()],
  ['Softshrink', () => new L.Softshrink()],
  ['Swish', () => new L.Swish()],
  ['Silu', () => new L.Silu()],
  ['Tanh', () => new L.Tanh()],
  ['Tanhshrink', () => new L.Tanhshrink()],
  ['Softsign', () => new L.Softsign()],
  ['GELU', () => new L.GELU()],
  ['GELU approximate', () => new L.GELU(true)],
  ['Softplus', () => new L.Softplus()],
  ['Mish', () => new L.Mish()],
  ['ELU', () => new L.ELU()],
  ['SELU', () => new L.SELU()],
  ['ThresholdedReLU', () => new L.ThresholdedReLU(0.5)],
  ['PReLU shared', () => new L.PReLU()],
];
for (const [name, make] of activations) cases.push({ name, make, inputs: x4(3, 4), out: [3, 4] });

describe('every layer: forward and backward shapes', () => {
  beforeAll(() => seed(99));

  for (const c of cases) {
    it(c.name, () => {
      const layer = c.make();
      const inputs = c.inputs();
      for (const t of inputs) if (t.dtype === 'float32') t.stopGradient = false;
      const raw = layer.call(...inputs) as Tensor | Tensor[];
      const out = Array.isArray(raw) ? raw[c.pick ?? 0]! : raw;
      expect(out.shape).toEqual(c.out);
      // A non-uniform upstream gradient, so normalization layers get a nonzero input gradient.
      backward(sum(multiply(out, rand(c.out))));
      for (const t of inputs) {
        if (t.dtype === 'float32') expect(t.grad?.shape).toEqual(t.shape);
      }
      for (const [n, p] of layer.namedParameters()) {
        if (p.trainable) expect([n, p.grad?.shape]).toEqual([n, p.shape]);
        else expect([n, p.grad]).toEqual([n, null]);
      }
      layer.dispose();
    });
  }
});

describe('loss layers', () => {
  it('compute Paddle reductions with forward and backward', () => {
    seed(4);
    const logits = randn([4, 3]);
    logits.stopGradient = false;
    const label = tensor([0, 2, 1, 2], { dtype: 'int64' });
    const probs = rand([4, 3]);
    probs.stopGradient = false;
    const target = rand([4, 3]);
    const runs: [string, () => Tensor, number[]][] = [
      ['CrossEntropyLoss', () => new L.CrossEntropyLoss().call(logits, label), [1]],
      ['CrossEntropyLoss none', () => new L.CrossEntropyLoss({ reduction: 'none' }).call(logits, tensor([[0], [2], [1], [2]], { dtype: 'int64' })), [4, 1]],
      ['NLLLoss', () => new L.NLLLoss().call(nn.functional.logSoftmax(logits), label), [1]],
      ['MSELoss', () => new L.MSELoss().call(logits, target), [1]],
      ['L1Loss sum', () => new L.L1Loss('sum').call(logits, target), [1]],
      ['SmoothL1Loss', () => new L.SmoothL1Loss('none', 0.5).call(logits, target), [4, 3]],
      ['BCELoss', () => new L.BCELoss().call(nn.functional.sigmoid(logits), target), [1]],
      ['BCEWithLogitsLoss', () => new L.BCEWithLogitsLoss({ posWeight: tensor([1, 2, 3]) }).call(logits, target), [1]],
      ['KLDivLoss', () => new L.KLDivLoss('batchmean').call(nn.functional.logSoftmax(logits), nn.functional.softmax(probs)), [1]],
      ['MarginRankingLoss', () => new L.MarginRankingLoss(0.1).call(logits, target, tensor([[1, -1, 1]])), [1]],
    ];
    for (const [name, run, shape] of runs) {
      const loss = run();
      expect([name, loss.shape]).toEqual([name, shape]);
      logits.grad?.dispose();
      logits.grad = null;
      backward(sum(loss));
      expect([name, logits.grad !== null || probs.grad !== null]).toEqual([name, true]);
    }
    // CrossEntropyLoss equals the mean of -log softmax at the label.
    const ls = nn.functional.logSoftmax(logits).toArray() as number[][];
    const expected = -[0, 2, 1, 2].reduce((s, l, i) => s + ls[i]![l]!, 0) / 4;
    expect(new L.CrossEntropyLoss().call(logits, label).item()).toBeCloseTo(expected, 5);
    expect(() => new L.MSELoss('avg' as never)).toThrow(/MSELoss: reduction must be 'none', 'mean', 'sum', got 'avg'/);
  });
});

describe('train / eval behaviour', () => {
  it('Dropout zeroes and rescales in training, is the identity in eval', () => {
    seed(8);
    const d = new L.Dropout(0.5);
    const x = tensor(new Float32Array(2000).fill(1), { shape: [2000] });
    const y = d.call(x).toFlatArray();
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(kept.length / 2000).toBeGreaterThan(0.45);
    expect(kept.length / 2000).toBeLessThan(0.55);
    d.eval();
    expect(d.call(x).toFlatArray().every((v) => v === 1)).toBe(true);
    const down = new L.Dropout(0.25, { mode: 'downscale_in_infer' }).eval();
    expect(down.call(x).toFlatArray()[0]).toBeCloseTo(0.75);
  });

  it('Dropout2D drops whole channels', () => {
    seed(9);
    const d = new L.Dropout2D(0.5);
    const y = d.call(tensor(new Float32Array(8 * 16 * 9).fill(1), { shape: [8, 16, 3, 3] })).toArray() as number[][][][];
    for (const sample of y) for (const ch of sample) {
      const flat = ch.flat();
      expect(flat.every((v) => v === flat[0])).toBe(true);
    }
  });

  it('BatchNorm2D uses batch statistics and updates running ones in training, running ones in eval', () => {
    seed(10);
    const bn = new L.BatchNorm2D(2, { momentum: 0.8 });
    expect(bn.namedParameters().map(([n, p]) => [n, p.trainable])).toEqual([
      ['weight', true],
      ['bias', true],
      ['_mean', false],
      ['_variance', false],
    ]);
    const x = multiply(randn([8, 2, 3, 3]), 3);
    const y = bn.call(x);
    // Normalized with batch statistics: per-channel mean 0, variance 1.
    const ya = y.toArray() as number[][][][];
    for (let c = 0; c < 2; c++) {
      const vals = ya.flatMap((s) => s[c]!.flat());
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
    }
    const xa = x.toArray() as number[][][][];
    const batchMean = [0, 1].map((c) => {
      const v = xa.flatMap((s) => s[c]!.flat());
      return v.reduce((a, b) => a + b, 0) / v.length;
    });
    const rm = bn._mean.toFlatArray();
    batchMean.forEach((m, c) => expect(rm[c]).toBeCloseTo(0.2 * m, 5));
    bn.eval();
    const before = bn._mean.toFlatArray();
    const ye = bn.call(x).toArray() as number[][][][];
    expect(bn._mean.toFlatArray()).toEqual(before);
    // Eval: (x - running_mean) / sqrt(running_var + eps).
    const rv = bn._variance.toFlatArray();
    expect(ye[0]![1]![0]![0]!).toBeCloseTo((xa[0]![1]![0]![0]! - rm[1]!) / Math.sqrt(rv[1]! + 1e-5), 4);
    bn.dispose();
  });

  it('useGlobalStats and weightAttr false follow Paddle', () => {
    const bn = new L.BatchNorm2D(2, { useGlobalStats: true, weightAttr: false, biasAttr: false });
    expect(bn.weight.stopGradient).toBe(true);
    expect(bn.bias.stopGradient).toBe(true);
    const x = randn([2, 2, 2, 2]);
    // Running stats are 0 / 1: output is x / sqrt(1 + eps) even in training, and stats stay.
    const y = bn.call(x).toFlatArray();
    x.toFlatArray().forEach((v, i) => expect(y[i]).toBeCloseTo(v / Math.sqrt(1 + 1e-5), 5));
    expect(bn._mean.toFlatArray()).toEqual([0, 0]);
    bn.dispose();
  });

  it('fluid BatchNorm: isTest and trainableStatistics', () => {
    const x = multiply(randn([4, 2, 2, 2]), 2);
    const test = new L.BatchNorm(2, { isTest: true });
    test.call(x);
    expect(test._mean.toFlatArray()).toEqual([0, 0]);
    const ts = new L.BatchNorm(2, { trainableStatistics: true }).eval();
    ts.call(x);
    expect(ts._mean.toFlatArray()).not.toEqual([0, 0]);
    expect(() => new L.BatchNorm(2, { act: 'nope' as never })).toThrow(/unknown activation "nope"/);
    test.dispose();
    ts.dispose();
  });

  it('SyncBatchNorm.convertSyncBatchnorm replaces BatchNorm layers, keeping their parameters', () => {
    const net = new L.Sequential(new L.Conv2D(3, 4, 1), new L.BatchNorm2D(4), new L.Sequential(new L.BatchNorm1D(4)));
    const w = (net.at(1) as InstanceType<typeof L.BatchNorm2D>).weight;
    const conv = L.SyncBatchNorm.convertSyncBatchnorm(net) as InstanceType<typeof L.Sequential>;
    expect(conv.at(1)).toBeInstanceOf(L.SyncBatchNorm);
    expect((conv.at(2) as InstanceType<typeof L.Sequential>).at(0)).toBeInstanceOf(L.SyncBatchNorm);
    expect((conv.at(1) as InstanceType<typeof L.SyncBatchNorm>).weight).toBe(w);
    expect([...conv.stateDict().keys()]).toContain('1._variance');
    net.dispose();
  });
});

describe('argument and input errors name the layer', () => {
  it('rejects bad constructor arguments and inputs', () => {
    expect(() => new L.Linear(0, 3)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new L.Linear(3, 2, { weightAttr: false })).toThrow(/Linear: weightAttr cannot be false/);
    expect(() => new L.Conv2D(3, 4, 3, { groups: 2 })).toThrow(/Conv2D: inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new L.Conv2D(3, 4, 0)).toThrow(/Conv2D: kernelSize must be/);
    expect(() => new L.GroupNorm(3, 4)).toThrow(/GroupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/);
    expect(() => new L.Embedding(5, 2, { paddingIdx: 5 })).toThrow(/Embedding: paddingIdx must be an integer in \[-5, 5\), got 5/);
    expect(() => new L.Dropout(1.5)).toThrow(/Dropout: p must be a number in \[0, 1\], got 1.5/);
    expect(() => new L.InstanceNorm2D(3, { weightAttr: false })).toThrow(/must be false together/);
    const lin = new L.Linear(4, 2);
    expect(() => lin.call(randn([3, 5]))).toThrow(/Linear: input must have last dimension 4 \(inFeatures\), got shape \[3, 5\]/);
    const conv = new L.Conv2D(3, 4, 3);
    expect(() => conv.call(randn([1, 2, 5, 5]))).toThrow(/Conv2D: expected a 4-D NCHW input with 3 channels, got shape \[1, 2, 5, 5\]/);
    const bn = new L.BatchNorm2D(3);
    expect(() => bn.call(randn([2, 3, 4]))).toThrow(/BatchNorm2D: expected a 4-D input, got shape \[2, 3, 4\]/);
    expect(() => bn.call(randn([2, 4, 4, 4]))).toThrow(/BatchNorm2D: expected 3 channels \(NCHW\), got shape \[2, 4, 4, 4\]/);
    for (const l of [lin, conv, bn]) l.dispose();
  });
});

describe('an MLP learns XOR with plain gradient descent', () => {
  it('fits XOR-like data', () => {
    seed(42);
    const model = new L.Sequential(new L.Linear(2, 16), new L.ReLU(), new L.Linear(16, 16), new L.ReLU(), new L.Linear(16, 1));
    const lossFn = new L.BCEWithLogitsLoss();
    // Noisy XOR: four clusters around the corners.
    const pts: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < 64; i++) {
      const a = i % 2;
      const b = Math.floor(i / 2) % 2;
      pts.push([a + 0.1 * Math.sin(i * 7.1), b + 0.1 * Math.cos(i * 3.3)]);
      ys.push(a ^ b);
    }
    const x = tensor(pts);
    const y = tensor(ys.map((v) => [v]));
    const lr = 0.5;
    const before = memory().numTensors;
    let loss = Infinity;
    for (let step = 0; step < 400; step++) {
      loss = tidy(() => {
        const l = lossFn.call(model.call(x), y);
        backward(l);
        return l.item();
      });
      tidy(() =>
        noGrad(() => {
          // Plain SGD: p <- p - lr * grad, written in place so the parameters keep their identity.
          for (const p of model.parameters()) engine.assignInPlace(p, subtract(p, multiply(p.grad!, lr)));
        }),
      );
      model.clearGradients();
    }
    expect(loss).toBeLessThan(0.05);
    expect(memory().numTensors).toBe(before);
    const probs = nn.functional.sigmoid(model.call(tensor([[0, 0], [0, 1], [1, 0], [1, 1]]))).toFlatArray();
    expect(probs.map((p) => Math.round(p))).toEqual([0, 1, 1, 0]);
    model.dispose();
  });
});

describe('nn.functional', () => {
  const F = nn.functional;

  it('exposes the functional ops under camelCased Paddle names', () => {
    for (const name of ['relu', 'conv2d', 'conv2dTranspose', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'dropout', 'dropout2d', 'crossEntropy', 'batchNorm', 'layerNorm', 'interpolate', 'pad', 'embedding', 'linear', 'softmax', 'hardswish']) {
      expect([name, typeof (F as Record<string, unknown>)[name]]).toEqual([name, 'function']);
    }
  });

  it('linear and normalize', () => {
    const y = F.linear(tensor([[1, 2]]), tensor([[1, 0, 2], [0, 1, 1]]), tensor([10, 20, 30]));
    expect(y.toArray()).toEqual([[11, 22, 34]]);
    const n = F.normalize(tensor([[3, 4], [0, 0]])).toArray() as number[][];
    expect(n[0]![0]).toBeCloseTo(0.6);
    expect(n[0]![1]).toBeCloseTo(0.8);
    expect(n[1]).toEqual([0, 0]);
    const l1 = F.normalize(tensor([[1, 3]]), 1).toFlatArray();
    expect(l1[0]).toBeCloseTo(0.25);
  });

  it('linear without autograd is one fc; with autograd or under a tracer, matmul_v2 then elementwise_add', () => {
    const x = randn([2, 3, 16]);
    const w = randn([16, 24]);
    const b = randn([24]);
    // The operators run, counted without an op listener (one would make linear trace-safe).
    const opsOf = (fn: () => Tensor): [string[], Float32Array] => {
      const seen: string[] = [];
      const orig = engine.runOp.bind(engine);
      engine.runOp = ((type: string, ...rest: unknown[]) => (seen.push(type), (orig as (...a: unknown[]) => ReturnType<typeof orig>)(type, ...rest))) as typeof engine.runOp;
      try {
        return [seen, fn().dataSync() as Float32Array];
      } finally {
        engine.runOp = orig;
      }
    };
    const [inference, y1] = opsOf(() => noGrad(() => F.linear(x, w, b)));
    const [training, y2] = opsOf(() => F.linear(x, w, b));
    expect(inference).toEqual(['fc']);
    expect(training).toEqual(['matmul_v2', 'elementwise_add']);
    y1.forEach((v, i) => expect(v).toBeCloseTo(y2[i]!, 4));
    const traced: string[] = [];
    const stop = engine.addOpListener((type) => traced.push(type));
    try {
      noGrad(() => F.linear(x, w, b));
    } finally {
      stop();
    }
    expect(traced).toEqual(['matmul_v2', 'elementwise_add']);
  });
});
