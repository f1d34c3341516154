/**
 * Operators that index with tensor values: lookup_table / lookup_table_v2 (embedding rows, the
 * padding row reading as zeros), gather along an axis, and cumsum. Index values are checked on the
 * device: the first one out of range is recorded in a check slot and reported, with its position,
 * when the host next waits for the device (runtime/checks.ts); its output rows are zeros.
 */
import { OpError, plans, type DType, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { RECORD_SOURCE } from '../runtime/checks';
import { cType, prelude, ptrOf, type Backend } from './common';

/** C type of an index tensor, by dtype. */
const INDEX_TYPES: Partial<Record<DType, string>> = { int32: 'int', int64: 'long long' };

export function cudaSource(t: string): string {
  const byIndex = Object.entries(INDEX_TYPES).map(
    ([dtype, it]) => `
extern "C" __global__ void lookup_${dtype}(const T* w, const ${it}* ids, T* out, i64 n, i64 d, i64 rows, int has_pad, i64 pad, long long* slot) {
  LOOP(i, n) {
    i64 r = i / d;
    i64 id = (i64)ids[r];
    if (has_pad && id == pad) { out[i] = (T)0; continue; }
    if (id < 0 || id >= rows) { if (i % d == 0) record_bad(slot, r, id); out[i] = (T)0; continue; }
    out[i] = w[id * d + i % d];
  }
}
extern "C" __global__ void gather_${dtype}(const T* x, const ${it}* index, T* out, i64 total, i64 m, i64 n, i64 q, long long* slot) {
  LOOP(i, total) {
    i64 k = i % q, j = (i / q) % m, o = i / (q * m);
    i64 id = (i64)index[j];
    if (id < 0 || id >= n) { if (o == 0 && k == 0) record_bad(slot, j, id); out[i] = (T)0; continue; }
    out[i] = x[(o * n + id) * q + k];
  }
}`,
  );
  return `${prelude(t)}${RECORD_SOURCE}${byIndex.join('\n')}
extern "C" __global__ void cumsum(const T* x, T* out, i64 p, i64 n, i64 q, int exclusive, int reverse) {
  LOOP(line, p * q) {
    i64 o = line / q, k = line % q;
    T acc = (T)0;
    for (i64 s = 0; s < n; ++s) {
      i64 at = (o * n + (reverse ? n - 1 - s : s)) * q + k;
      T v = x[at];
      if (exclusive) { out[at] = acc; acc += v; } else { acc += v; out[at] = acc; }
    }
  }
}`;
}

function indexType(op: string, slot: string, t: Tensor): string {
  if (!INDEX_TYPES[t.dtype]) throw new OpError(op, `input ${slot} must be int32 or int64, got ${t.dtype}`);
  return t.dtype;
}

function lookup(op: string): KernelFn<Backend> {
  return (inputs, ctx) => {
    const w = inputs.W as Tensor;
    const ids = inputs.Ids as Tensor;
    const it = indexType(op, 'Ids', ids);
    const [rows, d] = [w.shape[0]!, w.shape[1]!];
    const pad = plans.intAttr(ctx.attrs, 'padding_idx');
    const n = ids.size * d;
    const out = ctx.backend.empty(w.dtype, n);
    if (n === 0) return { Out: out };
    const c = ctx.backend.compute();
    const mod = c.module(`indexing_${w.dtype}`, () => cudaSource(cType(op, w.dtype)));
    const idsShape = [...ids.shape];
    const slot = c.checks.slot((pos, value) => plans.outOfRange(op, 'Ids', idsShape, pos, value, rows, `the rows of W ${plans.fmtShape(w.shape)}`));
    c.launcher.launch1d(mod.fn(`lookup_${it}`), n, 'ppplllilp', [ptrOf(w), ptrOf(ids), out.ptr, n, d, rows, pad === -1 ? 0 : 1, pad, slot]);
    return { Out: out };
  };
}

export const kernels: Record<string, KernelFn<Backend>> = {
  lookup_table: lookup('lookup_table'),
  lookup_table_v2: lookup('lookup_table_v2'),
  gather: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const index = inputs.Index as Tensor;
    if (inputs.Axis) throw new OpError('gather', 'on xpu the axis must be the attribute axis, not an Axis input tensor');
    const it = indexType('gather', 'Index', index);
    const axis = plans.normAxisAttr('gather', plans.intAttr(ctx.attrs, 'axis'), x.shape.length);
    const [p, n, q] = plans.splitAround(x.shape, axis);
    const m = index.size;
    const total = p * m * q;
    const out = ctx.backend.empty(x.dtype, total);
    if (total === 0) return { Out: out };
    const c = ctx.backend.compute();
    const mod = c.module(`indexing_${x.dtype}`, () => cudaSource(cType('gather', x.dtype)));
    const xShape = [...x.shape];
    const indexShape = [...index.shape];
    const slot = c.checks.slot((pos, value) => plans.outOfRange('gather', 'Index', indexShape, pos, value, n, `axis ${axis} of X ${plans.fmtShape(xShape)}`));
    c.launcher.launch1d(mod.fn(`gather_${it}`), total, 'pppllllp', [ptrOf(x), ptrOf(index), out.ptr, total, m, n, q, slot]);
    return { Out: out };
  },
  cumsum: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const [p, n, q] = plans.boolAttr(ctx.attrs, 'flatten') ? [1, x.size, 1] : plans.splitAround(x.shape, plans.normAxisAttr('cumsum', plans.intAttr(ctx.attrs, 'axis'), x.shape.length));
    const out = ctx.backend.empty(m.dtype, x.size);
    if (x.size === 0) return { Out: out };
    const c = ctx.backend.compute();
    const mod = c.module(`indexing_${x.dtype}`, () => cudaSource(cType('cumsum', x.dtype)));
    const flags = [plans.boolAttr(ctx.attrs, 'exclusive') ? 1 : 0, plans.boolAttr(ctx.attrs, 'reverse') ? 1 : 0];
    c.launcher.launch1d(mod.fn('cumsum'), p * q, 'pplllii', [ptrOf(x), out.ptr, p, n, q, ...flags]);
    return { Out: out };
  },
};
