import { cast, clone, tensor } from '../../ops/creation';
import type { DType, TypedArray } from '../../tensor/dtype';
import { fmtShape, numel, shapesEqual, type Shape } from '../../tensor/shape';
import { Tensor, type NestedArray } from '../../tensor/tensor';
import { Initializer } from './initializer';

/**
 * Sets the given values (Paddle's `Assign(value)`). A tensor or nested array must have the
 * parameter's shape; a typed array or flat number array may be any shape with the same count.
 */
export class Assign extends Initializer {
  constructor(readonly value: Tensor | NestedArray | TypedArray) {
    super();
  }

  generate(shape: Shape, dtype: DType): Tensor {
    const v = this.value;
    if (v instanceof Tensor) {
      v._assertLive('Assign');
      if (!shapesEqual(v.shape, shape)) {
        throw new RangeError(`Assign: value has shape ${fmtShape(v.shape)}, the parameter has shape ${fmtShape(shape)}`);
      }
      return v.dtype === dtype ? clone(v) : cast(v, dtype);
    }
    const flat = ArrayBuffer.isView(v) || (Array.isArray(v) && v.every((e) => !Array.isArray(e)));
    if (flat) {
      const n = ArrayBuffer.isView(v) ? (v as TypedArray).length : (v as NestedArray[]).length;
      if (n !== numel(shape)) {
        throw new RangeError(`Assign: value has ${n} elements, the parameter of shape ${fmtShape(shape)} needs ${numel(shape)}`);
      }
      return tensor(v as NestedArray | TypedArray, { shape, dtype });
    }
    const t = tensor(v as NestedArray, { dtype });
    if (!shapesEqual(t.shape, shape)) {
      const got = fmtShape(t.shape);
      t.dispose();
      throw new RangeError(`Assign: value has shape ${got}, the parameter has shape ${fmtShape(shape)}`);
    }
    return t;
  }
}

