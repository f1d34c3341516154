import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { strAttr, boolAttr } from '../../../kernels/specs/common';
import { maxPoolWithIndexGeometry, pool2dGeometry, type Pool2dGeometry } from '../../../kernels/specs/pool';
import type { DType, FloatArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo, numBuf, rawBuf } from '../backend';
import { takeF32, takeF64 } from '../pool';
import { dnnlPool, dnnlPoolGrad } from '../dnnl/pool';

/** Paddle seeds max pooling with -FLT_MAX, so an empty window yields it rather than -Infinity. */
const NEG_FLT_MAX = -3.4028234663852886e38;

/** A float result array: float64 stays float64, everything else is computed in float32. */
export function floatOut(dtype: DType, n: number, zero = true): Float32Array | Float64Array {
  return dtype === 'float64' ? takeF64(n, zero) : takeF32(n, zero);
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

function poolForward(x: FloatArray, p: Plan, max: boolean, exclusive: boolean, out: FloatArray): void {
  if (max) {
    if (x instanceof Float32Array && out instanceof Float32Array) maxForwardF32(x, p, out);
    else maxForward(x, p, out);
  }
  else avgForward(x, p, exclusive || p.g.adaptive, out);
}

function maxForward(x: FloatArray, p: Plan, out: FloatArray): void {
  const { g, hs, he, ws, we } = p;
  const { n: xsn, c: xsc, h: xsh, w: xsw } = p.xs;
  const { n: osn, c: osc, h: osh, w: osw } = p.os;
  const N = g.n;
  const C = g.c;
  const OH = g.oh;
  const OW = g.ow;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = n * xsn + c * xsc;
      const ob = n * osn + c * osc;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = xb + hs[oh]! * xsh;
        const r1 = xb + he[oh]! * xsh;
        let o = ob + oh * osh;
        for (let ow = 0; ow < OW; ow++, o += osw) {
          const c0 = ws[ow]! * xsw;
          const c1 = we[ow]! * xsw;
          let acc = NEG_FLT_MAX;
          for (let row = r0; row < r1; row += xsh) {
            const e = row + c1;
            for (let i = row + c0; i < e; i += xsw) {
              const v = x[i]!;
              // Paddle's `y = y > x ? y : x`: a NaN input replaces the running maximum.
              acc = acc > v ? acc : v;
            }
          }
          out[o] = acc;
        }
      }
    }
  }
}

/** Order-preserving int32 key of a float32 bit pattern (an involution: it also maps keys back). */
const KEY_NEG_FLT_MAX = -2139095040; // key of -FLT_MAX (0xff7fffff)

/**
 * Max pooling over float32 data without data-dependent branches: each element's bits become an
 * int32 key ordered like the floats, and max(a, b) = (a + b + |a − b|)/2 is exact on those
 * integers in float64. Keys differ from the float comparison only on ±0 (−0 < +0) and NaN, so a
 * window whose maximum is zero or that holds a NaN is redone with Paddle's sequential rule.
 */
function maxForwardF32(x: Float32Array, p: Plan, out: Float32Array): void {
  const { g, hs, he, ws, we } = p;
  const { n: xsn, c: xsc, h: xsh, w: xsw } = p.xs;
  const { n: osn, c: osc, h: osh, w: osw } = p.os;
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  const N = g.n;
  const C = g.c;
  const OH = g.oh;
  const OW = g.ow;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = n * xsn + c * xsc;
      const ob = n * osn + c * osc;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = xb + hs[oh]! * xsh;
        const r1 = xb + he[oh]! * xsh;
        let o = ob + oh * osh;
        for (let ow = 0; ow < OW; ow++, o += osw) {
          const c0 = ws[ow]! * xsw;
          const c1 = we[ow]! * xsw;
          let acc = KEY_NEG_FLT_MAX;
          // Sign bit set once any element is a NaN.
          let nan = 0;
          if (r1 - r0 === 3 * xsh && c1 - c0 === 3 * xsw) {
            // A full 3x3 window (max_pool 3x3 away from the border), unrolled.
            const i0 = r0 + c0;
            const i1 = i0 + xsh;
            const i2 = i1 + xsh;
            const w1 = xsw;
            const w2 = 2 * xsw;
            const b0 = xi[i0]!;
            const b1 = xi[i0 + w1]!;
            const b2 = xi[i0 + w2]!;
            const b3 = xi[i1]!;
            const b4 = xi[i1 + w1]!;
            const b5 = xi[i1 + w2]!;
            const b6 = xi[i2]!;
            const b7 = xi[i2 + w1]!;
            const b8 = xi[i2 + w2]!;
            nan =
              (0x7f800000 - (b0 & 0x7fffffff)) |
              (0x7f800000 - (b1 & 0x7fffffff)) |
              (0x7f800000 - (b2 & 0x7fffffff)) |
              (0x7f800000 - (b3 & 0x7fffffff)) |
              (0x7f800000 - (b4 & 0x7fffffff)) |
              (0x7f800000 - (b5 & 0x7fffffff)) |
              (0x7f800000 - (b6 & 0x7fffffff)) |
              (0x7f800000 - (b7 & 0x7fffffff)) |
              (0x7f800000 - (b8 & 0x7fffffff));
            const k0 = b0 ^ ((b0 >> 31) & 0x7fffffff);
            const k1 = b1 ^ ((b1 >> 31) & 0x7fffffff);
            const k2 = b2 ^ ((b2 >> 31) & 0x7fffffff);
            const k3 = b3 ^ ((b3 >> 31) & 0x7fffffff);
            const k4 = b4 ^ ((b4 >> 31) & 0x7fffffff);
            const k5 = b5 ^ ((b5 >> 31) & 0x7fffffff);
            const k6 = b6 ^ ((b6 >> 31) & 0x7fffffff);
            const k7 = b7 ^ ((b7 >> 31) & 0x7fffffff);
            const k8 = b8 ^ ((b8 >> 31) & 0x7fffffff);
            const m01 = (k0 + k1 + Math.abs(k0 - k1)) * 0.5;
            const m23 = (k2 + k3 + Math.abs(k2 - k3)) * 0.5;
            const m45 = (k4 + k5 + Math.abs(k4 - k5)) * 0.5;
            const m67 = (k6 + k7 + Math.abs(k6 - k7)) * 0.5;
            const m03 = (m01 + m23 + Math.abs(m01 - m23)) * 0.5;
            const m47 = (m45 + m67 + Math.abs(m45 - m67)) * 0.5;
            const m07 = (m03 + m47 + Math.abs(m03 - m47)) * 0.5;
            // k8 ≥ key(−FLT_MAX) need not hold (−∞), so the seed takes part too.
            const m8 = (acc + k8 + Math.abs(acc - k8)) * 0.5;
            acc = (m07 + m8 + Math.abs(m07 - m8)) * 0.5;
          } else for (let row = r0; row < r1; row += xsh) {
            const e = row + c1;
            let i = row + c0;
            if (e - i === 3 * xsw) {
              const b0 = xi[i]!;
              const b1 = xi[i + xsw]!;
              const b2 = xi[i + 2 * xsw]!;
              nan |= (0x7f800000 - (b0 & 0x7fffffff)) | (0x7f800000 - (b1 & 0x7fffffff)) | (0x7f800000 - (b2 & 0x7fffffff));
              const k0 = b0 ^ ((b0 >> 31) & 0x7fffffff);
              const k1 = b1 ^ ((b1 >> 31) & 0x7fffffff);
              const k2 = b2 ^ ((b2 >> 31) & 0x7fffffff);
              const m01 = (k0 + k1 + Math.abs(k0 - k1)) * 0.5;
              const m2 = (acc + k2 + Math.abs(acc - k2)) * 0.5;
              acc = (m01 + m2 + Math.abs(m01 - m2)) * 0.5;
              continue;
            }
            for (; i < e; i += xsw) {
              const b = xi[i]!;
              nan |= 0x7f800000 - (b & 0x7fffffff);
              const k = b ^ ((b >> 31) & 0x7fffffff);
              acc = (acc + k + Math.abs(acc - k)) * 0.5;
            }
          }
          const a = acc | 0;
          const bits = a ^ ((a >> 31) & 0x7fffffff);
          if (nan < 0 || (bits & 0x7fffffff) === 0) {
            let m = NEG_FLT_MAX;
            for (let row = r0; row < r1; row += xsh) {
              const e = row + c1;
              for (let i = row + c0; i < e; i += xsw) {
                const v = x[i]!;
                m = m > v ? m : v;
              }
            }
            out[o] = m;
          } else oi[o] = bits;
        }
      }
    }
  }
}

function avgForward(x: FloatArray, p: Plan, exclusive: boolean, out: FloatArray): void {
  const { g, hs, he, ws, we } = p;
  const { n: xsn, c: xsc, h: xsh, w: xsw } = p.xs;
  const { n: osn, c: osc, h: osh, w: osw } = p.os;
  const full = g.kh * g.kw;
  const N = g.n;
  const C = g.c;
  const OH = g.oh;
  const OW = g.ow;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = n * xsn + c * xsc;
      const ob = n * osn + c * osc;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hs[oh]!;
        const h1 = he[oh]!;
        const r0 = xb + h0 * xsh;
        const r1 = xb + h1 * xsh;
        let o = ob + oh * osh;
        for (let ow = 0; ow < OW; ow++, o += osw) {
          const w0 = ws[ow]!;
          const w1 = we[ow]!;
          const c0 = w0 * xsw;
          const c1 = w1 * xsw;
          let acc = 0;
          for (let row = r0; row < r1; row += xsh) {
            const e = row + c1;
            for (let i = row + c0; i < e; i += xsw) acc += x[i]!;
          }
          out[o] = acc / (exclusive ? (h1 - h0) * (w1 - w0) : full);
        }
      }
    }
  }
}

function poolBackward(x: FloatArray, y: FloatArray | null, dy: FloatArray, p: Plan, max: boolean, exclusive: boolean, dx: FloatArray): void {
  if (max) maxBackward(x, y!, dy, p, dx);
  else avgBackward(dy, p, exclusive || p.g.adaptive, dx);
}

function maxBackward(x: FloatArray, y: FloatArray, dy: FloatArray, p: Plan, dx: FloatArray): void {
  const { g, hs, he, ws, we } = p;
  const { n: xsn, c: xsc, h: xsh, w: xsw } = p.xs;
  const { n: osn, c: osc, h: osh, w: osw } = p.os;
  const N = g.n;
  const C = g.c;
  const OH = g.oh;
  const OW = g.ow;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = n * xsn + c * xsc;
      const ob = n * osn + c * osc;
      for (let oh = 0; oh < OH; oh++) {
        const r0 = xb + hs[oh]! * xsh;
        const r1 = xb + he[oh]! * xsh;
        let o = ob + oh * osh;
        for (let ow = 0; ow < OW; ow++, o += osw) {
          const c0 = ws[ow]! * xsw;
          const c1 = we[ow]! * xsw;
          // Paddle's rule: the first window position (row-major) equal to Out takes the gradient.
          const target = y[o]!;
          search: for (let row = r0; row < r1; row += xsh) {
            const e = row + c1;
            for (let i = row + c0; i < e; i += xsw) {
              if (x[i] === target) {
                dx[i]! += dy[o]!;
                break search;
              }
            }
          }
        }
      }
    }
  }
}

function avgBackward(dy: FloatArray, p: Plan, exclusive: boolean, dx: FloatArray): void {
  const { g, hs, he, ws, we } = p;
  const { n: xsn, c: xsc, h: xsh, w: xsw } = p.xs;
  const { n: osn, c: osc, h: osh, w: osw } = p.os;
  const full = g.kh * g.kw;
  const N = g.n;
  const C = g.c;
  const OH = g.oh;
  const OW = g.ow;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = n * xsn + c * xsc;
      const ob = n * osn + c * osc;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hs[oh]!;
        const h1 = he[oh]!;
        const r0 = xb + h0 * xsh;
        const r1 = xb + h1 * xsh;
        let o = ob + oh * osh;
        for (let ow = 0; ow < OW; ow++, o += osw) {
          const w0 = ws[ow]!;
          const w1 = we[ow]!;
          const c0 = w0 * xsw;
          const c1 = w1 * xsw;
          const share = dy[o]! / (exclusive ? (h1 - h0) * (w1 - w0) : full);
          for (let row = r0; row < r1; row += xsh) {
            const e = row + c1;
            for (let i = row + c0; i < e; i += xsw) dx[i]! += share;
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
  const max = strAttr(ctx.attrs, 'pooling_type') === 'max';
  const exclusive = boolAttr(ctx.attrs, 'exclusive');
  const xr = rawBuf(x); // oneDNN reads a blocked layout itself; floatBuf gives plain
  if (!(xr instanceof Float32Array && out instanceof Float32Array && dnnlPool(xr, p.g, max, exclusive, out))) {
    poolForward(floatBuf(x), p, max, exclusive, out);
  }
  return { Out: narrowTo(meta.dtype, out) };
};

const pool2dGrad: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta['X@GRAD'] as TensorMeta;
  const p = plan(pool2dGeometry('pool2d_grad', x.shape, ctx.attrs));
  const max = strAttr(ctx.attrs, 'pooling_type') === 'max';
  const dx = floatOut(meta.dtype, numel(meta.shape));
  const exclusive = boolAttr(ctx.attrs, 'exclusive');
  const xr = rawBuf(x);
  const dyr = rawBuf(inputs['Out@GRAD'] as Tensor);
  if (xr instanceof Float32Array && dyr instanceof Float32Array && dx instanceof Float32Array && dnnlPoolGrad(xr, dyr, p.g, max, exclusive, dx)) {
    return { 'X@GRAD': dx };
  }
  const y = max ? floatBuf(inputs.Out as Tensor) : null;
  poolBackward(floatBuf(x), y, floatBuf(inputs['Out@GRAD'] as Tensor), p, max, exclusive, dx);
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
