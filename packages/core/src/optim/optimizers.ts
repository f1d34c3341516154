/** The optimizers of Paddle 2.0's `paddle.optimizer`, each driving its Paddle operator. */
import { engine } from '../engine/engine';
import type { Regularizer } from '../tensor/parameter';
import type { Tensor } from '../tensor/tensor';
import { Optimizer, type AccumulatorSpec, type Group, type OptimizerOptions } from './optimizer';

function num(o: Record<string, unknown>, k: string, at: string, check: (v: number) => boolean, rule: string): void {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new RangeError(`${at}: ${k} must be ${rule}, got ${String(v)}`);
}

function bool(o: Record<string, unknown>, k: string, at: string): void {
  if (typeof o[k] !== 'boolean') throw new TypeError(`${at}: ${k} must be a boolean, got ${String(o[k])}`);
}

type Opts<T> = Omit<OptimizerOptions, 'learningRate'> & { learningRate?: OptimizerOptions['learningRate'] } & T;

// ---- SGD ------------------------------------------------------------------------------------

/** Plain gradient descent: param −= lr · grad. */
export class SGD extends Optimizer {
  constructor(opts: Opts<object>) {
    super('sgd', { ...opts, learningRate: opts.learningRate ?? 0.001 }, {});
  }

  protected accumulatorSpecs(): AccumulatorSpec[] {
    return [];
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor): void {
    engine.runOp('sgd', { Param: p, LearningRate: lr, Grad: grad });
  }
}

// ---- Momentum -------------------------------------------------------------------------------

export interface MomentumOptions {
  /** Momentum factor. Default 0.9. */
  momentum?: number;
  useNesterov?: boolean;
}

/**
 * velocity = momentum · velocity + grad; param −= lr · velocity (Nesterov:
 * param −= lr · (grad + momentum · velocity)). L2 weight decay is fused into the operator.
 */
export class Momentum extends Optimizer {
  constructor(opts: Opts<MomentumOptions>) {
    super(
      'momentum',
      { ...opts, learningRate: opts.learningRate ?? 0.001 },
      { momentum: opts.momentum ?? 0.9, useNesterov: opts.useNesterov ?? false },
    );
  }

  protected override checkOptions(o: Record<string, unknown>, at: string): void {
    num(o, 'momentum', at, () => true, 'a finite number');
    bool(o, 'useNesterov', at);
  }

  protected accumulatorSpecs(): AccumulatorSpec[] {
    return [{ name: 'velocity', fill: 0 }];
  }

  protected override fusesRegularizer(reg: Regularizer): boolean {
    return reg.kind === 'L2Decay';
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group, reg: Regularizer | null): void {
    const l2 = reg?.kind === 'L2Decay';
    engine.runOp(
      'momentum',
      { Param: p, Grad: grad, Velocity: this.accumulator('velocity', p), LearningRate: lr },
      {
        mu: this.option<number>(group, 'momentum'),
        use_nesterov: this.option<boolean>(group, 'useNesterov'),
        regularization_method: l2 ? 'l2_decay' : '',
        regularization_coeff: l2 ? reg.coeff : 0,
      },
    );
  }
}

// ---- Adam / AdamW ---------------------------------------------------------------------------

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Only affects sparse gradients in Paddle; kept for compatibility. */
  lazyMode?: boolean;
}

function adamDefaults(o: AdamOptions, epsilon: number): Record<string, unknown> {
  return { beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, epsilon: o.epsilon ?? epsilon, lazyMode: o.lazyMode ?? false };
}

function checkAdam(o: Record<string, unknown>, at: string): void {
  num(o, 'beta1', at, (v) => v >= 0 && v < 1, 'in [0, 1)');
  num(o, 'beta2', at, (v) => v >= 0 && v < 1, 'in [0, 1)');
  num(o, 'epsilon', at, (v) => v >= 0, '>= 0');
}

const ADAM_ACCUMULATORS = (group: Group): AccumulatorSpec[] => [
  { name: 'moment1', fill: 0 },
  { name: 'moment2', fill: 0 },
  { name: 'beta1_pow_acc', fill: group.options.beta1 as number, shape: [1] },
  { name: 'beta2_pow_acc', fill: group.options.beta2 as number, shape: [1] },
];

/** What Adam and AdamW share: options, accumulators and the operator inputs. */
abstract class AdamBase extends Optimizer {
  protected override checkOptions(o: Record<string, unknown>, at: string): void {
    checkAdam(o, at);
    bool(o, 'lazyMode', at);
  }

  protected accumulatorSpecs(_p: Tensor, group: Group): AccumulatorSpec[] {
    return ADAM_ACCUMULATORS(group);
  }

  protected adamInputs(p: Tensor, grad: Tensor, lr: Tensor): Record<string, Tensor> {
    return {
      Param: p,
      Grad: grad,
      LearningRate: lr,
      Moment1: this.accumulator('moment1', p),
      Moment2: this.accumulator('moment2', p),
      Beta1Pow: this.accumulator('beta1_pow_acc', p),
      Beta2Pow: this.accumulator('beta2_pow_acc', p),
    };
  }

  protected adamAttrs(group: Group): Record<string, number | boolean> {
    return {
      beta1: this.option<number>(group, 'beta1'),
      beta2: this.option<number>(group, 'beta2'),
      epsilon: this.option<number>(group, 'epsilon'),
      lazy_mode: this.option<boolean>(group, 'lazyMode'),
    };
  }
}

/** Adam with Paddle's bias correction (lr·√(1−β₂ᵗ)/(1−β₁ᵗ), ε·√(1−β₂ᵗ)). */
export class Adam extends AdamBase {
  constructor(opts: Opts<AdamOptions>) {
    super('adam', { ...opts, learningRate: opts.learningRate ?? 0.001 }, adamDefaults(opts, 1e-8));
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group): void {
    engine.runOp('adam', this.adamInputs(p, grad, lr), this.adamAttrs(group));
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled decay coefficient: param −= lr · weightDecay · param before the Adam step. Default 0.01. */
  weightDecay?: number;
  /** Decides by parameter name whether the decay applies (default: to every parameter). */
  applyDecayParamFun?: (name: string) => boolean;
  /** A per-parameter learning-rate ratio (layer-wise decay); default 1. */
  lrRatio?: (param: Tensor) => number;
}

/**
 * Adam with decoupled weight decay (AdamW, Loshchilov & Hutter). A parameter's own regularizer
 * (ParamAttr) still applies to its gradient, as in Paddle.
 */
export class AdamW extends AdamBase {
  readonly applyDecayParamFun: ((name: string) => boolean) | null;
  readonly lrRatio: ((param: Tensor) => number) | null;

  constructor(opts: Omit<Opts<AdamWOptions>, 'weightDecay'> & { weightDecay?: number }) {
    super(
      'adamw',
      { ...opts, learningRate: opts.learningRate ?? 0.001 },
      { ...adamDefaults(opts, 1e-8), weightDecay: opts.weightDecay ?? 0.01 },
      { decoupledWeightDecay: true },
    );
    if (opts.applyDecayParamFun !== undefined && typeof opts.applyDecayParamFun !== 'function') {
      throw new TypeError('AdamW: applyDecayParamFun must be a function (name) => boolean');
    }
    if (opts.lrRatio !== undefined && typeof opts.lrRatio !== 'function') {
      throw new TypeError('AdamW: lrRatio must be a function (param) => number');
    }
    this.applyDecayParamFun = opts.applyDecayParamFun ?? null;
    this.lrRatio = opts.lrRatio ?? null;
  }

  protected override checkOptions(o: Record<string, unknown>, at: string): void {
    super.checkOptions(o, at);
    num(o, 'weightDecay', at, () => true, 'a finite number (the decay coefficient)');
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group): void {
    const ratio = this.lrRatio ? this.lrRatio(p) : 1;
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0) {
      throw new RangeError(`AdamW: lrRatio(${p.name}) must return a number >= 0, got ${String(ratio)}`);
    }
    engine.runOp('adamw', this.adamInputs(p, grad, lr), {
      ...this.adamAttrs(group),
      coeff: this.option<number>(group, 'weightDecay'),
      lr_ratio: ratio,
      with_decay: this.applyDecayParamFun ? Boolean(this.applyDecayParamFun(p.name)) : true,
    });
  }
}

// ---- RMSProp --------------------------------------------------------------------------------

export interface RMSPropOptions {
  /** Decay of the running mean square. Default 0.95. */
  rho?: number;
  epsilon?: number;
  momentum?: number;
  /** Normalize by the variance (mean square − mean²) instead of the mean square. */
  centered?: boolean;
}

/**
 * meanSquare = ρ·meanSquare + (1−ρ)·g²; moment = momentum·moment + lr·g/√(meanSquare + ε)
 * (centered: √(meanSquare − meanGrad² + ε)); param −= moment.
 */
export class RMSProp extends Optimizer {
  constructor(opts: Omit<OptimizerOptions, 'learningRate'> & { learningRate: OptimizerOptions['learningRate'] } & RMSPropOptions) {
    if (opts?.learningRate === undefined) throw new TypeError('RMSProp: learningRate is required');
    super('rmsprop', opts, {
      rho: opts.rho ?? 0.95,
      epsilon: opts.epsilon ?? 1e-6,
      momentum: opts.momentum ?? 0.0,
      centered: opts.centered ?? false,
    });
  }

  protected override checkOptions(o: Record<string, unknown>, at: string): void {
    num(o, 'rho', at, (v) => v >= 0, '>= 0');
    num(o, 'epsilon', at, (v) => v >= 0, '>= 0');
    num(o, 'momentum', at, (v) => v >= 0, '>= 0');
    bool(o, 'centered', at);
  }

  protected accumulatorSpecs(): AccumulatorSpec[] {
    return [
      { name: 'momentum', fill: 0 },
      { name: 'mean_square', fill: 0 },
      { name: 'mean_grad', fill: 0 },
    ];
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group): void {
    engine.runOp(
      'rmsprop',
      {
        Param: p,
        MeanSquare: this.accumulator('mean_square', p),
        Grad: grad,
        Moment: this.accumulator('momentum', p),
        LearningRate: lr,
        MeanGrad: this.accumulator('mean_grad', p),
      },
      {
        epsilon: this.option<number>(group, 'epsilon'),
        decay: this.option<number>(group, 'rho'),
        momentum: this.option<number>(group, 'momentum'),
        centered: this.option<boolean>(group, 'centered'),
      },
    );
  }
}

// ---- Lamb -----------------------------------------------------------------------------------

export interface LambOptions {
  /** Decay coefficient added to the Adam direction. Default 0.01. */
  lambWeightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Returns true for parameters that get no weight decay (biases, norms). */
  excludeFromWeightDecayFn?: (param: Tensor) => boolean;
}

/** LAMB: Adam's direction plus decay, scaled per parameter by the trust ratio ‖w‖/‖update‖. */
export class Lamb extends Optimizer {
  readonly excludeFromWeightDecayFn: ((param: Tensor) => boolean) | null;

  constructor(opts: Omit<Opts<LambOptions>, 'weightDecay'>) {
    super('lamb', { ...opts, learningRate: opts.learningRate ?? 0.001, weightDecay: null }, {
      ...adamDefaults(opts, 1e-6),
      lambWeightDecay: opts.lambWeightDecay ?? 0.01,
    });
    if (opts.excludeFromWeightDecayFn !== undefined && typeof opts.excludeFromWeightDecayFn !== 'function') {
      throw new TypeError('Lamb: excludeFromWeightDecayFn must be a function (param) => boolean');
    }
    this.excludeFromWeightDecayFn = opts.excludeFromWeightDecayFn ?? null;
  }

  protected override checkOptions(o: Record<string, unknown>, at: string): void {
    checkAdam(o, at);
    num(o, 'lambWeightDecay', at, () => true, 'a finite number');
  }

  protected accumulatorSpecs(_p: Tensor, group: Group): AccumulatorSpec[] {
    return ADAM_ACCUMULATORS(group);
  }

  protected appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group): void {
    const excluded = this.excludeFromWeightDecayFn ? Boolean(this.excludeFromWeightDecayFn(p)) : false;
    engine.runOp(
      'lamb',
      {
        Param: p,
        Grad: grad,
        LearningRate: lr,
        Moment1: this.accumulator('moment1', p),
        Moment2: this.accumulator('moment2', p),
        Beta1Pow: this.accumulator('beta1_pow_acc', p),
        Beta2Pow: this.accumulator('beta2_pow_acc', p),
      },
      {
        weight_decay: excluded ? 0 : this.option<number>(group, 'lambWeightDecay'),
        beta1: this.option<number>(group, 'beta1'),
        beta2: this.option<number>(group, 'beta2'),
        epsilon: this.option<number>(group, 'epsilon'),
      },
    );
  }
}
