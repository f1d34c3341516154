import { Dynamic, type KernelFn, type SlotMap, type TensorMeta } from '../../../kernels/registry';
import { INTERP_OPS, interpGeometry, interpOutShape, type InterpGeometry, type InterpTensorData } from '../../../kernels/specs/interpolate';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { floatBuf, narrowTo, numBuf } from '../backend';
import { floatOut } from './pool';

const f32 = Math.fround;

/** Reads the optional size/scale tensors; the output extent depends on their values. */
function tensorData(inputs: SlotMap<Tensor>): InterpTensorData {
  const d: InterpTensorData = {};
  const list = inputs.SizeTensor as Tensor[] | undefined;
  if (list && list.length) d.sizeTensor = list.map((t) => numBuf(t)[0]!);
  if (inputs.OutSize) d.outSize = Array.from(numBuf(inputs.OutSize as Tensor));
  if (inputs.Scale) d.scale = Array.from(floatBuf(inputs.Scale as Tensor));
  return d;
}

/**
 * Per output index of one axis: the two source indices and their weights (float32, as Paddle
 * computes them). Nearest uses only `i0` with weight 1.
 */
interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

function axisTable(g: InterpGeometry, inSize: number, outSize: number, ratio: number): AxisTable {
  const t: AxisTable = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w0: new Float64Array(outSize), w1: new Float64Array(outSize) };
  for (let o = 0; o < outSize; o++) {
    if (g.method === 'nearest') {
      // float product, then (align_corners) a double +0.5, truncated: Paddle's static_cast<int>.
      const p = f32(ratio * o);
      t.i0[o] = Math.min(Math.trunc(g.alignCorners ? p + 0.5 : p), inSize - 1);
      t.w0[o] = 1;
      continue;
    }
    let i0: number;
    let d: number;
    if (g.halfPixel) {
      const src = ratio * (o + 0.5) - 0.5;
      i0 = Math.max(Math.trunc(src), 0);
      d = f32(Math.max(f32(src), 0) - i0);
    } else {
      const p = f32(ratio * o);
      i0 = Math.max(Math.trunc(p), 0);
      d = f32(p - i0);
    }
    t.i0[o] = i0;
    t.i1[o] = Math.min(i0 + 1, inSize - 1);
    t.w1[o] = d;
    t.w0[o] = f32(1 - d);
  }
  return t;
}

interface Layout {
  sn: number;
  sc: number;
  sh: number;
  sw: number;
}

function layout(g: InterpGeometry, h: number, w: number): Layout {
  return g.nhwc ? { sn: h * w * g.c, sc: 1, sh: w * g.c, sw: g.c } : { sn: g.c * h * w, sc: h * w, sh: w, sw: 1 };
}

/** out = resize(x) (forward) or dx += resizeᵀ(dy) (backward) over the same tables. */
function resize(g: InterpGeometry, src: ArrayLike<number>, dst: Float32Array | Float64Array, backward: boolean): void {
  const th = axisTable(g, g.inH, g.outH, g.ratioH);
  const tw = axisTable(g, g.inW, g.outW, g.ratioW);
  const xl = layout(g, g.inH, g.inW);
  const ol = layout(g, g.outH, g.outW);
  // Column offsets into an input row, premultiplied by the column stride.
  const ca = new Int32Array(g.outW);
  const cb = new Int32Array(g.outW);
  for (let ow = 0; ow < g.outW; ow++) {
    ca[ow] = tw.i0[ow]! * xl.sw;
    cb[ow] = tw.i1[ow]! * xl.sw;
  }
  const { w0, w1 } = tw;
  const osw = ol.sw;
  // The method and direction branches sit outside the per-element loops.
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const xb = n * xl.sn + c * xl.sc;
      const ob = n * ol.sn + c * ol.sc;
      for (let oh = 0; oh < g.outH; oh++) {
        const ra = xb + th.i0[oh]! * xl.sh;
        const orow = ob + oh * ol.sh;
        if (g.method === 'nearest') {
          if (backward) for (let ow = 0; ow < g.outW; ow++) dst[ra + ca[ow]!]! += src[orow + ow * osw]!;
          else for (let ow = 0; ow < g.outW; ow++) dst[orow + ow * osw] = src[ra + ca[ow]!]!;
          continue;
        }
        const rb = xb + th.i1[oh]! * xl.sh;
        const hA = th.w0[oh]!;
        const hB = th.w1[oh]!;
        if (backward) {
          for (let ow = 0; ow < g.outW; ow++) {
            const d = src[orow + ow * osw]!;
            const dA = d * w0[ow]!;
            const dB = d * w1[ow]!;
            dst[ra + ca[ow]!]! += hA * dA;
            dst[rb + ca[ow]!]! += hB * dA;
            dst[ra + cb[ow]!]! += hA * dB;
            dst[rb + cb[ow]!]! += hB * dB;
          }
        } else {
          for (let ow = 0; ow < g.outW; ow++) {
            const a = ca[ow]!;
            const b = cb[ow]!;
            dst[orow + ow * osw] = (src[ra + a]! * hA + src[rb + a]! * hB) * w0[ow]! + (src[ra + b]! * hA + src[rb + b]! * hB) * w1[ow]!;
          }
        }
      }
    }
  }
}

function forward(op: string): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const g = interpGeometry(op, x.shape, ctx.attrs, tensorData(inputs));
    const shape = interpOutShape(g);
    const xd = floatBuf(x);
    const out = floatOut(meta.dtype, numel(shape));
    // Paddle copies the input when the size does not change (whatever the ratios say).
    if (g.inH === g.outH && g.inW === g.outW) out.set(xd);
    else resize(g, xd, out, false);
    const buf = narrowTo(meta.dtype, out);
    return { Out: meta.shape.includes(-1) ? new Dynamic(buf, shape) : buf };
  };
}

function backward(op: string): KernelFn {
  const gradOp = `${op}_grad`;
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const dy = inputs['Out@GRAD'] as Tensor;
    const meta = ctx.meta['X@GRAD'] as TensorMeta;
    const g = interpGeometry(gradOp, x.shape, ctx.attrs, tensorData(inputs));
    const want = interpOutShape(g);
    if (want.join(',') !== dy.shape.join(',')) {
      throw new OpError(gradOp, `input Out@GRAD must have shape [${want.join(', ')}], got [${dy.shape.join(', ')}]`);
    }
    const dyd = floatBuf(dy);
    const dx = floatOut(meta.dtype, numel(meta.shape));
    if (g.inH === g.outH && g.inW === g.outW) dx.set(dyd);
    else resize(g, dyd, dx, true);
    return { 'X@GRAD': narrowTo(meta.dtype, dx) };
  };
}

export const kernels: Record<string, KernelFn> = {};
for (const op of INTERP_OPS) {
  kernels[op] = forward(op);
  kernels[`${op}_grad`] = backward(op);
}
