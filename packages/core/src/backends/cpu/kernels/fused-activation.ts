/**
 * The activations fused operators apply after their product (conv2d's fuse_activation, fc's
 * activation_type): as a oneDNN eltwise post-op, and element by element for the fallbacks.
 */
import { ALG_ELTWISE_CLIP, ALG_ELTWISE_GELU_ERF, ALG_ELTWISE_GELU_TANH, ALG_ELTWISE_HARDSWISH, ALG_ELTWISE_LOGISTIC, ALG_ELTWISE_RELU, ALG_ELTWISE_SWISH, ALG_ELTWISE_TANH } from '../dnnl/lib';
import { erf } from './unary';

export type FusedActivation = 'relu' | 'leaky_relu' | 'relu6' | 'swish' | 'hard_swish' | 'sigmoid' | 'tanh' | 'gelu_erf' | 'gelu_tanh';

/** A oneDNN eltwise post-op. */
export interface EltwisePostOp {
  alg: number;
  alpha: number;
  beta: number;
}

/** `alpha`: leaky_relu's slope, relu6's upper bound, swish's beta (unused by the others). */
export function dnnlActivation(act: FusedActivation, alpha: number): EltwisePostOp {
  switch (act) {
    case 'relu':
      return { alg: ALG_ELTWISE_RELU, alpha: 0, beta: 0 };
    case 'leaky_relu':
      return { alg: ALG_ELTWISE_RELU, alpha, beta: 0 };
    case 'relu6':
      return { alg: ALG_ELTWISE_CLIP, alpha: 0, beta: alpha };
    case 'swish':
      return { alg: ALG_ELTWISE_SWISH, alpha, beta: 0 };
    case 'hard_swish': // x·clamp(x/6 + 1/2, 0, 1)
      return { alg: ALG_ELTWISE_HARDSWISH, alpha: 1 / 6, beta: 0.5 };
    case 'sigmoid':
      return { alg: ALG_ELTWISE_LOGISTIC, alpha: 0, beta: 0 };
    case 'tanh':
      return { alg: ALG_ELTWISE_TANH, alpha: 0, beta: 0 };
    case 'gelu_erf':
      return { alg: ALG_ELTWISE_GELU_ERF, alpha: 0, beta: 0 };
    case 'gelu_tanh':
      return { alg: ALG_ELTWISE_GELU_TANH, alpha: 0, beta: 0 };
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function activate(v: number, act: FusedActivation, alpha: number): number {
  switch (act) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'leaky_relu':
      return v > 0 ? v : alpha * v;
    case 'relu6':
      return Math.min(Math.max(v, 0), alpha);
    case 'swish':
      return v / (1 + Math.exp(-alpha * v));
    case 'hard_swish':
      return (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    case 'gelu_erf':
      return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
  }
}
