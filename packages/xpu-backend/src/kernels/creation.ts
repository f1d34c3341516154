/**
 * fill_constant and assign on xpu. A constant fills 4-byte words with the
 * value's bit pattern (cuMemsetD32); 8-byte dtypes are filled on the host and copied once.
 */
import { allocArray, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { ptrOf, type Backend } from './common';

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
  assign: (inputs, ctx) => ({ Out: copy(ctx, inputs.X as Tensor) }),
};
