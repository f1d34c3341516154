/**
 * The elementwise binary family (`elementwise_add` ... `elementwise_mod`), the comparisons
 * (`equal`, `greater_than`, ...) and the logical ops. All broadcast with Paddle's `axis` rule
 * followed by numpy broadcasting (specs/common.ts `elementwiseShape`).
 */
import { type GradContext, type OpSpec, type SlotMap, type TensorMeta } from '../registry';
import { mul, neg, unbroadcast } from '../grad-utils';
import { run1 } from '../../ops/run';
import { dtypeToPaddle } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { elementwiseShape, intAttr, one, requireSameDType } from './common';

export const ELEMENTWISE_OPS = [
  'elementwise_add',
  'elementwise_sub',
  'elementwise_mul',
  'elementwise_div',
  'elementwise_max',
  'elementwise_min',
  'elementwise_pow',
  'elementwise_floordiv',
  'elementwise_mod',
] as const;

export const COMPARE_OPS = ['equal', 'not_equal', 'less_than', 'less_equal', 'greater_than', 'greater_equal'] as const;
export const LOGICAL_BINARY_OPS = ['logical_and', 'logical_or', 'logical_xor'] as const;

function binaryMeta(type: string, outBool: boolean) {
  return (inputs: SlotMap<TensorMeta>, attrs: Record<string, unknown>): SlotMap<TensorMeta> => {
    const x = one(inputs, 'X');
    const y = one(inputs, 'Y');
    if (!outBool || !type.startsWith('logical')) requireSameDType(type, ['X', x], ['Y', y]);
    const shape = elementwiseShape(type, x.shape, y.shape, intAttr(attrs as never, 'axis'));
    return { Out: { shape, dtype: outBool ? 'bool' : x.dtype } };
  };
}

/** A float mask (same dtype as `like`) of a comparison, for max/min gradients. */
function maskOf(cmp: string, x: Tensor, y: Tensor, axis: number, like: Tensor): Tensor {
  const m = run1(cmp, { X: x, Y: y }, { axis });
  return run1('cast', { X: m }, { in_dtype: dtypeToPaddle('bool'), out_dtype: dtypeToPaddle(like.dtype) });
}

type GradFn = (c: GradContext, x: Tensor, y: Tensor, dy: Tensor, axis: number) => [Tensor | null, Tensor | null];

/** x op y with the forward call's axis, so a lower-rank operand aligns as it did forward. */
const mulA = (a: Tensor, b: Tensor, axis: number): Tensor => run1('elementwise_mul', { X: a, Y: b }, { axis });
const divA = (a: Tensor, b: Tensor, axis: number): Tensor => run1('elementwise_div', { X: a, Y: b }, { axis });

const GRADS: Partial<Record<(typeof ELEMENTWISE_OPS)[number], GradFn>> = {
  elementwise_add: (_c, _x, _y, dy) => [dy, dy],
  elementwise_sub: (c, _x, _y, dy) => [dy, c.needs('Y') ? neg(dy) : null],
  elementwise_mul: (c, x, y, dy, axis) => [c.needs('X') ? mulA(dy, y, axis) : null, c.needs('Y') ? mulA(dy, x, axis) : null],
  elementwise_div: (c, _x, y, dy, axis) => {
    const dx = divA(dy, y, axis);
    // d(x/y)/dy = -(x/y)/y = -out/y
    const dyy = c.needs('Y') ? neg(mul(dx, c.outputs.Out as Tensor)) : null;
    return [dx, dyy];
  },
  elementwise_max: (c, x, y, dy, axis) => [
    c.needs('X') ? mul(dy, maskOf('greater_than', x, y, axis, dy)) : null,
    c.needs('Y') ? mul(dy, maskOf('less_equal', x, y, axis, dy)) : null,
  ],
  elementwise_min: (c, x, y, dy, axis) => [
    c.needs('X') ? mul(dy, maskOf('less_than', x, y, axis, dy)) : null,
    c.needs('Y') ? mul(dy, maskOf('greater_equal', x, y, axis, dy)) : null,
  ],
  elementwise_pow: (c, x, y, dy, axis) => {
    const out = c.outputs.Out as Tensor;
    let dx: Tensor | null = null;
    let dyy: Tensor | null = null;
    if (c.needs('X')) {
      // y * x^(y-1), computed directly: y * out / x would divide by zero at x = 0.
      const ym1 = run1('scale', { X: y }, { scale: 1, bias: -1 });
      dx = mul(dy, mulA(run1('elementwise_pow', { X: x, Y: ym1 }, { axis }), y, axis));
    }
    if (c.needs('Y')) dyy = mul(dy, mul(out, run1('log', { X: x })));
    return [dx, dyy];
  },
};

function elementwiseGrad(type: (typeof ELEMENTWISE_OPS)[number]): OpSpec['grad'] {
  const g = GRADS[type];
  if (!g) return undefined;
  return (c) => {
    const x = c.inputs.X as Tensor;
    const y = c.inputs.Y as Tensor;
    const dy = c.outGrads.Out as Tensor;
    const axis = intAttr(c.attrs, 'axis');
    const [dx, dyy] = g(c, x, y, dy, axis);
    return {
      X: dx && c.needs('X') ? unbroadcast(dx, x.shape, y.shape, axis, 'X') : null,
      Y: dyy && c.needs('Y') ? unbroadcast(dyy, x.shape, y.shape, axis, 'Y') : null,
    };
  };
}

export const specs: OpSpec[] = [];

for (const type of ELEMENTWISE_OPS) {
  specs.push({
    type,
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: -1 },
    inferMeta: (inputs, attrs) => {
      const meta = binaryMeta(type, false)(inputs, attrs);
      const x = one(inputs, 'X');
      if ((type === 'elementwise_floordiv' || type === 'elementwise_mod') && x.dtype === 'bool') {
        throw new OpError(type, 'bool inputs are not supported');
      }
      return meta;
    },
    grad: elementwiseGrad(type),
  });
}

for (const type of COMPARE_OPS) {
  specs.push({
    type,
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: -1 },
    inferMeta: binaryMeta(type, true),
  });
}

for (const type of LOGICAL_BINARY_OPS) {
  specs.push({
    type,
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const y = one(inputs, 'Y');
      return { Out: { shape: elementwiseShape(type, x.shape, y.shape, -1), dtype: 'bool' } };
    },
  });
}

specs.push({
  type: 'logical_not',
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Out' }],
  attrs: {},
  inferMeta: (inputs) => ({ Out: { shape: one(inputs, 'X').shape, dtype: 'bool' } }),
});
