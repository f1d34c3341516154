import {
  OpError,
  add,
  backward,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  engine,
  klDiv,
  l1Loss,
  logLoss,
  marginRankingLoss,
  mseLoss,
  multiply,
  nllLoss,
  smoothL1Loss,
  softmaxWithCrossEntropy,
  sum,
  tensor,
  type Tensor,
} from '../src';

// Expected values were computed with PyTorch 1.13 (torch.nn.functional) in float64 on the inputs
// below; where Paddle's semantics differ (soft labels with class weights) the formula is noted.
const f64 = (v: unknown): Tensor => tensor(v as number[], { dtype: 'float64' });
const i64 = (v: unknown): Tensor => tensor(v as number[], { dtype: 'int64' });
const expectClose = (got: number[], want: number[], digits = 9): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, digits));
};

const X = [[2.0409, -2.5557, 0.4181], [-0.5678, -0.4526, -0.2156], [-2.02, -0.2319, -0.8652], [3.323, 0.2258, -0.3526]];
const LAB = [0, 2, -100, 1];
const W = [0.5, 2.0, 1.5];

describe('crossEntropy (Paddle 2.0 F.cross_entropy)', () => {
  it('averages over labels that are not ignore_index', () => {
    const loss = crossEntropy(f64(X), i64(LAB));
    expect(loss.shape).toEqual([1]);
    expect(loss.item()).toBeCloseTo(1.4223227658497481, 10);
  });

  it("returns per-sample losses with reduction 'none' (0 at ignored labels)", () => {
    const loss = crossEntropy(f64(X), i64(LAB), { reduction: 'none' });
    expect(loss.shape).toEqual([4]);
    expectClose(loss.toFlatArray(), [0.18849531645771248, 0.9131380746825523, 0.0, 3.1653349064089795]);
  });

  it('accepts labels with the class dimension [N, 1]', () => {
    const lab = tensor(LAB.map((v) => [v]), { dtype: 'int64' });
    expect(crossEntropy(f64(X), lab).item()).toBeCloseTo(1.4223227658497481, 10);
    expect(crossEntropy(f64(X), lab, { reduction: 'none' }).shape).toEqual([4, 1]);
  });

  it('takes a weighted mean with class weights, and its gradient matches PyTorch', () => {
    const x = f64(X);
    x.stopGradient = false;
    const loss = crossEntropy(x, i64(LAB), { weight: f64(W) });
    expect(loss.item()).toBeCloseTo(1.948656145767661, 10);
    backward(loss);
    expectClose(x.grad!.toFlatArray(), [-0.021474452205024253, 0.001044165937551037, 0.020430286267473216, 0.10580396036529666, 0.11872239482841654, -0.2245263551937132, 0.0, 0.0, 0.0, 0.46706722217646884, -0.47889999680269163, 0.011832774626222765]);
    expect(crossEntropy(f64(X), i64(LAB), { weight: f64(W), reduction: 'sum' }).item()).toBeCloseTo(7.794624583070644, 10);
  });

  it('applies label smoothing like PyTorch (label_smoothing=0.1)', () => {
    expect(crossEntropy(f64(X), i64([1, 1, 0, 2]), { labelSmoothing: 0.1 }).item()).toBeCloseTo(2.875070920637981, 10);
  });

  it('handles segmentation logits [N, C, H, W] with the classes on axis 1', () => {
    const x = tensor([[[[-0.2813, -0.668], [-1.0552, -0.3908]], [[0.4819, -0.2386], [0.9578, -0.1998]], [[0.0243, 1.5458], [0.5451, -0.5052]]], [[[-0.1828, 0.5405], [1.9351, -0.2696]], [[-0.2436, 1.0023], [-0.8865, -0.2917]], [[0.8825, 0.5804], [0.0915, 0.6701]]]], { dtype: 'float64' });
    const lab = tensor([[[1, 2], [-100, 2]], [[1, 0], [1, 2]]], { dtype: 'int64' });
    expect(crossEntropy(x, lab, { axis: 1 }).item()).toBeCloseTo(1.2501115232277935, 10);
    const none = crossEntropy(x, lab, { axis: 1, reduction: 'none' });
    expect(none.shape).toEqual([2, 2, 2]);
    expectClose(none.toFlatArray(), [0.74144809752078, 0.2446563597568866, 0.0, 1.246563297893429, 1.6382767093840205, 1.2885808061842114, 3.018610938220462, 0.5726444536347655]);
  });

  it('takes soft labels; with class weights each sample is scaled by label·weight (Paddle)', () => {
    const y = tensor([[0.30440618346755527, 0.31602332685365175, 0.3795704896787929], [0.20747410204279215, 0.3672669183851293, 0.42525897957207864], [0.07600297176820209, 0.6313521545319466, 0.2926448736998514], [0.36220175173663544, 0.11046511627906977, 0.5273331319842948]], { dtype: 'float64' });
    expect(crossEntropy(f64(X), y, { softLabel: true }).item()).toBeCloseTo(1.6324081498855225, 10);
    // sum_i (y_i·w) CE_i / sum_i (y_i·w)
    expect(crossEntropy(f64(X), y, { softLabel: true, weight: f64(W) }).item()).toBeCloseTo(1.548192425991786, 10);
  });

  it('takes probabilities with useSoftmax: false', () => {
    const p = tensor([[0.828204382359806, 0.008353327500408292, 0.16344229013978573], [0.28214389430745773, 0.31659305287577744, 0.40126305281676483], [0.0985078815434128, 0.5888883226384166, 0.31260379581817077], [0.9341344443529377, 0.042200006394616754, 0.023665549252445527]], { dtype: 'float64' });
    expect(crossEntropy(p, i64([1, 1, 0, 2]), { useSoftmax: false }).item()).toBeCloseTo(2.999146753971314, 10);
  });

  it('stays finite for huge logits', () => {
    const x = tensor([[1e4, 0, -1e4], [-5e3, 5e3, 5e3 - 2]]);
    const loss = crossEntropy(x, i64([0, 2]), { reduction: 'none' }).toFlatArray();
    expect(loss[0]).toBeCloseTo(0, 6);
    expect(loss[1]).toBeCloseTo(2 + Math.log1p(Math.exp(-2)), 5);
  });

  it('rejects bad labels and weights with clear errors', () => {
    expect(() => crossEntropy(f64(X), i64([0, 1, 5, 1]))).toThrow(/softmax_with_cross_entropy: input Label holds 5 at flat index 2, expected a class index in \[0, 3\)/);
    expect(() => crossEntropy(f64(X), tensor([0, 1, 2, 1]))).toThrow(/input Label must have dtype int64 or int32, got float32/);
    expect(() => crossEntropy(f64(X), i64([0, 1, 2]))).toThrow(OpError);
    expect(() => crossEntropy(f64(X), i64(LAB), { weight: f64([1, 2]) })).toThrow(/weight must have shape \[3\]/);
    expect(() => crossEntropy(f64(X), i64(LAB), { reduction: 'avg' as never })).toThrow(/reduction must be/);
  });
});

describe('softmaxWithCrossEntropy', () => {
  it('keeps the class dimension and can return the softmax', () => {
    const [loss, sm] = softmaxWithCrossEntropy(f64(X), i64(LAB), { returnSoftmax: true });
    expect(loss.shape).toEqual([4, 1]);
    expectClose(loss.toFlatArray(), [0.18849531645771248, 0.9131380746825523, 0.0, 3.1653349064089795]);
    expectClose(sm.toFlatArray().slice(0, 3), [0.828204382359806, 0.008353327500408292, 0.16344229013978573]);
  });

  it('differentiates through both outputs of the op', () => {
    const x = f64([[0.1, 0.7, -0.4]]);
    x.stopGradient = false;
    const [loss, sm] = softmaxWithCrossEntropy(x, i64([[1]]), { returnSoftmax: true });
    // d(loss + softmax[0])/dx: (softmax - onehot) + softmax_0 (e_0 - softmax)
    const sm0 = sum(multiply(sm, f64([[1, 0, 0]])));
    backward(add(sum(loss), sm0));
    const s = [0.1, 0.7, -0.4].map(Math.exp);
    const z = s.reduce((a, b) => a + b);
    const p = s.map((v) => v / z);
    const want = p.map((v, i) => v - (i === 1 ? 1 : 0) + p[0]! * ((i === 0 ? 1 : 0) - v));
    expectClose(x.grad!.toFlatArray(), want);
  });
});

describe('other losses (values from PyTorch)', () => {
  const A = [[1.6818, 0.7528, 0.7536], [1.1379, 0.3492, -0.6392]];
  const B = [[-0.8002, -0.8002, 1.3701], [-1.4604, -0.5964, -0.3212]];

  it('nllLoss views [N, C, L] inputs as [N, C, 1, L]', () => {
    const x = tensor([[[0.5841, 0.5825, -0.2148, -0.7828], [0.2292, -2.4939, 0.6901, 0.4914], [-1.6389, 0.0614, -0.9641, 0.7572]], [[-2.0342, -0.9145, 0.7096, 1.1564], [-2.158, -0.498, 0.328, -0.6092], [1.5906, -1.1912, 0.3545, -1.0484]]], { dtype: 'float64' });
    const lab = tensor([[1, 2, 1, 0], [0, 0, -100, 1]], { dtype: 'int64' });
    expect(nllLoss(x, lab).item()).toBeCloseTo(0.4799999999999999, 10);
    const none = nllLoss(x, lab, { reduction: 'none' });
    expect(none.shape).toEqual([2, 4]);
    expectClose(none.toFlatArray(), [-0.2292, -0.0614, -0.6901, 0.7828, 2.0342, 0.9145, 0.0, 0.6092]);
  });

  it('mseLoss, l1Loss, smoothL1Loss', () => {
    const a = tensor(A, { dtype: 'float64' });
    const b = tensor(B, { dtype: 'float64' });
    expect(mseLoss(a, b).item()).toBeCloseTo(2.7831085833333336, 10);
    expect(l1Loss(a, b, { reduction: 'sum' }).item()).toBeCloseTo(8.5134, 10);
    expect(smoothL1Loss(a, b, { delta: 0.5 }).item()).toBeCloseTo(0.5872103333333334, 10);
    expect(mseLoss(a, b, { reduction: 'none' }).shape).toEqual([2, 3]);
  });

  it('binaryCrossEntropy with weights, binaryCrossEntropyWithLogits with posWeight', () => {
    const p = tensor([[0.5184, 0.5438, 0.2585], [0.4961, 0.2003, 0.4846]], { dtype: 'float64' });
    const t = tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]], { dtype: 'float64' });
    expect(binaryCrossEntropy(p, t, { weight: tensor([[1.0, 2.0, 0.5]], { dtype: 'float64' }) }).item()).toBeCloseTo(1.0429261987519887, 10);
    const a = tensor(A, { dtype: 'float64' });
    expect(binaryCrossEntropyWithLogits(a, t, { posWeight: f64([2.0, 0.5, 1.0]), reduction: 'sum' }).item()).toBeCloseTo(3.7800754283864206, 10);
    expect(() => binaryCrossEntropy(tensor([1.5]), tensor([1]))).toThrow(/bce_loss: input X must hold probabilities in \[0, 1\], got 1.5/);
  });

  it("klDiv with 'batchmean'", () => {
    // log_softmax of A, row by row
    const rows = (A as number[][]).map((r) => {
      const m = Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
      return r.map((v) => v - m);
    });
    const q = tensor([[0.0929289271600403, 0.0929289271600403, 0.8141421456799193], [0.15391955647733835, 0.36519450622022204, 0.48088593730243967]], { dtype: 'float64' });
    expect(klDiv(tensor(rows, { dtype: 'float64' }), q, { reduction: 'batchmean' }).item()).toBeCloseTo(0.7173136681293202, 10);
    expect(() => klDiv(tensor(rows), tensor(rows), { reduction: 'avg' as never })).toThrow(/reduction must be/);
  });

  it('marginRankingLoss and logLoss', () => {
    expect(marginRankingLoss(f64([0.3, -1.2, 2.0]), f64([0.5, 0.1, 2.5]), f64([1.0, -1.0, 1.0]), { margin: 0.2 }).item()).toBeCloseTo(
      0.36666664481163025,
      6,
    );
    const out = logLoss(f64([[0.9], [0.2]]), f64([[1], [0]]));
    expectClose(out.toFlatArray(), [-Math.log(0.9 + 1e-4), -Math.log(0.8 + 1e-4)]);
  });
});

describe('loss operator errors', () => {
  it('name the operator, the slot, and what was expected', () => {
    expect(() => engine.runOp('nll_loss', { X: tensor([[0.1, 0.2]]), Label: tensor([0]) })).toThrow(/nll_loss: input Label must have dtype int64 or int32, got float32/);
    expect(() => engine.runOp('nll_loss', { X: tensor([[0.1, 0.2]]), Label: i64([0, 1]) })).toThrow(/nll_loss: input Label must have shape \[1\] for X \[1, 2\], got \[2\]/);
    expect(() => engine.runOp('nll_loss', { X: tensor([[0.1, 0.2]]), Label: i64([0]) }, { reduction: 'avg' })).toThrow(/nll_loss: attribute reduction must be/);
    expect(() => engine.runOp('softmax_with_cross_entropy', { Logits: tensor([[1, 2]]), Label: i64([[0]]) }, { axis: 2 })).toThrow(/attribute axis 2 is out of range/);
    expect(() =>
      engine.runOp('softmax_with_cross_entropy', { Logits: tensor([[1, 2]]), Label: tensor([[0.5]]) }, { soft_label: true }),
    ).toThrow(/inputs Logits \[1, 2\] and Label \[1, 1\] must have the same shape/);
    expect(() => engine.runOp('huber_loss', { X: tensor([1, 2]), Y: tensor([1]) })).toThrow(/huber_loss: inputs X \[2\] and Y \[1\] must have the same shape/);
    expect(() => engine.runOp('smooth_l1_loss', { X: tensor([1, 2]), Y: tensor([1, 2]) })).toThrow(/smooth_l1_loss: input X must have rank >= 2/);
    expect(() => engine.runOp('log_loss', { Predicted: tensor([0.5, 0.5]), Labels: tensor([1, 0]) })).toThrow(/log_loss: input Predicted must have shape \[N, 1\]/);
  });
});
