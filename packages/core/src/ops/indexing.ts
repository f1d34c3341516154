/**
 * Indexing, selection, sorting and embedding lookup, with Paddle 2.0's Python signatures
 * (`paddle.gather`, `paddle.where`, `paddle.topk`, `paddle.nn.functional.embedding`, ...).
 */
import { dtypeToPaddle, type DType } from '../tensor/dtype';
import { broadcastShapes, fmtShape, normAxis, shapesEqual, type Shape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { OpError } from '../utils/errors';
import { cast, full, tensor } from './creation';
import { run1, runAll } from './run';

function expandTo(x: Tensor, shape: Shape): Tensor {
  return shapesEqual(x.shape, shape) ? x : run1('expand_v2', { X: x }, { shape: [...shape] });
}

function orScalar(v: Tensor | number, like: Tensor): Tensor {
  return typeof v === 'number' ? full([1], v, { dtype: like.dtype, place: like.device }) : v;
}

/**
 * Rows of `x` along `axis` picked by the 1-D `index` (`paddle.gather`). Repeated indices
 * accumulate their gradients. `axis` may be a one-element int tensor.
 */
export function gather(x: Tensor, index: Tensor, axis: number | Tensor = 0): Tensor {
  if (typeof axis === 'number') return run1('gather', { X: x, Index: index }, { axis, overwrite: false });
  return run1('gather', { X: x, Index: index, Axis: axis }, { overwrite: false });
}

/** Slices of `x` addressed by the last dimension of `index` (`paddle.gather_nd`). */
export function gatherNd(x: Tensor, index: Tensor): Tensor {
  return run1('gather_nd', { X: x, Index: index });
}

/**
 * `x` with the rows `index` replaced by `updates` (`paddle.scatter`). With `overwrite` false the
 * addressed rows are zeroed and all their updates summed (repeated indices accumulate).
 */
export function scatter(x: Tensor, index: Tensor, updates: Tensor, overwrite = true): Tensor {
  return run1('scatter', { X: x, Ids: index, Updates: updates }, { overwrite });
}

/** `x` plus `updates` added at the slices addressed by `index` (`paddle.scatter_nd_add`). */
export function scatterNdAdd(x: Tensor, index: Tensor, updates: Tensor): Tensor {
  return run1('scatter_nd_add', { X: x, Index: index, Updates: updates });
}

/** Zeros of `shape` with `updates` summed in at `index` (`paddle.scatter_nd`). */
export function scatterNd(index: Tensor, updates: Tensor, shape: Shape): Tensor {
  return scatterNdAdd(full(shape, 0, { dtype: updates.dtype, place: updates.device }), index, updates);
}

/** Entries of `x` along `axis` at the 1-D `index` (`paddle.index_select`). */
export function indexSelect(x: Tensor, index: Tensor, axis = 0): Tensor {
  return run1('index_select', { X: x, Index: index }, { dim: axis });
}

/** out[i, j] = x[i, index[i, j]] for 2-D x and index (`paddle.index_sample`). */
export function indexSample(x: Tensor, index: Tensor): Tensor {
  return run1('index_sample', { X: x, Index: index });
}

/**
 * Elements of `x` where `condition` holds, else of `y`, all broadcast (`paddle.where`). With only
 * `condition` it is `nonzero(condition, true)`.
 */
export function where(condition: Tensor, x: Tensor | number, y: Tensor | number): Tensor;
export function where(condition: Tensor): Tensor[];
export function where(condition: Tensor, x?: Tensor | number, y?: Tensor | number): Tensor | Tensor[] {
  if (x === undefined && y === undefined) return nonzero(condition, true);
  if (x === undefined || y === undefined) throw new TypeError('where: give both x and y, or neither');
  if (typeof x === 'number' && typeof y === 'number') {
    throw new TypeError('where: at least one of x and y must be a Tensor (it gives the dtype)');
  }
  const xt = typeof x === 'number' ? orScalar(x, y as Tensor) : x;
  const yt = orScalar(y, xt);
  return run1('where', { Condition: condition, X: xt, Y: yt });
}

/**
 * Coordinates of the nonzero elements of `x` (`paddle.nonzero`): an int64 [n, rank] tensor, or
 * with `asTuple` one [n, 1] tensor per dimension.
 */
export function nonzero(x: Tensor, asTuple: true): Tensor[];
export function nonzero(x: Tensor, asTuple?: false): Tensor;
export function nonzero(x: Tensor, asTuple = false): Tensor | Tensor[] {
  const out = run1('where_index', { Condition: x });
  if (!asTuple) return out;
  if (x.ndim <= 1) return [out];
  const cols: Tensor[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const col = tensor([d], { dtype: 'int32', place: x.device });
    cols.push(gather(out, col, 1));
    col.dispose();
  }
  out.dispose();
  return cols;
}

/** The elements of `x` where the (broadcast) bool `mask` holds, as a 1-D tensor (`paddle.masked_select`). */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  return run1('masked_select', { X: x, Mask: mask }, {}, 'Y');
}

function argExtreme(type: string, x: Tensor, axis: number | undefined, keepdim: boolean, dtype: DType): Tensor {
  if (dtype !== 'int32' && dtype !== 'int64') throw new TypeError(`${type}: dtype must be int32 or int64, got ${dtype}`);
  return run1(type, { X: x }, { axis: axis ?? 0, flatten: axis === undefined, keepdims: keepdim, dtype: dtypeToPaddle(dtype) });
}

/** Index of the largest element along `axis` (of the flattened x when omitted); ties give the first. */
export function argmax(x: Tensor, axis?: number, keepdim = false, dtype: DType = 'int64'): Tensor {
  return argExtreme('arg_max', x, axis, keepdim, dtype);
}

/** Index of the smallest element along `axis` (of the flattened x when omitted); ties give the first. */
export function argmin(x: Tensor, axis?: number, keepdim = false, dtype: DType = 'int64'): Tensor {
  return argExtreme('arg_min', x, axis, keepdim, dtype);
}

export interface TopkOptions {
  axis?: number;
  largest?: boolean;
  sorted?: boolean;
}

/**
 * The `k` largest (or smallest) elements along `axis` and their int64 indices (`paddle.topk`).
 * Equal elements keep their order; with `sorted` false the chosen ones keep their original order.
 */
export function topk(x: Tensor, k: number | Tensor, opts: TopkOptions = {}): [Tensor, Tensor] {
  const attrs = { axis: opts.axis ?? -1, largest: opts.largest ?? true, sorted: opts.sorted ?? true };
  const out =
    typeof k === 'number' ? runAll('top_k_v2', { X: x }, { ...attrs, k }) : runAll('top_k_v2', { X: x, K: k }, attrs);
  return [out.Out as Tensor, out.Indices as Tensor];
}

/** `x` sorted along `axis` (stable; `paddle.sort`). */
export function sort(x: Tensor, axis = -1, descending = false): Tensor {
  const out = runAll('argsort', { X: x }, { axis, descending });
  const values = out.Out as Tensor;
  // The gradient of the values scatters through the indices: keep them while a graph holds them.
  if (!values._node) (out.Indices as Tensor).dispose();
  return values;
}

/** The int64 indices that sort `x` along `axis` (stable; `paddle.argsort`). */
export function argsort(x: Tensor, axis = -1, descending = false): Tensor {
  const out = runAll('argsort', { X: x }, { axis, descending });
  (out.Out as Tensor).dispose();
  return out.Indices as Tensor;
}

export interface UniqueOptions {
  returnIndex?: boolean;
  returnInverse?: boolean;
  returnCounts?: boolean;
  axis?: number;
  dtype?: 'int32' | 'int64';
}

/**
 * The sorted distinct elements of `x` (flattened, or distinct slices along `axis`), then the
 * requested first-occurrence indices, inverse indices and counts, in that order (`paddle.unique`).
 */
export function unique(x: Tensor, opts: UniqueOptions = {}): Tensor | Tensor[] {
  const out = runAll(
    'unique',
    { X: x },
    {
      dtype: dtypeToPaddle(opts.dtype ?? 'int64'),
      return_index: !!opts.returnIndex,
      return_inverse: !!opts.returnInverse,
      return_counts: !!opts.returnCounts,
      axis: opts.axis === undefined ? [] : [opts.axis],
      is_sorted: true,
    },
  );
  const res = [out.Out as Tensor];
  if (opts.returnIndex) res.push(out.Indices as Tensor);
  if (opts.returnInverse) res.push(out.Index as Tensor);
  if (opts.returnCounts) res.push(out.Counts as Tensor);
  return res.length === 1 ? res[0]! : res;
}

/** One-hot float32 rows of `numClasses` for the int ids in `x` (`paddle.nn.functional.one_hot`). */
export function oneHot(x: Tensor, numClasses: number): Tensor {
  return run1('one_hot_v2', { X: x }, { depth: numClasses, dtype: dtypeToPaddle('float32'), allow_out_of_range: false });
}

/** Running sums along `axis`, of the flattened x when omitted (`paddle.cumsum`); `dtype` casts first. */
export function cumsum(x: Tensor, axis?: number, dtype?: DType): Tensor {
  const src = dtype && dtype !== x.dtype ? cast(x, dtype) : x;
  return run1('cumsum', { X: src }, { axis: axis ?? -1, flatten: axis === undefined, exclusive: false, reverse: false });
}

/**
 * Rows of `weight` [V, D] for the int ids of any shape (`paddle.nn.functional.embedding`).
 * `paddingIdx` (negative counts from V) gives zero rows that receive no gradient.
 */
export function embedding(ids: Tensor, weight: Tensor, paddingIdx?: number): Tensor {
  const v = weight.shape[0] ?? 0;
  let pad = -1;
  if (paddingIdx !== undefined && paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -v || paddingIdx >= v) {
      throw new RangeError(`embedding: paddingIdx ${paddingIdx} must be in [${-v}, ${v}) for a weight of ${v} rows`);
    }
    pad = paddingIdx < 0 ? v + paddingIdx : paddingIdx;
  }
  return run1('lookup_table_v2', { W: weight, Ids: ids }, { padding_idx: pad });
}

/**
 * Shapes for take/put_along_axis: `arr` and `indices` broadcast against each other outside
 * `axis`, where each keeps its own extent.
 */
function alongShapes(where: string, arr: Tensor, indices: Tensor, axis: number): { a: number; arrShape: number[]; idxShape: number[] } {
  if (arr.ndim !== indices.ndim) {
    throw new OpError(where, `indices ${fmtShape(indices.shape)} must have the rank of arr ${fmtShape(arr.shape)}`);
  }
  const a = normAxis(axis, arr.ndim, where);
  const arrShape = [...arr.shape];
  const idxShape = [...indices.shape];
  for (let d = 0; d < arr.ndim; d++) {
    if (d === a) continue;
    const b = broadcastShapes([arr.shape[d]!], [indices.shape[d]!]);
    if (!b) throw new OpError(where, `arr ${fmtShape(arr.shape)} and indices ${fmtShape(indices.shape)} cannot be broadcast in dimension ${d}`);
    arrShape[d] = idxShape[d] = b[0]!;
  }
  return { a, arrShape, idxShape };
}

/** arr's elements at `indices` along `axis`, broadcasting the two elsewhere (`paddle.take_along_axis`). */
export function takeAlongAxis(arr: Tensor, indices: Tensor, axis: number): Tensor {
  const { a, arrShape, idxShape } = alongShapes('take_along_axis', arr, indices, axis);
  return run1('take_along_axis', { Input: expandTo(arr, arrShape), Index: expandTo(indices, idxShape) }, { Axis: a }, 'Result');
}

/**
 * `arr` with `values` (broadcast to the indices) put at `indices` along `axis` (`paddle.put_along_axis`);
 * `reduce` 'add' or 'multiply' combines with what is there instead of replacing it.
 */
export function putAlongAxis(
  arr: Tensor,
  indices: Tensor,
  values: Tensor | number,
  axis: number,
  reduce: 'assign' | 'add' | 'multiply' = 'assign',
): Tensor {
  if (arr.ndim !== indices.ndim) {
    throw new OpError('put_along_axis', `indices ${fmtShape(indices.shape)} must have the rank of arr ${fmtShape(arr.shape)}`);
  }
  const a = normAxis(axis, arr.ndim, 'put_along_axis');
  // The result keeps arr's shape: indices broadcast up to arr outside the axis, never past it.
  const idxShape = indices.shape.map((d, i) => (i !== a && d === 1 ? arr.shape[i]! : d));
  const idx = expandTo(indices, idxShape);
  const v = expandTo(orScalar(values, arr), idxShape);
  return run1('put_along_axis', { Input: arr, Index: idx, Value: v }, { Axis: a, Reduce: reduce }, 'Result');
}
