/**
 * Convolutions (NCHW, float32) as oneDNN primitives: forward, data gradient and filter gradient
 * of the convolution described by a ConvGeom, so the transposed convolutions reuse them as the
 * CPU kernels do. Activations and filters are reordered into oneDNN's blocked layouts and back
 * per call; that costs a few percent and keeps Oar's tensors plain NCHW.
 */
import type { ConvGeom } from '../../../kernels/specs/conv';
import {
  ALG_BINARY_ADD,
  ALG_CONV_DIRECT,
  ARG,
  dimsArg,
  dnnl,
  mdByTag,
  plainMd,
  postOpsAttr,
  PROP_FWD_INFERENCE,
  PROP_FWD_TRAINING,
  QUERY,
  TAG_ANY,
  type Dnnl,
  type PostOp,
} from './lib';
import { desc, implName, Primitive, primitiveDesc } from './primitive';
import { runWithWeights, type WeightKey } from './weights';

type Kind = 'fwd' | 'data' | 'filter';

/** What a fused forward convolution adds to its result (inference: Paddle's fused conv2d). */
export interface ConvFusion {
  /** One value per output channel. */
  bias?: Float32Array;
  /** Added to the result (the output's shape; may be in a blocked layout). */
  residual?: Float32Array;
  /** A oneDNN eltwise algorithm applied last. */
  act?: { alg: number; alpha: number; beta: number };
}

const cache = new Map<string, Primitive | null>();

function fusionKey(f: ConvFusion | undefined): string {
  if (!f) return '';
  return `|${f.bias ? 'b' : ''}${f.residual ? 's' : ''}${f.act ? `${f.act.alg},${f.act.alpha},${f.act.beta}` : ''}`;
}

function key(kind: Kind, g: ConvGeom, fusion?: ConvFusion): string {
  return `${kind}:${g.n},${g.c},${g.h},${g.w},${g.m},${g.kh},${g.kw},${g.oh},${g.ow},${g.sh},${g.sw},${g.pt},${g.pl},${g.dh},${g.dw},${g.groups}${fusionKey(fusion)}`;
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

/**
 * The inference convolution with a bias and post-ops: the residual added by a binary post-op
 * (read in the layout the convolution writes, so a blocked residual from the previous convolution
 * is read in place), then the activation. Null when oneDNN has no JIT kernel for the combination.
 */
function buildFused(d: Dnnl, g: ConvGeom, fusion: ConvFusion): Primitive | null {
  const s = shapes(g);
  const biasMd = fusion.bias ? plainMd(d, [g.m]) : null;
  const init = (dst: unknown): Uint8Array | null => {
    const od = desc();
    const st = d.f.conv_fwd!(od, PROP_FWD_INFERENCE, ALG_CONV_DIRECT, anyMd(d, s.src), anyMd(d, s.wei), biasMd, dst, s.strides, s.dil, s.pl, s.pr);
    return st === 0 ? od : null;
  };
  let od = init(anyMd(d, s.dst));
  if (!od) return null;
  const post: PostOp[] = [];
  let dstMd: unknown = null;
  if (fusion.residual) {
    // The binary operand's layout must be given up front: the one oneDNN picks for the output.
    const probe = primitiveDesc(d, od);
    if (!probe) return null;
    dstMd = d.queryMd(probe, QUERY.DST, 0);
    od = init(dstMd);
    if (!od) return null;
    post.push({ binary: ALG_BINARY_ADD, md: dstMd });
  }
  if (fusion.act) post.push({ eltwise: fusion.act.alg, alpha: fusion.act.alpha, beta: fusion.act.beta });
  const pd = primitiveDesc(d, od, null, post.length ? postOpsAttr(d, post) : null);
  if (!pd || !implName(d, pd).startsWith('jit')) return null;
  const dst = plainMd(d, s.dst);
  return new Primitive(d, pd, [
    { arg: ARG.SRC, query: QUERY.SRC, user: plainMd(d, s.src) },
    { arg: ARG.WEIGHTS, query: QUERY.WEIGHTS, user: plainMd(d, s.wei) },
    ...(biasMd ? [{ arg: ARG.BIAS, md: biasMd }] : []),
    ...(dstMd ? [{ arg: ARG.POST_OP_0_SRC_1, md: dstMd, user: dst }] : []),
    { arg: ARG.DST, query: QUERY.DST, user: dst, out: true, keep: true },
  ]);
}

function build(d: Dnnl, kind: Kind, g: ConvGeom, fusion?: ConvFusion): Primitive | null {
  if (fusion) return buildFused(d, g, fusion);
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

function primitive(kind: Kind, g: ConvGeom, fusion?: ConvFusion): Primitive | null {
  const d = dnnl();
  if (!d || g.nhwc) return null;
  const k = key(kind, g, fusion);
  let p = cache.get(k);
  if (p === undefined) {
    p = build(d, kind, g, fusion);
    cache.set(k, p);
  }
  return p;
}

/**
 * y = conv(x, f), with the fusion's bias, residual and activation when given; false when oneDNN
 * is not in use or lacks the case (then y is untouched).
 */
export function dnnlConvForward(x: Float32Array, f: Float32Array, g: ConvGeom, y: Float32Array, key?: WeightKey, fusion?: ConvFusion): boolean {
  const p = primitive('fwd', g, fusion);
  if (!p) return false;
  const arrays = [x, f];
  if (fusion?.bias) arrays.push(fusion.bias);
  if (fusion?.residual) arrays.push(fusion.residual);
  arrays.push(y);
  runWithWeights(p, arrays, key);
  return true;
}

/** dx = the data gradient of conv for dy (dx overwritten). */
export function dnnlConvBackwardData(dy: Float32Array, f: Float32Array, g: ConvGeom, dx: Float32Array, key?: WeightKey): boolean {
  const p = primitive('data', g);
  if (!p) return false;
  runWithWeights(p, [dy, f, dx], key);
  return true;
}

/** df = the filter gradient of conv for x and dy (df overwritten). */
export function dnnlConvBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeom, df: Float32Array): boolean {
  const p = primitive('filter', g);
  if (!p) return false;
  p.run([x, dy, df]);
  return true;
}
