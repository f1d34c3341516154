/**
 * batch_norm on NCHW float32 as oneDNN primitives. oneDNN returns the batch mean and biased
 * variance; the Paddle-specific parts (running-statistics update, SavedVariance as 1/std) stay
 * in the CPU kernel, on per-channel vectors.
 */
import { ALG_BINARY_ADD, ALG_BINARY_MUL, ARG, binaryPostOpAttr, BN_GLOBAL_STATS, mdByTag, TAG_NCHW8C, BN_USE_SCALE, BN_USE_SHIFT, dnnl, plainMd, PROP_BACKWARD, PROP_FWD_INFERENCE, PROP_FWD_TRAINING, QUERY } from './lib';
import { layoutOf } from './layout';
import { desc, Primitive, primitiveDesc } from './primitive';

const cache = new Map<string, Primitive | null>();

/** Below this many elements the fused JavaScript loops are as fast. */
const MIN_ELEMENTS = 1 << 14;

const FLAGS = BN_USE_SCALE | BN_USE_SHIFT;

function fwdDesc(data: Uint8Array, eps: number, global: boolean): Uint8Array | null {
  const d = dnnl()!;
  const od = desc();
  const st = d.f.bn_fwd!(od, global ? PROP_FWD_INFERENCE : PROP_FWD_TRAINING, data, eps, FLAGS | (global ? BN_GLOBAL_STATS : 0));
  return st === 0 ? od : null;
}

function build(kind: 'train' | 'global' | 'grad' | 'grad_global', dims: number[], eps: number, blockedIn: boolean): Primitive | null {
  const d = dnnl()!;
  const c = dims[1]!;
  const data = plainMd(d, dims);
  const vec = plainMd(d, [c]);
  const act = (arg: number, query: number, out = false) => ({ arg, query, user: data, out, keep: out });
  // oneDNN's JIT batch norm wants channel-blocked data (on plain NCHW it runs a generic loop):
  // with the reorders in and out it is still about 1.6x faster.
  const blocked = mdByTag(d, dims, TAG_NCHW8C);
  const v = (arg: number, out = false) => ({ arg, md: vec, out });
  if (kind === 'global') {
    // With fixed statistics batch norm is y = x·a + b per channel: one binary multiply with a
    // fused add, several times faster on NCHW than oneDNN's own batch norm for that layout.
    // On a blocked input it runs in that layout and leaves its output blocked too.
    // (the per-channel operands blocked alike, else oneDNN takes its reference loop; for
    // C a multiple of 8, as tagged arrays always are, that is the same C contiguous floats).
    const chan = blockedIn ? mdByTag(d, [1, c, 1, 1], TAG_NCHW8C) : plainMd(d, [1, c, 1, 1]);
    const io = blockedIn ? blocked : data;
    const od = desc();
    if (d.f.binary!(od, ALG_BINARY_MUL, io, chan, io) !== 0) return null;
    const pd = primitiveDesc(d, od, null, binaryPostOpAttr(d, ALG_BINARY_ADD, chan));
    if (!pd) return null;
    return new Primitive(d, pd, [
      act(ARG.SRC, QUERY.SRC),
      { arg: ARG.SRC_1, md: chan },
      { arg: ARG.POST_OP_0_SRC_1, md: chan },
      act(ARG.DST, QUERY.DST, true),
    ]);
  }
  const global = kind === 'grad_global';
  const fd = fwdDesc(blocked, eps, global);
  if (!fd) return null;
  const fpd = primitiveDesc(d, fd);
  if (!fpd) return null;
  if (kind === 'train') {
    return new Primitive(d, fpd, [act(ARG.SRC, QUERY.SRC), v(ARG.SCALE), v(ARG.SHIFT), act(ARG.DST, QUERY.DST, true), v(ARG.MEAN, true), v(ARG.VARIANCE, true)]);
  }
  const bd = desc();
  if (d.f.bn_bwd!(bd, PROP_BACKWARD, blocked, blocked, eps, FLAGS | (global ? BN_GLOBAL_STATS : 0)) !== 0) return null;
  const bpd = primitiveDesc(d, bd, fpd);
  if (!bpd) return null;
  return new Primitive(d, bpd, [
    act(ARG.SRC, QUERY.SRC),
    v(ARG.MEAN),
    v(ARG.VARIANCE),
    act(ARG.DIFF_DST, QUERY.DIFF_DST),
    v(ARG.SCALE),
    v(ARG.SHIFT), // required with the use_shift flag though the gradient does not read it
    act(ARG.DIFF_SRC, QUERY.DIFF_SRC, true),
    v(ARG.DIFF_SCALE, true),
    v(ARG.DIFF_SHIFT, true),
  ]);
}

function primitive(kind: 'train' | 'global' | 'grad' | 'grad_global', dims: number[], eps: number, blockedIn = false): Primitive | null {
  if (!dnnl() || dims.reduce((a, b) => a * b, 1) < MIN_ELEMENTS) return null;
  const key = `${kind}:${dims.join(',')}:${eps}:${blockedIn}`;
  let p = cache.get(key);
  if (p === undefined) {
    p = build(kind, dims, eps, blockedIn);
    cache.set(key, p);
  }
  return p;
}

/**
 * Training forward: y = (x − μ)/√(σ² + ε)·scale + shift with the batch's μ and biased σ²,
 * written into mean and variance. False when oneDNN is not in use.
 */
export function dnnlBatchNormTrain(
  x: Float32Array,
  dims: number[],
  eps: number,
  scale: Float32Array,
  shift: Float32Array,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): boolean {
  const p = primitive('train', dims, eps);
  if (!p) return false;
  p.run([x, scale, shift, y, mean, variance]);
  return true;
}

/** Inference forward with given statistics. */
export function dnnlBatchNormGlobal(
  x: Float32Array,
  dims: number[],
  eps: number,
  scale: Float32Array,
  shift: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  y: Float32Array,
): boolean {
  const p = primitive('global', dims, eps, layoutOf(x) !== undefined);
  if (!p) return false;
  const c = dims[1]!;
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const r = scale[i]! / Math.sqrt(variance[i]! + eps);
    a[i] = r;
    b[i] = shift[i]! - mean[i]! * r;
  }
  p.run([x, a, b, y]);
  return true;
}

/** Gradients of x, scale and shift; `global` when the forward used fixed statistics. */
export function dnnlBatchNormGrad(
  x: Float32Array,
  dims: number[],
  eps: number,
  global: boolean,
  mean: Float32Array,
  variance: Float32Array,
  dy: Float32Array,
  scale: Float32Array,
  dx: Float32Array,
  dscale: Float32Array,
  dshift: Float32Array,
): boolean {
  const p = primitive(global ? 'grad_global' : 'grad', dims, eps);
  if (!p) return false;
  p.run([x, mean, variance, dy, scale, dshift, dx, dscale, dshift]);
  return true;
}
