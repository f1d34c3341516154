/**
 * CPU matrix products: one `gemm` per output matrix on subarray views of the operands (no
 * copies), with the batch walked by broadcast strides. A batched X against a single matrix Y
 * without trans_x is one tall gemm. fc runs as one oneDNN inner product (bias, residual and
 * activation as post-ops), else as a gemm and an epilogue here.
 */
import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { floatAttr } from '../../../kernels/specs/common';
import { fcPlan, planFor, type FcPlan, type MatmulPlan } from '../../../kernels/specs/matmul';
import type { FloatArray } from '../../../tensor/dtype';
import { broadcastStrides, numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { gemm } from '../blas';
import { floatBuf, narrowTo } from '../backend';
import { dnnlFc } from '../dnnl/inner-product';
import { dnnlBatchedMatmul } from '../dnnl/matmul';
import { frozenWeights } from '../dnnl/weights';
import { takeF32, takeF64 } from '../pool';
import { activate, dnnlActivation } from './fused-activation';

/** out[b] = alpha · op(x[b']) @ op(y[b'']) for every output batch index b (broadcast b', b''). */
export function batchedMatmul(x: FloatArray, y: FloatArray, plan: MatmulPlan, alpha: number, out: FloatArray): void {
  const { m, n, k, transX, transY, batch } = plan;
  const [xr, xc] = plan.xMat.slice(-2) as [number, number];
  const [yr, yc] = plan.yMat.slice(-2) as [number, number];
  const xSize = xr * xc;
  const ySize = yr * yc;
  const oSize = m * n;
  const nb = numel(batch);
  if (nb === 0 || oSize === 0) return;
  const yOne = numel(plan.yBatch) === 1;
  if (yOne && !transX) {
    // Rows of every X matrix are contiguous: one (nb·m)×k product.
    gemm(false, transY, nb * m, n, k, alpha, x, xc, y, yc, 0, out, n);
    return;
  }
  if (nb === 1) {
    gemm(transX, transY, m, n, k, alpha, x, xc, y, yc, 0, out, n);
    return;
  }
  // Many small products (attention): one library call for the whole batch.
  if (alpha === 1 && x instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array && dnnlBatchedMatmul(x, y, plan, out)) return;
  // Element strides (in matrices) of each operand along the output batch dims; 0 = broadcast.
  const r = batch.length;
  const xs = broadcastStrides(plan.xBatch, batch);
  const ys = broadcastStrides(plan.yBatch, batch);
  const idx = new Array<number>(r).fill(0);
  let xo = 0;
  let yo = 0;
  for (let b = 0; b < nb; b++) {
    gemm(
      transX,
      transY,
      m,
      n,
      k,
      alpha,
      x.subarray(xo * xSize, (xo + 1) * xSize),
      xc,
      y.subarray(yo * ySize, (yo + 1) * ySize),
      yc,
      0,
      out.subarray(b * oSize, (b + 1) * oSize),
      n,
    );
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      xo += xs[d]!;
      yo += ys[d]!;
      if (idx[d]! < batch[d]!) break;
      xo -= xs[d]! * batch[d]!;
      yo -= ys[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
}

/** The compute array (every element written): float64 for float64 inputs, else float32 (half types are narrowed after). */
function outArray(x: FloatArray, size: number): FloatArray {
  return x instanceof Float64Array ? takeF64(size, false) : takeF32(size, false);
}

function productKernel(type: string): KernelFn {
  return (inputs, ctx) => {
    const xt = inputs.X as Tensor;
    const yt = inputs.Y as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const plan = planFor(type, xt.shape, yt.shape, ctx.attrs);
    const x = floatBuf(xt);
    const y = floatBuf(yt);
    const out = outArray(x, numel(meta.shape));
    const alpha = type === 'matmul' ? floatAttr(ctx.attrs, 'alpha') : 1;
    batchedMatmul(x, y, plan, alpha, out);
    return { Out: narrowTo(meta.dtype, out) };
  };
}

/** out[m, n] += bias[n] and residual, then the activation, in place. */
function fcEpilogue(out: FloatArray, plan: FcPlan, bias: FloatArray | undefined, residual: FloatArray | undefined): void {
  const { m, n, act } = plan;
  if (bias) for (let r = 0; r < m; r++) for (let c = 0, o = r * n; c < n; c++) out[o + c] += bias[c]!;
  if (residual) for (let i = 0; i < out.length; i++) out[i] += residual[i]!;
  if (act) for (let i = 0; i < out.length; i++) out[i] = activate(out[i]!, act, 0);
}

const fcKernel: KernelFn = (inputs, ctx) => {
  const xt = inputs.Input as Tensor;
  const wt = inputs.W as Tensor;
  const meta = ctx.meta.Out as TensorMeta;
  const plan = fcPlan(xt.shape, wt.shape, ctx.attrs);
  const x = floatBuf(xt);
  const w = floatBuf(wt);
  const bias = inputs.Bias ? floatBuf(inputs.Bias as Tensor) : undefined;
  const residual = inputs.ResidualData ? floatBuf(inputs.ResidualData as Tensor) : undefined;
  const out = outArray(x, plan.m * plan.n);
  const all32 = [x, w, bias, residual].every((a) => a === undefined || a instanceof Float32Array);
  const fusion = {
    bias: bias as Float32Array | undefined,
    residual: residual as Float32Array | undefined,
    act: plan.act ? dnnlActivation(plan.act, 0) : undefined,
  };
  if (!all32 || !dnnlFc(x as Float32Array, w as Float32Array, plan, out as Float32Array, frozenWeights(wt, ctx), fusion)) {
    gemm(false, false, plan.m, plan.n, plan.k, 1, x, plan.k, w, plan.ldw, 0, out, plan.n);
    fcEpilogue(out, plan, bias, residual);
  }
  return { Out: narrowTo(meta.dtype, out) };
};

export const kernels: Record<string, KernelFn> = {
  matmul_v2: productKernel('matmul_v2'),
  matmul: productKernel('matmul'),
  mul: productKernel('mul'),
  fc: fcKernel,
};
