/**
 * Elementwise oneDNN primitives on flat float32 arrays: ReLU forward and backward (from the
 * output, as Paddle's relu_grad takes Out), and same-shape addition. Vectorised and run on the
 * OpenMP team, they move memory at several times the speed of a JavaScript loop. They are blind
 * to layout: callers pass arrays stored alike and give the result the same layout.
 */
import { ALG_BINARY_ADD, ALG_ELTWISE_RELU, ARG, dnnl, mdByTag, plainMd, PROP_FWD_INFERENCE, PROP_FWD_TRAINING, QUERY, TAG_NCHW8C } from './lib';
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

const cache = new Map<string, Primitive | null>();

/** Whether the oneDNN elementwise kernels take arrays of n elements. */
export function dnnlElementwise(n: number): boolean {
  return n >= MIN_ELEMENTS && dnnl() !== null;
}

function cached(key: string, make: () => Primitive | null): Primitive | null {
  let p = cache.get(key);
  if (p === undefined) {
    p = make();
    cache.set(key, p);
  }
  return p;
}

/** y = max(x, 0) (NaN becomes 0, as in Paddle's oneDNN kernel); false when oneDNN is not in use. */
export function dnnlRelu(x: Float32Array, y: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = cached(`relu:${n}`, () => {
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
  const p = cached(`relu_grad:${n}`, () => {
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
  const p = cached(`eltwise:${alg}:${alpha}:${beta}:${n}`, () => {
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
  const p = cached(`eltwise_grad:${alg}:${alpha}:${beta}:${n}`, () => {
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
  const p = cached(`binary:${alg}:${n}`, () => {
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
 * out = x ∘ y for one of BINARY, y broadcast against x along the extents where it has 1 (plain
 * layouts of up to 5 dimensions; x has the output's shape). False when oneDNN is not in use or
 * would run it only with its reference loop.
 */
export function dnnlBroadcastBinary(alg: number, x: Float32Array, xDims: readonly number[], y: Float32Array, yDims: readonly number[], out: Float32Array): boolean {
  const d = dnnl();
  if (!d || x.length < MIN_ELEMENTS || xDims.length > 5 || xDims.length !== yDims.length) return false;
  const p = cached(`bcast:${alg}:${xDims.join(',')}:${yDims.join(',')}`, () => {
    const xmd = plainMd(d, xDims);
    const ymd = plainMd(d, yDims);
    const od = desc();
    if (d.f.binary!(od, alg, xmd, ymd, xmd) !== 0) return null;
    const pd = primitiveDesc(d, od);
    if (!pd || implName(d, pd).startsWith('ref')) return null;
    return new Primitive(d, pd, [{ arg: ARG.SRC, md: xmd }, { arg: ARG.SRC_1, md: ymd }, { arg: ARG.DST, md: xmd, out: true }], true);
  });
  if (!p) return false;
  toPlain(x);
  toPlain(y);
  p.run([x, y, out]);
  return true;
}

const scalarBuf = new Float32Array(1);

/** y = x + s (a scalar given at run time, so one primitive serves every value); false when oneDNN is not in use. */
export function dnnlAddScalar(x: Float32Array, s: number, y: Float32Array, n: number): boolean {
  const d = dnnl();
  if (!d || n < MIN_ELEMENTS) return false;
  const p = cached(`add_scalar:${n}`, () => {
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

/** Per-channel binary primitives, with the layout their x operand takes. */
const channelCache = new Map<string, { p: Primitive; io: Uint8Array } | null>();

/**
 * out = x ∘ v[c] on an NCHW float32 tensor and a per-channel vector (a convolution's bias add,
 * a scale): in x's stored layout when that is nChw8c, else plain; out takes the same layout
 * (dnnl/layout.ts). False when oneDNN is not in use.
 */
export function dnnlChannelBinary(alg: number, x: Float32Array, v: Float32Array, out: Float32Array, dims: readonly number[]): boolean {
  const d = dnnl();
  const n = dims.reduce((a, b) => a * b, 1);
  if (!d || n < MIN_ELEMENTS || dims.length !== 4) return false;
  const c = dims[1]!;
  const key = (blocked: boolean): string => `${alg}:${dims.join(',')}:${blocked}`;
  const build = (blocked: boolean): { p: Primitive; io: Uint8Array } | null => {
    const io = blocked ? mdByTag(d, dims, TAG_NCHW8C) : plainMd(d, dims);
    // The per-channel operand blocked alike (C a multiple of 8: the same C contiguous floats).
    const chan = blocked ? mdByTag(d, [1, c, 1, 1], TAG_NCHW8C) : plainMd(d, [1, c, 1, 1]);
    const od = desc();
    if (d.f.binary!(od, alg, io, chan, io) !== 0) return null;
    const pd = primitiveDesc(d, od);
    if (!pd) return null;
    return { p: new Primitive(d, pd, [{ arg: ARG.SRC, query: QUERY.SRC }, { arg: ARG.SRC_1, md: chan }, { arg: ARG.DST, query: QUERY.DST, out: true }], true), io };
  };
  const get = (blocked: boolean) => {
    let e = channelCache.get(key(blocked));
    if (e === undefined) channelCache.set(key(blocked), (e = build(blocked)));
    return e;
  };
  const tag = layoutOf(x);
  let e = tag && c % 8 === 0 ? get(true) : null;
  if (e && !d.mdEqual(tag!.md, e.io)) e = null;
  const blocked = e !== null;
  if (!e) {
    toPlain(x);
    e = get(false);
  }
  if (!e) return false;
  e.p.run([x, v, out]);
  setLayout(out, blocked ? tag : undefined);
  return true;
}
