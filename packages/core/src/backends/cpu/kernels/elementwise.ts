import type { KernelContext, KernelFn, TensorMeta } from '../../../kernels/registry';
import { alignByAxis, intAttr } from '../../../kernels/specs/common';
import { allocArray, isIntDType, type DType, type NumericArray } from '../../../tensor/dtype';
import { broadcastStrides, numel, shapesEqual, type Shape } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { narrowTo, numBuf } from '../backend';

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

/** The compute array for a result of `dtype`: direct for float32/64 and small ints, float64 otherwise. */
function computeArray(dtype: DType, n: number): NumericArray {
  if (dtype === 'int64' || dtype === 'float16' || dtype === 'bfloat16') return new Float64Array(n);
  return allocArray(dtype, n) as NumericArray;
}

function binaryKernel(fFloat: BinFn, fInt: BinFn = fFloat, boolOut = false): KernelFn {
  return (inputs, ctx: KernelContext) => {
    const x = inputs.X as Tensor;
    const y = inputs.Y as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const [xa, ya] = alignByAxis('elementwise', x.shape, y.shape, 'axis' in ctx.attrs ? intAttr(ctx.attrs, 'axis') : -1);
    const out = boolOut ? new Uint8Array(numel(meta.shape)) : computeArray(meta.dtype, numel(meta.shape));
    const f = isIntDType(x.dtype) || x.dtype === 'bool' ? fInt : fFloat;
    broadcastBinary(numBuf(x), xa, numBuf(y), ya, meta.shape, out, f);
    return { Out: boolOut ? out : narrowTo(meta.dtype, out) };
  };
}

/** Python-style modulo (result takes the divisor's sign), as Paddle 2.0 and NumPy define it. */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

export const kernels: Record<string, KernelFn> = {
  elementwise_add: binaryKernel((a, b) => a + b),
  elementwise_sub: binaryKernel((a, b) => a - b),
  elementwise_mul: binaryKernel((a, b) => a * b),
  elementwise_div: binaryKernel(
    (a, b) => a / b,
    (a, b) => Math.trunc(a / b),
  ),
  elementwise_max: binaryKernel((a, b) => (a > b || Number.isNaN(a) ? a : b)),
  elementwise_min: binaryKernel((a, b) => (a < b || Number.isNaN(a) ? a : b)),
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
