import { Dynamic, type KernelFn, type TensorMeta } from '../../../kernels/registry';
import { floatAttr } from '../../../kernels/specs/common';
import { pad3dPlan, padPlan, type PadMode, type PadPlan } from '../../../kernels/specs/pad';
import { allocArray, floatToBf16, floatToHalf, type DType, type TypedArray } from '../../../tensor/dtype';
import { numel, stridesOf, type Shape } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { buf, floatBuf, narrowTo, numBuf } from '../backend';
import { floatOut } from './pool';

/** For each output index of one axis, the input index it reads; -1 reads the constant. */
function axisMap(n: number, before: number, after: number, mode: PadMode): Int32Array {
  const m = new Int32Array(n + before + after);
  for (let o = 0; o < m.length; o++) {
    let i = o - before;
    if (i >= 0 && i < n) {
      m[o] = i;
      continue;
    }
    switch (mode) {
      case 'constant':
        i = -1;
        break;
      case 'reflect':
        i = i < 0 ? -i : 2 * (n - 1) - i;
        break;
      case 'replicate':
        i = i < 0 ? 0 : n - 1;
        break;
      case 'circular':
        i = ((i % n) + n) % n;
        break;
    }
    m[o] = i;
  }
  return m;
}

/** A writable view with fill/set/subarray of any storage type, value already encoded for it. */
type AnyArray = TypedArray & { fill(v: number | bigint, s?: number, e?: number): unknown };

/** The pad value in the storage encoding of `dtype` (half bit patterns, bigint for int64). */
function encodeValue(dtype: DType, v: number): number | bigint {
  if (dtype === 'int64') return BigInt(Math.trunc(v));
  if (dtype === 'float16') return floatToHalf(v);
  if (dtype === 'bfloat16') return floatToBf16(v);
  if (dtype === 'bool') return v ? 1 : 0;
  return v;
}

/**
 * Walks the output row by row (all axes but the last). A row whose outer indices map into the
 * input copies from the input row; rows in the padding take the constant. `visit` does the
 * per-row work so forward and backward share the index bookkeeping.
 */
function walkRows(
  inShape: Shape,
  outShape: Shape,
  maps: Int32Array[],
  visit: (outOff: number, inBase: number) => void,
): void {
  const r = outShape.length;
  const inner = outShape[r - 1]!;
  const total = numel(outShape);
  if (total === 0) return;
  const istr = stridesOf(inShape);
  const idx = new Int32Array(Math.max(r - 1, 0));
  for (let o = 0; o < total; o += inner) {
    let base = 0;
    for (let d = 0; d < r - 1; d++) {
      const i = maps[d]![idx[d]!]!;
      if (i < 0) {
        base = -1;
        break;
      }
      base += i * istr[d]!;
    }
    visit(o, base);
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
}

function padForward(x: Tensor, plan: PadPlan, value: number, dtype: DType): TypedArray {
  const inShape = x.shape;
  const outShape = plan.outShape;
  const r = inShape.length;
  const src = buf(x) as AnyArray;
  const out = allocArray(dtype, numel(outShape)) as AnyArray;
  const v = encodeValue(dtype, value);
  if (r === 0) {
    out.set(src as never);
    return out;
  }
  const maps = inShape.map((n, d) => axisMap(n, plan.pads[d]![0], plan.pads[d]![1], plan.mode));
  const inner = outShape[r - 1]!;
  const n = inShape[r - 1]!;
  const [b0] = plan.pads[r - 1]!;
  const last = maps[r - 1]!;
  // Constant mode: a row is fill + one contiguous copy + fill.
  const contiguous = plan.mode === 'constant' || inner === n;
  walkRows(inShape, outShape, maps, (o, base) => {
    if (base < 0) {
      out.fill(v, o, o + inner);
    } else if (contiguous) {
      if (b0 > 0) out.fill(v, o, o + b0);
      out.set(src.subarray(base, base + n) as never, o + b0);
      if (o + b0 + n < o + inner) out.fill(v, o + b0 + n, o + inner);
    } else {
      for (let j = 0; j < inner; j++) out[o + j] = src[base + last[j]!]!;
    }
  });
  return out;
}

function padBackward(dy: Tensor, inShape: Shape, plan: PadPlan, dtype: DType): TypedArray {
  const r = inShape.length;
  const g = floatBuf(dy);
  const dx = floatOut(dtype, numel(inShape));
  if (r === 0) {
    dx.set(g);
    return narrowTo(dtype, dx);
  }
  const maps = inShape.map((n, d) => axisMap(n, plan.pads[d]![0], plan.pads[d]![1], plan.mode));
  const inner = plan.outShape[r - 1]!;
  const last = maps[r - 1]!;
  walkRows(inShape, plan.outShape, maps, (o, base) => {
    if (base < 0) return;
    // Several output positions may read one input position (reflect, replicate, circular).
    for (let j = 0; j < inner; j++) {
      const i = last[j]!;
      if (i >= 0) dx[base + i]! += g[o + j]!;
    }
  });
  return narrowTo(dtype, dx);
}

function paddingsOf(inputs: Record<string, unknown>): number[] | undefined {
  const p = inputs.Paddings as Tensor | undefined;
  return p ? Array.from(numBuf(p)) : undefined;
}

export const kernels: Record<string, KernelFn> = {
  pad: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    return { Out: padForward(x, padPlan('pad', x.shape, ctx.attrs), floatAttr(ctx.attrs, 'pad_value'), meta.dtype) };
  },
  pad_grad: (inputs, ctx) => {
    const dy = inputs['Out@GRAD'] as Tensor;
    const meta = ctx.meta['X@GRAD'] as TensorMeta;
    const plan = padPlan('pad_grad', meta.shape, ctx.attrs);
    return { 'X@GRAD': padBackward(dy, meta.shape, plan, meta.dtype) };
  },
  pad3d: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const plan = pad3dPlan('pad3d', x.shape, ctx.attrs, paddingsOf(inputs));
    const out = padForward(x, plan, floatAttr(ctx.attrs, 'value'), meta.dtype);
    return { Out: meta.shape.includes(-1) ? new Dynamic(out, plan.outShape) : out };
  },
  pad3d_grad: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const dy = inputs['Out@GRAD'] as Tensor;
    const meta = ctx.meta['X@GRAD'] as TensorMeta;
    const plan = pad3dPlan('pad3d_grad', x.shape, ctx.attrs, paddingsOf(inputs));
    if (plan.outShape.join(',') !== dy.shape.join(',')) {
      throw new OpError('pad3d_grad', `input Out@GRAD must have shape [${plan.outShape.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    return { 'X@GRAD': padBackward(dy, x.shape, plan, meta.dtype) };
  },
};
