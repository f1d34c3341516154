/** Normalization (Paddle 2.0's `paddle.nn.functional.batch_norm`, `layer_norm`, `instance_norm`; group_norm). */
import { engine } from '../engine/engine';
import type { Tensor } from '../tensor/tensor';
import { full } from './creation';
import { run1 } from './run';

export interface BatchNormOptions {
  /** Use the batch statistics and update the running ones in place; default false. */
  training?: boolean;
  /** running = momentum·running + (1−momentum)·batch; default 0.9. */
  momentum?: number;
  epsilon?: number;
  /** 'NC', 'NCL', 'NCHW', 'NCDHW' (channels second) or 'NLC', 'NHWC', 'NDHWC' (channels last). */
  dataFormat?: 'NC' | 'NCL' | 'NCHW' | 'NCDHW' | 'NLC' | 'NHWC' | 'NDHWC';
  /** Normalize with the running statistics even when training (default: !training). */
  useGlobalStats?: boolean;
}

const BN_FORMATS = ['NC', 'NCL', 'NCHW', 'NCDHW', 'NLC', 'NHWC', 'NDHWC'];

/** ones/zeros standing in for an absent weight or bias. */
function constantParam(x: Tensor, n: number, v: number): Tensor {
  return full([n], v, { dtype: x.dtype === 'float64' ? 'float64' : 'float32', place: x.device });
}

/**
 * Batch normalization. With `training` the batch mean and (biased) variance normalize x and
 * `runningMean` / `runningVar` are updated in place; otherwise the running statistics are used.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  const training = opts.training ?? false;
  const fmt = opts.dataFormat ?? 'NCHW';
  if (!BN_FORMATS.includes(fmt)) throw new TypeError(`batch_norm: dataFormat must be one of ${BN_FORMATS.join(', ')}, got "${fmt}"`);
  if (x.ndim < 2) throw new TypeError(`batch_norm: x must have rank >= 2, got shape [${x.shape.join(', ')}]`);
  const layout = fmt[1] === 'C' ? 'NCHW' : 'NHWC';
  // Paddle 2.0: without an explicit choice the running statistics are used exactly when not training.
  const useGlobalStats = opts.useGlobalStats ?? !training;
  const trainableStatistics = opts.useGlobalStats === undefined ? false : !opts.useGlobalStats;
  const c = layout === 'NCHW' ? x.shape[1]! : x.shape[x.ndim - 1]!;
  // The operator updates Mean/Variance in place and bumps their version. Passing views (same
  // storage) keeps the module buffers' own versions unchanged, so a network that applies one
  // batch-norm layer twice before backward (siamese towers) does not trip autograd's check
  // that a saved input was modified in place.
  const meanView = engine.view(runningMean, runningMean.shape);
  const varView = engine.view(runningVar, runningVar.shape);
  const y = run1(
    'batch_norm',
    {
      X: x,
      Scale: weight ?? constantParam(x, c, 1),
      Bias: bias ?? constantParam(x, c, 0),
      Mean: meanView,
      Variance: varView,
    },
    {
      is_test: !training,
      momentum: opts.momentum ?? 0.9,
      epsilon: opts.epsilon ?? 1e-5,
      data_layout: layout,
      use_global_stats: useGlobalStats,
      trainable_statistics: trainableStatistics,
    },
    'Y',
  );
  // A backend that could not write in place gave the views new storage: the buffers adopt it.
  if (meanView._storage !== runningMean._storage) engine.assignInPlace(runningMean, engine.view(meanView, meanView.shape));
  if (varView._storage !== runningVar._storage) engine.assignInPlace(runningVar, engine.view(varView, varView.shape));
  return y;
}

/** Flattens a multi-dimensional layer_norm weight/bias to the 1-D vector the operator takes. */
function flat(t: Tensor | null | undefined): Tensor | undefined {
  if (!t) return undefined;
  return t.ndim === 1 ? t : run1('reshape2', { X: t }, { shape: [t.size] });
}

/** Layer normalization over the trailing dimensions given by `normalizedShape`. */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  epsilon = 1e-5,
): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  const tail = x.shape.slice(Math.max(x.ndim - ns.length, 0));
  if (ns.length === 0 || ns.length > x.ndim || tail.some((d, i) => d !== ns[i])) {
    throw new TypeError(`layer_norm: normalizedShape [${ns.join(', ')}] must match the trailing dimensions of x [${x.shape.join(', ')}]`);
  }
  // The operator keeps at least one leading dimension (begin_norm_axis >= 1): normalizing
  // everything runs on a [1, ...] view.
  const whole = ns.length === x.ndim;
  const xin = whole ? run1('reshape2', { X: x }, { shape: [1, ...x.shape] }) : x;
  const y = run1(
    'layer_norm',
    { X: xin, Scale: flat(weight), Bias: flat(bias) },
    { epsilon, begin_norm_axis: xin.ndim - ns.length },
    'Y',
  );
  return whole ? run1('reshape2', { X: y }, { shape: [...x.shape] }) : y;
}

export interface GroupNormOptions {
  epsilon?: number;
  dataFormat?: 'NCHW' | 'NHWC';
}

/** Group normalization: channels split into `numGroups` groups, each normalized per sample. */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: GroupNormOptions = {},
): Tensor {
  return run1(
    'group_norm',
    { X: x, Scale: weight ?? undefined, Bias: bias ?? undefined },
    { epsilon: opts.epsilon ?? 1e-5, groups: numGroups, data_layout: opts.dataFormat ?? 'NCHW' },
    'Y',
  );
}

export interface InstanceNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** Instance normalization: each (sample, channel) plane normalized on its own (NCHW layouts). */
export function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  return run1(
    'instance_norm',
    { X: x, Scale: opts.weight ?? undefined, Bias: opts.bias ?? undefined },
    { epsilon: opts.eps ?? 1e-5 },
    'Y',
  );
}
