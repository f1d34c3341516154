import {
  OpError,
  clip,
  elu,
  engine,
  gelu,
  grad,
  hardSigmoid,
  hardtanh,
  leakyRelu,
  logSoftmax,
  memory,
  multiply,
  powScalar,
  prelu,
  relu,
  relu6,
  round,
  sigmoid,
  softmax,
  softplus,
  sum,
  tanh,
  tensor,
  tidy,
  type Tensor,
} from '../src';

const close = (got: number[], want: number[], tol = 1e-6): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
};

describe('activation and unary public API', () => {
  it('uses Paddle Python defaults, not the op attribute defaults', () => {
    const x = tensor([-2, 0.5, 8]);
    // leaky_relu: Python negative_slope 0.01 (the op's own default alpha is 0.02)
    close(leakyRelu(x).toFlatArray(), [-0.02, 0.5, 8]);
    close(relu6(x).toFlatArray(), [0, 0.5, 6]);
    close(hardtanh(x).toFlatArray(), [-1, 0.5, 1]);
    // hardsigmoid: slope 1/6, offset 0.5
    close(hardSigmoid(tensor([-1.5, 0, 4])).toFlatArray(), [0.25, 0.5, 1]);
    close(elu(tensor([-1]), 0.5).toFlatArray(), [0.5 * Math.expm1(-1)]);
  });

  it('softmax and log_softmax stay finite for huge logits', () => {
    const x = tensor([[1e4, 0, -1e4], [-3e4, -3e4, -3e4]]);
    close(softmax(x).toFlatArray(), [1, 0, 0, 1 / 3, 1 / 3, 1 / 3]);
    close(logSoftmax(x).toFlatArray(), [0, -1e4, -2e4, -Math.log(3), -Math.log(3), -Math.log(3)]);
    close(softplus(tensor([-1e4, 1e4])).toFlatArray(), [0, 1e4]);
    close(sigmoid(tensor([-1e4, 1e4])).toFlatArray(), [0, 1]);
  });

  it('softmax casts to the requested dtype first', () => {
    const y = softmax(tensor([1, 2, 3]), -1, 'float64');
    expect(y.dtype).toBe('float64');
    close(y.toFlatArray(), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], 1e-14);
  });

  it('clip takes numbers, tensors or one-sided bounds', () => {
    const x = tensor([-3, -0.5, 0.25, 4]);
    close(clip(x, -1, 1).toFlatArray(), [-1, -0.5, 0.25, 1]);
    close(clip(x, undefined, 0).toFlatArray(), [-3, -0.5, 0, 0]);
    close(clip(x, tensor([0])).toFlatArray(), [0, 0, 0.25, 4]);
    expect(clip(tensor([-9, 9], { dtype: 'int32' }), -2, 3).toArray()).toEqual([-2, 3]);
  });

  it('powScalar takes a number or a one-element tensor; round goes half away from zero', () => {
    close(powScalar(tensor([2, 3]), 3).toFlatArray(), [8, 27]);
    close(powScalar(tensor([4, 9]), tensor([0.5])).toFlatArray(), [2, 3]);
    expect(round(tensor([-2.5, -0.5, 0.5, 2.5])).toArray()).toEqual([-3, -1, 1, 3]);
  });

  it('prelu infers the mode from the weight', () => {
    const x = tensor([[[-1, 2]], [[-3, -4]]]); // [2, 1, 2]
    close(prelu(x, tensor([0.5])).toFlatArray(), [-0.5, 2, -1.5, -2]);
    // NHWC: the channel is the last dimension (2 channels)
    close(prelu(x, tensor([0.1, 0.2]), 'NHWC').toFlatArray(), [-0.1, 2, -0.3, -0.8]);
  });
});

describe('activation errors name the operator, the slot and what was expected', () => {
  it('rejects integer inputs to float-only ops', () => {
    const xi = tensor([1, 2], { dtype: 'int32' });
    expect(() => relu(xi)).toThrow(OpError);
    expect(() => relu(xi)).toThrow('relu: input X must be a float tensor, got int32');
    expect(() => engine.runOp('exp', { X: xi })).toThrow('exp: input X must be a float tensor, got int32');
  });

  it('checks the softmax axis', () => {
    expect(() => softmax(tensor([[1, 2]]), 2)).toThrow('softmax: attribute axis 2 is out of range for X [1, 2] (expected -2 <= axis < 2)');
  });

  it('checks prelu weights against the mode', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => engine.runOp('prelu', { X: x, Alpha: tensor([1, 2]) }, { mode: 'channel' })).toThrow(
      'prelu: input Alpha must have 3 elements (one per channel) in mode "channel" for X [1, 3], got shape [2]',
    );
    expect(() => engine.runOp('prelu', { X: x, Alpha: tensor([1]) }, { mode: 'rows' })).toThrow('prelu: attribute mode must be');
  });

  it('checks clip bounds and pow factor tensors', () => {
    expect(() => clip(tensor([1]), 2, 1)).toThrow('clip: attribute min (2) must not exceed max (1)');
    expect(() => clip(tensor([1]), tensor([0, 1]))).toThrow('clip: input Min must hold one element, got shape [2]');
    expect(() => powScalar(tensor([1]), tensor([2], { dtype: 'float64' }))).toThrow(
      "pow: input FactorTensor must have X's dtype float32, got float64",
    );
  });

  it('checks grad-op inputs against Out@GRAD', () => {
    expect(() => engine.runOp('gelu_grad', { X: tensor([1, 2]), 'Out@GRAD': tensor([1, 2, 3]) })).toThrow(
      'gelu_grad: input X [2] and Out@GRAD [3] must have the same shape',
    );
  });
});

describe('second-order gradients through activations', () => {
  const d2 = (f: (x: Tensor) => Tensor, xs: number[]): number[] =>
    tidy(() => {
      const x = tensor(xs, { dtype: 'float64', stopGradient: false });
      const [dx] = grad(sum(f(x)), x, undefined, { createGraph: true });
      const [ddx] = grad(sum(dx!), x);
      return ddx!.toFlatArray();
    });

  it('tanh: f" = -2 tanh (1 - tanh^2)', () => {
    const xs = [-1.3, 0.2, 0.9];
    close(d2(tanh, xs), xs.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)), 1e-12);
  });

  it('gelu: f" = phi(x) (2 - x^2)', () => {
    const xs = [-2, -0.3, 1.1];
    const phi = (v: number): number => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
    close(d2((x) => gelu(x), xs), xs.map((v) => phi(v) * (2 - v * v)), 1e-12);
  });

  it('relu has a zero second derivative, and the first still flows', () => {
    close(d2((x) => multiply(relu(x), x), [-1, 2]), [0, 2], 1e-12);
  });

  it('softmax Hessian-vector products match finite differences', () => {
    const w = [0.3, -1.2, 0.7];
    const f = (xs: number[]): number => {
      const m = Math.max(...xs);
      const e = xs.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.reduce((a, v, i) => a + (w[i]! * v) / s, 0);
    };
    const xs = [0.5, -0.2, 1.1];
    const got = d2((x) => multiply(softmax(x), tensor(w, { dtype: 'float64' })), xs);
    // d/dx_i sum_j d f/dx_j by central differences of the analytic first derivative
    const h = 1e-5;
    const g = (v: number[]): number => {
      let s = 0;
      for (let j = 0; j < 3; j++) {
        const p = [...v];
        const q = [...v];
        p[j] += h;
        q[j] -= h;
        s += (f(p) - f(q)) / (2 * h);
      }
      return s;
    };
    const want = xs.map((_, i) => {
      const p = [...xs];
      const q = [...xs];
      p[i] += h;
      q[i] -= h;
      return (g(p) - g(q)) / (2 * h);
    });
    close(got, want, 1e-4);
  });

  it('leaves no tensors behind', () => {
    const before = memory().numTensors;
    d2((x) => softplus(x), [0.3, -0.4]);
    expect(memory().numTensors).toBe(before);
  });
});
