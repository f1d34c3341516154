/**
 * pool2d (max, and average with or without the padding in the divisor) on NCHW float32 as
 * oneDNN primitives. Paddle's pool2d_grad gets X, Out and Out@GRAD but oneDNN's max-pooling
 * gradient wants the argmax workspace of a training forward, so the gradient reruns that
 * forward (a small cost beside the gradient itself) into scratch memory first.
 */
import type { Pool2dGeometry } from '../../../kernels/specs/pool';
import { ALG_POOL_AVG_EXCLUDE_PAD, ALG_POOL_AVG_INCLUDE_PAD, ALG_POOL_MAX, ARG, dimsArg, dnnl, mdByTag, plainMd, PROP_FWD_INFERENCE, PROP_FWD_TRAINING, QUERY, TAG_NCHW8C } from './lib';
import { desc, Primitive, primitiveDesc } from './primitive';

interface PoolPrims {
  fwd: Primitive;
  bwd?: Primitive;
}

const cache = new Map<string, PoolPrims | null>();

/** Below this many input elements the JavaScript loops are as fast. */
const MIN_ELEMENTS = 1 << 14;

function alg(max: boolean, exclusive: boolean): number {
  if (max) return ALG_POOL_MAX;
  return exclusive ? ALG_POOL_AVG_EXCLUDE_PAD : ALG_POOL_AVG_INCLUDE_PAD;
}

function build(g: Pool2dGeometry, max: boolean, exclusive: boolean, grad: boolean): PoolPrims | null {
  const d = dnnl()!;
  // Pooling's JIT kernels want channel-blocked data (plain NCHW gets a scalar loop, slower
  // than ours), so the primitive works on nChw8c and the arguments are reordered.
  const userSrc = plainMd(d, [g.n, g.c, g.h, g.w]);
  const userDst = plainMd(d, [g.n, g.c, g.oh, g.ow]);
  const src = mdByTag(d, [g.n, g.c, g.h, g.w], TAG_NCHW8C);
  const dst = mdByTag(d, [g.n, g.c, g.oh, g.ow], TAG_NCHW8C);
  const strides = dimsArg([g.sh, g.sw]);
  const kernel = dimsArg([g.kh, g.kw]);
  const dil = dimsArg([0, 0]);
  const pl = dimsArg([g.padTop, g.padLeft]);
  // Trailing padding that gives our output size (ceil_mode adds rows; floor may drop some).
  const pr = dimsArg([(g.oh - 1) * g.sh + g.kh - g.h - g.padTop, (g.ow - 1) * g.sw + g.kw - g.w - g.padLeft]);
  const a = alg(max, exclusive);
  const fd = desc();
  const prop = grad && max ? PROP_FWD_TRAINING : PROP_FWD_INFERENCE;
  if (d.f.pool_fwd!(fd, prop, a, src, dst, strides, kernel, dil, pl, pr) !== 0) return null;
  const fpd = primitiveDesc(d, fd);
  if (!fpd) return null;
  const withWs = prop === PROP_FWD_TRAINING;
  const fwd = new Primitive(d, fpd, [
    { arg: ARG.SRC, query: QUERY.SRC, user: userSrc },
    { arg: ARG.DST, query: QUERY.DST, user: userDst, out: true, keep: true },
    ...(withWs ? [{ arg: ARG.WORKSPACE, query: QUERY.WORKSPACE, out: true }] : []),
  ]);
  if (!grad) return { fwd };
  const bd = desc();
  if (d.f.pool_bwd!(bd, a, src, dst, strides, kernel, dil, pl, pr) !== 0) return null;
  const bpd = primitiveDesc(d, bd, fpd);
  if (!bpd) return null;
  const bwd = new Primitive(d, bpd, [
    { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST, user: userDst },
    ...(withWs ? [{ arg: ARG.WORKSPACE, query: QUERY.WORKSPACE }] : []),
    { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, user: userSrc, out: true, keep: true },
  ]);
  return { fwd, bwd };
}

/** Adaptive pooling whose output divides its input evenly is plain pooling with k = s = in/out. */
function uniform(g: Pool2dGeometry): Pool2dGeometry | null {
  if (!g.adaptive) return g;
  if (g.h % g.oh !== 0 || g.w % g.ow !== 0) return null;
  const kh = g.h / g.oh;
  const kw = g.w / g.ow;
  return { ...g, kh, kw, sh: kh, sw: kw, padTop: 0, padLeft: 0, adaptive: false };
}

function prims(geom: Pool2dGeometry, max: boolean, exclusive: boolean, grad: boolean): PoolPrims | null {
  const g = uniform(geom);
  if (!dnnl() || !g || g.nhwc || g.n * g.c * g.h * g.w < MIN_ELEMENTS) return null;
  const key = `${grad}:${max}:${exclusive}:${g.n},${g.c},${g.h},${g.w},${g.oh},${g.ow},${g.kh},${g.kw},${g.sh},${g.sw},${g.padTop},${g.padLeft}`;
  let p = cache.get(key);
  if (p === undefined) {
    p = build(g, max, exclusive, grad);
    cache.set(key, p);
  }
  return p;
}

/** Workspace and scratch output of the forward rerun by the max-pooling gradient. */
let wsBuf = new Float32Array(0);
let yBuf = new Float32Array(0);

/** out = pool(x); false when oneDNN is not in use or lacks the case. */
export function dnnlPool(x: Float32Array, g: Pool2dGeometry, max: boolean, exclusive: boolean, out: Float32Array): boolean {
  const p = prims(g, max, exclusive, false);
  if (!p) return false;
  p.fwd.run([x, out]);
  return true;
}

/** dx = the gradient of pool for dy (dx overwritten). */
export function dnnlPoolGrad(x: Float32Array, dy: Float32Array, g: Pool2dGeometry, max: boolean, exclusive: boolean, dx: Float32Array): boolean {
  const p = prims(g, max, exclusive, true);
  if (!p?.bwd) return false;
  if (!max) {
    p.bwd.run([dy, dx]);
    return true;
  }
  if (yBuf.length < dy.length) yBuf = new Float32Array(dy.length);
  const ws = Math.ceil(p.fwd.argBytes(2) / 4);
  if (wsBuf.length < ws) wsBuf = new Float32Array(ws);
  p.fwd.run([x, yBuf, wsBuf]);
  p.bwd.run([dy, wsBuf, dx]);
  return true;
}
