/** Activation layers: each wraps the functional activation with Paddle's constructor defaults. */
import * as A from '../../ops/activation';
import type { DType } from '../../tensor/dtype';
import type { Parameter } from '../../tensor/parameter';
import type { Tensor } from '../../tensor/tensor';
import { Constant } from '../initializer/constant';
import { Layer } from '../layer';
import type { ParamAttrLike } from '../param-attr';
import { notFalse, requirePositiveInt } from './util';

/** A parameterless activation layer around `fn`. */
abstract class Activation extends Layer {
  protected abstract apply1(x: Tensor): Tensor;

  override forward(x: Tensor): Tensor {
    return this.apply1(x);
  }
}

export class ReLU extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.relu(x);
  }
}

export class ReLU6 extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.relu6(x);
  }
}

export class LeakyReLU extends Activation {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

export class Sigmoid extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.sigmoid(x);
  }
}

export class LogSigmoid extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.logSigmoid(x);
  }
}

/** clip(x/6 + 1/2, 0, 1) (Paddle's `Hardsigmoid`: slope 1/6, offset 0.5). */
export class Hardsigmoid extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.hardSigmoid(x);
  }
}

export class Hardswish extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.hardSwish(x);
  }
}

export class Hardtanh extends Activation {
  constructor(
    readonly min = -1,
    readonly max = 1,
  ) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.hardtanh(x, this.min, this.max);
  }
  override extraRepr(): string {
    return `min=${this.min}, max=${this.max}`;
  }
}

export class Hardshrink extends Activation {
  constructor(readonly threshold = 0.5) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.hardshrink(x, this.threshold);
  }
}

export class Softshrink extends Activation {
  constructor(readonly threshold = 0.5) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.softshrink(x, this.threshold);
  }
}

export class Swish extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.swish(x);
  }
}

export class Silu extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.silu(x);
  }
}

export class Tanh extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.tanh(x);
  }
}

export class Tanhshrink extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.tanhshrink(x);
  }
}

export class Softsign extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.softsign(x);
  }
}

export class GELU extends Activation {
  constructor(readonly approximate = false) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate=${this.approximate}`;
  }
}

export class Softplus extends Activation {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.softplus(x, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class Mish extends Activation {
  protected apply1(x: Tensor): Tensor {
    return A.mish(x);
  }
}

export class ELU extends Activation {
  constructor(readonly alpha = 1) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class SELU extends Activation {
  constructor(
    readonly scale = 1.0507009873554804934193349852946,
    readonly alpha = 1.6732632423543772848170429916717,
  ) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.selu(x, this.scale, this.alpha);
  }
  override extraRepr(): string {
    return `scale=${this.scale}, alpha=${this.alpha}`;
  }
}

export class ThresholdedReLU extends Activation {
  constructor(readonly threshold = 1) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.thresholdedRelu(x, this.threshold);
  }
}

export interface PReLUOptions {
  weightAttr?: ParamAttrLike;
  dataFormat?: 'NCHW' | 'NHWC';
  dtype?: DType;
}

/**
 * max(0, x) + weight·min(0, x) with a learned weight (Paddle's `PReLU`): one shared slope
 * (numParameters 1) or one per channel; initialized to `init` (0.25). Its parameter is `_weight`,
 * as in Paddle's state dicts.
 */
export class PReLU extends Layer {
  _weight: Parameter;
  readonly numParameters: number;
  readonly dataFormat: 'NCHW' | 'NHWC';

  constructor(numParameters = 1, init = 0.25, opts: PReLUOptions = {}) {
    super(undefined, opts.dtype ?? 'float32');
    requirePositiveInt('PReLU', 'numParameters', numParameters);
    this.numParameters = numParameters;
    this.dataFormat = opts.dataFormat ?? 'NCHW';
    this._weight = this.createParameter([numParameters], {
      attr: notFalse('PReLU', 'weightAttr', opts.weightAttr),
      defaultInitializer: new Constant(init),
    });
  }

  /** The learned slopes (Paddle exposes them as `_weight`). */
  get weight(): Parameter {
    return this._weight;
  }

  override forward(x: Tensor): Tensor {
    if (this.numParameters > 1) {
      const c = x.ndim >= 2 ? x.shape[this.dataFormat === 'NHWC' ? x.ndim - 1 : 1] : undefined;
      if (c !== this.numParameters) {
        throw new RangeError(`PReLU: ${this.numParameters} slopes need ${this.numParameters} channels (${this.dataFormat}), got shape [${x.shape.join(', ')}]`);
      }
    }
    return A.prelu(x, this._weight, this.dataFormat);
  }

  override extraRepr(): string {
    return `num_parameters=${this.numParameters}, data_format=${this.dataFormat}`;
  }
}

export class Softmax extends Activation {
  constructor(readonly axis = -1) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.softmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

export class LogSoftmax extends Activation {
  constructor(readonly axis = -1) {
    super();
  }
  protected apply1(x: Tensor): Tensor {
    return A.logSoftmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}
