import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { fillValue } from '../../../kernels/specs/creation';
import { floatAttr, boolAttr } from '../../../kernels/specs/common';
import { allocArray, floatToBf16, floatToHalf, type DType, type NumericArray, type TypedArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { buf, fromNumbers, narrowTo, numBuf, rawBuf } from '../backend';
import { dnnlElementwise, dnnlEltwise } from '../dnnl/eltwise';
import { layoutOf, setLayout } from '../dnnl/layout';
import { ALG_ELTWISE_LINEAR } from '../dnnl/lib';
import { takeF32 } from '../pool';

/** A buffer of `n` elements of `dtype`, all equal to `v` (converted as a cast would). */
export function filled(dtype: DType, n: number, v: number): TypedArray {
  if (dtype === 'float32') return v === 0 ? takeF32(n) : takeF32(n, false).fill(v);
  const out = allocArray(dtype, n);
  if (v === 0) return out;
  switch (dtype) {
    case 'int64':
      (out as BigInt64Array).fill(BigInt(Math.trunc(v)));
      break;
    case 'float16':
      (out as Uint16Array).fill(floatToHalf(v));
      break;
    case 'bfloat16':
      (out as Uint16Array).fill(floatToBf16(v));
      break;
    case 'bool':
      (out as Uint8Array).fill(v ? 1 : 0);
      break;
    default:
      (out as NumericArray).fill(dtype === 'float64' ? v : Math.trunc(v));
  }
  return out;
}

/** Converts between any two dtypes: float->int truncates toward zero, ->bool is x != 0. */
export function castArray(x: Tensor, to: DType): TypedArray {
  if (x.dtype === to) return buf(x).slice();
  if (x.dtype === 'int64' && to !== 'bool') {
    const src = buf<BigInt64Array>(x);
    const n = src.length;
    const out = allocArray(to, n);
    if (to === 'float16' || to === 'bfloat16') return fromNumbers(to, Array.from(src, Number));
    const o = out as NumericArray;
    for (let i = 0; i < n; i++) o[i] = Number(src[i]);
    return out;
  }
  const src = numBuf(x);
  if (to === 'bool') {
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  if (to === 'int64') {
    const out = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      out[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
    return out;
  }
  if (to === 'float16' || to === 'bfloat16' || to === 'float32' || to === 'float64') return fromNumbers(to, src);
  // Integer targets: truncate toward zero, then wrap as C's static_cast does for in-range values.
  const out = allocArray(to, src.length) as NumericArray;
  for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  return out;
}

export const kernels: Record<string, KernelFn> = {
  fill_constant: (_inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    return { Out: filled(m.dtype, numel(m.shape), fillValue(ctx.attrs)) };
  },
  fill_any_like: (_inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    return { Out: filled(m.dtype, numel(m.shape), floatAttr(ctx.attrs, 'value')) };
  },
  assign: (inputs) => ({ Out: buf(inputs.X as Tensor).slice() }),
  cast: (inputs, ctx) => ({ Out: castArray(inputs.X as Tensor, (ctx.meta.Out as TensorMeta).dtype) }),
  scale: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const st = inputs.ScaleTensor as Tensor | undefined;
    const s = st ? numBuf(st)[0]! : floatAttr(ctx.attrs, 'scale');
    const b = floatAttr(ctx.attrs, 'bias');
    const after = boolAttr(ctx.attrs, 'bias_after_scale');
    const m = ctx.meta.Out as TensorMeta;
    const raw = rawBuf(x);
    // Large float32 tensors: oneDNN's linear eltwise (y = αx + β) in the stored layout, when the
    // factors are attributes (fixed per primitive).
    if (!st && raw instanceof Float32Array && m.dtype === 'float32' && dnnlElementwise(raw.length)) {
      const out = takeF32(raw.length, false);
      if (dnnlEltwise(ALG_ELTWISE_LINEAR, s, after ? b : s * b, raw, out, raw.length)) {
        setLayout(out, layoutOf(raw));
        return { Out: out };
      }
    }
    const src = numBuf(x);
    const n = src.length;
    const out = x.dtype === 'float32' || x.dtype === 'float64' ? (allocArray(x.dtype, n) as NumericArray) : new Float64Array(n);
    if (after) for (let i = 0; i < n; i++) out[i] = s * src[i]! + b;
    else for (let i = 0; i < n; i++) out[i] = s * (src[i]! + b);
    return { Out: narrowTo(m.dtype, out) };
  },
};
