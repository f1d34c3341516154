/**
 * batch_norm on xpu in its inference form (is_test or use_global_stats): per-channel
 * y = (x − mean)·scale/√(var + ε) + bias, NCHW (channel axis 1) or NHWC (last axis). MeanOut and
 * VarianceOut are the running statistics themselves; SavedMean/SavedVariance hold the mean and
 * 1/√(var + ε), as Paddle's inference kernel leaves them.
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';

export function cudaSource(t: string): string {
  return `${prelude(t)}
extern "C" __global__ void bn_infer(const T* x, const T* scale, const T* bias, const T* mean, const T* var, T* y, i64 n, int channels, i64 inner, T eps) {
  LOOP(i, n) { int c = (i / inner) % channels; y[i] = (x[i] - mean[c]) * (scale[c] / sqrt(var[c] + eps)) + bias[c]; }
}
extern "C" __global__ void bn_saved(const T* mean, const T* var, T* smean, T* svar, i64 channels, T eps) {
  LOOP(c, channels) { smean[c] = mean[c]; svar[c] = (T)1 / sqrt(var[c] + eps); }
}`;
}

export const kernels: Record<string, KernelFn<Backend>> = {
  batch_norm: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    if (!plans.bnUsesGlobalStats(ctx.attrs)) {
      throw new OpError('batch_norm', 'on xpu only the inference form runs yet (is_test or use_global_stats); training statistics need the CPU');
    }
    const t = floatType('batch_norm', x.dtype);
    for (const s of ['Scale', 'Bias', 'Mean', 'Variance']) {
      if ((inputs[s] as Tensor).dtype !== x.dtype) throw new OpError('batch_norm', `on xpu ${s} must have X's dtype ${x.dtype}, got ${(inputs[s] as Tensor).dtype}`);
    }
    const nhwc = plans.strAttr(ctx.attrs, 'data_layout') === 'NHWC' && x.shape.length > 2;
    const channels = nhwc ? x.shape[x.shape.length - 1]! : x.shape[1]!;
    const inner = nhwc ? 1 : x.shape.slice(2).reduce((a, b) => a * b, 1);
    const meta = ctx.meta as Record<string, TensorMeta>;
    const c = ctx.backend.compute();
    const mod = c.module(`batch_norm_${x.dtype}`, cudaSource(t));
    const eps = plans.floatAttr(ctx.attrs, 'epsilon');
    const f = t === 'float' ? 'f' : 'd';
    const y = ctx.backend.empty(meta.Y!.dtype, x.size);
    const mean = inputs.Mean as Tensor;
    const variance = inputs.Variance as Tensor;
    c.launcher.launch1d(mod.fn('bn_infer'), x.size, `pppppplil${f}`, [
      ptrOf(x),
      ptrOf(inputs.Scale as Tensor),
      ptrOf(inputs.Bias as Tensor),
      ptrOf(mean),
      ptrOf(variance),
      y.ptr,
      x.size,
      channels,
      inner,
      eps,
    ]);
    const savedMean = ctx.backend.empty(meta.SavedMean!.dtype, channels);
    const savedVar = ctx.backend.empty(meta.SavedVariance!.dtype, channels);
    c.launcher.launch1d(mod.fn('bn_saved'), channels, `ppppl${f}`, [ptrOf(mean), ptrOf(variance), savedMean.ptr, savedVar.ptr, channels, eps]);
    return { Y: y, MeanOut: mean._storage.buffer, VarianceOut: variance._storage.buffer, SavedMean: savedMean, SavedVariance: savedVar };
  },
};
