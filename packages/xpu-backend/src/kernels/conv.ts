/**
 * conv2d and depthwise_conv2d on xpu through cuDNN, with the fused form the inference passes make
 * (Output = act(conv(Input) + Bias + ResidualData)). Each geometry is planned once: descriptors,
 * and the fastest algorithm cudnnFind measures. A ReLU epilogue runs inside cuDNN
 * (cudnnConvolutionBiasActivationForward); other epilogues run as one kernel after the convolution.
 *
 * cuDNN pads symmetrically: a geometry whose explicit bottom/right padding changes the output size
 * against top/left padding on both sides is refused with the shapes involved.
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { CUDNN_ACTIVATION_RELU, CUDNN_MATH, CudnnError } from '../ffi/cudnn';
import type { Compute } from '../runtime/compute';
import { floatType, ptrOf, type Backend } from './common';
import { needsEpilogue, runEpilogue } from './epilogue';

interface ConvPlan {
  x: unknown;
  w: unknown;
  y: unknown;
  conv: unknown;
  bias: unknown;
  algo: number;
  workspace: number;
  /** cuDNN refused the fused call for this geometry once: use the separate epilogue. */
  fusedRefused: boolean;
  /** A zero bias for fused calls without a Bias input. */
  zeroBias?: bigint;
}

const planCache = new WeakMap<Compute, Map<string, ConvPlan>>();
const reluDesc = new WeakMap<Compute, unknown>();

function layoutStrides(nhwc: boolean, c: number, h: number, w: number): number[] {
  return nhwc ? [h * w * c, 1, w * c, c] : [c * h * w, h * w, w, 1];
}

function planConv(c: Compute, type: string, dtype: 'float32' | 'float64', g: plans.ConvGeom): ConvPlan {
  let cache = planCache.get(c);
  if (!cache) planCache.set(c, (cache = new Map()));
  const key = `${dtype}|${g.n},${g.c},${g.h},${g.w}|${g.m},${g.kh},${g.kw}|${g.oh},${g.ow}|${g.sh},${g.sw}|${g.pt},${g.pl}|${g.dh},${g.dw}|${g.groups}|${g.nhwc}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { lib, handle } = c.cudnn();
  const x = lib.tensor4d(dtype, [g.n, g.c, g.h, g.w], layoutStrides(g.nhwc, g.c, g.h, g.w));
  const y = lib.tensor4d(dtype, [g.n, g.m, g.oh, g.ow], layoutStrides(g.nhwc, g.m, g.oh, g.ow));
  const w = lib.filter4d(dtype, g.m, g.c / g.groups, g.kh, g.kw);
  const conv = lib.conv2d(dtype, [g.pt, g.pl], [g.sh, g.sw], [g.dh, g.dw], g.groups, c.tf32 ? CUDNN_MATH.DEFAULT : CUDNN_MATH.FMA);
  const dims = lib.outputDim(conv, x, w);
  if (dims[2] !== g.oh || dims[3] !== g.ow) {
    throw new OpError(
      type,
      `on xpu padding must be symmetric: Input ${g.h}x${g.w}, kernel ${g.kh}x${g.kw}, strides ${g.sh},${g.sw}, top/left padding ${g.pt},${g.pl} give ` +
        `${dims[2]}x${dims[3]} with the same padding at the bottom/right, but this convolution's output is ${g.oh}x${g.ow}`,
    );
  }
  const found = lib.findForward(handle, x, w, conv, y);
  if (found.length === 0) throw new OpError(type, `cuDNN has no forward algorithm for Input [${g.n}, ${g.c}, ${g.h}, ${g.w}] and filter [${g.m}, ${g.c / g.groups}, ${g.kh}, ${g.kw}]`);
  const best = found[0]!;
  const bias = lib.tensor4d(dtype, [1, g.m, 1, 1], [g.m, 1, 1, 1]);
  const plan: ConvPlan = { x, w, y, conv, bias, algo: best.algo, workspace: lib.forwardWorkspace(handle, x, w, conv, y, best.algo), fusedRefused: false };
  cache.set(key, plan);
  return plan;
}

function relu(c: Compute): unknown {
  let d = reluDesc.get(c);
  if (d === undefined) reluDesc.set(c, (d = c.cudnn().lib.activation(CUDNN_ACTIVATION_RELU, 0)));
  return d;
}

const conv2d =
  (type: string): KernelFn<Backend> =>
  (inputs, ctx) => {
    const x = inputs.Input as Tensor;
    const f = inputs.Filter as Tensor;
    const t = floatType(type, x.dtype);
    const dtype = x.dtype as 'float32' | 'float64';
    const g = plans.convGeom(type, x.shape, f.shape, ctx.attrs);
    const ep = plans.convEpilogue(type, inputs, ctx.attrs);
    const m = ctx.meta.Output as TensorMeta;
    const n = m.shape.reduce((a, b) => a * b, 1);
    const out = ctx.backend.empty(m.dtype, n);
    if (n === 0) return { Output: out };
    const c = ctx.backend.compute();
    const p = planConv(c, type, dtype, g);
    const { lib, handle } = c.cudnn();
    const ws = p.workspace > 0 ? ctx.backend.allocator.alloc(p.workspace) : 0n;
    const one = dtype === 'float32' ? new Float32Array([1]) : new Float64Array([1]);
    const zero = dtype === 'float32' ? new Float32Array([0]) : new Float64Array([0]);
    const bias = inputs.Bias as Tensor | undefined;
    const residual = ep.residual ? (inputs.ResidualData as Tensor) : undefined;
    try {
      if (ep.act === 'relu' && lib.hasFusedForward && !p.fusedRefused) {
        let b = bias ? ptrOf(bias) : p.zeroBias;
        if (b === undefined) {
          p.zeroBias = b = ctx.backend.allocator.alloc(g.m * (dtype === 'float32' ? 4 : 8));
          c.cu.memsetD8(b, 0, g.m * (dtype === 'float32' ? 4 : 8));
        }
        try {
          lib.fusedForward(handle, one, p.x, ptrOf(x), p.w, ptrOf(f), p.conv, p.algo, ws, p.workspace, residual ? one : zero, p.y, residual ? ptrOf(residual) : out.ptr, p.bias, b, relu(c), p.y, out.ptr);
          return { Output: out };
        } catch (e) {
          if (!(e instanceof CudnnError)) throw e;
          p.fusedRefused = true; // e.g. CUDNN_STATUS_NOT_SUPPORTED for this algorithm: the separate epilogue below
        }
      }
      lib.forward(handle, one, p.x, ptrOf(x), p.w, ptrOf(f), p.conv, p.algo, ws, p.workspace, zero, p.y, out.ptr);
    } finally {
      // Stream order makes the block safe to hand out again to later work.
      if (ws !== 0n) ctx.backend.allocator.free(ws);
    }
    const e = { bias: bias ? ptrOf(bias) : 0n, residual: residual ? ptrOf(residual) : 0n, act: ep.act, alpha: ep.alpha };
    if (needsEpilogue(e)) runEpilogue(c, t, out.ptr, n, g.m, g.nhwc ? 1 : g.oh * g.ow, e);
    return { Output: out };
  };

export const kernels: Record<string, KernelFn<Backend>> = {
  conv2d: conv2d('conv2d'),
  depthwise_conv2d: conv2d('depthwise_conv2d'),
};
