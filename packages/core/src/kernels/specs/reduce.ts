/** Reductions: reduce_sum/mean/max/min/prod/all/any (Paddle 2.0: reducing everything gives shape [1]). */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { reshape } from '../grad-utils';
import { run1 } from '../../ops/run';
import { dtypeToPaddle, type DType } from '../../tensor/dtype';
import { type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, intAttr, intsAttr, one } from './common';
import { dtypeAttr } from './creation';

export const REDUCE_OPS = ['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod', 'reduce_all', 'reduce_any'] as const;

/** The sorted, normalized axes a reduce op reduces over. */
export function reduceAxes(op: string, rank: number, attrs: Attrs): number[] {
  if (boolAttr(attrs, 'reduce_all') || rank === 0) return [...Array(rank).keys()];
  const dims = intsAttr(attrs, 'dim');
  const axes = new Set<number>();
  for (const d of dims) {
    const a = d < 0 ? d + rank : d;
    if (a < 0 || a >= rank) throw new OpError(op, `dim ${d} is out of range for an input of rank ${rank}`);
    axes.add(a);
  }
  return [...axes].sort((a, b) => a - b);
}

/** Output shape of a reduction; Paddle 2.0 gives [1] when every dim is removed. */
export function reducedShape(shape: Shape, axes: number[], keepDim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDim) out.push(1);
  });
  return out.length === 0 && !keepDim ? [1] : out;
}

function reduceMeta(type: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const x = one(inputs, 'X');
    const axes = reduceAxes(type, x.shape.length, attrs);
    for (const a of axes) {
      if (x.shape[a] === 0 && (type === 'reduce_max' || type === 'reduce_min')) {
        throw new OpError(type, `cannot reduce over an empty dimension ${a} (shape [${x.shape.join(', ')}])`);
      }
    }
    let dtype: DType = x.dtype;
    if (type === 'reduce_all' || type === 'reduce_any') dtype = 'bool';
    else if (intAttr(attrs, 'out_dtype') !== -1) dtype = dtypeAttr(type, intAttr(attrs, 'out_dtype'));
    return { Out: { shape: reducedShape(x.shape, axes, boolAttr(attrs, 'keep_dim')), dtype } };
  };
}

/** dy (reduced shape) broadcast back to x's shape. */
function expandBack(dy: Tensor, x: Tensor, attrs: Attrs): Tensor {
  const axes = reduceAxes('reduce', x.shape.length, attrs);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const r = reshape(dy, kept);
  return run1('expand_v2', { X: r }, { shape: [...x.shape] });
}

function reduceGrad(type: (typeof REDUCE_OPS)[number]): OpSpec['grad'] {
  switch (type) {
    case 'reduce_sum':
      return (c) => {
        const x = c.inputs.X as Tensor;
        let dy = c.outGrads.Out as Tensor;
        if (dy.dtype !== x.dtype) {
          dy = run1('cast', { X: dy }, { in_dtype: dtypeToPaddle(dy.dtype), out_dtype: dtypeToPaddle(x.dtype) });
        }
        return { X: expandBack(dy, x, c.attrs) };
      };
    case 'reduce_mean':
      return (c) => {
        const x = c.inputs.X as Tensor;
        const axes = reduceAxes(type, x.shape.length, c.attrs);
        const n = axes.reduce((a, i) => a * x.shape[i]!, 1);
        const g = expandBack(c.outGrads.Out as Tensor, x, c.attrs);
        return { X: run1('scale', { X: g }, { scale: 1 / n }) };
      };
    case 'reduce_max':
    case 'reduce_min':
    case 'reduce_prod':
      return (c) => {
        const x = c.inputs.X as Tensor;
        const out = expandBack(c.outputs.Out as Tensor, x, c.attrs);
        const g = expandBack(c.outGrads.Out as Tensor, x, c.attrs);
        if (type === 'reduce_prod') {
          return { X: run1('elementwise_div', { X: run1('elementwise_mul', { X: g, Y: out }), Y: x }) };
        }
        // Every position equal to the extreme value receives the gradient (Paddle's rule).
        const mask = run1('equal', { X: x, Y: out });
        const maskF = run1('cast', { X: mask }, { in_dtype: 0, out_dtype: dtypeToPaddle(x.dtype) });
        return { X: run1('elementwise_mul', { X: g, Y: maskF }) };
      };
    default:
      return undefined;
  }
}

export const specs: OpSpec[] = REDUCE_OPS.map((type) => ({
  type,
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Out' }],
  attrs: { dim: [0], keep_dim: false, reduce_all: false, in_dtype: -1, out_dtype: -1 },
  inferMeta: reduceMeta(type),
  grad: reduceGrad(type),
}));
