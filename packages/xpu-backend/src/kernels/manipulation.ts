/**
 * Operators that move elements without arithmetic: transpose, slice, strided_slice, concat,
 * split, stack and unstack. Each is one or more strided copies: walk a box of `dims`, reading at
 * src strides and writing at dst strides. The copy kernel only moves bytes, so one instantiation
 * per element size serves every dtype. Dimensions that are contiguous in both layouts are merged
 * first; a copy left with one contiguous run is a driver memcpy. Boxes under 2^31 elements index
 * in 32 bits.
 */
import { dtypeBytes, OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { ptrOf, type Backend } from './common';

const MAX_RANK = 8;
/** C type moved per element size. */
const MOVE_TYPES: Record<number, string> = { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: 'unsigned long long' };

export function cudaSource(): string {
  const fns = Object.entries(MOVE_TYPES).map(
    ([bytes, e]) => `extern "C" __global__ void copy_strided_${bytes}(const ${e}* src, ${e}* dst, i64 n, i64 sbase, i64 dbase, Strided s) {
  LOOP(i, n) {
    i64 r = i, so = sbase, d = dbase;
    for (int k = s.rank - 1; k >= 0; --k) { i64 c = r % s.dims[k]; r /= s.dims[k]; so += c * s.ss[k]; d += c * s.ds[k]; }
    dst[d] = src[so];
  }
}
extern "C" __global__ void copy_strided32_${bytes}(const ${e}* src, ${e}* dst, unsigned n, Strided s) {
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    unsigned r = i;
    int so = 0, d = 0;
    for (int k = s.rank - 1; k >= 0; --k) { int c = (int)(r % (unsigned)s.dims[k]); r /= (unsigned)s.dims[k]; so += c * s.ss[k]; d += c * s.ds[k]; }
    dst[d] = src[so];
  }
}`,
  );
  return `typedef long long i64;
#define LOOP(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)
struct Strided { int rank; int dims[${MAX_RANK}]; int ss[${MAX_RANK}]; int ds[${MAX_RANK}]; };
${fns.join('\n')}`;
}

/**
 * The box with size-1 dimensions dropped and neighbours merged where both layouts step from one
 * to the next contiguously (outer stride = inner stride × inner size), in element units.
 */
export function collapse(dims: readonly number[], ss: readonly number[], ds: readonly number[]): { dims: number[]; ss: number[]; ds: number[] } {
  const out = { dims: [] as number[], ss: [] as number[], ds: [] as number[] };
  for (let k = 0; k < dims.length; k++) {
    if (dims[k] === 1) continue;
    const last = out.dims.length - 1;
    if (last >= 0 && out.ss[last] === ss[k]! * dims[k]! && out.ds[last] === ds[k]! * dims[k]!) {
      out.dims[last] *= dims[k]!;
      out.ss[last] = ss[k]!;
      out.ds[last] = ds[k]!;
    } else {
      out.dims.push(dims[k]!);
      out.ss.push(ss[k]!);
      out.ds.push(ds[k]!);
    }
  }
  return out;
}

/** Copies the box `dims` from src (at sbase, strides ss) to dst (at dbase, strides ds); offsets and strides in elements. */
function copyBox(op: string, ctx: { backend: Backend }, bytes: number, src: bigint, sbase: number, ss: readonly number[], dst: bigint, dbase: number, ds: readonly number[], dims: readonly number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const c = ctx.backend.compute();
  const box = collapse(dims, ss, ds);
  if (box.dims.length === 0 || (box.dims.length === 1 && box.ss[0] === 1 && box.ds[0] === 1)) {
    c.cu.memcpyDtoD(dst + BigInt(dbase * bytes), src + BigInt(sbase * bytes), n * bytes);
    return;
  }
  if (box.dims.length > MAX_RANK) throw new OpError(op, `on xpu a copy spans at most ${MAX_RANK} dimensions, got ${box.dims.length}`);
  const s = new Int32Array(1 + 3 * MAX_RANK);
  s[0] = box.dims.length;
  s.set(box.dims, 1);
  s.set(box.ss, 1 + MAX_RANK);
  s.set(box.ds, 1 + 2 * MAX_RANK);
  const mod = c.module('manipulation', () => cudaSource());
  // Below 2^31 elements on both sides, 32-bit index arithmetic (64-bit division is slow on the GPU),
  // the bases folded into the pointers.
  const span = (dims: readonly number[], st: readonly number[]): number => dims.reduce((a, d, k) => a + (d - 1) * Math.abs(st[k]!), 0);
  if (n < 2 ** 31 && span(box.dims, box.ss) < 2 ** 31 && span(box.dims, box.ds) < 2 ** 31) {
    c.launcher.launch1d(mod.fn(`copy_strided32_${bytes}`), n, 'ppis', [src + BigInt(sbase * bytes), dst + BigInt(dbase * bytes), n, s]);
  } else c.launcher.launch1d(mod.fn(`copy_strided_${bytes}`), n, 'ppllls', [src, dst, n, sbase, dbase, s]);
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function transpose(op: string): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const perm = plans.transposePerm(op, ctx.attrs, x.shape.length);
    const xs = plans.stridesOf(x.shape);
    const shape = perm.map((p) => x.shape[p]!);
    const out = ctx.backend.empty(x.dtype, x.size);
    copyBox(op, ctx, dtypeBytes(x.dtype), ptrOf(x), 0, perm.map((p) => xs[p]!), out.ptr, 0, plans.stridesOf(shape), shape);
    return { Out: out };
  };
}

function slice(op: string, strided: boolean): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.Input as Tensor;
    const plan = plans.slicePlan(op, x.shape, ctx.attrs, strided);
    const xs = plans.stridesOf(x.shape);
    let base = 0;
    const ss = plan.ranges.map((r, d) => {
      base += r.start * xs[d]!;
      return r.step * xs[d]!;
    });
    const out = ctx.backend.empty(x.dtype, size(plan.sliced));
    copyBox(op, ctx, dtypeBytes(x.dtype), ptrOf(x), base, ss, out.ptr, 0, plans.stridesOf(plan.sliced), plan.sliced);
    return { Out: out };
  };
}

export const kernels: Record<string, KernelFn<Backend>> = {
  transpose2: transpose('transpose2'),
  transpose: transpose('transpose'),
  slice: slice('slice', false),
  strided_slice: slice('strided_slice', true),
  concat: (inputs, ctx) => {
    const xs = inputs.X as Tensor[];
    const m = ctx.meta.Out as TensorMeta;
    const axis = plans.normAxisOp('concat', 'axis', plans.intAttr(ctx.attrs, 'axis'), m.shape.length);
    const os = plans.stridesOf(m.shape);
    const bytes = dtypeBytes(m.dtype);
    const out = ctx.backend.empty(m.dtype, size(m.shape));
    let at = 0;
    for (const x of xs) {
      copyBox('concat', ctx, bytes, ptrOf(x), 0, plans.stridesOf(x.shape), out.ptr, at, os, x.shape);
      at += x.shape[axis]! * os[axis]!;
    }
    return { Out: out };
  },
  split: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = plans.normAxisOp('split', 'axis', plans.intAttr(ctx.attrs, 'axis'), x.shape.length);
    const xs = plans.stridesOf(x.shape);
    const bytes = dtypeBytes(x.dtype);
    let at = 0;
    const outs = plans.splitSizes('split', x.shape[axis]!, ctx.attrs).map((n) => {
      const shape = x.shape.map((d, i) => (i === axis ? n : d));
      const o = ctx.backend.empty(x.dtype, size(shape));
      copyBox('split', ctx, bytes, ptrOf(x), at, xs, o.ptr, 0, plans.stridesOf(shape), shape);
      at += n * xs[axis]!;
      return o;
    });
    return { Out: outs };
  },
  stack: (inputs, ctx) => {
    const xs = inputs.X as Tensor[];
    const m = ctx.meta.Y as TensorMeta;
    const axis = plans.normAxisOp('stack', 'axis', plans.intAttr(ctx.attrs, 'axis'), m.shape.length);
    const os = plans.stridesOf(m.shape);
    const ds = os.filter((_, i) => i !== axis);
    const out = ctx.backend.empty(m.dtype, size(m.shape));
    xs.forEach((x, i) => copyBox('stack', ctx, dtypeBytes(m.dtype), ptrOf(x), 0, plans.stridesOf(x.shape), out.ptr, i * os[axis]!, ds, x.shape));
    return { Y: out };
  },
  unstack: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const axis = plans.normAxisOp('unstack', 'axis', plans.intAttr(ctx.attrs, 'axis'), x.shape.length);
    const xs = plans.stridesOf(x.shape);
    const ss = xs.filter((_, i) => i !== axis);
    const shape = x.shape.filter((_, i) => i !== axis);
    const outs = [];
    for (let i = 0; i < x.shape[axis]!; i++) {
      const o = ctx.backend.empty(x.dtype, size(shape));
      copyBox('unstack', ctx, dtypeBytes(x.dtype), ptrOf(x), i * xs[axis]!, ss, o.ptr, 0, plans.stridesOf(shape), shape);
      outs.push(o);
    }
    return { Y: outs };
  },
};
