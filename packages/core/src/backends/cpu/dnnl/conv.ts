/**
 * Convolutions (NCHW, float32) as oneDNN primitives: forward, data gradient and filter gradient
 * of the convolution described by a ConvGeom, so the transposed convolutions reuse them as the
 * CPU kernels do. Activations and filters are reordered into oneDNN's blocked layouts and back
 * per call; that costs a few percent and keeps Oar's tensors plain NCHW.
 */
import type { ConvGeom } from '../../../kernels/specs/conv';
import { ALG_CONV_DIRECT, ARG, dimsArg, dnnl, plainMd, PROP_FWD_TRAINING, QUERY, TAG_ANY, mdByTag, type Dnnl } from './lib';
import { desc, implName, Primitive, primitiveDesc } from './primitive';

type Kind = 'fwd' | 'data' | 'filter';

const cache = new Map<string, Primitive | null>();

function key(kind: Kind, g: ConvGeom): string {
  return `${kind}:${g.n},${g.c},${g.h},${g.w},${g.m},${g.kh},${g.kw},${g.oh},${g.ow},${g.sh},${g.sw},${g.pt},${g.pl},${g.dh},${g.dw},${g.groups}`;
}

interface Shapes {
  src: number[];
  wei: number[];
  dst: number[];
  strides: BigInt64Array;
  dil: BigInt64Array;
  pl: BigInt64Array;
  pr: BigInt64Array;
}

function shapes(g: ConvGeom): Shapes {
  const mg = g.m / g.groups;
  const cg = g.c / g.groups;
  const wei = g.groups === 1 ? [g.m, g.c, g.kh, g.kw] : [g.groups, mg, cg, g.kh, g.kw];
  // The bottom/right padding that makes oneDNN's output size equal ours (floor division may
  // leave input rows unread; oneDNN expresses that as a smaller, even negative, padding).
  const pb = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h - g.pt;
  const pr = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w - g.pl;
  return {
    src: [g.n, g.c, g.h, g.w],
    wei,
    dst: [g.n, g.m, g.oh, g.ow],
    strides: dimsArg([g.sh, g.sw]),
    dil: dimsArg([g.dh - 1, g.dw - 1]),
    pl: dimsArg([g.pt, g.pl]),
    pr: dimsArg([pb, pr]),
  };
}

function anyMd(d: Dnnl, dims: number[]): Uint8Array {
  return mdByTag(d, dims, TAG_ANY);
}

/** The forward primitive descriptor (also the hint the backward ones need). */
function forwardPd(d: Dnnl, s: Shapes): unknown | null {
  const od = desc();
  const st = d.f.conv_fwd!(od, PROP_FWD_TRAINING, ALG_CONV_DIRECT, anyMd(d, s.src), anyMd(d, s.wei), null, anyMd(d, s.dst), s.strides, s.dil, s.pl, s.pr);
  if (st !== 0) return null;
  return primitiveDesc(d, od);
}

function build(d: Dnnl, kind: Kind, g: ConvGeom): Primitive | null {
  const s = shapes(g);
  const fwd = forwardPd(d, s);
  if (!fwd) return null;
  const src = plainMd(d, s.src);
  const wei = plainMd(d, s.wei);
  const dst = plainMd(d, s.dst);
  if (kind === 'fwd') {
    return new Primitive(d, fwd, [
      { arg: ARG.SRC, query: QUERY.SRC, user: src },
      { arg: ARG.WEIGHTS, query: QUERY.WEIGHTS, user: wei },
      { arg: ARG.DST, query: QUERY.DST, user: dst, out: true, keep: true },
    ]);
  }
  const od = desc();
  if (kind === 'data') {
    if (d.f.conv_bwd_data!(od, ALG_CONV_DIRECT, anyMd(d, s.src), anyMd(d, s.wei), anyMd(d, s.dst), s.strides, s.dil, s.pl, s.pr) !== 0) return null;
    const pd = primitiveDesc(d, od, fwd);
    if (!pd) return null;
    return new Primitive(d, pd, [
      { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST, user: dst },
      { arg: ARG.WEIGHTS, query: QUERY.WEIGHTS, user: wei },
      { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, user: src, out: true, keep: true },
    ]);
  }
  if (d.f.conv_bwd_weights!(od, ALG_CONV_DIRECT, anyMd(d, s.src), anyMd(d, s.wei), null, anyMd(d, s.dst), s.strides, s.dil, s.pl, s.pr) !== 0) return null;
  const pd = primitiveDesc(d, od, fwd);
  // Where its JIT kernels decline (tiny images: 3x3 filters on 1x1 or 2x2 maps), oneDNN's
  // fallback filter gradient ran 5-13x slower than our own GEMM lowering through OpenBLAS.
  if (!pd || implName(d, pd).includes('gemm')) return null;
  return new Primitive(d, pd, [
    { arg: ARG.SRC, query: QUERY.SRC, user: src },
    { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST, user: dst },
    { arg: ARG.DIFF_WEIGHTS, query: QUERY.DIFF_WEIGHTS, user: wei, out: true },
  ]);
}

function primitive(kind: Kind, g: ConvGeom): Primitive | null {
  const d = dnnl();
  if (!d || g.nhwc) return null;
  const k = key(kind, g);
  let p = cache.get(k);
  if (p === undefined) {
    p = build(d, kind, g);
    cache.set(k, p);
  }
  return p;
}

/**
 * Identifies a filter's contents: the tensor storage it lives in and that storage's version
 * (bumped by every in-place update, e.g. an optimizer step).
 */
export interface FilterKey {
  storage: object;
  version: number;
}

interface CachedFilter {
  version: number;
  data: Float32Array;
}

/**
 * Filters already reordered into a primitive's blocked layout, per storage and primitive: a
 * network run again with unchanged weights (inference) skips their reorders; after an update
 * the reorder reuses the cached array.
 */
const filters = new WeakMap<object, Map<Primitive, CachedFilter>>();

/** Runs p on [a, f, out] with the filter (argument 1) taken from, or put into, the cache. */
function runWithFilter(p: Primitive, a: Float32Array, f: Float32Array, out: Float32Array, key: FilterKey | undefined): void {
  if (!key) return p.run([a, f, out]);
  let perPrim = filters.get(key.storage);
  if (!perPrim) filters.set(key.storage, (perPrim = new Map()));
  const hit = perPrim.get(p);
  if (hit?.version === key.version) return p.run([a, hit.data, out], READY_FILTER);
  const data = p.prepare(1, f, hit?.data);
  if (!data) return p.run([a, f, out]);
  perPrim.set(p, { version: key.version, data });
  p.run([a, data, out], READY_FILTER);
}

const READY_FILTER: ReadonlySet<number> = new Set([1]);

/** y = conv(x, f); false when oneDNN is not in use or lacks the case. */
export function dnnlConvForward(x: Float32Array, f: Float32Array, g: ConvGeom, y: Float32Array, key?: FilterKey): boolean {
  const p = primitive('fwd', g);
  if (!p) return false;
  runWithFilter(p, x, f, y, key);
  return true;
}

/** dx = the data gradient of conv for dy (dx overwritten). */
export function dnnlConvBackwardData(dy: Float32Array, f: Float32Array, g: ConvGeom, dx: Float32Array, key?: FilterKey): boolean {
  const p = primitive('data', g);
  if (!p) return false;
  runWithFilter(p, dy, f, dx, key);
  return true;
}

/** df = the filter gradient of conv for x and dy (df overwritten). */
export function dnnlConvBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeom, df: Float32Array): boolean {
  const p = primitive('filter', g);
  if (!p) return false;
  p.run([x, dy, df]);
  return true;
}
