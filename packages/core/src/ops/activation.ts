/**
 * Activations (Paddle's `paddle.nn.functional.relu`, `gelu`, `softmax`, ...). Defaults are
 * those of Paddle's Python functions, which sometimes differ from the operator's attribute
 * defaults (leaky_relu's slope is 0.01 here, 0.02 on the op).
 */
import { SELU_ALPHA, SELU_SCALE } from '../kernels/specs/activation';
import { dtypeToPaddle, type DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { run1 } from './run';

const act = (type: string, x: Tensor, attrs: Record<string, number | boolean | string> = {}): Tensor => run1(type, { X: x }, attrs);

export const relu = (x: Tensor): Tensor => act('relu', x);
/** min(max(x, 0), 6). */
export const relu6 = (x: Tensor): Tensor => act('relu6', x, { threshold: 6 });
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => act('leaky_relu', x, { alpha: negativeSlope });
export const sigmoid = (x: Tensor): Tensor => act('sigmoid', x);
/** log(sigmoid(x)), computed without overflow. */
export const logSigmoid = (x: Tensor): Tensor => act('logsigmoid', x);
/** clip(slope · x + offset, 0, 1). */
export const hardSigmoid = (x: Tensor, slope = 0.1666667, offset = 0.5): Tensor => act('hard_sigmoid', x, { slope, offset });
/** x · clip(x + 3, 0, 6) / 6. */
export const hardSwish = (x: Tensor): Tensor => act('hard_swish', x, { threshold: 6, scale: 6, offset: 3 });
/** x · sigmoid(x). */
export const swish = (x: Tensor): Tensor => act('swish', x, { beta: 1 });
/** x · sigmoid(x). */
export const silu = (x: Tensor): Tensor => act('silu', x);
export const tanh = (x: Tensor): Tensor => act('tanh', x);
/** x · Phi(x) exactly (erf), or its tanh approximation when `approximate`. */
export const gelu = (x: Tensor, approximate = false): Tensor => act('gelu', x, { approximate });
/** log(1 + exp(beta · x)) / beta, and x itself where beta · x > threshold. */
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => act('softplus', x, { beta, threshold });
/** x · tanh(softplus(x)). */
export const mish = (x: Tensor): Tensor => act('mish', x, { threshold: 20 });
export const elu = (x: Tensor, alpha = 1): Tensor => act('elu', x, { alpha });
export const selu = (x: Tensor, scale = SELU_SCALE, alpha = SELU_ALPHA): Tensor => act('selu', x, { scale, alpha });
/** x − tanh(x). */
export const tanhshrink = (x: Tensor): Tensor => act('tanh_shrink', x);
/** x / (1 + |x|). */
export const softsign = (x: Tensor): Tensor => act('softsign', x);
/** clip(x, min, max) as an activation (Paddle's `brelu` op). */
export const hardtanh = (x: Tensor, min = -1, max = 1): Tensor => act('brelu', x, { t_min: min, t_max: max });
/** x where |x| > threshold, else 0. */
export const hardshrink = (x: Tensor, threshold = 0.5): Tensor => act('hard_shrink', x, { threshold });
/** x − threshold above threshold, x + threshold below −threshold, else 0. */
export const softshrink = (x: Tensor, threshold = 0.5): Tensor => act('softshrink', x, { lambda: threshold });
/** x where x > threshold, else 0. */
export const thresholdedRelu = (x: Tensor, threshold = 1): Tensor => act('thresholded_relu', x, { threshold });
/** scaleB · tanh(scaleA · x). */
export const stanh = (x: Tensor, scaleA = 0.67, scaleB = 1.7159): Tensor => act('stanh', x, { scale_a: scaleA, scale_b: scaleB });

/**
 * x where x > 0, weight · x elsewhere. `weight` has one element (shared by all) or one per
 * channel (dimension 1 for NCHW, the last for NHWC), or one per element of a sample.
 */
export function prelu(x: Tensor, weight: Tensor, dataFormat: 'NCHW' | 'NHWC' = 'NCHW'): Tensor {
  const c = x.ndim >= 2 ? (dataFormat === 'NHWC' ? x.shape[x.ndim - 1]! : x.shape[1]!) : -1;
  const mode = weight.size === 1 ? 'all' : weight.size === c ? 'channel' : 'element';
  return run1('prelu', { X: x, Alpha: weight }, { mode, data_format: dataFormat });
}

function castTo(x: Tensor, dtype: DType | undefined): Tensor {
  if (!dtype || dtype === x.dtype) return x;
  return run1('cast', { X: x }, { in_dtype: dtypeToPaddle(x.dtype), out_dtype: dtypeToPaddle(dtype) });
}

/** exp(x) / sum(exp(x)) along `axis`; with `dtype`, x is cast to it first (as Paddle does). */
export const softmax = (x: Tensor, axis = -1, dtype?: DType): Tensor => run1('softmax', { X: castTo(x, dtype) }, { axis });
/** log(softmax(x)) along `axis`, computed as x − logsumexp(x). */
export const logSoftmax = (x: Tensor, axis = -1, dtype?: DType): Tensor => run1('log_softmax', { X: castTo(x, dtype) }, { axis });
