/**
 * Loss operators: softmax_with_cross_entropy, sigmoid_cross_entropy_with_logits, bce_loss,
 * smooth_l1_loss, huber_loss, nll_loss, kldiv_loss, log_loss, and the dedicated gradient
 * operators of those whose backward is a kernel of its own in Paddle.
 */
import type { Attrs, GradContext, OpSpec, TensorMeta } from '../registry';
import { add, mul, neg, reshape, scale, sub } from '../grad-utils';
import { full } from '../../ops/creation';
import { run1 } from '../../ops/run';
import { fmtShape, numel, shapesEqual } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, floatAttr, intAttr, maybe, one, requireDType, requireFloat, requireSameDType, requireSameShape, strAttr } from './common';

const LABEL_INT = ['int64', 'int32'] as const;

/** The class axis of softmax_with_cross_entropy, normalized against the logits' rank. */
export function classAxis(op: string, rank: number, attrs: Attrs): number {
  const a = intAttr(attrs, 'axis');
  const ax = a < 0 ? a + rank : a;
  if (ax < 0 || ax >= rank) throw new OpError(op, `attribute axis ${a} is out of range for Logits of rank ${rank}`);
  return ax;
}

/** Checks Label against the logits' shape: hard labels have extent 1 at the class axis. */
function checkSoftmaxLabel(op: string, logits: TensorMeta, label: TensorMeta, axis: number, soft: boolean): void {
  if (soft) {
    requireFloat(op, 'Label', label);
    requireSameDType(op, ['Logits', logits], ['Label', label]);
    requireSameShape(op, ['Logits', logits], ['Label', label]);
    return;
  }
  requireDType(op, 'Label', label, [...LABEL_INT]);
  const want = logits.shape.map((d, i) => (i === axis ? 1 : d));
  if (!shapesEqual(label.shape, want)) {
    throw new OpError(
      op,
      `input Label must have shape ${fmtShape(want)} (Logits ${fmtShape(logits.shape)} with 1 at axis ${axis}) for hard labels, got ${fmtShape(label.shape)}`,
    );
  }
}

function checkReduction(op: string, attrs: Attrs, allowed: string[]): string {
  const r = strAttr(attrs, 'reduction');
  if (!allowed.includes(r)) throw new OpError(op, `attribute reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got '${r}'`);
  return r;
}

/** A one-element constant of `like`'s dtype on `like`'s device, for composed gradients. */
function constLike(like: Tensor, v: number): Tensor {
  return full([1], v, { dtype: like.dtype, place: like.device });
}

/** min(max(x, lo), hi) with elementwise ops, so the gradient formula runs on every backend. */
function clip(x: Tensor, lo: number, hi: number): Tensor {
  const a = run1('elementwise_max', { X: x, Y: constLike(x, lo) });
  return run1('elementwise_min', { X: a, Y: constLike(x, hi) });
}

function softmaxCeGrad(c: GradContext): { Logits: Tensor | null } {
  if (!c.needs('Logits')) return { Logits: null };
  const dLoss = c.outGrads.Loss as Tensor | null;
  const dSoftmax = c.outGrads.Softmax as Tensor | null;
  const softmax = c.outputs.Softmax as Tensor;
  let g: Tensor | null = null;
  if (dLoss) {
    g = run1(
      'softmax_with_cross_entropy_grad',
      { Label: c.inputs.Label as Tensor, Softmax: softmax, 'Loss@GRAD': dLoss },
      c.attrs,
      'Logits@GRAD',
    );
  }
  if (dSoftmax) {
    let gs: Tensor;
    if (boolAttr(c.attrs, 'use_softmax')) {
      // Softmax backward: s * (ds - sum(ds * s, axis)).
      const axis = classAxis('softmax_with_cross_entropy', softmax.shape.length, c.attrs);
      const dot = run1('reduce_sum', { X: mul(dSoftmax, softmax) }, { dim: [axis], keep_dim: true });
      gs = mul(softmax, sub(dSoftmax, dot));
    } else {
      // Without softmax the Softmax output is the input itself.
      gs = dSoftmax;
    }
    g = g ? add(g, gs) : gs;
  }
  return { Logits: g };
}

export const specs: OpSpec[] = [
  {
    type: 'softmax_with_cross_entropy',
    inputs: [{ name: 'Logits' }, { name: 'Label', noGrad: true }],
    outputs: [{ name: 'Softmax' }, { name: 'Loss' }],
    // numeric_stable_mode only picks a GPU code path in Paddle; every Oar kernel subtracts the max.
    attrs: { soft_label: false, ignore_index: -100, numeric_stable_mode: true, axis: -1, use_softmax: true },
    inferMeta: (inputs, attrs) => {
      const op = 'softmax_with_cross_entropy';
      const logits = one(inputs, 'Logits');
      requireFloat(op, 'Logits', logits);
      if (logits.shape.length === 0) throw new OpError(op, 'input Logits must have rank >= 1, got a 0-d tensor');
      const axis = classAxis(op, logits.shape.length, attrs);
      checkSoftmaxLabel(op, logits, one(inputs, 'Label'), axis, boolAttr(attrs, 'soft_label'));
      const lossShape = logits.shape.map((d, i) => (i === axis ? 1 : d));
      return { Softmax: { shape: logits.shape, dtype: logits.dtype }, Loss: { shape: lossShape, dtype: logits.dtype } };
    },
    grad: softmaxCeGrad,
  },
  {
    type: 'softmax_with_cross_entropy_grad',
    inputs: [{ name: 'Label' }, { name: 'Softmax' }, { name: 'Loss@GRAD' }],
    outputs: [{ name: 'Logits@GRAD' }],
    attrs: { soft_label: false, ignore_index: -100, numeric_stable_mode: true, axis: -1, use_softmax: true },
    inferMeta: (inputs, attrs) => {
      const op = 'softmax_with_cross_entropy_grad';
      const sm = one(inputs, 'Softmax');
      requireFloat(op, 'Softmax', sm);
      if (sm.shape.length === 0) throw new OpError(op, 'input Softmax must have rank >= 1, got a 0-d tensor');
      const axis = classAxis(op, sm.shape.length, attrs);
      checkSoftmaxLabel(op, sm, one(inputs, 'Label'), axis, boolAttr(attrs, 'soft_label'));
      const dl = one(inputs, 'Loss@GRAD');
      const want = sm.shape.map((d, i) => (i === axis ? 1 : d));
      if (!shapesEqual(dl.shape, want)) {
        throw new OpError(op, `input Loss@GRAD must have shape ${fmtShape(want)}, got ${fmtShape(dl.shape)}`);
      }
      requireSameDType(op, ['Softmax', sm], ['Loss@GRAD', dl]);
      return { 'Logits@GRAD': { shape: sm.shape, dtype: sm.dtype } };
    },
  },
  {
    type: 'sigmoid_cross_entropy_with_logits',
    inputs: [{ name: 'X' }, { name: 'Label', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { normalize: false, ignore_index: -100 },
    inferMeta: (inputs) => {
      const op = 'sigmoid_cross_entropy_with_logits';
      const x = one(inputs, 'X');
      const label = one(inputs, 'Label');
      requireFloat(op, 'X', x);
      requireSameDType(op, ['X', x], ['Label', label]);
      requireSameShape(op, ['X', x], ['Label', label]);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => ({
      X: run1(
        'sigmoid_cross_entropy_with_logits_grad',
        { X: c.inputs.X as Tensor, Label: c.inputs.Label as Tensor, 'Out@GRAD': c.outGrads.Out as Tensor },
        c.attrs,
        'X@GRAD',
      ),
    }),
  },
  {
    type: 'sigmoid_cross_entropy_with_logits_grad',
    inputs: [{ name: 'X' }, { name: 'Label' }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { normalize: false, ignore_index: -100 },
    inferMeta: (inputs) => {
      const op = 'sigmoid_cross_entropy_with_logits_grad';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      requireSameShape(op, ['X', x], ['Label', one(inputs, 'Label')]);
      requireSameShape(op, ['X', x], ['Out@GRAD', one(inputs, 'Out@GRAD')]);
      requireSameDType(op, ['X', x], ['Label', one(inputs, 'Label')]);
      requireSameDType(op, ['X', x], ['Out@GRAD', one(inputs, 'Out@GRAD')]);
      return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
    },
  },
  {
    type: 'bce_loss',
    inputs: [{ name: 'X' }, { name: 'Label', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      const label = one(inputs, 'Label');
      requireFloat('bce_loss', 'X', x);
      requireSameDType('bce_loss', ['X', x], ['Label', label]);
      requireSameShape('bce_loss', ['X', x], ['Label', label]);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    // d/dx = (x - label) / max(x (1 - x), 1e-12), Paddle's clamp of the denominator.
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const label = c.inputs.Label as Tensor;
      const den = mul(x, scale(x, -1, 1));
      const safe = run1('elementwise_max', { X: den, Y: constLike(x, 1e-12) });
      return { X: mul(run1('elementwise_div', { X: sub(x, label), Y: safe }), c.outGrads.Out as Tensor) };
    },
  },
  {
    type: 'smooth_l1_loss',
    inputs: [
      { name: 'X' },
      { name: 'Y' },
      { name: 'InsideWeight', optional: true, noGrad: true },
      { name: 'OutsideWeight', optional: true, noGrad: true },
    ],
    outputs: [{ name: 'Diff' }, { name: 'Out' }],
    attrs: { sigma: 1.0 },
    inferMeta: (inputs) => {
      const op = 'smooth_l1_loss';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      if (x.shape.length < 2) throw new OpError(op, `input X must have rank >= 2 ([N, ...]), got shape ${fmtShape(x.shape)}`);
      for (const slot of ['Y', 'InsideWeight', 'OutsideWeight']) {
        const m = maybe(inputs, slot);
        if (!m) continue;
        requireSameDType(op, ['X', x], [slot, m]);
        requireSameShape(op, ['X', x], [slot, m]);
      }
      if (!maybe(inputs, 'InsideWeight') !== !maybe(inputs, 'OutsideWeight')) {
        throw new OpError(op, 'inputs InsideWeight and OutsideWeight must be given together');
      }
      return { Diff: { shape: x.shape, dtype: x.dtype }, Out: { shape: [x.shape[0]!, 1], dtype: x.dtype } };
    },
    // d Out / d Diff = clip(sigma^2 * Diff, -1, 1) (the quadratic zone ends where sigma^2 |d| = 1).
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const iw = c.inputs.InsideWeight as Tensor | undefined;
      const ow = c.inputs.OutsideWeight as Tensor | undefined;
      const diff = c.outputs.Diff as Tensor;
      const dOut = c.outGrads.Out as Tensor | null;
      const dDiff = c.outGrads.Diff as Tensor | null;
      const s2 = floatAttr(c.attrs, 'sigma') ** 2;
      let g: Tensor | null = null;
      if (dOut) {
        g = clip(scale(diff, s2), -1, 1);
        if (ow) g = mul(g, ow);
        const rows = reshape(dOut, [x.shape[0]!, ...new Array<number>(x.shape.length - 1).fill(1)]);
        g = mul(g, rows);
      }
      if (dDiff) g = g ? add(g, dDiff) : dDiff;
      if (!g) return {};
      if (iw) g = mul(g, iw);
      return { X: c.needs('X') ? g : null, Y: c.needs('Y') ? neg(g) : null };
    },
  },
  {
    type: 'huber_loss',
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Residual' }, { name: 'Out' }],
    attrs: { delta: 1.0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const y = one(inputs, 'Y');
      requireFloat('huber_loss', 'X', x);
      requireSameDType('huber_loss', ['X', x], ['Y', y]);
      requireSameShape('huber_loss', ['X', x], ['Y', y]);
      if (!(floatAttr(attrs, 'delta') > 0)) throw new OpError('huber_loss', `attribute delta must be > 0, got ${floatAttr(attrs, 'delta')}`);
      return { Residual: { shape: x.shape, dtype: x.dtype }, Out: { shape: x.shape, dtype: x.dtype } };
    },
    // Residual = Y - X; d Out / d Residual = clip(Residual, -delta, delta).
    grad: (c) => {
      const r = c.outputs.Residual as Tensor;
      const dOut = c.outGrads.Out as Tensor | null;
      const dRes = c.outGrads.Residual as Tensor | null;
      const delta = floatAttr(c.attrs, 'delta');
      let g: Tensor | null = dOut ? mul(clip(r, -delta, delta), dOut) : null;
      if (dRes) g = g ? add(g, dRes) : dRes;
      if (!g) return {};
      return { X: c.needs('X') ? neg(g) : null, Y: c.needs('Y') ? g : null };
    },
  },
  {
    type: 'nll_loss',
    inputs: [{ name: 'X' }, { name: 'Label', noGrad: true }, { name: 'Weight', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }, { name: 'Total_weight' }],
    attrs: { ignore_index: -100, reduction: 'mean' },
    inferMeta: (inputs, attrs) => {
      const op = 'nll_loss';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      const reduction = checkReduction(op, attrs, ['none', 'mean', 'sum']);
      nllCheck(op, x, one(inputs, 'Label'), maybe(inputs, 'Weight'));
      const outShape = reduction === 'none' ? [x.shape[0]!, ...x.shape.slice(2)] : [1];
      return { Out: { shape: outShape, dtype: x.dtype }, Total_weight: { shape: [1], dtype: x.dtype } };
    },
    grad: (c) => ({
      X: run1(
        'nll_loss_grad',
        {
          X: c.inputs.X as Tensor,
          Label: c.inputs.Label as Tensor,
          Weight: c.inputs.Weight as Tensor | undefined,
          Total_weight: c.outputs.Total_weight as Tensor,
          'Out@GRAD': c.outGrads.Out as Tensor,
        },
        c.attrs,
        'X@GRAD',
      ),
    }),
  },
  {
    type: 'nll_loss_grad',
    inputs: [{ name: 'X' }, { name: 'Label' }, { name: 'Weight', optional: true }, { name: 'Total_weight' }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { ignore_index: -100, reduction: 'mean' },
    inferMeta: (inputs, attrs) => {
      const op = 'nll_loss_grad';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      const reduction = checkReduction(op, attrs, ['none', 'mean', 'sum']);
      nllCheck(op, x, one(inputs, 'Label'), maybe(inputs, 'Weight'));
      const dOut = one(inputs, 'Out@GRAD');
      const want = reduction === 'none' ? [x.shape[0]!, ...x.shape.slice(2)] : [1];
      if (!shapesEqual(dOut.shape, want)) throw new OpError(op, `input Out@GRAD must have shape ${fmtShape(want)}, got ${fmtShape(dOut.shape)}`);
      const tw = one(inputs, 'Total_weight');
      if (numel(tw.shape) !== 1) throw new OpError(op, `input Total_weight must hold one element, got shape ${fmtShape(tw.shape)}`);
      return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
    },
  },
  {
    type: 'kldiv_loss',
    inputs: [{ name: 'X' }, { name: 'Target', noGrad: true }],
    outputs: [{ name: 'Loss' }],
    attrs: { reduction: 'mean' },
    inferMeta: (inputs, attrs) => {
      const op = 'kldiv_loss';
      const x = one(inputs, 'X');
      const t = one(inputs, 'Target');
      requireFloat(op, 'X', x);
      requireSameDType(op, ['X', x], ['Target', t]);
      requireSameShape(op, ['X', x], ['Target', t]);
      const reduction = checkReduction(op, attrs, ['none', 'batchmean', 'mean', 'sum']);
      if (reduction === 'batchmean' && x.shape.length === 0) throw new OpError(op, "reduction 'batchmean' needs input X of rank >= 1");
      return { Loss: { shape: reduction === 'none' ? [...x.shape] : [1], dtype: x.dtype } };
    },
    // d/dx = -target where target > 0 (the loss is 0 elsewhere), divided as the reduction divides.
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const t = c.inputs.Target as Tensor;
      const reduction = strAttr(c.attrs, 'reduction');
      const div = reduction === 'mean' ? x.size : reduction === 'batchmean' ? x.shape[0]! : 1;
      const pos = run1('elementwise_max', { X: t, Y: constLike(t, 0) });
      return { X: mul(scale(pos, -1 / div), c.outGrads.Loss as Tensor) };
    },
  },
  {
    type: 'log_loss',
    inputs: [{ name: 'Predicted' }, { name: 'Labels', noGrad: true }],
    outputs: [{ name: 'Loss' }],
    attrs: { epsilon: 1e-4 },
    inferMeta: (inputs) => {
      const op = 'log_loss';
      const p = one(inputs, 'Predicted');
      const l = one(inputs, 'Labels');
      requireFloat(op, 'Predicted', p);
      if (p.shape.length !== 2 || p.shape[1] !== 1) {
        throw new OpError(op, `input Predicted must have shape [N, 1], got ${fmtShape(p.shape)}`);
      }
      requireSameDType(op, ['Predicted', p], ['Labels', l]);
      requireSameShape(op, ['Predicted', p], ['Labels', l]);
      return { Loss: { shape: p.shape, dtype: p.dtype } };
    },
    // d/dp = -label / (p + eps) + (1 - label) / (1 - p + eps).
    grad: (c) => {
      const p = c.inputs.Predicted as Tensor;
      const l = c.inputs.Labels as Tensor;
      const eps = floatAttr(c.attrs, 'epsilon');
      const a = run1('elementwise_div', { X: l, Y: scale(p, 1, eps) });
      const b = run1('elementwise_div', { X: scale(l, -1, 1), Y: scale(p, -1, 1 + eps) });
      return { Predicted: mul(sub(b, a), c.outGrads.Loss as Tensor) };
    },
  },
];

function nllCheck(op: string, x: TensorMeta, label: TensorMeta, weight: TensorMeta | undefined): void {
  if (x.shape.length !== 2 && x.shape.length !== 4) {
    throw new OpError(op, `input X must have shape [N, C] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  }
  requireDType(op, 'Label', label, [...LABEL_INT]);
  const want = [x.shape[0]!, ...x.shape.slice(2)];
  if (!shapesEqual(label.shape, want)) {
    throw new OpError(op, `input Label must have shape ${fmtShape(want)} for X ${fmtShape(x.shape)}, got ${fmtShape(label.shape)}`);
  }
  if (weight) {
    requireSameDType(op, ['X', x], ['Weight', weight]);
    if (weight.shape.length !== 1 || weight.shape[0] !== x.shape[1]) {
      throw new OpError(op, `input Weight must have shape [${x.shape[1]}] (one weight per class), got ${fmtShape(weight.shape)}`);
    }
  }
}
