/**
 * Matrix products on xpu: matmul_v2, matmul (with alpha), mul, and fc with its fused epilogue
 * (bias, residual, activation). Shapes come from the plans the CPU uses.
 *
 * cuBLAS is column-major: a row-major C[M,N] = op(X)[M,K]·op(Y)[K,N] is computed as the
 * column-major Cᵀ = op(Y)ᵀ·op(X)ᵀ, i.e. gemm(opY, opX, N, M, K, Y, X). Products go through
 * cuBLASLt where it has an algorithm for the geometry: planned once, with fc's bias, ReLU and
 * residual (as beta·C) applied by the product itself; other activations follow as one epilogue
 * kernel. Otherwise cuBLAS's GEMMs and the epilogue kernel: batches whose operands are either
 * whole or single run as one strided-batched call, other broadcasts one call per batch.
 */
import { OpError, plans, type DType, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import type { GemmCall } from '../ffi/cublas';
import { LT_EPILOGUE } from '../ffi/cublaslt';
import type { Compute } from '../runtime/compute';
import { floatType, ptrOf, type Backend } from './common';
import { needsEpilogue, runEpilogue } from './epilogue';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export interface RowMajorGemm {
  m: number;
  n: number;
  k: number;
  transX: boolean;
  transY: boolean;
  /** Row stride of Y as stored (n, or k when transposed; fc's padded weights are wider). */
  ldy?: number;
  alpha: number;
}

/** The column-major cuBLAS call of one row-major product (pointers and batch strides left to the caller). */
export function columnMajor(g: RowMajorGemm): Pick<GemmCall, 'transA' | 'transB' | 'm' | 'n' | 'k' | 'lda' | 'ldb' | 'ldc' | 'alpha'> {
  return {
    transA: g.transY,
    transB: g.transX,
    m: g.n,
    n: g.m,
    k: g.k,
    lda: g.ldy ?? (g.transY ? g.k : g.n),
    ldb: g.transX ? g.m : g.k,
    ldc: g.n,
    alpha: g.alpha,
  };
}

/** Element offsets of each output batch into X's and Y's batches (broadcast dims step 0). */
export function batchOffsets(xBatch: readonly number[], yBatch: readonly number[], batch: readonly number[]): [number[], number[]] {
  const r = batch.length;
  const pad = (s: readonly number[]): number[] => [...new Array(r - s.length).fill(1), ...s];
  const xs = plans.broadcastStrides(pad(xBatch), batch);
  const ys = plans.broadcastStrides(pad(yBatch), batch);
  const total = numel(batch);
  const xo: number[] = [];
  const yo: number[] = [];
  for (let i = 0; i < total; i++) {
    let rem = i;
    let a = 0;
    let b = 0;
    for (let d = r - 1; d >= 0; d--) {
      const c = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      a += c * xs[d]!;
      b += c * ys[d]!;
    }
    xo.push(a);
    yo.push(b);
  }
  return [xo, yo];
}

/** What a product can apply itself through cuBLASLt: a bias per output column, a residual, ReLU. */
interface Fused {
  bias: bigint;
  residual: bigint;
  relu: boolean;
}
const NOTHING: Fused = { bias: 0n, residual: 0n, relu: false };

/** The largest power of two up to 256 dividing every pointer (cuBLASLt's algorithms need aligned operands). */
function alignment(...ptrs: bigint[]): number {
  let low = 0n;
  for (const p of ptrs) low |= p;
  const bits = Number(low & 255n);
  return bits === 0 ? 256 : bits & -bits;
}

/**
 * One product (B strided batches of it) through cuBLASLt with `fused` applied; false when Lt is
 * missing or has no algorithm for the geometry, and the caller takes the cuBLAS path.
 */
function ltProduct(c: Compute, dtype: 'float32' | 'float64', g: RowMajorGemm, x: bigint, y: bigint, out: bigint, B: number, sx: number, sy: number, fused: Fused): boolean {
  const lt = c.cublasLt();
  if (!lt) return false;
  const cm = columnMajor(g);
  const epilogue = fused.bias !== 0n ? (fused.relu ? LT_EPILOGUE.RELU_BIAS : LT_EPILOGUE.BIAS) : fused.relu ? LT_EPILOGUE.RELU : LT_EPILOGUE.DEFAULT;
  const align = alignment(x, y, out, fused.residual || out);
  const om = g.m * g.n;
  const key = `${dtype} ${c.tf32} ${cm.transA} ${cm.transB} ${cm.m} ${cm.n} ${cm.k} ${cm.lda} ${cm.ldb} ${cm.ldc} ${B} ${sy} ${sx} ${om} ${epilogue} ${align}`;
  let plan = lt.plans.get(key);
  if (plan === undefined) {
    plan = lt.lib.plan(lt.handle, { dtype, tf32: c.tf32, ...cm, batch: B, strideA: sy, strideB: sx, strideC: om, epilogue, align }, lt.workspaceBytes);
    lt.plans.set(key, plan);
  }
  if (!plan) return false;
  lt.lib.matmul(lt.handle, plan, { a: y, b: x, c: fused.residual || out, d: out, bias: fused.bias }, g.alpha, fused.residual ? 1 : 0, lt.workspace);
  return true;
}

function gemm(c: Compute, dtype: DType, g: RowMajorGemm, x: bigint, y: bigint, out: bigint, xBatch: readonly number[], yBatch: readonly number[], batch: readonly number[]): void {
  const t = dtype as 'float32' | 'float64';
  const bytes = dtype === 'float32' ? 4 : 8;
  const cm = columnMajor(g);
  const B = numel(batch);
  const xb = numel(xBatch);
  const yb = numel(yBatch);
  const xm = g.m * g.k;
  const ym = g.k * g.n;
  const om = g.m * g.n;
  if (B === 0 || om === 0) return;
  // An operand batch as large as the output's is the output's (broadcasting adds only 1s).
  if ((xb === B || xb === 1) && (yb === B || yb === 1)) {
    const sx = xb === 1 ? 0 : xm;
    const sy = yb === 1 ? 0 : ym;
    // Lt takes a batch only where every operand steps (a shared operand stays with cuBLAS).
    if ((B === 1 || (sx !== 0 && sy !== 0)) && ltProduct(c, t, g, x, y, out, B, sx, sy, NOTHING)) return;
    const { lib, handle } = c.cublas();
    lib.gemm(handle, t, { ...cm, a: y, strideA: sy, b: x, strideB: sx, beta: 0, c: out, strideC: om, batch: B });
    return;
  }
  const { lib, handle } = c.cublas();
  const [xo, yo] = batchOffsets(xBatch, yBatch, batch);
  for (let i = 0; i < B; i++) {
    lib.gemm(handle, t, {
      ...cm,
      a: y + BigInt(yo[i]! * ym * bytes),
      strideA: 0,
      b: x + BigInt(xo[i]! * xm * bytes),
      strideB: 0,
      beta: 0,
      c: out + BigInt(i * om * bytes),
      strideC: 0,
      batch: 1,
    });
  }
}

function matmulKernel(type: string): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const y = inputs.Y as Tensor;
    floatType(type, x.dtype);
    const m = ctx.meta.Out as TensorMeta;
    const p = plans.planFor(type, x.shape, y.shape, ctx.attrs);
    const out = ctx.backend.empty(m.dtype, numel(m.shape));
    const alpha = type === 'matmul' ? plans.floatAttr(ctx.attrs, 'alpha') : 1;
    if (p.k === 0) {
      ctx.backend.compute().cu.memsetD8(out.ptr, 0, out.bytes);
      return { Out: out };
    }
    gemm(ctx.backend.compute(), x.dtype, { m: p.m, n: p.n, k: p.k, transX: p.transX, transY: p.transY, alpha }, ptrOf(x), ptrOf(y), out.ptr, p.xBatch, p.yBatch, p.batch);
    return { Out: out };
  };
}

const fc: KernelFn<Backend> = (inputs, ctx) => {
  const x = inputs.Input as Tensor;
  const w = inputs.W as Tensor;
  const t = floatType('fc', x.dtype);
  const p = plans.fcPlan(x.shape, w.shape, ctx.attrs);
  const m = ctx.meta.Out as TensorMeta;
  const out = ctx.backend.empty(m.dtype, numel(m.shape));
  const c = ctx.backend.compute();
  if (p.m * p.n === 0) return { Out: out };
  const bias = inputs.Bias as Tensor | undefined;
  const residual = inputs.ResidualData as Tensor | undefined;
  if (p.residual && !residual) throw new OpError('fc', 'fuse_residual_connection is set but ResidualData is missing');
  for (const [slot, v] of [['Bias', bias], ['ResidualData', p.residual ? residual : undefined]] as const) {
    if (v && v.dtype !== x.dtype) throw new OpError('fc', `on xpu ${slot} must have Input's dtype ${x.dtype}, got ${v.dtype}`);
  }
  const e = { bias: bias ? ptrOf(bias) : 0n, residual: p.residual && residual ? ptrOf(residual) : 0n, act: p.act, alpha: 0 };
  const g: RowMajorGemm = { m: p.m, n: p.n, k: p.k, transX: false, transY: false, ldy: p.ldw, alpha: 1 };
  const relu = (p.act ?? '') === 'relu';
  if (p.k > 0 && ltProduct(c, x.dtype as 'float32' | 'float64', g, ptrOf(x), ptrOf(w), out.ptr, 1, 0, 0, { bias: e.bias, residual: e.residual, relu })) {
    // Bias, residual and ReLU are done; another activation follows on its own.
    if (!relu && (p.act ?? '') !== '') runEpilogue(c, t, out.ptr, p.m * p.n, p.n, 1, { bias: 0n, residual: 0n, act: p.act, alpha: 0 });
    return { Out: out };
  }
  if (p.k === 0) c.cu.memsetD8(out.ptr, 0, out.bytes);
  else gemm(c, x.dtype, g, ptrOf(x), ptrOf(w), out.ptr, [], [], []);
  if (needsEpilogue(e)) runEpilogue(c, t, out.ptr, p.m * p.n, p.n, 1, e);
  return { Out: out };
};

export const kernels: Record<string, KernelFn<Backend>> = {
  matmul_v2: matmulKernel('matmul_v2'),
  matmul: matmulKernel('matmul'),
  mul: matmulKernel('mul'),
  fc,
};
