/**
 * Operators from config lists (`transform_ops`, `batch_transform_ops`, `Infer.transforms`):
 * one-key maps `{Name: params}` validated against the operator schemas, then built. Layouts
 * are checked along the list, so an operator placed after ToCHWImage that needs a channel-last
 * image fails here rather than on the first sample.
 */
import { data } from '@oar/core';
import { ConfigError, parseWith } from '../../config/errors';
import { BatchTransformOpsSchema, TransformOpsSchema, entryName } from '../../config/schema';
import { AutoAugment } from './autoaugment';
import { CutmixOperator, MixupOperator, collateMixed, type BatchOperator, type LabeledSample } from './batch-ops';
import { CropImage, DecodeImage, NormalizeImage, RandCropImage, RandFlipImage, ResizeImage, ToCHWImage } from './ops';
import type { HostArray, Layout, Operator, Sample } from './operator';
import { RandomErasing } from './random-erasing';

export * from './autoaugment';
export * from './batch-ops';
export * from './operator';
export * from './ops';
export * from './random-erasing';
export { resizeBicubic, affine } from './resample';
export * as random from './random';

// Parameters arrive validated, so the constructors' own parse is a no-op check.
type Ctor = new (params: never) => Operator;
export const OPERATORS: Record<string, Ctor> = {
  DecodeImage,
  ResizeImage,
  RandCropImage,
  CropImage,
  RandFlipImage,
  NormalizeImage,
  ToCHWImage,
  AutoAugment,
  RandomErasing,
};

type BatchCtor = new (params: never) => BatchOperator;
export const BATCH_OPERATORS: Record<string, BatchCtor> = { MixupOperator, CutmixOperator };

/**
 * Builds per-sample operators from a config list; `where` is the list's key path for errors
 * (e.g. `DataLoader.Train.dataset.transform_ops`).
 */
export function createOperators(list: unknown, where = 'transform_ops'): Operator[] {
  const prefix = where.split('.');
  if (Array.isArray(list)) {
    list.forEach((e, i) => {
      const name = e && typeof e === 'object' && !Array.isArray(e) ? Object.keys(e)[0] : undefined;
      if (name && name in BATCH_OPERATORS) {
        throw new ConfigError(where, [{ path: `${where}.${i}.${name}`, message: `${name} is a batch operator; list it under batch_transform_ops` }]);
      }
    });
  }
  const entries = parseWith(TransformOpsSchema, list ?? [], where, prefix);
  const ops = entries.map((e) => {
    const name = entryName(e);
    return new OPERATORS[name]!((e as Record<string, never>)[name]);
  });
  checkLayouts(ops, where);
  return ops;
}

/** Walks the layouts from a channel-last start (decoded files and IDX images are HWC). */
function checkLayouts(ops: Operator[], where: string): void {
  let layout: Layout = 'HWC';
  ops.forEach((op, i) => {
    if (op.inputLayout && op.inputLayout !== layout) {
      const hint =
        op.name === 'NormalizeImage'
          ? layout === 'HWC'
            ? "; set order: '' for a channel-last image"
            : "; set order: 'chw' for a channel-first image"
          : '; move it before ToCHWImage';
      throw new ConfigError(where, [
        { path: `${where}.${i}.${op.name}`, message: `needs a ${op.inputLayout} image but receives ${layout} here${hint}` },
      ]);
    }
    if (op.outputLayout) layout = op.outputLayout;
  });
}

/** The layout after the operators (HWC when none sets one). */
export function outputLayout(ops: readonly Operator[]): Layout {
  let layout: Layout = 'HWC';
  for (const op of ops) if (op.outputLayout) layout = op.outputLayout;
  return layout;
}

export function createBatchOperators(list: unknown, where = 'batch_transform_ops'): BatchOperator[] {
  if (Array.isArray(list)) {
    list.forEach((e, i) => {
      const name = e && typeof e === 'object' && !Array.isArray(e) ? Object.keys(e)[0] : undefined;
      if (name && name in OPERATORS) {
        throw new ConfigError(where, [{ path: `${where}.${i}.${name}`, message: `${name} is a per-sample operator; list it under transform_ops` }]);
      }
    });
  }
  const entries = parseWith(BatchTransformOpsSchema, list ?? [], where, where.split('.'));
  if (entries.length > 1) {
    // A second mixing operator would see (image, label_a, label_b, lam) and drop label_b.
    throw new ConfigError(where, [{ path: where, message: `takes one batch operator, got ${entries.map(entryName).join(', ')}` }]);
  }
  return entries.map((e) => {
    const name = entryName(e);
    return new BATCH_OPERATORS[name]!((e as Record<string, never>)[name]);
  });
}

/** Runs a sample through the operators in order (PaddleClas's `transform`). */
export async function transform(sample: Sample, ops: readonly Operator[]): Promise<HostArray | Uint8Array> {
  let x: Sample = sample;
  for (const op of ops) x = await op.apply(x);
  return x;
}

/**
 * The collate function for a loader with batch operators: mixes the batch, then stacks it into
 * [images, label_a, label_b, lam]. Without operators, core's default collate.
 */
export function createBatchCollate(ops: readonly BatchOperator[], place?: string): (samples: LabeledSample[]) => unknown {
  if (ops.length > 1) throw new Error(`createBatchCollate: one batch operator at most, got ${ops.map((o) => o.name).join(', ')}`);
  const op = ops[0];
  if (!op) return (samples) => data.defaultCollate(samples as unknown[], place);
  return (samples) => collateMixed(op.apply(samples), place);
}
