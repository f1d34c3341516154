import { add, backward, grad, memory, multiply, sum, tensor, tidy, zeros, OpError, engine, noGrad, divide, optim, Parameter } from '../src';

describe('engine basics', () => {
  it('creates tensors and broadcasts with Paddle axis', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = tensor([10, 20]);
    const z = engine.runOp('elementwise_add', { X: x, Y: y }, { axis: 0 }).Out as ReturnType<typeof tensor>;
    expect(z.toArray()).toEqual([[11, 12, 13], [24, 25, 26]]);
    expect(add(x, tensor([1, 1, 1])).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
  });

  it('reports shape mismatches naming the operator and inputs', () => {
    const x = zeros([2, 3]);
    const y = zeros([4]);
    expect(() => add(x, y)).toThrow(OpError);
    expect(() => add(x, y)).toThrow(/elementwise_add: shapes X \[2, 3\] and Y \[4\] cannot be broadcast/);
  });

  it('computes gradients through broadcasting', () => {
    const x = tensor([[1, 2], [3, 4]], { stopGradient: false });
    const b = tensor([0.5, -1], { stopGradient: false });
    const loss = sum(multiply(add(x, b), x));
    backward(loss);
    // d/dx (x+b)*x = 2x + b ; d/db = sum over rows of x
    expect(x.grad!.toArray()).toEqual([[2.5, 3], [6.5, 7]]);
    expect(b.grad!.toArray()).toEqual([4, 6]);
  });

  it('accumulates gradients across backward calls', () => {
    const w = tensor([2], { stopGradient: false });
    for (let i = 0; i < 3; i++) backward(sum(multiply(w, w)));
    expect(w.grad!.toArray()).toEqual([12]);
  });

  it('grad() returns gradients without touching .grad, and supports create_graph', () => {
    const x = tensor([3], { stopGradient: false });
    const y = multiply(multiply(x, x), x); // x^3
    const [dx] = grad(y, x, undefined, { createGraph: true });
    expect(dx!.toArray()).toEqual([27]);
    const [ddx] = grad(dx!, x);
    expect(ddx!.toArray()).toEqual([18]);
    expect(x.grad).toBeNull();
  });

  it('tidy frees everything but the result', () => {
    const before = memory().numTensors;
    const r = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = add(a, a);
      return divide(b, a);
    });
    expect(memory().numTensors).toBe(before + 1);
    expect(r.toArray()).toEqual([2, 2, 2]);
    r.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('noGrad records nothing', () => {
    const x = tensor([1], { stopGradient: false });
    const y = noGrad(() => multiply(x, x));
    expect(y.stopGradient).toBe(true);
  });

  it('rejects a second backward through a freed graph', () => {
    const x = tensor([1, 2], { stopGradient: false });
    const y = sum(multiply(x, x));
    backward(y);
    expect(() => backward(y)).toThrow(/already freed/);
  });
});

describe('gradients cleared to zero', () => {
  it('the next backward stores the gradient instead of adding it to zeros, with the same result', () => {
    const w = Parameter.from(tensor([1, 2, 3]), 'w');
    const opt = new optim.SGD({ learningRate: 0, parameters: [w] });
    backward(sum(multiply(w, w)));
    opt.clearGrad();
    expect(w.grad!.toArray()).toEqual([0, 0, 0]);
    const zeroed = w.grad!;
    backward(sum(multiply(w, w)));
    expect(w.grad!.toArray()).toEqual([2, 4, 6]);
    expect(zeroed.isDisposed).toBe(true);
    // A second backward without clearing accumulates as before.
    backward(sum(multiply(w, w)));
    expect(w.grad!.toArray()).toEqual([4, 8, 12]);
    opt.dispose();
    w.dispose();
  });
});
