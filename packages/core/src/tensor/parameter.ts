import { engineRef } from '../engine/ref';
import { Tensor } from './tensor';

/** Weight decay attached to one parameter (Paddle's `regularizer` in ParamAttr). */
export interface Regularizer {
  kind: 'L1Decay' | 'L2Decay';
  coeff: number;
}

/**
 * A trainable tensor owned by a Layer (Paddle's `ParamBase`). Kept out of tidy scopes, with
 * `stopGradient` false unless frozen, and the per-parameter optimizer settings of `ParamAttr`.
 */
export class Parameter extends Tensor {
  /** Multiplies the optimizer's learning rate for this parameter (`ParamAttr.learning_rate`). */
  learningRate = 1.0;
  regularizer: Regularizer | null = null;
  /** Whether gradient clipping applies to this parameter (`ParamAttr.need_clip`). */
  needClip = true;

  /** Turns `data` into a parameter; the parameter takes over data's buffer and data is disposed. */
  static from(data: Tensor, name?: string, trainable = true): Parameter {
    data._assertLive('Parameter.from');
    data._storage.refs++;
    const p = new Parameter(data._storage, data.shape, data.dtype);
    data.dispose();
    engineRef().keep(p);
    if (name) p.name = name;
    p.stopGradient = !trainable;
    return p;
  }

  get trainable(): boolean {
    return !this.stopGradient;
  }

  set trainable(v: boolean) {
    this.stopGradient = !v;
  }
}
