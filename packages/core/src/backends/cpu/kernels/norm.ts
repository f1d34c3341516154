import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { floatAttr } from '../../../kernels/specs/common';
import { bnDims, bnUsesGlobalStats, gnDims, inDims, lnDims } from '../../../kernels/specs/norm';
import type { DType, FloatArray } from '../../../tensor/dtype';
import type { Tensor } from '../../../tensor/tensor';
import { buf, floatBuf, narrowTo } from '../backend';
import { floatOut } from './pool';

/**
 * Every normalization here views X (row-major) as [A, B, C, D] where the statistic an element
 * belongs to and its channel (the Scale/Bias index) are linear in (a, b, c, d):
 *   layer_norm          [rows, 1, 1, H]   stat a            channel d
 *   instance_norm       [N, C, 1, HW]     stat a·C + b      channel b
 *   group_norm NCHW     [N, G, C/G, HW]   stat a·G + b      channel b·C/G + c
 *   group_norm NHWC     [N, HW, G, C/G]   stat a·G + c      channel c·C/G + d
 *   batch_norm NCHW     [N, C, 1, HW]     stat b            channel b
 *   batch_norm NHWC     [N·HW, 1, 1, C]   stat d            channel d
 * so one set of loops (innermost over D) serves all of them.
 */
interface NormLayout {
  dims: [number, number, number, number];
  stat: [number, number, number, number];
  chan: [number, number, number, number];
  numStats: number;
  numChannels: number;
  /** Elements per statistic. */
  count: number;
}

/** Calls f once per contiguous innermost run (length dims[3]) with its offset, first statistic and channel. */
function runs(L: NormLayout, f: (off: number, s0: number, c0: number) => void): void {
  const [A, B, C, D] = L.dims;
  let off = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      const sab = a * L.stat[0] + b * L.stat[1];
      const cab = a * L.chan[0] + b * L.chan[1];
      for (let c = 0; c < C; c++) {
        f(off, sab + c * L.stat[2], cab + c * L.chan[2]);
        off += D;
      }
    }
  }
}

/** Mean and biased variance per statistic (two passes, float64 accumulation). */
function moments(x: ArrayLike<number>, L: NormLayout): { mean: Float64Array; variance: Float64Array } {
  const D = L.dims[3];
  const ss = L.stat[3];
  const mean = new Float64Array(L.numStats);
  const variance = new Float64Array(L.numStats);
  runs(L, (off, s0) => {
    if (ss === 0) {
      let acc = 0;
      for (let d = 0; d < D; d++) acc += x[off + d]!;
      mean[s0]! += acc;
    } else for (let d = 0; d < D; d++) mean[s0 + d * ss]! += x[off + d]!;
  });
  for (let i = 0; i < mean.length; i++) mean[i]! /= L.count;
  runs(L, (off, s0) => {
    if (ss === 0) {
      const m = mean[s0]!;
      let acc = 0;
      for (let d = 0; d < D; d++) {
        const t = x[off + d]! - m;
        acc += t * t;
      }
      variance[s0]! += acc;
    } else {
      for (let d = 0; d < D; d++) {
        const t = x[off + d]! - mean[s0 + d * ss]!;
        variance[s0 + d * ss]! += t * t;
      }
    }
  });
  for (let i = 0; i < variance.length; i++) variance[i]! /= L.count;
  return { mean, variance };
}

function invStd(variance: ArrayLike<number>, eps: number): Float64Array {
  const r = new Float64Array(variance.length);
  for (let i = 0; i < r.length; i++) r[i] = 1 / Math.sqrt(variance[i]! + eps);
  return r;
}

/** y = (x − mean)·rstd·scale + bias, per statistic and channel. */
function normalize(
  x: ArrayLike<number>,
  L: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  y: FloatArray,
): void {
  const D = L.dims[3];
  const ss = L.stat[3];
  const cs = L.chan[3];
  runs(L, (off, s0, c0) => {
    if (ss === 0 && cs === 0) {
      // One statistic and one channel for the whole run: y = x·a + b.
      const a = rstd[s0]! * scale[c0]!;
      const b = bias[c0]! - mean[s0]! * a;
      for (let d = 0; d < D; d++) y[off + d] = x[off + d]! * a + b;
    } else if (ss === 0) {
      const m = mean[s0]!;
      const r = rstd[s0]!;
      for (let d = 0; d < D; d++) {
        const c = c0 + d * cs;
        y[off + d] = (x[off + d]! - m) * r * scale[c]! + bias[c]!;
      }
    } else {
      for (let d = 0; d < D; d++) {
        const s = s0 + d * ss;
        const c = c0 + d * cs;
        y[off + d] = (x[off + d]! - mean[s]!) * rstd[s]! * scale[c]! + bias[c]!;
      }
    }
  });
}

/**
 * Backward of normalize with batch statistics. With x̂ = (x−mean)·rstd and g = dy·scale, per
 * statistic of m elements: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dscale = Σ dy·x̂, dbias = Σ dy
 * per channel. With `frozen` the statistics are constants: dx = g·rstd.
 */
function normBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  L: NormLayout,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  scale: ArrayLike<number>,
  frozen: boolean,
  dx: FloatArray,
  dscale: Float64Array,
  dbias: Float64Array,
): void {
  const D = L.dims[3];
  const ss = L.stat[3];
  const cs = L.chan[3];
  const sg = new Float64Array(L.numStats);
  const sgx = new Float64Array(L.numStats);
  runs(L, (off, s0, c0) => {
    if (ss === 0) {
      // Sums of one statistic stay in locals for the run.
      const m = mean[s0]!;
      const r = rstd[s0]!;
      let g1 = 0;
      let g2 = 0;
      if (cs === 0) {
        let sdy = 0;
        let sdyx = 0;
        for (let d = 0; d < D; d++) {
          const g = dy[off + d]!;
          sdy += g;
          sdyx += g * (x[off + d]! - m);
        }
        const sc = scale[c0]!;
        g1 = sdy * sc;
        g2 = sdyx * r * sc;
        dscale[c0]! += sdyx * r;
        dbias[c0]! += sdy;
      } else {
        for (let d = 0; d < D; d++) {
          const c = c0 + d * cs;
          const g = dy[off + d]!;
          const xh = (x[off + d]! - m) * r;
          const gs = g * scale[c]!;
          g1 += gs;
          g2 += gs * xh;
          dscale[c]! += g * xh;
          dbias[c]! += g;
        }
      }
      sg[s0]! += g1;
      sgx[s0]! += g2;
      return;
    }
    for (let d = 0; d < D; d++) {
      const s = s0 + d * ss;
      const c = c0 + d * cs;
      const g = dy[off + d]!;
      const xh = (x[off + d]! - mean[s]!) * rstd[s]!;
      const gs = g * scale[c]!;
      sg[s]! += gs;
      sgx[s]! += gs * xh;
      dscale[c]! += g * xh;
      dbias[c]! += g;
    }
  });
  const inv = 1 / L.count;
  runs(L, (off, s0, c0) => {
    if (ss === 0) {
      const m = mean[s0]!;
      const r = rstd[s0]!;
      const a = sg[s0]! * inv;
      const b = sgx[s0]! * inv;
      if (frozen) {
        for (let d = 0; d < D; d++) dx[off + d] = dy[off + d]! * scale[c0 + d * cs]! * r;
      } else {
        for (let d = 0; d < D; d++) {
          const gs = dy[off + d]! * scale[c0 + d * cs]!;
          dx[off + d] = r * (gs - a - (x[off + d]! - m) * r * b);
        }
      }
      return;
    }
    for (let d = 0; d < D; d++) {
      const s = s0 + d * ss;
      const gs = dy[off + d]! * scale[c0 + d * cs]!;
      if (frozen) {
        dx[off + d] = gs * rstd[s]!;
        continue;
      }
      const xh = (x[off + d]! - mean[s]!) * rstd[s]!;
      dx[off + d] = rstd[s]! * (gs - sg[s]! * inv - xh * sgx[s]! * inv);
    }
  });
}

function filled(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

/** Scale/Bias values, or ones/zeros where the optional input is absent. */
function affine(t: Tensor | undefined, n: number, fallback: number): ArrayLike<number> {
  return t ? floatBuf(t) : filled(n, fallback);
}

function out(dtype: DType, src: ArrayLike<number>): ReturnType<typeof narrowTo> {
  const o = floatOut(dtype, src.length);
  o.set(src);
  return narrowTo(dtype, o);
}

function bnLayout(op: string, x: Tensor, attrs: Attrs): NormLayout {
  const { n, c, s, nhwc } = bnDims(op, x.shape, attrs);
  return nhwc
    ? { dims: [n * s, 1, 1, c], stat: [0, 0, 0, 1], chan: [0, 0, 0, 1], numStats: c, numChannels: c, count: n * s }
    : { dims: [n, c, 1, s], stat: [0, 1, 0, 0], chan: [0, 1, 0, 0], numStats: c, numChannels: c, count: n * s };
}

function lnLayout(op: string, x: Tensor, attrs: Attrs): NormLayout {
  const { left, right } = lnDims(op, x.shape, attrs);
  return { dims: [left, 1, 1, right], stat: [1, 0, 0, 0], chan: [0, 0, 0, 1], numStats: left, numChannels: right, count: right };
}

function gnLayout(op: string, x: Tensor, attrs: Attrs): NormLayout {
  const { n, c, s, groups: g, nhwc } = gnDims(op, x.shape, attrs);
  const cg = c / g;
  return nhwc
    ? { dims: [n, s, g, cg], stat: [g, 0, 1, 0], chan: [0, 0, cg, 1], numStats: n * g, numChannels: c, count: s * cg }
    : { dims: [n, g, cg, s], stat: [g, 1, 0, 0], chan: [0, cg, 1, 0], numStats: n * g, numChannels: c, count: s * cg };
}

function inLayout(op: string, x: Tensor): NormLayout {
  const { n, c, s } = inDims(op, x.shape);
  return { dims: [n, c, 1, s], stat: [c, 1, 0, 0], chan: [0, 1, 0, 0], numStats: n * c, numChannels: c, count: s };
}

const batchNorm: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta as Record<string, TensorMeta>;
  const L = bnLayout('batch_norm', x, ctx.attrs);
  const eps = floatAttr(ctx.attrs, 'epsilon');
  const xd = floatBuf(x);
  const C = L.numStats;
  const runMean = buf<FloatArray>(inputs.Mean as Tensor);
  const runVar = buf<FloatArray>(inputs.Variance as Tensor);
  const statT = meta.SavedMean!.dtype;
  const y = floatOut(meta.Y!.dtype, xd.length);
  let mean: ArrayLike<number>;
  let rstd: Float64Array;
  if (bnUsesGlobalStats(ctx.attrs)) {
    mean = runMean;
    rstd = invStd(runVar, eps);
  } else if (L.count === 1) {
    // One value per channel: Paddle copies X and leaves the running statistics alone.
    y.set(xd);
    return {
      Y: narrowTo(meta.Y!.dtype, y),
      MeanOut: runMean,
      VarianceOut: runVar,
      SavedMean: floatOut(statT, C),
      SavedVariance: floatOut(statT, C),
    };
  } else {
    const mom = inputs.MomentumTensor ? floatBuf(inputs.MomentumTensor as Tensor)[0]! : floatAttr(ctx.attrs, 'momentum');
    const m = moments(xd, L);
    for (let c = 0; c < C; c++) {
      runMean[c] = runMean[c]! * mom + m.mean[c]! * (1 - mom);
      runVar[c] = runVar[c]! * mom + m.variance[c]! * (1 - mom);
    }
    mean = m.mean;
    rstd = invStd(m.variance, eps);
  }
  normalize(xd, L, mean, rstd, floatBuf(inputs.Scale as Tensor), floatBuf(inputs.Bias as Tensor), y);
  // Writing into the running statistics' own buffers makes MeanOut/VarianceOut in-place.
  return { Y: narrowTo(meta.Y!.dtype, y), MeanOut: runMean, VarianceOut: runVar, SavedMean: out(statT, mean), SavedVariance: out(statT, rstd) };
};

const batchNormGrad: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta as Record<string, TensorMeta>;
  const L = bnLayout('batch_norm_grad', x, ctx.attrs);
  const C = L.numStats;
  const xd = floatBuf(x);
  const dy = floatBuf(inputs['Y@GRAD'] as Tensor);
  const dx = floatOut(meta['X@GRAD']!.dtype, xd.length);
  const dscale = new Float64Array(C);
  const dbias = new Float64Array(C);
  const global = bnUsesGlobalStats(ctx.attrs);
  const pd = meta['Scale@GRAD']!.dtype;
  if (!global && L.count === 1) {
    // The forward copied X to Y: the gradient passes straight through.
    dx.set(dy);
    return { 'X@GRAD': narrowTo(meta['X@GRAD']!.dtype, dx), 'Scale@GRAD': out(pd, dscale), 'Bias@GRAD': out(pd, dbias) };
  }
  const mean = global ? floatBuf(inputs.Mean as Tensor) : floatBuf(inputs.SavedMean as Tensor);
  const rstd = global ? invStd(floatBuf(inputs.Variance as Tensor), floatAttr(ctx.attrs, 'epsilon')) : floatBuf(inputs.SavedVariance as Tensor);
  normBackward(xd, dy, L, mean, rstd, floatBuf(inputs.Scale as Tensor), global, dx, dscale, dbias);
  return { 'X@GRAD': narrowTo(meta['X@GRAD']!.dtype, dx), 'Scale@GRAD': out(pd, dscale), 'Bias@GRAD': out(pd, dbias) };
};

/** Forward of the ops whose statistics are always computed from X (layer, group, instance). */
function statsForward(
  layout: (x: Tensor, attrs: Attrs) => NormLayout,
  slots: [string, string],
  savedIsInvStd: boolean,
): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta as Record<string, TensorMeta>;
    const L = layout(x, ctx.attrs);
    const xd = floatBuf(x);
    const eps = floatAttr(ctx.attrs, 'epsilon');
    const { mean, variance } = moments(xd, L);
    const rstd = invStd(variance, eps);
    const y = floatOut(meta.Y!.dtype, xd.length);
    normalize(xd, L, mean, rstd, affine(inputs.Scale as Tensor | undefined, L.numChannels, 1), affine(inputs.Bias as Tensor | undefined, L.numChannels, 0), y);
    const sd = meta[slots[0]]!.dtype;
    return { Y: narrowTo(meta.Y!.dtype, y), [slots[0]]: out(sd, mean), [slots[1]]: out(sd, savedIsInvStd ? rstd : variance) };
  };
}

function statsBackward(
  layout: (x: Tensor, attrs: Attrs) => NormLayout,
  slots: [string, string],
  savedIsInvStd: boolean,
): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta as Record<string, TensorMeta>;
    const L = layout(x, ctx.attrs);
    const xd = floatBuf(x);
    const saved = floatBuf(inputs[slots[1]] as Tensor);
    const rstd = savedIsInvStd ? saved : invStd(saved, floatAttr(ctx.attrs, 'epsilon'));
    const dx = floatOut(meta['X@GRAD']!.dtype, xd.length);
    const dscale = new Float64Array(L.numChannels);
    const dbias = new Float64Array(L.numChannels);
    const scale = affine(inputs.Scale as Tensor | undefined, L.numChannels, 1);
    normBackward(xd, floatBuf(inputs['Y@GRAD'] as Tensor), L, floatBuf(inputs[slots[0]] as Tensor), rstd, scale, false, dx, dscale, dbias);
    const pd = meta['Scale@GRAD']!.dtype;
    return { 'X@GRAD': narrowTo(meta['X@GRAD']!.dtype, dx), 'Scale@GRAD': out(pd, dscale), 'Bias@GRAD': out(pd, dbias) };
  };
}

const ln = (x: Tensor, a: Attrs): NormLayout => lnLayout('layer_norm', x, a);
const gn = (x: Tensor, a: Attrs): NormLayout => gnLayout('group_norm', x, a);
const inorm = (x: Tensor): NormLayout => inLayout('instance_norm', x);

export const kernels: Record<string, KernelFn> = {
  batch_norm: batchNorm,
  batch_norm_grad: batchNormGrad,
  layer_norm: statsForward(ln, ['Mean', 'Variance'], false),
  layer_norm_grad: statsBackward(ln, ['Mean', 'Variance'], false),
  group_norm: statsForward(gn, ['Mean', 'Variance'], false),
  group_norm_grad: statsBackward(gn, ['Mean', 'Variance'], false),
  instance_norm: statsForward(inorm, ['SavedMean', 'SavedVariance'], true),
  instance_norm_grad: statsBackward(inorm, ['SavedMean', 'SavedVariance'], true),
};
