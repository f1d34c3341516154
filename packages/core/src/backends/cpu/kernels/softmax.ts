/**
 * softmax / log_softmax and their grads on the CPU. The tensor is viewed as [outer, n, inner]
 * with n the softmax axis. For inner = 1 each row is contiguous; otherwise a whole [n, inner]
 * block is swept row by row with per-column accumulators, so memory is always read in order.
 * Numerically stable: the maximum along the axis is subtracted before exponentiating.
 */
import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { dnnlSoftmax, dnnlSoftmaxGrad } from '../dnnl/softmax';
import { softmaxAxis } from '../../../kernels/specs/softmax';
import type { FloatArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo } from '../backend';
import { stageArray } from './unary';

interface Geometry {
  outer: number;
  n: number;
  inner: number;
}

function geometry(op: string, shape: readonly number[], attrs: Attrs): Geometry {
  const axis = softmaxAxis(op, shape, attrs);
  return { outer: numel(shape.slice(0, axis)), n: shape[axis]!, inner: numel(shape.slice(axis + 1)) };
}

/** Softmax (or log-softmax) of x into out. */
function forward(x: FloatArray, out: FloatArray, { outer, n, inner }: Geometry, log: boolean): void {
  if (n === 0 || inner === 0) return;
  if (inner === 1) {
    for (let o = 0, base = 0; o < outer; o++, base += n) {
      let m = -Infinity;
      for (let j = base; j < base + n; j++) if (x[j]! > m) m = x[j]!;
      let s = 0;
      if (log) {
        for (let j = base; j < base + n; j++) s += Math.exp(x[j]! - m);
        const lse = m + Math.log(s);
        for (let j = base; j < base + n; j++) out[j] = x[j]! - lse;
      } else {
        for (let j = base; j < base + n; j++) {
          const e = Math.exp(x[j]! - m);
          out[j] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let j = base; j < base + n; j++) out[j] = out[j]! * inv;
      }
    }
    return;
  }
  const mx = new Float64Array(inner);
  const sum = new Float64Array(inner);
  const block = n * inner;
  for (let o = 0, base = 0; o < outer; o++, base += block) {
    mx.fill(-Infinity);
    sum.fill(0);
    for (let r = base; r < base + block; r += inner) {
      for (let k = 0; k < inner; k++) if (x[r + k]! > mx[k]!) mx[k] = x[r + k]!;
    }
    if (log) {
      for (let r = base; r < base + block; r += inner) for (let k = 0; k < inner; k++) sum[k] += Math.exp(x[r + k]! - mx[k]!);
      for (let k = 0; k < inner; k++) mx[k] = mx[k]! + Math.log(sum[k]!); // log-sum-exp
      for (let r = base; r < base + block; r += inner) for (let k = 0; k < inner; k++) out[r + k] = x[r + k]! - mx[k]!;
    } else {
      for (let r = base; r < base + block; r += inner) {
        for (let k = 0; k < inner; k++) {
          const e = Math.exp(x[r + k]! - mx[k]!);
          out[r + k] = e;
          sum[k] += e;
        }
      }
      for (let k = 0; k < inner; k++) sum[k] = 1 / sum[k]!;
      for (let r = base; r < base + block; r += inner) for (let k = 0; k < inner; k++) out[r + k] = out[r + k]! * sum[k]!;
    }
  }
}

/**
 * softmax_grad: dx = out · (dy − Σ dy·out); log_softmax_grad: dx = dy − exp(out) · Σ dy
 * (sums along the axis).
 */
function backward(out: FloatArray, dy: FloatArray, dx: FloatArray, { outer, n, inner }: Geometry, log: boolean): void {
  if (n === 0 || inner === 0) return;
  const s = new Float64Array(inner);
  const block = n * inner;
  for (let o = 0, base = 0; o < outer; o++, base += block) {
    s.fill(0);
    if (log) {
      for (let r = base; r < base + block; r += inner) for (let k = 0; k < inner; k++) s[k] += dy[r + k]!;
      for (let r = base; r < base + block; r += inner) {
        for (let k = 0; k < inner; k++) dx[r + k] = dy[r + k]! - Math.exp(out[r + k]!) * s[k]!;
      }
    } else {
      for (let r = base; r < base + block; r += inner) for (let k = 0; k < inner; k++) s[k] += dy[r + k]! * out[r + k]!;
      for (let r = base; r < base + block; r += inner) {
        for (let k = 0; k < inner; k++) dx[r + k] = out[r + k]! * (dy[r + k]! - s[k]!);
      }
    }
  }
}

// float32 through oneDNN's softmax primitives when the library is present; the loops otherwise.
function forwardKernel(op: string, log: boolean): KernelFn {
  return (inputs, ctx) => {
    const xt = inputs.X as Tensor;
    const dtype = (ctx.meta.Out as TensorMeta).dtype;
    const out = stageArray(dtype, xt.size) as FloatArray;
    const g = geometry(op, xt.shape, ctx.attrs);
    const x = floatBuf(xt);
    if (!(x instanceof Float32Array && out instanceof Float32Array && dnnlSoftmax(x, out, g.outer, g.n, g.inner, log))) forward(x, out, g, log);
    return { Out: narrowTo(dtype, out) };
  };
}

function backwardKernel(op: string, log: boolean): KernelFn {
  return (inputs, ctx) => {
    const ot = inputs.Out as Tensor;
    const dtype = (ctx.meta['X@GRAD'] as TensorMeta).dtype;
    const dx = stageArray(dtype, ot.size) as FloatArray;
    const g = geometry(op, ot.shape, ctx.attrs);
    const o = floatBuf(ot);
    const dy = floatBuf(inputs['Out@GRAD'] as Tensor);
    const f32 = o instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array;
    if (!(f32 && dnnlSoftmaxGrad(o, dy, dx, g.outer, g.n, g.inner, log))) backward(o, dy, dx, g, log);
    return { 'X@GRAD': narrowTo(dtype, dx) };
  };
}

export const kernels: Record<string, KernelFn> = {
  softmax: forwardKernel('softmax', false),
  log_softmax: forwardKernel('log_softmax', true),
  softmax_grad: backwardKernel('softmax_grad', false),
  log_softmax_grad: backwardKernel('log_softmax_grad', true),
};
