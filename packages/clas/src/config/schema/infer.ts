/** `Infer`: images to predict, their transforms and the post-processing (ppcls/data/postprocess). */
import { z } from 'zod';
import { optPath, posInt } from './common';
import { TransformOpsSchema } from './transforms';

export const PostProcessSchema = z.strictObject({
  name: z.literal('Topk'),
  topk: posInt().default(5),
  /** Lines `class_id name`; without it, predictions show class ids only. */
  class_id_map_file: optPath(),
});

export const InferSchema = z.strictObject({
  /** An image file, a folder of images, or a list of either. */
  infer_imgs: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  batch_size: posInt().default(1),
  transforms: TransformOpsSchema,
  PostProcess: PostProcessSchema.default({ name: 'Topk', topk: 5 }),
});

export type PostProcessConfig = z.output<typeof PostProcessSchema>;
export type InferConfig = z.output<typeof InferSchema>;
