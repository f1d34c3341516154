/**
 * Unary math (`exp`, `log`, `sin`, `floor`, ...), `clip` and Paddle's unary `pow` (attribute
 * `factor`, distinct from `elementwise_pow`). Slot X -> Out, same shape and dtype.
 *
 * Gradients compose operators (each a line or two), so they run on every backend and can be
 * differentiated again. Piecewise-constant ops (floor, ceil, round, sign) have a zero gradient,
 * as in Paddle. `clip` uses a dedicated `clip_grad` (a masked copy of the upstream gradient).
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { div, mul, neg, reshape, scale } from '../grad-utils';
import { run1 } from '../../ops/run';
import type { DType } from '../../tensor/dtype';
import { fmtShape, numel, shapesEqual } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { floatAttr, maybe, one, requireDType, requireFloat } from './common';

/** Paddle's Python default bounds for `clip` (float32's finite range). */
export const FLT_MAX = 3.4028234663852886e38;

const INT_DTYPES: DType[] = ['int32', 'int64'];
const FLOAT_DTYPES: DType[] = ['float16', 'bfloat16', 'float32', 'float64'];

/** inferMeta of a one-input elementwise op: Out is X's shape and dtype. */
export function unaryMeta(op: string, ints = false) {
  return (inputs: SlotMap<TensorMeta>): SlotMap<TensorMeta> => {
    const x = one(inputs, 'X');
    if (ints) requireDType(op, 'X', x, [...FLOAT_DTYPES, ...INT_DTYPES]);
    else requireFloat(op, 'X', x);
    return { Out: { shape: x.shape, dtype: x.dtype } };
  };
}

/** Checks that a `<op>_grad` input matches the upstream gradient `Out@GRAD` in shape and dtype. */
export function requireLike(op: string, slot: string, m: TensorMeta, dy: TensorMeta): void {
  requireFloat(op, slot, m);
  if (m.dtype !== dy.dtype) throw new OpError(op, `input ${slot} (${m.dtype}) and Out@GRAD (${dy.dtype}) must have the same dtype`);
  if (!shapesEqual(m.shape, dy.shape)) {
    throw new OpError(op, `input ${slot} ${fmtShape(m.shape)} and Out@GRAD ${fmtShape(dy.shape)} must have the same shape`);
  }
}

/** A one-element bound tensor (clip's Min/Max, pow's FactorTensor) of X's dtype. */
function requireScalarTensor(op: string, slot: string, m: TensorMeta | undefined, x: TensorMeta): void {
  if (!m) return;
  if (numel(m.shape) !== 1) throw new OpError(op, `input ${slot} must hold one element, got shape ${fmtShape(m.shape)}`);
  if (m.dtype !== x.dtype) throw new OpError(op, `input ${slot} must have X's dtype ${x.dtype}, got ${m.dtype}`);
}

/** The zero gradient of a piecewise-constant op, shaped like the upstream gradient. */
const zeroGrad = (c: GradContext): Tensor => run1('fill_any_like', { X: c.outGrads.Out as Tensor }, { value: 0, dtype: -1 });

type Grad = (x: Tensor, out: Tensor, dy: Tensor, attrs: Attrs, c: GradContext) => Tensor;

const LN2 = Math.LN2;
const LN10 = Math.LN10;

/** d(op)/dx · dy for each smooth unary op, written with operators. */
const GRADS: Record<string, Grad> = {
  exp: (_x, out, dy) => mul(dy, out),
  expm1: (_x, out, dy) => mul(dy, scale(out, 1, 1)),
  log: (x, _o, dy) => div(dy, x),
  log2: (x, _o, dy) => div(dy, scale(x, LN2)),
  log10: (x, _o, dy) => div(dy, scale(x, LN10)),
  log1p: (x, _o, dy) => div(dy, scale(x, 1, 1)),
  sqrt: (_x, out, dy) => scale(div(dy, out), 0.5),
  // d(x^-1/2) = -1/2 x^-3/2 = -1/2 out^3
  rsqrt: (_x, out, dy) => mul(dy, scale(run1('pow', { X: out }, { factor: 3 }), -0.5)),
  abs: (x, _o, dy) => mul(dy, run1('sign', { X: x })),
  square: (x, _o, dy) => mul(dy, scale(x, 2)),
  reciprocal: (_x, out, dy) => neg(mul(dy, run1('square', { X: out }))),
  sin: (x, _o, dy) => mul(dy, run1('cos', { X: x })),
  cos: (x, _o, dy) => neg(mul(dy, run1('sin', { X: x }))),
  tan: (_x, out, dy) => mul(dy, scale(run1('square', { X: out }), 1, 1)),
  // 1/sqrt(1 - x^2) = rsqrt(1 - x^2)
  asin: (x, _o, dy) => mul(dy, run1('rsqrt', { X: scale(run1('square', { X: x }), -1, 1) })),
  acos: (x, _o, dy) => neg(mul(dy, run1('rsqrt', { X: scale(run1('square', { X: x }), -1, 1) }))),
  atan: (x, _o, dy) => div(dy, scale(run1('square', { X: x }), 1, 1)),
  sinh: (x, _o, dy) => mul(dy, run1('cosh', { X: x })),
  cosh: (x, _o, dy) => mul(dy, run1('sinh', { X: x })),
  // 2/sqrt(pi) · exp(-x^2)
  erf: (x, _o, dy) => mul(dy, scale(run1('exp', { X: scale(run1('square', { X: x }), -1) }), 2 / Math.sqrt(Math.PI))),
};

/** Ops whose gradient is zero wherever it exists. */
const STEP_OPS = ['floor', 'ceil', 'round', 'sign'];
/** Ops that also take int32/int64 inputs (as Paddle's kernels do). */
const INT_OK = new Set(['abs', 'square', 'sign']);

export const UNARY_OPS = [...Object.keys(GRADS), ...STEP_OPS];

export const specs: OpSpec[] = [];

for (const type of UNARY_OPS) {
  const g = GRADS[type];
  specs.push({
    type,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: unaryMeta(type, INT_OK.has(type)),
    grad: g
      ? (c) => ({ X: g(c.inputs.X as Tensor, c.outputs.Out as Tensor, c.outGrads.Out as Tensor, c.attrs, c) })
      : (c) => ({ X: zeroGrad(c) }),
  });
}

specs.push(
  {
    type: 'pow',
    inputs: [{ name: 'X' }, { name: 'FactorTensor', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { factor: 1.0 },
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      requireScalarTensor('pow', 'FactorTensor', maybe(inputs, 'FactorTensor'), x);
      return unaryMeta('pow')(inputs);
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const dy = c.outGrads.Out as Tensor;
      const ft = c.inputs.FactorTensor as Tensor | undefined;
      if (ft) {
        // factor · x^(factor-1), with the factor kept on the device as a tensor.
        const f1 = reshape(ft, [1]);
        const xm1 = run1('pow', { X: x, FactorTensor: scale(f1, 1, -1) });
        return { X: mul(dy, run1('elementwise_mul', { X: xm1, Y: f1 })) };
      }
      const f = floatAttr(c.attrs, 'factor');
      if (f === 0) return { X: run1('fill_any_like', { X: dy }, { value: 0, dtype: -1 }) };
      return { X: mul(dy, scale(run1('pow', { X: x }, { factor: f - 1 }), f)) };
    },
  },
  {
    type: 'clip',
    inputs: [{ name: 'X' }, { name: 'Min', optional: true, noGrad: true }, { name: 'Max', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { min: -FLT_MAX, max: FLT_MAX },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireDType('clip', 'X', x, [...FLOAT_DTYPES, ...INT_DTYPES]);
      const mn = maybe(inputs, 'Min');
      const mx = maybe(inputs, 'Max');
      requireScalarTensor('clip', 'Min', mn, x);
      requireScalarTensor('clip', 'Max', mx, x);
      // Bounds given as tensors are only known when the kernel runs.
      if (!mn && !mx && floatAttr(attrs, 'min') > floatAttr(attrs, 'max')) {
        throw new OpError('clip', `attribute min (${floatAttr(attrs, 'min')}) must not exceed max (${floatAttr(attrs, 'max')})`);
      }
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => ({
      X: run1(
        'clip_grad',
        { X: c.inputs.X as Tensor, Min: c.inputs.Min as Tensor | undefined, Max: c.inputs.Max as Tensor | undefined, 'Out@GRAD': c.outGrads.Out as Tensor },
        c.attrs,
        'X@GRAD',
      ),
    }),
  },
  {
    // dX = dOut where min < x < max, else 0 (Paddle's rule: no gradient at the bounds).
    type: 'clip_grad',
    inputs: [{ name: 'X' }, { name: 'Min', optional: true, noGrad: true }, { name: 'Max', optional: true, noGrad: true }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { min: -FLT_MAX, max: FLT_MAX },
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const dy = one(inputs, 'Out@GRAD');
      requireFloat('clip_grad', 'Out@GRAD', dy);
      requireLike('clip_grad', 'X', x, dy);
      requireScalarTensor('clip_grad', 'Min', maybe(inputs, 'Min'), x);
      requireScalarTensor('clip_grad', 'Max', maybe(inputs, 'Max'), x);
      return { 'X@GRAD': { shape: dy.shape, dtype: dy.dtype } };
    },
    // Linear in Out@GRAD; piecewise constant in X, whose derivative is zero.
    grad: (c) => ({
      'Out@GRAD': c.needs('Out@GRAD')
        ? run1(
            'clip_grad',
            { X: c.inputs.X as Tensor, Min: c.inputs.Min as Tensor | undefined, Max: c.inputs.Max as Tensor | undefined, 'Out@GRAD': c.outGrads['X@GRAD'] as Tensor },
            c.attrs,
            'X@GRAD',
          )
        : null,
      X: null,
    }),
  },
);
