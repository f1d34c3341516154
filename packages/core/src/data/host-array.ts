import { allocArray, dtypeOfArray, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';

/**
 * An n-dimensional array in host memory: what datasets and transforms produce (Paddle's
 * datasets return numpy arrays). Plain data, so it crosses worker threads by structured clone.
 */
export interface HostArray {
  data: TypedArray;
  shape: number[];
  dtype: DType;
}

export function hostArray(data: TypedArray, shape: number[], dtype: DType = dtypeOfArray(data)): HostArray {
  if (numel(shape) !== data.length) {
    throw new RangeError(`hostArray: shape ${fmtShape(shape)} needs ${numel(shape)} elements, data has ${data.length}`);
  }
  return { data, shape, dtype };
}

export function emptyHostArray(shape: number[], dtype: DType): HostArray {
  return { data: allocArray(dtype, numel(shape)), shape, dtype };
}

export function isHostArray(v: unknown): v is HostArray {
  return (
    typeof v === 'object' && v !== null && ArrayBuffer.isView((v as HostArray).data) && Array.isArray((v as HostArray).shape)
  );
}
