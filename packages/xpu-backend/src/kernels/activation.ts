/**
 * Unary operators on xpu, one flat kernel each: the activations (relu, relu6, leaky_relu, sigmoid,
 * tanh, gelu, swish, silu, hard_swish, hard_sigmoid), the elementwise math (exp, log, sqrt, rsqrt,
 * abs, square) and scale. Each has its attributes as kernel arguments p and q. dropout runs in its
 * inference form: the identity (upscale_in_train; the output shares X's buffer) or a scale by the
 * keep probability (downgrade_in_infer).
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';

interface Unary {
  /** C expression of v with parameters p, q. */
  expr: string;
  /** p and q from the attributes. */
  params?: (attrs: Record<string, unknown>) => [number, number];
}

const num = (a: Record<string, unknown>, k: string): number => plans.floatAttr(a as never, k);

const UNARY: Record<string, Unary> = {
  relu: { expr: 'act(1, v, p)' },
  relu6: { expr: 'act(3, v, p)', params: (a) => [num(a, 'threshold'), 0] },
  leaky_relu: { expr: 'act(2, v, p)', params: (a) => [num(a, 'alpha'), 0] },
  sigmoid: { expr: 'act(6, v, p)' },
  tanh: { expr: 'act(7, v, p)' },
  gelu: { expr: 'q != (T)0 ? act(9, v, p) : act(8, v, p)', params: (a) => [0, a.approximate ? 1 : 0] },
  swish: { expr: 'act(4, v, p)', params: (a) => [num(a, 'beta'), 0] },
  silu: { expr: 'act(4, v, (T)1)' },
  // Paddle's general hard_swish: x · min(max(x + offset, 0), threshold) / scale; p = threshold, q = offset (scale below).
  hard_swish: { expr: 'v * fmin(fmax(v + q, (T)0), p) / s', params: (a) => [num(a, 'threshold'), num(a, 'offset')] },
  hard_sigmoid: { expr: 'fmin(fmax(v * p + q, (T)0), (T)1)', params: (a) => [num(a, 'slope'), num(a, 'offset')] },
  exp: { expr: 'exp(v)' },
  log: { expr: 'log(v)' },
  sqrt: { expr: 'sqrt(v)' },
  rsqrt: { expr: '(T)1 / sqrt(v)' },
  abs: { expr: 'fabs(v)' },
  square: { expr: 'v * v' },
  // p = scale, q = bias already multiplied by the scale when the bias comes first.
  scale: { expr: 'v * p + q', params: (a) => [num(a, 'scale'), a.bias_after_scale === false ? num(a, 'scale') * num(a, 'bias') : num(a, 'bias')] },
};

export function cudaSource(t: string): string {
  const fns = Object.entries(UNARY).map(
    ([op, u]) => `extern "C" __global__ void unary_${op}(const T* x, T* out, i64 n, T p, T q, T s) { LOOP(i, n) { T v = x[i]; out[i] = ${u.expr}; } }`,
  );
  return prelude(t) + fns.join('\n');
}

function unary(op: string, u: Unary): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const t = floatType(op, x.dtype);
    if (op === 'scale' && inputs.ScaleTensor) {
      throw new Error('scale on xpu: a ScaleTensor input is not supported yet; give the factor as the scale attribute');
    }
    const c = ctx.backend.compute();
    const mod = c.module(`unary_${x.dtype}`, () => cudaSource(t));
    const [p, q] = u.params?.(ctx.attrs) ?? [op === 'relu6' ? 6 : 0, 0];
    const s = op === 'hard_swish' ? plans.floatAttr(ctx.attrs, 'scale') : 1;
    const out = ctx.backend.empty(m.dtype, x.size);
    const f = t === 'float' ? 'f' : 'd';
    c.launcher.launch1d(mod.fn(`unary_${op}`), x.size, `ppl${f}${f}${f}`, [ptrOf(x), out.ptr, x.size, p, q, s]);
    return { Out: out };
  };
}

const scaleKernel = unary('scale', UNARY.scale!);

const dropout: KernelFn<Backend> = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  if (!plans.boolAttr(ctx.attrs, 'is_test')) {
    throw new OpError('dropout', 'on xpu only the inference form runs yet (is_test); training needs the CPU');
  }
  if (plans.strAttr(ctx.attrs, 'dropout_implementation') === 'upscale_in_train') return { Out: x._storage.buffer };
  return scaleKernel(inputs, { ...ctx, attrs: { scale: 1 - plans.floatAttr(ctx.attrs, 'dropout_prob'), bias: 0, bias_after_scale: true } });
};

export const kernels: Record<string, KernelFn<Backend>> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, u]) => [op, unary(op, u)])),
  dropout,
};
