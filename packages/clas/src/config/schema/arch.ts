/** `Arch`: the model's name and its constructor parameters, which the model registry checks. */
import { z } from 'zod';
import { posInt } from './common';

export const ArchSchema = z.looseObject({
  name: z.string().min(1),
  class_num: posInt().optional(),
});

export type ArchConfig = z.output<typeof ArchSchema>;
