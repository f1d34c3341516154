/**
 * elementwise_add/sub/mul/div/max/min/pow, the comparisons (equal, less_than, ...) and the logical
 * operators on xpu: Paddle's axis alignment, then numpy broadcasting. Equal shapes run a flat loop;
 * otherwise each output index is decoded into the two inputs' offsets with the broadcast strides
 * (0 along a broadcast dimension), up to rank 8, in 32-bit arithmetic below 2^31 elements (64-bit
 * division is several times slower on the GPU). Comparisons and logical operators write bool
 * (one byte, 0 or 1); the logical ones take any element type, nonzero being true.
 */
import { OpError, plans, type KernelFn, type Tensor, type TensorMeta } from '@oar/core';
import { cType, prelude, ptrOf, type Backend } from './common';

const MAX_RANK = 8;

/** C expression of each operator on a and b; pow and div only for floating types. */
const EXPR: Record<string, string> = {
  elementwise_add: 'a + b',
  elementwise_sub: 'a - b',
  elementwise_mul: 'a * b',
  elementwise_div: 'a / b',
  elementwise_max: 'a > b ? a : b',
  elementwise_min: 'a < b ? a : b',
  elementwise_pow: 'pow(a, b)',
};
const FLOAT_ONLY = new Set(['elementwise_div', 'elementwise_pow']);

/** Operators with a bool result, as C expressions of a and b. */
const BOOL_EXPR: Record<string, string> = {
  equal: 'a == b',
  not_equal: 'a != b',
  less_than: 'a < b',
  less_equal: 'a <= b',
  greater_than: 'a > b',
  greater_equal: 'a >= b',
  logical_and: 'a != (T)0 && b != (T)0',
  logical_or: 'a != (T)0 || b != (T)0',
  logical_xor: '(a != (T)0) != (b != (T)0)',
};

export function cudaSource(t: string): string {
  const arithmetic = Object.entries(EXPR).filter(([op]) => t === 'float' || t === 'double' || !FLOAT_ONLY.has(op));
  const fns = [...arithmetic.map(([op, e]): [string, string, string] => [op, e, 'T']), ...Object.entries(BOOL_EXPR).map(([op, e]): [string, string, string] => [op, e, 'unsigned char'])]
    .map(
      ([op, e, o]) => `
extern "C" __global__ void ${op}_same(const T* x, const T* y, ${o}* out, i64 n) {
  LOOP(i, n) { T a = x[i], b = y[i]; out[i] = ${e}; }
}
extern "C" __global__ void ${op}_bcast(const T* x, const T* y, ${o}* out, i64 n, Bcast s) {
  LOOP(i, n) {
    i64 r = i, xo = 0, yo = 0;
    for (int d = s.rank - 1; d >= 0; --d) { i64 c = r % s.dims[d]; r /= s.dims[d]; xo += c * s.xs[d]; yo += c * s.ys[d]; }
    T a = x[xo], b = y[yo]; out[i] = ${e};
  }
}
extern "C" __global__ void ${op}_bcast32(const T* x, const T* y, ${o}* out, unsigned n, Bcast s) {
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    unsigned r = i, xo = 0, yo = 0;
    for (int d = s.rank - 1; d >= 0; --d) { unsigned c = r % (unsigned)s.dims[d]; r /= (unsigned)s.dims[d]; xo += c * s.xs[d]; yo += c * s.ys[d]; }
    T a = x[xo], b = y[yo]; out[i] = ${e};
  }
}`,
    )
    .join('\n');
  const not = `extern "C" __global__ void logical_not(const T* x, unsigned char* out, i64 n) { LOOP(i, n) out[i] = x[i] == (T)0; }`;
  return `${prelude(t)}${not}\nstruct Bcast { int rank; int dims[${MAX_RANK}]; int xs[${MAX_RANK}]; int ys[${MAX_RANK}]; };\n${fns}`;
}

/** The Bcast struct: rank, dims, and X's and Y's strides over the output (0 where broadcast). */
export function bcastStruct(op: string, out: readonly number[], xs: readonly number[], ys: readonly number[]): Int32Array {
  if (out.length > MAX_RANK) throw new OpError(op, `on xpu broadcasting handles rank <= ${MAX_RANK}, got rank ${out.length}`);
  const s = new Int32Array(1 + 3 * MAX_RANK);
  s[0] = out.length;
  s.set(out, 1);
  s.set(xs, 1 + MAX_RANK);
  s.set(ys, 1 + 2 * MAX_RANK);
  return s;
}

function binary(op: string): KernelFn<Backend> {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const y = inputs.Y as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    if (y.dtype !== x.dtype) throw new OpError(op, `on xpu X and Y must have one dtype, got ${x.dtype} and ${y.dtype}`);
    const t = cType(op, x.dtype);
    if (FLOAT_ONLY.has(op) && t !== 'float' && t !== 'double') throw new OpError(op, `on xpu this operator takes float32 or float64, got ${x.dtype}`);
    const c = ctx.backend.compute();
    const mod = c.module(`elementwise_${x.dtype}`, () => cudaSource(t));
    const n = m.shape.reduce((a, b) => a * b, 1);
    const out = ctx.backend.empty(m.dtype, n);
    const same = x.size === n && y.size === n;
    if (same) {
      c.launcher.launch1d(mod.fn(`${op}_same`), n, 'pppl', [ptrOf(x), ptrOf(y), out.ptr, n]);
    } else {
      const [xa, ya] = plans.alignByAxis(op, x.shape, y.shape, plans.intAttr(ctx.attrs, 'axis'));
      const s = bcastStruct(op, m.shape, plans.broadcastStrides(xa, m.shape), plans.broadcastStrides(ya, m.shape));
      if (n < 2 ** 31) c.launcher.launch1d(mod.fn(`${op}_bcast32`), n, 'pppis', [ptrOf(x), ptrOf(y), out.ptr, n, s]);
      else c.launcher.launch1d(mod.fn(`${op}_bcast`), n, 'pppls', [ptrOf(x), ptrOf(y), out.ptr, n, s]);
    }
    return { Out: out };
  };
}

export const kernels: Record<string, KernelFn<Backend>> = {
  ...Object.fromEntries([...Object.keys(EXPR), ...Object.keys(BOOL_EXPR)].map((op) => [op, binary(op)])),
  logical_not: (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const c = ctx.backend.compute();
    const mod = c.module(`elementwise_${x.dtype}`, () => cudaSource(cType('logical_not', x.dtype)));
    const out = ctx.backend.empty('bool', x.size);
    c.launcher.launch1d(mod.fn('logical_not'), x.size, 'ppl', [ptrOf(x), out.ptr, x.size]);
    return { Out: out };
  },
};
