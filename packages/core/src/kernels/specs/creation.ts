/** Tensor creation and type ops: fill_constant, fill_any_like, assign, cast, scale. */
import type { OpSpec, SlotMap, TensorMeta } from '../registry';
import { run1 } from '../../ops/run';
import { dtypeFromPaddle, dtypeToPaddle, isFloatDType, type DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { floatAttr, intAttr, intsAttr, maybe, one } from './common';

/** The dtype of a Paddle VarType code attribute; `-1` means `fallback`. */
export function dtypeAttr(op: string, code: number, fallback?: DType): DType {
  if (code === -1 && fallback) return fallback;
  const d = dtypeFromPaddle(code);
  if (!d) throw new OpError(op, `dtype code ${code} is not a supported element type`);
  return d;
}

function checkShape(op: string, shape: number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new OpError(op, `shape [${shape.join(', ')}] has an invalid extent ${d}`);
  }
}

export const specs: OpSpec[] = [
  {
    type: 'fill_constant',
    inputs: [
      { name: 'ValueTensor', optional: true, noGrad: true },
      { name: 'ShapeTensor', optional: true, noGrad: true },
      { name: 'ShapeTensorList', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], value: 0, str_value: '', dtype: 5, force_cpu: false, place_type: -1 },
    inferMeta: (inputs, attrs) => {
      if (maybe(inputs, 'ShapeTensor') || (inputs.ShapeTensorList as unknown[] | undefined)?.length) {
        throw new OpError('fill_constant', 'shape tensors are resolved by the executor; pass the shape attribute in eager mode');
      }
      const shape = intsAttr(attrs, 'shape');
      checkShape('fill_constant', shape);
      return { Out: { shape, dtype: dtypeAttr('fill_constant', intAttr(attrs, 'dtype')) } };
    },
  },
  {
    type: 'fill_any_like',
    inputs: [{ name: 'X', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { value: 0, dtype: -1 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      return { Out: { shape: x.shape, dtype: dtypeAttr('fill_any_like', intAttr(attrs, 'dtype'), x.dtype) } };
    },
  },
  {
    type: 'assign',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => ({ X: c.outGrads.Out as Tensor }),
  },
  {
    type: 'cast',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { in_dtype: -1, out_dtype: 5 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      return { Out: { shape: x.shape, dtype: dtypeAttr('cast', intAttr(attrs, 'out_dtype'), x.dtype) } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const dy = c.outGrads.Out as Tensor;
      if (!isFloatDType(dy.dtype)) return { X: null };
      return { X: run1('cast', { X: dy }, { in_dtype: dtypeToPaddle(dy.dtype), out_dtype: dtypeToPaddle(x.dtype) }) };
    },
  },
  {
    type: 'scale',
    inputs: [{ name: 'X' }, { name: 'ScaleTensor', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { scale: 1.0, bias: 0.0, bias_after_scale: true },
    inferMeta: (inputs: SlotMap<TensorMeta>) => {
      const x = one(inputs, 'X');
      const st = maybe(inputs, 'ScaleTensor');
      if (st && st.shape.reduce((a, b) => a * b, 1) !== 1) {
        throw new OpError('scale', `ScaleTensor must hold one element, got shape [${st.shape.join(', ')}]`);
      }
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => {
      const dy = c.outGrads.Out as Tensor;
      const st = c.inputs.ScaleTensor as Tensor | undefined;
      if (st) return { X: run1('elementwise_mul', { X: dy, Y: st }) };
      return { X: run1('scale', { X: dy }, { scale: floatAttr(c.attrs, 'scale'), bias: 0 }) };
    },
  },
];

/** Used by kernels: the fill value of fill_constant, honouring `str_value` for exact integers. */
export function fillValue(attrs: Record<string, unknown>): number {
  const s = attrs.str_value as string;
  if (s !== undefined && s !== '') {
    if (s === 'inf') return Infinity;
    if (s === '-inf') return -Infinity;
    if (s === 'nan') return NaN;
    return Number(s);
  }
  return Number(attrs.value);
}
