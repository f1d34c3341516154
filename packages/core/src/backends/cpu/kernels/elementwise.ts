import type { KernelContext, KernelFn, TensorMeta } from '../../../kernels/registry';
import { alignByAxis, intAttr } from '../../../kernels/specs/common';
import { allocArray, isIntDType, type DType, type NumericArray } from '../../../tensor/dtype';
import { broadcastStrides, numel, shapesEqual, type Shape } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo, numBuf, rawBuf } from '../backend';
import { takeF32 } from '../pool';
import { BINARY, dnnlAdd, dnnlBroadcastBinary, dnnlChannelBinary, dnnlElementwise } from '../dnnl/eltwise';
import { layoutOf, sameLayout, setLayout, toPlain } from '../dnnl/layout';

type BinFn = (a: number, b: number) => number;

/**
 * out[i] = f(x[i'], y[i'']) over the broadcast of x and y. The innermost dimension runs in a
 * tight loop; outer indices advance by stride arithmetic (no per-element index decoding).
 */
export function broadcastBinary(
  x: NumericArray,
  xShape: Shape,
  y: NumericArray,
  yShape: Shape,
  outShape: Shape,
  out: NumericArray,
  f: BinFn,
): void {
  const n = out.length;
  if (n === 0) return;
  if (shapesEqual(xShape, yShape)) {
    for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!);
    return;
  }
  if (y.length === 1 && x.length === n) {
    const b = y[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x[i]!, b);
    return;
  }
  if (x.length === 1 && y.length === n) {
    const a = x[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a, y[i]!);
    return;
  }
  const r = outShape.length;
  const xs = broadcastStrides(xShape, outShape);
  const ys = broadcastStrides(yShape, outShape);
  const inner = outShape[r - 1]!;
  const sx = xs[r - 1]!;
  const sy = ys[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let xo = 0;
  let yo = 0;
  for (let o = 0; o < n; o += inner) {
    if (sx === 1 && sy === 1) for (let j = 0; j < inner; j++) out[o + j] = f(x[xo + j]!, y[yo + j]!);
    else if (sy === 0) {
      const b = y[yo]!;
      for (let j = 0; j < inner; j++) out[o + j] = f(x[xo + j * sx]!, b);
    } else for (let j = 0; j < inner; j++) out[o + j] = f(x[xo + j * sx]!, y[yo + j * sy]!);
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      xo += xs[d]!;
      yo += ys[d]!;
      if (idx[d]! < outShape[d]!) break;
      xo -= xs[d]! * outShape[d]!;
      yo -= ys[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

// ---- float fast paths ------------------------------------------------------------------------------
//
// The shared closure loop above goes megamorphic once several ops and array types have run through
// it (20-40 ns/element). The hot float32/float64 cases get one loop per op instead, with the
// arithmetic written inline: one operand full (n elements, the output's layout), the other a
// contiguous block of `mid` elements, repeated over `outer` and with each element repeated `inner`
// times. That covers same shape (1, n, 1), scalars (1, 1, n), channel bias [N,C,H,W]+[C] on axis 1
// (N, C, H·W) and row bias [.., W]+[W] (n/W, W, 1). The expressions (and operand order) are exactly
// those of the generic kernels, so results are bit-identical; `a !== a` is Number.isNaN(a).

type FloatArr = Float32Array | Float64Array;
type FastLoop = (x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean) => void;

function addLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a + b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a + b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a + b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a + b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a + b;
        }
      }
    }
  }
}

function subLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a - b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a - b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a - b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a - b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a - b;
        }
      }
    }
  }
}

function mulLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a * b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a * b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a * b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a * b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a * b;
        }
      }
    }
  }
}

function divLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a / b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a / b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a / b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a / b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a / b;
        }
      }
    }
  }
}

function maxLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a > b || a !== a ? a : b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a > b || a !== a ? a : b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a > b || a !== a ? a : b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a > b || a !== a ? a : b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a > b || a !== a ? a : b;
        }
      }
    }
  }
}

function minLoop(x: FloatArr, y: FloatArr, o: FloatArr, outer: number, mid: number, inner: number, smallX: boolean): void {
  if (inner === 1 && outer === 1 && !smallX) {
    for (let i = 0; i < mid; i++) {
      const a = x[i]!;
      const b = y[i]!;
      o[i] = a < b || a !== a ? a : b;
    }
  } else if (inner === 1 && !smallX) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[i]!;
        const b = y[c]!;
        o[i] = a < b || a !== a ? a : b;
      }
    }
  } else if (inner === 1) {
    for (let base = 0, end = outer * mid; base < end; base += mid) {
      for (let c = 0; c < mid; c++) {
        const i = base + c;
        const a = x[c]!;
        const b = y[i]!;
        o[i] = a < b || a !== a ? a : b;
      }
    }
  } else if (!smallX) {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const b = y[c]!;
        for (const end = i + inner; i < end; i++) {
          const a = x[i]!;
          o[i] = a < b || a !== a ? a : b;
        }
      }
    }
  } else {
    for (let p = 0, i = 0; p < outer; p++) {
      for (let c = 0; c < mid; c++) {
        const a = x[c]!;
        for (const end = i + inner; i < end; i++) {
          const b = y[i]!;
          o[i] = a < b || a !== a ? a : b;
        }
      }
    }
  }
}

/** [outer, mid, inner, smallX] when one operand is full and the other a contiguous block (see above), else null. */
function fastLayout(xShape: Shape, yShape: Shape, outShape: Shape, xn: number, yn: number, n: number): [number, number, number, boolean] | null {
  if (xn === n && yn === n) return shapesEqual(xShape, yShape) ? [1, n, 1, false] : null;
  let smallX: boolean;
  let small: Shape;
  if (xn === n) {
    smallX = false;
    small = yShape;
  } else if (yn === n) {
    smallX = true;
    small = xShape;
  } else return null;
  const r = outShape.length;
  if (small.length !== r) return null;
  let first = 0;
  while (first < r && small[first] === 1) first++;
  if (first === r) return [1, 1, n, smallX];
  let last = r - 1;
  while (small[last] === 1) last--;
  let outer = 1;
  let mid = 1;
  let inner = 1;
  for (let d = 0; d < first; d++) outer *= outShape[d]!;
  for (let d = first; d <= last; d++) {
    if (small[d] !== outShape[d]) return null;
    mid *= small[d]!;
  }
  for (let d = last + 1; d < r; d++) inner *= outShape[d]!;
  return outer * mid * inner === n && mid === (smallX ? xn : yn) ? [outer, mid, inner, smallX] : null;
}

/** Runs `fast` when x, y and out are all float32 or all float64 in a layout it covers; false otherwise. */
function tryFast(fast: FastLoop, x: NumericArray, xShape: Shape, y: NumericArray, yShape: Shape, outShape: Shape, out: NumericArray): boolean {
  const f32 = x instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array;
  if (!f32 && !(x instanceof Float64Array && y instanceof Float64Array && out instanceof Float64Array)) return false;
  const n = out.length;
  if (n === 0) return true;
  const lay = fastLayout(xShape, yShape, outShape, x.length, y.length, n);
  if (!lay) return false;
  fast(x as FloatArr, y as FloatArr, out as FloatArr, lay[0], lay[1], lay[2], lay[3]);
  return true;
}

/** The compute array for a result of `dtype`: direct for float32/64 and small ints, float64 otherwise. */
function computeArray(dtype: DType, n: number): NumericArray {
  if (dtype === 'int64' || dtype === 'float16' || dtype === 'bfloat16') return new Float64Array(n);
  // Every element is written by the loops, so a recycled float32 array needs no clearing.
  if (dtype === 'float32') return takeF32(n, false);
  return allocArray(dtype, n) as NumericArray;
}

type SameShapeF32 = (a: Float32Array, b: Float32Array, out: Float32Array, n: number) => boolean;

/**
 * A same-shape float32 operation through the library kernel, in the inputs' common layout
 * (dnnl/layout.ts; the result takes it); null when the library declines.
 */
function libSameShape(lib: SameShapeF32, a: Float32Array, b: Float32Array, n: number): Float32Array | null {
  let layout = layoutOf(a);
  if (!sameLayout(layout, layoutOf(b))) {
    toPlain(a);
    toPlain(b);
    layout = undefined;
  }
  const out = takeF32(n, false);
  if (!lib(a, b, out, n)) return null;
  setLayout(out, layout);
  return out;
}

/** Y aligned as [1, C, 1, 1] against a 4-D X (NCHW and a per-channel vector: a bias add). */
function isChannelVector(xa: number[], ya: number[]): boolean {
  return xa.length === 4 && ya.length === 4 && ya[0] === 1 && ya[2] === 1 && ya[3] === 1 && ya[1] === xa[1];
}

/**
 * `lib`: the same-shape float32 case through oneDNN; `channelAlg`: its binary algorithm for a
 * Y broadcast against a full-size X.
 */
function binaryKernel(fFloat: BinFn, fInt: BinFn = fFloat, boolOut = false, fast?: FastLoop, lib?: SameShapeF32, channelAlg?: number): KernelFn {
  return (inputs, ctx: KernelContext) => {
    const x = inputs.X as Tensor;
    const y = inputs.Y as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const n = numel(meta.shape);
    // float32 with X full-size, in oneDNN's range; outputs are taken once a primitive accepts.
    const libX = x.dtype === 'float32' && y.dtype === 'float32' && x.size === n && dnnlElementwise(n);
    if (libX && lib && y.size === n) {
      const r = libSameShape(lib, rawBuf(x) as Float32Array, rawBuf(y) as Float32Array, n);
      if (r) return { Out: r };
    }
    const [xa, ya] = alignByAxis('elementwise', x.shape, y.shape, 'axis' in ctx.attrs ? intAttr(ctx.attrs, 'axis') : -1);
    if (libX && channelAlg !== undefined) {
      const xr = rawBuf(x) as Float32Array;
      // A per-channel Y (blocked layouts kept), else any other broadcast (a Linear layer's bias, an attention mask).
      const r =
        (isChannelVector(xa, ya) ? dnnlChannelBinary(channelAlg, xr, floatBuf(y) as Float32Array, xa) : null) ??
        dnnlBroadcastBinary(channelAlg, xr, xa, rawBuf(y) as Float32Array, ya);
      if (r) return { Out: r };
    }
    const out = boolOut ? new Uint8Array(n) : computeArray(meta.dtype, n);
    const f = isIntDType(x.dtype) || x.dtype === 'bool' ? fInt : fFloat;
    const xb = numBuf(x);
    const yb = numBuf(y);
    if (!fast || !tryFast(fast, xb, xa, yb, ya, meta.shape, out)) broadcastBinary(xb, xa, yb, ya, meta.shape, out, f);
    return { Out: boolOut ? out : narrowTo(meta.dtype, out) };
  };
}

/** Python-style modulo (result takes the divisor's sign), as Paddle 2.0 and NumPy define it. */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

export const kernels: Record<string, KernelFn> = {
  elementwise_add: binaryKernel((a, b) => a + b, undefined, false, addLoop, dnnlAdd, BINARY.add),
  elementwise_sub: binaryKernel((a, b) => a - b, undefined, false, subLoop),
  elementwise_mul: binaryKernel((a, b) => a * b, undefined, false, mulLoop, undefined, BINARY.mul),
  elementwise_div: binaryKernel(
    (a, b) => a / b,
    (a, b) => Math.trunc(a / b),
    false,
    divLoop,
  ),
  elementwise_max: binaryKernel((a, b) => (a > b || Number.isNaN(a) ? a : b), undefined, false, maxLoop),
  elementwise_min: binaryKernel((a, b) => (a < b || Number.isNaN(a) ? a : b), undefined, false, minLoop),
  elementwise_pow: binaryKernel(Math.pow, (a, b) => Math.trunc(Math.pow(a, b))),
  elementwise_floordiv: binaryKernel((a, b) => Math.floor(a / b)),
  elementwise_mod: binaryKernel(pyMod),
  equal: binaryKernel((a, b) => +(a === b), undefined, true),
  not_equal: binaryKernel((a, b) => +(a !== b), undefined, true),
  less_than: binaryKernel((a, b) => +(a < b), undefined, true),
  less_equal: binaryKernel((a, b) => +(a <= b), undefined, true),
  greater_than: binaryKernel((a, b) => +(a > b), undefined, true),
  greater_equal: binaryKernel((a, b) => +(a >= b), undefined, true),
  logical_and: binaryKernel((a, b) => +(a !== 0 && b !== 0), undefined, true),
  logical_or: binaryKernel((a, b) => +(a !== 0 || b !== 0), undefined, true),
  logical_xor: binaryKernel((a, b) => +((a !== 0) !== (b !== 0)), undefined, true),
  logical_not: (inputs) => {
    const x = numBuf(inputs.X as Tensor);
    const out = new Uint8Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] === 0 ? 1 : 0;
    return { Out: out };
  },
};
