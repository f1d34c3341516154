/**
 * Indexing and selection: gather / scatter (gather, gather_nd, scatter, scatter_nd_add,
 * index_select, index_sample, take_along_axis, put_along_axis), where / where_index /
 * masked_select, embedding lookups (lookup_table, lookup_table_v2), arg_max / arg_min,
 * sorting (top_k, top_k_v2, argsort, unique), one_hot_v2 and cumsum.
 *
 * Gradients of the gather-like ops scatter the upstream gradient back with put_along_axis or
 * scatter_nd_add in "add" mode, so repeated indices accumulate. Index values are checked by the
 * kernels (they are data): an out-of-range index is an OpError naming the position and value.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { reshape, sumToShape } from '../grad-utils';
import { run1 } from '../../ops/run';
import { dtypeToPaddle, isFloatDType, type DType } from '../../tensor/dtype';
import { broadcastShapes, fmtShape, numel, shapesEqual, stridesOf, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, intAttr, intsAttr, maybe, one, requireDType, requireSameDType, strAttr } from './common';
import { dtypeAttr } from './creation';

export const INDEX_DTYPES: DType[] = ['int32', 'int64'];

/** `axis` normalized against `rank` (negative counts from the end), or an OpError naming the attribute. */
export function normAxisAttr(op: string, axis: number, rank: number, name = 'axis', slot = 'X'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new OpError(op, `${name} = ${axis} is out of range for input ${slot} of rank ${rank} (valid: [${-rank}, ${rank}))`);
  }
  return a;
}

function requireIndex(op: string, slot: string, m: TensorMeta): void {
  requireDType(op, slot, m, INDEX_DTYPES);
}

function requireRankAtLeast(op: string, slot: string, m: TensorMeta, r: number): void {
  if (m.shape.length < r) throw new OpError(op, `input ${slot} must have rank >= ${r}, got shape ${fmtShape(m.shape)}`);
}

/** Length of a gather/scatter index list: shape [n], or [n, 1] as Paddle also accepts. */
export function indexListLength(op: string, slot: string, m: TensorMeta): number {
  requireIndex(op, slot, m);
  const s = m.shape;
  if (s.length === 1) return s[0]!;
  if (s.length === 2 && s[1] === 1) return s[0]!;
  throw new OpError(op, `input ${slot} must be 1-D (or [N, 1]), got shape ${fmtShape(s)}`);
}

/** `[i, j, ...]`: the multi-index of flat position `i` in `shape`. */
function posOf(i: number, shape: Shape): string {
  if (shape.length <= 1) return `[${i}]`;
  const st = stridesOf(shape);
  return `[${st.map((s, d) => Math.floor(i / s) % shape[d]!).join(', ')}]`;
}

/** The error for an index value outside [0, size), naming the slot and the value's position. */
export function outOfRange(op: string, slot: string, shape: Shape, i: number, value: number, size: number, what: string): OpError {
  return new OpError(op, `input ${slot}${posOf(i, shape)} = ${value} is out of range for ${what} of size ${size} (valid: [0, ${size}))`);
}

/** Shape [p, n, q] of x around `axis`: product before, extent, product after. */
export function splitAround(shape: Shape, axis: number): [number, number, number] {
  let p = 1;
  let q = 1;
  for (let i = 0; i < axis; i++) p *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) q *= shape[i]!;
  return [p, shape[axis]!, q];
}

/** Paddle 2.0 has no 0-D tensors: a shape that would be empty is [1]. */
function atLeast1(shape: number[]): number[] {
  return shape.length === 0 ? [1] : shape;
}

/** gather_nd's output shape Index.shape[:-1] ++ X.shape[k:], with k = Index.shape[-1]. */
export function gatherNdShape(op: string, x: TensorMeta, index: TensorMeta, xSlot = 'X'): number[] {
  requireIndex(op, 'Index', index);
  requireRankAtLeast(op, 'Index', index, 1);
  const k = index.shape[index.shape.length - 1]!;
  if (k > x.shape.length) {
    throw new OpError(
      op,
      `the last dimension of Index ${fmtShape(index.shape)} is ${k}, more than the rank ${x.shape.length} of ${xSlot} ${fmtShape(x.shape)}`,
    );
  }
  return atLeast1([...index.shape.slice(0, -1), ...x.shape.slice(k)]);
}

/** Output shape of a reduction over `axis` per arg_max/arg_min's keepdims and flatten. */
function argShape(x: Shape, axis: number, keepdims: boolean, flatten: boolean): number[] {
  if (flatten) return [1];
  const out: number[] = [];
  x.forEach((d, i) => {
    if (i !== axis) out.push(d);
    else if (keepdims) out.push(1);
  });
  return atLeast1(out);
}

function zerosLike(x: Tensor, dtype: DType = x.dtype): Tensor {
  return run1('fill_any_like', { X: x }, { value: 0, dtype: dtypeToPaddle(dtype) });
}

/** The value of a one-element int tensor input (an axis or k given as a tensor). */
function scalarOf(t: Tensor): number {
  return t.toFlatArray()[0]!;
}

/**
 * Gradient of gathering `index` (1-D) along `axis` of x: dOut is scattered back into zeros of
 * x's shape, viewed as [p, n, q] so that put_along_axis works along the middle axis.
 */
function gatherAlongGrad(x: Tensor, index: Tensor, dOut: Tensor, axis: number, reduce: 'add' | 'assign'): Tensor {
  const [p, n, q] = splitAround(x.shape, axis);
  const m = index.size;
  // Nothing was gathered (and Paddle's reshape reads a 0 extent as "copy"): the gradient is zero.
  if (m === 0 || p * n * q === 0) return zerosLike(x, dOut.dtype);
  const idx3 = run1('expand_v2', { X: reshape(index, [1, m, 1]) }, { shape: [p, m, q] });
  const zero = reshape(zerosLike(x, dOut.dtype), [p, n, q]);
  const r = run1('put_along_axis', { Input: zero, Index: idx3, Value: reshape(dOut, [p, m, q]) }, { Axis: 1, Reduce: reduce }, 'Result');
  return reshape(r, x.shape);
}

/** dInput of a take-along-axis style selection: dOut added back at the selected positions. */
function takeAlongGrad(x: Tensor, index: Tensor, dOut: Tensor, axis: number): Tensor {
  return run1('put_along_axis', { Input: zerosLike(x, dOut.dtype), Index: index, Value: dOut }, { Axis: axis, Reduce: 'add' }, 'Result');
}

function requireGradShape(op: string, slot: string, m: TensorMeta, want: Shape): void {
  if (!shapesEqual(m.shape, want)) {
    throw new OpError(op, `input ${slot} must have shape ${fmtShape(want)}, got ${fmtShape(m.shape)}`);
  }
  if (!isFloatDType(m.dtype)) throw new OpError(op, `input ${slot} must be a float tensor, got ${m.dtype}`);
}

const LOOKUP_ATTRS: Attrs = {
  padding_idx: -1,
  is_sparse: false,
  is_distributed: false,
  remote_prefetch: false,
  trainer_id: 0,
  height_sections: [],
  epmap: [],
  table_names: [],
};

function lookupMeta(op: string, w: TensorMeta, ids: TensorMeta, idsShape: Shape): TensorMeta {
  if (w.shape.length !== 2) throw new OpError(op, `input W must be a 2-D table [V, D], got shape ${fmtShape(w.shape)}`);
  requireIndex(op, 'Ids', ids);
  return { shape: [...idsShape, w.shape[1]!], dtype: w.dtype };
}

function topKMeta(op: string, inputs: SlotMap<TensorMeta>, attrs: Attrs, axisAttr: number | null): SlotMap<TensorMeta> {
  const x = one(inputs, 'X');
  requireRankAtLeast(op, 'X', x, 1);
  const axis = normAxisAttr(op, axisAttr ?? -1, x.shape.length);
  const shape = [...x.shape];
  const kt = maybe(inputs, 'K');
  if (kt) {
    requireIndex(op, 'K', kt);
    if (numel(kt.shape) !== 1) throw new OpError(op, `input K must hold one element, got shape ${fmtShape(kt.shape)}`);
    shape[axis] = -1; // known when the kernel reads K
  } else {
    const k = intAttr(attrs, 'k');
    if (!Number.isInteger(k) || k < 0 || k > x.shape[axis]!) {
      throw new OpError(op, `k = ${k} must be in [0, ${x.shape[axis]}] (the extent of axis ${axis} of X ${fmtShape(x.shape)})`);
    }
    shape[axis] = k;
  }
  return { Out: { shape, dtype: x.dtype }, Indices: { shape: [...shape], dtype: 'int64' } };
}

/** Gradient of ops whose Out holds elements of X at Indices along `axis` (top_k, argsort). */
function sortedGrad(axisOf: (c: GradContext) => number) {
  return (c: GradContext) => {
    const x = c.inputs.X as Tensor;
    const dOut = c.outGrads.Out as Tensor | null;
    if (!dOut) return { X: null };
    const axis = normAxisAttr('grad', axisOf(c), x.shape.length);
    return { X: takeAlongGrad(x, c.outputs.Indices as Tensor, dOut, axis) };
  };
}

export const specs: OpSpec[] = [
  {
    type: 'gather',
    inputs: [{ name: 'X' }, { name: 'Index', noGrad: true }, { name: 'Axis', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: 0, overwrite: true },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireRankAtLeast('gather', 'X', x, 1);
      const m = indexListLength('gather', 'Index', one(inputs, 'Index'));
      const at = maybe(inputs, 'Axis');
      if (at) {
        requireIndex('gather', 'Axis', at);
        if (numel(at.shape) !== 1) throw new OpError('gather', `input Axis must hold one element, got shape ${fmtShape(at.shape)}`);
        // The axis is data: the kernel gives the shape. Extents equal to the index length are certain.
        return { Out: { shape: x.shape.map((d) => (d === m ? d : -1)), dtype: x.dtype } };
      }
      const a = normAxisAttr('gather', intAttr(attrs, 'axis'), x.shape.length);
      const shape = [...x.shape];
      shape[a] = m;
      return { Out: { shape, dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const at = c.inputs.Axis as Tensor | undefined;
      const axis = normAxisAttr('gather', at ? scalarOf(at) : intAttr(c.attrs, 'axis'), x.shape.length);
      // Paddle's gather_grad overwrites repeated rows (last wins) only for the default axis 0
      // with overwrite=true; along any other axis it accumulates.
      const reduce = !at && axis === 0 && boolAttr(c.attrs, 'overwrite') ? 'assign' : 'add';
      return { X: gatherAlongGrad(x, c.inputs.Index as Tensor, c.outGrads.Out as Tensor, axis, reduce) };
    },
  },
  {
    type: 'index_select',
    inputs: [{ name: 'X' }, { name: 'Index', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { dim: 0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireRankAtLeast('index_select', 'X', x, 1);
      const idx = one(inputs, 'Index');
      requireIndex('index_select', 'Index', idx);
      if (idx.shape.length !== 1) throw new OpError('index_select', `input Index must be 1-D, got shape ${fmtShape(idx.shape)}`);
      const a = normAxisAttr('index_select', intAttr(attrs, 'dim'), x.shape.length, 'dim');
      const shape = [...x.shape];
      shape[a] = idx.shape[0]!;
      return { Out: { shape, dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const axis = normAxisAttr('index_select', intAttr(c.attrs, 'dim'), x.shape.length, 'dim');
      return { X: gatherAlongGrad(x, c.inputs.Index as Tensor, c.outGrads.Out as Tensor, axis, 'add') };
    },
  },
  {
    type: 'index_sample',
    inputs: [{ name: 'X' }, { name: 'Index', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const idx = one(inputs, 'Index');
      requireIndex('index_sample', 'Index', idx);
      if (x.shape.length !== 2) throw new OpError('index_sample', `input X must be 2-D [B, N], got shape ${fmtShape(x.shape)}`);
      if (idx.shape.length !== 2 || idx.shape[0] !== x.shape[0]) {
        throw new OpError('index_sample', `input Index must be 2-D [${x.shape[0]}, K] (batch of X ${fmtShape(x.shape)}), got shape ${fmtShape(idx.shape)}`);
      }
      return { Out: { shape: [...idx.shape], dtype: x.dtype } };
    },
    grad: (c) => ({ X: takeAlongGrad(c.inputs.X as Tensor, c.inputs.Index as Tensor, c.outGrads.Out as Tensor, 1) }),
  },
  {
    type: 'take_along_axis',
    inputs: [{ name: 'Input' }, { name: 'Index', noGrad: true }],
    outputs: [{ name: 'Result' }],
    attrs: { Axis: 0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'Input');
      const idx = one(inputs, 'Index');
      alongAxisCheck('take_along_axis', x, idx, attrs);
      return { Result: { shape: [...idx.shape], dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.Input as Tensor;
      const axis = normAxisAttr('take_along_axis', intAttr(c.attrs, 'Axis'), x.shape.length, 'Axis', 'Input');
      return { Input: takeAlongGrad(x, c.inputs.Index as Tensor, c.outGrads.Result as Tensor, axis) };
    },
  },
  {
    type: 'put_along_axis',
    inputs: [{ name: 'Input' }, { name: 'Index', noGrad: true }, { name: 'Value' }],
    outputs: [{ name: 'Result' }],
    attrs: { Axis: 0, Reduce: 'assign' },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'Input');
      const idx = one(inputs, 'Index');
      const v = one(inputs, 'Value');
      alongAxisCheck('put_along_axis', x, idx, attrs);
      requireSameDType('put_along_axis', ['Input', x], ['Value', v]);
      if (!shapesEqual(v.shape, idx.shape)) {
        throw new OpError('put_along_axis', `input Value must have the shape of Index ${fmtShape(idx.shape)}, got ${fmtShape(v.shape)}`);
      }
      const reduce = putReduce(attrs);
      if (reduce !== 'assign' && x.dtype === 'bool') throw new OpError('put_along_axis', `Reduce = "${reduce}" is not defined for bool Input`);
      return { Result: { shape: [...x.shape], dtype: x.dtype } };
    },
    grad: (c) => {
      const idx = c.inputs.Index as Tensor;
      const v = c.inputs.Value as Tensor;
      const dOut = c.outGrads.Result as Tensor;
      const attrs = { Axis: intAttr(c.attrs, 'Axis') };
      const reduce = putReduce(c.attrs);
      let dIn: Tensor | null = null;
      let dV: Tensor | null = null;
      if (c.needs('Input')) {
        if (reduce === 'add') dIn = dOut;
        else if (reduce === 'assign') {
          // Overwritten positions no longer depend on Input.
          dIn = run1('put_along_axis', { Input: dOut, Index: idx, Value: zerosLike(v, dOut.dtype) }, { ...attrs, Reduce: 'assign' }, 'Result');
        } else {
          // Result = Input * (product of the Values put there): scale dOut by that product.
          dIn = run1('put_along_axis', { Input: dOut, Index: idx, Value: v }, { ...attrs, Reduce: 'multiply' }, 'Result');
        }
      }
      if (c.needs('Value')) {
        if (reduce === 'multiply') {
          throw new OpError('put_along_axis', 'the gradient with respect to Value is not defined for Reduce = "multiply"; use "assign" or "add"');
        }
        // As Paddle: every Value entry receives dOut at its position (with "assign" and repeated
        // indices the overwritten entries get it too).
        dV = run1('take_along_axis', { Input: dOut, Index: idx }, attrs, 'Result');
      }
      return { Input: dIn, Value: dV };
    },
  },
  {
    type: 'gather_nd',
    inputs: [{ name: 'X' }, { name: 'Index', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      return { Out: { shape: gatherNdShape('gather_nd', x, one(inputs, 'Index')), dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const dOut = c.outGrads.Out as Tensor;
      return { X: run1('scatter_nd_add', { X: zerosLike(x, dOut.dtype), Index: c.inputs.Index as Tensor, Updates: dOut }) };
    },
  },
  {
    type: 'scatter_nd_add',
    inputs: [{ name: 'X' }, { name: 'Index', noGrad: true }, { name: 'Updates' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const u = one(inputs, 'Updates');
      const want = gatherNdShape('scatter_nd_add', x, one(inputs, 'Index'));
      requireSameDType('scatter_nd_add', ['X', x], ['Updates', u]);
      if (x.dtype === 'bool') throw new OpError('scatter_nd_add', 'input X must be numeric, got bool');
      if (!shapesEqual(u.shape, want)) {
        throw new OpError('scatter_nd_add', `input Updates must have shape ${fmtShape(want)} (Index.shape[:-1] ++ X.shape[k:]), got ${fmtShape(u.shape)}`);
      }
      return { Out: { shape: [...x.shape], dtype: x.dtype } };
    },
    grad: (c) => ({
      X: c.outGrads.Out as Tensor,
      Updates: c.needs('Updates') ? run1('gather_nd', { X: c.outGrads.Out as Tensor, Index: c.inputs.Index as Tensor }) : null,
    }),
  },
  {
    type: 'scatter',
    inputs: [{ name: 'X' }, { name: 'Ids', noGrad: true }, { name: 'Updates' }],
    outputs: [{ name: 'Out' }],
    attrs: { overwrite: true },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const u = one(inputs, 'Updates');
      requireRankAtLeast('scatter', 'X', x, 1);
      const n = indexListLength('scatter', 'Ids', one(inputs, 'Ids'));
      requireSameDType('scatter', ['X', x], ['Updates', u]);
      const want = [n, ...x.shape.slice(1)];
      if (!shapesEqual(u.shape, want)) {
        throw new OpError('scatter', `input Updates must have shape ${fmtShape(want)} (one row of X per id), got ${fmtShape(u.shape)}`);
      }
      if (!boolAttr(attrs, 'overwrite') && x.dtype === 'bool') throw new OpError('scatter', 'overwrite = false accumulates and needs numeric X, got bool');
      return { Out: { shape: [...x.shape], dtype: x.dtype } };
    },
    grad: (c) => {
      const dOut = c.outGrads.Out as Tensor;
      const ids = c.inputs.Ids as Tensor;
      const u = c.inputs.Updates as Tensor;
      return {
        // Rows at Ids are replaced (or zeroed before accumulating), so X's gradient is 0 there.
        X: c.needs('X') ? run1('scatter', { X: dOut, Ids: ids, Updates: zerosLike(u, dOut.dtype) }, { overwrite: true }) : null,
        // As Paddle's scatter_grad: each update row receives dOut's row at its id.
        Updates: c.needs('Updates') ? run1('gather', { X: dOut, Index: ids }, { axis: 0, overwrite: false }) : null,
      };
    },
  },
  {
    type: 'where',
    inputs: [{ name: 'Condition', noGrad: true }, { name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const cnd = one(inputs, 'Condition');
      const x = one(inputs, 'X');
      const y = one(inputs, 'Y');
      requireDType('where', 'Condition', cnd, ['bool']);
      requireSameDType('where', ['X', x], ['Y', y]);
      const xy = broadcastShapes(x.shape, y.shape);
      const shape = xy && broadcastShapes(cnd.shape, xy);
      if (!shape) {
        throw new OpError('where', `shapes Condition ${fmtShape(cnd.shape)}, X ${fmtShape(x.shape)} and Y ${fmtShape(y.shape)} cannot be broadcast together`);
      }
      return { Out: { shape, dtype: x.dtype } };
    },
    grad: (c) => {
      const cnd = c.inputs.Condition as Tensor;
      const x = c.inputs.X as Tensor;
      const y = c.inputs.Y as Tensor;
      const dOut = c.outGrads.Out as Tensor;
      const zero = zerosLike(dOut);
      return {
        X: c.needs('X') ? sumToShape(run1('where', { Condition: cnd, X: dOut, Y: zero }), x.shape) : null,
        Y: c.needs('Y') ? sumToShape(run1('where', { Condition: cnd, X: zero, Y: dOut }), y.shape) : null,
      };
    },
  },
  {
    type: 'where_index',
    inputs: [{ name: 'Condition' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    // One row of coordinates per nonzero element: the row count is data (kernel returns Dynamic).
    inferMeta: (inputs) => ({ Out: { shape: [-1, one(inputs, 'Condition').shape.length], dtype: 'int64' } }),
  },
  {
    type: 'masked_select',
    inputs: [{ name: 'X' }, { name: 'Mask', noGrad: true }],
    outputs: [{ name: 'Y' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      maskedShape('masked_select', x, one(inputs, 'Mask'));
      return { Y: { shape: [-1], dtype: x.dtype } };
    },
    grad: (c) => ({
      X: run1('masked_select_grad', { X: c.inputs.X as Tensor, Mask: c.inputs.Mask as Tensor, 'Y@GRAD': c.outGrads.Y as Tensor }, {}, 'X@GRAD'),
    }),
  },
  {
    type: 'masked_select_grad',
    inputs: [{ name: 'X', noGrad: true }, { name: 'Mask', noGrad: true }, { name: 'Y@GRAD', noGrad: true }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const dy = one(inputs, 'Y@GRAD');
      maskedShape('masked_select_grad', x, one(inputs, 'Mask'));
      if (dy.shape.length !== 1 || !isFloatDType(dy.dtype)) {
        throw new OpError('masked_select_grad', `input Y@GRAD must be a 1-D float tensor, got ${dy.dtype} ${fmtShape(dy.shape)}`);
      }
      return { 'X@GRAD': { shape: [...x.shape], dtype: dy.dtype } };
    },
  },
  ...(['arg_max', 'arg_min'] as const).map(
    (type): OpSpec => ({
      type,
      inputs: [{ name: 'X' }],
      outputs: [{ name: 'Out' }],
      attrs: { axis: 0, keepdims: false, flatten: false, dtype: -1 },
      inferMeta: (inputs, attrs) => {
        const x = one(inputs, 'X');
        requireRankAtLeast(type, 'X', x, 1);
        const flatten = boolAttr(attrs, 'flatten');
        const axis = flatten ? 0 : normAxisAttr(type, intAttr(attrs, 'axis'), x.shape.length);
        if ((flatten ? numel(x.shape) : x.shape[axis]!) === 0) {
          throw new OpError(type, `cannot take the ${type === 'arg_max' ? 'maximum' : 'minimum'} of an empty axis (X ${fmtShape(x.shape)})`);
        }
        return { Out: { shape: argShape(x.shape, axis, boolAttr(attrs, 'keepdims'), flatten), dtype: argDType(type, attrs) } };
      },
    }),
  ),
  {
    type: 'top_k_v2',
    inputs: [{ name: 'X' }, { name: 'K', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }, { name: 'Indices' }],
    attrs: { k: 1, axis: -1, largest: true, sorted: true },
    inferMeta: (inputs, attrs) => topKMeta('top_k_v2', inputs, attrs, intAttr(attrs, 'axis')),
    grad: sortedGrad((c) => intAttr(c.attrs, 'axis')),
  },
  {
    type: 'top_k',
    inputs: [{ name: 'X' }, { name: 'K', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }, { name: 'Indices' }],
    attrs: { k: 1 },
    inferMeta: (inputs, attrs) => topKMeta('top_k', inputs, attrs, null),
    grad: sortedGrad(() => -1),
  },
  {
    type: 'argsort',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }, { name: 'Indices' }],
    attrs: { axis: -1, descending: false },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireRankAtLeast('argsort', 'X', x, 1);
      normAxisAttr('argsort', intAttr(attrs, 'axis'), x.shape.length);
      return { Out: { shape: [...x.shape], dtype: x.dtype }, Indices: { shape: [...x.shape], dtype: 'int64' } };
    },
    grad: sortedGrad((c) => intAttr(c.attrs, 'axis')),
  },
  {
    type: 'unique',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }, { name: 'Index', optional: true }, { name: 'Indices', optional: true }, { name: 'Counts', optional: true }],
    attrs: { dtype: 3, return_index: false, return_inverse: false, return_counts: false, axis: [], is_sorted: false },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const sorted = boolAttr(attrs, 'is_sorted');
      const axes = intsAttr(attrs, 'axis');
      const idt = dtypeAttr('unique', intAttr(attrs, 'dtype'));
      if (idt !== 'int32' && idt !== 'int64') throw new OpError('unique', `dtype must be int32 (2) or int64 (3), got ${idt}`);
      if (axes.length > 1) throw new OpError('unique', `axis takes at most one axis, got [${axes.join(', ')}]`);
      if (!sorted && (axes.length || x.shape.length !== 1)) {
        throw new OpError('unique', `is_sorted = false (fluid's unique) takes a 1-D X and no axis, got X ${fmtShape(x.shape)}`);
      }
      let outShape: number[] = [-1];
      let n = -1; // number of slices the inverse indexes
      if (axes.length) {
        const a = normAxisAttr('unique', axes[0]!, x.shape.length);
        outShape = [...x.shape];
        outShape[a] = -1;
        n = x.shape[a]!;
      } else n = numel(x.shape);
      const out: SlotMap<TensorMeta> = { Out: { shape: outShape, dtype: x.dtype } };
      if (!sorted || boolAttr(attrs, 'return_inverse')) out.Index = { shape: [n], dtype: idt };
      if (boolAttr(attrs, 'return_index')) out.Indices = { shape: [-1], dtype: idt };
      if (boolAttr(attrs, 'return_counts')) out.Counts = { shape: [-1], dtype: idt };
      return out;
    },
  },
  {
    type: 'one_hot_v2',
    inputs: [{ name: 'X' }, { name: 'depth_tensor', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { depth: -1, dtype: 5, allow_out_of_range: false },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireIndex('one_hot_v2', 'X', x);
      const dt = maybe(inputs, 'depth_tensor');
      let depth = intAttr(attrs, 'depth');
      if (dt) {
        requireIndex('one_hot_v2', 'depth_tensor', dt);
        if (numel(dt.shape) !== 1) throw new OpError('one_hot_v2', `input depth_tensor must hold one element, got shape ${fmtShape(dt.shape)}`);
        depth = -1; // read by the kernel
      } else if (!Number.isInteger(depth) || depth < 1) {
        throw new OpError('one_hot_v2', `depth = ${depth} must be a positive integer (the number of classes)`);
      }
      return { Out: { shape: [...x.shape, depth], dtype: dtypeAttr('one_hot_v2', intAttr(attrs, 'dtype')) } };
    },
  },
  {
    type: 'cumsum',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: -1, flatten: false, exclusive: false, reverse: false },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      if (x.dtype === 'bool') throw new OpError('cumsum', 'input X must be numeric, got bool');
      if (boolAttr(attrs, 'flatten')) return { Out: { shape: [numel(x.shape)], dtype: x.dtype } };
      requireRankAtLeast('cumsum', 'X', x, 1);
      normAxisAttr('cumsum', intAttr(attrs, 'axis'), x.shape.length);
      return { Out: { shape: [...x.shape], dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const dOut = c.outGrads.Out as Tensor;
      // d/dx_j of Σ_i g_i·out_i sums g over the positions whose prefix contains j: the same scan run
      // the other way, with the same exclusivity.
      const g = run1('cumsum', { X: dOut }, {
        axis: boolAttr(c.attrs, 'flatten') ? -1 : intAttr(c.attrs, 'axis'),
        exclusive: boolAttr(c.attrs, 'exclusive'),
        reverse: !boolAttr(c.attrs, 'reverse'),
      });
      return { X: shapesEqual(g.shape, x.shape) ? g : reshape(g, x.shape) };
    },
  },
  {
    type: 'lookup_table_v2',
    inputs: [{ name: 'W' }, { name: 'Ids', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { ...LOOKUP_ATTRS },
    inferMeta: (inputs) => {
      const ids = one(inputs, 'Ids');
      return { Out: lookupMeta('lookup_table_v2', one(inputs, 'W'), ids, ids.shape) };
    },
    grad: (c) => ({ W: lookupGrad(c, c.inputs.Ids as Tensor) }),
  },
  {
    type: 'lookup_table',
    inputs: [{ name: 'W' }, { name: 'Ids', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { ...LOOKUP_ATTRS, is_test: false, entry_config: '', entry: 'none', table_class: 'none', grad_inplace: false },
    inferMeta: (inputs) => {
      const ids = one(inputs, 'Ids');
      if (ids.shape.length < 1 || ids.shape[ids.shape.length - 1] !== 1) {
        throw new OpError('lookup_table', `input Ids must have a last dimension of 1 ([..., 1]), got shape ${fmtShape(ids.shape)}`);
      }
      return { Out: lookupMeta('lookup_table', one(inputs, 'W'), ids, ids.shape.slice(0, -1)) };
    },
    grad: (c) => {
      const ids = c.inputs.Ids as Tensor;
      return { W: lookupGrad(c, reshape(ids, ids.shape.slice(0, -1))) };
    },
  },
  {
    type: 'lookup_table_v2_grad',
    inputs: [{ name: 'W', noGrad: true }, { name: 'Ids', noGrad: true }, { name: 'Out@GRAD', noGrad: true }],
    outputs: [{ name: 'W@GRAD' }],
    attrs: { ...LOOKUP_ATTRS },
    inferMeta: (inputs) => {
      const w = one(inputs, 'W');
      const ids = one(inputs, 'Ids');
      const want = lookupMeta('lookup_table_v2_grad', w, ids, ids.shape);
      const dOut = one(inputs, 'Out@GRAD');
      requireGradShape('lookup_table_v2_grad', 'Out@GRAD', dOut, want.shape);
      return { 'W@GRAD': { shape: [...w.shape], dtype: dOut.dtype } };
    },
  },
];

function lookupGrad(c: GradContext, ids: Tensor): Tensor {
  const w = c.inputs.W as Tensor;
  const dOut = c.outGrads.Out as Tensor;
  const attrs: Attrs = {};
  for (const k of Object.keys(LOOKUP_ATTRS)) attrs[k] = c.attrs[k]!;
  return run1('lookup_table_v2_grad', { W: w, Ids: ids, 'Out@GRAD': dOut }, attrs, 'W@GRAD');
}

function argDType(op: string, attrs: Attrs): DType {
  const code = intAttr(attrs, 'dtype');
  if (code === -1 || code === 3) return 'int64';
  if (code === 2) return 'int32';
  throw new OpError(op, `dtype = ${code} must be -1 or 3 (int64) or 2 (int32)`);
}

export type PutReduce = 'assign' | 'add' | 'multiply';

export function putReduce(attrs: Attrs): PutReduce {
  const r = strAttr(attrs, 'Reduce');
  if (r === 'assign' || r === 'add') return r;
  if (r === 'multiply' || r === 'mul') return 'multiply';
  throw new OpError('put_along_axis', `Reduce = "${r}" must be "assign", "add" or "multiply" ("mul")`);
}

/**
 * Checks Index of take/put_along_axis against Input: same rank, int dtype, and extents no larger
 * than Input's outside Axis (the positions of Index address Input directly there).
 */
function alongAxisCheck(op: string, x: TensorMeta, idx: TensorMeta, attrs: Attrs): number {
  requireIndex(op, 'Index', idx);
  requireRankAtLeast(op, 'Input', x, 1);
  const axis = normAxisAttr(op, intAttr(attrs, 'Axis'), x.shape.length, 'Axis', 'Input');
  if (idx.shape.length !== x.shape.length) {
    throw new OpError(op, `input Index ${fmtShape(idx.shape)} must have the rank of Input ${fmtShape(x.shape)}`);
  }
  for (let d = 0; d < x.shape.length; d++) {
    if (d !== axis && idx.shape[d]! > x.shape[d]!) {
      throw new OpError(
        op,
        `input Index ${fmtShape(idx.shape)} is larger than Input ${fmtShape(x.shape)} in dimension ${d} (only Axis ${axis} may differ)`,
      );
    }
  }
  return axis;
}

/** masked_select's broadcast shape of X and Mask. */
export function maskedShape(op: string, x: TensorMeta, mask: TensorMeta): number[] {
  requireDType(op, 'Mask', mask, ['bool']);
  const s = broadcastShapes(x.shape, mask.shape);
  if (!s) throw new OpError(op, `shapes X ${fmtShape(x.shape)} and Mask ${fmtShape(mask.shape)} cannot be broadcast together`);
  return s;
}
