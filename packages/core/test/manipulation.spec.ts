import {
  backward,
  broadcastTo,
  chunk,
  concat,
  engine,
  expand,
  expandAs,
  flatten,
  flip,
  getItem,
  grad,
  memory,
  multiply,
  OpError,
  reshape,
  roll,
  slice,
  split,
  squeeze,
  stack,
  stridedSlice,
  sum,
  t,
  tensor,
  tidy,
  tile,
  transpose,
  unsqueeze,
  unstack,
  type Tensor,
} from '../src';

/** 0, 1, ..., n-1 as a float32 tensor of `shape`. */
function arange(shape: number[], opts: { stopGradient?: boolean } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => i), { shape, ...opts });
}

const runOp = (type: string, inputs: Record<string, Tensor | Tensor[]>, attrs: Record<string, number | number[]> = {}) =>
  engine.runOp(type, inputs, attrs);

describe('manipulation: public functions', () => {
  it('reshape shares the input buffer; flatten/squeeze/unsqueeze only relabel the shape', () => {
    const x = arange([2, 3, 4]);
    const y = reshape(x, [4, -1]);
    expect(y.shape).toEqual([4, 6]);
    expect(y._storage).toBe(x._storage);
    expect(flatten(x).shape).toEqual([24]);
    expect(flatten(x, 1).shape).toEqual([2, 12]);
    expect(flatten(x, 0, 1).shape).toEqual([6, 4]);
    const s = arange([1, 3, 1]);
    expect(squeeze(s).shape).toEqual([3]);
    expect(squeeze(s, -1).shape).toEqual([1, 3]);
    expect(squeeze(s, 1).shape).toEqual([1, 3, 1]); // a listed dimension of size 3 stays
    expect(unsqueeze(arange([3]), [0, -1]).shape).toEqual([1, 3, 1]);
  });

  it('transpose, t, flip and roll reorder elements', () => {
    const x = arange([2, 3]);
    expect(transpose(x, [1, 0]).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(t(x).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const v = arange([3]);
    expect(t(v)).toBe(v);
    expect(() => t(arange([2, 2, 2]))).toThrow(/t: expects a tensor of rank <= 2, got shape \[2, 2, 2\]/);
    expect(flip(x, 1).toArray()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(flip(x, [0, 1]).toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(roll(x, 1).toArray()).toEqual([[5, 0, 1], [2, 3, 4]]);
    expect(roll(x, -1, 1).toArray()).toEqual([[1, 2, 0], [4, 5, 3]]);
    expect(roll(x, [1, 1], [0, 1]).toArray()).toEqual([[5, 3, 4], [2, 0, 1]]);
  });

  it('concat, split, chunk, stack and unstack round-trip', () => {
    const x = arange([2, 6]);
    const parts = split(x, [1, -1, 2], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 1], [2, 3], [2, 2]]);
    expect(concat(parts, 1).toArray()).toEqual(x.toArray());
    const thirds = chunk(x, 3, -1);
    expect(thirds.map((p) => p.toArray())).toEqual([[[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]]]);
    expect(split(x, 2).map((p) => p.shape)).toEqual([[1, 6], [1, 6]]);
    const s = stack([x, x, x], 1);
    expect(s.shape).toEqual([2, 3, 6]);
    const back = unstack(s, 1);
    expect(back).toHaveLength(3);
    for (const b of back) expect(b.toArray()).toEqual(x.toArray());
    expect(unstack(x, -1)).toHaveLength(6);
  });

  it('slice and stridedSlice clamp their bounds', () => {
    const x = arange([4, 5]);
    expect(slice(x, [0, 1], [-2, 1], [2147483647, 3]).toArray()).toEqual([[11, 12], [16, 17]]);
    expect(slice(x, [1], [4], [2]).shape).toEqual([4, 0]);
    expect(stridedSlice(x, [1], [-1], [-1], [-2]).toArray()).toEqual([[4, 2, 0], [9, 7, 5], [14, 12, 10], [19, 17, 15]]);
    expect(stridedSlice(x, [0], [0], [100], [3]).toArray()).toEqual([[0, 1, 2, 3, 4], [15, 16, 17, 18, 19]]);
  });

  it('tile, expand, broadcastTo and expandAs broadcast', () => {
    const x = tensor([[1], [2]]);
    expect(tile(x, [2, 1, 3]).shape).toEqual([2, 2, 3]);
    expect(tile(x, [2]).toArray()).toEqual([[1, 1], [2, 2]]);
    expect(expand(x, [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(broadcastTo(x, [2, 2, 2]).shape).toEqual([2, 2, 2]);
    expect(expandAs(x, arange([3, 2, 4])).toArray()).toEqual([
      [[1, 1, 1, 1], [2, 2, 2, 2]],
      [[1, 1, 1, 1], [2, 2, 2, 2]],
      [[1, 1, 1, 1], [2, 2, 2, 2]],
    ]);
  });

  it('moves int64 values beyond 2^53 exactly', () => {
    const big = [2n ** 60n + 1n, -(2n ** 62n) + 3n, 2n ** 53n + 1n, 7n, -5n, 2n ** 62n - 1n];
    const x = tensor(BigInt64Array.from(big), { shape: [2, 3] });
    const got = (y: Tensor): bigint[] => Array.from(y.dataSync() as BigInt64Array);
    expect(got(transpose(x, [1, 0]))).toEqual([big[0], big[3], big[1], big[4], big[2], big[5]]);
    expect(got(concat([x, x], 1))).toEqual([...big.slice(0, 3), ...big.slice(0, 3), ...big.slice(3), ...big.slice(3)]);
    expect(got(flip(x, 1))).toEqual([big[2], big[1], big[0], big[5], big[4], big[3]]);
    expect(got(roll(x, 2))).toEqual([big[4], big[5], big[0], big[1], big[2], big[3]]);
    expect(got(tile(x, [1, 2]))).toEqual([...big.slice(0, 3), ...big.slice(0, 3), ...big.slice(3), ...big.slice(3)]);
    expect(got(getItem(x, ':', '::-2'))).toEqual([big[2], big[0], big[5], big[3]]);
  });
});

describe('manipulation: getItem', () => {
  const x = arange([2, 3, 4]);

  it('drops integer-indexed dimensions, negative indices count from the end', () => {
    const y = getItem(x, 1);
    expect(y.shape).toEqual([3, 4]);
    expect(y.toFlatArray()).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    expect(getItem(x, -1, -1, -1).toArray()).toEqual([23]); // Paddle 2.0: every dim indexed gives [1]
  });

  it('takes slice strings with steps, negative bounds and clamping', () => {
    expect(getItem(x, -1, '1:', '::2').toArray()).toEqual([[16, 18], [20, 22]]);
    expect(getItem(x, 0, '-2:', '-3:-1').toArray()).toEqual([[5, 6], [9, 10]]);
    expect(getItem(x, 0, '::-1', 3).toArray()).toEqual([11, 7, 3]);
    expect(getItem(x, 0, 0, '2::-2').toArray()).toEqual([2, 0]);
    expect(getItem(x, 0, 0, '-10:100').toArray()).toEqual([0, 1, 2, 3]);
    expect(getItem(x, '2:1').shape).toEqual([0, 3, 4]);
    expect(getItem(x, 0, 0, '1:-10:-1').toArray()).toEqual([1, 0]);
    expect(getItem(x, 0, 0, '-10::-1').shape).toEqual([0]);
  });

  it('expands an ellipsis and inserts new axes for null', () => {
    expect(getItem(x, '...', 0).toArray()).toEqual([[0, 4, 8], [12, 16, 20]]);
    expect(getItem(x, 1, '...', '1:3').shape).toEqual([3, 2]);
    const y = getItem(x, null, 0, null, '::-1');
    expect(y.shape).toEqual([1, 1, 3, 4]);
    expect(y.toFlatArray().slice(0, 4)).toEqual([8, 9, 10, 11]);
    expect(getItem(x, 0, 0, 0, null).shape).toEqual([1]);
    expect(getItem(x, '...', null).shape).toEqual([2, 3, 4, 1]);
  });

  it('always returns a new tensor, even when nothing is selected', () => {
    const y = getItem(x);
    expect(y).not.toBe(x);
    expect(y.shape).toEqual([2, 3, 4]);
    y.dispose();
    expect(x.isDisposed).toBe(false);
  });

  it('rejects bad indices clearly', () => {
    expect(() => getItem(x, 0, 3)).toThrow('getItem: index 3 is out of range for dimension 1 of size 3 (shape [2, 3, 4])');
    expect(() => getItem(x, -3)).toThrow(/index -3 is out of range for dimension 0 of size 2/);
    expect(() => getItem(x, 0, 0, 0, 0)).toThrow(/4 indices for a tensor of rank 3/);
    expect(() => getItem(x, '...', '...')).toThrow(/at most one '...'/);
    expect(() => getItem(x, '1:2:0')).toThrow(/step 0/);
    expect(() => getItem(x, 'a:b')).toThrow(/is not a slice/);
    expect(() => getItem(x, 0.5)).toThrow(/expected an integer/);
  });

  it('is differentiable, with gradients scattered back into place', () => {
    const w = arange([3, 4], { stopGradient: false });
    backward(sum(multiply(getItem(w, '1:', '::-2'), tensor([[1, 2], [3, 4]]))));
    expect(w.grad!.toArray()).toEqual([
      [0, 0, 0, 0],
      [0, 2, 0, 1],
      [0, 4, 0, 3],
    ]);
    const v = arange([2, 3], { stopGradient: false });
    const [g] = grad(sum(getItem(v, -1, null, 1)), v);
    expect(g!.toArray()).toEqual([[0, 0, 0], [0, 1, 0]]);
  });

  it('supports second derivatives: slice gradients are built from differentiable ops', () => {
    const w = tensor([1, 2, 3, 4], { stopGradient: false });
    const y = getItem(w, '::-2'); // [w3, w1]
    const [dw] = grad(sum(multiply(y, y)), w, undefined, { createGraph: true });
    expect(dw!.toArray()).toEqual([0, 4, 0, 8]);
    const [ddw] = grad(sum(multiply(dw!, tensor([1, 2, 3, 4]))), w);
    expect(ddw!.toArray()).toEqual([0, 4, 0, 8]);
  });

  it('leaves no tensors behind inside tidy, backward included', () => {
    const w = arange([4, 5], { stopGradient: false });
    const before = memory().numTensors;
    tidy(() => {
      const [g] = grad(sum(concat(split(getItem(w, '::2', '1:4'), [1, 2], 1).reverse(), 1)), w);
      expect(g!.toFlatArray().reduce((a, b) => a + b, 0)).toBe(6);
    });
    expect(memory().numTensors).toBe(before);
  });
});

describe('manipulation: gradients of list outputs', () => {
  it('split and unstack give zeros to outputs that were not used', () => {
    const x = arange([2, 4], { stopGradient: false });
    const [a] = split(x, 2, 1);
    const [ga] = grad(sum(a!), x);
    expect(ga!.toArray()).toEqual([[1, 1, 0, 0], [1, 1, 0, 0]]);
    const rows = unstack(x, 0);
    const [gr] = grad(sum(rows[1]!), x);
    expect(gr!.toArray()).toEqual([[0, 0, 0, 0], [1, 1, 1, 1]]);
  });

  it('concat and stack route gradients to each input', () => {
    const a = arange([2], { stopGradient: false });
    const b = arange([3], { stopGradient: false });
    const c = concat([a, b]);
    backward(sum(multiply(c, tensor([1, 2, 3, 4, 5]))));
    expect(a.grad!.toArray()).toEqual([1, 2]);
    expect(b.grad!.toArray()).toEqual([3, 4, 5]);
    const p = arange([2], { stopGradient: false });
    const q = tensor([5, 6]); // no gradient wanted
    const [gp] = grad(sum(multiply(stack([q, p], 1), tensor([[1, 10], [2, 20]]))), p);
    expect(gp!.toArray()).toEqual([10, 20]);
  });

  it('tile sums the repeated copies', () => {
    const x = arange([2, 1], { stopGradient: false });
    const [g] = grad(sum(tile(x, [3, 2, 4])), x);
    expect(g!.toArray()).toEqual([[24], [24]]);
  });
});

describe('manipulation: errors name the operator, slot and values', () => {
  const x = arange([2, 3]);

  it('checks shapes and dtypes of list inputs', () => {
    expect(() => concat([x, arange([3, 3])], 1)).toThrow(OpError);
    expect(() => concat([x, arange([3, 3])], 1)).toThrow(/concat: input X\[1\] has shape \[3, 3\], expected \[2, \*\]/);
    expect(() => concat([x, tensor([[1], [2]], { dtype: 'int32' })], 1)).toThrow(/concat: input X\[1\] has dtype int32, expected float32/);
    expect(() => concat([], 0)).toThrow(/concat: input X must hold at least one tensor/);
    expect(() => stack([x, arange([3, 2])])).toThrow(/stack: input X\[1\] has shape \[3, 2\], expected \[2, 3\]/);
    expect(() => concat([x, x], 2)).toThrow(/concat: axis 2 is out of range for input of rank 2/);
  });

  it('checks split sizes', () => {
    expect(() => split(x, 2, 1)).toThrow(/split: input X has size 3 along the axis, which num = 2 does not divide/);
    expect(() => split(x, [1, 1], 1)).toThrow(/split: sections \[1, 1\] add up to 2, but input X has size 3/);
    expect(() => split(x, [-1, -1], 1)).toThrow(/more than one -1/);
    expect(() => split(x, [4, -1], 1)).toThrow(/add up to more than the size 3/);
  });

  it('checks slice attributes and rejects tensor-form bounds in eager mode', () => {
    expect(() => runOp('slice', { Input: x, StartsTensor: tensor([0], { dtype: 'int32' }) }, { axes: [0], starts: [0], ends: [1] })).toThrow(
      /slice: input StartsTensor is resolved by the program executor/,
    );
    expect(() => runOp('slice', { Input: x }, { axes: [0, 1], starts: [0], ends: [1, 1] })).toThrow(
      /slice: attribute starts has 1 entries, axes has 2/,
    );
    expect(() => runOp('slice', { Input: x }, { axes: [1], starts: [0], ends: [2], decrease_axis: [1] })).toThrow(
      /slice: decrease_axis lists dimension 1, which has size 2 after slicing input \[2, 3\]; it must be 1/,
    );
    expect(() => stridedSlice(x, [0], [0], [2], [0])).toThrow(/strided_slice: strides\[0\] must be a nonzero integer, got 0/);
    expect(() => slice(x, [2], [0], [1])).toThrow(/slice: axes 2 is out of range for input of rank 2/);
  });

  it('checks permutations, axes and repeat counts', () => {
    expect(() => transpose(x, [0])).toThrow(/transpose2: attribute axis \[0\] must list all 2 dimensions of input X/);
    expect(() => transpose(x, [0, 0])).toThrow(/transpose2: attribute axis \[0, 0\] repeats an axis/);
    expect(() => unsqueeze(x, 4)).toThrow(/unsqueeze2: axes entry 4 is out of range when the shape is \[2, 3\]/);
    expect(() => flatten(x, 1, 0)).toThrow(/flatten_contiguous_range: start_axis \(1\) must not be greater than stop_axis \(0\)/);
    expect(() => runOp('unstack', { X: x }, { axis: 1, num: 2 })).toThrow(/unstack: attribute num \(2\) must equal the size 3/);
    expect(() => tile(x, [2, 0])).toThrow(/tile: repeat_times \[2, 0\] must hold positive integers, got 0/);
    expect(() => roll(x, [1, 2])).toThrow(/roll: without axis, shifts must hold one value, got \[1, 2\]/);
    expect(() => flip(x, [1, -1])).toThrow(/flip: attribute axis \[1, -1\] repeats an axis/);
    expect(() => expandAs(x, arange([4, 3]))).toThrow(/expand_as_v2: input X \[2, 3\] cannot be expanded to \[4, 3\]: dimension 0 is 2, expected 1 or 4/);
    expect(() => runOp('reshape', { X: x }, { shape: [4, -1] })).toThrow(/reshape: cannot reshape \[2, 3\]/);
  });
});
