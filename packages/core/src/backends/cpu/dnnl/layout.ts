/**
 * Arrays whose elements are in a oneDNN blocked layout (nChw8c) rather than plain row-major.
 * oneDNN kernels leave their activations blocked, so the next oneDNN kernel (convolution, batch
 * norm, pooling, and the layout-blind elementwise ones) reads them without a reorder, as
 * Paddle's MKLDNN kernels pass blocked tensors between themselves. Every other reader goes
 * through the CPU backend's buffer accessors, which first turn the array back into plain
 * layout in place (toPlain): tags never escape oneDNN kernels.
 */
import { check, execArgs, loadedDnnl } from './lib';

type Ptr = unknown;

export interface Layout {
  /** The blocked descriptor (owned by a cached primitive descriptor). */
  md: Ptr;
  /** The plain descriptor of the same logical dims. */
  plain: Uint8Array;
  /** Reorder back to plain: built on first use. */
  toPlain?: { prim: Ptr; from: Ptr; to: Ptr; args: Uint8Array };
}

const tags = new WeakMap<Float32Array, Layout>();

export function layoutOf(a: Float32Array): Layout | undefined {
  return tags.get(a);
}

export function setLayout(a: Float32Array, l: Layout | undefined): void {
  if (l) tags.set(a, l);
  else tags.delete(a);
}

/** Whether two arrays' layouts are the same (both plain, or the same blocked descriptor). */
export function sameLayout(a: Layout | undefined, b: Layout | undefined): boolean {
  if (!a || !b) return a === b;
  return a === b || loadedDnnl()!.mdEqual(a.md, b.md) !== 0;
}

let tmp = new Float32Array(0);

/** Rewrites a blocked array in plain layout, in place; plain arrays are left alone. */
export function toPlain(a: unknown): void {
  if (!(a instanceof Float32Array)) return;
  const l = tags.get(a);
  if (!l) return;
  const d = loadedDnnl()!;
  if (!l.toPlain) {
    const pd: Ptr[] = [null];
    check('reorder_primitive_desc_create', d.f.reorder_pd!(pd, l.md, d.engine, l.plain, d.engine, null));
    const p: Ptr[] = [null];
    check('primitive_create', d.f.prim_create!(p, pd[0]));
    const from: Ptr[] = [null];
    const to: Ptr[] = [null];
    check('memory_create', d.f.memory_create!(from, l.md, d.engine, null));
    check('memory_create', d.f.memory_create!(to, l.plain, d.engine, null));
    l.toPlain = { prim: p[0], from: from[0], to: to[0], args: execArgs(d, [[1, from[0]], [17, to[0]]]) }; // DNNL_ARG_FROM, DNNL_ARG_TO
  }
  if (tmp.length < a.length) tmp = new Float32Array(a.length);
  const r = l.toPlain;
  check('memory_set_data_handle', d.f.set_handle!(r.from, a));
  check('memory_set_data_handle', d.f.set_handle!(r.to, tmp));
  check('reorder', d.f.execute!(r.prim, d.stream, 2, r.args));
  check('stream_wait', d.f.stream_wait!(d.stream));
  a.set(tmp.subarray(0, a.length));
  tags.delete(a);
}

