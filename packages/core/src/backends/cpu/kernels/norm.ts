import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { floatAttr } from '../../../kernels/specs/common';
import { bnDims, bnUsesGlobalStats, gnDims, inDims, lnDims } from '../../../kernels/specs/norm';
import type { DType, FloatArray } from '../../../tensor/dtype';
import type { Tensor } from '../../../tensor/tensor';
import { buf, floatBuf, narrowTo, rawBuf } from '../backend';
import { dnnlBatchNormGlobal, dnnlBatchNormGrad, dnnlBatchNormTrain } from '../dnnl/batch-norm';
import { dnnlLayerNorm, dnnlLayerNormGrad } from '../dnnl/layer-norm';
import { takeF32 } from '../pool';
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

/** Statistics/channel values as a Float64Array (copied when needed), so the hot loops read one array type. */
function f64(v: ArrayLike<number>): Float64Array {
  return v instanceof Float64Array ? v : Float64Array.from(v as ArrayLike<number>);
}

/**
 * Mean and biased variance per statistic, float64 accumulation. Where a run belongs to a single
 * statistic (stat[3] = 0: batch_norm NCHW, instance_norm, layer_norm, group_norm) the sums are
 * taken in one pass, shifted by the statistic's first element so Σ(x−K)² − (Σ(x−K))²/n does not
 * cancel; otherwise two passes (mean, then Σ(x−mean)²).
 */
function moments(x: FloatArray, L: NormLayout): { mean: Float64Array; variance: Float64Array } {
  const [A, B, C, D] = L.dims;
  const [sa, sb, sc, ss] = L.stat;
  const mean = new Float64Array(L.numStats);
  const variance = new Float64Array(L.numStats);
  const n = L.count;
  if (ss === 0) {
    const shift = new Float64Array(L.numStats);
    const seen = new Uint8Array(L.numStats);
    let off = 0;
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        let s = a * sa + b * sb;
        for (let c = 0; c < C; c++, s += sc, off += D) {
          if (D === 0) continue;
          if (seen[s] === 0) {
            seen[s] = 1;
            shift[s] = x[off]!;
          }
          const k = shift[s]!;
          let s0 = 0;
          let s1 = 0;
          let q0 = 0;
          let q1 = 0;
          let d = 0;
          const end = off + D;
          for (let i = off; i + 1 < end; i += 2) {
            const t0 = x[i]! - k;
            const t1 = x[i + 1]! - k;
            s0 += t0;
            q0 += t0 * t0;
            s1 += t1;
            q1 += t1 * t1;
            d += 2;
          }
          if (d < D) {
            const t = x[end - 1]! - k;
            s0 += t;
            q0 += t * t;
          }
          mean[s]! += s0 + s1;
          variance[s]! += q0 + q1;
        }
      }
    }
    for (let i = 0; i < mean.length; i++) {
      const m = mean[i]! / n;
      const v = variance[i]! / n - m * m;
      mean[i] = shift[i]! + m;
      variance[i] = v < 0 ? 0 : v;
    }
    return { mean, variance };
  }
  let off = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++, off += D) {
        const s0 = a * sa + b * sb + c * sc;
        for (let d = 0; d < D; d++) mean[s0 + d * ss]! += x[off + d]!;
      }
    }
  }
  for (let i = 0; i < mean.length; i++) mean[i]! /= n;
  off = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++, off += D) {
        const s0 = a * sa + b * sb + c * sc;
        for (let d = 0; d < D; d++) {
          const t = x[off + d]! - mean[s0 + d * ss]!;
          variance[s0 + d * ss]! += t * t;
        }
      }
    }
  }
  for (let i = 0; i < variance.length; i++) variance[i]! /= n;
  return { mean, variance };
}

function invStd(variance: ArrayLike<number>, eps: number): Float64Array {
  const r = new Float64Array(variance.length);
  for (let i = 0; i < r.length; i++) r[i] = 1 / Math.sqrt(variance[i]! + eps);
  return r;
}

/** y = (x − mean)·rstd·scale + bias, per statistic and channel. */
function normalize(
  x: FloatArray,
  L: NormLayout,
  meanIn: ArrayLike<number>,
  rstdIn: ArrayLike<number>,
  scaleIn: ArrayLike<number>,
  biasIn: ArrayLike<number>,
  y: FloatArray,
): void {
  const mean = f64(meanIn);
  const rstd = f64(rstdIn);
  const scale = f64(scaleIn);
  const bias = f64(biasIn);
  const [A, B, C, D] = L.dims;
  const [sa, sb, sc, ss] = L.stat;
  const [ca, cb, cc, cs] = L.chan;
  let off = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++, off += D) {
        const s0 = a * sa + b * sb + c * sc;
        const c0 = a * ca + b * cb + c * cc;
        const end = off + D;
        if (ss === 0 && cs === 0) {
          // One statistic and one channel for the whole run: y = x·a + b.
          const k = rstd[s0]! * scale[c0]!;
          const z = bias[c0]! - mean[s0]! * k;
          for (let i = off; i < end; i++) y[i] = x[i]! * k + z;
        } else if (ss === 0) {
          const m = mean[s0]!;
          const r = rstd[s0]!;
          for (let i = off, ch = c0; i < end; i++, ch += cs) y[i] = (x[i]! - m) * r * scale[ch]! + bias[ch]!;
        } else {
          for (let i = off, s = s0, ch = c0; i < end; i++, s += ss, ch += cs) {
            y[i] = (x[i]! - mean[s]!) * rstd[s]! * scale[ch]! + bias[ch]!;
          }
        }
      }
    }
  }
}

/**
 * Backward of normalize with batch statistics. With x̂ = (x−mean)·rstd and g = dy·scale, per
 * statistic of m elements: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dscale = Σ dy·x̂, dbias = Σ dy
 * per channel. With `frozen` the statistics are constants: dx = g·rstd.
 */
function normBackward(
  x: FloatArray,
  dy: FloatArray,
  L: NormLayout,
  meanIn: ArrayLike<number>,
  rstdIn: ArrayLike<number>,
  scaleIn: ArrayLike<number>,
  frozen: boolean,
  dx: FloatArray,
  dscale: Float64Array,
  dbias: Float64Array,
): void {
  const mean = f64(meanIn);
  const rstd = f64(rstdIn);
  const scale = f64(scaleIn);
  const [A, B, C, D] = L.dims;
  const [sa, sb, sc, ss] = L.stat;
  const [ca, cb, cc, cs] = L.chan;
  const sg = new Float64Array(L.numStats);
  const sgx = new Float64Array(L.numStats);
  let off = 0;
  if (!frozen) {
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++, off += D) {
          const s0 = a * sa + b * sb + c * sc;
          const c0 = a * ca + b * cb + c * cc;
          const end = off + D;
          if (ss === 0 && cs === 0) {
            // Sums of one statistic and channel stay in locals for the run.
            const m = mean[s0]!;
            const r = rstd[s0]!;
            let sdy0 = 0;
            let sdy1 = 0;
            let sdyx0 = 0;
            let sdyx1 = 0;
            let i = off;
            for (; i + 1 < end; i += 2) {
              const g0 = dy[i]!;
              const g1 = dy[i + 1]!;
              sdy0 += g0;
              sdyx0 += g0 * (x[i]! - m);
              sdy1 += g1;
              sdyx1 += g1 * (x[i + 1]! - m);
            }
            if (i < end) {
              const g0 = dy[i]!;
              sdy0 += g0;
              sdyx0 += g0 * (x[i]! - m);
            }
            const sdy = sdy0 + sdy1;
            const sdyx = sdyx0 + sdyx1;
            const k = scale[c0]!;
            sg[s0]! += sdy * k;
            sgx[s0]! += sdyx * r * k;
            dscale[c0]! += sdyx * r;
            dbias[c0]! += sdy;
          } else if (ss === 0) {
            const m = mean[s0]!;
            const r = rstd[s0]!;
            let g1 = 0;
            let g2 = 0;
            for (let i = off, ch = c0; i < end; i++, ch += cs) {
              const g = dy[i]!;
              const xh = (x[i]! - m) * r;
              const gs = g * scale[ch]!;
              g1 += gs;
              g2 += gs * xh;
              dscale[ch]! += g * xh;
              dbias[ch]! += g;
            }
            sg[s0]! += g1;
            sgx[s0]! += g2;
          } else {
            for (let i = off, s = s0, ch = c0; i < end; i++, s += ss, ch += cs) {
              const g = dy[i]!;
              const xh = (x[i]! - mean[s]!) * rstd[s]!;
              const gs = g * scale[ch]!;
              sg[s]! += gs;
              sgx[s]! += gs * xh;
              dscale[ch]! += g * xh;
              dbias[ch]! += g;
            }
          }
        }
      }
    }
  } else {
    // Constant statistics: only the parameter gradients need the sums.
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++, off += D) {
          const s0 = a * sa + b * sb + c * sc;
          const c0 = a * ca + b * cb + c * cc;
          const end = off + D;
          for (let i = off, s = s0, ch = c0; i < end; i++, s += ss, ch += cs) {
            const g = dy[i]!;
            dscale[ch]! += g * (x[i]! - mean[s]!) * rstd[s]!;
            dbias[ch]! += g;
          }
        }
      }
    }
  }
  const inv = 1 / L.count;
  off = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++, off += D) {
        const s0 = a * sa + b * sb + c * sc;
        const c0 = a * ca + b * cb + c * cc;
        const end = off + D;
        if (ss === 0 && cs === 0) {
          const r = rstd[s0]!;
          const k = scale[c0]! * r;
          if (frozen) {
            for (let i = off; i < end; i++) dx[i] = dy[i]! * k;
          } else {
            // dx = r·(dy·scale − a − (x−m)·r·b) = dy·k − (x−m)·q − p.
            const m = mean[s0]!;
            const p = r * sg[s0]! * inv;
            const q = r * r * sgx[s0]! * inv;
            for (let i = off; i < end; i++) dx[i] = dy[i]! * k - (x[i]! - m) * q - p;
          }
        } else if (ss === 0) {
          const m = mean[s0]!;
          const r = rstd[s0]!;
          const p = sg[s0]! * inv;
          const q = sgx[s0]! * inv;
          if (frozen) {
            for (let i = off, ch = c0; i < end; i++, ch += cs) dx[i] = dy[i]! * scale[ch]! * r;
          } else {
            for (let i = off, ch = c0; i < end; i++, ch += cs) {
              const gs = dy[i]! * scale[ch]!;
              dx[i] = r * (gs - p - (x[i]! - m) * r * q);
            }
          }
        } else {
          for (let i = off, s = s0, ch = c0; i < end; i++, s += ss, ch += cs) {
            const gs = dy[i]! * scale[ch]!;
            if (frozen) {
              dx[i] = gs * rstd[s]!;
              continue;
            }
            const xh = (x[i]! - mean[s]!) * rstd[s]!;
            dx[i] = rstd[s]! * (gs - sg[s]! * inv - xh * sgx[s]! * inv);
          }
        }
      }
    }
  }
}

/**
 * batch_norm NCHW with batch statistics, channel by channel: a channel's N planes are summed
 * (one shifted pass, float64) and then normalized while they are still in cache.
 */
function bnTrainNchw(
  x: FloatArray,
  N: number,
  C: number,
  S: number,
  eps: number,
  scaleIn: ArrayLike<number>,
  biasIn: ArrayLike<number>,
  y: FloatArray,
): { mean: Float64Array; variance: Float64Array; rstd: Float64Array } {
  const scale = f64(scaleIn);
  const bias = f64(biasIn);
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const rstd = new Float64Array(C);
  const plane = C * S;
  const cnt = N * S;
  for (let c = 0; c < C; c++) {
    const k = x[c * S]!;
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    for (let n = 0; n < N; n++) {
      const off = n * plane + c * S;
      const end = off + S;
      let i = off;
      for (; i + 1 < end; i += 2) {
        const t0 = x[i]! - k;
        const t1 = x[i + 1]! - k;
        s0 += t0;
        q0 += t0 * t0;
        s1 += t1;
        q1 += t1 * t1;
      }
      if (i < end) {
        const t = x[i]! - k;
        s0 += t;
        q0 += t * t;
      }
    }
    const dm = (s0 + s1) / cnt;
    const v = (q0 + q1) / cnt - dm * dm;
    const m = k + dm;
    const vv = v < 0 ? 0 : v;
    mean[c] = m;
    variance[c] = vv;
    const r = 1 / Math.sqrt(vv + eps);
    rstd[c] = r;
    const a = r * scale[c]!;
    const b = bias[c]! - m * a;
    for (let n = 0; n < N; n++) {
      const off = n * plane + c * S;
      const end = off + S;
      for (let i = off; i < end; i++) y[i] = x[i]! * a + b;
    }
  }
  return { mean, variance, rstd };
}

/** batch_norm_grad NCHW with batch statistics, channel by channel (sums, then dx while cached). */
function bnGradNchw(
  x: FloatArray,
  dy: FloatArray,
  N: number,
  C: number,
  S: number,
  meanIn: ArrayLike<number>,
  rstdIn: ArrayLike<number>,
  scaleIn: ArrayLike<number>,
  dx: FloatArray,
  dscale: Float64Array,
  dbias: Float64Array,
): void {
  const mean = f64(meanIn);
  const rstd = f64(rstdIn);
  const scale = f64(scaleIn);
  const plane = C * S;
  const inv = 1 / (N * S);
  for (let c = 0; c < C; c++) {
    const m = mean[c]!;
    const r = rstd[c]!;
    let sdy0 = 0;
    let sdy1 = 0;
    let sdyx0 = 0;
    let sdyx1 = 0;
    for (let n = 0; n < N; n++) {
      const off = n * plane + c * S;
      const end = off + S;
      let i = off;
      for (; i + 1 < end; i += 2) {
        const g0 = dy[i]!;
        const g1 = dy[i + 1]!;
        sdy0 += g0;
        sdyx0 += g0 * (x[i]! - m);
        sdy1 += g1;
        sdyx1 += g1 * (x[i + 1]! - m);
      }
      if (i < end) {
        const g0 = dy[i]!;
        sdy0 += g0;
        sdyx0 += g0 * (x[i]! - m);
      }
    }
    const sdy = sdy0 + sdy1;
    const sdyx = sdyx0 + sdyx1;
    const sc = scale[c]!;
    dscale[c] = sdyx * r;
    dbias[c] = sdy;
    const k = sc * r;
    const p = r * sdy * sc * inv;
    const q = r * r * sdyx * r * sc * inv;
    for (let n = 0; n < N; n++) {
      const off = n * plane + c * S;
      const end = off + S;
      for (let i = off; i < end; i++) dx[i] = dy[i]! * k - (x[i]! - m) * q - p;
    }
  }
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

const allF32 = (...a: unknown[]): boolean => a.every((v) => v instanceof Float32Array);

/** The dims oneDNN sees for NCHW batch norm: X's own for 4-D (so its blocked layout matches a convolution's), [N, C, S, 1] otherwise. */
function dnnlDims(x: Tensor, L: NormLayout): number[] {
  return x.shape.length === 4 ? [...x.shape] : [L.dims[0], L.numStats, L.dims[3], 1];
}

/** The batch statistics of a oneDNN training forward, or null when it does not run. */
function dnnlTrain(
  x: Float32Array,
  dims: number[],
  eps: number,
  scale: Float32Array,
  bias: Float32Array,
  y: Float32Array,
): { mean: Float32Array; variance: Float32Array; rstd: Float64Array } | null {
  const mean = new Float32Array(dims[1]);
  const variance = new Float32Array(dims[1]);
  if (!dnnlBatchNormTrain(x, dims, eps, scale, bias, y, mean, variance)) return null;
  return { mean, variance, rstd: invStd(variance, eps) };
}

const batchNorm: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta as Record<string, TensorMeta>;
  const L = bnLayout('batch_norm', x, ctx.attrs);
  const eps = floatAttr(ctx.attrs, 'epsilon');
  const C = L.numStats;
  const runMean = buf<FloatArray>(inputs.Mean as Tensor);
  const runVar = buf<FloatArray>(inputs.Variance as Tensor);
  const statT = meta.SavedMean!.dtype;
  const y = floatOut(meta.Y!.dtype, x.size, false);
  const scale = floatBuf(inputs.Scale as Tensor);
  const bias = floatBuf(inputs.Bias as Tensor);
  // NCHW float32 goes to oneDNN when present (X possibly in its blocked layout, see
  // dnnl/layout.ts); the TypeScript paths read X through floatBuf, in plain layout.
  const nchw = L.stat[1] === 1;
  const xr = rawBuf(x);
  const f32 = nchw && allF32(xr, y, scale, bias, runMean, runVar);
  const dims = dnnlDims(x, L);
  const xd = (): FloatArray => floatBuf(x);
  let mean: ArrayLike<number>;
  let rstd: Float64Array;
  if (bnUsesGlobalStats(ctx.attrs)) {
    mean = runMean;
    rstd = invStd(runVar, eps);
    if (f32 && dnnlBatchNormGlobal(xr as Float32Array, dims, eps, scale as Float32Array, bias as Float32Array, runMean as Float32Array, runVar as Float32Array, y as Float32Array)) {
      return { Y: y, MeanOut: runMean, VarianceOut: runVar, SavedMean: out(statT, mean), SavedVariance: out(statT, rstd) };
    }
  } else if (L.count === 1) {
    // One value per channel: Paddle copies X and leaves the running statistics alone.
    y.set(xd());
    return {
      Y: narrowTo(meta.Y!.dtype, y),
      MeanOut: runMean,
      VarianceOut: runVar,
      SavedMean: floatOut(statT, C),
      SavedVariance: floatOut(statT, C),
    };
  } else {
    const mom = inputs.MomentumTensor ? floatBuf(inputs.MomentumTensor as Tensor)[0]! : floatAttr(ctx.attrs, 'momentum');
    // NCHW (one statistic per contiguous plane): statistics and normalization fused per channel.
    const m: { mean: ArrayLike<number>; variance: ArrayLike<number>; rstd?: Float64Array } = nchw
      ? (f32 && dnnlTrain(xr as Float32Array, dims, eps, scale as Float32Array, bias as Float32Array, y as Float32Array)) ||
        bnTrainNchw(xd(), L.dims[0], C, L.dims[3], eps, scale, bias, y)
      : moments(xd(), L);
    for (let c = 0; c < C; c++) {
      runMean[c] = runMean[c]! * mom + m.mean[c]! * (1 - mom);
      runVar[c] = runVar[c]! * mom + m.variance[c]! * (1 - mom);
    }
    if (m.rstd) {
      return { Y: narrowTo(meta.Y!.dtype, y), MeanOut: runMean, VarianceOut: runVar, SavedMean: out(statT, m.mean), SavedVariance: out(statT, m.rstd) };
    }
    mean = m.mean;
    rstd = invStd(m.variance, eps);
  }
  normalize(xd(), L, mean, rstd, scale, bias, y);
  // Writing into the running statistics' own buffers makes MeanOut/VarianceOut in-place.
  return { Y: narrowTo(meta.Y!.dtype, y), MeanOut: runMean, VarianceOut: runVar, SavedMean: out(statT, mean), SavedVariance: out(statT, rstd) };
};

const batchNormGrad: KernelFn = (inputs, ctx) => {
  const x = inputs.X as Tensor;
  const meta = ctx.meta as Record<string, TensorMeta>;
  const L = bnLayout('batch_norm_grad', x, ctx.attrs);
  const C = L.numStats;
  const dyt = inputs['Y@GRAD'] as Tensor;
  const dx = floatOut(meta['X@GRAD']!.dtype, x.size, false);
  const global = bnUsesGlobalStats(ctx.attrs);
  const pd = meta['Scale@GRAD']!.dtype;
  const scale = floatBuf(inputs.Scale as Tensor);
  const eps = floatAttr(ctx.attrs, 'epsilon');
  if (L.stat[1] === 1 && (global || L.count > 1)) {
    const mean = floatBuf((global ? inputs.Mean : inputs.SavedMean) as Tensor);
    const stat = floatBuf((global ? inputs.Variance : inputs.SavedVariance) as Tensor);
    const xr = rawBuf(x);
    const dyr = rawBuf(dyt);
    if (allF32(xr, dyr, dx, scale, mean, stat)) {
      // oneDNN wants the variance; the saved statistic is 1/√(σ² + ε).
      const variance = global ? (stat as Float32Array) : Float32Array.from(stat, (r) => 1 / (r * r) - eps);
      const ds = new Float32Array(C);
      const db = new Float32Array(C);
      if (dnnlBatchNormGrad(xr as Float32Array, dnnlDims(x, L), eps, global, mean as Float32Array, variance, dyr as Float32Array, scale as Float32Array, dx as Float32Array, ds, db)) {
        return { 'X@GRAD': dx, 'Scale@GRAD': out(pd, ds), 'Bias@GRAD': out(pd, db) };
      }
    }
  }
  const dscale = new Float64Array(C);
  const dbias = new Float64Array(C);
  const xd = floatBuf(x);
  const dy = floatBuf(dyt);
  if (!global && L.count === 1) {
    // The forward copied X to Y: the gradient passes straight through.
    dx.set(dy);
    return { 'X@GRAD': narrowTo(meta['X@GRAD']!.dtype, dx), 'Scale@GRAD': out(pd, dscale), 'Bias@GRAD': out(pd, dbias) };
  }
  const mean = global ? floatBuf(inputs.Mean as Tensor) : floatBuf(inputs.SavedMean as Tensor);
  const rstd = global ? invStd(floatBuf(inputs.Variance as Tensor), eps) : floatBuf(inputs.SavedVariance as Tensor);
  if (!global && L.stat[1] === 1) bnGradNchw(xd, dy, L.dims[0], C, L.dims[3], mean, rstd, scale, dx, dscale, dbias);
  else normBackward(xd, dy, L, mean, rstd, scale, global, dx, dscale, dbias);
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

/** The Scale/Bias vector as float32, or ones/zeros when the op has none; undefined for other dtypes. */
function f32Affine(t: Tensor | undefined, n: number, fallback: number): Float32Array | undefined {
  if (!t) return new Float32Array(n).fill(fallback);
  const v = floatBuf(t);
  return v instanceof Float32Array ? v : undefined;
}

/** layer_norm on float32 through oneDNN when it runs; the loops otherwise. */
function layerNormDnnl(loop: KernelFn): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta as Record<string, TensorMeta>;
    if (x.dtype !== 'float32' || meta.Y!.dtype !== 'float32' || meta.Mean!.dtype !== 'float32') return loop(inputs, ctx);
    const L = ln(x, ctx.attrs);
    const scale = f32Affine(inputs.Scale as Tensor | undefined, L.numChannels, 1);
    const bias = f32Affine(inputs.Bias as Tensor | undefined, L.numChannels, 0);
    if (!scale || !bias) return loop(inputs, ctx);
    const y = takeF32(x.size, false);
    const mean = new Float32Array(L.numStats);
    const variance = new Float32Array(L.numStats);
    const eps = floatAttr(ctx.attrs, 'epsilon');
    if (!dnnlLayerNorm(rawBuf(x) as Float32Array, L.numStats, L.numChannels, eps, scale, bias, y, mean, variance)) return loop(inputs, ctx);
    return { Y: y, Mean: mean, Variance: variance };
  };
}

function layerNormGradDnnl(loop: KernelFn): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const meta = ctx.meta as Record<string, TensorMeta>;
    const dyt = inputs['Y@GRAD'] as Tensor;
    const f32 = [x, dyt, inputs.Mean as Tensor, inputs.Variance as Tensor].every((t) => t.dtype === 'float32');
    if (!f32 || meta['X@GRAD']!.dtype !== 'float32' || meta['Scale@GRAD']!.dtype !== 'float32') return loop(inputs, ctx);
    const L = ln(x, ctx.attrs);
    const scale = f32Affine(inputs.Scale as Tensor | undefined, L.numChannels, 1);
    const bias = f32Affine(inputs.Bias as Tensor | undefined, L.numChannels, 0);
    if (!scale || !bias) return loop(inputs, ctx);
    const dx = takeF32(x.size, false);
    const dscale = new Float32Array(L.numChannels);
    const dbias = new Float32Array(L.numChannels);
    const ok = dnnlLayerNormGrad(
      rawBuf(x) as Float32Array,
      floatBuf(inputs.Mean as Tensor) as Float32Array,
      floatBuf(inputs.Variance as Tensor) as Float32Array,
      rawBuf(dyt) as Float32Array,
      scale,
      bias,
      L.numStats,
      L.numChannels,
      floatAttr(ctx.attrs, 'epsilon'),
      dx,
      dscale,
      dbias,
    );
    if (!ok) return loop(inputs, ctx);
    return { 'X@GRAD': dx, 'Scale@GRAD': dscale, 'Bias@GRAD': dbias };
  };
}
const gn = (x: Tensor, a: Attrs): NormLayout => gnLayout('group_norm', x, a);
const inorm = (x: Tensor): NormLayout => inLayout('instance_norm', x);

export const kernels: Record<string, KernelFn> = {
  batch_norm: batchNorm,
  batch_norm_grad: batchNormGrad,
  layer_norm: layerNormDnnl(statsForward(ln, ['Mean', 'Variance'], false)),
  layer_norm_grad: layerNormGradDnnl(statsBackward(ln, ['Mean', 'Variance'], false)),
  group_norm: statsForward(gn, ['Mean', 'Variance'], false),
  group_norm_grad: statsBackward(gn, ['Mean', 'Variance'], false),
  instance_norm: statsForward(inorm, ['SavedMean', 'SavedVariance'], true),
  instance_norm_grad: statsBackward(inorm, ['SavedMean', 'SavedVariance'], true),
};
