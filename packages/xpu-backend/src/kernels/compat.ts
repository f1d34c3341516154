/**
 * The operators of older Paddle inference programs that core defines beside its families
 * (static/compat-ops.ts): shape, fill_constant_batch_size_like, lrn, affine_channel, and the
 * quantization-aware-training ops in their inference form (is_test), which quantize with the
 * stored scale: the kernels read that scale from device memory, so nothing waits for the device.
 * Arithmetic follows the CPU kernels step by step in the element type (round_type 0 rounds half to
 * even, 1 half away from zero).
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';
import { kernels as creation } from './creation';

export function cudaSource(t: string): string {
  return `${prelude(t)}
__device__ __forceinline__ T quant_level(T x, T s, T bin, int round_type) {
  T inv = s <= (T)1e-30 ? (T)1 / (s + (T)1e-6) : (T)1 / s;
  T f = bin * inv;
  if (round_type == 0) { T q = rint(f * x); return q > bin ? bin : (q < -bin - (T)1 ? -bin - (T)1 : q); }
  T c = x > s ? s : (x < -s ? -s : x);
  return round(f * c);
}
extern "C" __global__ void fake_quant(const T* x, const T* scale, T* out, i64 n, T bin, int round_type, int dequant) {
  LOOP(i, n) { T s = scale[0]; T q = quant_level(x[i], s, bin, round_type); out[i] = dequant ? (q * s) / bin : q; }
}
extern "C" __global__ void fake_dequant(const T* x, const T* scale, T* out, i64 n, T range) {
  LOOP(i, n) out[i] = (x[i] * scale[0]) / range;
}
extern "C" __global__ void affine_channel(const T* x, const T* scale, const T* bias, T* out, i64 n, int channels, i64 inner) {
  LOOP(i, n) { int c = (i / inner) % channels; out[i] = x[i] * scale[c] + bias[c]; }
}
extern "C" __global__ void lrn(const T* x, T* out, T* mid, i64 n, int channels, i64 cs, i64 ps, i64 hw, int half, T k, T alpha, T beta) {
  LOOP(i, n) {
    // i enumerates (batch, position, channel); the element sits at b·C·HW + c·cs + p·ps in either layout.
    int c = i % channels;
    i64 p = (i / channels) % hw, b = i / (channels * hw);
    i64 base = b * channels * hw + p * ps;
    T s = 0;
    int lo = c - half < 0 ? 0 : c - half, hi = c + half > channels - 1 ? channels - 1 : c + half;
    for (int j = lo; j <= hi; ++j) { T v = x[base + j * cs]; s += v * v; }
    i64 at = base + c * cs;
    T m = k + alpha * s;
    mid[at] = m;
    out[at] = x[at] * pow(m, -beta);
  }
}`;
}

function fakeQuant(op: string, dequant: boolean): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const scale = inputs.InScale as Tensor;
    if (!plans.boolAttr(ctx.attrs, 'is_test')) throw new OpError(op, 'on xpu only the inference form runs (is_test); training updates its scale on the CPU');
    const t = floatType(op, x.dtype);
    if (scale.dtype !== x.dtype) throw new OpError(op, `on xpu InScale must have X's dtype ${x.dtype}, got ${scale.dtype}`);
    const out = ctx.backend.empty(x.dtype, x.size);
    const c = ctx.backend.compute();
    const bin = 2 ** (plans.intAttr(ctx.attrs, 'bit_length') - 1) - 1;
    const f = t === 'float' ? 'f' : 'd';
    c.launcher.launch1d(c.module(`compat_${x.dtype}`, () => cudaSource(t)).fn('fake_quant'), x.size, `pppl${f}ii`, [
      ptrOf(x),
      ptrOf(scale),
      out.ptr,
      x.size,
      bin,
      plans.intAttr(ctx.attrs, 'round_type'),
      dequant ? 1 : 0,
    ]);
    // The scale is only read at inference: OutScale stays InScale's buffer.
    return { Out: out, OutScale: scale._storage.buffer };
  };
}

/** Channels and the stride between them: the last axis for NHWC, axis 1 otherwise. */
function channelLayout(op: string, x: Tensor, attr: string, attrs: Record<string, unknown>): { nhwc: boolean; channels: number; inner: number } {
  const layout = plans.strAttr(attrs as never, attr);
  const nhwc = layout === 'NHWC';
  if (!nhwc && layout !== 'NCHW' && layout !== 'AnyLayout') throw new OpError(op, `${attr} must be NCHW, NHWC or AnyLayout, got ${layout}`);
  const channels = nhwc ? x.shape[x.shape.length - 1]! : x.shape[1]!;
  return { nhwc, channels, inner: nhwc ? 1 : x.shape.slice(2).reduce((a, b) => a * b, 1) };
}

export const kernels: Record<string, KernelFn<Backend>> = {
  shape: (inputs, ctx) => ({ Out: ctx.backend.fromArray('int32', Int32Array.from((inputs.Input as Tensor).shape)) }),
  fill_constant_batch_size_like: creation.fill_constant!,
  fake_quantize_moving_average_abs_max: fakeQuant('fake_quantize_moving_average_abs_max', false),
  fake_quantize_dequantize_moving_average_abs_max: fakeQuant('fake_quantize_dequantize_moving_average_abs_max', true),
  fake_dequantize_max_abs: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const scale = inputs.Scale as Tensor;
    const t = floatType('fake_dequantize_max_abs', x.dtype);
    if (scale.dtype !== x.dtype) throw new OpError('fake_dequantize_max_abs', `on xpu Scale must have X's dtype ${x.dtype}, got ${scale.dtype}`);
    const out = ctx.backend.empty(x.dtype, x.size);
    const c = ctx.backend.compute();
    c.launcher.launch1d(c.module(`compat_${x.dtype}`, () => cudaSource(t)).fn('fake_dequant'), x.size, `pppl${t === 'float' ? 'f' : 'd'}`, [
      ptrOf(x),
      ptrOf(scale),
      out.ptr,
      x.size,
      plans.floatAttr(ctx.attrs, 'max_range'),
    ]);
    return { Out: out };
  },
  affine_channel: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const t = floatType('affine_channel', x.dtype);
    for (const s of ['Scale', 'Bias']) {
      if ((inputs[s] as Tensor).dtype !== x.dtype) throw new OpError('affine_channel', `on xpu ${s} must have X's dtype ${x.dtype}, got ${(inputs[s] as Tensor).dtype}`);
    }
    const { channels, inner } = channelLayout('affine_channel', x, 'data_layout', ctx.attrs);
    const out = ctx.backend.empty(x.dtype, x.size);
    const c = ctx.backend.compute();
    c.launcher.launch1d(c.module(`compat_${x.dtype}`, () => cudaSource(t)).fn('affine_channel'), x.size, 'pppplil', [
      ptrOf(x),
      ptrOf(inputs.Scale as Tensor),
      ptrOf(inputs.Bias as Tensor),
      out.ptr,
      x.size,
      channels,
      inner,
    ]);
    return { Out: out };
  },
  lrn: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const t = floatType('lrn', x.dtype);
    const { nhwc, channels } = channelLayout('lrn', x, 'data_format', ctx.attrs);
    const [, d1, d2, d3] = x.shape as [number, number, number, number];
    const hw = nhwc ? d1 * d2 : d2 * d3;
    const out = ctx.backend.empty(meta.dtype, x.size);
    const mid = ctx.backend.empty(meta.dtype, x.size);
    const c = ctx.backend.compute();
    const f = t === 'float' ? 'f' : 'd';
    c.launcher.launch1d(c.module(`compat_${x.dtype}`, () => cudaSource(t)).fn('lrn'), x.size, `ppplillli${f}${f}${f}`, [
      ptrOf(x),
      out.ptr,
      mid.ptr,
      x.size,
      channels,
      nhwc ? 1 : hw,
      nhwc ? channels : 1,
      hw,
      (plans.intAttr(ctx.attrs, 'n') - 1) / 2,
      plans.floatAttr(ctx.attrs, 'k'),
      plans.floatAttr(ctx.attrs, 'alpha'),
      plans.floatAttr(ctx.attrs, 'beta'),
    ]);
    return { Out: out, MidOut: mid };
  },
};
