/** `Metric`: Train and Eval lists, `- TopkAcc: {topk: [1, 5]}`. */
import { z } from 'zod';
import { oneKeyMapList, params, posInt } from './common';

export const TopkAccParams = z.strictObject({
  topk: z.union([posInt(), z.array(posInt()).min(1)]).default([1, 5]),
});

export const METRIC_PARAMS = {
  TopkAcc: params(TopkAccParams),
};

export const MetricListSchema = oneKeyMapList(METRIC_PARAMS, 'metric');

export const MetricSchema = z.strictObject({
  Train: MetricListSchema.optional(),
  Eval: MetricListSchema.optional(),
});

export type MetricEntry = z.output<typeof MetricListSchema>[number];
export type MetricConfig = z.output<typeof MetricSchema>;
