/**
 * Parameter initializers (Paddle's `paddle.nn.initializer`). Each draws a fresh tensor for a
 * shape and dtype; random ones go through the random operators, so they draw from the global
 * Philox generator and a run after `seed(n)` repeats exactly.
 */
import { engine } from '../../engine/engine';
import { cast } from '../../ops/creation';
import { isFloatDType, type DType } from '../../tensor/dtype';
import type { Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { globalSingleton } from '../../utils/global';

export abstract class Initializer {
  /** A new tensor of `shape` and `dtype` holding this initializer's values (stopGradient true). */
  abstract generate(shape: Shape, dtype: DType): Tensor;

  /**
   * Paddle's `initializer(param)`: overwrites `param`'s values in place and returns it. The
   * parameter keeps its identity, so optimizers holding it see the new values.
   */
  init<T extends Tensor>(param: T): T {
    param._assertLive(`${this.constructor.name}.init`);
    const fresh = engine.noGrad(() => engine.tidy(() => this.generate(param.shape, param.dtype)));
    engine.assignInPlace(param, fresh);
    return param;
  }
}

/**
 * Runs a random operator for `dtype`. Half-precision parameters are drawn in float32 and cast,
 * as Paddle's initializers do, so their values match a float32 draw rounded.
 */
export function drawRandom(op: string, shape: Shape, dtype: DType, attrs: Record<string, number>): Tensor {
  if (!isFloatDType(dtype)) {
    throw new TypeError(`${op}: random initializers need a float dtype, got ${dtype}`);
  }
  const half = dtype === 'float16' || dtype === 'bfloat16';
  const drawType: DType = half ? 'float32' : dtype;
  const code = drawType === 'float64' ? 6 : 5;
  const t = engine.runOp(op, {}, { ...attrs, shape: [...shape], dtype: code, seed: 0 }).Out as Tensor;
  if (!half) return t;
  const c = cast(t, dtype);
  t.dispose();
  return c;
}

/**
 * Paddle's fan rule (`Initializer._compute_fans`): rank 0 → (1, 1); rank 1 → (n, n); rank 2 →
 * (shape[0], shape[1]) because Paddle's Linear weight is [in, out]; higher ranks are conv
 * filters [out, in, *k]: fan_in = in·∏k, fan_out = out·∏k.
 */
export function computeFans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv1d_transpose'
  | 'conv2d_transpose'
  | 'conv3d_transpose'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Paddle's `calculate_gain`: the recommended std multiplier for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv1d_transpose':
    case 'conv2d_transpose':
    case 'conv3d_transpose':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unknown nonlinearity "${String(nonlinearity)}"`);
  }
}

interface GlobalInit {
  weight: Initializer | null;
  bias: Initializer | null;
}

const globalInit: GlobalInit = globalSingleton('nn.globalInitializer', () => ({ weight: null, bias: null }));

/**
 * Paddle's `set_global_initializer`: initializers used for parameters created afterwards whose
 * ParamAttr names none, ahead of each layer's own default. Pass null to clear.
 */
export function setGlobalInitializer(weightInit: Initializer | null, biasInit: Initializer | null = null): void {
  globalInit.weight = weightInit;
  globalInit.bias = biasInit;
}

/** @internal the global initializer for weights or biases, if one is set. */
export function globalInitializer(isBias: boolean): Initializer | null {
  return isBias ? globalInit.bias : globalInit.weight;
}
