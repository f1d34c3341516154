/**
 * layer_norm on xpu: one block per row of the dimensions from begin_norm_axis, mean and then the
 * biased variance reduced in shared memory (two passes over the row, as the CPU's float64 sums are
 * close to), Scale and Bias optional.
 *
 * batch_norm on xpu in its inference form (is_test or use_global_stats): per-channel
 * y = (x − mean)·scale/√(var + ε) + bias, NCHW (channel axis 1) or NHWC (last axis). MeanOut and
 * VarianceOut are the running statistics themselves; SavedMean/SavedVariance hold the mean and
 * 1/√(var + ε), as Paddle's inference kernel leaves them.
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';

/** Threads per layer_norm row (a power of two, for the tree reduction), fewer for short rows. */
const LN_THREADS = 256;
const lnThreads = (d: number): number => Math.min(LN_THREADS, Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(d, 1)))));

export function cudaSource(t: string): string {
  return `${prelude(t)}
extern "C" __global__ void bn_infer(const T* x, const T* scale, const T* bias, const T* mean, const T* var, T* y, i64 n, int channels, i64 inner, T eps) {
  LOOP(i, n) { int c = (i / inner) % channels; y[i] = (x[i] - mean[c]) * (scale[c] / sqrt(var[c] + eps)) + bias[c]; }
}
__device__ T block_sum(T v, T* red) {
  red[threadIdx.x] = v;
  __syncthreads();
  for (int s = (int)blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
    __syncthreads();
  }
  T r = red[0];
  __syncthreads();
  return r;
}
extern "C" __global__ void layer_norm(const T* x, const T* scale, const T* bias, T* y, T* mean, T* var, i64 d, T eps) {
  __shared__ T red[${LN_THREADS}];
  const T* xr = x + (i64)blockIdx.x * d;
  T* yr = y + (i64)blockIdx.x * d;
  T s = 0;
  for (i64 j = threadIdx.x; j < d; j += blockDim.x) s += xr[j];
  T mu = block_sum(s, red) / (T)d;
  T s2 = 0;
  for (i64 j = threadIdx.x; j < d; j += blockDim.x) { T c = xr[j] - mu; s2 += c * c; }
  T v = block_sum(s2, red) / (T)d;
  T inv = (T)1 / sqrt(v + eps);
  for (i64 j = threadIdx.x; j < d; j += blockDim.x) {
    T o = (xr[j] - mu) * inv;
    if (scale) o *= scale[j];
    if (bias) o += bias[j];
    yr[j] = o;
  }
  if (threadIdx.x == 0) { mean[blockIdx.x] = mu; var[blockIdx.x] = v; }
}
extern "C" __global__ void bn_saved(const T* mean, const T* var, T* smean, T* svar, i64 channels, T eps) {
  LOOP(c, channels) { smean[c] = mean[c]; svar[c] = (T)1 / sqrt(var[c] + eps); }
}`;
}

export const kernels: Record<string, KernelFn<Backend>> = {
  layer_norm: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const t = floatType('layer_norm', x.dtype);
    const { left, right } = plans.lnDims('layer_norm', x.shape, ctx.attrs);
    const affine = (slot: string): bigint => {
      const p = inputs[slot] as Tensor | undefined;
      if (!p) return 0n;
      if (p.dtype !== x.dtype) throw new OpError('layer_norm', `on xpu ${slot} must have X's dtype ${x.dtype}, got ${p.dtype}`);
      return ptrOf(p);
    };
    const meta = ctx.meta as Record<string, TensorMeta>;
    const y = ctx.backend.empty(x.dtype, x.size);
    const mean = ctx.backend.empty(meta.Mean!.dtype, left);
    const variance = ctx.backend.empty(meta.Variance!.dtype, left);
    if (x.size > 0) {
      const c = ctx.backend.compute();
      const mod = c.module(`norm_${x.dtype}`, () => cudaSource(t));
      const eps = plans.floatAttr(ctx.attrs, 'epsilon');
      c.launcher.launch(mod.fn('layer_norm'), [left, 1, 1], [lnThreads(right), 1, 1], 0, `ppppppl${t === 'float' ? 'f' : 'd'}`, [
        ptrOf(x),
        affine('Scale'),
        affine('Bias'),
        y.ptr,
        mean.ptr,
        variance.ptr,
        right,
        eps,
      ]);
    }
    return { Y: y, Mean: mean, Variance: variance };
  },
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
    const mod = c.module(`norm_${x.dtype}`, () => cudaSource(t));
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
