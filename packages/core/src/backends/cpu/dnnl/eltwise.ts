/**
 * Elementwise oneDNN primitives on flat float32 arrays: ReLU forward and backward (from the
 * output, as Paddle's relu_grad takes Out), and same-shape addition. Vectorised and run on the
 * OpenMP team, they move memory at several times the speed of a JavaScript loop. They are blind
 * to layout: callers pass arrays stored alike and give the result the same layout.
 */
import { takeF32 } from '../pool';
import { ALG_BINARY_ADD, ALG_ELTWISE_RELU, ARG, dnnl, type Dnnl, mdByTag, plainMd, PROP_FWD_INFERENCE, PROP_FWD_TRAINING, QUERY, TAG_NCHW8C } from './lib';
import { layoutOf, setLayout, toPlain } from './layout';
import { desc, implName, Primitive, primitiveDesc } from './primitive';

/** oneDNN's relu backward computed from dst (dnnl_eltwise_relu_use_dst_for_bwd). */
const ALG_RELU_USE_DST = 256;

/** Eltwise algorithms of dnnl_alg_kind_t: y = x², √x. */
export const ELTWISE = { square: 79, sqrt: 111 } as const;
/** Binary algorithms: a + b, a·b, a / b. */
export const BINARY = { add: ALG_BINARY_ADD, mul: 0x1fff1, div: 0x1fff4 } as const;

/** Below this many elements a JavaScript loop is as fast as a library call. */
const MIN_ELEMENTS = 1 << 14;

const NONE: readonly number[] = [];

interface CacheEntry<T> {
  alg: number;
  a: readonly number[];
  b: readonly number[];
  value: T;
}

/**
 * Built primitives (null where oneDNN has none) by element count, algorithm and up to two lists
 * of numbers (dims, α and β). Looked up on every operator call, so the key is compared in place
 * instead of built as a string and hashed each time.
 */
class PrimitiveCache<T> {
  private readonly byCount = new Map<number, CacheEntry<T>[]>();

  get(n: number, alg: number, a: readonly number[], b: readonly number[], make: () => T): T {
    let list = this.byCount.get(n);
    if (!list) this.byCount.set(n, (list = []));
    for (const e of list) if (e.alg === alg && sameNumbers(e.a, a) && sameNumbers(e.b, b)) return e.value;
    const value = make();
    list.push({ alg, a: [...a], b: [...b], value });
    return value;
  }
}

/** Object.is per element: a β of -0 and one of 0 get different primitives, NaN finds its own. */
function sameNumbers(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

const reluCache = new PrimitiveCache<Primitive | null>();
const reluGradCache = new PrimitiveCache<Primitive | null>();
const eltwiseCache = new PrimitiveCache<Primitive | null>();
const eltwiseGradCache = new PrimitiveCache<Primitive | null>();
const binaryCache = new PrimitiveCache<Primitive | null>();
const broadcastCache = new PrimitiveCache<Primitive | null>();
const addScalarCache = new PrimitiveCache<Primitive | null>();

/** Whether the oneDNN elementwise kernels take arrays of n elements. */
export function dnnlElementwise(n: number): boolean {
  return n >= MIN_ELEMENTS && dnnl() !== null;
}

/** y = max(x, 0) (NaN becomes 0, as in Paddle's oneDNN kernel); false when oneDNN is not in use. */
export function dnnlRelu(x: Float32Array, y: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = reluCache.get(n, ALG_ELTWISE_RELU, NONE, NONE, () => {
    const md = plainMd(d, [n]);
    const od = desc();
    if (d.f.eltwise_fwd!(od, PROP_FWD_INFERENCE, ALG_ELTWISE_RELU, md, 0, 0) !== 0) return null;
    const pd = primitiveDesc(d, od);
    return pd
      ? new Primitive(d, pd, [
          { arg: ARG.SRC, query: QUERY.SRC },
          { arg: ARG.DST, query: QUERY.DST, out: true },
        ], true)
      : null;
  });
  if (!p) return false;
  p.run([x, y]);
  return true;
}

/** dx = y > 0 ? dy : 0 with y the ReLU output; false when oneDNN is not in use. */
export function dnnlReluGrad(y: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = reluGradCache.get(n, ALG_RELU_USE_DST, NONE, NONE, () => {
    const md = plainMd(d, [n]);
    const fd = desc();
    if (d.f.eltwise_fwd!(fd, PROP_FWD_TRAINING, ALG_RELU_USE_DST, md, 0, 0) !== 0) return null;
    const hint = primitiveDesc(d, fd);
    const bd = desc();
    if (!hint || d.f.eltwise_bwd!(bd, ALG_RELU_USE_DST, md, md, 0, 0) !== 0) return null;
    const pd = primitiveDesc(d, bd, hint);
    return pd
      ? new Primitive(d, pd, [
          { arg: ARG.DST, query: QUERY.DST },
          { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST },
          { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, out: true },
        ], true)
      : null;
  });
  if (!p) return false;
  p.run([y, dy, dx]);
  return true;
}

/** out = a + b for arrays of the same length; false when oneDNN is not in use. */
export function dnnlAdd(a: Float32Array, b: Float32Array, out: Float32Array, n: number): boolean {
  return dnnlBinary(BINARY.add, a, b, out, n);
}

/**
 * y = f(x) elementwise for one of ELTWISE (α, β its parameters, fixed per primitive: constant
 * values only); false when oneDNN is not in use.
 */
export function dnnlEltwise(alg: number, alpha: number, beta: number, x: Float32Array, y: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = eltwiseCache.get(n, alg, [alpha, beta], NONE, () => {
    const md = plainMd(d, [n]);
    const od = desc();
    if (d.f.eltwise_fwd!(od, PROP_FWD_INFERENCE, alg, md, alpha, beta) !== 0) return null;
    const pd = primitiveDesc(d, od);
    return pd ? new Primitive(d, pd, [{ arg: ARG.SRC, query: QUERY.SRC }, { arg: ARG.DST, query: QUERY.DST, out: true }], true) : null;
  });
  if (!p) return false;
  p.run([x, y]);
  return true;
}

/**
 * dx = f'(·)·dy for one of the eltwise algorithms, from the forward input (`from` = x) or, for the
 * *_USE_DST algorithms, its result (`from` = y); false when oneDNN is not in use.
 */
export function dnnlEltwiseGrad(alg: number, alpha: number, beta: number, from: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const useDst = alg >= 0x100;
  const p = eltwiseGradCache.get(n, alg, [alpha, beta], NONE, () => {
    const md = plainMd(d, [n]);
    const fd = desc();
    if (d.f.eltwise_fwd!(fd, PROP_FWD_TRAINING, alg, md, alpha, beta) !== 0) return null;
    const hint = primitiveDesc(d, fd);
    const bd = desc();
    if (!hint || d.f.eltwise_bwd!(bd, alg, md, md, alpha, beta) !== 0) return null;
    const pd = primitiveDesc(d, bd, hint);
    return pd
      ? new Primitive(d, pd, [
          useDst ? { arg: ARG.DST, query: QUERY.DST } : { arg: ARG.SRC, query: QUERY.SRC },
          { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST },
          { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, out: true },
        ], true)
      : null;
  });
  if (!p) return false;
  p.run([from, dy, dx]);
  return true;
}

/** out = a ∘ b elementwise for one of BINARY; false when oneDNN is not in use. */
export function dnnlBinary(alg: number, a: Float32Array, b: Float32Array, out: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = binaryCache.get(n, alg, NONE, NONE, () => {
    const md = plainMd(d, [n]);
    const od = desc();
    if (d.f.binary!(od, alg, md, md, md) !== 0) return null;
    const pd = primitiveDesc(d, od);
    return pd
      ? new Primitive(d, pd, [{ arg: ARG.SRC, query: QUERY.SRC }, { arg: ARG.SRC_1, query: QUERY.SRC, index: 1 }, { arg: ARG.DST, query: QUERY.DST, out: true }], true)
      : null;
  });
  if (!p) return false;
  p.run([a, b, out]);
  return true;
}

/**
 * x ∘ y for one of BINARY, y broadcast against x along the extents where it has 1 (plain
 * layouts of up to 5 dimensions; x has the output's shape), into a new array from the pool.
 * Null when oneDNN is not in use or would run it only with its reference loop.
 */
export function dnnlBroadcastBinary(alg: number, x: Float32Array, xDims: readonly number[], y: Float32Array, yDims: readonly number[]): Float32Array | null {
  const d = dnnl();
  if (!d || x.length < MIN_ELEMENTS || xDims.length > 5 || xDims.length !== yDims.length) return null;
  const p = broadcastCache.get(x.length, alg, xDims, yDims, () => {
    const xmd = plainMd(d, xDims);
    const ymd = plainMd(d, yDims);
    const od = desc();
    if (d.f.binary!(od, alg, xmd, ymd, xmd) !== 0) return null;
    const pd = primitiveDesc(d, od);
    if (!pd || implName(d, pd).startsWith('ref')) return null;
    return new Primitive(d, pd, [{ arg: ARG.SRC, md: xmd }, { arg: ARG.SRC_1, md: ymd }, { arg: ARG.DST, md: xmd, out: true }], true);
  });
  if (!p) return null;
  toPlain(x);
  toPlain(y);
  const out = takeF32(x.length, false);
  p.run([x, y, out]);
  return out;
}

const scalarBuf = new Float32Array(1);

/** y = x + s (a scalar given at run time, so one primitive serves every value); false when oneDNN is not in use. */
export function dnnlAddScalar(x: Float32Array, s: number, y: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = addScalarCache.get(n, BINARY.add, NONE, NONE, () => {
    const md = plainMd(d, [n]);
    const one = plainMd(d, [1]);
    const od = desc();
    if (d.f.binary!(od, BINARY.add, md, one, md) !== 0) return null;
    const pd = primitiveDesc(d, od);
    return pd ? new Primitive(d, pd, [{ arg: ARG.SRC, query: QUERY.SRC }, { arg: ARG.SRC_1, md: one }, { arg: ARG.DST, query: QUERY.DST, out: true }], true) : null;
  });
  if (!p) return false;
  scalarBuf[0] = s;
  p.run([x, scalarBuf, y]);
  return true;
}

interface ChannelPrimitive {
  p: Primitive;
  /** The layout its x operand and result take. */
  io: Uint8Array;
}

/** Per-channel binary primitives on blocked (nChw8c) and on plain operands. */
const channelCache = { blocked: new PrimitiveCache<ChannelPrimitive | null>(), plain: new PrimitiveCache<ChannelPrimitive | null>() };

function channelPrimitive(d: Dnnl, alg: number, dims: readonly number[], n: number, blocked: boolean): ChannelPrimitive | null {
  return channelCache[blocked ? 'blocked' : 'plain'].get(n, alg, dims, NONE, () => {
    const c = dims[1]!;
    const io = blocked ? mdByTag(d, dims, TAG_NCHW8C) : plainMd(d, dims);
    // The per-channel operand blocked alike (C a multiple of 8: the same C contiguous floats).
    const chan = blocked ? mdByTag(d, [1, c, 1, 1], TAG_NCHW8C) : plainMd(d, [1, c, 1, 1]);
    const od = desc();
    if (d.f.binary!(od, alg, io, chan, io) !== 0) return null;
    const pd = primitiveDesc(d, od);
    if (!pd) return null;
    return { p: new Primitive(d, pd, [{ arg: ARG.SRC, query: QUERY.SRC }, { arg: ARG.SRC_1, md: chan }, { arg: ARG.DST, query: QUERY.DST, out: true }], true), io };
  });
}

/**
 * x ∘ v[c] on an NCHW float32 tensor (dims, x.length elements) and a per-channel vector (a
 * convolution's bias add, a scale), into a new array from the pool: in x's stored layout when
 * that is nChw8c, else plain; the result takes the same layout (dnnl/layout.ts). Null when
 * oneDNN is not in use.
 */
export function dnnlChannelBinary(alg: number, x: Float32Array, v: Float32Array, dims: readonly number[]): Float32Array | null {
  const d = dnnl();
  const n = x.length;
  if (!d || n < MIN_ELEMENTS || dims.length !== 4) return null;
  const tag = layoutOf(x);
  let e = tag && dims[1]! % 8 === 0 ? channelPrimitive(d, alg, dims, n, true) : null;
  if (e && !d.mdEqual(tag!.md, e.io)) e = null;
  const blocked = e !== null;
  if (!e) {
    toPlain(x);
    e = channelPrimitive(d, alg, dims, n, false);
  }
  if (!e) return null;
  const out = takeF32(n, false);
  e.p.run([x, v, out]);
  setLayout(out, blocked ? tag : undefined);
  return out;
}
