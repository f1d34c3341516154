/**
 * Gradient clipping (Paddle's `paddle.nn.ClipGradByValue`, `ClipGradByNorm`,
 * `ClipGradByGlobalNorm`), passed to an optimizer as `gradClip`. Parameters whose `needClip` is
 * false keep their gradients untouched. Written with operators, so it runs on any backend.
 */
import { full } from '../ops/creation';
import { run1 } from '../ops/run';
import { dtypeToPaddle, type DType } from '../tensor/dtype';
import { Parameter } from '../tensor/parameter';
import type { Tensor } from '../tensor/tensor';

/** A (parameter, gradient) pair, as Paddle's `params_grads` lists hold them. */
export type ParamGrad = [Tensor, Tensor];

function needClip(p: Tensor): boolean {
  return !(p instanceof Parameter) || p.needClip;
}

function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : run1('cast', { X: x }, { in_dtype: dtypeToPaddle(x.dtype), out_dtype: dtypeToPaddle(dtype) });
}

/** ‖g‖² as a one-element tensor. */
function sumSquares(g: Tensor): Tensor {
  return run1('reduce_sum', { X: run1('elementwise_mul', { X: g, Y: g }) }, { dim: [0], keep_dim: false, reduce_all: true });
}

function sqrt(x: Tensor): Tensor {
  return run1('elementwise_pow', { X: x, Y: full([1], 0.5, { dtype: x.dtype, place: x.device }) });
}

/** clipNorm / max(norm, clipNorm): 1 when the norm is within the limit. */
function clipFactor(norm: Tensor, clipNorm: number): Tensor {
  const limit = full([1], clipNorm, { dtype: norm.dtype, place: norm.device });
  return run1('elementwise_div', { X: limit, Y: run1('elementwise_max', { X: norm, Y: limit }) });
}

function checkNorm(where: string, v: number): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${where}: clipNorm must be a finite number > 0, got ${String(v)}`);
  }
  return v;
}

export abstract class ClipGradBase {
  /** Returns the pairs with clipped gradients (new tensors; the inputs are not modified). */
  abstract clip(paramsGrads: ParamGrad[]): ParamGrad[];
}

/** Limits every gradient element to [min, max]; `min` defaults to −max. */
export class ClipGradByValue extends ClipGradBase {
  readonly max: number;
  readonly min: number;

  constructor(max: number, min?: number) {
    super();
    if (typeof max !== 'number' || Number.isNaN(max)) throw new TypeError(`ClipGradByValue: max must be a number, got ${String(max)}`);
    if (min === undefined) {
      if (!(max > 0)) throw new RangeError(`ClipGradByValue: max must be > 0 when min is omitted, got ${max}`);
      min = -max;
    }
    if (typeof min !== 'number' || !(min <= max)) {
      throw new RangeError(`ClipGradByValue: min (${String(min)}) must be a number <= max (${max})`);
    }
    this.max = max;
    this.min = min;
  }

  clip(paramsGrads: ParamGrad[]): ParamGrad[] {
    return paramsGrads.map(([p, g]) => {
      if (!needClip(p)) return [p, g];
      const lo = full([1], this.min, { dtype: g.dtype, place: g.device });
      const hi = full([1], this.max, { dtype: g.dtype, place: g.device });
      return [p, run1('elementwise_min', { X: run1('elementwise_max', { X: g, Y: lo }), Y: hi })];
    });
  }

  override toString(): string {
    return `Clip Gradient By Value, min = ${this.min}, max=${this.max}`;
  }
}

/** Rescales each gradient on its own so that its L2 norm is at most clipNorm. */
export class ClipGradByNorm extends ClipGradBase {
  readonly clipNorm: number;

  constructor(clipNorm: number) {
    super();
    this.clipNorm = checkNorm('ClipGradByNorm', clipNorm);
  }

  clip(paramsGrads: ParamGrad[]): ParamGrad[] {
    return paramsGrads.map(([p, g]) => {
      if (!needClip(p)) return [p, g];
      return [p, run1('elementwise_mul', { X: g, Y: clipFactor(sqrt(sumSquares(g)), this.clipNorm) })];
    });
  }

  override toString(): string {
    return `Gradient Clip By Norm, clip_norm=${this.clipNorm}`;
  }
}

/**
 * Rescales all gradients by clipNorm / max(globalNorm, clipNorm), where globalNorm is the L2 norm
 * of all clipped gradients together. Sums run in float32 (float64 when any gradient is float64).
 */
export class ClipGradByGlobalNorm extends ClipGradBase {
  readonly clipNorm: number;
  readonly groupName: string;

  constructor(clipNorm: number, groupName = 'default_group') {
    super();
    this.clipNorm = checkNorm('ClipGradByGlobalNorm', clipNorm);
    this.groupName = groupName;
  }

  clip(paramsGrads: ParamGrad[]): ParamGrad[] {
    const clipped = paramsGrads.filter(([p]) => needClip(p));
    if (clipped.length === 0) return paramsGrads;
    const acc: DType = clipped.some(([, g]) => g.dtype === 'float64') ? 'float64' : 'float32';
    let total: Tensor | null = null;
    for (const [, g] of clipped) {
      const s = cast(sumSquares(g), acc);
      total = total ? run1('elementwise_add', { X: total, Y: s }) : s;
    }
    const factor = clipFactor(sqrt(total!), this.clipNorm);
    return paramsGrads.map(([p, g]) =>
      needClip(p) ? [p, run1('elementwise_mul', { X: g, Y: cast(factor, g.dtype) })] : [p, g],
    );
  }

  override toString(): string {
    return `Gradient Clip By GlobalNorm, global_norm=${this.clipNorm}`;
  }
}
