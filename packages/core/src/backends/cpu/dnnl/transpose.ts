/**
 * transpose / transpose2 of float32 tensors as a oneDNN reorder: the source described in the
 * output's dimension order with the permuted strides, copied into plain row-major order by the
 * library's blocked, multithreaded copy loops.
 */
import { stridesOf } from '../../../tensor/shape';
import { dnnl, execArgs, check, mdByStrides } from './lib';
import { toPlain } from './layout';

type Ptr = unknown;

interface Reorder {
  prim: Ptr;
  from: Ptr;
  to: Ptr;
  args: Uint8Array;
}

/** Below this many elements the TypeScript copy is as fast. */
const MIN_ELEMENTS = 1 << 14;

const cache = new Map<string, Reorder | null>();

function build(shape: readonly number[], perm: readonly number[]): Reorder | null {
  const d = dnnl()!;
  const xs = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const src = mdByStrides(d, outShape, perm.map((p) => xs[p]!));
  const dst = mdByStrides(d, outShape, stridesOf(outShape));
  const pd: Ptr[] = [null];
  if (d.f.reorder_pd!(pd, src, d.engine, dst, d.engine, null) !== 0) return null;
  const prim: Ptr[] = [null];
  check('primitive_create', d.f.prim_create!(prim, pd[0]));
  const from: Ptr[] = [null];
  const to: Ptr[] = [null];
  check('memory_create', d.f.memory_create!(from, src, d.engine, null));
  check('memory_create', d.f.memory_create!(to, dst, d.engine, null));
  return { prim: prim[0], from: from[0], to: to[0], args: execArgs(d, [[1, from[0]], [17, to[0]]]) }; // DNNL_ARG_FROM, DNNL_ARG_TO
}

/** out = x with its axes permuted by perm (row-major both); false when oneDNN is not in use. */
export function dnnlTranspose(x: Float32Array, shape: readonly number[], perm: readonly number[], out: Float32Array): boolean {
  const d = dnnl();
  if (!d || x.length < MIN_ELEMENTS || shape.length > 12) return false;
  const key = `${shape.join(',')}|${perm.join(',')}`;
  let r = cache.get(key);
  if (r === undefined) cache.set(key, (r = build(shape, perm)));
  if (!r) return false;
  toPlain(x);
  void x.buffer; // keeps the arrays off the moving heap while the library holds their addresses
  void out.buffer;
  check('memory_set_data_handle', d.f.set_handle!(r.from, x));
  check('memory_set_data_handle', d.f.set_handle!(r.to, out));
  check('reorder', d.f.execute!(r.prim, d.stream, 2, r.args));
  check('stream_wait', d.f.stream_wait!(d.stream));
  return true;
}
