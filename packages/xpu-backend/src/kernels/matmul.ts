/**
 * Matrix products on xpu through cuBLAS: matmul_v2, matmul (with alpha), mul, and fc with its
 * fused epilogue (bias, residual, activation). Shapes come from the plans the CPU uses.
 *
 * cuBLAS is column-major: a row-major C[M,N] = op(X)[M,K]·op(Y)[K,N] is computed as the
 * column-major Cᵀ = op(Y)ᵀ·op(X)ᵀ, i.e. gemm(opY, opX, N, M, K, Y, X). Batches whose operands are
 * either whole or single run as one strided-batched call; other broadcasts run one call per batch.
 */
import { OpError, plans, type DType, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import type { GemmCall } from '../ffi/cublas';
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

function gemm(c: Compute, dtype: DType, g: RowMajorGemm, x: bigint, y: bigint, out: bigint, xBatch: readonly number[], yBatch: readonly number[], batch: readonly number[]): void {
  const { lib, handle } = c.cublas();
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
    lib.gemm(handle, t, { ...cm, a: y, strideA: yb === 1 ? 0 : ym, b: x, strideB: xb === 1 ? 0 : xm, beta: 0, c: out, strideC: om, batch: B });
    return;
  }
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
  if (p.k === 0) c.cu.memsetD8(out.ptr, 0, out.bytes);
  else gemm(c, x.dtype, { m: p.m, n: p.n, k: p.k, transX: false, transY: false, ldy: p.ldw, alpha: 1 }, ptrOf(x), ptrOf(w), out.ptr, [], [], []);
  const bias = inputs.Bias as Tensor | undefined;
  const residual = inputs.ResidualData as Tensor | undefined;
  if (p.residual && !residual) throw new OpError('fc', 'fuse_residual_connection is set but ResidualData is missing');
  const e = { bias: bias ? ptrOf(bias) : 0n, residual: p.residual && residual ? ptrOf(residual) : 0n, act: p.act, alpha: 0 };
  if (needsEpilogue(e)) runEpilogue(c, t, out.ptr, p.m * p.n, p.n, 1, e);
  return { Out: out };
};

export const kernels: Record<string, KernelFn<Backend>> = {
  matmul_v2: matmulKernel('matmul_v2'),
  matmul: matmulKernel('matmul'),
  mul: matmulKernel('mul'),
  fc,
};
