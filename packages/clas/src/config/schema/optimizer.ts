/**
 * `Optimizer`: the optimizer by name with its hyper-parameters, the learning-rate schedule `lr`
 * and the weight-decay `regularizer` (ppcls/optimizer). Epoch counts in schedules are converted
 * to iterations by the engine (step_each_epoch), as PaddleClas does.
 */
import { z } from 'zod';
import { nonNegInt, numExpr, posInt } from './common';

const warmup = {
  warmup_epoch: nonNegInt().default(0),
  warmup_start_lr: numExpr().default(0),
  last_epoch: z.number().int().default(-1),
};

export const LrSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('Constant'), learning_rate: numExpr(), ...warmup }),
  z.strictObject({ name: z.literal('Cosine'), learning_rate: numExpr(), eta_min: numExpr().default(0), ...warmup }),
  z
    .strictObject({
      name: z.literal('Piecewise'),
      decay_epochs: z.array(posInt()).min(1),
      values: z.array(numExpr()).min(2),
      /** PaddleClas configs carry it beside `values`; the schedule starts at values[0]. */
      learning_rate: numExpr().optional(),
      ...warmup,
    })
    .check((ctx) => {
      const { decay_epochs: d, values: v } = ctx.value;
      if (v.length !== d.length + 1) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: ['values'],
          message: `needs one more entry than decay_epochs (${d.length + 1}), got ${v.length}`,
        });
      }
      if (d.some((e, i) => i > 0 && e <= d[i - 1]!)) {
        ctx.issues.push({ code: 'custom', input: d, path: ['decay_epochs'], message: `must increase, got [${d.join(', ')}]` });
      }
    }),
  z.strictObject({ name: z.literal('Step'), learning_rate: numExpr(), step_size: posInt(), gamma: numExpr().default(0.1), ...warmup }),
  z.strictObject({
    name: z.literal('Linear'),
    learning_rate: numExpr(),
    end_lr: numExpr().default(0),
    power: numExpr().default(1),
    ...warmup,
  }),
]);

export const RegularizerSchema = z.strictObject({
  name: z.enum(['L2', 'L1']),
  coeff: numExpr(z.number().nonnegative()),
});

const common = {
  lr: LrSchema,
  regularizer: RegularizerSchema.nullable().optional(),
  /** Clip gradients by their global norm (PaddleClas `clip_norm`). */
  clip_norm: numExpr(z.number().positive()).optional(),
};

export const OptimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('Momentum'), momentum: numExpr().default(0.9), use_nesterov: z.boolean().default(false), ...common }),
  z.strictObject({ name: z.literal('SGD'), ...common }),
  z.strictObject({
    name: z.literal('Adam'),
    beta1: numExpr().default(0.9),
    beta2: numExpr().default(0.999),
    epsilon: numExpr().default(1e-8),
    lazy_mode: z.boolean().default(false),
    ...common,
  }),
  z.strictObject({
    name: z.literal('AdamW'),
    beta1: numExpr().default(0.9),
    beta2: numExpr().default(0.999),
    epsilon: numExpr().default(1e-8),
    weight_decay: numExpr().default(0.01),
    /** Space-separated substrings of parameter names exempt from decay (PaddleClas AdamW). */
    no_weight_decay_name: z.string().nullable().optional(),
    one_dim_param_no_weight_decay: z.boolean().default(false),
    ...common,
  }),
  z.strictObject({
    name: z.literal('RMSProp'),
    momentum: numExpr().default(0),
    rho: numExpr().default(0.95),
    epsilon: numExpr().default(1e-6),
    ...common,
  }),
]);

export type LrConfig = z.output<typeof LrSchema>;
export type RegularizerConfig = z.output<typeof RegularizerSchema>;
export type OptimizerConfig = z.output<typeof OptimizerSchema>;
