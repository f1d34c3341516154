/**
 * softmax on xpu along any axis. Contiguous rows (the axis is the last non-trivial one) of up to
 * 1024 take one warp each, reducing with shuffles (attention rows: 8 rows a block); longer rows
 * take one block each, reducing in shared memory; otherwise one thread walks the axis for each
 * (outer, inner) position. The maximum is subtracted first, as on the CPU.
 */
import { plans, type KernelFn, type Tensor } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';

const THREADS = 256;
/** Longest row a warp takes; rows per block of the warp kernel. */
const WARP_ROW_MAX = 1024;
const WARP_ROWS = THREADS / 32;

export function cudaSource(t: string): string {
  return `${prelude(t)}
extern "C" __global__ void softmax_rows(const T* x, T* out, int n) {
  __shared__ T red[${THREADS}];
  const T* xr = x + (i64)blockIdx.x * n;
  T* yr = out + (i64)blockIdx.x * n;
  T m = xr[0];
  for (int j = threadIdx.x; j < n; j += (int)blockDim.x) m = xr[j] > m ? xr[j] : m;
  red[threadIdx.x] = m;
  __syncthreads();
  for (int s = (int)blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s && red[threadIdx.x + s] > red[threadIdx.x]) red[threadIdx.x] = red[threadIdx.x + s];
    __syncthreads();
  }
  m = red[0];
  __syncthreads();
  T sum = 0;
  for (int j = threadIdx.x; j < n; j += (int)blockDim.x) { T e = exp(xr[j] - m); yr[j] = e; sum += e; }
  red[threadIdx.x] = sum;
  __syncthreads();
  for (int s = (int)blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
    __syncthreads();
  }
  T inv = (T)1 / red[0];
  for (int j = threadIdx.x; j < n; j += (int)blockDim.x) yr[j] *= inv;
}
extern "C" __global__ void softmax_warp(const T* x, T* out, i64 rows, int n) {
  i64 row = (i64)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* xr = x + row * n;
  T* yr = out + row * n;
  T m = xr[0];
  for (int j = lane; j < n; j += 32) m = xr[j] > m ? xr[j] : m;
  for (int o = 16; o > 0; o >>= 1) { T v = __shfl_xor_sync(0xffffffffu, m, o); m = v > m ? v : m; }
  T sum = 0;
  for (int j = lane; j < n; j += 32) { T e = exp(xr[j] - m); yr[j] = e; sum += e; }
  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  T inv = (T)1 / sum;
  for (int j = lane; j < n; j += 32) yr[j] *= inv;
}
extern "C" __global__ void softmax_strided(const T* x, T* out, i64 outer, int n, i64 inner) {
  LOOP(p, outer * inner) {
    i64 base = (p / inner) * n * inner + p % inner;
    T m = x[base];
    for (int j = 1; j < n; ++j) { T v = x[base + j * inner]; m = v > m ? v : m; }
    T sum = 0;
    for (int j = 0; j < n; ++j) { T e = exp(x[base + j * inner] - m); out[base + j * inner] = e; sum += e; }
    T inv = (T)1 / sum;
    for (int j = 0; j < n; ++j) out[base + j * inner] *= inv;
  }
}`;
}

export const kernels: Record<string, KernelFn<Backend>> = {
  softmax: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const t = floatType('softmax', x.dtype);
    const shape = x.shape;
    const axis = plans.softmaxAxis('softmax', shape, ctx.attrs);
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const n = shape[axis] ?? 1;
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = ctx.backend.empty(x.dtype, x.size);
    if (x.size === 0) return { Out: out };
    const c = ctx.backend.compute();
    const mod = c.module(`softmax_${x.dtype}`, () => cudaSource(t));
    if (inner === 1 && n <= WARP_ROW_MAX) {
      c.launcher.launch(mod.fn('softmax_warp'), [Math.ceil(outer / WARP_ROWS), 1, 1], [THREADS, 1, 1], 0, 'ppli', [ptrOf(x), out.ptr, outer, n]);
    } else if (inner === 1) c.launcher.launch(mod.fn('softmax_rows'), [outer, 1, 1], [THREADS, 1, 1], 0, 'ppi', [ptrOf(x), out.ptr, n]);
    else c.launcher.launch1d(mod.fn('softmax_strided'), outer * inner, 'pplil', [ptrOf(x), out.ptr, outer, n, inner]);
    return { Out: out };
  },
};
