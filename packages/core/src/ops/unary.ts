/** Elementwise math (Paddle's `paddle.exp`, `paddle.sqrt`, `paddle.clip`, ...). */
import type { Tensor } from '../tensor/tensor';
import { run1 } from './run';

const op = (type: string) => (x: Tensor): Tensor => run1(type, { X: x });

export const exp = op('exp');
export const expm1 = op('expm1');
export const log = op('log');
export const log2 = op('log2');
export const log10 = op('log10');
export const log1p = op('log1p');
export const sqrt = op('sqrt');
/** 1 / sqrt(x). */
export const rsqrt = op('rsqrt');
export const abs = op('abs');
export const square = op('square');
/** 1 / x. */
export const reciprocal = op('reciprocal');
export const sin = op('sin');
export const cos = op('cos');
export const tan = op('tan');
export const asin = op('asin');
export const acos = op('acos');
export const atan = op('atan');
export const sinh = op('sinh');
export const cosh = op('cosh');
export const floor = op('floor');
export const ceil = op('ceil');
/** Rounds half away from zero (Paddle's rule; NumPy rounds half to even). */
export const round = op('round');
/** -1, 0 or 1 by the sign of each element. */
export const sign = op('sign');
export const erf = op('erf');

/**
 * Limits x to [min, max] (Paddle's `paddle.clip`). A bound may be a number or a one-element
 * tensor; an omitted bound does not clip. Gradients flow where min < x < max.
 */
export function clip(x: Tensor, min?: number | Tensor, max?: number | Tensor): Tensor {
  const attrs: Record<string, number> = {};
  if (typeof min === 'number') attrs.min = min;
  if (typeof max === 'number') attrs.max = max;
  return run1(
    'clip',
    { X: x, Min: typeof min === 'object' ? min : undefined, Max: typeof max === 'object' ? max : undefined },
    attrs,
  );
}

/**
 * x ** factor with a scalar exponent: Paddle's unary `pow` op (`paddle.pow(x, 2.0)`). The
 * factor may be a one-element tensor. `pow(x, y)` in math.ts is the elementwise power.
 */
export function powScalar(x: Tensor, factor: number | Tensor): Tensor {
  if (typeof factor === 'number') return run1('pow', { X: x }, { factor });
  return run1('pow', { X: x, FactorTensor: factor });
}
