/**
 * Functional forms that Paddle exposes under `paddle.nn.functional` but that are compositions
 * of other operators rather than operators of their own (`linear`, ...).
 */
import { engine } from '../engine/engine';
import { getKernel } from '../kernels/registry';
import * as A from '../ops/activation';
import { matmul } from '../ops/linalg';
import { full } from '../ops/creation';
import { add, divide, maximum, multiply, sum } from '../ops/math';
import { abs, powScalar, sqrt } from '../ops/unary';
import { pad } from '../ops/pad';
import { dropout } from '../ops/random';
import { run1 } from '../ops/run';
import { fmtShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

/**
 * x·weight + bias, weight [in, out] (Paddle's `F.linear`: matmul_v2 then elementwise_add). Without
 * autograd (inference) it is one `fc` where the device has that kernel (the CPU runs it as one
 * oneDNN inner product); while a program is traced (jit.save) it stays Paddle's two operators.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const fcFits = x.ndim >= 2 && weight.ndim === 2 && x.dtype === weight.dtype && (!bias || (bias.ndim === 1 && bias.dtype === x.dtype && bias.shape[0] === weight.shape[1]));
  if (fcFits && !engine.isGradEnabled() && !engine.hasOpListeners() && getKernel(engine.backend(x.device).kind, 'fc')) {
    return run1('fc', bias ? { Input: x, W: weight, Bias: bias } : { Input: x, W: weight }, { in_num_col_dims: x.ndim - 1 });
  }
  const y = matmul(x, weight);
  // Intermediates are left to tidy: disposing one would cut it from the autograd graph.
  return bias ? add(y, bias) : y;
}

/**
 * Channel dropout of a 4-D input (Paddle's `F.dropout2d`): one draw per (sample, channel),
 * shared over H and W.
 */
export function dropout2d(x: Tensor, p = 0.5, opts: { training?: boolean; dataFormat?: 'NCHW' | 'NHWC' } = {}): Tensor {
  if (x.ndim !== 4) throw new RangeError(`dropout2d: x must be 4-D, got shape ${fmtShape(x.shape)}`);
  const axis = (opts.dataFormat ?? 'NCHW') === 'NHWC' ? [0, 3] : [0, 1];
  return dropout(x, p, { axis, training: opts.training ?? true, mode: 'upscale_in_train' });
}

/** Pads H and W of a 4-D input by [left, right, top, bottom] (Paddle's `F.pad` on NCHW/NHWC). */
export function pad2dFn(
  x: Tensor,
  padding: number[],
  mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant',
  value = 0,
  dataFormat: 'NCHW' | 'NHWC' = 'NCHW',
): Tensor {
  if (x.ndim !== 4) throw new RangeError(`pad2d: x must be 4-D, got shape ${fmtShape(x.shape)}`);
  return pad(x, padding, { mode, value, dataFormat });
}

const ACTIVATIONS = {
  relu: A.relu,
  relu6: A.relu6,
  leaky_relu: (x: Tensor) => A.leakyRelu(x),
  sigmoid: A.sigmoid,
  log_sigmoid: A.logSigmoid,
  hardsigmoid: (x: Tensor) => A.hardSigmoid(x),
  hardswish: A.hardSwish,
  hardtanh: (x: Tensor) => A.hardtanh(x),
  swish: A.swish,
  silu: A.silu,
  tanh: A.tanh,
  tanhshrink: A.tanhshrink,
  softsign: A.softsign,
  gelu: (x: Tensor) => A.gelu(x),
  softplus: (x: Tensor) => A.softplus(x),
  mish: A.mish,
  elu: (x: Tensor) => A.elu(x),
  selu: (x: Tensor) => A.selu(x),
} satisfies Record<string, (x: Tensor) => Tensor>;

/** Activation names accepted where Paddle takes one by name (`act='relu'`, `activation='gelu'`). */
export type ActivationName = keyof typeof ACTIVATIONS;

/** The functional activation called `name` (Paddle's `getattr(F, name)`), with its defaults. */
export function activationByName(name: string, where: string): (x: Tensor) => Tensor {
  const f = (ACTIVATIONS as Record<string, (x: Tensor) => Tensor>)[name];
  if (!f) throw new RangeError(`${where}: unknown activation "${name}"; known: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return f;
}

/**
 * x divided by its Lp norm along `axis`, the norm clamped below at `epsilon` (Paddle's
 * `F.normalize(x, p=2, axis=1, epsilon=1e-12)`).
 */
export function normalize(x: Tensor, p = 2, axis = 1, epsilon = 1e-12): Tensor {
  if (!(p > 0)) throw new RangeError(`normalize: p must be positive, got ${p}`);
  const norm =
    p === 2
      ? sqrt(sum(multiply(x, x), axis, { keepdim: true }))
      : powScalar(sum(powScalar(abs(x), p), axis, { keepdim: true }), 1 / p);
  return divide(x, maximum(norm, full([1], epsilon, { dtype: x.dtype, place: x.device })));
}
