/** CPU kernels of the random family; the draw layout is documented in kernels/specs/random.ts. */
import type { KernelContext, KernelFn, RngState, TensorMeta } from '../../../kernels/registry';
import { boolAttr, floatAttr, intAttr, strAttr } from '../../../kernels/specs/common';
import { philoxNormal, philoxUniform, philoxWords } from '../../../random/philox';
import type { DType, TypedArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { buf, floatBuf, fromNumbers, narrowTo, numBuf, rawBuf } from '../backend';

/** Philox key of a fixed seed: the seed as an unsigned 64-bit integer, low word first. */
export function seedKey(seed: number): [number, number] {
  const v = BigInt.asUintN(64, BigInt(Math.trunc(seed)));
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/** The stream an op draws from: its own when `seed` is nonzero, else the engine's reservation. */
export function streamOf(op: string, ctx: KernelContext, seed: number): RngState {
  if (seed !== 0) return { key: seedKey(seed), offset: 0 };
  if (!ctx.rng) throw new OpError(op, 'no random state was reserved for this launch (the spec must set random: true)');
  return ctx.rng;
}

/** Uniform [0, 1) numbers with 53 random bits, element i from stream words 2i and 2i + 1. */
export function philoxUniform53(st: RngState, n: number): Float64Array {
  const w = new Uint32Array(2 * n);
  philoxWords(st.key, st.offset, w);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((w[2 * i]! >>> 5) * 67108864 + (w[2 * i + 1]! >>> 6)) / 9007199254740992;
  return out;
}

// Φ(-2) and Φ(2): truncated_gaussian_random maps a uniform draw into [Φ(-2), Φ(2)] and inverts Φ.
const PHI_LO = 0.02275013194817921;
const PHI_HI = 1 - PHI_LO;

const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** Φ(z) for |z| <= ~3 from the Maclaurin series of erf (converges quickly on that range). */
function normalCdf(z: number): number {
  const x = z / Math.SQRT2;
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return 0.5 + sum / Math.sqrt(Math.PI);
}

/**
 * Φ⁻¹(p) for p in [Φ(-2), Φ(2)]: Acklam's rational approximation (relative error 1.2e-9)
 * refined by one Newton step on Φ, which brings it to double precision.
 */
export function normalQuantile(p: number): number {
  let z: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    z = (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    z = -(((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    z = ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  }
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return z - (normalCdf(z) - p) / pdf;
}

/** Writes integers (already whole numbers) into an array of an integer or float dtype. */
function intsOut(dtype: DType, v: Float64Array): TypedArray {
  if (dtype === 'float64') return v;
  return fromNumbers(dtype, v);
}

function outMeta(ctx: KernelContext): TensorMeta {
  return ctx.meta.Out as TensorMeta;
}

export const kernels: Record<string, KernelFn> = {
  uniform_random: (_inputs, ctx) => {
    const m = outMeta(ctx);
    const n = numel(m.shape);
    const lo = floatAttr(ctx.attrs, 'min');
    const span = floatAttr(ctx.attrs, 'max') - lo;
    const st = streamOf('uniform_random', ctx, intAttr(ctx.attrs, 'seed'));
    const u = philoxUniform(st.key, st.offset, n);
    for (let i = 0; i < n; i++) u[i] = lo + u[i]! * span;
    // Paddle's diagonal initialisation: element i * (diag_step + 1) set to diag_val.
    const dn = intAttr(ctx.attrs, 'diag_num');
    const step = intAttr(ctx.attrs, 'diag_step');
    const dv = floatAttr(ctx.attrs, 'diag_val');
    for (let i = 0; i < dn; i++) u[i * step + i] = dv;
    return { Out: narrowTo(m.dtype, u) };
  },
  gaussian_random: (_inputs, ctx) => {
    const m = outMeta(ctx);
    const n = numel(m.shape);
    const mean = floatAttr(ctx.attrs, 'mean');
    const std = floatAttr(ctx.attrs, 'std');
    const st = streamOf('gaussian_random', ctx, intAttr(ctx.attrs, 'seed'));
    const z = philoxNormal(st.key, st.offset, n);
    for (let i = 0; i < n; i++) z[i] = mean + std * z[i]!;
    return { Out: narrowTo(m.dtype, z) };
  },
  truncated_gaussian_random: (_inputs, ctx) => {
    const m = outMeta(ctx);
    const n = numel(m.shape);
    const mean = floatAttr(ctx.attrs, 'mean');
    const std = floatAttr(ctx.attrs, 'std');
    const st = streamOf('truncated_gaussian_random', ctx, intAttr(ctx.attrs, 'seed'));
    // Inverse CDF restricted to [-2, 2] standard deviations: one draw per element, no rejection.
    const u = philoxUniform(st.key, st.offset, n);
    for (let i = 0; i < n; i++) u[i] = mean + std * normalQuantile(PHI_LO + u[i]! * (PHI_HI - PHI_LO));
    return { Out: narrowTo(m.dtype, u) };
  },
  randint: (_inputs, ctx) => {
    const m = outMeta(ctx);
    const n = numel(m.shape);
    const lo = intAttr(ctx.attrs, 'low');
    const span = intAttr(ctx.attrs, 'high') - lo;
    const u = philoxUniform53(streamOf('randint', ctx, intAttr(ctx.attrs, 'seed')), n);
    for (let i = 0; i < n; i++) u[i] = lo + Math.floor(u[i]! * span);
    return { Out: intsOut(m.dtype, u) };
  },
  randperm: (_inputs, ctx) => {
    const m = outMeta(ctx);
    const n = intAttr(ctx.attrs, 'n');
    // The permutation that sorts one 53-bit key per element (ties by index): each key depends
    // only on its element's index, so a device can draw the keys and sort them itself.
    const keys = philoxUniform53(streamOf('randperm', ctx, intAttr(ctx.attrs, 'seed')), n);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
    return { Out: intsOut(m.dtype, Float64Array.from(idx)) };
  },
  bernoulli: (inputs, ctx) => {
    const m = outMeta(ctx);
    const p = floatBuf(inputs.X as Tensor);
    const n = p.length;
    const st = streamOf('bernoulli', ctx, 0);
    const u = philoxUniform(st.key, st.offset, n);
    for (let i = 0; i < n; i++) {
      const pi = p[i]!;
      if (!(pi >= 0 && pi <= 1)) throw new OpError('bernoulli', `input X must hold probabilities in [0, 1], got ${pi} at flat index ${i}`);
      u[i] = u[i]! < pi ? 1 : 0;
    }
    return { Out: narrowTo(m.dtype, u) };
  },
  dropout: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = outMeta(ctx);
    const xs = floatBuf(x);
    const n = xs.length;
    const p = floatAttr(ctx.attrs, 'dropout_prob');
    const upscale = strAttr(ctx.attrs, 'dropout_implementation') === 'upscale_in_train';
    if (boolAttr(ctx.attrs, 'is_test') && upscale && x.dtype === m.dtype) {
      // Inference with upscale_in_train is the identity: the output shares X's buffer (a view).
      return { Out: rawBuf(x) };
    }
    const out = m.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    if (boolAttr(ctx.attrs, 'is_test')) {
      if (upscale) out.set(xs);
      else {
        const keep = 1 - p;
        for (let i = 0; i < n; i++) out[i] = xs[i]! * keep;
      }
      return { Out: narrowTo(m.dtype, out) };
    }
    const mask = new Uint8Array(n);
    // upscale_in_train with p = 1 drops everything (no division by 0); out and mask stay 0.
    if (!(upscale && p === 1)) {
      const seedIn = inputs.Seed as Tensor | undefined;
      const seed = seedIn ? numBuf(seedIn)[0]! : boolAttr(ctx.attrs, 'fix_seed') ? intAttr(ctx.attrs, 'seed') : 0;
      const st = streamOf('dropout', ctx, seed);
      const u = philoxUniform(st.key, st.offset, n);
      // float32 divides by the float32 keep probability, as Paddle's float kernel does.
      const keep = m.dtype === 'float32' ? Math.fround(1 - p) : 1 - p;
      for (let i = 0; i < n; i++) {
        if (u[i]! < p) continue;
        mask[i] = 1;
        out[i] = upscale ? xs[i]! / keep : xs[i]!;
      }
    }
    return { Out: narrowTo(m.dtype, out), Mask: mask };
  },
  dropout_grad: (inputs, ctx) => {
    const mask = inputs.Mask as Tensor;
    const dy = floatBuf(inputs['Out@GRAD'] as Tensor);
    const meta = ctx.meta['X@GRAD'] as TensorMeta;
    const mk = buf<Uint8Array>(mask);
    const p = floatAttr(ctx.attrs, 'dropout_prob');
    const upscale = strAttr(ctx.attrs, 'dropout_implementation') === 'upscale_in_train';
    const n = dy.length;
    const dx = meta.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    if (!(upscale && p === 1)) {
      const keep = meta.dtype === 'float32' ? Math.fround(1 - p) : 1 - p;
      for (let i = 0; i < n; i++) if (mk[i]) dx[i] = upscale ? dy[i]! / keep : dy[i]!;
    }
    return { 'X@GRAD': narrowTo(meta.dtype, dx) };
  },
};
