import {
  argmax,
  argmin,
  argsort,
  backward,
  cumsum,
  embedding,
  engine,
  gather,
  gatherNd,
  indexSample,
  indexSelect,
  maskedSelect,
  memory,
  multiply,
  nonzero,
  oneHot,
  OpError,
  putAlongAxis,
  scatter,
  scatterNd,
  scatterNdAdd,
  sort,
  sum,
  takeAlongAxis,
  tensor,
  tidy,
  topk,
  unique,
  where,
  type Tensor,
} from '../src';

const i64 = (a: number[], shape?: number[]): Tensor => tensor(BigInt64Array.from(a.map(BigInt)), { shape });
const i32 = (a: number[], shape?: number[]): Tensor => tensor(a, { dtype: 'int32', shape });
const param = (a: number[][] | number[]): Tensor => tensor(a, { stopGradient: false });

describe('gather, index_select, gather_nd', () => {
  it('gathers rows and accumulates the gradient of repeated indices', () => {
    const x = param([[1, 2], [3, 4], [5, 6]]);
    const out = gather(x, i64([2, 0, 2]));
    expect(out.toArray()).toEqual([[5, 6], [1, 2], [5, 6]]);
    backward(sum(out));
    expect(x.grad!.toArray()).toEqual([[1, 1], [0, 0], [2, 2]]);
  });

  it('takes the axis as a number or a one-element tensor', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(gather(x, i32([2, 0]), 1).toArray()).toEqual([[3, 1], [6, 4]]);
    const viaTensor = gather(x, i32([2, 0]), i32([1]));
    expect(viaTensor.shape).toEqual([2, 2]);
    expect(viaTensor.toArray()).toEqual([[3, 1], [6, 4]]);
  });

  it('names the operator, the position, the value and the valid range of a bad index', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => gather(x, i64([0, 5]))).toThrow(OpError);
    expect(() => gather(x, i64([0, 5]))).toThrow('gather: input Index[1] = 5 is out of range for axis 0 of X [2, 2] of size 2 (valid: [0, 2))');
    expect(() => indexSelect(x, i32([-1]), 1)).toThrow(/index_select: input Index\[0\] = -1 is out of range .*valid: \[0, 2\)/);
    expect(() => gatherNd(x, i64([0, 1, 1, 2], [2, 2]))).toThrow(/gather_nd: input Index\[1, 1\] = 2 is out of range for axis 1 of X/);
  });

  it('rejects float indices and an out-of-range axis, naming the slot', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => gather(x, tensor([0, 1]))).toThrow('gather: input Index must have dtype int32 or int64, got float32');
    expect(() => indexSelect(x, i32([0]), 2)).toThrow('index_select: dim = 2 is out of range for input X of rank 2 (valid: [-2, 2))');
  });

  it('indexSelect takes negative axes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(indexSelect(x, i64([2, 2]), -1).toArray()).toEqual([[3, 3], [6, 6]]);
  });
});

describe('scatter and scatter_nd_add', () => {
  it('overwrite=false zeroes the rows and accumulates repeated ids, gradients included', () => {
    const x = tensor([[1, 1], [2, 2], [3, 3]], { stopGradient: false });
    const upd = param([[10, 20], [30, 40], [50, 60]]);
    const out = scatter(x, i64([1, 1, 0]), upd, false);
    expect(out.toArray()).toEqual([[50, 60], [40, 60], [3, 3]]);
    backward(sum(multiply(out, tensor([[1, 2], [3, 4], [5, 6]]))));
    expect(x.grad!.toArray()).toEqual([[0, 0], [0, 0], [5, 6]]);
    expect(upd.grad!.toArray()).toEqual([[3, 4], [3, 4], [1, 2]]);
  });

  it('overwrite=true lets the last repeated id win', () => {
    const out = scatter(tensor([0, 0, 0]), i32([2, 2]), tensor([7, 9]));
    expect(out.toArray()).toEqual([0, 0, 9]);
  });

  it('checks the Updates shape', () => {
    expect(() => scatter(tensor([[1, 2], [3, 4]]), i64([0]), tensor([[1, 2, 3]]))).toThrow(
      'scatter: input Updates must have shape [1, 2] (one row of X per id), got [1, 3]',
    );
  });

  it('scatterNdAdd adds repeated slices; scatterNd starts from zeros', () => {
    const x = tensor([1, 2, 3, 4]);
    const out = scatterNdAdd(x, i64([1, 3, 1], [3, 1]), tensor([10, 20, 30]));
    expect(out.toArray()).toEqual([1, 42, 3, 24]);
    expect(scatterNd(i64([0, 1, 0, 1], [2, 2]), tensor([5, 6]), [2, 2]).toArray()).toEqual([[0, 11], [0, 0]]);
  });
});

describe('where, nonzero, masked_select', () => {
  it('where broadcasts and routes gradients by the condition', () => {
    const c = tensor([[true], [false]]);
    const x = param([1, 2, 3]);
    const y = param([[10], [20]]);
    const out = where(c, x, y);
    expect(out.toArray()).toEqual([[1, 2, 3], [20, 20, 20]]);
    backward(sum(out));
    expect(x.grad!.toArray()).toEqual([1, 1, 1]);
    expect(y.grad!.toArray()).toEqual([[0], [3]]);
  });

  it('where with a scalar operand takes the other operand dtype', () => {
    const out = where(tensor([true, false]), tensor([1, 2]), 0);
    expect(out.dtype).toBe('float32');
    expect(out.toArray()).toEqual([1, 0]);
  });

  it('one-argument where and nonzero(asTuple) give one [n, 1] column per dimension', () => {
    const c = tensor([[0, 3], [4, 0]]);
    const [rows, cols] = where(c);
    expect(rows!.toArray()).toEqual([[0], [1]]);
    expect(cols!.toArray()).toEqual([[1], [0]]);
    const all = nonzero(c);
    expect(all.dtype).toBe('int64');
    expect(all.toArray()).toEqual([[0, 1], [1, 0]]);
    expect(nonzero(tensor([0, 0]), true)[0]!.shape).toEqual([0, 1]);
  });

  it('maskedSelect has a data-dependent length and sums gradients of a broadcast x', () => {
    const x = param([[1], [2]]);
    const m = tensor([[true, false, true], [false, false, true]]);
    const y = maskedSelect(x, m);
    expect(y.shape).toEqual([3]);
    expect(y.toArray()).toEqual([1, 1, 2]);
    backward(sum(y));
    expect(x.grad!.toArray()).toEqual([[2], [1]]);
  });

  it('masked_select_grad rejects a Y@GRAD of the wrong length', () => {
    const args = { X: tensor([1, 2]), Mask: tensor([true, false]), 'Y@GRAD': tensor([1, 2]) };
    expect(() => engine.runOp('masked_select_grad', args)).toThrow('masked_select_grad: input Y@GRAD has 2 elements, but Mask selects 1');
  });
});

describe('arg_max, arg_min, topk, sort', () => {
  it('argmax flattens without an axis; the first of equal extremes wins', () => {
    const x = tensor([[1, 5, 5], [5, 0, 0]]);
    expect(argmax(x).toArray()).toEqual([1]);
    expect(argmax(x, 1).toArray()).toEqual([1, 0]);
    expect(argmin(x, 0, true, 'int32').dtype).toBe('int32');
    expect(argmin(x, 0, true).toArray()).toEqual([[0, 1, 1]]);
  });

  it('topk returns values and int64 indices, and flows the gradient to the chosen elements', () => {
    const x = param([[3, 1, 4, 1.5], [9, 2, 6, 5]]);
    const [v, i] = topk(x, 2);
    expect(v.toArray()).toEqual([[4, 3], [9, 6]]);
    expect(i.dtype).toBe('int64');
    expect(i.toArray()).toEqual([[2, 0], [0, 2]]);
    backward(sum(multiply(v, tensor([[1, 10], [100, 1000]]))));
    expect(x.grad!.toArray()).toEqual([[10, 0, 1, 0], [100, 0, 1000, 0]]);
    const [small] = topk(x, 1, { axis: 0, largest: false });
    expect(small.toArray()).toEqual([[3, 1, 4, 1.5]]);
  });

  it('topk accepts k as a tensor and rejects k past the axis extent', () => {
    const x = tensor([5, 1, 3]);
    const [v] = topk(x, i32([2]));
    expect(v.shape).toEqual([2]);
    expect(v.toArray()).toEqual([5, 3]);
    expect(() => topk(x, 4)).toThrow('top_k_v2: k = 4 must be in [0, 3] (the extent of axis 0 of X [3])');
  });

  it('sort and argsort are stable in both directions', () => {
    const x = tensor([2, 1, 2, 1, 3], { dtype: 'int32' });
    expect(sort(x).toArray()).toEqual([1, 1, 2, 2, 3]);
    expect(argsort(x).toArray()).toEqual([1, 3, 0, 2, 4]);
    expect(argsort(x, -1, true).toArray()).toEqual([4, 0, 2, 1, 3]);
  });

  it('sort leaves no tensor behind outside autograd', () => {
    const x = tensor([3, 1, 2]);
    const before = memory().numTensors;
    const s = sort(x);
    expect(memory().numTensors).toBe(before + 1);
    s.dispose();
  });

  it('unique sorts, and returns indices, inverse and counts on request', () => {
    const x = tensor([3, 1, 3, 2, 1], { dtype: 'int64' });
    expect((unique(x) as Tensor).toArray()).toEqual([1, 2, 3]);
    const [u, first, inv, counts] = unique(x, { returnIndex: true, returnInverse: true, returnCounts: true }) as Tensor[];
    expect(u!.toArray()).toEqual([1, 2, 3]);
    expect(first!.toArray()).toEqual([1, 3, 0]);
    expect(inv!.toArray()).toEqual([2, 0, 2, 1, 0]);
    expect(counts!.toArray()).toEqual([2, 1, 2]);
  });
});

describe('one_hot, cumsum', () => {
  it('oneHot gives float32 rows and rejects an id outside the classes', () => {
    const out = oneHot(i64([2, 0]), 3);
    expect(out.dtype).toBe('float32');
    expect(out.toArray()).toEqual([[0, 0, 1], [1, 0, 0]]);
    expect(() => oneHot(i64([1, 3]), 3)).toThrow('one_hot_v2: input X[1] = 3 is out of range for depth of size 3 (valid: [0, 3))');
  });

  it('cumsum flattens without an axis and casts to the requested dtype', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    const flat = cumsum(x);
    expect(flat.shape).toEqual([4]);
    expect(flat.toArray()).toEqual([1, 3, 6, 10]);
    const f = cumsum(x, 0, 'float64');
    expect(f.dtype).toBe('float64');
    expect(f.toArray()).toEqual([[1, 2], [4, 6]]);
  });
});

describe('embedding (lookup_table_v2)', () => {
  const table = (): Tensor => tensor([[1, 1], [2, 2], [3, 3], [4, 4]], { stopGradient: false });

  it('looks up rows of any id shape and accumulates the gradient of repeated ids', () => {
    const w = table();
    const out = embedding(i32([1, 3, 1], [1, 3]), w);
    expect(out.shape).toEqual([1, 3, 2]);
    expect(out.toArray()).toEqual([[[2, 2], [4, 4], [2, 2]]]);
    backward(sum(out));
    expect(w.grad!.toArray()).toEqual([[0, 0], [2, 2], [0, 0], [1, 1]]);
  });

  it('padding ids give zero rows and no gradient; a negative paddingIdx counts from V', () => {
    const w = table();
    const out = embedding(i64([3, 0, 3]), w, -1);
    expect(out.toArray()).toEqual([[0, 0], [1, 1], [0, 0]]);
    backward(sum(out));
    expect(w.grad!.toArray()).toEqual([[1, 1], [0, 0], [0, 0], [0, 0]]);
    expect(() => embedding(i64([0]), w, 4)).toThrow(RangeError);
  });

  it('names the bad id, its position and the table size', () => {
    const w = table();
    expect(() => embedding(i64([0, 1, 2, 7], [2, 2]), w)).toThrow(
      'lookup_table_v2: input Ids[1, 1] = 7 is out of range for the rows of W [4, 2] of size 4 (valid: [0, 4))',
    );
  });

  it('lookup_table (v1) takes ids shaped [..., 1]', () => {
    const w = tensor([[1, 2], [3, 4]]);
    const ids = i64([1, 0], [2, 1]);
    expect((engine.runOp('lookup_table', { W: w, Ids: ids }).Out as Tensor).toArray()).toEqual([[3, 4], [1, 2]]);
    expect(() => engine.runOp('lookup_table', { W: w, Ids: i64([1, 0]) })).toThrow(
      'lookup_table: input Ids must have a last dimension of 1 ([..., 1]), got shape [2]',
    );
  });
});

describe('take_along_axis, put_along_axis, index_sample', () => {
  it('takeAlongAxis broadcasts the indices', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(takeAlongAxis(x, i64([2, 0], [1, 2]), 1).toArray()).toEqual([[3, 1], [6, 4]]);
  });

  it('putAlongAxis assigns or adds a broadcast scalar', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(putAlongAxis(x, i64([1], [1, 1]), 0, 1).toArray()).toEqual([[1, 0, 3], [4, 0, 6]]);
    expect(putAlongAxis(x, i64([0, 0], [1, 2]), 10, 1, 'add').toArray()).toEqual([[21, 2, 3], [24, 5, 6]]);
  });

  it('indexSample picks per row and checks the batch', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(indexSample(x, i64([2, 2, 0, 1], [2, 2])).toArray()).toEqual([[3, 3], [4, 5]]);
    expect(() => indexSample(x, i64([0, 1, 2], [3, 1]))).toThrow(/index_sample: input Index must be 2-D \[2, K\]/);
  });

  it('frees every intermediate of a gather gradient', () => {
    const x = tensor([[1, 2], [3, 4]], { stopGradient: false });
    const before = memory().numTensors;
    tidy(() => {
      backward(sum(gather(x, i64([1, 1]), 1)));
    });
    expect(memory().numTensors).toBe(before + 1); // x.grad
    expect(x.grad!.toArray()).toEqual([[0, 2], [0, 2]]);
  });
});
