/**
 * The optimizer and learning-rate schedule of an `Optimizer` config section, with PaddleClas's
 * semantics (ppcls/optimizer): schedules are stepped once per iteration, so every epoch count
 * in the config becomes `epochs × step_each_epoch` iterations here, and `warmup_epoch` wraps the
 * schedule in a LinearWarmup from `warmup_start_lr` up to the base rate.
 */
import { optim, type Tensor } from '@oar/core';
import type { LrConfig, OptimizerConfig, RegularizerConfig } from '../config/schema/optimizer';

export type LRScheduler = optim.lr.LRScheduler;

/** A schedule that never changes: PaddleClas's `Constant` (and Cosine when T_max is 0). */
export class ConstantLR extends optim.lr.LRScheduler {
  getLr(): number {
    return this.baseLr;
  }
}

export interface LrBuildContext {
  /** Total training epochs (Global.epochs). */
  epochs: number;
  /** Iterations per epoch (batches of the training loader). */
  stepEachEpoch: number;
  /** Where the lr section sits, for messages. */
  where?: string;
}

/** The iteration-wise learning-rate scheduler of `Optimizer.lr`. */
export function buildLrScheduler(cfg: LrConfig, ctx: LrBuildContext): LRScheduler {
  const where = ctx.where ?? 'Optimizer.lr';
  const { epochs, stepEachEpoch: steps } = ctx;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${where}: the training loader has ${steps} batches per epoch; it needs at least one`);
  const warmupSteps = Math.round(cfg.warmup_epoch * steps);
  if (cfg.warmup_epoch > epochs) {
    throw new RangeError(`${where}.warmup_epoch: ${cfg.warmup_epoch} warm-up epochs exceed Global.epochs (${epochs})`);
  }
  // The schedule after warm-up runs over the remaining iterations (PaddleClas: (epochs - warmup_epoch) * step_each_epoch).
  const decaySteps = (epochs - cfg.warmup_epoch) * steps;
  let sched: LRScheduler;
  let peak: number;
  switch (cfg.name) {
    case 'Constant':
      peak = cfg.learning_rate;
      sched = new ConstantLR(peak);
      break;
    case 'Cosine':
      peak = cfg.learning_rate;
      sched = decaySteps > 0 ? new optim.lr.CosineAnnealingDecay(peak, decaySteps, { etaMin: cfg.eta_min }) : new ConstantLR(peak);
      break;
    case 'Piecewise': {
      peak = cfg.values[0]!;
      const last = cfg.decay_epochs[cfg.decay_epochs.length - 1]!;
      if (last > epochs) {
        // Not an error in PaddleClas either, but worth knowing: the last values are never used.
        process.emitWarning(`${where}.decay_epochs: ${last} is beyond Global.epochs (${epochs}); later values are never reached`);
      }
      sched = new optim.lr.PiecewiseDecay(
        cfg.decay_epochs.map((e) => e * steps),
        cfg.values,
      );
      break;
    }
    case 'Step':
      peak = cfg.learning_rate;
      sched = new optim.lr.StepDecay(peak, cfg.step_size * steps, { gamma: cfg.gamma });
      break;
    case 'Linear':
      peak = cfg.learning_rate;
      sched =
        decaySteps > 0
          ? new optim.lr.PolynomialDecay(peak, decaySteps, { endLr: cfg.end_lr, power: cfg.power, cycle: false })
          : new ConstantLR(peak);
      break;
  }
  if (warmupSteps > 0) {
    if (!(peak > cfg.warmup_start_lr)) {
      throw new RangeError(`${where}.warmup_start_lr: ${cfg.warmup_start_lr} must be below the learning rate it warms up to (${peak})`);
    }
    sched = new optim.lr.LinearWarmup(sched, warmupSteps, cfg.warmup_start_lr, peak);
  }
  return sched;
}

function regularizer(cfg: RegularizerConfig | null | undefined): optim.L1Decay | optim.L2Decay | null {
  if (!cfg) return null;
  return cfg.name === 'L1' ? new optim.L1Decay(cfg.coeff) : new optim.L2Decay(cfg.coeff);
}

export interface BuiltOptimizer {
  optimizer: optim.Optimizer;
  lrScheduler: LRScheduler;
}

/**
 * The optimizer of an `Optimizer` section over `parameters` (named, for AdamW's
 * `no_weight_decay_name`), driven by its per-iteration schedule.
 */
export function buildOptimizer(
  cfg: OptimizerConfig,
  parameters: readonly (readonly [string, Tensor])[],
  ctx: LrBuildContext,
): BuiltOptimizer {
  const lrScheduler = buildLrScheduler(cfg.lr, { ...ctx, where: `${ctx.where ?? 'Optimizer'}.lr` });
  const params = parameters.map(([, p]) => p);
  // PaddleClas clips each gradient by its own norm (paddle.nn.ClipGradByNorm(clip_norm)).
  const gradClip = cfg.clip_norm !== undefined ? new optim.ClipGradByNorm(cfg.clip_norm) : null;
  const weightDecay = regularizer(cfg.regularizer);
  const common = { learningRate: lrScheduler, parameters: params, gradClip };
  let optimizer: optim.Optimizer;
  switch (cfg.name) {
    case 'Momentum':
      optimizer = new optim.Momentum({ ...common, weightDecay, momentum: cfg.momentum, useNesterov: cfg.use_nesterov });
      break;
    case 'SGD':
      optimizer = new optim.SGD({ ...common, weightDecay });
      break;
    case 'Adam':
      optimizer = new optim.Adam({ ...common, weightDecay, beta1: cfg.beta1, beta2: cfg.beta2, epsilon: cfg.epsilon, lazyMode: cfg.lazy_mode });
      break;
    case 'AdamW': {
      // PaddleClas AdamW: decay skips parameters whose name contains one of no_weight_decay_name's
      // words, and with one_dim_param_no_weight_decay every 1-D parameter (biases, norms).
      const words = (cfg.no_weight_decay_name ?? '').split(/\s+/).filter(Boolean);
      const noDecay = new Set<string>();
      for (const [structured, p] of parameters) {
        if (words.some((w) => structured.includes(w)) || (cfg.one_dim_param_no_weight_decay && p.ndim === 1)) noDecay.add(p.name);
      }
      if (cfg.regularizer) {
        throw new RangeError(`${ctx.where ?? 'Optimizer'}.regularizer: AdamW decays weights itself (weight_decay); remove the regularizer`);
      }
      optimizer = new optim.AdamW({
        ...common,
        beta1: cfg.beta1,
        beta2: cfg.beta2,
        epsilon: cfg.epsilon,
        weightDecay: cfg.weight_decay,
        applyDecayParamFun: noDecay.size ? (name: string) => !noDecay.has(name) : undefined,
      });
      break;
    }
    case 'RMSProp':
      optimizer = new optim.RMSProp({ ...common, weightDecay, rho: cfg.rho, epsilon: cfg.epsilon, momentum: cfg.momentum });
      break;
  }
  return { optimizer, lrScheduler };
}
