/** The whole PaddleClas config: one schema per section, in the files beside this one. */
import { z } from 'zod';
import { ArchSchema } from './arch';
import { DataLoaderSchema } from './dataloader';
import { GlobalSchema } from './global';
import { InferSchema } from './infer';
import { LossSchema } from './loss';
import { MetricSchema } from './metric';
import { OptimizerSchema } from './optimizer';

export const ClasConfigSchema = z.strictObject({
  Global: GlobalSchema,
  Arch: ArchSchema,
  Loss: LossSchema.optional(),
  Optimizer: OptimizerSchema.optional(),
  DataLoader: DataLoaderSchema.optional(),
  Metric: MetricSchema.optional(),
  Infer: InferSchema.optional(),
});

export type ClasConfig = z.output<typeof ClasConfigSchema>;
/** What a YAML file may hold before defaults are filled in. */
export type ClasConfigInput = z.input<typeof ClasConfigSchema>;

export * from './common';
export * from './arch';
export * from './dataloader';
export * from './global';
export * from './infer';
export * from './loss';
export * from './metric';
export * from './optimizer';
export * from './transforms';
