/**
 * CPU convolutions through im2col + gemm, per image and per group on subarray views:
 * - forward: out[g] = F[g] [mg, cg·kh·kw] @ col(x)[g]; 1x1/stride-1/unpadded filters skip im2col.
 * - filter gradient: dF[g] += dy[g] @ col(x)[g]ᵀ.
 * - data gradient: either per phase of the stride a stride-1 correlation of dy with the flipped
 *   taps that reach that phase ("gather"; for stride 1, the whole flipped filter), or
 *   Fᵀ @ dy added back into dx (col2im, "scatter"); dataGradMethod picks by channel ratio.
 * Strided inputs are split into phase planes first, so every gather is a stride-1 window copied
 * in whole runs (im2col.ts).
 * A transposed convolution is the data gradient of the convolution from its Output to its Input
 * (specs/conv.ts ConvGeom), so the same three routines serve all eight operators.
 * NHWC tensors are transposed to NCHW around the NCHW routines.
 */
import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { convEpilogue, geomFor, isTransposeOp, type ConvEpilogue, type ConvGeom } from '../../../kernels/specs/conv';
import type { FloatArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { gemm } from '../blas';
import { floatBuf, narrowTo, rawBuf } from '../backend';
import { toPlain } from '../dnnl/layout';
import { takeF32, takeF64 } from '../pool';
import { dnnlConvBackwardData, dnnlConvBackwardFilter, dnnlConvForward } from '../dnnl/conv';
import { frozenWeights, type WeightKey } from '../dnnl/weights';
import { activate, dnnlActivation } from './fused-activation';
import { copyRows, deinterleave, gatherPlane, interleave, phaseSize, scatterAddPlane, scratch } from './im2col';

/** A result array; `zero` false when the caller writes every element (oneDNN does). */
function alloc(like: FloatArray, n: number, zero = true): FloatArray {
  return like instanceof Float64Array ? takeF64(n, zero) : takeF32(n, zero);
}

/**
 * Most elements of a column matrix built at once (16 MB of float32). Larger images are lowered
 * in bands of output rows, each multiplied into its rows of the result through gemm's leading
 * dimensions, so scratch memory stays bounded (a 64-channel 3x3 layer at 512² would otherwise
 * need a 600 MB column matrix).
 */
let colLimit = 1 << 22;

/** @internal Sets the column-matrix limit (tests force tiny bands); returns the previous one. */
export function setColumnLimit(n: number): number {
  const prev = colLimit;
  colLimit = n;
  return prev;
}

function bandRows(total: number, elemsPerRow: number): number {
  return Math.max(1, Math.min(total, Math.floor(colLimit / Math.max(1, elemsPerRow))));
}

/**
 * Images multiplied by one gemm. Small images (under 1024 output pixels: 7x7 and 14x14 layers)
 * are batched side by side, which made those products 1.2-1.7x faster here than one skinny
 * gemm per image; 1 means one image at a time, in bands of rows.
 */
function imagesPerBlock(n: number, pixels: number, elemsPerImage: number): number {
  if (n === 1 || pixels >= 1024) return 1;
  return Math.max(1, Math.min(n, Math.floor(colLimit / Math.max(1, elemsPerImage))));
}

/** 1x1 filter, stride 1, no padding: the input plane block is already the column matrix. */
function isPointwise(g: ConvGeom): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.oh === g.h && g.ow === g.w;
}

/**
 * Where each tap of a strided dimension reads: tap i reads position p·s + i·d − pad
 * = (p + shift[i])·s + phase[i], i.e. row p + shift[i] of the phase plane `phase[i]`.
 */
function tapPhases(k: number, d: number, pad: number, s: number): { phase: number[]; shift: number[] } {
  const phase: number[] = [];
  const shift: number[] = [];
  for (let i = 0; i < k; i++) {
    const off = i * d - pad;
    phase.push(((off % s) + s) % s);
    shift.push(Math.floor(off / s));
  }
  return { phase, shift };
}

/**
 * The phase planes the taps of a strided convolution read, packed one after another for `cg`
 * channels: offset of phase (a, b) under key a·sw + b, and their total size.
 */
interface PhasePlan {
  th: { phase: number[]; shift: number[] };
  tw: { phase: number[]; shift: number[] };
  offs: Map<number, number>;
  total: number;
}

function phasePlan(g: ConvGeom, cg: number): PhasePlan {
  const th = tapPhases(g.kh, g.dh, g.pt, g.sh);
  const tw = tapPhases(g.kw, g.dw, g.pl, g.sw);
  const offs = new Map<number, number>();
  let total = 0;
  for (const a of new Set(th.phase)) {
    for (const b of new Set(tw.phase)) {
      offs.set(a * g.sw + b, total);
      total += cg * phaseSize(g.h, g.sh, a) * phaseSize(g.w, g.sw, b);
    }
  }
  return { th, tw, offs, total };
}

/**
 * Lowers `cg` input planes of one image to column matrices [cg·kh·kw, rows·ow]. A strided
 * convolution first splits the planes into the phase planes its taps read (scratch slot 1), so
 * that every window is gathered with stride 1.
 */
class InputLowering {
  private readonly plan: PhasePlan | null;
  private src: FloatArray | null = null;
  private base = 0;

  constructor(
    private readonly g: ConvGeom,
    private readonly cg: number,
  ) {
    this.plan = g.sh === 1 && g.sw === 1 ? null : phasePlan(g, cg);
  }

  load(x: FloatArray, xOff: number): void {
    const { g, plan } = this;
    if (!plan) {
      this.src = x;
      this.base = xOff;
      return;
    }
    const phases = scratch(x, plan.total, 1);
    for (const [key, off] of plan.offs) {
      deinterleave(x, xOff, this.cg, g.h, g.w, g.sh, g.sw, Math.floor(key / g.sw), key % g.sw, phases, off);
    }
    this.src = phases;
    this.base = 0;
  }

  /** Output rows [y0, y0 + rows) of the loaded image into col: matrix row r at colOff + r·ld. */
  gather(y0: number, rows: number, col: FloatArray, colOff: number, ld: number): void {
    const { g, plan } = this;
    const src = this.src!;
    const { h, w, kh, kw, ow } = g;
    let row = colOff;
    for (let ci = 0; ci < this.cg; ci++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++, row += ld) {
          if (!plan) {
            gatherPlane(src, this.base + ci * h * w, h, w, y0 + i * g.dh - g.pt, j * g.dw - g.pl, 1, 1, rows, ow, col, row);
            continue;
          }
          const a = plan.th.phase[i]!;
          const b = plan.tw.phase[j]!;
          const ph = phaseSize(h, g.sh, a);
          const pw = phaseSize(w, g.sw, b);
          const plane = plan.offs.get(a * g.sw + b)! + ci * ph * pw;
          gatherPlane(src, plane, ph, pw, y0 + plan.th.shift[i]!, plan.tw.shift[j]!, 1, 1, rows, ow, col, row);
        }
      }
    }
  }
}

/** Sizes shared by the routines below: per-group channels, column rows, plane sizes. */
function dims(g: ConvGeom) {
  const cg = g.c / g.groups;
  const mg = g.m / g.groups;
  return { cg, mg, kk: cg * g.kh * g.kw, hw: g.h * g.w, ohw: g.oh * g.ow };
}

/** y[n, m, oh, ow] = conv(x[n, c, h, w], f[m, c/g, kh, kw]) in NCHW. */
export function convForward(x: FloatArray, f: FloatArray, g: ConvGeom, y: FloatArray): void {
  const { cg, mg, kk, hw, ohw } = dims(g);
  const nb = imagesPerBlock(g.n, ohw, kk * ohw);
  const band = nb > 1 ? g.oh : bandRows(g.oh, kk * g.ow);
  const direct = nb === 1 && isPointwise(g);
  const col = direct ? null : scratch(x, kk * nb * band * g.ow, 0);
  const tmp = nb > 1 ? scratch(x, mg * nb * ohw, 2) : null;
  const low = new InputLowering(g, cg);
  for (let b0 = 0; b0 < g.n; b0 += nb) {
    const cnt = Math.min(nb, g.n - b0);
    for (let gi = 0; gi < g.groups; gi++) {
      const fg = f.subarray(gi * mg * kk, (gi + 1) * mg * kk);
      const xOff = (b: number): number => (b * g.c + gi * cg) * hw;
      const yOff = (b: number): number => (b * g.m + gi * mg) * ohw;
      if (tmp) {
        // Images side by side: col [kk, cnt·ohw], result [mg, cnt·ohw] copied to each image.
        const n = cnt * ohw;
        for (let j = 0; j < cnt; j++) {
          low.load(x, xOff(b0 + j));
          low.gather(0, g.oh, col!, j * ohw, n);
        }
        gemm(false, false, mg, n, kk, 1, fg, kk, col!, n, 0, tmp, n);
        for (let j = 0; j < cnt; j++) copyRows(tmp, j * ohw, n, y, yOff(b0 + j), ohw, mg, ohw);
        continue;
      }
      const yo = yOff(b0);
      if (!col) {
        gemm(false, false, mg, ohw, kk, 1, fg, kk, x.subarray(xOff(b0), xOff(b0) + cg * hw), ohw, 0, y.subarray(yo, yo + mg * ohw), ohw);
        continue;
      }
      low.load(x, xOff(b0));
      for (let y0 = 0; y0 < g.oh; y0 += band) {
        const rows = Math.min(band, g.oh - y0);
        const n = rows * g.ow;
        low.gather(y0, rows, col, 0, n);
        gemm(false, false, mg, n, kk, 1, fg, kk, col, n, 0, y.subarray(yo + y0 * g.ow, yo + mg * ohw), ohw);
      }
    }
  }
}

/** Output maps at most this large take the per-tap filter gradient below. */
const SMALL_MAP = 16;

/** [n, c, p] → [n·p, c]: one row of channels per pixel. */
function channelsLast(a: FloatArray, n: number, c: number, p: number): FloatArray {
  const out = a instanceof Float64Array ? new Float64Array(a.length) : new Float32Array(a.length);
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < c; ci++) {
      const src = (b * c + ci) * p;
      let dst = b * p * c + ci;
      for (let q = 0; q < p; q++, dst += c) out[dst] = a[src + q]!;
    }
  }
  return out;
}

/**
 * The filter gradient on tiny maps (the last stages of a network fed small images, e.g. 3x3
 * filters on 2x2 or 1x1 maps), one GEMM per tap over the (image, pixel) pairs where that tap
 * reads inside the input: dF[:, :, i, j] = dYᵀ·X over those rows, in channels-last copies.
 * im2col would build a column matrix row by row (one call per channel, tap and image) that is
 * mostly padding; here the copies are whole channel rows and the padding is never multiplied.
 * groups = 1 only; df is overwritten.
 */
export function convBackwardFilterSmall(x: FloatArray, dy: FloatArray, g: ConvGeom, df: FloatArray): void {
  const { n, c, m, h, w, kh, kw, oh, ow } = g;
  const xr = channelsLast(x, n, c, h * w);
  const dr = channelsLast(dy, n, m, oh * ow);
  const rows = n * oh * ow;
  const gx = alloc(x, rows * c);
  const gd = alloc(x, rows * m);
  const tap = alloc(x, m * c);
  df.fill(0);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      let k = 0;
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * g.sh - g.pt + i * g.dh;
        if (iy < 0 || iy >= h) continue;
        for (let ox = 0; ox < ow; ox++) {
          const ix = ox * g.sw - g.pl + j * g.dw;
          if (ix < 0 || ix >= w) continue;
          for (let b = 0; b < n; b++, k++) {
            const xq = (b * h * w + iy * w + ix) * c;
            const dp = (b * oh * ow + oy * ow + ox) * m;
            gx.set(xr.subarray(xq, xq + c), k * c);
            gd.set(dr.subarray(dp, dp + m), k * m);
          }
        }
      }
      if (k === 0) continue; // this tap only ever reads padding
      gemm(true, false, m, c, k, 1, gd, m, gx, c, 0, tap, c);
      const t = i * kw + j;
      for (let r = 0; r < m * c; r++) df[r * kh * kw + t] = tap[r]!;
    }
  }
}

/** df[m, c/g, kh, kw] = Σ_n dy[n] ⋆ x[n]: the filter gradient, accumulated over the batch. */
export function convBackwardFilter(x: FloatArray, dy: FloatArray, g: ConvGeom, df: FloatArray): void {
  const { cg, mg, kk, hw, ohw } = dims(g);
  const nb = imagesPerBlock(g.n, ohw, kk * ohw);
  const band = nb > 1 ? g.oh : bandRows(g.oh, kk * g.ow);
  const direct = nb === 1 && isPointwise(g);
  const col = direct ? null : scratch(x, kk * nb * band * g.ow, 0);
  const dyb = nb > 1 ? scratch(x, mg * nb * ohw, 2) : null;
  const low = new InputLowering(g, cg);
  df.fill(0);
  for (let b0 = 0; b0 < g.n; b0 += nb) {
    const cnt = Math.min(nb, g.n - b0);
    for (let gi = 0; gi < g.groups; gi++) {
      const dfg = df.subarray(gi * mg * kk, (gi + 1) * mg * kk);
      const xOff = (b: number): number => (b * g.c + gi * cg) * hw;
      const yOff = (b: number): number => (b * g.m + gi * mg) * ohw;
      if (dyb) {
        // One product over cnt images: [mg, cnt·ohw] @ [cnt·ohw, kk].
        const n = cnt * ohw;
        for (let j = 0; j < cnt; j++) {
          low.load(x, xOff(b0 + j));
          low.gather(0, g.oh, col!, j * ohw, n);
          copyRows(dy, yOff(b0 + j), ohw, dyb, j * ohw, n, mg, ohw);
        }
        gemm(false, true, mg, kk, n, 1, dyb, n, col!, n, 1, dfg, kk);
        continue;
      }
      const yo = yOff(b0);
      if (!col) {
        gemm(false, true, mg, kk, ohw, 1, dy.subarray(yo, yo + mg * ohw), ohw, x.subarray(xOff(b0), xOff(b0) + cg * hw), ohw, 1, dfg, kk);
        continue;
      }
      low.load(x, xOff(b0));
      for (let y0 = 0; y0 < g.oh; y0 += band) {
        const rows = Math.min(band, g.oh - y0);
        const n = rows * g.ow;
        low.gather(y0, rows, col, 0, n);
        gemm(false, true, mg, kk, n, 1, dy.subarray(yo + y0 * g.ow, yo + mg * ohw), ohw, col, n, 1, dfg, kk);
      }
    }
  }
}

/**
 * For each output phase a of a strided dimension, the taps that reach it and the shift at which
 * each reads dy: x position p·s + a receives dy[p + e] through tap i when a + pad − i·d = e·s.
 */
function dataTaps(k: number, d: number, pad: number, s: number): { tap: number[]; shift: number[] }[] {
  const out: { tap: number[]; shift: number[] }[] = [];
  for (let a = 0; a < s; a++) {
    const tap: number[] = [];
    const shift: number[] = [];
    for (let i = 0; i < k; i++) {
      const r = a + pad - i * d;
      if (r % s === 0) {
        tap.push(i);
        shift.push(r / s);
      }
    }
    out.push({ tap, shift });
  }
  return out;
}

/**
 * The filter of one phase of the data gradient, per group [cg, (m, tap)]:
 * fp[g][c][m][t] = f[g·mg + m][c][taps[t]] (taps as offsets i·kw + j into a kh×kw filter).
 */
function phaseFilter(f: FloatArray, g: ConvGeom, cg: number, mg: number, taps: Int32Array): FloatArray {
  const kk = g.kh * g.kw;
  const nt = taps.length;
  const fp = alloc(f, g.groups * cg * mg * nt);
  // Blocks of 16 output channels: both the reads (rows of f) and the writes stay in cache.
  for (let gi = 0; gi < g.groups; gi++) {
    for (let m0 = 0; m0 < mg; m0 += 16) {
      const m1 = Math.min(mg, m0 + 16);
      for (let ci = 0; ci < cg; ci++) {
        for (let mi = m0; mi < m1; mi++) {
          const src = ((gi * mg + mi) * cg + ci) * kk;
          const d = ((gi * cg + ci) * mg + mi) * nt;
          for (let t = 0; t < nt; t++) fp[d + t] = f[src + taps[t]!]!;
        }
      }
    }
  }
  return fp;
}

export type DataGradMethod = 'gather' | 'scatter';

/**
 * How to compute the data gradient. Both do the same multiply-adds but move different data:
 * `gather` copies mg·kh·kw windows of dy per input position, `scatter` adds cg·kh·kw rows of
 * Fᵀ·dy per output position. Measured (8 images, 2 threads, min of runs): gather wins while dy
 * has at most ~2x the channels of dx (64→64 3x3 56²: 15 vs 21 ms; 128→32: 3.8 vs 12), scatter
 * beyond (32→128: 4.9 vs 6.9 ms; the 3→64 7x7/2 stem: 24 vs 229 ms).
 */
export function dataGradMethod(g: ConvGeom): DataGradMethod {
  return g.m / g.groups < 3 * (g.c / g.groups) ? 'gather' : 'scatter';
}

/** dx[n, c, h, w] = the adjoint of convForward applied to dy (NCHW). `dx` is overwritten. */
export function convBackwardData(dy: FloatArray, f: FloatArray, g: ConvGeom, dx: FloatArray, method = dataGradMethod(g)): void {
  if (isPointwise(g)) backwardDataPointwise(dy, f, g, dx);
  else if (method === 'gather') backwardDataGather(dy, f, g, dx);
  else backwardDataScatter(dy, f, g, dx);
}

/** dx[g] = F[g]ᵀ @ dy[g]: no rearrangement at all (small images batched as in convForward). */
function backwardDataPointwise(dy: FloatArray, f: FloatArray, g: ConvGeom, dx: FloatArray): void {
  const { cg, mg, kk, hw } = dims(g);
  const nb = imagesPerBlock(g.n, hw, (mg + cg) * hw);
  const dyb = nb > 1 ? scratch(dy, mg * nb * hw, 0) : null;
  const tmp = nb > 1 ? scratch(dy, cg * nb * hw, 2) : null;
  for (let b0 = 0; b0 < g.n; b0 += nb) {
    const cnt = Math.min(nb, g.n - b0);
    for (let gi = 0; gi < g.groups; gi++) {
      const fg = f.subarray(gi * mg * kk, (gi + 1) * mg * kk);
      const yOff = (b: number): number => (b * g.m + gi * mg) * hw;
      const xOff = (b: number): number => (b * g.c + gi * cg) * hw;
      if (dyb && tmp) {
        const n = cnt * hw;
        for (let j = 0; j < cnt; j++) copyRows(dy, yOff(b0 + j), hw, dyb, j * hw, n, mg, hw);
        gemm(true, false, cg, n, mg, 1, fg, kk, dyb, n, 0, tmp, n);
        for (let j = 0; j < cnt; j++) copyRows(tmp, j * hw, n, dx, xOff(b0 + j), hw, cg, hw);
        continue;
      }
      const yo = yOff(b0);
      const xo = xOff(b0);
      gemm(true, false, cg, hw, mg, 1, fg, kk, dy.subarray(yo, yo + mg * hw), hw, 0, dx.subarray(xo, xo + cg * hw), hw);
    }
  }
}

/**
 * dcol = F[g]ᵀ @ dy[g] ([cg·kh·kw, columns] per band of dy rows or block of images) added back
 * into dx run by run (col2im). A strided convolution adds into the phase planes of dx (scratch
 * slot 1), where every run has stride 1, and interleaves them into dx per image.
 */
function backwardDataScatter(dy: FloatArray, f: FloatArray, g: ConvGeom, dx: FloatArray): void {
  const { h, w, kh, kw, oh, ow } = g;
  const { cg, mg, kk, hw, ohw } = dims(g);
  const plan = g.sh === 1 && g.sw === 1 ? null : phasePlan(g, cg);
  const nb = imagesPerBlock(g.n, ohw, kk * ohw);
  const band = nb > 1 ? oh : bandRows(oh, kk * ow);
  const col = scratch(dy, kk * nb * band * ow, 0);
  const phases = plan ? scratch(dy, plan.total, 1) : null;
  const dyb = nb > 1 ? scratch(dy, mg * nb * ohw, 2) : null;
  dx.fill(0);
  /** Adds rows [y0, y0 + rows) of image b's dcol (matrix row r at colOff + r·ld) into dx. */
  const scatterImage = (b: number, gi: number, y0: number, rows: number, colOff: number, ld: number): void => {
    const xOff = (b * g.c + gi * cg) * hw;
    let row = colOff;
    for (let ci = 0; ci < cg; ci++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++, row += ld) {
          if (!plan) {
            scatterAddPlane(col, row, h, w, y0 + i * g.dh - g.pt, j * g.dw - g.pl, 1, 1, rows, ow, dx, xOff + ci * hw);
            continue;
          }
          const a = plan.th.phase[i]!;
          const bb = plan.tw.phase[j]!;
          const ph = phaseSize(h, g.sh, a);
          const pw = phaseSize(w, g.sw, bb);
          const plane = plan.offs.get(a * g.sw + bb)! + ci * ph * pw;
          scatterAddPlane(col, row, ph, pw, y0 + plan.th.shift[i]!, plan.tw.shift[j]!, 1, 1, rows, ow, phases!, plane);
        }
      }
    }
  };
  const flushPhases = (b: number, gi: number): void => {
    const xOff = (b * g.c + gi * cg) * hw;
    for (const [key, off] of plan!.offs) {
      const a = Math.floor(key / g.sw);
      const bb = key % g.sw;
      interleave(phases!, off, phaseSize(h, g.sh, a) * phaseSize(w, g.sw, bb), cg, h, w, g.sh, g.sw, a, bb, dx, xOff, 0, phaseSize(h, g.sh, a));
    }
  };
  for (let b0 = 0; b0 < g.n; b0 += nb) {
    const cnt = Math.min(nb, g.n - b0);
    for (let gi = 0; gi < g.groups; gi++) {
      const fg = f.subarray(gi * mg * kk, (gi + 1) * mg * kk);
      const yOff = (b: number): number => (b * g.m + gi * mg) * ohw;
      if (dyb) {
        const n = cnt * ohw;
        for (let j = 0; j < cnt; j++) copyRows(dy, yOff(b0 + j), ohw, dyb, j * ohw, n, mg, ohw);
        gemm(true, false, kk, n, mg, 1, fg, kk, dyb, n, 0, col, n);
        for (let j = 0; j < cnt; j++) {
          if (phases) phases.fill(0);
          scatterImage(b0 + j, gi, 0, oh, j * ohw, n);
          if (plan) flushPhases(b0 + j, gi);
        }
        continue;
      }
      const yo = yOff(b0);
      if (phases) phases.fill(0);
      for (let y0 = 0; y0 < oh; y0 += band) {
        const rows = Math.min(band, oh - y0);
        const n = rows * ow;
        gemm(true, false, kk, n, mg, 1, fg, kk, dy.subarray(yo + y0 * ow, yo + mg * ohw), ohw, 0, col, n);
        scatterImage(b0, gi, y0, rows, 0, n);
      }
      if (plan) flushPhases(b0, gi);
    }
  }
}

/**
 * Each phase (a, b) of dx under the stride is a stride-1 correlation of dy with the taps that
 * reach it (for stride 1: the whole filter, flipped), gathered with whole-run copies and
 * multiplied by gemm per band of rows or block of images; results that are not already in
 * place go through scratch slot 1 and are interleaved (or copied) into dx.
 */
function backwardDataGather(dy: FloatArray, f: FloatArray, g: ConvGeom, dx: FloatArray): void {
  const { cg, mg, hw, ohw } = dims(g);
  const unit = g.sh === 1 && g.sw === 1;
  // Phases no tap reaches stay 0.
  if (!unit) dx.fill(0);
  const th = dataTaps(g.kh, g.dh, g.pt, g.sh);
  const tw = dataTaps(g.kw, g.dw, g.pl, g.sw);
  for (let a = 0; a < g.sh; a++) {
    const ph = phaseSize(g.h, g.sh, a);
    const ti = th[a]!;
    if (ph === 0 || ti.tap.length === 0) continue;
    for (let bb = 0; bb < g.sw; bb++) {
      const pw = phaseSize(g.w, g.sw, bb);
      const tj = tw[bb]!;
      if (pw === 0 || tj.tap.length === 0) continue;
      const nI = ti.tap.length;
      const nJ = tj.tap.length;
      const kf = mg * nI * nJ;
      const pp = ph * pw;
      const taps = new Int32Array(nI * nJ);
      for (let u = 0; u < nI; u++) for (let v = 0; v < nJ; v++) taps[u * nJ + v] = ti.tap[u]! * g.kw + tj.tap[v]!;
      const fp = phaseFilter(f, g, cg, mg, taps);
      const nb = imagesPerBlock(g.n, pp, kf * pp);
      const band = nb > 1 ? ph : bandRows(ph, kf * pw);
      const col = scratch(dy, kf * nb * band * pw, 0);
      const res = unit && nb === 1 ? null : scratch(dy, cg * nb * band * pw, 1);
      /** Gathers rows [y0, y0 + rows) of image b's windows into col (matrix row r at colOff + r·ld). */
      const gatherImage = (b: number, gi: number, y0: number, rows: number, colOff: number, ld: number): void => {
        let row = colOff;
        for (let mi = 0; mi < mg; mi++) {
          const plane = (b * g.m + gi * mg + mi) * ohw;
          for (let u = 0; u < nI; u++) {
            for (let v = 0; v < nJ; v++, row += ld) {
              gatherPlane(dy, plane, g.oh, g.ow, y0 + ti.shift[u]!, tj.shift[v]!, 1, 1, rows, pw, col, row);
            }
          }
        }
      };
      /** Writes rows [y0, y0 + rows) of image b's phase result (channel ci at resOff + ci·ld) into dx. */
      const place = (b: number, gi: number, y0: number, rows: number, resOff: number, ld: number): void => {
        const xOff = (b * g.c + gi * cg) * hw;
        if (unit) copyRows(res!, resOff, ld, dx, xOff + y0 * g.w, hw, cg, rows * pw);
        else interleave(res!, resOff, ld, cg, g.h, g.w, g.sh, g.sw, a, bb, dx, xOff, y0, rows);
      };
      for (let b0 = 0; b0 < g.n; b0 += nb) {
        const cnt = Math.min(nb, g.n - b0);
        for (let gi = 0; gi < g.groups; gi++) {
          const fg = fp.subarray(gi * cg * kf, (gi + 1) * cg * kf);
          if (nb > 1) {
            const n = cnt * pp;
            for (let j = 0; j < cnt; j++) gatherImage(b0 + j, gi, 0, ph, j * pp, n);
            gemm(false, false, cg, n, kf, 1, fg, kf, col, n, 0, res!, n);
            for (let j = 0; j < cnt; j++) place(b0 + j, gi, 0, ph, j * pp, n);
            continue;
          }
          const xOff = (b0 * g.c + gi * cg) * hw;
          for (let y0 = 0; y0 < ph; y0 += band) {
            const rows = Math.min(band, ph - y0);
            const n = rows * pw;
            gatherImage(b0, gi, y0, rows, 0, n);
            if (res) {
              gemm(false, false, cg, n, kf, 1, fg, kf, col, n, 0, res, n);
              place(b0, gi, y0, rows, 0, n);
            } else gemm(false, false, cg, n, kf, 1, fg, kf, col, n, 0, dx.subarray(xOff + y0 * g.w, xOff + cg * hw), hw);
          }
        }
      }
    }
  }
}

/** [n, a, b, c] → [n, c, a, b] (NHWC → NCHW); with `back`, the inverse. */
function nhwcSwap(src: FloatArray, n: number, c: number, hw: number, back: boolean): FloatArray {
  const out = alloc(src, src.length);
  for (let b = 0; b < n; b++) {
    const base = b * c * hw;
    for (let p = 0; p < hw; p++) {
      const s = base + p * c;
      if (back) for (let ci = 0; ci < c; ci++) out[s + ci] = src[base + ci * hw + p]!;
      else for (let ci = 0; ci < c; ci++) out[base + ci * hw + p] = src[s + ci]!;
    }
  }
  return out;
}

/** Channels and plane sizes on the convolution's input side (in) and output side (out). */
interface Sides {
  inC: number;
  inHW: number;
  outC: number;
  outHW: number;
}

function sides(g: ConvGeom): Sides {
  return { inC: g.c, inHW: g.h * g.w, outC: g.m, outHW: g.oh * g.ow };
}

function toNCHW(a: FloatArray, g: ConvGeom, c: number, hw: number): FloatArray {
  return g.nhwc ? nhwcSwap(a, g.n, c, hw, false) : a;
}

function fromNCHW(a: FloatArray, g: ConvGeom, c: number, hw: number): FloatArray {
  return g.nhwc ? nhwcSwap(a, g.n, c, hw, true) : a;
}

// oneDNN's primitives when the library is present and the data float32 NCHW; GEMM lowering otherwise.
const f32 = (...a: FloatArray[]): boolean => a.every((v) => v instanceof Float32Array);

function forward(x: FloatArray, f: FloatArray, g: ConvGeom, y: FloatArray, key?: WeightKey): void {
  if (f32(x, f, y) && dnnlConvForward(x as Float32Array, f as Float32Array, g, y as Float32Array, key)) return;
  toPlain(x);
  y.fill(0);
  convForward(x, f, g, y);
}

function backwardData(dy: FloatArray, f: FloatArray, g: ConvGeom, dx: FloatArray, key?: WeightKey): void {
  if (f32(dy, f, dx) && dnnlConvBackwardData(dy as Float32Array, f as Float32Array, g, dx as Float32Array, key)) return;
  toPlain(dy);
  dx.fill(0);
  convBackwardData(dy, f, g, dx);
}

function backwardFilter(x: FloatArray, dy: FloatArray, g: ConvGeom, df: FloatArray): void {
  if (f32(x, dy, df) && dnnlConvBackwardFilter(x as Float32Array, dy as Float32Array, g, df as Float32Array)) return;
  toPlain(x);
  toPlain(dy);
  if (g.groups === 1 && g.oh * g.ow <= SMALL_MAP) return convBackwardFilterSmall(x, dy, g, df);
  df.fill(0);
  convBackwardFilter(x, dy, g, df);
}

// ---- the fused form: Output = act(conv(Input) + Bias + ResidualData) ---------------------------

/** Adds bias and residual and applies the activation to y ([n, c, hw] or, NHWC, [n, hw, c]) in place. */
function applyEpilogue(y: FloatArray, g: ConvGeom, e: ConvEpilogue, bias: FloatArray | undefined, residual: FloatArray | undefined): void {
  toPlain(y);
  if (residual) toPlain(residual);
  const c = g.m;
  const hw = g.oh * g.ow;
  if (bias) {
    for (let b = 0; b < g.n; b++) {
      const base = b * c * hw;
      if (g.nhwc) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) y[base + p * c + ch] += bias[ch]!;
      else {
        for (let ch = 0; ch < c; ch++) {
          const bv = bias[ch]!;
          const o = base + ch * hw;
          for (let p = 0; p < hw; p++) y[o + p] += bv;
        }
      }
    }
  }
  if (residual) for (let i = 0; i < y.length; i++) y[i] += residual[i]!;
  const act = e.act;
  if (act) for (let i = 0; i < y.length; i++) y[i] = activate(y[i]!, act, e.alpha);
}

/**
 * The fused forward convolution: all of it in one oneDNN primitive where possible, else the
 * convolution (with its bias, in oneDNN) followed by the rest here.
 */
function forwardFused(x: FloatArray, f: FloatArray, g: ConvGeom, y: FloatArray, key: WeightKey | undefined, e: ConvEpilogue, bias?: FloatArray, residual?: FloatArray): void {
  if (f32(x, f, y) && (!bias || bias instanceof Float32Array) && (!residual || residual instanceof Float32Array)) {
    const act = e.act ? dnnlActivation(e.act, e.alpha) : undefined;
    const b32 = bias as Float32Array | undefined;
    if (dnnlConvForward(x as Float32Array, f as Float32Array, g, y as Float32Array, key, { bias: b32, residual: residual as Float32Array | undefined, act })) return;
    if (dnnlConvForward(x as Float32Array, f as Float32Array, g, y as Float32Array, key, b32 ? { bias: b32 } : undefined)) {
      return applyEpilogue(y, g, e, undefined, residual);
    }
  }
  toPlain(x);
  y.fill(0);
  convForward(x, f, g, y);
  applyEpilogue(y, g, e, bias, residual);
}

/**
 * An activation as stored: float32 NCHW may be in a oneDNN blocked layout, which the oneDNN
 * kernels read directly (the fallbacks above convert it); anything else plain.
 */
function activation(t: Tensor, g: ConvGeom): FloatArray {
  const r = rawBuf(t);
  return !g.nhwc && r instanceof Float32Array ? r : floatBuf(t);
}

function forwardKernel(type: string): KernelFn {
  const transpose = isTransposeOp(type);
  return (inputs, ctx) => {
    const xt = inputs.Input as Tensor;
    const ft = inputs.Filter as Tensor;
    const meta = ctx.meta.Output as TensorMeta;
    const g = geomFor(type, xt.shape, ft.shape, ctx.attrs);
    const s = sides(g);
    const f = floatBuf(ft);
    const out = alloc(f, numel(meta.shape), false);
    const key = frozenWeights(ft, ctx);
    if (transpose) {
      // Input sits on the convolution's output side; Output is the data gradient.
      backwardData(toNCHW(activation(xt, g), g, s.outC, s.outHW), f, g, out, key);
      return { Output: narrowTo(meta.dtype, fromNCHW(out, g, s.inC, s.inHW)) };
    }
    const e = convEpilogue(type, inputs, ctx.attrs);
    if (e.bias || e.residual || e.act) {
      // NHWC runs the convolution in NCHW and the epilogue on the result in NHWC.
      const bias = e.bias ? floatBuf(inputs.Bias as Tensor) : undefined;
      const residual = e.residual ? activation(inputs.ResidualData as Tensor, g) : undefined;
      if (g.nhwc) {
        forward(toNCHW(activation(xt, g), g, s.inC, s.inHW), f, g, out, key);
        const y = fromNCHW(out, g, s.outC, s.outHW);
        applyEpilogue(y, g, e, bias, residual);
        return { Output: narrowTo(meta.dtype, y) };
      }
      forwardFused(activation(xt, g), f, g, out, key, e, bias, residual);
      return { Output: narrowTo(meta.dtype, out) };
    }
    forward(toNCHW(activation(xt, g), g, s.inC, s.inHW), f, g, out, key);
    return { Output: narrowTo(meta.dtype, fromNCHW(out, g, s.outC, s.outHW)) };
  };
}

function gradKernel(type: string): KernelFn {
  const transpose = isTransposeOp(type);
  return (inputs, ctx) => {
    const xt = inputs.Input as Tensor;
    const ft = inputs.Filter as Tensor;
    const dyt = inputs['Output@GRAD'] as Tensor;
    const g = geomFor(type, xt.shape, ft.shape, ctx.attrs);
    const s = sides(g);
    const f = floatBuf(ft);
    const dx = alloc(f, xt.size, false);
    const df = alloc(f, ft.size, false);
    if (transpose) {
      // Conv roles: Output@GRAD is on the input side, Input on the output side.
      const dyc = toNCHW(activation(dyt, g), g, s.inC, s.inHW);
      forward(dyc, f, g, dx);
      backwardFilter(dyc, toNCHW(activation(xt, g), g, s.outC, s.outHW), g, df);
      return {
        'Input@GRAD': narrowTo(xt.dtype, fromNCHW(dx, g, s.outC, s.outHW)),
        'Filter@GRAD': narrowTo(ft.dtype, df),
      };
    }
    const dyc = toNCHW(activation(dyt, g), g, s.outC, s.outHW);
    backwardData(dyc, f, g, dx);
    backwardFilter(toNCHW(activation(xt, g), g, s.inC, s.inHW), dyc, g, df);
    return {
      'Input@GRAD': narrowTo(xt.dtype, fromNCHW(dx, g, s.inC, s.inHW)),
      'Filter@GRAD': narrowTo(ft.dtype, df),
    };
  };
}

export const kernels: Record<string, KernelFn> = {};
for (const type of ['conv2d', 'depthwise_conv2d', 'conv2d_transpose', 'depthwise_conv2d_transpose']) {
  kernels[type] = forwardKernel(type);
  kernels[`${type}_grad`] = gradKernel(`${type}_grad`);
}
