/** Matrix products (Paddle's `paddle.matmul`, `mm`, `bmm`, `dot`, `mv`). */
import { fmtShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { run1 } from './run';

/**
 * numpy.matmul over the last two dimensions with broadcast batch dimensions; rank-1 operands
 * are promoted to matrices and the added dimension removed (Paddle's `matmul_v2`).
 */
export function matmul(x: Tensor, y: Tensor, transposeX = false, transposeY = false): Tensor {
  return run1('matmul_v2', { X: x, Y: y }, { trans_x: transposeX, trans_y: transposeY });
}

/** Matrix product of `input` and `mat2` (numpy.matmul rules, as Paddle's `paddle.mm`). */
export function mm(input: Tensor, mat2: Tensor): Tensor {
  return run1('matmul_v2', { X: input, Y: mat2 });
}

/** Batched product of [B, M, K] and [B, K, N] tensors (no broadcasting). */
export function bmm(x: Tensor, y: Tensor): Tensor {
  if (x.ndim !== 3 || y.ndim !== 3) {
    throw new RangeError(`bmm: x and y must be 3-D, got x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)}`);
  }
  if (x.shape[0] !== y.shape[0]) {
    throw new RangeError(`bmm: batch sizes differ: x ${fmtShape(x.shape)}, y ${fmtShape(y.shape)}`);
  }
  if (x.shape[2] !== y.shape[1]) {
    throw new RangeError(`bmm: x's last dimension (${x.shape[2]}) must equal y's second (${y.shape[1]}): x ${fmtShape(x.shape)}, y ${fmtShape(y.shape)}`);
  }
  return run1('matmul_v2', { X: x, Y: y });
}

/** Inner product along the last axis of two 1-D ([N] → [1]) or 2-D ([B, N] → [B, 1]) tensors. */
export function dot(x: Tensor, y: Tensor): Tensor {
  if (x.ndim < 1 || x.ndim > 2 || x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new RangeError(`dot: x and y must be 1-D or 2-D tensors of the same shape, got x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)}`);
  }
  const p = run1('elementwise_mul', { X: x, Y: y });
  return run1('reduce_sum', { X: p }, { dim: [-1], keep_dim: true, reduce_all: false });
}

/** Matrix [M, N] times vector [N] → [M]. */
export function mv(x: Tensor, vec: Tensor): Tensor {
  if (x.ndim !== 2 || vec.ndim !== 1) {
    throw new RangeError(`mv: x must be 2-D and vec 1-D, got x ${fmtShape(x.shape)} and vec ${fmtShape(vec.shape)}`);
  }
  return run1('matmul_v2', { X: x, Y: vec });
}
