/**
 * Sums and means over axes of a float32 tensor without first turning a blocked one
 * (dnnl/layout.ts) back to plain: per-channel sums of nChw8c data (a convolution-bias gradient)
 * directly in its layout, and oneDNN's reduction where it has a JIT kernel for the case (its
 * reference loop ran 15-20x slower than ours, so such cases are declined).
 */
import { dnnl, mdByTag, plainMd, TAG_NCHW8C } from './lib';
import { layoutOf, toPlain } from './layout';
import { desc, implName, Primitive, primitiveDesc } from './primitive';

/** dnnl_alg_kind_t of the reductions. */
export const REDUCTION = { sum: 0x2fff4, mean: 0x2fff6 } as const;

/** Below this many input elements the JavaScript loop is as fast. */
const MIN_ELEMENTS = 1 << 14;

const cache = new Map<string, { p: Primitive; src: Uint8Array } | null>();

/**
 * out = reduce(x) over `axes` (the result in plain layout, the reduced dims of size 1);
 * false when oneDNN is not in use or lacks the case.
 */
export function dnnlReduce(alg: number, x: Float32Array, shape: readonly number[], axes: readonly number[], out: Float32Array): boolean {
  const d = dnnl();
  if (!d || x.length < MIN_ELEMENTS || shape.length < 1 || shape.length > 5 || axes.length === 0) return false;
  if (shape.length === 4 && axes.length === 3 && [0, 2, 3].every((a) => axes.includes(a)) && channelSumsBlocked(x, shape, out)) {
    if (alg === REDUCTION.mean) {
      const cnt = shape[0]! * shape[2]! * shape[3]!;
      for (let c = 0; c < out.length; c++) out[c]! /= cnt;
    }
    return true;
  }
  const dst = shape.map((n, i) => (axes.includes(i) ? 1 : n));
  const tag = layoutOf(x);
  const blocked = tag !== undefined && shape.length === 4 && shape[1]! % 8 === 0;
  const key = `${alg}:${shape.join(',')}:${dst.join(',')}:${blocked}`;
  let e = cache.get(key);
  if (e === undefined) {
    const src = blocked ? mdByTag(d, shape, TAG_NCHW8C) : plainMd(d, shape);
    const od = desc();
    let built: { p: Primitive; src: Uint8Array } | null = null;
    if (d.f.reduction!(od, alg, src, plainMd(d, dst), 0, 0) === 0) {
      const pd = primitiveDesc(d, od);
      if (pd && !implName(d, pd).startsWith('ref')) built = { p: new Primitive(d, pd, [{ arg: 1, md: src }, { arg: 17, md: plainMd(d, dst), out: true }], true), src };
    }
    cache.set(key, (e = built));
  }
  if (!e) return false;
  // The input must be stored exactly as the primitive reads it.
  if (blocked ? !d.mdEqual(tag!.md, e.src) : tag !== undefined) toPlain(x);
  if (blocked && layoutOf(x) === undefined) return dnnlReduce(alg, x, shape, axes, out);
  e.p.run([x, out]);
  return true;
}

const blockedMds = new Map<string, Uint8Array>();

/** Per-channel sums of an nChw8c-tagged [N, C, H, W] array, read in place; false for other layouts. */
function channelSumsBlocked(x: Float32Array, shape: readonly number[], out: Float32Array): boolean {
  const tag = layoutOf(x);
  if (!tag || shape[1]! % 8 !== 0) return false;
  const d = dnnl()!;
  const k = shape.join(',');
  let md = blockedMds.get(k);
  if (!md) blockedMds.set(k, (md = mdByTag(d, shape, TAG_NCHW8C)));
  if (!d.mdEqual(tag.md, md)) return false;
  const [n, c, h, w] = shape as [number, number, number, number];
  const hw = h * w;
  const acc = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let cb = 0; cb < c; cb += 8) {
      let i = (b * c + cb) * hw; // block (b, cb/8) starts at ((b·C/8 + cb/8)·HW)·8
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let p = 0; p < hw; p++, i += 8) {
        s0 += x[i]!;
        s1 += x[i + 1]!;
        s2 += x[i + 2]!;
        s3 += x[i + 3]!;
        s4 += x[i + 4]!;
        s5 += x[i + 5]!;
        s6 += x[i + 6]!;
        s7 += x[i + 7]!;
      }
      acc[cb] += s0;
      acc[cb + 1] += s1;
      acc[cb + 2] += s2;
      acc[cb + 3] += s3;
      acc[cb + 4] += s4;
      acc[cb + 5] += s5;
      acc[cb + 6] += s6;
      acc[cb + 7] += s7;
    }
  }
  for (let i = 0; i < c; i++) out[i] = acc[i]!;
  return true;
}
