/**
 * Lowering convolutions to matrix products: gathering shifted windows of image planes into the
 * rows of a column matrix, and splitting strided images into their phase planes.
 *
 * Measured here (shared/design/cpu-measurements.md and our runs): a JS loop moves or adds about
 * one float per 2 ns, `TypedArray.set` of long runs is ~20x faster. So every gather is arranged
 * as long contiguous runs: stride-2 images are first split into phase planes (each element moved
 * once), after which every window is a stride-1 window and, when the window is as wide as its
 * plane, one single run per (channel, tap).
 */
import type { FloatArray } from '../../../tensor/dtype';
import { gemm } from '../blas';

function zero(a: FloatArray, from: number, to: number): void {
  // Short runs (padding borders) are cheaper as a loop than as a fill() call.
  if (to - from > 16) a.fill(0, from, to);
  else for (let q = from; q < to; q++) a[q] = 0;
}

/** First output position p (of `out`) whose read at p·stride + off is >= 0. */
function validLo(off: number, stride: number): number {
  return Math.max(0, Math.ceil(-off / stride));
}

/** One past the last output position p whose read at p·stride + off is < size. */
function validHi(off: number, stride: number, size: number, out: number): number {
  return Math.min(out, Math.floor((size - 1 - off) / stride) + 1);
}

/**
 * dst[dOff + y·ow + x] = src[sOff + (y·sh + hOff)·w + x·sw + wOff] for y < oh, x < ow, reading 0
 * outside the h×w plane at sOff.
 */
export function gatherPlane(
  src: FloatArray,
  sOff: number,
  h: number,
  w: number,
  hOff: number,
  wOff: number,
  sh: number,
  sw: number,
  oh: number,
  ow: number,
  dst: FloatArray,
  dOff: number,
): void {
  // Kernels call this once per (channel, tap): no allocation here.
  const yLo = validLo(hOff, sh);
  const yHi = validHi(hOff, sh, h, oh);
  const xLo = validLo(wOff, sw);
  const xHi = validHi(wOff, sw, w, ow);
  if (yHi <= yLo || xHi <= xLo) {
    dst.fill(0, dOff, dOff + oh * ow);
    return;
  }
  zero(dst, dOff, dOff + yLo * ow);
  zero(dst, dOff + yHi * ow, dOff + oh * ow);
  if (sh === 1 && sw === 1 && ow === w) {
    // The window rows are consecutive rows of the plane: one run, then clear the border columns
    // that wrapped into the neighbouring rows.
    const a = dOff + yLo * ow + xLo;
    const b = dOff + (yHi - 1) * ow + xHi;
    const s = sOff + hOff * w + wOff + (a - dOff);
    dst.set(src.subarray(s, s + (b - a)), a);
    if (xLo > 0 || xHi < ow) {
      for (let y = yLo; y < yHi; y++) {
        const d = dOff + y * ow;
        for (let q = d; q < d + xLo; q++) dst[q] = 0;
        for (let q = d + xHi; q < d + ow; q++) dst[q] = 0;
      }
    }
    return;
  }
  for (let y = yLo; y < yHi; y++) {
    const d = dOff + y * ow;
    const s = sOff + (y * sh + hOff) * w + wOff;
    zero(dst, d, d + xLo);
    zero(dst, d + xHi, d + ow);
    if (sw === 1) dst.set(src.subarray(s + xLo, s + xHi), d + xLo);
    else for (let x = xLo, q = s + xLo * sw; x < xHi; x++, q += sw) dst[d + x] = src[q]!;
  }
}

const ONE32 = new Float32Array([1]);
const ONE64 = new Float64Array([1]);

/**
 * y[i] += x[i] for a run of `n`: native (a 1×n·1×1 gemm with beta 1) for long runs, where a JS
 * loop costs ~2 ns per element here and the call ~0.3 µs.
 */
function addRun(x: FloatArray, xOff: number, y: FloatArray, yOff: number, n: number): void {
  if (n >= 256) {
    const one = x instanceof Float64Array ? ONE64 : ONE32;
    gemm(false, false, 1, n, 1, 1, one, 1, x.subarray(xOff, xOff + n), n, 1, y.subarray(yOff, yOff + n), n);
    return;
  }
  const shift = yOff - xOff;
  for (let q = xOff; q < xOff + n; q++) y[q + shift]! += x[q]!;
}

/**
 * The adjoint of gatherPlane: dst[dOff + (y·sh + hOff)·w + x·sw + wOff] += src[sOff + y·ow + x]
 * for every read that falls inside the h×w plane. `src` is clobbered (wrapped borders zeroed).
 */
export function scatterAddPlane(
  src: FloatArray,
  sOff: number,
  h: number,
  w: number,
  hOff: number,
  wOff: number,
  sh: number,
  sw: number,
  oh: number,
  ow: number,
  dst: FloatArray,
  dOff: number,
): void {
  const yLo = validLo(hOff, sh);
  const yHi = validHi(hOff, sh, h, oh);
  const xLo = validLo(wOff, sw);
  const xHi = validHi(wOff, sw, w, ow);
  if (yHi <= yLo || xHi <= xLo) return;
  if (sh === 1 && sw === 1 && ow === w) {
    // One run whose wrapped border entries are zeroed first, so they add nothing.
    if (xLo > 0 || xHi < ow) {
      for (let y = yLo; y < yHi; y++) {
        const d = sOff + y * ow;
        for (let q = d; q < d + xLo; q++) src[q] = 0;
        for (let q = d + xHi; q < d + ow; q++) src[q] = 0;
      }
    }
    const a = sOff + yLo * ow + xLo;
    const b = sOff + (yHi - 1) * ow + xHi;
    addRun(src, a, dst, dOff + hOff * w + wOff + (a - sOff), b - a);
    return;
  }
  for (let y = yLo; y < yHi; y++) {
    const s = sOff + y * ow;
    const d = dOff + (y * sh + hOff) * w + wOff;
    if (sw === 1) addRun(src, s + xLo, dst, d + xLo, xHi - xLo);
    else for (let x = xLo, q = d + xLo * sw; x < xHi; x++, q += sw) dst[q]! += src[s + x]!;
  }
}

/** Rows of the phase of offset `a` in a dimension of `size` split by `stride`. */
export function phaseSize(size: number, stride: number, a: number): number {
  return a >= size ? 0 : Math.ceil((size - a) / stride);
}

/**
 * dst[dOff + (ci·ph + y)·pw + x] = src[sOff + ci·h·w + (y·sh + a)·w + x·sw + b]: phase (a, b)
 * of `c` planes, of ph×pw = phaseSize(h, sh, a) × phaseSize(w, sw, b).
 */
export function deinterleave(
  src: FloatArray,
  sOff: number,
  c: number,
  h: number,
  w: number,
  sh: number,
  sw: number,
  a: number,
  b: number,
  dst: FloatArray,
  dOff: number,
): void {
  const ph = phaseSize(h, sh, a);
  const pw = phaseSize(w, sw, b);
  let d = dOff;
  for (let ci = 0; ci < c; ci++) {
    const plane = sOff + ci * h * w;
    for (let y = 0; y < ph; y++) {
      const s = plane + (y * sh + a) * w + b;
      if (sw === 1) {
        dst.set(src.subarray(s, s + pw), d);
        d += pw;
      } else for (let x = 0, q = s; x < pw; x++, q += sw) dst[d++] = src[q]!;
    }
  }
}

/**
 * The inverse of deinterleave for phase rows [y0, y0 + rows): src[sOff + ci·ld + (y − y0)·pw + x]
 * is written to dst[dOff + ci·h·w + (y·sh + a)·w + x·sw + b].
 */
export function interleave(
  src: FloatArray,
  sOff: number,
  ld: number,
  c: number,
  h: number,
  w: number,
  sh: number,
  sw: number,
  a: number,
  b: number,
  dst: FloatArray,
  dOff: number,
  y0: number,
  rows: number,
): void {
  const pw = phaseSize(w, sw, b);
  for (let ci = 0; ci < c; ci++) {
    const plane = dOff + ci * h * w;
    let s = sOff + ci * ld;
    for (let y = y0; y < y0 + rows; y++) {
      const d = plane + (y * sh + a) * w + b;
      if (sw === 1) {
        dst.set(src.subarray(s, s + pw), d);
        s += pw;
      } else for (let x = 0, q = d; x < pw; x++, q += sw) dst[q] = src[s++]!;
    }
  }
}

/** `rows` runs of `len`: dst[dOff + r·dLd ...] = src[sOff + r·sLd ...]. */
export function copyRows(src: FloatArray, sOff: number, sLd: number, dst: FloatArray, dOff: number, dLd: number, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(sOff + r * sLd, sOff + r * sLd + len), dOff + r * dLd);
}

const scratch32: Float32Array[] = [];
const scratch64: Float64Array[] = [];

/**
 * A reusable work buffer of at least `n` elements of `like`'s type, one per `slot`. Kernels run
 * one at a time on the JS thread, so a buffer serves every call; it grows to the largest need.
 */
export function scratch(like: FloatArray, n: number, slot = 0): FloatArray {
  if (like instanceof Float64Array) {
    let s = scratch64[slot];
    if (!s || s.length < n) scratch64[slot] = s = new Float64Array(n);
    return s.subarray(0, n);
  }
  let s = scratch32[slot];
  if (!s || s.length < n) scratch32[slot] = s = new Float32Array(n);
  return s.subarray(0, n);
}
