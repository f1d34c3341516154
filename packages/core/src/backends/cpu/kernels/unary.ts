/**
 * CPU kernels of the unary math ops, clip and unary pow, and the helpers the activation and
 * softmax kernels share: one pass over the input, computed in double precision, written once
 * into the output array.
 */
import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { floatAttr } from '../../../kernels/specs/common';
import { isIntDType, type DType, type FloatArray, type NumericArray, type TypedArray } from '../../../tensor/dtype';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo, numBuf } from '../backend';
import { takeF32 } from '../pool';

/**
 * Writes n results into out from src. Every op has its own loop literal rather than one loop
 * calling a per-op function: V8 then inlines the math into each loop instead of making a
 * megamorphic call per element (2-5x faster).
 */
export type Loop = (src: NumericArray, out: NumericArray, n: number) => void;
/** X@GRAD[i] = Out@GRAD[i] · f'(v[i]) for i < n, v being X or Out. */
export type GradLoop = (v: FloatArray, dy: FloatArray, out: FloatArray, n: number) => void;

/**
 * The array a kernel writes `n` results of `dtype` into: the dtype's own array where JS numbers
 * store directly (float32, float64, int32), float32 for half types and float64 for int64, which
 * `narrowTo` then converts.
 */
export function stageArray(dtype: DType, n: number, zero = true): NumericArray {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return takeF32(n, zero);
    case 'int32':
      return new Int32Array(n);
    default:
      return new Float64Array(n);
  }
}

/** Runs `loop` over x into a new array of `dtype`. */
export function runLoop(x: Tensor, dtype: DType, loop: Loop): TypedArray {
  const src = numBuf(x);
  const out = stageArray(dtype, src.length, false);
  loop(src, out, src.length);
  return narrowTo(dtype, out);
}

/** A kernel X -> Out running the loop `make(attrs)`. */
export function loopKernel(make: (a: Attrs) => Loop): KernelFn {
  return (inputs, ctx) => ({ Out: runLoop(inputs.X as Tensor, (ctx.meta.Out as TensorMeta).dtype, make(ctx.attrs)) });
}

/** A `<op>_grad` kernel (slots `dep`, Out@GRAD -> X@GRAD) running the loop `make(attrs)`. */
export function gradLoopKernel(dep: 'X' | 'Out', make: (a: Attrs) => GradLoop): KernelFn {
  return (inputs, ctx) => {
    const v = floatBuf(inputs[dep] as Tensor);
    const dy = floatBuf(inputs['Out@GRAD'] as Tensor);
    const dtype = (ctx.meta['X@GRAD'] as TensorMeta).dtype;
    const out = stageArray(dtype, dy.length, false) as FloatArray;
    make(ctx.attrs)(v, dy, out, dy.length);
    return { 'X@GRAD': narrowTo(dtype, out) };
  };
}

// ---- erf ------------------------------------------------------------------------------------------
//
// JS has no erf. Both pieces are polynomials whose coefficients were computed with mpmath at 50
// digits (Chebyshev interpolation, then converted to powers for Horner evaluation):
// |x| < 1: erf(x) = x · P(x^2), 13 terms.
// |x| >= 1: erfc(x) = exp(-x^2) · t · Q(y), t = 3/(3+x) in (0, 3/4], y = t/0.375 - 1 in (-1, 1],
// 23 terms; t·Q(y) is exp(x^2)·erfc(x), smooth all the way to x = infinity.
// Relative error below 3e-16 for erf; for erfc, the rounding of x^2 inside exp dominates
// (relative 1e-16·x^2).

const ERF_SMALL = new Float64Array([
  1.1283791670955126, -0.3761263890318375, 0.11283791670954882, -0.026866170645077334, 0.005223977624823223,
  -0.0008548326981129666, 0.00012055331122299266, -1.4925595519506043e-5, 1.6461004480962034e-6,
  -1.6350354461959655e-7, 1.4660051998394848e-8, -1.1373902296430911e-9, 5.958930743134941e-11,
]);

const ERFC_TAIL = new Float64Array([
  0.295212367288183, 0.1598871476947783, 0.07462424444752129, 0.02920857221764288, 0.009105995730852147,
  0.00199736714821601, 0.00017038662506941934, -6.855327763812758e-5, -2.7617884727569543e-5, -7.400444975283868e-7,
  2.075763015111009e-6, 3.71846611718581e-7, -1.4817912941408798e-7, -5.092646651249221e-8, 1.2001466662740631e-8,
  6.185561851336214e-9, -1.2397132875579085e-9, -7.40433060425935e-10, 1.6240635973992772e-10, 8.138687619362142e-11,
  -2.16333569895986e-11, -5.9171043159799335e-12, 1.8536843855708407e-12,
]);

/** erfc(a) for a >= 1. */
function erfcTail(a: number): number {
  const t = 3 / (3 + a);
  const y = t / 0.375 - 1;
  // Horner on the even and odd coefficients separately: two independent chains run in parallel.
  const c = ERFC_TAIL;
  const y2 = y * y;
  let ev = c[22]!;
  let od = c[21]!;
  for (let k = 20; k >= 2; k -= 2) {
    ev = ev * y2 + c[k]!;
    od = od * y2 + c[k - 1]!;
  }
  ev = ev * y2 + c[0]!;
  return Math.exp(-a * a) * t * (ev + y * od);
}

export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 1) {
    const t = x * x;
    const c = ERF_SMALL;
    let s = c[12]!;
    for (let k = 11; k >= 0; k--) s = s * t + c[k]!;
    return x * s;
  }
  if (a >= 6) return x > 0 ? 1 : -1; // erfc(6) < 2.2e-17: erf rounds to ±1
  if (a !== a) return NaN;
  const r = 1 - erfcTail(a);
  return x > 0 ? r : -r;
}

/** erfc with relative accuracy in both tails (gelu needs it for large negative inputs). */
export function erfc(x: number): number {
  if (x >= 1) return x < 30 ? erfcTail(x) : 0; // erfc(27) underflows
  if (x <= -1) return x > -6 ? 2 - erfcTail(-x) : 2;
  return 1 - erf(x);
}

const LOOPS: Record<string, Loop> = {
  exp: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(s[i]!);
  },
  expm1: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.expm1(s[i]!);
  },
  log: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(s[i]!);
  },
  log2: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log2(s[i]!);
  },
  log10: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log10(s[i]!);
  },
  log1p: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log1p(s[i]!);
  },
  sqrt: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(s[i]!);
  },
  rsqrt: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(s[i]!);
  },
  abs: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(s[i]!);
  },
  square: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = s[i]! * s[i]!;
  },
  reciprocal: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / s[i]!;
  },
  sin: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sin(s[i]!);
  },
  cos: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cos(s[i]!);
  },
  tan: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tan(s[i]!);
  },
  asin: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.asin(s[i]!);
  },
  acos: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.acos(s[i]!);
  },
  atan: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.atan(s[i]!);
  },
  sinh: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sinh(s[i]!);
  },
  cosh: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cosh(s[i]!);
  },
  floor: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.floor(s[i]!);
  },
  ceil: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.ceil(s[i]!);
  },
  // half away from zero, as C's round (which Paddle uses); Math.round rounds half up
  round: (s, o, n) => {
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      o[i] = x < 0 ? -Math.round(-x) : Math.round(x);
    }
  },
  // keeps the sign of zero and NaN, as numpy.sign does
  sign: (s, o, n) => {
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      o[i] = x > 0 ? 1 : x < 0 ? -1 : x;
    }
  },
  erf: (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = erf(s[i]!);
  },
};

/** The scalar bound of clip from its tensor input or attribute; integer tensors truncate it (a C cast). */
function bound(t: Tensor | undefined, attrs: Attrs, name: string, dtype: DType): number {
  const v = t ? numBuf(t)[0]! : floatAttr(attrs, name);
  return isIntDType(dtype) ? Math.trunc(v) : v;
}

export const kernels: Record<string, KernelFn> = {
  ...Object.fromEntries(Object.entries(LOOPS).map(([k, loop]) => [k, loopKernel(() => loop)])),
  pow: (inputs, ctx) => {
    const ft = inputs.FactorTensor as Tensor | undefined;
    const p = ft ? numBuf(ft)[0]! : floatAttr(ctx.attrs, 'factor');
    const dtype = (ctx.meta.Out as TensorMeta).dtype;
    return {
      Out: runLoop(inputs.X as Tensor, dtype, (s, o, n) => {
        // x*x is correctly rounded, as Math.pow(x, 2) is, and much cheaper
        if (p === 2) for (let i = 0; i < n; i++) o[i] = s[i]! * s[i]!;
        else for (let i = 0; i < n; i++) o[i] = Math.pow(s[i]!, p);
      }),
    };
  },
  clip: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const lo = bound(inputs.Min as Tensor | undefined, ctx.attrs, 'min', x.dtype);
    const hi = bound(inputs.Max as Tensor | undefined, ctx.attrs, 'max', x.dtype);
    return {
      Out: runLoop(x, (ctx.meta.Out as TensorMeta).dtype, (s, o, n) => {
        for (let i = 0; i < n; i++) {
          const v = s[i]!;
          o[i] = v < lo ? lo : v > hi ? hi : v; // NaN passes through
        }
      }),
    };
  },
  clip_grad: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const lo = bound(inputs.Min as Tensor | undefined, ctx.attrs, 'min', x.dtype);
    const hi = bound(inputs.Max as Tensor | undefined, ctx.attrs, 'max', x.dtype);
    return gradLoopKernel('X', () => (v, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = v[i]! > lo && v[i]! < hi ? dy[i]! : 0;
    })(inputs, ctx);
  },
};
