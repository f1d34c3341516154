/**
 * Weight decay as Paddle applies it: a term added to the gradient before the update
 * (`paddle.regularizer.L1Decay` / `L2Decay`). A parameter's own regularizer (from its ParamAttr)
 * takes precedence over the optimizer's `weightDecay`.
 */
import { full } from '../ops/creation';
import { run1 } from '../ops/run';
import { dtypeToPaddle } from '../tensor/dtype';
import type { Regularizer } from '../tensor/parameter';
import type { Tensor } from '../tensor/tensor';

abstract class WeightDecay implements Regularizer {
  abstract readonly kind: 'L1Decay' | 'L2Decay';
  readonly coeff: number;

  constructor(coeff = 0.0) {
    if (typeof coeff !== 'number' || !Number.isFinite(coeff)) {
      throw new TypeError(`${new.target.name}: coeff must be a finite number, got ${String(coeff)}`);
    }
    this.coeff = coeff;
  }

  toString(): string {
    return `${this.kind}, coeff=${this.coeff}`;
  }
}

/** Adds coeff·sign(param) to the gradient (Lasso). */
export class L1Decay extends WeightDecay {
  readonly kind = 'L1Decay' as const;
}

/** Adds coeff·param to the gradient (ridge; what a number `weightDecay` means). */
export class L2Decay extends WeightDecay {
  readonly kind = 'L2Decay' as const;
}

export function isRegularizer(v: unknown): v is Regularizer {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Regularizer;
  return (r.kind === 'L1Decay' || r.kind === 'L2Decay') && typeof r.coeff === 'number';
}

/** The term a regularizer adds to the gradient of `param`, computed with operators. */
export function regularizationTerm(reg: Regularizer, param: Tensor): Tensor {
  if (reg.kind === 'L2Decay') return run1('scale', { X: param }, { scale: reg.coeff });
  // sign(p) = (p > 0) − (p < 0), from comparisons so that it runs on every backend.
  const zero = full([1], 0, { dtype: param.dtype, place: param.device });
  const code = dtypeToPaddle(param.dtype);
  const pos = run1('cast', { X: run1('greater_than', { X: param, Y: zero }) }, { in_dtype: dtypeToPaddle('bool'), out_dtype: code });
  const neg = run1('cast', { X: run1('less_than', { X: param, Y: zero }) }, { in_dtype: dtypeToPaddle('bool'), out_dtype: code });
  return run1('scale', { X: run1('elementwise_sub', { X: pos, Y: neg }) }, { scale: reg.coeff });
}

/** grad + term, as Paddle's append_regularization_ops does with a `sum` op. */
export function applyRegularization(reg: Regularizer, param: Tensor, grad: Tensor): Tensor {
  return run1('elementwise_add', { X: grad, Y: regularizationTerm(reg, param) });
}
