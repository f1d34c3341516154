/**
 * `DataLoader`: Train and Eval, each a data set (by name, with its transform lists), a batch
 * sampler and loader settings, as PaddleClas 2.x's ppcls/data/build_dataloader reads them.
 */
import { z } from 'zod';
import { nonNegInt, posInt } from './common';
import { BatchTransformOpsSchema, TransformOpsSchema } from './transforms';

const transforms = {
  transform_ops: TransformOpsSchema.nullable().optional(),
  /** Operators over a whole batch (MixupOperator, CutmixOperator), run when batches are collated. */
  batch_transform_ops: BatchTransformOpsSchema.nullable().optional(),
};

/** A PaddleClas file list: `relative/path label` per line under `image_root`. */
export const ImageNetDatasetParams = z.strictObject({
  name: z.literal('ImageNetDataset'),
  image_root: z.string().min(1),
  cls_label_path: z.string().min(1),
  delimiter: z.string().min(1).default(' '),
  ...transforms,
});

/**
 * IDX files (MNIST, Fashion-MNIST): `image_root` holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`
 * chosen by `mode`, or explicit `image_path` and `label_path`. FashionMNISTDataset defaults to
 * the copy embedded in @oar/clas.
 */
export const MNISTDatasetParams = z
  .strictObject({
    name: z.enum(['MNISTDataset', 'FashionMNISTDataset']),
    image_root: z.string().min(1).nullable().optional(),
    mode: z.enum(['train', 'test']).default('train'),
    image_path: z.string().min(1).nullable().optional(),
    label_path: z.string().min(1).nullable().optional(),
    ...transforms,
  })
  .check((ctx) => {
    const v = ctx.value;
    if ((v.image_path == null) !== (v.label_path == null)) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        path: [v.image_path == null ? 'image_path' : 'label_path'],
        message: 'image_path and label_path go together',
      });
    }
    if (v.name === 'MNISTDataset' && v.image_root == null && v.image_path == null) {
      ctx.issues.push({ code: 'custom', input: v, message: 'MNISTDataset needs image_root (or image_path and label_path)' });
    }
  });

export const DatasetSchema = z.discriminatedUnion('name', [ImageNetDatasetParams, MNISTDatasetParams]);

export const SamplerSchema = z.strictObject({
  /** Without a name PaddleClas builds a plain batch sampler; both shard nothing on one process. */
  name: z.enum(['DistributedBatchSampler', 'BatchSampler']).optional(),
  batch_size: posInt(),
  drop_last: z.boolean().default(false),
  shuffle: z.boolean().default(false),
});

export const LoaderSchema = z.strictObject({
  num_workers: nonNegInt().default(0),
  /** Accepted for PaddleClas configs: worker threads hand over sample buffers without copies anyway. */
  use_shared_memory: z.boolean().default(true),
});

export const DataLoaderSectionSchema = z.strictObject({
  dataset: DatasetSchema,
  sampler: SamplerSchema,
  loader: LoaderSchema.default({ num_workers: 0, use_shared_memory: true }),
});

export const DataLoaderSchema = z.strictObject({
  Train: DataLoaderSectionSchema.optional(),
  Eval: DataLoaderSectionSchema.optional(),
});

export type ImageNetDatasetConfig = z.output<typeof ImageNetDatasetParams>;
export type MNISTDatasetConfig = z.output<typeof MNISTDatasetParams>;
export type DatasetConfig = z.output<typeof DatasetSchema>;
export type SamplerConfig = z.output<typeof SamplerSchema>;
export type LoaderConfig = z.output<typeof LoaderSchema>;
export type DataLoaderSectionConfig = z.output<typeof DataLoaderSectionSchema>;
export type DataLoaderConfig = z.output<typeof DataLoaderSchema>;
