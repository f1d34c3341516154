/**
 * Loss functions with Paddle 2.0's `paddle.nn.functional` signatures. Each returns the
 * per-element loss (`reduction: 'none'`) or its mean or sum as a [1] tensor.
 */
import { dtypeToPaddle, isFloatDType } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { full, withDevice } from './creation';
import { arange } from './range';
import { run1, runAll } from './run';

export type Reduction = 'none' | 'mean' | 'sum';

function checkReduction(r: string, where: string, allowed: string[] = ['none', 'mean', 'sum']): void {
  if (!allowed.includes(r)) throw new RangeError(`${where}: reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got '${r}'`);
}

function reduceLoss(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return x;
  return run1(reduction === 'mean' ? 'reduce_mean' : 'reduce_sum', { X: x }, { reduce_all: true });
}

const sumAll = (x: Tensor): Tensor => run1('reduce_sum', { X: x }, { reduce_all: true });
const mul = (a: Tensor, b: Tensor): Tensor => run1('elementwise_mul', { X: a, Y: b });
const div = (a: Tensor, b: Tensor): Tensor => run1('elementwise_div', { X: a, Y: b });
const constLike = (like: Tensor, v: number): Tensor => full([1], v, { dtype: like.dtype, place: like.device });
const castTo = (x: Tensor, like: Tensor): Tensor =>
  run1('cast', { X: x }, { in_dtype: dtypeToPaddle(x.dtype), out_dtype: dtypeToPaddle(like.dtype) });
const reshape = (x: Tensor, shape: number[]): Tensor => run1('reshape2', { X: x }, { shape });

function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${where}: axis ${axis} is out of range for an input of rank ${rank}`);
  return a;
}

/** A hard label given without the class dimension gets extent 1 inserted at `axis`. */
function labelWithClassDim(input: Tensor, label: Tensor, axis: number): { label: Tensor; squeezed: boolean } {
  if (label.ndim === input.ndim - 1) {
    const shape = [...label.shape];
    shape.splice(axis, 0, 1);
    return { label: reshape(label, shape), squeezed: true };
  }
  return { label, squeezed: false };
}

/** `values` ([C]) shaped to broadcast along `axis` of a rank-`rank` tensor. */
function alongAxis(values: Tensor, rank: number, axis: number): Tensor {
  const shape = new Array<number>(rank).fill(1);
  shape[axis] = values.size;
  return reshape(values, shape);
}

/** One-hot rows of the hard labels (class dim of extent 1 at `axis`), as `like`'s dtype. */
function oneHot(label: Tensor, classes: number, rank: number, axis: number, like: Tensor): Tensor {
  const iota = alongAxis(withDevice(label.device, () => arange(0, classes, 1, label.dtype)), rank, axis);
  return castTo(run1('equal', { X: label, Y: iota }), like);
}

export interface CrossEntropyOptions {
  /** Per-class weights, shape [C]. */
  weight?: Tensor;
  ignoreIndex?: number;
  reduction?: Reduction;
  softLabel?: boolean;
  axis?: number;
  /** false: `input` already holds probabilities. */
  useSoftmax?: boolean;
  /** ε: hard labels become (1 - ε)·onehot + ε / C. */
  labelSmoothing?: number;
}

/**
 * Softmax cross entropy (Paddle's `F.cross_entropy`). Hard labels are class indices with or
 * without the class dimension; soft labels are distributions of the input's shape. With `weight`,
 * each sample's loss is scaled by Σ_c label_c·weight_c (weight[label] for hard labels) and the mean
 * divides by the sum of those scales; without it the mean is over samples whose label is not
 * `ignoreIndex`.
 */
export function crossEntropy(input: Tensor, label: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const where = 'crossEntropy';
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, where);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`${where}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  if (!isFloatDType(input.dtype)) throw new TypeError(`${where}: input must be a float tensor, got ${input.dtype}`);
  const axis = normAxis(opts.axis ?? -1, input.ndim, where);
  const classes = input.shape[axis]!;
  const rank = input.ndim;
  if (opts.weight && (opts.weight.ndim !== 1 || opts.weight.size !== classes)) {
    throw new RangeError(`${where}: weight must have shape [${classes}] (one weight per class), got ${fmtShape(opts.weight.shape)}`);
  }
  const hard = !opts.softLabel;
  let lab = label;
  let squeezed = false;
  // 1 for labels that count, 0 for ignored ones (hard labels only).
  let valid: Tensor | null = null;
  if (hard) {
    ({ label: lab, squeezed } = labelWithClassDim(input, label, axis));
    if (smoothing > 0 || opts.weight || reduction === 'mean') {
      valid = castTo(run1('not_equal', { X: lab, Y: full([1], ignoreIndex, { dtype: lab.dtype, place: lab.device }) }), input);
    }
  }
  // The labels the weights (and, with smoothing, the op) see as distributions.
  let dist: Tensor | null = null;
  if (hard && (smoothing > 0 || opts.weight)) {
    dist = mul(oneHot(lab, classes, rank, axis, input), valid!);
    if (smoothing > 0) dist = mul(run1('scale', { X: dist }, { scale: 1 - smoothing, bias: smoothing / classes }), valid!);
  } else if (!hard) dist = lab;
  const softForOp = !hard || smoothing > 0;
  let loss = runAll(
    'softmax_with_cross_entropy',
    { Logits: input, Label: softForOp ? dist! : lab },
    {
      soft_label: softForOp,
      ignore_index: ignoreIndex,
      axis,
      use_softmax: opts.useSoftmax ?? true,
    },
  ).Loss as Tensor;
  let scaleSum: Tensor | null = null;
  if (opts.weight) {
    const w = alongAxis(opts.weight.dtype === input.dtype ? opts.weight : castTo(opts.weight, input), rank, axis);
    const perSample = run1('reduce_sum', { X: mul(dist!, w) }, { dim: [axis], keep_dim: true });
    loss = mul(loss, perSample);
    if (reduction === 'mean') scaleSum = sumAll(perSample);
  }
  if (reduction === 'none') return squeezed ? reshape(loss, [...label.shape]) : loss;
  if (reduction === 'sum') return sumAll(loss);
  if (scaleSum) return div(sumAll(loss), scaleSum);
  if (valid) return div(sumAll(loss), sumAll(valid));
  return run1('reduce_mean', { X: loss }, { reduce_all: true });
}

export interface SoftmaxWithCrossEntropyOptions {
  softLabel?: boolean;
  ignoreIndex?: number;
  numericStableMode?: boolean;
  returnSoftmax?: boolean;
  axis?: number;
}

/**
 * The per-sample loss of softmax cross entropy (class dimension kept with extent 1), and with
 * `returnSoftmax` the softmax too: `[loss, softmax]`.
 */
export function softmaxWithCrossEntropy(logits: Tensor, label: Tensor, opts: SoftmaxWithCrossEntropyOptions & { returnSoftmax: true }): [Tensor, Tensor];
export function softmaxWithCrossEntropy(logits: Tensor, label: Tensor, opts?: SoftmaxWithCrossEntropyOptions): Tensor;
export function softmaxWithCrossEntropy(logits: Tensor, label: Tensor, opts: SoftmaxWithCrossEntropyOptions = {}): Tensor | [Tensor, Tensor] {
  const axis = normAxis(opts.axis ?? -1, logits.ndim, 'softmaxWithCrossEntropy');
  const lab = opts.softLabel ? label : labelWithClassDim(logits, label, axis).label;
  const out = runAll(
    'softmax_with_cross_entropy',
    { Logits: logits, Label: lab },
    {
      soft_label: !!opts.softLabel,
      ignore_index: opts.ignoreIndex ?? -100,
      numeric_stable_mode: opts.numericStableMode ?? true,
      axis,
    },
  );
  return opts.returnSoftmax ? [out.Loss as Tensor, out.Softmax as Tensor] : (out.Loss as Tensor);
}

export interface NllLossOptions {
  weight?: Tensor;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Negative log likelihood of log-probabilities `input` [N, C, d1, ...] at class indices `label` [N, d1, ...]. */
export function nllLoss(input: Tensor, label: Tensor, opts: NllLossOptions = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'nllLoss');
  if (input.ndim < 2) throw new RangeError(`nllLoss: input must have shape [N, C, ...], got ${fmtShape(input.shape)}`);
  let x = input;
  let lab = label;
  const [n, c] = input.shape as [number, number];
  // The operator takes [N, C] or [N, C, H, W]; other ranks are viewed as [N, C, 1, rest].
  const reshaped = input.ndim !== 2 && input.ndim !== 4;
  if (reshaped) {
    x = reshape(input, [n, c, 1, -1]);
    lab = reshape(label, [label.shape[0] ?? n, 1, -1]);
  }
  const out = run1('nll_loss', { X: x, Label: lab, Weight: opts.weight }, { ignore_index: opts.ignoreIndex ?? -100, reduction });
  return reshaped && reduction === 'none' ? reshape(out, [n, ...input.shape.slice(2)]) : out;
}

/** Mean squared error. */
export function mseLoss(input: Tensor, label: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'mseLoss');
  const d = run1('elementwise_sub', { X: input, Y: label });
  return reduceLoss(mul(d, d), reduction);
}

/** Mean absolute error. */
export function l1Loss(input: Tensor, label: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'l1Loss');
  return reduceLoss(run1('abs', { X: run1('elementwise_sub', { X: input, Y: label }) }), reduction);
}

/**
 * Paddle 2.0's smooth L1 loss, the Huber loss: 0.5·d² where |d| < delta, else
 * delta·(|d| - 0.5·delta), with d = input - label.
 */
export function smoothL1Loss(input: Tensor, label: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'smoothL1Loss');
  const out = runAll('huber_loss', { X: input, Y: label }, { delta: opts.delta ?? 1.0 }).Out as Tensor;
  return reduceLoss(out, reduction);
}

/** Binary cross entropy of probabilities `input` against `label`, optionally weighted element-wise. */
export function binaryCrossEntropy(input: Tensor, label: Tensor, opts: { weight?: Tensor; reduction?: Reduction } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'binaryCrossEntropy');
  let out = run1('bce_loss', { X: input, Label: label });
  if (opts.weight) out = mul(out, opts.weight);
  return reduceLoss(out, reduction);
}

/**
 * Binary cross entropy on logits, computed stably. `posWeight` ([C] or broadcastable) scales the
 * loss of each element by 1 + (posWeight - 1)·label, as Paddle 2.0 does.
 */
export function binaryCrossEntropyWithLogits(
  logit: Tensor,
  label: Tensor,
  opts: { weight?: Tensor; reduction?: Reduction; posWeight?: Tensor } = {},
): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'binaryCrossEntropyWithLogits');
  let out = run1('sigmoid_cross_entropy_with_logits', { X: logit, Label: label });
  if (opts.posWeight) {
    const pwm1 = run1('scale', { X: opts.posWeight }, { scale: 1, bias: -1 });
    out = mul(out, run1('scale', { X: mul(label, pwm1) }, { scale: 1, bias: 1 }));
  }
  if (opts.weight) out = mul(out, opts.weight);
  return reduceLoss(out, reduction);
}

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `label` (Paddle's `F.kl_div`):
 * label·(log label - input) where label > 0. Reductions: 'none', 'batchmean', 'mean', 'sum'.
 */
export function klDiv(input: Tensor, label: Tensor, opts: { reduction?: Reduction | 'batchmean' } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'klDiv', ['none', 'batchmean', 'mean', 'sum']);
  return run1('kldiv_loss', { X: input, Target: label }, { reduction }, 'Loss');
}

/** max(0, -label·(input - other) + margin) (Paddle's `F.margin_ranking_loss`). */
export function marginRankingLoss(input: Tensor, other: Tensor, label: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'marginRankingLoss');
  const d = run1('elementwise_sub', { X: other, Y: input });
  const t = run1('scale', { X: mul(label, d) }, { scale: 1, bias: opts.margin ?? 0 });
  // max(t, 0) as elementwise_max: at a tie the gradient goes to the constant, i.e. 0 as for relu.
  return reduceLoss(run1('elementwise_max', { X: t, Y: constLike(t, 0) }), reduction);
}

/** Negative log likelihood of predicted probabilities [N, 1] (Paddle's `F.log_loss`). */
export function logLoss(input: Tensor, label: Tensor, opts: { epsilon?: number } = {}): Tensor {
  return run1('log_loss', { Predicted: input, Labels: label }, { epsilon: opts.epsilon ?? 1e-4 }, 'Loss');
}
