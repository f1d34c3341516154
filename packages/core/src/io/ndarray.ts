/**
 * A NumPy array as Paddle's `.pdparams`/`.pdopt` files hold it: host data in C (row-major)
 * order with a dtype. `load(..., { returnNumpy: true })` returns these instead of tensors.
 */
import { engine } from '../engine/engine';
import { dtypeBytes, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

export class NdArray {
  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    /** Elements in row-major order; float16/bfloat16 as raw 16-bit patterns, bool as 0/1. */
    readonly data: TypedArray,
  ) {
    if (numel(shape) !== data.length) {
      throw new RangeError(`NdArray: shape ${fmtShape(shape)} needs ${numel(shape)} elements, data has ${data.length}`);
    }
  }

  get size(): number {
    return this.data.length;
  }

  get nbytes(): number {
    return this.data.length * dtypeBytes(this.dtype);
  }

  /** A tensor holding a copy of the data on `place` (the default device when omitted). */
  toTensor(place?: string): Tensor {
    return engine.fromArray(this.data, this.shape, this.dtype, place);
  }

  /** A host copy of a tensor's data. */
  static fromTensor(t: Tensor): NdArray {
    t._assertLive('NdArray.fromTensor');
    return new NdArray(t.dtype, [...t.shape], t.dataSync());
  }
}

/** NumPy's type string (without byte order) for each dtype Paddle files use. */
const TO_NUMPY: Record<DType, string> = {
  bool: 'b1',
  uint8: 'u1',
  int8: 'i1',
  int16: 'i2',
  int32: 'i4',
  int64: 'i8',
  float16: 'f2',
  // NumPy has no bfloat16: Paddle stores bfloat16 tensors as uint16 arrays of the bit patterns.
  bfloat16: 'u2',
  float32: 'f4',
  float64: 'f8',
};

const FROM_NUMPY: Record<string, DType> = {};
for (const [d, s] of Object.entries(TO_NUMPY)) FROM_NUMPY[s] = d as DType;
FROM_NUMPY['?'] = 'bool';

export function numpyTypeOf(d: DType): string {
  return TO_NUMPY[d];
}

/** The dtype of a NumPy type string such as `f4` (byte order stripped), or undefined. */
export function dtypeOfNumpy(s: string): DType | undefined {
  return Object.prototype.hasOwnProperty.call(FROM_NUMPY, s) ? FROM_NUMPY[s] : undefined;
}

/** NumPy's byte-order character for a dtype: `|` when it has one byte, else little-endian. */
export function numpyByteOrder(d: DType): string {
  return dtypeBytes(d) === 1 ? '|' : '<';
}

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `width`-byte element in place. */
export function swapBytes(b: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= b.length; i += width) {
    for (let j = 0, k = width - 1; j < k; j++, k--) {
      const t = b[i + j]!;
      b[i + j] = b[i + k]!;
      b[i + k] = t;
    }
  }
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function littleEndianBytes(a: TypedArray): Uint8Array {
  const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (HOST_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapBytes(copy, a.BYTES_PER_ELEMENT);
  return copy;
}
