import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { boolAttr, floatAttr, intAttr, strAttr } from '../../../kernels/specs/common';
import { classAxis } from '../../../kernels/specs/loss';
import type { DType, FloatArray, NumericArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { floatBuf, narrowTo, numBuf } from '../backend';

/** A float output buffer: the dtype's own array for float32/64, float64 for half types (narrowed later). */
function floatOut(dtype: DType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Throws when a hard label is neither a class index nor the ignored value. */
function badLabel(op: string, slot: string, v: number, at: number, classes: number, ignore: number): never {
  throw new OpError(op, `input ${slot} holds ${v} at flat index ${at}, expected a class index in [0, ${classes}) or ignore_index ${ignore}`);
}

/** outer × classes × inner decomposition of a tensor around the class axis. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis]!, numel(shape.slice(axis + 1))];
}

const softmaxWithCrossEntropy: KernelFn = (inputs, ctx) => {
  const op = 'softmax_with_cross_entropy';
  const logits = inputs.Logits as Tensor;
  const label = inputs.Label as Tensor;
  const sm = ctx.meta.Softmax as TensorMeta;
  const soft = boolAttr(ctx.attrs, 'soft_label');
  const useSoftmax = boolAttr(ctx.attrs, 'use_softmax');
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const axis = classAxis(op, logits.shape.length, ctx.attrs);
  const [outer, C, inner] = around(logits.shape, axis);
  const x = floatBuf(logits);
  const y = numBuf(label);
  const prob = floatOut(sm.dtype, x.length);
  const loss = floatOut(sm.dtype, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * C * inner + i;
      const li = o * inner + i;
      if (!useSoftmax) {
        // Logits already hold probabilities: Softmax is a copy, loss = -sum y log p.
        for (let c = 0, k = base; c < C; c++, k += inner) prob[k] = x[k]!;
        if (soft) {
          let s = 0;
          for (let c = 0, k = base; c < C; c++, k += inner) if (y[k] !== 0) s -= y[k]! * Math.log(x[k]!);
          loss[li] = s;
        } else {
          const l = y[li]!;
          if (l === ignore) loss[li] = 0;
          else if (l < 0 || l >= C || !Number.isInteger(l)) badLabel(op, 'Label', l, li, C, ignore);
          else loss[li] = -Math.log(x[base + l * inner]!);
        }
        continue;
      }
      // log softmax = x - max - log(sum exp(x - max)): no overflow for large logits.
      let m = -Infinity;
      for (let c = 0, k = base; c < C; c++, k += inner) if (x[k]! > m) m = x[k]!;
      let sum = 0;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const e = Math.exp(x[k]! - m);
        prob[k] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let c = 0, k = base; c < C; c++, k += inner) prob[k]! *= inv;
      const lse = m + Math.log(sum);
      if (soft) {
        let s = 0;
        for (let c = 0, k = base; c < C; c++, k += inner) if (y[k] !== 0) s -= y[k]! * (x[k]! - lse);
        loss[li] = s;
      } else {
        const l = y[li]!;
        if (l === ignore) loss[li] = 0;
        else if (l < 0 || l >= C || !Number.isInteger(l)) badLabel(op, 'Label', l, li, C, ignore);
        else loss[li] = lse - x[base + l * inner]!;
      }
    }
  }
  return { Softmax: narrowTo(sm.dtype, prob), Loss: narrowTo(sm.dtype, loss) };
};

const softmaxWithCrossEntropyGrad: KernelFn = (inputs, ctx) => {
  const op = 'softmax_with_cross_entropy_grad';
  const softmax = inputs.Softmax as Tensor;
  const meta = ctx.meta['Logits@GRAD'] as TensorMeta;
  const soft = boolAttr(ctx.attrs, 'soft_label');
  const useSoftmax = boolAttr(ctx.attrs, 'use_softmax');
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const axis = classAxis(op, softmax.shape.length, ctx.attrs);
  const [outer, C, inner] = around(softmax.shape, axis);
  const p = floatBuf(softmax);
  const y = numBuf(inputs.Label as Tensor);
  const dl = floatBuf(inputs['Loss@GRAD'] as Tensor);
  const dx = floatOut(meta.dtype, p.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * C * inner + i;
      const li = o * inner + i;
      const g = dl[li]!;
      if (soft) {
        if (useSoftmax) {
          // d/dx of -sum_c y_c log softmax_c = softmax * sum(y) - y (sum(y) = 1 for distributions).
          let ys = 0;
          for (let c = 0, k = base; c < C; c++, k += inner) ys += y[k]!;
          for (let c = 0, k = base; c < C; c++, k += inner) dx[k] = (p[k]! * ys - y[k]!) * g;
        } else {
          for (let c = 0, k = base; c < C; c++, k += inner) dx[k] = (-y[k]! / p[k]!) * g;
        }
        continue;
      }
      const l = y[li]!;
      if (l === ignore) continue; // dx stays 0
      if (l < 0 || l >= C || !Number.isInteger(l)) badLabel(op, 'Label', l, li, C, ignore);
      if (useSoftmax) {
        for (let c = 0, k = base; c < C; c++, k += inner) dx[k] = p[k]! * g;
        dx[base + l * inner]! -= g;
      } else {
        dx[base + l * inner] = -g / p[base + l * inner]!;
      }
    }
  }
  return { 'Logits@GRAD': narrowTo(meta.dtype, dx) };
};

/** Paddle counts labels farther than 1e-6 from ignore_index; at least 1 so all-ignored gives 0. */
function sigmoidNorm(label: NumericArray, ignore: number): number {
  let n = 0;
  for (let i = 0; i < label.length; i++) if (Math.abs(label[i]! - ignore) > 1e-6) n++;
  return Math.max(n, 1);
}

const sigmoidCrossEntropyWithLogits: KernelFn = (inputs, ctx) => {
  const x = floatBuf(inputs.X as Tensor);
  const label = floatBuf(inputs.Label as Tensor);
  const meta = ctx.meta.Out as TensorMeta;
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const out = floatOut(meta.dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const l = label[i]!;
    // Paddle compares the label truncated to int with ignore_index.
    out[i] = Math.trunc(l) === ignore ? 0 : Math.max(v, 0) - v * l + Math.log1p(Math.exp(-Math.abs(v)));
  }
  if (boolAttr(ctx.attrs, 'normalize')) {
    const inv = 1 / sigmoidNorm(label, ignore);
    for (let i = 0; i < out.length; i++) out[i]! *= inv;
  }
  return { Out: narrowTo(meta.dtype, out) };
};

const sigmoidCrossEntropyWithLogitsGrad: KernelFn = (inputs, ctx) => {
  const x = floatBuf(inputs.X as Tensor);
  const label = floatBuf(inputs.Label as Tensor);
  const dout = floatBuf(inputs['Out@GRAD'] as Tensor);
  const meta = ctx.meta['X@GRAD'] as TensorMeta;
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const dx = floatOut(meta.dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const l = label[i]!;
    if (Math.trunc(l) === ignore) continue;
    const v = x[i]!;
    // sigmoid without overflow for large |v|.
    const e = Math.exp(-Math.abs(v));
    const sig = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    dx[i] = (sig - l) * dout[i]!;
  }
  if (boolAttr(ctx.attrs, 'normalize')) {
    const inv = 1 / sigmoidNorm(label, ignore);
    for (let i = 0; i < dx.length; i++) dx[i]! *= inv;
  }
  return { 'X@GRAD': narrowTo(meta.dtype, dx) };
};

const bceLoss: KernelFn = (inputs, ctx) => {
  const x = floatBuf(inputs.X as Tensor);
  const label = floatBuf(inputs.Label as Tensor);
  const meta = ctx.meta.Out as TensorMeta;
  const out = floatOut(meta.dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    if (!(p >= 0 && p <= 1)) throw new OpError('bce_loss', `input X must hold probabilities in [0, 1], got ${p} at flat index ${i}`);
    const l = label[i]!;
    // log clamped at -100 as Paddle (and PyTorch) do, so p = 0 or 1 gives a finite loss.
    out[i] = -(l * Math.max(Math.log(p), -100) + (1 - l) * Math.max(Math.log1p(-p), -100));
  }
  return { Out: narrowTo(meta.dtype, out) };
};

const smoothL1Loss: KernelFn = (inputs, ctx) => {
  const xt = inputs.X as Tensor;
  const x = floatBuf(xt);
  const y = floatBuf(inputs.Y as Tensor);
  const iw = inputs.InsideWeight ? floatBuf(inputs.InsideWeight as Tensor) : null;
  const ow = inputs.OutsideWeight ? floatBuf(inputs.OutsideWeight as Tensor) : null;
  const meta = ctx.meta.Out as TensorMeta;
  const s2 = floatAttr(ctx.attrs, 'sigma') ** 2;
  const n = xt.shape[0]!;
  const cols = n === 0 ? 0 : x.length / n;
  const diff = floatOut(meta.dtype, x.length);
  const out = floatOut(meta.dtype, n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = r * cols, end = k + cols; k < end; k++) {
      let d = x[k]! - y[k]!;
      if (iw) d *= iw[k]!;
      diff[k] = d;
      const a = Math.abs(d);
      let v = a < 1 / s2 ? 0.5 * s2 * d * d : a - 0.5 / s2;
      if (ow) v *= ow[k]!;
      s += v;
    }
    out[r] = s;
  }
  return { Diff: narrowTo(meta.dtype, diff), Out: narrowTo(meta.dtype, out) };
};

const huberLoss: KernelFn = (inputs, ctx) => {
  const x = floatBuf(inputs.X as Tensor);
  const y = floatBuf(inputs.Y as Tensor);
  const meta = ctx.meta.Out as TensorMeta;
  const delta = floatAttr(ctx.attrs, 'delta');
  const res = floatOut(meta.dtype, x.length);
  const out = floatOut(meta.dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const r = y[i]! - x[i]!;
    res[i] = r;
    const a = Math.abs(r);
    out[i] = a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
  }
  return { Residual: narrowTo(meta.dtype, res), Out: narrowTo(meta.dtype, out) };
};

/** Shared walk of nll_loss and its gradient: calls f(xIndex, labelIndex, weight) per counted label. */
function nllWalk(op: string, x: Tensor, label: NumericArray, weight: FloatArray | null, ignore: number, f: (xi: number, li: number, w: number) => void): void {
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const map = numel(x.shape.slice(2));
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < map; j++) {
      const li = n * map + j;
      const l = label[li]!;
      if (l === ignore) continue;
      if (l < 0 || l >= C || !Number.isInteger(l)) badLabel(op, 'Label', l, li, C, ignore);
      f(n * C * map + l * map + j, li, weight ? weight[l]! : 1);
    }
  }
}

const nllLoss: KernelFn = (inputs, ctx) => {
  const xt = inputs.X as Tensor;
  const x = floatBuf(xt);
  const label = numBuf(inputs.Label as Tensor);
  const weight = inputs.Weight ? floatBuf(inputs.Weight as Tensor) : null;
  const meta = ctx.meta.Out as TensorMeta;
  const reduction = strAttr(ctx.attrs, 'reduction');
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const out = floatOut(meta.dtype, numel(meta.shape));
  const tw = floatOut(meta.dtype, 1);
  if (reduction === 'none') {
    // Ignored positions stay 0; Paddle leaves Total_weight at 0 without a reduction.
    nllWalk('nll_loss', xt, label, weight, ignore, (xi, li, w) => {
      out[li] = -x[xi]! * w;
    });
  } else {
    let total = 0;
    let s = 0;
    nllWalk('nll_loss', xt, label, weight, ignore, (xi, _li, w) => {
      total += w;
      s -= x[xi]! * w;
    });
    // Paddle skips the division when every label is ignored (total weight 0), giving 0.
    out[0] = reduction === 'mean' && total !== 0 ? s / total : s;
    tw[0] = total;
  }
  return { Out: narrowTo(meta.dtype, out), Total_weight: narrowTo(meta.dtype, tw) };
};

const nllLossGrad: KernelFn = (inputs, ctx) => {
  const xt = inputs.X as Tensor;
  const label = numBuf(inputs.Label as Tensor);
  const weight = inputs.Weight ? floatBuf(inputs.Weight as Tensor) : null;
  const dout = floatBuf(inputs['Out@GRAD'] as Tensor);
  const total = floatBuf(inputs.Total_weight as Tensor)[0]!;
  const meta = ctx.meta['X@GRAD'] as TensorMeta;
  const reduction = strAttr(ctx.attrs, 'reduction');
  const ignore = intAttr(ctx.attrs, 'ignore_index');
  const dx = floatOut(meta.dtype, xt.size);
  if (reduction === 'none') {
    nllWalk('nll_loss_grad', xt, label, weight, ignore, (xi, li, w) => {
      dx[xi] = -w * dout[li]!;
    });
  } else {
    // Matches the forward: no division when the total weight is 0.
    const g = reduction === 'mean' && total !== 0 ? dout[0]! / total : dout[0]!;
    nllWalk('nll_loss_grad', xt, label, weight, ignore, (xi, _li, w) => {
      dx[xi] = -w * g;
    });
  }
  return { 'X@GRAD': narrowTo(meta.dtype, dx) };
};

const kldivLoss: KernelFn = (inputs, ctx) => {
  const xt = inputs.X as Tensor;
  const x = floatBuf(xt);
  const t = floatBuf(inputs.Target as Tensor);
  const meta = ctx.meta.Loss as TensorMeta;
  const reduction = strAttr(ctx.attrs, 'reduction');
  // target <= 0 contributes 0 (Paddle zeroes target < 0; target = 0 is the 0·log 0 = 0 limit).
  if (reduction === 'none') {
    const out = floatOut(meta.dtype, x.length);
    for (let i = 0; i < x.length; i++) {
      const v = t[i]!;
      out[i] = v > 0 ? v * (Math.log(v) - x[i]!) : 0;
    }
    return { Loss: narrowTo(meta.dtype, out) };
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = t[i]!;
    if (v > 0) s += v * (Math.log(v) - x[i]!);
  }
  if (reduction === 'mean') s /= x.length;
  else if (reduction === 'batchmean') s /= xt.shape[0]!;
  const out = floatOut(meta.dtype, 1);
  out[0] = s;
  return { Loss: narrowTo(meta.dtype, out) };
};

const logLoss: KernelFn = (inputs, ctx) => {
  const p = floatBuf(inputs.Predicted as Tensor);
  const l = floatBuf(inputs.Labels as Tensor);
  const meta = ctx.meta.Loss as TensorMeta;
  const eps = floatAttr(ctx.attrs, 'epsilon');
  const out = floatOut(meta.dtype, p.length);
  for (let i = 0; i < p.length; i++) {
    out[i] = -l[i]! * Math.log(p[i]! + eps) - (1 - l[i]!) * Math.log(1 - p[i]! + eps);
  }
  return { Loss: narrowTo(meta.dtype, out) };
};

export const kernels: Record<string, KernelFn> = {
  softmax_with_cross_entropy: softmaxWithCrossEntropy,
  softmax_with_cross_entropy_grad: softmaxWithCrossEntropyGrad,
  sigmoid_cross_entropy_with_logits: sigmoidCrossEntropyWithLogits,
  sigmoid_cross_entropy_with_logits_grad: sigmoidCrossEntropyWithLogitsGrad,
  bce_loss: bceLoss,
  smooth_l1_loss: smoothL1Loss,
  huber_loss: huberLoss,
  nll_loss: nllLoss,
  nll_loss_grad: nllLossGrad,
  kldiv_loss: kldivLoss,
  log_loss: logLoss,
};
