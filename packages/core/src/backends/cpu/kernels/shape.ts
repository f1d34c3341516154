import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { allocArray } from '../../../tensor/dtype';
import { broadcastStrides, numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { buf } from '../backend';

export const kernels: Record<string, KernelFn> = {
  // Contiguous storage: reshape shares the input buffer.
  reshape2: (inputs) => ({ Out: buf(inputs.X as Tensor) }),
  expand_v2: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const src = buf(x) as Float32Array;
    const n = numel(m.shape);
    const out = allocArray(x.dtype, n) as Float32Array;
    if (src.length === 1) {
      (out as unknown as { fill(v: unknown): void }).fill(src[0]);
      return { Out: out };
    }
    const r = m.shape.length;
    const st = broadcastStrides(x.shape, m.shape);
    const inner = m.shape[r - 1]!;
    const si = st[r - 1]!;
    const idx = new Array<number>(r).fill(0);
    let xo = 0;
    for (let o = 0; o < n; o += inner) {
      if (si === 1) out.set(src.subarray(xo, xo + inner), o);
      else if (si === 0) (out as unknown as { fill(v: unknown, a: number, b: number): void }).fill(src[xo], o, o + inner);
      for (let d = r - 2; d >= 0; d--) {
        idx[d]!++;
        xo += st[d]!;
        if (idx[d]! < m.shape[d]!) break;
        xo -= st[d]! * m.shape[d]!;
        idx[d] = 0;
      }
    }
    return { Out: out };
  },
};
