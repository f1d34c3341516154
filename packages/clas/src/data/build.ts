/**
 * A DataLoader from a `DataLoader.Train` / `DataLoader.Eval` config section, as PaddleClas's
 * build_dataloader does: the data set by name, its batch sampler, worker threads, and a
 * collate function that applies batch_transform_ops.
 */
import { data } from '@oar/core';
import { parseWith } from '../config/errors';
import { DataLoaderSectionSchema, type DataLoaderSectionConfig, type DatasetConfig } from '../config/schema/dataloader';
import { FashionMNISTDataset, ImageNetDataset, MNISTDataset, type ClasDataset } from './datasets';
import { createBatchCollate, createBatchOperators } from './preprocess';
import type { z } from 'zod';

export function buildDataset(config: DatasetConfig): ClasDataset {
  switch (config.name) {
    case 'ImageNetDataset':
      return new ImageNetDataset(config);
    case 'MNISTDataset':
      return new MNISTDataset(config);
    case 'FashionMNISTDataset':
      return new FashionMNISTDataset(config);
  }
}

export interface BuildDataLoaderOptions {
  /** Where the section sits in the config, for messages (`DataLoader.Train`). */
  where?: string;
  /** Device of the batch tensors. */
  place?: string;
  /** Multi-process training: this process's share (defaults from PADDLE_TRAINER_ID / _NUM). */
  rank?: number;
  numReplicas?: number;
}

export function buildDataLoader(
  section: z.input<typeof DataLoaderSectionSchema>,
  opts: BuildDataLoaderOptions = {},
): data.DataLoader<unknown, unknown> & { dataset: ClasDataset; batchSampler: data.BatchSamplerLike } {
  const where = opts.where ?? 'DataLoader';
  const cfg: DataLoaderSectionConfig = parseWith(DataLoaderSectionSchema, section, where, where.split('.'));
  const dataset = buildDataset(cfg.dataset);
  const batchOps = createBatchOperators(cfg.dataset.batch_transform_ops ?? [], `${where}.dataset.batch_transform_ops`);
  const { batch_size: batchSize, shuffle, drop_last: dropLast } = cfg.sampler;
  const batchSampler =
    cfg.sampler.name === 'BatchSampler'
      ? new data.BatchSampler({ dataset, batchSize, shuffle, dropLast })
      : new data.DistributedBatchSampler(dataset, batchSize, { shuffle, dropLast, rank: opts.rank, numReplicas: opts.numReplicas });
  const loader = new data.DataLoader<unknown, unknown>(dataset, {
    batchSampler,
    numWorkers: cfg.loader.num_workers,
    collateFn: createBatchCollate(batchOps, opts.place) as (s: unknown[]) => unknown,
    place: opts.place,
  });
  return loader as data.DataLoader<unknown, unknown> & { dataset: ClasDataset; batchSampler: data.BatchSamplerLike };
}
