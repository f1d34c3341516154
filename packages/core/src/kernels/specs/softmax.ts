/**
 * softmax and log_softmax along `axis` (Paddle's softmax_op.cc, log_softmax_op.cc), with their
 * dedicated grad ops (slots `Out`, `Out@GRAD` -> `X@GRAD`, as Paddle's). Each grad op is itself
 * differentiable (composed below), so second-order gradients flow through softmax.
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { mul, neg, sub } from '../grad-utils';
import { run1 } from '../../ops/run';
import { fmtShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { intAttr, one, requireFloat } from './common';
import { requireLike } from './unary';

/** `axis` normalized against `rank` (negative counts from the end). */
export function softmaxAxis(op: string, shape: readonly number[], attrs: Attrs): number {
  const rank = shape.length;
  const axis = intAttr(attrs, 'axis');
  if (rank === 0) throw new OpError(op, 'input X must have rank >= 1, got a 0-D tensor');
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new OpError(op, `attribute axis ${axis} is out of range for X ${fmtShape(shape)} (expected ${-rank} <= axis < ${rank})`);
  }
  return a;
}

const sumKeep = (x: Tensor, axis: number): Tensor => run1('reduce_sum', { X: x }, { dim: [axis], keep_dim: true, reduce_all: false });

function fwdMeta(op: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const x = one(inputs, 'X');
    requireFloat(op, 'X', x);
    softmaxAxis(op, x.shape, attrs);
    return { Out: { shape: x.shape, dtype: x.dtype } };
  };
}

function gradMeta(op: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const dy = one(inputs, 'Out@GRAD');
    requireFloat(op, 'Out@GRAD', dy);
    requireLike(op, 'Out', one(inputs, 'Out'), dy);
    softmaxAxis(op, dy.shape, attrs);
    return { 'X@GRAD': { shape: dy.shape, dtype: dy.dtype } };
  };
}

const runGrad = (op: string, out: Tensor, dy: Tensor, attrs: Attrs): Tensor =>
  run1(op, { Out: out, 'Out@GRAD': dy }, attrs, 'X@GRAD');

export const specs: OpSpec[] = [
  {
    type: 'softmax',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    // data_format only picks an MKL-DNN layout in Paddle; it does not change the result.
    attrs: { axis: -1, data_format: 'AnyLayout' },
    inferMeta: fwdMeta('softmax'),
    grad: (c) => ({ X: runGrad('softmax_grad', c.outputs.Out as Tensor, c.outGrads.Out as Tensor, c.attrs) }),
  },
  {
    // dX = Out · (dOut - sum(dOut · Out, axis))
    type: 'softmax_grad',
    inputs: [{ name: 'Out' }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { axis: -1, data_format: 'AnyLayout' },
    inferMeta: gradMeta('softmax_grad'),
    grad: (c) => {
      const out = c.inputs.Out as Tensor;
      const dy = c.inputs['Out@GRAD'] as Tensor;
      const h = c.outGrads['X@GRAD'] as Tensor;
      const axis = softmaxAxis('softmax_grad', out.shape, c.attrs);
      let dOut: Tensor | null = null;
      if (c.needs('Out')) {
        // d<h, g>/dOut = h (dOut - sum(dOut Out)) - dOut sum(h Out)
        const s = sumKeep(mul(dy, out), axis);
        const t = sumKeep(mul(h, out), axis);
        dOut = sub(mul(h, sub(dy, s)), mul(dy, t));
      }
      return {
        Out: dOut,
        // linear in dOut with a symmetric Jacobian: the same op applied to h
        'Out@GRAD': c.needs('Out@GRAD') ? runGrad('softmax_grad', out, h, c.attrs) : null,
      };
    },
  },
  {
    type: 'log_softmax',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: -1 },
    inferMeta: fwdMeta('log_softmax'),
    grad: (c) => ({ X: runGrad('log_softmax_grad', c.outputs.Out as Tensor, c.outGrads.Out as Tensor, c.attrs) }),
  },
  {
    // dX = dOut - exp(Out) · sum(dOut, axis)
    type: 'log_softmax_grad',
    inputs: [{ name: 'Out' }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { axis: -1 },
    inferMeta: gradMeta('log_softmax_grad'),
    grad: (c) => {
      const out = c.inputs.Out as Tensor;
      const dy = c.inputs['Out@GRAD'] as Tensor;
      const h = c.outGrads['X@GRAD'] as Tensor;
      const axis = softmaxAxis('log_softmax_grad', out.shape, c.attrs);
      const p = run1('exp', { X: out });
      return {
        // d<h, g>/dOut = -h exp(Out) sum(dOut)
        Out: c.needs('Out') ? neg(mul(mul(h, p), sumKeep(dy, axis))) : null,
        // d<h, g>/ddOut = h - sum(h exp(Out))
        'Out@GRAD': c.needs('Out@GRAD') ? sub(h, sumKeep(mul(h, p), axis)) : null,
      };
    },
  },
];
