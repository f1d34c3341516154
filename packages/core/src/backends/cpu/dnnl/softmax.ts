/**
 * softmax and log_softmax, forward and backward, as oneDNN primitives on float32 tensors viewed as
 * [outer, n, inner] with the softmax over n. The backward primitives take the forward result
 * (Out), as Paddle's softmax_grad does.
 */
import { ARG, dnnl, plainMd, PROP_FWD_TRAINING, QUERY } from './lib';
import { desc, Primitive, primitiveDesc } from './primitive';

/** Below this many elements the TypeScript loops are as fast. */
const MIN_ELEMENTS = 1 << 12;

const cache = new Map<string, Primitive | null>();

function build(dims: number[], log: boolean, backward: boolean): Primitive | null {
  const d = dnnl()!;
  const md = plainMd(d, dims);
  const fd = desc();
  if ((log ? d.f.logsoftmax_fwd! : d.f.softmax_fwd!)(fd, PROP_FWD_TRAINING, md, 1) !== 0) return null;
  const fwd = primitiveDesc(d, fd);
  if (!fwd) return null;
  if (!backward) {
    return new Primitive(d, fwd, [
      { arg: ARG.SRC, query: QUERY.SRC },
      { arg: ARG.DST, query: QUERY.DST, out: true },
    ]);
  }
  const bd = desc();
  if ((log ? d.f.logsoftmax_bwd! : d.f.softmax_bwd!)(bd, md, md, 1) !== 0) return null;
  const pd = primitiveDesc(d, bd, fwd);
  return pd
    ? new Primitive(d, pd, [
        { arg: ARG.DST, md },
        { arg: ARG.DIFF_DST, query: QUERY.DIFF_DST },
        { arg: ARG.DIFF_SRC, query: QUERY.DIFF_SRC, out: true },
      ])
    : null;
}

function primitive(outer: number, n: number, inner: number, log: boolean, backward: boolean): Primitive | null {
  if (!dnnl() || outer * n * inner < MIN_ELEMENTS) return null;
  const key = `${outer},${n},${inner},${log},${backward}`;
  let p = cache.get(key);
  if (p === undefined) cache.set(key, (p = build([outer, n, inner], log, backward)));
  return p;
}

/** out = softmax (or log-softmax) of x over n; false when oneDNN is not in use or declines. */
export function dnnlSoftmax(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, log: boolean): boolean {
  const p = primitive(outer, n, inner, log, false);
  if (!p) return false;
  p.run([x, out]);
  return true;
}

/** dx from the forward result `out` and dy; false when oneDNN is not in use or declines. */
export function dnnlSoftmaxGrad(out: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean): boolean {
  const p = primitive(outer, n, inner, log, true);
  if (!p) return false;
  p.run([out, dy, dx]);
  return true;
}
