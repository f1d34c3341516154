import { Dynamic, type KernelFn, type TensorMeta } from '../../../kernels/registry';
import { boolAttr, intAttr, intsAttr } from '../../../kernels/specs/common';
import { maskedShape, normAxisAttr, outOfRange, putReduce, splitAround } from '../../../kernels/specs/indexing';
import { allocArray, floatToBf16, floatToHalf, type DType, type NumericArray, type TypedArray } from '../../../tensor/dtype';
import { broadcastStrides, fmtShape, numel, shapesEqual, stridesOf, type Shape } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { buf, floatBuf, fromNumbers, indexBuf, narrowTo, numBuf } from '../backend';

/**
 * Storage viewed for element moves only. Copying an element between two arrays of the same
 * dtype works for every storage type (BigInt64Array included); the Float64Array type is only
 * for the type checker, no kernel does arithmetic through it.
 */
type Raw = Float64Array;
const raw = (t: Tensor): Raw => buf(t) as unknown as Raw;
const rawAlloc = (dtype: DType, n: number): Raw => allocArray(dtype, n) as unknown as Raw;

/** Copies `len` contiguous elements; short rows by hand, where a subarray view would cost more. */
function copyRow(dst: Raw, dOff: number, src: Raw, sOff: number, len: number): void {
  if (len >= 16) dst.set(src.subarray(sOff, sOff + len), dOff);
  else for (let j = 0; j < len; j++) dst[dOff + j] = src[sOff + j]!;
}

type Indices = Int32Array | Float64Array;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes small non-negative ints (positions, counts) into int64 storage. On little-endian hosts
 * through an int32 view of the low words (fresh storage's high words are already 0), which
 * avoids allocating a BigInt per element.
 */
function int64Writer(out: BigInt64Array): (i: number, v: number) => void {
  if (LITTLE_ENDIAN) {
    const lo = new Int32Array(out.buffer, out.byteOffset, out.length * 2);
    return (i, v) => {
      lo[2 * i] = v;
    };
  }
  return (i, v) => {
    out[i] = BigInt(v);
  };
}

/** The index values of `t` as numbers, each checked to lie in [0, size). */
function checkedIndices(op: string, slot: string, t: Tensor, size: number, what: string): Indices {
  const v = indexBuf(t) as Indices;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!(x >= 0 && x < size)) throw outOfRange(op, slot, t.shape, i, x, size, what);
  }
  return v;
}

/** A writable numeric copy of t for accumulating: its own storage type where JS numbers fit, else wider. */
function numericCopy(t: Tensor): NumericArray {
  // numBuf converts int64 and half types into a fresh wider array; other dtypes are copied.
  if (t.dtype === 'int64' || t.dtype === 'float16' || t.dtype === 'bfloat16') return numBuf(t);
  return (buf(t) as NumericArray).slice();
}

/** Storage of `dtype` from a numericCopy-style array. */
function finishNumeric(dtype: DType, a: NumericArray): TypedArray {
  return dtype === 'int64' || dtype === 'float16' || dtype === 'bfloat16' ? fromNumbers(dtype, a) : a;
}

/** A single element equal to 1 in `dtype`'s storage representation. */
function oneOf(dtype: DType): number | bigint {
  if (dtype === 'int64') return 1n;
  if (dtype === 'float16') return floatToHalf(1);
  if (dtype === 'bfloat16') return floatToBf16(1);
  return 1;
}

/** A one-element int tensor input (an axis, k or depth given as a tensor) as a number. */
function scalarInput(t: Tensor): number {
  return numBuf(t)[0]!;
}

/**
 * Visits a broadcast output in rows of its last dimension; `offs[k]` is operand k's element
 * offset at the row's start (operands are right-aligned, broadcast dimensions have stride 0).
 */
function walkRows(outShape: Shape, strides: number[][], fn: (o: number, offs: number[]) => void): void {
  const n = numel(outShape);
  if (n === 0) return;
  const r = outShape.length;
  const offs = new Array<number>(strides.length).fill(0);
  if (r === 0) {
    fn(0, offs);
    return;
  }
  const inner = outShape[r - 1]!;
  const pos = new Array<number>(r).fill(0);
  for (let o = 0; o < n; o += inner) {
    fn(o, offs);
    for (let d = r - 2; d >= 0; d--) {
      pos[d]!++;
      for (let k = 0; k < strides.length; k++) offs[k]! += strides[k]![d]!;
      if (pos[d]! < outShape[d]!) break;
      for (let k = 0; k < strides.length; k++) offs[k]! -= strides[k]![d]! * outShape[d]!;
      pos[d] = 0;
    }
  }
}

/** Rows of `index` (1-D) of x along `axis`, as gather and index_select take them. */
function gatherAlong(op: string, x: Tensor, index: Tensor, axis: number): Raw {
  const [p, n, q] = splitAround(x.shape, axis);
  const idx = checkedIndices(op, 'Index', index, n, `axis ${axis} of X ${fmtShape(x.shape)}`);
  const m = idx.length;
  const src = raw(x);
  const out = rawAlloc(x.dtype, p * m * q);
  for (let o = 0; o < p; o++) {
    for (let j = 0; j < m; j++) copyRow(out, (o * m + j) * q, src, (o * n + idx[j]!) * q, q);
  }
  return out;
}

/**
 * Offsets into an input of `inShape` of every element position of an index of `idxShape`, with
 * the `axis` coordinate left out (the index value supplies it). Index extents may be smaller.
 */
function alongAxisBases(inShape: Shape, idxShape: Shape, axis: number): Float64Array {
  const n = numel(idxShape);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const st = stridesOf(inShape);
  st[axis] = 0;
  const r = idxShape.length;
  const inner = idxShape[r - 1]!;
  const si = st[r - 1]!;
  const pos = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i += inner) {
    for (let j = 0; j < inner; j++) out[i + j] = off + j * si;
    for (let d = r - 2; d >= 0; d--) {
      pos[d]!++;
      off += st[d]!;
      if (pos[d]! < idxShape[d]!) break;
      off -= st[d]! * idxShape[d]!;
      pos[d] = 0;
    }
  }
  return out;
}

/** Flat offsets into x addressed by each row of a gather_nd / scatter_nd_add Index, checked. */
function ndOffsets(op: string, x: Tensor, index: Tensor): { offs: Float64Array; slice: number } {
  const k = index.shape[index.shape.length - 1]!;
  const rows = k === 0 ? numel(index.shape.slice(0, -1)) : index.size / k;
  const st = stridesOf(x.shape);
  const slice = numel(x.shape.slice(k));
  const v = indexBuf(index) as Indices;
  const offs = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let off = 0;
    for (let j = 0; j < k; j++) {
      const c = v[i * k + j]!;
      const size = x.shape[j]!;
      if (!(c >= 0 && c < size)) throw outOfRange(op, 'Index', index.shape, i * k + j, c, size, `axis ${j} of X ${fmtShape(x.shape)}`);
      off += c * st[j]!;
    }
    offs[i] = off;
  }
  return { offs, slice };
}

/** Ascending order of two numbers with NaN above every number (and equal to NaN). */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const na = a !== a;
  const nb = b !== b;
  return na === nb ? 0 : na ? 1 : -1;
}

/** Total order for sorting: NaN above every number, ties broken by position (a stable sort). */
function sortComparator(keys: Float64Array, descending: boolean): (a: number, b: number) => number {
  const sgn = descending ? -1 : 1;
  return (a, b) => {
    return sgn * compareNumbers(keys[a]!, keys[b]!) || a - b;
  };
}

/** Positions below 2^21 fit beside a 32-bit key in a float64's 53-bit integer range. */
const PACK_POS = 2 ** 21;
const f32Key = new Float32Array(1);
const u32Key = new Uint32Array(f32Key.buffer);

/** How values of `dtype` map to an order-preserving uint32: by float32 bits, or int32 offset. */
function packKind(dtype: DType): 'f32' | 'i32' | null {
  if (dtype === 'int32') return 'i32';
  // Exactly representable as float32.
  if (['float32', 'float16', 'bfloat16', 'int16', 'int8', 'uint8', 'bool'].includes(dtype)) return 'f32';
  return null;
}

/**
 * The sort of `sortComparator` (NaN last, -0 equal to 0, ties by position) without a JS
 * comparator: key·2^21 + position packed into a float64 and sorted natively.
 */
function packedSort(packed: Float64Array, keys: Float64Array, order: Int32Array, n: number, kind: 'f32' | 'i32', descending: boolean): void {
  for (let j = 0; j < n; j++) {
    const v = keys[j]!;
    let b: number;
    if (kind === 'i32') b = v + 2147483648;
    else if (v !== v) b = 0xffffffff; // every NaN above +inf
    else {
      f32Key[0] = v === 0 ? 0 : v;
      const bits = u32Key[0]!;
      // Negative floats order by inverted bits, positive ones above them with the sign bit set.
      b = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    }
    if (descending) b = 0xffffffff - b;
    packed[j] = b * PACK_POS + j;
  }
  packed.sort();
  for (let j = 0; j < n; j++) order[j] = packed[j]! % PACK_POS;
}

/**
 * Moves the first `k` of `order[0..n)` under the strict total order `cmp` to `order[0..k)`, sorted,
 * in O(n log k): a heap of the k best so far with the worst of them at the root.
 */
function selectFirst(order: Int32Array, n: number, k: number, cmp: (a: number, b: number) => number): void {
  if (k === 0) return;
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) return;
      const c = l + 1 < k && cmp(order[l + 1]!, order[l]!) > 0 ? l + 1 : l;
      if (cmp(order[c]!, order[i]!) <= 0) return;
      const t = order[i]!;
      order[i] = order[c]!;
      order[c] = t;
      i = c;
    }
  };
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let j = k; j < n; j++) {
    if (cmp(order[j]!, order[0]!) < 0) {
      order[0] = order[j]!;
      siftDown(0);
    }
  }
  order.subarray(0, k).sort(cmp);
}

/**
 * The first k elements of every line of x along `axis` in sorted order (descending for the
 * largest), as values and int64 indices. Unsorted top-k keeps the chosen elements in their
 * original order.
 */
function sortLines(x: Tensor, axis: number, k: number, descending: boolean, sorted: boolean): { values: Raw; indices: BigInt64Array } {
  const [p, n, q] = splitAround(x.shape, axis);
  const vals = numBuf(x);
  const src = raw(x);
  const values = rawAlloc(x.dtype, p * k * q);
  const indices = new BigInt64Array(p * k * q);
  const setIndex = int64Writer(indices);
  const keys = new Float64Array(n);
  const order = new Int32Array(n);
  const cmp = sortComparator(keys, descending);
  const keyKind = packKind(x.dtype);
  const packed = keyKind && n <= PACK_POS ? new Float64Array(n) : null;
  for (let o = 0; o < p; o++) {
    for (let i = 0; i < q; i++) {
      const base = o * n * q + i;
      for (let j = 0; j < n; j++) {
        keys[j] = vals[base + j * q]!;
        order[j] = j;
      }
      if (k * 4 < n) selectFirst(order, n, k, cmp);
      else if (packed) packedSort(packed, keys, order, n, keyKind!, descending);
      else order.sort(cmp);
      const sel = sorted ? order : order.subarray(0, k).sort();
      for (let j = 0; j < k; j++) {
        const s = sel[j]!;
        const dst = (o * k + j) * q + i;
        values[dst] = src[base + s * q]!;
        setIndex(dst, s);
      }
    }
  }
  return { values, indices };
}

function topK(op: string, axisAttr: number | null): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = normAxisAttr(op, axisAttr === null ? intAttr(ctx.attrs, 'axis') : axisAttr, x.shape.length);
    const kt = inputs.K as Tensor | undefined;
    const largest = op === 'top_k' || boolAttr(ctx.attrs, 'largest');
    const sorted = op === 'top_k' || boolAttr(ctx.attrs, 'sorted');
    if (!kt) {
      const { values, indices } = sortLines(x, axis, intAttr(ctx.attrs, 'k'), largest, sorted);
      return { Out: values, Indices: indices };
    }
    const k = scalarInput(kt);
    if (!Number.isInteger(k) || k < 0 || k > x.shape[axis]!) {
      throw new OpError(op, `input K = ${k} must be in [0, ${x.shape[axis]}] (the extent of axis ${axis} of X ${fmtShape(x.shape)})`);
    }
    const shape = [...x.shape];
    shape[axis] = k;
    const { values, indices } = sortLines(x, axis, k, largest, sorted);
    return { Out: new Dynamic(values, shape), Indices: new Dynamic(indices, [...shape]) };
  };
}

function argKernel(op: 'arg_max' | 'arg_min'): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const flatten = boolAttr(ctx.attrs, 'flatten');
    const [p, n, q] = flatten ? [1, x.size, 1] : splitAround(x.shape, normAxisAttr(op, intAttr(ctx.attrs, 'axis'), x.shape.length));
    const vals = numBuf(x);
    const m = ctx.meta.Out as TensorMeta;
    const wide = m.dtype === 'int64';
    const out = wide ? new BigInt64Array(p * q) : new Int32Array(p * q);
    const set = wide ? int64Writer(out as BigInt64Array) : (i: number, v: number) => ((out as Int32Array)[i] = v);
    const isMax = op === 'arg_max';
    for (let o = 0; o < p; o++) {
      for (let i = 0; i < q; i++) {
        const base = o * n * q + i;
        let best = vals[base]!;
        let bi = 0;
        // Strict comparison keeps the first extreme; a NaN counts as the extreme (as NumPy).
        for (let j = 1; j < n && best === best; j++) {
          const v = vals[base + j * q]!;
          if (v !== v || (isMax ? v > best : v < best)) {
            best = v;
            bi = j;
          }
        }
        set(o * q + i, bi);
      }
    }
    return { Out: out };
  };
}

function lookupKernel(op: string): KernelFn {
  return (inputs, ctx) => {
    const w = inputs.W as Tensor;
    const idsT = inputs.Ids as Tensor;
    const [rows, d] = [w.shape[0]!, w.shape[1]!];
    const pad = intAttr(ctx.attrs, 'padding_idx');
    const ids = indexBuf(idsT) as Indices;
    const src = raw(w);
    // Fresh storage is zero, which is what padding rows hold.
    const out = rawAlloc(w.dtype, ids.length * d);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (pad !== -1 && id === pad) continue;
      if (!(id >= 0 && id < rows)) throw outOfRange(op, 'Ids', idsT.shape, i, id, rows, `the rows of W ${fmtShape(w.shape)}`);
      copyRow(out, i * d, src, id * d, d);
    }
    return { Out: out };
  };
}

/** unique's groups: representative position of each distinct slice, inverse map and counts. */
function uniqueGroups(keys: (j: number) => number | string, n: number): { first: number[]; inverse: Int32Array; counts: number[] } {
  const seen = new Map<number | string, number>();
  const first: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const key = keys(j);
    let g = seen.get(key);
    if (g === undefined) {
      g = first.length;
      seen.set(key, g);
      first.push(j);
      counts.push(0);
    }
    inverse[j] = g;
    counts[g]!++;
  }
  return { first, inverse, counts };
}

function indexArray(dtype: DType, src: ArrayLike<number>): TypedArray {
  if (dtype === 'int32') return Int32Array.from(src);
  const out = new BigInt64Array(src.length);
  const set = int64Writer(out);
  for (let i = 0; i < src.length; i++) set(i, src[i]!);
  return out;
}

export const kernels: Record<string, KernelFn> = {
  gather: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const at = inputs.Axis as Tensor | undefined;
    if (!at) return { Out: gatherAlong('gather', x, inputs.Index as Tensor, normAxisAttr('gather', intAttr(ctx.attrs, 'axis'), x.shape.length)) };
    const axis = normAxisAttr('gather', scalarInput(at), x.shape.length, 'input Axis');
    const shape = [...x.shape];
    shape[axis] = (inputs.Index as Tensor).size;
    return { Out: new Dynamic(gatherAlong('gather', x, inputs.Index as Tensor, axis), shape) };
  },

  index_select: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    return { Out: gatherAlong('index_select', x, inputs.Index as Tensor, normAxisAttr('index_select', intAttr(ctx.attrs, 'dim'), x.shape.length, 'dim')) };
  },

  index_sample: (inputs) => {
    const x = inputs.X as Tensor;
    const index = inputs.Index as Tensor;
    const [b, n] = [x.shape[0]!, x.shape[1]!];
    const k = index.shape[1]!;
    const v = checkedIndices('index_sample', 'Index', index, n, `axis 1 of X ${fmtShape(x.shape)}`);
    const src = raw(x);
    const out = rawAlloc(x.dtype, b * k);
    for (let i = 0; i < b; i++) for (let j = 0; j < k; j++) out[i * k + j] = src[i * n + v[i * k + j]!]!;
    return { Out: out };
  },

  take_along_axis: (inputs, ctx) => {
    const x = inputs.Input as Tensor;
    const index = inputs.Index as Tensor;
    const axis = normAxisAttr('take_along_axis', intAttr(ctx.attrs, 'Axis'), x.shape.length, 'Axis', 'Input');
    const v = checkedIndices('take_along_axis', 'Index', index, x.shape[axis]!, `axis ${axis} of Input ${fmtShape(x.shape)}`);
    const bases = alongAxisBases(x.shape, index.shape, axis);
    const s = stridesOf(x.shape)[axis]!;
    const src = raw(x);
    const out = rawAlloc(x.dtype, v.length);
    for (let i = 0; i < v.length; i++) out[i] = src[bases[i]! + v[i]! * s]!;
    return { Result: out };
  },

  put_along_axis: (inputs, ctx) => {
    const x = inputs.Input as Tensor;
    const index = inputs.Index as Tensor;
    const value = inputs.Value as Tensor;
    const axis = normAxisAttr('put_along_axis', intAttr(ctx.attrs, 'Axis'), x.shape.length, 'Axis', 'Input');
    const v = checkedIndices('put_along_axis', 'Index', index, x.shape[axis]!, `axis ${axis} of Input ${fmtShape(x.shape)}`);
    const bases = alongAxisBases(x.shape, index.shape, axis);
    const s = stridesOf(x.shape)[axis]!;
    const reduce = putReduce(ctx.attrs);
    if (reduce === 'assign') {
      // In index order, so with repeated positions the last value wins.
      const out = raw(x).slice();
      const src = raw(value);
      for (let i = 0; i < v.length; i++) out[bases[i]! + v[i]! * s] = src[i]!;
      return { Result: out };
    }
    const out = numericCopy(x);
    const src = numBuf(value);
    if (reduce === 'add') for (let i = 0; i < v.length; i++) out[bases[i]! + v[i]! * s]! += src[i]!;
    else for (let i = 0; i < v.length; i++) out[bases[i]! + v[i]! * s]! *= src[i]!;
    return { Result: finishNumeric(x.dtype, out) };
  },

  gather_nd: (inputs) => {
    const x = inputs.X as Tensor;
    const { offs, slice } = ndOffsets('gather_nd', x, inputs.Index as Tensor);
    const src = raw(x);
    const out = rawAlloc(x.dtype, offs.length * slice);
    for (let i = 0; i < offs.length; i++) copyRow(out, i * slice, src, offs[i]!, slice);
    return { Out: out };
  },

  scatter_nd_add: (inputs) => {
    const x = inputs.X as Tensor;
    const { offs, slice } = ndOffsets('scatter_nd_add', x, inputs.Index as Tensor);
    const out = numericCopy(x);
    const u = numBuf(inputs.Updates as Tensor);
    for (let i = 0; i < offs.length; i++) {
      const o = offs[i]!;
      const b = i * slice;
      for (let e = 0; e < slice; e++) out[o + e]! += u[b + e]!;
    }
    return { Out: finishNumeric(x.dtype, out) };
  },

  scatter: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const upd = inputs.Updates as Tensor;
    const rows = x.shape[0]!;
    const row = numel(x.shape.slice(1));
    const ids = checkedIndices('scatter', 'Ids', inputs.Ids as Tensor, rows, `the rows of X ${fmtShape(x.shape)}`);
    if (boolAttr(ctx.attrs, 'overwrite')) {
      // Sequential writes: with repeated ids the last update wins, as Paddle's CPU kernel.
      const out = raw(x).slice();
      const u = raw(upd);
      for (let i = 0; i < ids.length; i++) copyRow(out, ids[i]! * row, u, i * row, row);
      return { Out: out };
    }
    // Accumulate mode: the addressed rows are zeroed first, then every update is added.
    const out = numericCopy(x);
    const u = numBuf(upd);
    for (let i = 0; i < ids.length; i++) out.fill(0, ids[i]! * row, ids[i]! * row + row);
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i]! * row;
      for (let e = 0; e < row; e++) out[o + e]! += u[i * row + e]!;
    }
    return { Out: finishNumeric(x.dtype, out) };
  },

  where: (inputs, ctx) => {
    const c = inputs.Condition as Tensor;
    const x = inputs.X as Tensor;
    const y = inputs.Y as Tensor;
    const shape = (ctx.meta.Out as TensorMeta).shape;
    const cb = buf<Uint8Array>(c);
    const xb = raw(x);
    const yb = raw(y);
    const out = rawAlloc(x.dtype, numel(shape));
    const st = [broadcastStrides(c.shape, shape), broadcastStrides(x.shape, shape), broadcastStrides(y.shape, shape)];
    const inner = shape.length ? shape[shape.length - 1]! : 1;
    const last = shape.length - 1;
    const [sc, sx, sy] = last >= 0 ? [st[0]![last]!, st[1]![last]!, st[2]![last]!] : [0, 0, 0];
    walkRows(shape, st, (o, [co, xo, yo]) => {
      for (let j = 0; j < inner; j++) out[o + j] = cb[co! + j * sc] ? xb[xo! + j * sx]! : yb[yo! + j * sy]!;
    });
    return { Out: out };
  },

  where_index: (inputs) => {
    const c = inputs.Condition as Tensor;
    const v = numBuf(c);
    const r = c.shape.length;
    let count = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) count++;
    const out = new BigInt64Array(count * r);
    const set = int64Writer(out);
    const pos = new Array<number>(r).fill(0);
    let k = 0;
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== 0) for (let d = 0; d < r; d++) set(k++, pos[d]!);
      for (let d = r - 1; d >= 0; d--) {
        if (++pos[d]! < c.shape[d]!) break;
        pos[d] = 0;
      }
    }
    return { Out: new Dynamic(out, [count, r]) };
  },

  masked_select: (inputs) => {
    const x = inputs.X as Tensor;
    const mask = inputs.Mask as Tensor;
    const shape = maskedShape('masked_select', x, mask);
    const mb = buf<Uint8Array>(mask);
    const xb = raw(x);
    if (shapesEqual(x.shape, shape) && shapesEqual(mask.shape, shape)) {
      let count = 0;
      for (let i = 0; i < mb.length; i++) count += mb[i] ? 1 : 0;
      const out = rawAlloc(x.dtype, count);
      for (let i = 0, k = 0; i < mb.length; i++) if (mb[i]) out[k++] = xb[i]!;
      return { Y: new Dynamic(out, [count]) };
    }
    const st = [broadcastStrides(x.shape, shape), broadcastStrides(mask.shape, shape)];
    const inner = shape[shape.length - 1] ?? 1;
    const [sx, sm] = shape.length ? [st[0]![shape.length - 1]!, st[1]![shape.length - 1]!] : [0, 0];
    let count = 0;
    walkRows(shape, st, (_o, [, mo]) => {
      for (let j = 0; j < inner; j++) if (mb[mo! + j * sm]) count++;
    });
    const out = rawAlloc(x.dtype, count);
    let k = 0;
    walkRows(shape, st, (_o, [xo, mo]) => {
      for (let j = 0; j < inner; j++) if (mb[mo! + j * sm]) out[k++] = xb[xo! + j * sx]!;
    });
    return { Y: new Dynamic(out, [count]) };
  },

  masked_select_grad: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const mask = inputs.Mask as Tensor;
    const dy = inputs['Y@GRAD'] as Tensor;
    const shape = maskedShape('masked_select_grad', x, mask);
    const m = ctx.meta['X@GRAD'] as TensorMeta;
    const mb = buf<Uint8Array>(mask);
    const g = floatBuf(dy);
    const st = [broadcastStrides(x.shape, shape), broadcastStrides(mask.shape, shape)];
    const inner = shape[shape.length - 1] ?? 1;
    const [sx, sm] = shape.length ? [st[0]![shape.length - 1]!, st[1]![shape.length - 1]!] : [0, 0];
    let count = 0;
    walkRows(shape, st, (_o, [, mo]) => {
      for (let j = 0; j < inner; j++) if (mb[mo! + j * sm]) count++;
    });
    if (count !== g.length) {
      throw new OpError('masked_select_grad', `input Y@GRAD has ${g.length} elements, but Mask selects ${count}`);
    }
    // A broadcast X element selected at several positions sums their gradients.
    const out = m.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size);
    let k = 0;
    walkRows(shape, st, (_o, [xo, mo]) => {
      for (let j = 0; j < inner; j++) if (mb[mo! + j * sm]) out[xo! + j * sx]! += g[k++]!;
    });
    return { 'X@GRAD': narrowTo(m.dtype, out) };
  },

  arg_max: argKernel('arg_max'),
  arg_min: argKernel('arg_min'),
  top_k_v2: topK('top_k_v2', null),
  top_k: topK('top_k', -1),

  argsort: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = normAxisAttr('argsort', intAttr(ctx.attrs, 'axis'), x.shape.length);
    const { values, indices } = sortLines(x, axis, x.shape[axis]!, boolAttr(ctx.attrs, 'descending'), true);
    return { Out: values, Indices: indices };
  },

  unique: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axes = intsAttr(ctx.attrs, 'axis');
    const meta = ctx.meta;
    const vals = numBuf(x);
    const src = raw(x);
    const axis = axes.length ? normAxisAttr('unique', axes[0]!, x.shape.length) : -1;
    const [p, n, q] = axis >= 0 ? splitAround(x.shape, axis) : [1, x.size, 1];
    // A slice along the axis is keyed by its elements (in row-major order with the axis removed).
    const sliceVals = (j: number): number[] => {
      const r: number[] = [];
      for (let o = 0; o < p; o++) for (let i = 0; i < q; i++) r.push(vals[(o * n + j) * q + i]!);
      return r;
    };
    const key = axis >= 0 ? (j: number) => sliceVals(j).join(',') : (j: number) => vals[j]!;
    let { first, inverse, counts } = uniqueGroups(key, n);
    if (boolAttr(ctx.attrs, 'is_sorted')) {
      // Ascending order of the groups (lexicographic for slices; NaN last), then relabel.
      const reps = first.map((j) => (axis >= 0 ? sliceVals(j) : [vals[j]!]));
      const order = first.map((_, g) => g);
      order.sort((ga, gb) => {
        const ra = reps[ga]!;
        const rb = reps[gb]!;
        for (let e = 0; e < ra.length; e++) {
          const c = compareNumbers(ra[e]!, rb[e]!);
          if (c) return c;
        }
        return 0;
      });
      const relabel = new Int32Array(order.length);
      order.forEach((g, r) => (relabel[g] = r));
      first = order.map((g) => first[g]!);
      counts = order.map((g) => counts[g]!);
      inverse = inverse.map((g) => relabel[g]!);
    }
    const u = first.length;
    const out = rawAlloc(x.dtype, p * u * q);
    for (let o = 0; o < p; o++) for (let g = 0; g < u; g++) copyRow(out, (o * u + g) * q, src, (o * n + first[g]!) * q, q);
    const outShape = axis >= 0 ? x.shape.map((d, i) => (i === axis ? u : d)) : [u];
    const res: Record<string, unknown> = { Out: new Dynamic(out, outShape) };
    const idt: DType = intAttr(ctx.attrs, 'dtype') === 2 ? 'int32' : 'int64';
    if (meta.Index) res.Index = indexArray(idt, inverse);
    if (meta.Indices) res.Indices = new Dynamic(indexArray(idt, first), [u]);
    if (meta.Counts) res.Counts = new Dynamic(indexArray(idt, counts), [u]);
    return res;
  },

  one_hot_v2: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const dt = inputs.depth_tensor as Tensor | undefined;
    const m = ctx.meta.Out as TensorMeta;
    const depth = dt ? scalarInput(dt) : intAttr(ctx.attrs, 'depth');
    if (dt && !(Number.isInteger(depth) && depth >= 1)) {
      throw new OpError('one_hot_v2', `input depth_tensor = ${depth} must be a positive integer (the number of classes)`);
    }
    const allow = boolAttr(ctx.attrs, 'allow_out_of_range');
    const v = indexBuf(x) as Indices;
    const out = rawAlloc(m.dtype, v.length * depth) as unknown as { [i: number]: number | bigint };
    const one = oneOf(m.dtype);
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (c >= 0 && c < depth) out[i * depth + c] = one;
      else if (!allow) throw outOfRange('one_hot_v2', 'X', x.shape, i, c, depth, 'depth');
      // allow_out_of_range: the row stays all zeros.
    }
    return { Out: dt ? new Dynamic(out, [...x.shape, depth]) : out };
  },

  cumsum: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const [p, n, q] = boolAttr(ctx.attrs, 'flatten') ? [1, x.size, 1] : splitAround(x.shape, normAxisAttr('cumsum', intAttr(ctx.attrs, 'axis'), x.shape.length));
    const exclusive = boolAttr(ctx.attrs, 'exclusive');
    const reverse = boolAttr(ctx.attrs, 'reverse');
    const src = numBuf(x);
    const direct = m.dtype !== 'int64' && m.dtype !== 'float16' && m.dtype !== 'bfloat16';
    const out = direct ? (allocArray(m.dtype, x.size) as NumericArray) : new Float64Array(x.size);
    // Running sums of one row of q lines at a time; float32 sums round to float32 at every step, as
    // a float32 scan does.
    const acc = m.dtype === 'float32' ? new Float32Array(q) : new Float64Array(q);
    for (let o = 0; o < p; o++) {
      acc.fill(0);
      for (let t = 0; t < n; t++) {
        const j = reverse ? n - 1 - t : t;
        const row = (o * n + j) * q;
        if (exclusive) {
          for (let i = 0; i < q; i++) {
            out[row + i] = acc[i]!;
            acc[i]! += src[row + i]!;
          }
        } else {
          for (let i = 0; i < q; i++) out[row + i] = acc[i]! += src[row + i]!;
        }
      }
    }
    return { Out: direct ? out : narrowTo(m.dtype, out) };
  },

  lookup_table_v2: lookupKernel('lookup_table_v2'),
  lookup_table: lookupKernel('lookup_table'),

  lookup_table_v2_grad: (inputs, ctx) => {
    const w = inputs.W as Tensor;
    const idsT = inputs.Ids as Tensor;
    const m = ctx.meta['W@GRAD'] as TensorMeta;
    const [rows, d] = [w.shape[0]!, w.shape[1]!];
    const pad = intAttr(ctx.attrs, 'padding_idx');
    const ids = indexBuf(idsT) as Indices;
    const g = floatBuf(inputs['Out@GRAD'] as Tensor);
    const out = m.dtype === 'float64' ? new Float64Array(rows * d) : new Float32Array(rows * d);
    // Repeated ids accumulate; the padding row receives nothing.
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (pad !== -1 && id === pad) continue;
      if (!(id >= 0 && id < rows)) throw outOfRange('lookup_table_v2_grad', 'Ids', idsT.shape, i, id, rows, `the rows of W ${fmtShape(w.shape)}`);
      const o = id * d;
      const b = i * d;
      for (let e = 0; e < d; e++) out[o + e]! += g[b + e]!;
    }
    return { 'W@GRAD': narrowTo(m.dtype, out) };
  },
};
