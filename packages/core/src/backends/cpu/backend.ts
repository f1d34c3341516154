import type { Backend } from '../backend';
import {
  allocArray,
  bf16ToFloat,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  type DType,
  type FloatArray,
  type NumericArray,
  type TypedArray,
} from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { dnnlScratchBytes } from './dnnl/primitive';
import { emptyPool, pooledBytes, release } from './pool';
import { toPlain } from './dnnl/layout';

/** The CPU backend: buffers are typed arrays in the JS heap. */
export class CpuBackend implements Backend {
  readonly kind = 'cpu';
  readonly device = 'cpu';

  alloc(dtype: DType, numel: number): TypedArray {
    return allocArray(dtype, numel);
  }

  fromArray(dtype: DType, data: TypedArray): TypedArray {
    const out = allocArray(dtype, data.length);
    (out as Float32Array).set(data as Float32Array);
    return out;
  }

  read(buffer: unknown, _dtype: DType, numel: number): TypedArray {
    toPlain(buffer);
    return (buffer as TypedArray).slice(0, numel);
  }

  free(buffer: unknown): void {
    // Large float arrays go back to the pool; the rest are left to the garbage collector.
    release(buffer);
  }

  cachedBytes(): number {
    return pooledBytes() + dnnlScratchBytes();
  }

  emptyCache(): void {
    emptyPool();
  }

  synchronize(): void {}
}

// ---- helpers for CPU kernels ------------------------------------------------------------------

/**
 * The tensor's storage as the typed array itself (no copy), in plain row-major layout (an array
 * a oneDNN kernel left blocked is converted first; oneDNN kernels read raw buffers instead).
 */
export function buf<T extends TypedArray = TypedArray>(t: Tensor): T {
  toPlain(t._storage.buffer);
  return t._storage.buffer as T;
}

/**
 * The storage array as it is, possibly in a oneDNN blocked layout (dnnl/layout.ts): only for
 * kernels that hand it to oneDNN, which reads the layout tag, and call toPlain before reading
 * it themselves.
 */
export function rawBuf(t: Tensor): TypedArray {
  return t._storage.buffer as TypedArray;
}

/** The tensor's float storage; float16/bfloat16 are widened into a new Float32Array. */
export function floatBuf(t: Tensor): FloatArray {
  const b = t._storage.buffer as TypedArray;
  toPlain(b);
  if (t.dtype === 'float32' || t.dtype === 'float64') return b as FloatArray;
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return widenHalf(b as Uint16Array, t.dtype);
  throw new Error(`expected a float tensor, got ${t.dtype}`);
}

/** Elements readable as JS numbers: int64 is converted into a Float64Array (exact below 2^53). */
export function numBuf(t: Tensor): NumericArray {
  const b = t._storage.buffer as TypedArray;
  toPlain(b);
  if (b instanceof BigInt64Array) {
    const out = new Float64Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = Number(b[i]);
    return out;
  }
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return widenHalf(b as Uint16Array, t.dtype);
  return b as NumericArray;
}

/** Index values (int32/int64 ids, labels) as an Int32Array or plain numbers. */
export function indexBuf(t: Tensor): Int32Array | Float64Array | Uint8Array {
  const b = numBuf(t);
  return b as Int32Array | Float64Array | Uint8Array;
}

export function widenHalf(b: Uint16Array, dtype: 'float16' | 'bfloat16'): Float32Array {
  const out = new Float32Array(b.length);
  const f = dtype === 'float16' ? halfToFloat : bf16ToFloat;
  for (let i = 0; i < b.length; i++) out[i] = f(b[i]!);
  return out;
}

/** Allocates storage for `dtype` and fills it from plain numbers (rounding / narrowing as the dtype needs). */
export function fromNumbers(dtype: DType, src: ArrayLike<number>): TypedArray {
  const n = src.length;
  const out = allocArray(dtype, n);
  switch (dtype) {
    case 'int64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = BigInt(Math.trunc(src[i]!));
      break;
    }
    case 'float16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = floatToHalf(src[i]!);
      break;
    }
    case 'bfloat16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = floatToBf16(src[i]!);
      break;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = src[i] ? 1 : 0;
      break;
    }
    default: {
      const o = out as NumericArray;
      for (let i = 0; i < n; i++) o[i] = src[i]!;
    }
  }
  return out;
}

/** The output array for `dtype` when a kernel computed it in a wider float array. */
export function narrowTo(dtype: DType, src: NumericArray): TypedArray {
  if ((dtype === 'float32' && src instanceof Float32Array) || (dtype === 'float64' && src instanceof Float64Array)) {
    return src;
  }
  return fromNumbers(dtype, src);
}
