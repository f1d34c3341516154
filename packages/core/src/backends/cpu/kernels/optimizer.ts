/**
 * CPU kernels of the optimizer update operators. Each writes into its inputs' buffers (the spec
 * declares the outputs in place); float16/bfloat16 tensors are computed in float32 and narrowed
 * into fresh buffers, which the engine then adopts in place of the old ones.
 */
import type { KernelFn } from '../../../kernels/registry';
import { boolAttr, floatAttr, strAttr } from '../../../kernels/specs/common';
import type { FloatArray, TypedArray } from '../../../tensor/dtype';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo } from '../backend';
import { axpby, scal } from '../blas';
import { BINARY, dnnlAddScalar, dnnlBinary, dnnlElementwise, dnnlEltwise, ELTWISE } from '../dnnl/eltwise';

/** Paddle stores float attributes as float32: a float64 kernel sees beta1 = fround(0.9). */
function fAttr(attrs: Record<string, unknown>, name: string): number {
  return Math.fround(floatAttr(attrs as never, name));
}

/** Reads the single element of a one-element float tensor. */
function scalar(t: Tensor): number {
  return floatBuf(t)[0]!;
}

/**
 * A float array to update `t` through: its own buffer for float32/float64, a widened copy for
 * half types. `result` gives what the kernel returns for the in-place output slot.
 */
class Target {
  readonly arr: FloatArray;
  constructor(private readonly t: Tensor) {
    this.arr = floatBuf(t);
  }
  result(): TypedArray {
    return this.t.dtype === 'float32' || this.t.dtype === 'float64' ? this.arr : narrowTo(this.t.dtype, this.arr);
  }
}

/** Writes a new value into a one-element tensor in place. */
function setScalar(t: Tensor, v: number): TypedArray {
  const tg = new Target(t);
  tg.arr[0] = v;
  return tg.result();
}

const sgd: KernelFn = (inputs) => {
  const p = new Target(inputs.Param as Tensor);
  const g = floatBuf(inputs.Grad as Tensor);
  const lr = scalar(inputs.LearningRate as Tensor);
  const pa = p.arr;
  for (let i = 0; i < pa.length; i++) pa[i] = pa[i]! - lr * g[i]!;
  return { ParamOut: p.result() };
};

/**
 * The momentum update as BLAS-1 passes for large float32 tensors (several times faster than
 * one JavaScript loop): v = mu·v + rescale·g + l2·p, then p −= lr·v, or with Nesterov
 * p = (1 − lr·l2)·p − lr·rescale·g − lr·mu·v.
 */
function momentumBlas(p: Float32Array, v: Float32Array, g: Float32Array, lr: number, mu: number, nesterov: boolean, l2: number, rescale: number): boolean {
  if (!axpby(rescale, g, mu, v)) return false;
  if (l2 !== 0) axpby(l2, p, 1, v);
  if (!nesterov) {
    axpby(-lr, v, 1, p);
    return true;
  }
  if (l2 !== 0) scal(1 - lr * l2, p);
  axpby(-lr * rescale, g, 1, p);
  axpby(-lr * mu, v, 1, p);
  return true;
}

const momentum: KernelFn = (inputs, ctx) => {
  const p = new Target(inputs.Param as Tensor);
  const v = new Target(inputs.Velocity as Tensor);
  const g = floatBuf(inputs.Grad as Tensor);
  const lr = scalar(inputs.LearningRate as Tensor);
  const mu = fAttr(ctx.attrs, 'mu');
  const nesterov = boolAttr(ctx.attrs, 'use_nesterov');
  const l2 = strAttr(ctx.attrs, 'regularization_method') === 'l2_decay' ? fAttr(ctx.attrs, 'regularization_coeff') : 0;
  const rescale = fAttr(ctx.attrs, 'rescale_grad');
  const pa = p.arr;
  const va = v.arr;
  if (pa instanceof Float32Array && va instanceof Float32Array && g instanceof Float32Array && momentumBlas(pa, va, g, lr, mu, nesterov, l2, rescale)) {
    return { ParamOut: p.result(), VelocityOut: v.result() };
  }
  for (let i = 0; i < pa.length; i++) {
    const pi = pa[i]!;
    // The fused L2 decay adds coeff * param to the (rescaled) gradient before the velocity update.
    const gi = rescale * g[i]! + l2 * pi;
    const vo = va[i]! * mu + gi;
    va[i] = vo;
    pa[i] = nesterov ? pi - (gi + vo * mu) * lr : pi - lr * vo;
  }
  return { ParamOut: p.result(), VelocityOut: v.result() };
};

/**
 * Paddle's adam: lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ) and ε scaled by √(1−β₂ᵗ), which equals the
 * bias-corrected form m̂/(√v̂ + ε). `decay` > 0 applies AdamW's decoupled decay first.
 */
let adamTmp = new Float32Array(0);
let adamTmp2 = new Float32Array(0);

/**
 * The Adam update for large float32 tensors as native vector passes (oneDNN elementwise, OpenBLAS
 * axpby; about 4x faster than the JavaScript loop): m1 = β1·m1 + (1−β1)·g, m2 = β2·m2 +
 * (1−β2)·g², p = (1 − lr·decay)·p − lrT·m1/(√m2 + εT). False, with nothing changed, when the
 * libraries are absent or the tensor small.
 */
function adamNative(p: Float32Array, m1: Float32Array, m2: Float32Array, g: Float32Array, beta1: number, beta2: number, lrT: number, epsT: number, lrDecay: number): boolean {
  const n = p.length;
  if (!dnnlElementwise(n)) return false;
  if (adamTmp.length < n) {
    adamTmp = new Float32Array(n);
    adamTmp2 = new Float32Array(n);
  }
  const t = adamTmp.subarray(0, n);
  const u = adamTmp2.subarray(0, n);
  if (!dnnlEltwise(ELTWISE.square, 0, 0, g, t, n)) return false;
  if (!axpby(1 - beta1, g, beta1, m1)) return false;
  axpby(1 - beta2, t, beta2, m2);
  dnnlEltwise(ELTWISE.sqrt, 0, 0, m2, t, n);
  dnnlAddScalar(t, epsT, u, n);
  dnnlBinary(BINARY.div, m1, u, t, n);
  if (lrDecay !== 0) scal(1 - lrDecay, p);
  axpby(-lrT, t, 1, p);
  return true;
}

function adamUpdate(inputs: Record<string, unknown>, attrs: Record<string, unknown>, decay: number, lrRatio: number) {
  const p = new Target(inputs.Param as Tensor);
  const m1 = new Target(inputs.Moment1 as Tensor);
  const m2 = new Target(inputs.Moment2 as Tensor);
  const g = floatBuf(inputs.Grad as Tensor);
  const b1t = inputs.Beta1Tensor as Tensor | undefined;
  const b2t = inputs.Beta2Tensor as Tensor | undefined;
  const beta1 = b1t ? scalar(b1t) : fAttr(attrs, 'beta1');
  const beta2 = b2t ? scalar(b2t) : fAttr(attrs, 'beta2');
  const eps = fAttr(attrs, 'epsilon');
  const b1p = scalar(inputs.Beta1Pow as Tensor);
  const b2p = scalar(inputs.Beta2Pow as Tensor);
  const lr = scalar(inputs.LearningRate as Tensor) * lrRatio;
  const lrT = (lr * Math.sqrt(1 - b2p)) / (1 - b1p);
  const epsT = eps * Math.sqrt(1 - b2p);
  const pa = p.arr;
  const m1a = m1.arr;
  const m2a = m2.arr;
  const native =
    pa instanceof Float32Array && m1a instanceof Float32Array && m2a instanceof Float32Array && g instanceof Float32Array &&
    adamNative(pa, m1a, m2a, g, beta1, beta2, lrT, epsT, lr * decay);
  for (let i = 0; !native && i < pa.length; i++) {
    const gi = g[i]!;
    const a = beta1 * m1a[i]! + (1 - beta1) * gi;
    const b = beta2 * m2a[i]! + (1 - beta2) * gi * gi;
    m1a[i] = a;
    m2a[i] = b;
    let pi = pa[i]!;
    if (decay !== 0) pi -= lr * decay * pi;
    pa[i] = pi - lrT * (a / (Math.sqrt(b) + epsT));
  }
  return {
    ParamOut: p.result(),
    Moment1Out: m1.result(),
    Moment2Out: m2.result(),
    Beta1PowOut: setScalar(inputs.Beta1Pow as Tensor, beta1 * b1p),
    Beta2PowOut: setScalar(inputs.Beta2Pow as Tensor, beta2 * b2p),
  };
}

const adam: KernelFn = (inputs, ctx) => adamUpdate(inputs, ctx.attrs, 0, 1);

// lr_ratio scales the learning rate of both the decay and the Adam step (Paddle's GPU kernel);
// with_decay=false turns the decay off but keeps lr_ratio.
const adamw: KernelFn = (inputs, ctx) =>
  adamUpdate(inputs, ctx.attrs, boolAttr(ctx.attrs, 'with_decay') ? fAttr(ctx.attrs, 'coeff') : 0, fAttr(ctx.attrs, 'lr_ratio'));

const rmsprop: KernelFn = (inputs, ctx) => {
  const p = new Target(inputs.Param as Tensor);
  const ms = new Target(inputs.MeanSquare as Tensor);
  const mom = new Target(inputs.Moment as Tensor);
  const mgT = inputs.MeanGrad as Tensor | undefined;
  const mg = mgT ? new Target(mgT) : null;
  const g = floatBuf(inputs.Grad as Tensor);
  const lr = scalar(inputs.LearningRate as Tensor);
  const eps = fAttr(ctx.attrs, 'epsilon');
  const rho = fAttr(ctx.attrs, 'decay');
  const mu = fAttr(ctx.attrs, 'momentum');
  const centered = boolAttr(ctx.attrs, 'centered');
  const pa = p.arr;
  const msa = ms.arr;
  const ma = mom.arr;
  const mga = mg?.arr;
  for (let i = 0; i < pa.length; i++) {
    const gi = g[i]!;
    const s = rho * msa[i]! + (1 - rho) * gi * gi;
    msa[i] = s;
    let denom = s + eps;
    if (centered) {
      const mgi = rho * mga![i]! + (1 - rho) * gi;
      mga![i] = mgi;
      denom = s - mgi * mgi + eps;
    }
    const m = mu * ma[i]! + (lr * gi) / Math.sqrt(denom);
    ma[i] = m;
    pa[i] = pa[i]! - m;
  }
  const out: Record<string, TypedArray> = { ParamOut: p.result(), MomentOut: mom.result(), MeanSquareOut: ms.result() };
  if (mg) out.MeanGradOut = mg.result();
  return out;
};

/**
 * Paddle's lamb: bias-corrected Adam direction plus weight_decay·param, scaled by the trust
 * ratio ‖param‖/‖direction‖ (1 when either norm is 0).
 */
const lamb: KernelFn = (inputs, ctx) => {
  const p = new Target(inputs.Param as Tensor);
  const m1 = new Target(inputs.Moment1 as Tensor);
  const m2 = new Target(inputs.Moment2 as Tensor);
  const g = floatBuf(inputs.Grad as Tensor);
  const wd = fAttr(ctx.attrs, 'weight_decay');
  const beta1 = fAttr(ctx.attrs, 'beta1');
  const beta2 = fAttr(ctx.attrs, 'beta2');
  const eps = fAttr(ctx.attrs, 'epsilon');
  const b1p = scalar(inputs.Beta1Pow as Tensor);
  const b2p = scalar(inputs.Beta2Pow as Tensor);
  const lr = scalar(inputs.LearningRate as Tensor);
  const pa = p.arr;
  const m1a = m1.arr;
  const m2a = m2.arr;
  const dir = new Float64Array(pa.length);
  let pSq = 0;
  let dSq = 0;
  for (let i = 0; i < pa.length; i++) {
    const gi = g[i]!;
    const a = beta1 * m1a[i]! + (1 - beta1) * gi;
    const b = beta2 * m2a[i]! + (1 - beta2) * gi * gi;
    m1a[i] = a;
    m2a[i] = b;
    const pi = pa[i]!;
    const d = a / (1 - b1p) / (Math.sqrt(b / (1 - b2p)) + eps) + wd * pi;
    dir[i] = d;
    pSq += pi * pi;
    dSq += d * d;
  }
  const pNorm = Math.sqrt(pSq);
  const dNorm = Math.sqrt(dSq);
  const step = lr * (pNorm > 0 && dNorm > 0 ? pNorm / dNorm : 1);
  for (let i = 0; i < pa.length; i++) pa[i] = pa[i]! - step * dir[i]!;
  return {
    ParamOut: p.result(),
    Moment1Out: m1.result(),
    Moment2Out: m2.result(),
    Beta1PowOut: setScalar(inputs.Beta1Pow as Tensor, beta1 * b1p),
    Beta2PowOut: setScalar(inputs.Beta2Pow as Tensor, beta2 * b2p),
  };
};

export const kernels: Record<string, KernelFn> = { sgd, momentum, adam, adamw, rmsprop, lamb };
