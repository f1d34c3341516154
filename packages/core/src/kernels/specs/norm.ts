/**
 * Normalization: batch_norm, layer_norm, group_norm, instance_norm, each with a `_grad`
 * operator that reuses the statistics saved by the forward call.
 *
 * batch_norm (checked against Paddle's batch_norm_op.cc CPU kernel):
 *  - statistics mode: "global" (use Mean/Variance) when use_global_stats, or when is_test and
 *    not trainable_statistics; otherwise the batch statistics are used and the running ones
 *    updated in place (MeanOut/VarianceOut share Mean/Variance's buffers).
 *  - the batch variance is the biased one (Σ(x−mean)²/(N·HW)); it both normalizes and updates
 *    the running variance: running = momentum·running + (1−momentum)·batch.
 *  - SavedMean is the batch mean and SavedVariance the inverse std 1/sqrt(var+epsilon), which
 *    batch_norm_grad reads. (Paddle leaves both unwritten in global mode; here they hold the
 *    running mean and its inverse std.)
 *  - with a single value per channel (N·HW = 1) Paddle copies X to Y and updates nothing.
 *  - batch_norm_grad in global mode treats the statistics as constants (dX = dY·Scale·invstd);
 *    Paddle refuses is_test there, Oar allows it so a frozen network can still be differentiated.
 * layer_norm: Mean/Variance per row of X viewed as [prod(dims[:begin_norm_axis]), rest];
 * group_norm: Mean/Variance [N, groups]; instance_norm: SavedMean/SavedVariance [N·C], the
 * latter as the inverse std. Variances are biased.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { runAll } from '../../ops/run';
import type { DType } from '../../tensor/dtype';
import { fmtShape, numel, shapesEqual, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, intAttr, maybe, one, requireFloat, strAttr } from './common';
import { layoutIsNhwc } from './pool';

/** True when batch_norm normalizes with the stored (running) statistics. */
export function bnUsesGlobalStats(attrs: Attrs): boolean {
  return boolAttr(attrs, 'use_global_stats') || (boolAttr(attrs, 'is_test') && !boolAttr(attrs, 'trainable_statistics'));
}

/** Dtype of statistics: float64 for float64 inputs, float32 otherwise (half inputs included). */
export function statDType(x: DType): DType {
  return x === 'float64' ? 'float64' : 'float32';
}

function requireVector(op: string, slot: string, m: TensorMeta | undefined, n: number, what: string): void {
  if (!m) return;
  requireFloat(op, slot, m);
  if (m.shape.length !== 1 || m.shape[0] !== n) {
    throw new OpError(op, `input ${slot} must have shape [${n}] (${what}), got ${fmtShape(m.shape)}`);
  }
}

function requireSame(op: string, slot: string, m: TensorMeta, shape: Shape, what: string): void {
  if (!shapesEqual(m.shape, shape)) throw new OpError(op, `input ${slot} must have shape ${fmtShape(shape)} (${what}), got ${fmtShape(m.shape)}`);
}

/** N, C and the spatial size of batch_norm's X. */
export function bnDims(op: string, xShape: Shape, attrs: Attrs): { n: number; c: number; s: number; nhwc: boolean } {
  if (xShape.length < 2 || xShape.length > 5) {
    throw new OpError(op, `input X must have rank 2 to 5, got shape ${fmtShape(xShape)}`);
  }
  const nhwc = layoutIsNhwc(op, 'data_layout', strAttr(attrs, 'data_layout'));
  const n = xShape[0]!;
  const c = nhwc ? xShape[xShape.length - 1]! : xShape[1]!;
  return { n, c, s: n * c === 0 ? 0 : numel(xShape) / n / c, nhwc };
}

/** Rows and row length of layer_norm's X. */
export function lnDims(op: string, xShape: Shape, attrs: Attrs): { left: number; right: number } {
  const axis = intAttr(attrs, 'begin_norm_axis');
  if (!(axis >= 1 && axis < xShape.length)) {
    throw new OpError(op, `attribute begin_norm_axis must be in [1, ${xShape.length - 1}] for X of shape ${fmtShape(xShape)}, got ${axis}`);
  }
  return { left: numel(xShape.slice(0, axis)), right: numel(xShape.slice(axis)) };
}

/** N, C, spatial size and group count of group_norm's X. */
export function gnDims(op: string, xShape: Shape, attrs: Attrs): { n: number; c: number; s: number; groups: number; nhwc: boolean } {
  if (xShape.length < 2) throw new OpError(op, `input X must have rank >= 2, got shape ${fmtShape(xShape)}`);
  const nhwc = layoutIsNhwc(op, 'data_layout', strAttr(attrs, 'data_layout'));
  const n = xShape[0]!;
  const c = nhwc ? xShape[xShape.length - 1]! : xShape[1]!;
  const groups = intAttr(attrs, 'groups');
  if (!(groups >= 1) || c % groups !== 0) {
    throw new OpError(op, `attribute groups must be a positive divisor of the channel count ${c}, got ${groups}`);
  }
  return { n, c, s: n * c === 0 ? 0 : numel(xShape) / n / c, groups, nhwc };
}

/** N, C and spatial size of instance_norm's X (NCHW-style, rank 2 to 5). */
export function inDims(op: string, xShape: Shape): { n: number; c: number; s: number } {
  if (xShape.length < 2 || xShape.length > 5) throw new OpError(op, `input X must have rank 2 to 5, got shape ${fmtShape(xShape)}`);
  const n = xShape[0]!;
  const c = xShape[1]!;
  return { n, c, s: numel(xShape.slice(2)) };
}

const BN_ATTRS: Attrs = {
  is_test: false,
  momentum: 0.9,
  epsilon: 1e-5,
  data_layout: 'NCHW',
  use_global_stats: false,
  trainable_statistics: false,
};

function bnMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'batch_norm';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { c } = bnDims(op, x.shape, attrs);
  const what = 'one value per channel';
  for (const slot of ['Scale', 'Bias', 'Mean', 'Variance']) requireVector(op, slot, one(inputs, slot), c, what);
  for (const slot of ['Mean', 'Variance']) {
    const m = one(inputs, slot);
    // The running statistics are updated in place, so they must be directly writable floats.
    if (m.dtype !== 'float32' && m.dtype !== 'float64') throw new OpError(op, `input ${slot} must be float32 or float64, got ${m.dtype}`);
  }
  const mt = maybe(inputs, 'MomentumTensor');
  if (mt && numel(mt.shape) !== 1) throw new OpError(op, `input MomentumTensor must hold one value, got shape ${fmtShape(mt.shape)}`);
  const mean = one(inputs, 'Mean');
  const variance = one(inputs, 'Variance');
  return {
    Y: { shape: x.shape, dtype: x.dtype },
    MeanOut: { shape: mean.shape, dtype: mean.dtype },
    VarianceOut: { shape: variance.shape, dtype: variance.dtype },
    SavedMean: { shape: [c], dtype: mean.dtype },
    SavedVariance: { shape: [c], dtype: mean.dtype },
  };
}

function bnGradMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'batch_norm_grad';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { c } = bnDims(op, x.shape, attrs);
  const what = 'one value per channel';
  requireVector(op, 'Scale', one(inputs, 'Scale'), c, what);
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), c, what);
  requireSame(op, 'Y@GRAD', one(inputs, 'Y@GRAD'), x.shape, "X's shape");
  if (bnUsesGlobalStats(attrs)) {
    const m = maybe(inputs, 'Mean');
    const v = maybe(inputs, 'Variance');
    if (!m || !v) throw new OpError(op, 'inputs Mean and Variance are required when the global statistics are used');
    requireVector(op, 'Mean', m, c, what);
    requireVector(op, 'Variance', v, c, what);
  } else {
    requireVector(op, 'SavedMean', one(inputs, 'SavedMean'), c, what);
    requireVector(op, 'SavedVariance', one(inputs, 'SavedVariance'), c, what);
  }
  const scale = one(inputs, 'Scale');
  return {
    'X@GRAD': { shape: x.shape, dtype: x.dtype },
    'Scale@GRAD': { shape: [c], dtype: scale.dtype },
    'Bias@GRAD': { shape: [c], dtype: scale.dtype },
  };
}

function lnMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'layer_norm';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { left, right } = lnDims(op, x.shape, attrs);
  const what = `the product of X's dimensions from begin_norm_axis`;
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), right, what);
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), right, what);
  const sd = statDType(x.dtype);
  return { Y: { shape: x.shape, dtype: x.dtype }, Mean: { shape: [left], dtype: sd }, Variance: { shape: [left], dtype: sd } };
}

function lnGradMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'layer_norm_grad';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { left, right } = lnDims(op, x.shape, attrs);
  const what = `the product of X's dimensions from begin_norm_axis`;
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), right, what);
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), right, what);
  requireVector(op, 'Mean', one(inputs, 'Mean'), left, 'one value per row');
  requireVector(op, 'Variance', one(inputs, 'Variance'), left, 'one value per row');
  requireSame(op, 'Y@GRAD', one(inputs, 'Y@GRAD'), x.shape, "X's shape");
  const pd = maybe(inputs, 'Scale')?.dtype ?? statDType(x.dtype);
  return {
    'X@GRAD': { shape: x.shape, dtype: x.dtype },
    'Scale@GRAD': { shape: [right], dtype: pd },
    'Bias@GRAD': { shape: [right], dtype: pd },
  };
}

function gnMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'group_norm';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { n, c, groups } = gnDims(op, x.shape, attrs);
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), c, 'one value per channel');
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), c, 'one value per channel');
  const sd = statDType(x.dtype);
  return { Y: { shape: x.shape, dtype: x.dtype }, Mean: { shape: [n, groups], dtype: sd }, Variance: { shape: [n, groups], dtype: sd } };
}

function gnGradMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'group_norm_grad';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { n, c, groups } = gnDims(op, x.shape, attrs);
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), c, 'one value per channel');
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), c, 'one value per channel');
  requireSame(op, 'Mean', one(inputs, 'Mean'), [n, groups], 'one value per sample and group');
  requireSame(op, 'Variance', one(inputs, 'Variance'), [n, groups], 'one value per sample and group');
  requireSame(op, 'Y@GRAD', one(inputs, 'Y@GRAD'), x.shape, "X's shape");
  const pd = maybe(inputs, 'Scale')?.dtype ?? statDType(x.dtype);
  return {
    'X@GRAD': { shape: x.shape, dtype: x.dtype },
    'Scale@GRAD': { shape: [c], dtype: pd },
    'Bias@GRAD': { shape: [c], dtype: pd },
  };
}

function inMeta(inputs: SlotMap<TensorMeta>): SlotMap<TensorMeta> {
  const op = 'instance_norm';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { n, c } = inDims(op, x.shape);
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), c, 'one value per channel');
  requireVector(op, 'Bias', maybe(inputs, 'Bias'), c, 'one value per channel');
  const sd = statDType(x.dtype);
  return { Y: { shape: x.shape, dtype: x.dtype }, SavedMean: { shape: [n * c], dtype: sd }, SavedVariance: { shape: [n * c], dtype: sd } };
}

function inGradMeta(inputs: SlotMap<TensorMeta>): SlotMap<TensorMeta> {
  const op = 'instance_norm_grad';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  const { n, c } = inDims(op, x.shape);
  requireVector(op, 'Scale', maybe(inputs, 'Scale'), c, 'one value per channel');
  requireVector(op, 'SavedMean', one(inputs, 'SavedMean'), n * c, 'one value per sample and channel');
  requireVector(op, 'SavedVariance', one(inputs, 'SavedVariance'), n * c, 'one value per sample and channel');
  requireSame(op, 'Y@GRAD', one(inputs, 'Y@GRAD'), x.shape, "X's shape");
  const pd = maybe(inputs, 'Scale')?.dtype ?? statDType(x.dtype);
  return {
    'X@GRAD': { shape: x.shape, dtype: x.dtype },
    'Scale@GRAD': { shape: [c], dtype: pd },
    'Bias@GRAD': { shape: [c], dtype: pd },
  };
}

/** Maps a `_grad` op's X@GRAD / Scale@GRAD / Bias@GRAD back to the forward input slots. */
function affineGrads(c: GradContext, r: SlotMap<Tensor>): Record<string, Tensor | null> {
  return {
    X: c.needs('X') ? (r['X@GRAD'] as Tensor) : null,
    Scale: c.needs('Scale') ? (r['Scale@GRAD'] as Tensor) : null,
    Bias: c.needs('Bias') ? (r['Bias@GRAD'] as Tensor) : null,
  };
}

export const specs: OpSpec[] = [
  {
    type: 'batch_norm',
    inputs: [
      { name: 'X' },
      { name: 'Scale' },
      { name: 'Bias' },
      { name: 'Mean', noGrad: true },
      { name: 'Variance', noGrad: true },
      { name: 'MomentumTensor', optional: true, noGrad: true },
    ],
    outputs: [
      { name: 'Y' },
      { name: 'MeanOut' },
      { name: 'VarianceOut' },
      { name: 'SavedMean' },
      { name: 'SavedVariance' },
      { name: 'ReserveSpace', optional: true },
    ],
    attrs: BN_ATTRS,
    inplace: { MeanOut: 'Mean', VarianceOut: 'Variance' },
    inferMeta: bnMeta,
    grad: (c) => {
      const dy = c.outGrads.Y as Tensor | null;
      if (!dy) return {};
      const global = bnUsesGlobalStats(c.attrs);
      const r = runAll(
        'batch_norm_grad',
        {
          X: c.inputs.X as Tensor,
          Scale: c.inputs.Scale as Tensor,
          Bias: c.inputs.Bias as Tensor,
          SavedMean: c.outputs.SavedMean as Tensor,
          SavedVariance: c.outputs.SavedVariance as Tensor,
          Mean: global ? (c.inputs.Mean as Tensor) : undefined,
          Variance: global ? (c.inputs.Variance as Tensor) : undefined,
          'Y@GRAD': dy,
        },
        c.attrs,
      );
      return affineGrads(c, r);
    },
  },
  {
    type: 'batch_norm_grad',
    inputs: [
      { name: 'X' },
      { name: 'Scale' },
      { name: 'Bias', optional: true },
      { name: 'SavedMean' },
      { name: 'SavedVariance' },
      { name: 'Mean', optional: true },
      { name: 'Variance', optional: true },
      { name: 'Y@GRAD' },
    ],
    outputs: [{ name: 'X@GRAD' }, { name: 'Scale@GRAD' }, { name: 'Bias@GRAD' }],
    attrs: BN_ATTRS,
    inferMeta: bnGradMeta,
  },
  {
    type: 'layer_norm',
    inputs: [{ name: 'X' }, { name: 'Scale', optional: true }, { name: 'Bias', optional: true }],
    outputs: [{ name: 'Y' }, { name: 'Mean' }, { name: 'Variance' }],
    attrs: { epsilon: 1e-5, begin_norm_axis: 1 },
    inferMeta: lnMeta,
    grad: (c) => {
      const dy = c.outGrads.Y as Tensor | null;
      if (!dy) return {};
      const r = runAll(
        'layer_norm_grad',
        {
          X: c.inputs.X as Tensor,
          Scale: c.inputs.Scale as Tensor | undefined,
          Bias: c.inputs.Bias as Tensor | undefined,
          Mean: c.outputs.Mean as Tensor,
          Variance: c.outputs.Variance as Tensor,
          'Y@GRAD': dy,
        },
        c.attrs,
      );
      return affineGrads(c, r);
    },
  },
  {
    type: 'layer_norm_grad',
    inputs: [
      { name: 'X' },
      { name: 'Scale', optional: true },
      { name: 'Bias', optional: true },
      { name: 'Mean' },
      { name: 'Variance' },
      { name: 'Y@GRAD' },
    ],
    outputs: [{ name: 'X@GRAD' }, { name: 'Scale@GRAD' }, { name: 'Bias@GRAD' }],
    attrs: { epsilon: 1e-5, begin_norm_axis: 1 },
    inferMeta: lnGradMeta,
  },
  {
    type: 'group_norm',
    inputs: [{ name: 'X' }, { name: 'Scale', optional: true }, { name: 'Bias', optional: true }],
    outputs: [{ name: 'Y' }, { name: 'Mean' }, { name: 'Variance' }],
    attrs: { epsilon: 1e-5, groups: 1, data_layout: 'NCHW' },
    inferMeta: gnMeta,
    grad: (c) => {
      const dy = c.outGrads.Y as Tensor | null;
      if (!dy) return {};
      const r = runAll(
        'group_norm_grad',
        {
          X: c.inputs.X as Tensor,
          Scale: c.inputs.Scale as Tensor | undefined,
          Bias: c.inputs.Bias as Tensor | undefined,
          Mean: c.outputs.Mean as Tensor,
          Variance: c.outputs.Variance as Tensor,
          'Y@GRAD': dy,
        },
        c.attrs,
      );
      return affineGrads(c, r);
    },
  },
  {
    type: 'group_norm_grad',
    // Paddle's maker also passes Y (its kernel rebuilds x̂ from Y); this kernel reads X instead.
    inputs: [
      { name: 'X' },
      { name: 'Scale', optional: true },
      { name: 'Bias', optional: true },
      { name: 'Y', optional: true },
      { name: 'Mean' },
      { name: 'Variance' },
      { name: 'Y@GRAD' },
    ],
    outputs: [{ name: 'X@GRAD' }, { name: 'Scale@GRAD' }, { name: 'Bias@GRAD' }],
    attrs: { epsilon: 1e-5, groups: 1, data_layout: 'NCHW' },
    inferMeta: gnGradMeta,
  },
  {
    type: 'instance_norm',
    inputs: [{ name: 'X' }, { name: 'Scale', optional: true }, { name: 'Bias', optional: true }],
    outputs: [{ name: 'Y' }, { name: 'SavedMean' }, { name: 'SavedVariance' }],
    attrs: { epsilon: 1e-5 },
    inferMeta: inMeta,
    grad: (c) => {
      const dy = c.outGrads.Y as Tensor | null;
      if (!dy) return {};
      const r = runAll(
        'instance_norm_grad',
        {
          X: c.inputs.X as Tensor,
          Scale: c.inputs.Scale as Tensor | undefined,
          SavedMean: c.outputs.SavedMean as Tensor,
          SavedVariance: c.outputs.SavedVariance as Tensor,
          'Y@GRAD': dy,
        },
        c.attrs,
      );
      return affineGrads(c, r);
    },
  },
  {
    type: 'instance_norm_grad',
    inputs: [{ name: 'X' }, { name: 'Scale', optional: true }, { name: 'SavedMean' }, { name: 'SavedVariance' }, { name: 'Y@GRAD' }],
    outputs: [{ name: 'X@GRAD' }, { name: 'Scale@GRAD' }, { name: 'Bias@GRAD' }],
    attrs: { epsilon: 1e-5 },
    inferMeta: inGradMeta,
  },
];
