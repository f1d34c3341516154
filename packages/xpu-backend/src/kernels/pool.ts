/**
 * pool2d on xpu: max or average, with Paddle's windows (global, adaptive, ceil_mode and padding
 * from the shared geometry), NCHW or NHWC; one thread per output element. Average pooling divides
 * by the clipped window when exclusive or adaptive, else by kh·kw; an empty max window yields
 * -FLT_MAX, as Paddle seeds it.
 */
import { plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { floatType, prelude, ptrOf, type Backend } from './common';

export function cudaSource(t: string): string {
  return `${prelude(t)}
struct PoolGeom { int n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, adaptive, nhwc, is_max, exclusive; };
extern "C" __global__ void pool2d(const T* x, T* out, PoolGeom g) {
  i64 total = (i64)g.n * g.c * g.oh * g.ow;
  LOOP(i, total) {
    i64 r = i; int b, ch, oy, ox;
    if (g.nhwc) { ch = r % g.c; r /= g.c; ox = r % g.ow; r /= g.ow; oy = r % g.oh; b = r / g.oh; }
    else { ox = r % g.ow; r /= g.ow; oy = r % g.oh; r /= g.oh; ch = r % g.c; b = r / g.c; }
    int h0, h1, w0, w1;
    if (g.adaptive) {
      h0 = (oy * g.h) / g.oh; h1 = ((oy + 1) * g.h + g.oh - 1) / g.oh;
      w0 = (ox * g.w) / g.ow; w1 = ((ox + 1) * g.w + g.ow - 1) / g.ow;
    } else {
      int a = oy * g.sh - g.pt; h1 = min(a + g.kh, g.h); h0 = max(a, 0);
      int e = ox * g.sw - g.pl; w1 = min(e + g.kw, g.w); w0 = max(e, 0);
    }
    i64 sn = (i64)g.c * g.h * g.w, sc = g.nhwc ? 1 : (i64)g.h * g.w, sy = g.nhwc ? (i64)g.w * g.c : g.w, sx = g.nhwc ? g.c : 1;
    const T* p = x + b * sn + ch * sc;
    T acc = g.is_max ? (T)-3.402823466e38 : (T)0;
    for (int y = h0; y < h1; ++y)
      for (int xx = w0; xx < w1; ++xx) {
        T v = p[y * sy + xx * sx];
        acc = g.is_max ? (acc > v ? acc : v) : acc + v;
      }
    if (!g.is_max) acc /= (T)(g.exclusive || g.adaptive ? (h1 - h0) * (w1 - w0) : g.kh * g.kw);
    out[i] = acc;
  }
}`;
}

export const kernels: Record<string, KernelFn<Backend>> = {
  pool2d: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const t = floatType('pool2d', x.dtype);
    const g = plans.pool2dGeometry('pool2d', x.shape, ctx.attrs);
    const isMax = plans.strAttr(ctx.attrs, 'pooling_type') === 'max';
    const exclusive = plans.boolAttr(ctx.attrs, 'exclusive');
    const n = m.shape.reduce((a, b) => a * b, 1);
    const out = ctx.backend.empty(m.dtype, n);
    const c = ctx.backend.compute();
    const s = Int32Array.from([g.n, g.c, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, +g.adaptive, +g.nhwc, +isMax, +exclusive]);
    c.launcher.launch1d(c.module(`pool_${x.dtype}`, () => cudaSource(t)).fn('pool2d'), n, 'pps', [ptrOf(x), out.ptr, s]);
    return { Out: out };
  },
};
