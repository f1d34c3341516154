import { full } from '../../ops/creation';
import type { DType } from '../../tensor/dtype';
import type { Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { Initializer } from './initializer';

/** Fills with `value` (Paddle's `Constant(value=0.0)`). */
export class Constant extends Initializer {
  constructor(readonly value = 0) {
    super();
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Constant: value must be a number, got ${String(value)}`);
  }

  generate(shape: Shape, dtype: DType): Tensor {
    return full(shape, this.value, { dtype });
  }
}
