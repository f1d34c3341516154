/** `Loss`: Train and Eval lists of one-key maps, `- CELoss: {weight: 1.0, epsilon: 0.1}`. */
import { z } from 'zod';
import { numExpr, oneKeyMapList, params } from './common';

/** Softmax cross-entropy; `epsilon` in (0, 1) turns on label smoothing (PaddleClas CELoss). */
export const CELossParams = z.strictObject({
  weight: numExpr().default(1.0),
  epsilon: numExpr(z.number().gt(0).lt(1)).nullable().optional(),
});

/** Cross-entropy against two labels mixed by lam (Mixup/Cutmix batches: label_a, label_b, lam). */
export const MixCELossParams = z.strictObject({
  weight: numExpr().default(1.0),
  epsilon: numExpr(z.number().gt(0).lt(1)).nullable().optional(),
});

/** GoogLeNet's main and two auxiliary heads, weighted 1, 0.3, 0.3. */
export const GoogLeNetLossParams = z.strictObject({
  weight: numExpr().default(1.0),
  epsilon: numExpr(z.number().gt(0).lt(1)).nullable().optional(),
});

export const LOSS_PARAMS = {
  CELoss: params(CELossParams),
  MixCELoss: params(MixCELossParams),
  GoogLeNetLoss: params(GoogLeNetLossParams),
};

export const LossListSchema = oneKeyMapList(LOSS_PARAMS, 'loss');

export const LossSchema = z.strictObject({
  Train: LossListSchema.optional(),
  Eval: LossListSchema.optional(),
});

export type LossEntry = z.output<typeof LossListSchema>[number];
export type LossConfig = z.output<typeof LossSchema>;
