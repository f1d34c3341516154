import { add, avgPool2d, conv2d, dropout, engine, gelu, matmul, multiply, scale, transpose, logSoftmax, maxPool2d, nn, noGrad, optim, randn, relu, sigmoid, softmax, sum, tanh, tensor, tidy, type Tensor } from '../src';
import { dnnlInfo, setDnnlEnabled } from '../src/backends/cpu/dnnl/lib';
import { describeConformance } from '../src/testing';

/** The operators that have oneDNN kernels (backends/cpu/dnnl). */
const DNNL_OPS = [
  'conv2d',
  'conv2d_grad',
  'depthwise_conv2d',
  'depthwise_conv2d_grad',
  'conv2d_transpose',
  'conv2d_transpose_grad',
  'depthwise_conv2d_transpose',
  'depthwise_conv2d_transpose_grad',
  'batch_norm',
  'batch_norm_grad',
  'relu',
  'relu_grad',
  'elementwise_add',
  'pool2d',
  'pool2d_grad',
  'gelu',
  'gelu_grad',
  'tanh',
  'tanh_grad',
  'sigmoid',
  'sigmoid_grad',
  'softmax',
  'softmax_grad',
  'log_softmax',
  'log_softmax_grad',
  'layer_norm',
  'layer_norm_grad',
  'transpose2',
  'transpose',
  'scale',
  'elementwise_mul',
  'dropout',
  'matmul_v2',
  'matmul',
  'fc',
];

// The conformance cases of those operators once more through the OpenBLAS/TypeScript kernels,
// which run wherever oneDNN is absent.
describe('without oneDNN', () => {
  let prev = true;
  beforeAll(() => {
    prev = setDnnlEnabled(false);
  });
  afterAll(() => {
    setDnnlEnabled(prev);
  });
  describeConformance({ device: 'cpu', ops: DNNL_OPS });
});

/** fn's result with the oneDNN kernels turned off. */
function withoutDnnl<T>(fn: () => T): T {
  const prev = setDnnlEnabled(false);
  try {
    return fn();
  } finally {
    setDnnlEnabled(prev);
  }
}

/** Runs fn with oneDNN on and off and returns both results as plain arrays. */
function bothWays(fn: () => Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (): Float32Array[] =>
    tidy(() => {
      engine.seed(3); // the same inputs both times
      return fn().map((t) => t.dataSync() as Float32Array);
    });
  return [run(), withoutDnnl(run)];
}

function expectNear(a: Float32Array[], b: Float32Array[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, k) => {
    const y = b[k]!;
    expect(x.length).toBe(y.length);
    let scale = 1e-6;
    for (const v of y) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      if (Object.is(x[i], y[i]) || x[i] === y[i]) continue; // NaN against NaN; ReLU may give +0 or -0 for -0
      worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
      if (Number.isNaN(worst)) throw new Error(`result ${k}, element ${i}: ${x[i]} against ${y[i]}`);
    }
    if (!(worst < tol)) throw new Error(`result ${k}: relative difference ${worst}`);
  });
}

// Large enough that the oneDNN paths run (small arrays stay in JavaScript).
const withDnnl = dnnlInfo() ? describe : describe.skip;
withDnnl(`oneDNN kernels agree with the TypeScript kernels (${dnnlInfo()?.path ?? 'libdnnl.so.2 not installed'})`, () => {
  // NaN is left out: oneDNN's ReLU maps it to 0 (as Paddle's own oneDNN kernel does), the
  // TypeScript loop passes it through.
  it('relu forward and backward, ±0, ±Infinity and subnormals included', () => {
    const [on, off] = bothWays(() => {
      const v = randn([4, 16, 32, 32]).dataSync() as Float32Array;
      v.set([-0, 0, Infinity, -Infinity, 1e-40, -1e-40]);
      const x = tensor(v, { shape: [4, 16, 32, 32] });
      x.stopGradient = false;
      const y = relu(x);
      const g = randn(y.shape);
      const r = sum(y.multiply(g));
      r.backward();
      return [y, x.grad!];
    });
    expectNear(on, off, 1e-6);
  });

  // Far tails included: oneDNN's GELU and logistic are polynomial approximations, checked here
  // against the TypeScript loops (which the conformance cases check against PyTorch).
  const activations: [string, (x: Tensor) => Tensor][] = [
    ['gelu', (x) => gelu(x)],
    ['gelu (tanh approximation)', (x) => gelu(x, true)],
    ['tanh', (x) => tanh(x)],
    ['sigmoid', (x) => sigmoid(x)],
  ];
  for (const [name, f] of activations) {
    it(`${name} forward and backward`, () => {
      const [on, off] = bothWays(() => {
        const v = randn([8, 128, 48]).dataSync() as Float32Array;
        for (let i = 0; i < v.length; i++) v[i] = v[i]! * 3;
        v.set([-0, 0, 30, -30, 1e-30, -1e-30, 9, -9]);
        const x = tensor(v, { shape: [8, 128, 48] });
        x.stopGradient = false;
        const y = f(x);
        sum(y.multiply(randn(y.shape))).backward();
        return [y, x.grad!];
      });
      expectNear(on, off, 2e-6);
    });
  }

  it('softmax and log_softmax over the last and a middle axis, forward and backward', () => {
    const [on, off] = bothWays(() => {
      const out: Tensor[] = [];
      for (const [axis, log] of [
        [-1, false],
        [1, false],
        [-1, true],
        [1, true],
      ] as const) {
        const x = randn([4, 12, 16, 32]).multiply(tensor(4));
        x.stopGradient = false;
        const y = log ? logSoftmax(x, axis) : softmax(x, axis);
        sum(y.multiply(randn(y.shape))).backward();
        out.push(y, x.grad!);
      }
      return out;
    });
    // log_softmax_grad subtracts nearly equal terms; oneDNN sums in float32, the loops in float64.
    expectNear(on, off, 5e-6);
  });

  it('layer_norm with and without Scale/Bias, over one and two trailing axes: outputs, statistics and gradients', () => {
    const [on, off] = bothWays(() => {
      const out: Tensor[] = [];
      for (const [begin, affine] of [
        [2, true],
        [1, true],
        [2, false],
      ] as const) {
        const x = randn([8, 64, 96]).multiply(tensor(3)).add(tensor(0.5));
        x.stopGradient = false;
        const cols = begin === 2 ? 96 : 64 * 96;
        const scale = affine ? randn([cols]) : undefined;
        const bias = affine ? randn([cols]) : undefined;
        if (scale) scale.stopGradient = false;
        if (bias) bias.stopGradient = false;
        const r = engine.runOp('layer_norm', { X: x, Scale: scale, Bias: bias }, { epsilon: 1e-5, begin_norm_axis: begin });
        const y = r.Y as Tensor;
        sum(y.multiply(randn(y.shape))).backward();
        out.push(y, r.Mean as Tensor, r.Variance as Tensor, x.grad!);
        if (scale) out.push(scale.grad!, bias!.grad!);
      }
      return out;
    });
    expectNear(on, off, 5e-6);
  });

  it('transposes of 3 to 5 axes, of plain and blocked tensors', () => {
    const [on, off] = bothWays(() => {
      const blocked = relu(conv2d(randn([2, 8, 16, 16]), randn([16, 8, 3, 3]), null, { padding: 1 }));
      return [
        transpose(randn([8, 128, 12, 64]), [0, 2, 1, 3]),
        transpose(randn([64, 32, 24]), [2, 0, 1]),
        transpose(randn([4, 6, 8, 10, 12]), [4, 1, 3, 0, 2]),
        transpose(blocked, [0, 2, 3, 1]),
      ];
    });
    // Copies are exact; the blocked input itself comes from two different convolutions.
    expectNear(on.slice(0, 3), off.slice(0, 3), 1e-30);
    expectNear(on.slice(3), off.slice(3), 1e-6);
  });

  it('broadcast addition and multiplication (a Linear bias, an attention mask), scale, and inference dropout', () => {
    const [on, off] = bothWays(() => {
      const x = randn([8, 12, 32, 64]);
      return [
        add(x, randn([64])),
        add(x, randn([8, 1, 1, 64])),
        multiply(x, randn([12, 1, 64])),
        scale(x, 0.125, 0.5),
        scale(x, 0.125, 0.5, false),
        dropout(x, 0.1, { training: false }),
      ];
    });
    expectNear(on, off, 1e-6);
  });

  it('batched products (attention shapes, transposed and broadcast operands), forward and gradients', () => {
    const [on, off] = bothWays(() => {
      const q = randn([4, 12, 32, 64]);
      const k = randn([4, 12, 32, 64]);
      const v = randn([4, 1, 32, 64]);
      for (const t of [q, k, v]) t.stopGradient = false;
      const s = matmul(q, k, false, true);
      const o = matmul(s, v);
      const w = matmul(q, k, true, false);
      sum(o.multiply(randn(o.shape))).backward();
      return [s, o, w, q.grad!, k.grad!, v.grad!];
    });
    expectNear(on, off, 2e-6);
  });

  const fcCases: [string, Record<string, number | string | boolean>, boolean, boolean][] = [
    ['gelu, bias, 3-D input', { in_num_col_dims: 2, activation_type: 'gelu' }, true, false],
    ['gelu_tanh', { in_num_col_dims: 2, activation_type: 'gelu_tanh' }, true, false],
    ['bias and residual', { in_num_col_dims: 2, fuse_residual_connection: true }, true, true],
    ['relu, residual, no bias', { in_num_col_dims: 2, activation_type: 'relu', fuse_residual_connection: true }, false, true],
    ['tanh, sigmoid and hard_swish', { in_num_col_dims: 2, activation_type: 'tanh' }, true, false],
  ];
  for (const [name, attrs, withBias, withResidual] of fcCases) {
    it(`fc (oneDNN inner product) ${name}`, () => {
      const [on, off] = bothWays(() => {
        const x = randn([2, 48, 64]);
        const w = randn([64, 96]);
        const ins: Record<string, Tensor> = { Input: x, W: w };
        if (withBias) ins.Bias = randn([96]);
        if (withResidual) ins.ResidualData = randn([2, 48, 96]);
        const outs = [engine.runOp('fc', ins, attrs).Out as Tensor];
        if (attrs.activation_type === 'tanh') {
          for (const act of ['sigmoid', 'hard_swish']) outs.push(engine.runOp('fc', ins, { ...attrs, activation_type: act }).Out as Tensor);
        }
        return outs;
      });
      expectNear(on, off, 5e-6); // oneDNN's vectorized tanh differs from Math.tanh by a few ulps
    });
  }

  it('fc reads padded weights in place and reuses them reordered until they change in place', () => {
    const x = randn([32, 40]);
    const w = randn([44, 54]); // padding_weights: the top-left [40, 50] block
    const b = randn([50]);
    const fc = (): Float32Array =>
      noGrad(() => tidy(() => (engine.runOp('fc', { Input: x, W: w, Bias: b }, { padding_weights: true, activation_type: 'relu' }).Out as Tensor).dataSync() as Float32Array));
    const reference = (): Float32Array => withoutDnnl(fc);
    expectNear([fc(), fc()], [reference(), reference()], 1e-6);
    engine.assignInPlace(w, scale(w, -2)); // a new version of the same storage
    expectNear([fc()], [reference()], 1e-6);
  });

  it('addition of same-shape tensors', () => {
    const [on, off] = bothWays(() => [add(randn([8, 64, 8, 8]), randn([8, 64, 8, 8]))]);
    expectNear(on, off, 1e-6);
  });

  const pools: [string, Parameters<typeof avgPool2d>[2] & { avg?: boolean }, number][] = [
    ['max 3x3/2 pad 1', { stride: 2, padding: 1 }, 3],
    ['max 3x3/2 ceil_mode', { stride: 2, ceilMode: true }, 3],
    ['max 2x2/2', { stride: 2 }, 2],
    ['avg 3x3/2 pad 1 exclusive', { stride: 2, padding: 1, avg: true }, 3],
    ['avg 3x3/2 pad 1 counting the padding', { stride: 2, padding: 1, avg: true, exclusive: false }, 3],
    ['avg 3x3/2 ceil_mode counting the padding', { stride: 2, ceilMode: true, avg: true, exclusive: false }, 3],
  ];
  it('adaptive average and max pooling to sizes that divide the input, forward and gradient', () => {
    const [on, off] = bothWays(() => {
      const x = randn([2, 16, 32, 32]);
      x.stopGradient = false;
      const a = engine.runOp('pool2d', { X: x }, { pooling_type: 'avg', ksize: [1, 1], adaptive: true }).Out as Tensor;
      const m = engine.runOp('pool2d', { X: x }, { pooling_type: 'max', ksize: [4, 8], adaptive: true }).Out as Tensor;
      sum(a.multiply(randn(a.shape))).backward();
      const g1 = x.grad!.clone();
      x.clearGradient();
      sum(m.multiply(randn(m.shape))).backward();
      return [a, m, g1, x.grad!];
    });
    expectNear(on, off, 1e-5);
  });
  for (const [name, opts, k] of pools) {
    it(`pool2d ${name}, forward and gradient`, () => {
      const [on, off] = bothWays(() => {
        // Rounded values make ties, so the gradient must go to the same (first) maximum.
        const x = randn([2, 16, 33, 35]).multiply(2).round();
        x.stopGradient = false;
        const { avg, ...rest } = opts;
        const y: Tensor = avg ? avgPool2d(x, k, rest as never) : maxPool2d(x, k, rest as Record<string, never>);
        sum(y.multiply(randn(y.shape))).backward();
        return [y, x.grad!];
      });
      expectNear(on, off, 1e-5);
    });
  }

  it('inference reuses reordered filters until the weights change in place', () => {
    const conv = new nn.Conv2D(16, 32, 3, { padding: 1 });
    const x = randn([2, 16, 12, 12]);
    const infer = (): Float32Array => noGrad(() => tidy(() => conv.call(x).dataSync() as Float32Array));
    const reference = (): Float32Array => withoutDnnl(infer);
    expectNear([infer(), infer()], [reference(), reference()], 1e-5);
    // An optimizer step updates the filter in place (its version changes): no stale copy.
    tidy(() => sum(conv.call(x)).backward());
    new optim.SGD({ learningRate: 0.5, parameters: conv.parameters() }).step();
    expectNear([infer()], [reference()], 1e-5);
  });

  it('per-channel add and multiply (a convolution bias, a scale) on blocked and plain inputs, with gradients', () => {
    const [on, off] = bothWays(() => {
      const conv = new nn.Conv2D(8, 16, 3, { padding: 1 }); // its output is blocked, then the bias is added
      const x = randn([4, 8, 20, 20]);
      x.stopGradient = false;
      const y = conv.call(x);
      const s = randn([16]);
      const z = engine.runOp('elementwise_mul', { X: y, Y: s }, { axis: 1 }).Out as Tensor;
      const plain = engine.runOp('elementwise_add', { X: randn([4, 16, 20, 20]), Y: s }, { axis: 1 }).Out as Tensor;
      sum(z.multiply(randn(z.shape))).backward();
      return [y, z, plain, x.grad!, conv.weight.grad!, conv.bias!.grad!];
    });
    expectNear(on, off, 1e-5);
  });

  it('sums and means over axes, of blocked and plain tensors', () => {
    const [on, off] = bothWays(() => {
      const blocked = relu(new nn.Conv2D(4, 16, 3, { padding: 1, biasAttr: false }).call(randn([4, 4, 24, 24])));
      const plain = randn([4, 16, 24, 24]);
      const r = (op: string, x: Tensor, dim: number[], keep = false): Tensor =>
        engine.runOp(op, { X: x }, { dim, keep_dim: keep, reduce_all: false }).Out as Tensor;
      return [
        r('reduce_sum', blocked, [0, 2, 3], true),
        r('reduce_mean', blocked, [2, 3]),
        r('reduce_sum', plain, [0, 2, 3]),
        r('reduce_sum', plain, [3]),
        r('reduce_mean', plain, [1, 2]),
      ];
    });
    expectNear(on, off, 1e-5);
  });

  // Activations stay in oneDNN's blocked layout from one kernel to the next: a residual stack
  // must give the same outputs and gradients as the plain TypeScript kernels.
  for (const training of [true, false]) {
    it(`a residual conv/bn/relu/add/pool stack, ${training ? 'training' : 'inference'}: outputs and every gradient`, () => {
      const [on, off] = bothWays(() => {
        // No conv bias before a batch norm (as in ResNet): its gradient would be rounding noise.
        const c1 = new nn.Conv2D(8, 16, 3, { padding: 1, biasAttr: false });
        const b1 = new nn.BatchNorm2D(16);
        const c2 = new nn.Conv2D(16, 16, 3, { padding: 1, biasAttr: false });
        const b2 = new nn.BatchNorm2D(16);
        const c3 = new nn.Conv2D(16, 32, 1, { stride: 2, biasAttr: false });
        const b3 = new nn.BatchNorm2D(32);
        const fc = new nn.Linear(32, 5);
        const layers = [c1, b1, c2, b2, c3, b3, fc];
        if (!training) for (const l of layers) l.eval();
        const x = randn([4, 8, 32, 32]);
        x.stopGradient = false;
        const h = relu(b1.call(c1.call(x)));
        const r = relu(add(b2.call(c2.call(h)), h));
        const p = maxPool2d(r, 3, { stride: 2, padding: 1 });
        const q = relu(b3.call(c3.call(p)));
        const y = fc.call(q.mean([2, 3]));
        sum(y.multiply(randn(y.shape))).backward();
        const grads = layers.flatMap((l) => l.parameters().filter((w) => !w.stopGradient).map((w) => w.grad!));
        return [y, q, x.grad!, ...grads];
      });
      expectNear(on, off, 1e-4);
    });
  }

  for (const training of [true, false]) {
    it(`batch_norm ${training ? 'training' : 'inference'} forward, running statistics and gradients`, () => {
      const [on, off] = bothWays(() => {
        const bn = new nn.BatchNorm2D(24);
        if (!training) bn.eval();
        const x = randn([4, 24, 14, 14]).multiply(3).add(1);
        x.stopGradient = false;
        const y = bn.call(x);
        const g = randn(y.shape);
        sum(y.multiply(g)).backward();
        return [y, x.grad!, bn.weight.grad!, bn.bias.grad!, bn._mean, bn._variance];
      });
      expectNear(on, off, 2e-5);
    });
  }
});
