/**
 * layer_norm and its gradient as oneDNN primitives: X viewed as [rows, cols] (normalized over
 * cols, from begin_norm_axis on), per-row mean and biased variance out, as Paddle's kernel gives
 * them. Scale and Bias are always passed (ones and zeros where the op has none), so one primitive
 * serves both and the backward pass yields both gradients.
 */
import { ARG, BN_USE_SCALE, BN_USE_SHIFT, dnnl, plainMd, PROP_BACKWARD, PROP_FWD_TRAINING, QUERY } from './lib';
import { toPlain } from './layout';
import { desc, Primitive, primitiveDesc } from './primitive';

const FLAGS = BN_USE_SCALE | BN_USE_SHIFT;

/** Below this many elements the TypeScript loops are as fast. */
const MIN_ELEMENTS = 1 << 14;

const cache = new Map<string, Primitive | null>();

function build(rows: number, cols: number, eps: number, backward: boolean): Primitive | null {
  const d = dnnl()!;
  const data = plainMd(d, [rows, cols]);
  const stat = plainMd(d, [rows]);
  const vec = plainMd(d, [cols]);
  const fd = desc();
  if (d.f.ln_fwd!(fd, PROP_FWD_TRAINING, data, stat, eps, FLAGS) !== 0) return null;
  const fwd = primitiveDesc(d, fd);
  if (!fwd) return null;
  if (!backward) {
    return new Primitive(d, fwd, [
      { arg: ARG.SRC, md: data },
      { arg: ARG.SCALE, md: vec },
      { arg: ARG.SHIFT, md: vec },
      { arg: ARG.DST, md: data, out: true },
      { arg: ARG.MEAN, md: stat, out: true },
      { arg: ARG.VARIANCE, md: stat, out: true },
    ]);
  }
  const bd = desc();
  if (d.f.ln_bwd!(bd, PROP_BACKWARD, data, data, stat, eps, FLAGS) !== 0) return null;
  const pd = primitiveDesc(d, bd, fwd);
  return pd
    ? new Primitive(d, pd, [
        { arg: ARG.SRC, md: data },
        { arg: ARG.MEAN, md: stat },
        { arg: ARG.VARIANCE, md: stat },
        { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST },
        { arg: ARG.SCALE, md: vec },
        { arg: ARG.SHIFT, md: vec }, // required with the use_shift flag though the gradient does not read it
        { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, out: true },
        { arg: ARG.DIFF_SCALE, md: vec, out: true },
        { arg: ARG.DIFF_SHIFT, md: vec, out: true },
      ])
    : null;
}

function primitive(rows: number, cols: number, eps: number, backward: boolean): Primitive | null {
  if (!dnnl() || rows * cols < MIN_ELEMENTS) return null;
  const key = `${rows},${cols},${eps},${backward}`;
  let p = cache.get(key);
  if (p === undefined) cache.set(key, (p = build(rows, cols, eps, backward)));
  return p;
}

/** y, mean, variance of layer_norm; false when oneDNN is not in use or declines. */
export function dnnlLayerNorm(
  x: Float32Array,
  rows: number,
  cols: number,
  eps: number,
  scale: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): boolean {
  const p = primitive(rows, cols, eps, false);
  if (!p) return false;
  toPlain(x);
  p.run([x, scale, bias, y, mean, variance]);
  return true;
}

/** dx, dscale, dbias of layer_norm from the saved mean and variance; false when oneDNN is not in use or declines. */
export function dnnlLayerNormGrad(
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dy: Float32Array,
  scale: Float32Array,
  bias: Float32Array,
  rows: number,
  cols: number,
  eps: number,
  dx: Float32Array,
  dscale: Float32Array,
  dbias: Float32Array,
): boolean {
  const p = primitive(rows, cols, eps, true);
  if (!p) return false;
  toPlain(x);
  toPlain(dy);
  p.run([x, mean, variance, dy, scale, bias, dx, dscale, dbias]);
  return true;
}
