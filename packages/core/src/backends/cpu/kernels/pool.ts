import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { strAttr, boolAttr } from '../../../kernels/specs/common';
import { maxPoolWithIndexGeometry, pool2dGeometry, type Pool2dGeometry } from '../../../kernels/specs/pool';
import type { DType } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo, numBuf } from '../backend';

/** Paddle seeds max pooling with -FLT_MAX, so an empty window yields it rather than -Infinity. */
const NEG_FLT_MAX = -3.4028234663852886e38;

/** A float result array: float64 stays float64, everything else is computed in float32. */
export function floatOut(dtype: DType, n: number): Float32Array | Float64Array {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** [start, end) input bounds of each output row (or column), clipped to the input. */
function windows(out: number, size: number, k: number, s: number, pad: number, adaptive: boolean): [Int32Array, Int32Array] {
  const st = new Int32Array(out);
  const en = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    if (adaptive) {
      st[o] = Math.floor((o * size) / out);
      en[o] = Math.ceil(((o + 1) * size) / out);
    } else {
      const a = o * s - pad;
      en[o] = Math.min(a + k, size);
      st[o] = Math.max(a, 0);
    }
  }
  return [st, en];
}

/** Element strides of one image layout: batch, channel, row, column. */
interface Strides {
  n: number;
  c: number;
  h: number;
  w: number;
}

function stridesOf(g: Pool2dGeometry, h: number, w: number): Strides {
  return g.nhwc ? { n: h * w * g.c, c: 1, h: w * g.c, w: g.c } : { n: g.c * h * w, c: h * w, h: w, w: 1 };
}

interface Plan {
  g: Pool2dGeometry;
  xs: Strides;
  os: Strides;
  hs: Int32Array;
  he: Int32Array;
  ws: Int32Array;
  we: Int32Array;
}

function plan(g: Pool2dGeometry): Plan {
  const [hs, he] = windows(g.oh, g.h, g.kh, g.sh, g.padTop, g.adaptive);
  const [ws, we] = windows(g.ow, g.w, g.kw, g.sw, g.padLeft, g.adaptive);
  return { g, xs: stridesOf(g, g.h, g.w), os: stridesOf(g, g.oh, g.ow), hs, he, ws, we };
}

function poolForward(x: ArrayLike<number>, p: Plan, max: boolean, exclusive: boolean, out: Float32Array | Float64Array): void {
  const { g, xs, os, hs, he, ws, we } = p;
  const full = g.kh * g.kw;
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const xb = n * xs.n + c * xs.c;
      const ob = n * os.n + c * os.c;
      for (let oh = 0; oh < g.oh; oh++) {
        const h0 = hs[oh]!;
        const h1 = he[oh]!;
        for (let ow = 0; ow < g.ow; ow++) {
          const w0 = ws[ow]!;
          const w1 = we[ow]!;
          let acc = max ? NEG_FLT_MAX : 0;
          for (let h = h0; h < h1; h++) {
            const row = xb + h * xs.h;
            if (max) {
              for (let w = w0; w < w1; w++) {
                const v = x[row + w * xs.w]!;
                // Paddle's `y = y > x ? y : x`: a NaN input replaces the running maximum.
                acc = acc > v ? acc : v;
              }
            } else {
              for (let w = w0; w < w1; w++) acc += x[row + w * xs.w]!;
            }
          }
          if (!max) acc /= exclusive || g.adaptive ? (h1 - h0) * (w1 - w0) : full;
          out[ob + oh * os.h + ow * os.w] = acc;
        }
      }
    }
  }
}

function poolBackward(
  x: ArrayLike<number>,
  y: ArrayLike<number> | null,
  dy: ArrayLike<number>,
  p: Plan,
  max: boolean,
  exclusive: boolean,
  dx: Float32Array | Float64Array,
): void {
  const { g, xs, os, hs, he, ws, we } = p;
  const full = g.kh * g.kw;
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const xb = n * xs.n + c * xs.c;
      const ob = n * os.n + c * os.c;
      for (let oh = 0; oh < g.oh; oh++) {
        const h0 = hs[oh]!;
        const h1 = he[oh]!;
        for (let ow = 0; ow < g.ow; ow++) {
          const w0 = ws[ow]!;
          const w1 = we[ow]!;
          const o = ob + oh * os.h + ow * os.w;
          const d = dy[o]!;
          if (max) {
            // Paddle's rule: the first window position (row-major) equal to Out takes the gradient.
            const target = y![o]!;
            search: for (let h = h0; h < h1; h++) {
              const row = xb + h * xs.h;
              for (let w = w0; w < w1; w++) {
                if (x[row + w * xs.w] === target) {
                  dx[row + w * xs.w]! += d;
                  break search;
                }
              }
            }
          } else {
            const share = d / (exclusive || g.adaptive ? (h1 - h0) * (w1 - w0) : full);
            for (let h = h0; h < h1; h++) {
              const row = xb + h * xs.h;
              for (let w = w0; w < w1; w++) dx[row + w * xs.w]! += share;
            }
          }
        }
      }
    }
  }
}

const pool2d: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta.Out as TensorMeta;
  const p = plan(pool2dGeometry('pool2d', x.shape, ctx.attrs));
  const out = floatOut(meta.dtype, numel(meta.shape));
  poolForward(floatBuf(x), p, strAttr(ctx.attrs, 'pooling_type') === 'max', boolAttr(ctx.attrs, 'exclusive'), out);
  return { Out: narrowTo(meta.dtype, out) };
};

const pool2dGrad: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta['X@GRAD'] as TensorMeta;
  const p = plan(pool2dGeometry('pool2d_grad', x.shape, ctx.attrs));
  const max = strAttr(ctx.attrs, 'pooling_type') === 'max';
  const dx = floatOut(meta.dtype, numel(meta.shape));
  const y = max ? floatBuf(inputs.Out as Tensor) : null;
  poolBackward(floatBuf(x), y, floatBuf(inputs['Out@GRAD'] as Tensor), p, max, boolAttr(ctx.attrs, 'exclusive'), dx);
  return { 'X@GRAD': narrowTo(meta.dtype, dx) };
};

const maxPoolWithIndex: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta.Out as TensorMeta;
  const p = plan(maxPoolWithIndexGeometry('max_pool2d_with_index', x.shape, ctx.attrs));
  const { g, hs, he, ws, we } = p;
  const xd = floatBuf(x);
  const out = floatOut(meta.dtype, numel(meta.shape));
  const mask = new Int32Array(out.length);
  const plane = g.h * g.w;
  const oplane = g.oh * g.ow;
  for (let nc = 0; nc < g.n * g.c; nc++) {
    const xb = nc * plane;
    const ob = nc * oplane;
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let best = NEG_FLT_MAX;
        let idx = -1;
        for (let h = hs[oh]!; h < he[oh]!; h++) {
          for (let w = ws[ow]!; w < we[ow]!; w++) {
            const v = xd[xb + h * g.w + w]!;
            if (best < v) {
              best = v;
              idx = h * g.w + w;
            }
          }
        }
        out[ob + oh * g.ow + ow] = best;
        mask[ob + oh * g.ow + ow] = idx;
      }
    }
  }
  return { Out: narrowTo(meta.dtype, out), Mask: mask };
};

const maxPoolWithIndexGrad: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta['X@GRAD'] as TensorMeta;
  const g = maxPoolWithIndexGeometry('max_pool2d_with_index_grad', x.shape, ctx.attrs);
  const mask = numBuf(inputs.Mask as Tensor);
  const dy = floatBuf(inputs['Out@GRAD'] as Tensor);
  const dx = floatOut(meta.dtype, numel(meta.shape));
  const plane = g.h * g.w;
  const oplane = g.oh * g.ow;
  for (let nc = 0; nc < g.n * g.c; nc++) {
    const xb = nc * plane;
    const ob = nc * oplane;
    for (let o = 0; o < oplane; o++) {
      const m = mask[ob + o]!;
      // -1 marks a window that held no input element: it passes no gradient.
      if (m >= 0) dx[xb + m]! += dy[ob + o]!;
    }
  }
  return { 'X@GRAD': narrowTo(meta.dtype, dx) };
};

export const kernels: Record<string, KernelFn> = {
  pool2d,
  pool2d_grad: pool2dGrad,
  max_pool2d_with_index: maxPoolWithIndex,
  max_pool2d_with_index_grad: maxPoolWithIndexGrad,
};
