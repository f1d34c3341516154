/** Paddle's `ParamAttr`: how a layer creates one parameter. */
import type { Regularizer } from '../tensor/parameter';
import { Initializer } from './initializer/initializer';

export interface ParamAttrOptions {
  /** Parameter name; generated from the layer's full name (`linear_0.w_0`) when omitted. */
  name?: string;
  /** Initializer; the layer's default (or the global one) when omitted. */
  initializer?: Initializer;
  /** Multiplies the optimizer's learning rate for this parameter. Default 1. */
  learningRate?: number;
  /** Per-parameter weight decay, overriding the optimizer's. */
  regularizer?: Regularizer | null;
  /** False freezes the parameter (stopGradient true). Default true. */
  trainable?: boolean;
  /** Whether gradient clipping applies. Default true. */
  needClip?: boolean;
  /** Kept for Paddle compatibility (ModelAverage); not used by Oar's optimizers. */
  doModelAverage?: boolean;
}

export class ParamAttr {
  name: string | undefined;
  initializer: Initializer | undefined;
  learningRate: number;
  regularizer: Regularizer | null;
  trainable: boolean;
  needClip: boolean;
  doModelAverage: boolean;

  constructor(opts: ParamAttrOptions = {}) {
    this.name = opts.name;
    this.initializer = opts.initializer;
    this.learningRate = opts.learningRate ?? 1;
    this.regularizer = opts.regularizer ?? null;
    this.trainable = opts.trainable ?? true;
    this.needClip = opts.needClip ?? true;
    this.doModelAverage = opts.doModelAverage ?? true;
    if (typeof this.learningRate !== 'number' || !(this.learningRate >= 0)) {
      throw new RangeError(`ParamAttr: learningRate must be a number >= 0, got ${String(opts.learningRate)}`);
    }
    if (this.initializer !== undefined && !(this.initializer instanceof Initializer)) {
      throw new TypeError('ParamAttr: initializer must be an nn.initializer instance');
    }
  }

  clone(): ParamAttr {
    return new ParamAttr(this);
  }
}

/**
 * What layer constructors accept for `weightAttr` / `biasAttr`, as Paddle does: a ParamAttr, its
 * options, a name, an initializer, true/null/undefined (defaults), or false (no parameter).
 */
export type ParamAttrLike = ParamAttr | ParamAttrOptions | Initializer | string | boolean | null | undefined;

/** Paddle's `ParamAttr._to_attr`: a fresh ParamAttr, or false when the parameter is disabled. */
export function toParamAttr(a: ParamAttrLike): ParamAttr | false {
  if (a === false) return false;
  if (a === undefined || a === null || a === true) return new ParamAttr();
  if (a instanceof ParamAttr) return a.clone();
  if (a instanceof Initializer) return new ParamAttr({ initializer: a });
  if (typeof a === 'string') return new ParamAttr({ name: a });
  if (typeof a === 'object') return new ParamAttr(a);
  throw new TypeError(`ParamAttr: cannot make a parameter attribute from ${typeof a}`);
}
