/**
 * Paddle's `paddle.static.InputSpec`: the shape, dtype and name of one input of a model to be
 * saved. `-1` or `null` marks an extent known only at run time (usually the batch).
 */
import { assertDType, type DType } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

export class InputSpec {
  /** Extents, -1 where free. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The feed variable's name in the program; `x` (`x_1`, ... for further inputs) when absent. */
  readonly name: string | undefined;

  constructor(shape: readonly (number | null)[], dtype: DType = 'float32', name?: string) {
    if (!Array.isArray(shape)) throw new TypeError(`InputSpec: shape must be an array, got ${JSON.stringify(shape)}`);
    this.shape = shape.map((d, i) => {
      if (d === null || d === -1) return -1;
      if (!Number.isInteger(d) || d < 0) {
        throw new RangeError(`InputSpec: extent ${i} of shape [${shape.map(String).join(', ')}] must be a non-negative integer, -1 or null`);
      }
      return d;
    });
    this.dtype = assertDType(dtype, 'InputSpec');
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TypeError('InputSpec: name must be a non-empty string');
    this.name = name;
  }

  /** The spec of a tensor: its shape, dtype and name (Paddle's `InputSpec.from_tensor`). */
  static fromTensor(t: Tensor, name?: string): InputSpec {
    return new InputSpec(t.shape, t.dtype, name);
  }

  /** A copy with a batch dimension in front (Paddle's `batch`). */
  batch(size = -1): InputSpec {
    return new InputSpec([size, ...this.shape], this.dtype, this.name);
  }

  toString(): string {
    return `InputSpec(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.name ? `, name=${this.name}` : ''})`;
  }
}
