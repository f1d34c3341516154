/**
 * fill_constant, fill_any_like, assign and cast on xpu. A constant fills 4-byte words with the
 * value's bit pattern (cuMemsetD32); other sizes are filled on the host and copied once. cast has
 * one kernel per (from, to) pair of the dtypes below, converting as C does (floats truncate toward
 * zero into integers; anything nonzero is true).
 */
import { allocArray, OpError, type DType, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { ptrOf, type Backend } from './common';

/** The dtypes cast converts between, with their C types. */
const CAST_TYPES: Partial<Record<DType, string>> = {
  bool: 'unsigned char',
  uint8: 'unsigned char',
  int8: 'signed char',
  int16: 'short',
  int32: 'int',
  int64: 'long long',
  float32: 'float',
  float64: 'double',
};

export function cudaSource(): string {
  const fns: string[] = [];
  for (const [from, a] of Object.entries(CAST_TYPES)) {
    for (const [to, b] of Object.entries(CAST_TYPES)) {
      const conv = to === 'bool' ? '(x[i] != (' + a + ')0) ? 1 : 0' : `(${b})x[i]`;
      fns.push(`extern "C" __global__ void cast_${from}_${to}(const ${a}* x, ${b}* out, long long n) { LOOP(i, n) out[i] = ${conv}; }`);
    }
  }
  return `#define LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)
${fns.join('\n')}`;
}

const fill: KernelFn<Backend> = (_inputs, ctx) => {
  const m = ctx.meta.Out as TensorMeta;
  const n = m.shape.reduce((a, b) => a * b, 1);
  const v = plans.fillValue(ctx.attrs);
  const host = allocArray(m.dtype, 1);
  (host as unknown as { [i: number]: unknown })[0] = m.dtype === 'int64' ? BigInt(Math.trunc(v)) : m.dtype === 'bool' ? (v ? 1 : 0) : v;
  if (host.BYTES_PER_ELEMENT === 4) {
    const out = ctx.backend.empty(m.dtype, n);
    const c = ctx.backend.compute();
    if (n > 0) c.cu.memsetD32(out.ptr, new Uint32Array(host.buffer, host.byteOffset, 1)[0]!, n);
    return { Out: out };
  }
  const full = allocArray(m.dtype, n);
  (full as unknown as { fill(v: unknown): void }).fill((host as unknown as unknown[])[0]);
  return { Out: ctx.backend.fromArray(m.dtype, full) };
};

function copy(ctx: { backend: Backend }, x: Tensor): unknown {
  const out = ctx.backend.empty(x.dtype, x.size);
  if (out.bytes > 0) ctx.backend.compute().cu.memcpyDtoD(out.ptr, ptrOf(x), out.bytes);
  return out;
}

export const kernels: Record<string, KernelFn<Backend>> = {
  fill_constant: fill,
  fill_any_like: fill,
  assign: (inputs, ctx) => ({ Out: copy(ctx, inputs.X as Tensor) }),
  cast: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const to = (ctx.meta.Out as TensorMeta).dtype;
    if (to === x.dtype) return { Out: copy(ctx, x) };
    for (const d of [x.dtype, to]) {
      if (!CAST_TYPES[d]) throw new OpError('cast', `on xpu cast converts between ${Object.keys(CAST_TYPES).join(', ')}; got ${d}`);
    }
    const out = ctx.backend.empty(to, x.size);
    if (x.size === 0) return { Out: out };
    const c = ctx.backend.compute();
    c.launcher.launch1d(c.module('cast', () => cudaSource()).fn(`cast_${x.dtype}_${to}`), x.size, 'ppl', [ptrOf(x), out.ptr, x.size]);
    return { Out: out };
  },
};
