/**
 * CPU kernels of the manipulation family. Ops that only change the shape share X's buffer; the
 * others are strided copies between row-major buffers (`copyView`), which work on any dtype's
 * typed array (int64 included) and move whole contiguous runs with TypedArray.set.
 */
import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { intAttr, intsAttr } from '../../../kernels/specs/common';
import {
  expandAsShape,
  normAxisOp,
  rollPlan,
  slicePlan,
  splitSizes,
  tilePlan,
  transposePerm,
} from '../../../kernels/specs/manipulation';
import { allocArray, type TypedArray } from '../../../tensor/dtype';
import { broadcastStrides, numel, stridesOf } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { buf, rawBuf } from '../backend';
import { dnnlTranspose } from '../dnnl/transpose';
import { takeF32 } from '../pool';

/** Runs shorter than this are copied by a loop: a subarray view costs more than it saves. */
const SET_MIN = 32;

/**
 * Copies the view of `src` (offset `sOff`, strides `sStr`, any sign, 0 to broadcast) over `shape`
 * into `dst` at `dOff` with strides `dStr`. Size-1 dimensions are dropped and dimensions that are
 * contiguous on both sides are merged first, so the inner loop runs as long as possible.
 */
export function copyView(
  dst: TypedArray,
  dOff: number,
  dStr: readonly number[],
  src: TypedArray,
  sOff: number,
  sStr: readonly number[],
  shape: readonly number[],
): void {
  const sh: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const n = shape[i]!;
    if (n === 0) return;
    if (n === 1) continue;
    const k = sh.length - 1;
    if (k >= 0 && ss[k] === sStr[i]! * n && ds[k] === dStr[i]! * n) {
      sh[k]! *= n;
      ss[k] = sStr[i]!;
      ds[k] = dStr[i]!;
    } else {
      sh.push(n);
      ss.push(sStr[i]!);
      ds.push(dStr[i]!);
    }
  }
  // Typed as Float64Array for indexing; the same code moves every element type, bigint included.
  const d = dst as unknown as Float64Array;
  const s = src as unknown as Float64Array;
  const r = sh.length;
  if (r === 0) {
    d[dOff] = s[sOff]!;
    return;
  }
  const n = sh[r - 1]!;
  const si = ss[r - 1]!;
  const di = ds[r - 1]!;
  // A transpose-like copy (the source is contiguous along another dimension p) goes in tiles over
  // (p, last), so each source cache line is used for a whole tile instead of one element.
  let p = -1;
  if (r >= 2 && di === 1 && si !== 0 && Math.abs(si) !== 1 && n >= 8) {
    for (let k = r - 2; k >= 0; k--) if (Math.abs(ss[k]!) === 1 && sh[k]! >= 8) p = k;
  }
  const outerDims: number[] = [];
  for (let k = 0; k < r - 1; k++) if (k !== p) outerDims.push(k);
  const m = outerDims.length;
  const osh = outerDims.map((k) => sh[k]!);
  const oss = outerDims.map((k) => ss[k]!);
  const ods = outerDims.map((k) => ds[k]!);
  const outer = numel(osh);
  const idx = new Array<number>(m).fill(0);
  let so = sOff;
  let dp = dOff;
  for (let o = 0; o < outer; o++) {
    if (p >= 0) tile2d(d, dp, ds[p]!, s, so, ss[p]!, si, sh[p]!, n);
    else if (si === 1 && di === 1 && n >= SET_MIN) d.set(s.subarray(so, so + n), dp);
    else if (si === 0 && di === 1) d.fill(s[so]!, dp, dp + n);
    else run(d, dp, di, s, so, si, n);
    for (let k = m - 1; k >= 0; k--) {
      idx[k]!++;
      so += oss[k]!;
      dp += ods[k]!;
      if (idx[k]! < osh[k]!) break;
      so -= oss[k]! * osh[k]!;
      dp -= ods[k]! * osh[k]!;
      idx[k] = 0;
    }
  }
}

/** One strided run; a small function of its own so V8 optimizes the loop on its own. */
function run(d: Float64Array, dp: number, di: number, s: Float64Array, so: number, si: number, n: number): void {
  for (let j = 0, a = so, b = dp; j < n; j++, a += si, b += di) d[b] = s[a]!;
}

const TILE = 32;

/** d[dp + i*dRow + j] = s[so + i*sRow + j*sCol] over rows x cols, in TILE x TILE blocks. */
function tile2d(
  d: Float64Array,
  dp: number,
  dRow: number,
  s: Float64Array,
  so: number,
  sRow: number,
  sCol: number,
  rows: number,
  cols: number,
): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, rows);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const len = Math.min(j0 + TILE, cols) - j0;
      for (let i = i0; i < i1; i++) run(d, dp + i * dRow + j0, 1, s, so + i * sRow + j0 * sCol, sCol, len);
    }
  }
}

const share: KernelFn = (inputs) => ({ Out: buf(inputs.X as Tensor) });

function transpose(inputs: Record<string, unknown>, attrs: Attrs, op: string): TypedArray {
  const x = inputs.X as Tensor;
  const perm = transposePerm(op, attrs, x.shape.length);
  const xs = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const raw = rawBuf(x);
  if (raw instanceof Float32Array) {
    const out = takeF32(x.size, false);
    if (dnnlTranspose(raw, x.shape, perm, out)) return out;
  }
  const out = allocArray(x.dtype, x.size);
  copyView(out, 0, stridesOf(shape), buf(x), 0, perm.map((p) => xs[p]!), shape);
  return out;
}

function slice(op: string, strided: boolean): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.Input as Tensor;
    const plan = slicePlan(op, x.shape, ctx.attrs, strided);
    const xs = stridesOf(x.shape);
    let off = 0;
    const st = plan.ranges.map((rg, d) => {
      off += rg.start * xs[d]!;
      return rg.step * xs[d]!;
    });
    const out = allocArray(x.dtype, numel(plan.sliced));
    copyView(out, 0, stridesOf(plan.sliced), buf(x), off, st, plan.sliced);
    return { Out: out };
  };
}

export const kernels: Record<string, KernelFn> = {
  transpose2: (inputs, ctx) => ({ Out: transpose(inputs, ctx.attrs, 'transpose2') }),
  transpose: (inputs, ctx) => ({ Out: transpose(inputs, ctx.attrs, 'transpose') }),
  // Row-major storage: these only relabel the shape, so the output shares X's buffer.
  flatten_contiguous_range: share,
  flatten2: share,
  flatten: share,
  squeeze2: share,
  squeeze: share,
  unsqueeze2: share,
  unsqueeze: share,
  reshape: share,
  concat: (inputs, ctx) => {
    const xs = inputs.X as Tensor[];
    const m = ctx.meta.Out as TensorMeta;
    const axis = normAxisOp('concat', 'axis', intAttr(ctx.attrs, 'axis'), m.shape.length);
    const os = stridesOf(m.shape);
    const out = allocArray(m.dtype, numel(m.shape));
    let off = 0;
    for (const x of xs) {
      copyView(out, off, os, buf(x), 0, stridesOf(x.shape), x.shape);
      off += x.shape[axis]! * os[axis]!;
    }
    return { Out: out };
  },
  split: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = normAxisOp('split', 'axis', intAttr(ctx.attrs, 'axis'), x.shape.length);
    const xs = stridesOf(x.shape);
    const src = buf(x);
    let off = 0;
    const outs = splitSizes('split', x.shape[axis]!, ctx.attrs).map((n) => {
      const shape = x.shape.map((d, i) => (i === axis ? n : d));
      const o = allocArray(x.dtype, numel(shape));
      copyView(o, 0, stridesOf(shape), src, off, xs, shape);
      off += n * xs[axis]!;
      return o;
    });
    return { Out: outs };
  },
  slice: slice('slice', false),
  strided_slice: slice('strided_slice', true),
  stack: (inputs, ctx) => {
    const xs = inputs.X as Tensor[];
    const m = ctx.meta.Y as TensorMeta;
    const axis = normAxisOp('stack', 'axis', intAttr(ctx.attrs, 'axis'), m.shape.length);
    const os = stridesOf(m.shape);
    const dStr = os.filter((_, i) => i !== axis);
    const out = allocArray(m.dtype, numel(m.shape));
    xs.forEach((x, i) => copyView(out, i * os[axis]!, dStr, buf(x), 0, stridesOf(x.shape), x.shape));
    return { Y: out };
  },
  unstack: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = normAxisOp('unstack', 'axis', intAttr(ctx.attrs, 'axis'), x.shape.length);
    const xs = stridesOf(x.shape);
    const sStr = xs.filter((_, i) => i !== axis);
    const shape = x.shape.filter((_, i) => i !== axis);
    const src = buf(x);
    const outs: TypedArray[] = [];
    for (let i = 0; i < x.shape[axis]!; i++) {
      const o = allocArray(x.dtype, numel(shape));
      copyView(o, 0, stridesOf(shape), src, i * xs[axis]!, sStr, shape);
      outs.push(o);
    }
    return { Y: outs };
  },
  tile: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const { xs, reps, out } = tilePlan('tile', x.shape, ctx.attrs);
    const os = stridesOf(out);
    const is = stridesOf(xs);
    // Out seen as [reps[0], xs[0], reps[1], xs[1], ...]: X repeated along the reps axes.
    const shape: number[] = [];
    const sStr: number[] = [];
    const dStr: number[] = [];
    xs.forEach((d, i) => {
      shape.push(reps[i]!, d);
      sStr.push(0, is[i]!);
      dStr.push(d * os[i]!, os[i]!);
    });
    const o = allocArray(x.dtype, numel(out));
    copyView(o, 0, dStr, buf(x), 0, sStr, shape);
    return { Out: o };
  },
  expand_as_v2: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const target = expandAsShape('expand_as_v2', x.shape, [...(ctx.meta.Out as TensorMeta).shape]);
    const o = allocArray(x.dtype, numel(target));
    copyView(o, 0, stridesOf(target), buf(x), 0, broadcastStrides(x.shape, target), target);
    return { Out: o };
  },
  flip: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axes = intsAttr(ctx.attrs, 'axis').map((a) => normAxisOp('flip', 'axis', a, x.shape.length));
    const st = stridesOf(x.shape);
    let off = 0;
    for (const a of axes) {
      off += (x.shape[a]! - 1) * st[a]!;
      st[a] = -st[a]!;
    }
    const o = allocArray(x.dtype, x.size);
    copyView(o, 0, stridesOf(x.shape), buf(x), off, st, x.shape);
    return { Out: o };
  },
  roll: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const { shape, shifts } = rollPlan('roll', x.shape, ctx.attrs);
    const st = stridesOf(shape);
    const src = buf(x);
    const o = allocArray(x.dtype, x.size);
    // Along a dimension rolled by s, out[s:] = x[:n-s] and out[:s] = x[n-s:]; with k rolled
    // dimensions that is 2^k block copies.
    const rolled = shifts.map((s, d) => (s > 0 ? d : -1)).filter((d) => d >= 0);
    for (let mask = 0; mask < 1 << rolled.length; mask++) {
      const block = [...shape];
      let sOff = 0;
      let dOff = 0;
      rolled.forEach((d, j) => {
        const n = shape[d]!;
        const s = shifts[d]!;
        if (mask & (1 << j)) {
          block[d] = s;
          sOff += (n - s) * st[d]!;
        } else {
          block[d] = n - s;
          dOff += s * st[d]!;
        }
      });
      copyView(o, dOff, st, src, sOff, st, block);
    }
    return { Out: o };
  },
};
