/**
 * The fine-tuning and pre-training optimizer of PaddleNLP's run_glue.py / run_pretrain.py: AdamW
 * whose weight decay skips biases and LayerNorm parameters, a learning rate rising linearly over
 * the warm-up and falling linearly to zero at the last step (LinearDecayWithWarmup), and
 * gradients clipped by their global norm.
 */
import { optim, type nn } from '@oar/core';

export interface OptimizerSettings {
  learningRate: number;
  weightDecay: number;
  adamEpsilon: number;
  maxGradNorm: number;
  /** Total optimizer steps of the run. */
  totalSteps: number;
  /** Warm-up steps (PaddleNLP: warmup_steps, or warmup_proportion × total). */
  warmupSteps: number;
}

/** lr multiplier at `step`: step/warmup during the warm-up, then (total - step)/(total - warmup), floored at 0. */
export function linearWarmupDecay(step: number, warmup: number, total: number): number {
  if (step < warmup) return step / Math.max(1, warmup);
  return Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/** Parameters decayed: all but those whose structured name contains "bias" or "norm" (PaddleNLP's rule). */
export function decayParamNames(model: nn.Layer): Set<string> {
  return new Set(model.namedParameters().filter(([n]) => !n.includes('bias') && !n.includes('norm')).map(([, p]) => p.name));
}

export function buildOptimizer(model: nn.Layer, s: OptimizerSettings): { optimizer: optim.AdamW; scheduler: optim.lr.LambdaDecay } {
  const scheduler = new optim.lr.LambdaDecay(s.learningRate, (step) => linearWarmupDecay(step, s.warmupSteps, s.totalSteps));
  const decay = decayParamNames(model);
  const optimizer = new optim.AdamW({
    learningRate: scheduler,
    parameters: model.parameters(),
    weightDecay: s.weightDecay,
    epsilon: s.adamEpsilon,
    applyDecayParamFun: (name) => decay.has(name),
    gradClip: s.maxGradNorm > 0 ? new optim.ClipGradByGlobalNorm(s.maxGradNorm) : null,
  });
  return { optimizer, scheduler };
}
