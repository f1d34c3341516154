/** Ranges (Paddle's `paddle.arange`, `paddle.linspace`, `paddle.eye`). */
import { assertDType, dtypeToPaddle, isFloatDType, type DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { cast, full } from './creation';
import { run1 } from './run';

type NumOrTensor = number | Tensor;

function scalarTensor(v: NumOrTensor, dtype: DType, where: string): Tensor {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`${where}: expected a finite number, got ${v}`);
    return full([1], v, { dtype });
  }
  if (v.size !== 1) throw new RangeError(`${where}: expected a one-element tensor, got shape [${v.shape.join(', ')}]`);
  return v.dtype === dtype ? v : cast(v, dtype);
}

const isWhole = (v: NumOrTensor): boolean => (typeof v === 'number' ? Number.isInteger(v) : !isFloatDType(v.dtype));

/**
 * Values from `start` up to (not including) `end` by `step`; `arange(n)` counts 0..n-1. The dtype
 * defaults to int64 when every bound is an integer, else float32.
 */
export function arange(start: NumOrTensor = 0, end?: NumOrTensor, step: NumOrTensor = 1, dtype?: DType): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  const dt = dtype ? assertDType(dtype, 'arange') : [start, end, step].every(isWhole) ? 'int64' : 'float32';
  return run1('range', {
    Start: scalarTensor(start, dt, 'arange start'),
    End: scalarTensor(end, dt, 'arange end'),
    Step: scalarTensor(step, dt, 'arange step'),
  });
}

/** `num` evenly spaced values from `start` to `stop`, both included. */
export function linspace(start: NumOrTensor, stop: NumOrTensor, num: number | Tensor, dtype: DType = 'float32'): Tensor {
  assertDType(dtype, 'linspace');
  // Bounds travel as float64 so integer outputs are computed from exact bounds.
  const bound: DType = isFloatDType(dtype) ? dtype : 'float64';
  if (typeof num === 'number' && (!Number.isInteger(num) || num < 1)) {
    throw new RangeError(`linspace: num must be a positive integer, got ${num}`);
  }
  return run1(
    'linspace',
    {
      Start: scalarTensor(start, bound, 'linspace start'),
      Stop: scalarTensor(stop, bound, 'linspace stop'),
      Num: scalarTensor(num, 'int32', 'linspace num'),
    },
    { dtype: dtypeToPaddle(dtype) },
  );
}

/** A `numRows` × `numColumns` matrix with ones on the diagonal (square when numColumns is omitted). */
export function eye(numRows: number, numColumns?: number, dtype: DType = 'float32'): Tensor {
  return run1('eye', {}, { num_rows: numRows, num_columns: numColumns ?? -1, dtype: dtypeToPaddle(assertDType(dtype, 'eye')) });
}
