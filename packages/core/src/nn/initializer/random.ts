import { full } from '../../ops/creation';
import type { DType } from '../../tensor/dtype';
import type { Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { computeFans, calculateGain, drawRandom, Initializer, type Nonlinearity } from './initializer';

function requirePositive(where: string, what: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${where}: ${what} must be a positive finite number, got ${v}`);
}

/** Uniform on [low, high) (Paddle's `Uniform(low=-1.0, high=1.0)`). */
export class Uniform extends Initializer {
  constructor(
    readonly low = -1,
    readonly high = 1,
  ) {
    super();
    if (!(high >= low)) throw new RangeError(`Uniform: high (${high}) must be >= low (${low})`);
  }

  generate(shape: Shape, dtype: DType): Tensor {
    // The operator needs min < max; a degenerate range is a constant.
    if (this.low === this.high) return full(shape, this.low, { dtype });
    return drawRandom('uniform_random', shape, dtype, { min: this.low, max: this.high });
  }
}

/** Gaussian with `mean` and `std` (Paddle's `Normal(mean=0.0, std=1.0)`). */
export class Normal extends Initializer {
  constructor(
    readonly mean = 0,
    readonly std = 1,
  ) {
    super();
    if (!(std >= 0)) throw new RangeError(`Normal: std must be >= 0, got ${std}`);
  }

  generate(shape: Shape, dtype: DType): Tensor {
    return drawRandom('gaussian_random', shape, dtype, { mean: this.mean, std: this.std });
  }
}

/**
 * Gaussian truncated to mean ± 2·std (Paddle's `TruncatedNormal(mean=0.0, std=1.0)`; draws
 * outside the band are redrawn by the operator, so std of the result is about 0.88·std).
 */
export class TruncatedNormal extends Initializer {
  constructor(
    readonly mean = 0,
    readonly std = 1,
  ) {
    super();
    if (!(std >= 0)) throw new RangeError(`TruncatedNormal: std must be >= 0, got ${std}`);
  }

  generate(shape: Shape, dtype: DType): Tensor {
    return drawRandom('truncated_gaussian_random', shape, dtype, { mean: this.mean, std: this.std });
  }
}

export interface XavierOptions {
  /** Overrides the fan_in inferred from the shape. */
  fanIn?: number;
  /** Overrides the fan_out inferred from the shape. */
  fanOut?: number;
  /** Multiplies the bound / std (1 in Paddle 2.0). */
  gain?: number;
}

function xavierFans(where: string, shape: Shape, o: XavierOptions): number {
  const f = computeFans(shape);
  const fanIn = o.fanIn ?? f.fanIn;
  const fanOut = o.fanOut ?? f.fanOut;
  requirePositive(where, 'fan_in + fan_out', fanIn + fanOut);
  return fanIn + fanOut;
}

/** Glorot uniform: U(-x, x), x = gain·sqrt(6 / (fan_in + fan_out)). The default for weights. */
export class XavierUniform extends Initializer {
  constructor(readonly options: XavierOptions = {}) {
    super();
  }

  generate(shape: Shape, dtype: DType): Tensor {
    const limit = (this.options.gain ?? 1) * Math.sqrt(6 / xavierFans('XavierUniform', shape, this.options));
    return drawRandom('uniform_random', shape, dtype, { min: -limit, max: limit });
  }
}

/** Glorot normal: N(0, std), std = gain·sqrt(2 / (fan_in + fan_out)). */
export class XavierNormal extends Initializer {
  constructor(readonly options: XavierOptions = {}) {
    super();
  }

  generate(shape: Shape, dtype: DType): Tensor {
    const std = (this.options.gain ?? 1) * Math.sqrt(2 / xavierFans('XavierNormal', shape, this.options));
    return drawRandom('gaussian_random', shape, dtype, { mean: 0, std });
  }
}

export interface KaimingOptions {
  /** Overrides the fan_in inferred from the shape. */
  fanIn?: number;
  /** Slope of leaky_relu, used only with nonlinearity 'leaky_relu'. */
  negativeSlope?: number;
  /** Chooses the gain; 'relu' (gain √2) gives Paddle 2.0's MSRA formulas. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(where: string, shape: Shape, o: KaimingOptions): number {
  const fanIn = o.fanIn ?? computeFans(shape).fanIn;
  requirePositive(where, 'fan_in', fanIn);
  return calculateGain(o.nonlinearity ?? 'relu', o.negativeSlope ?? 0) / Math.sqrt(fanIn);
}

/** He normal (Paddle's MSRA): N(0, gain / sqrt(fan_in)); with relu, sqrt(2 / fan_in). */
export class KaimingNormal extends Initializer {
  constructor(readonly options: KaimingOptions = {}) {
    super();
  }

  generate(shape: Shape, dtype: DType): Tensor {
    return drawRandom('gaussian_random', shape, dtype, { mean: 0, std: kaimingStd('KaimingNormal', shape, this.options) });
  }
}

/** He uniform: U(-x, x), x = gain·sqrt(3 / fan_in); with relu, sqrt(6 / fan_in). */
export class KaimingUniform extends Initializer {
  constructor(readonly options: KaimingOptions = {}) {
    super();
  }

  generate(shape: Shape, dtype: DType): Tensor {
    const limit = Math.sqrt(3) * kaimingStd('KaimingUniform', shape, this.options);
    return drawRandom('uniform_random', shape, dtype, { min: -limit, max: limit });
  }
}
