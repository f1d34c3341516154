/**
 * Parameters of the PaddleClas preprocessing operators (ppcls/data/preprocess), one schema per
 * operator. The operator classes in src/data/preprocess parse their constructor arguments with
 * these, so an operator built from code and one built from YAML are checked the same way.
 *
 * Sizes given as lists are [w, h], as in PaddleClas (its cv2 calls take (w, h)).
 */
import { z } from 'zod';
import { numExpr, oneKeyMapList, params, posInt } from './common';

const size = () => z.union([posInt(), z.tuple([posInt(), posInt()])]);
// cv2's INTER_AREA and INTER_LANCZOS4 are not implemented; the enum says so up front.
const interpolation = () => z.enum(['nearest', 'bilinear', 'bicubic']).optional();
// PaddleClas >= 2.3 can resize through PIL; Oar resamples as cv2 does, so only that is accepted.
const backend = () => z.literal('cv2').optional();
const range = () => z.tuple([numExpr(), numExpr()]);

export const DecodeImageParams = z.strictObject({
  to_rgb: z.boolean().default(true),
  /** Accepted for PaddleClas configs; decoded images are always arrays here. */
  to_np: z.boolean().optional(),
  channel_first: z.boolean().default(false),
});

export const ResizeImageParams = z
  .strictObject({
    size: size().nullable().optional(),
    resize_short: posInt().nullable().optional(),
    interpolation: interpolation(),
    backend: backend(),
  })
  .check((ctx) => {
    if (ctx.value.size == null && ctx.value.resize_short == null) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'ResizeImage needs size or resize_short' });
    }
  });

export const RandCropImageParams = z.strictObject({
  size: size(),
  scale: range().nullable().optional(),
  ratio: range().nullable().optional(),
  interpolation: interpolation(),
  backend: backend(),
});

export const CropImageParams = z.strictObject({ size: size() });

export const RandFlipImageParams = z.strictObject({
  flip_code: z.union([z.literal(1), z.literal(0), z.literal(-1)]).default(1),
});

export const NormalizeImageParams = z.strictObject({
  scale: numExpr().nullable().optional(),
  mean: z.array(numExpr()).nullable().optional(),
  std: z.array(numExpr()).nullable().optional(),
  /** 'chw' (PaddleClas's default) for channel-first input; '' or 'hwc' for channel-last. */
  order: z.enum(['chw', 'hwc', '']).default('chw'),
  output_fp16: z.boolean().default(false),
  channel_num: z.union([z.literal(3), z.literal(4)]).default(3),
});

export const ToCHWImageParams = z.strictObject({});

/** The ImageNet policy of AutoAugment, as PaddleClas has it: no parameters. */
export const AutoAugmentParams = z.strictObject({});

export const RandomErasingParams = z.strictObject({
  EPSILON: numExpr().default(0.5),
  sl: numExpr().default(0.02),
  sh: numExpr().default(0.4),
  r1: numExpr().default(0.3),
  mean: z.array(numExpr()).default([0, 0, 0]),
  attempt: posInt().default(100),
  use_log_aspect: z.boolean().default(false),
  mode: z.enum(['const', 'rand', 'pixel']).default('const'),
});

export const MixupOperatorParams = z.strictObject({ alpha: numExpr(z.number().positive()).default(0.2) });
export const CutmixOperatorParams = z.strictObject({ alpha: numExpr(z.number().positive()).default(0.2) });

/** Per-sample operators by name (the keys of `transform_ops` entries). */
export const TRANSFORM_PARAMS = {
  DecodeImage: params(DecodeImageParams),
  ResizeImage: params(ResizeImageParams),
  RandCropImage: params(RandCropImageParams),
  CropImage: params(CropImageParams),
  RandFlipImage: params(RandFlipImageParams),
  NormalizeImage: params(NormalizeImageParams),
  ToCHWImage: params(ToCHWImageParams),
  AutoAugment: params(AutoAugmentParams),
  RandomErasing: params(RandomErasingParams),
};

/** Batch operators by name (the keys of `batch_transform_ops` entries). */
export const BATCH_TRANSFORM_PARAMS = {
  MixupOperator: params(MixupOperatorParams),
  CutmixOperator: params(CutmixOperatorParams),
};

export const TransformOpsSchema = oneKeyMapList(TRANSFORM_PARAMS, 'operator');
export const BatchTransformOpsSchema = oneKeyMapList(BATCH_TRANSFORM_PARAMS, 'batch operator');

export type TransformOpConfig = z.output<typeof TransformOpsSchema>[number];
export type BatchTransformOpConfig = z.output<typeof BatchTransformOpsSchema>[number];
export type DecodeImageOptions = z.input<typeof DecodeImageParams>;
export type ResizeImageOptions = z.input<typeof ResizeImageParams>;
export type RandCropImageOptions = z.input<typeof RandCropImageParams>;
export type CropImageOptions = z.input<typeof CropImageParams>;
export type RandFlipImageOptions = z.input<typeof RandFlipImageParams>;
export type NormalizeImageOptions = z.input<typeof NormalizeImageParams>;
export type RandomErasingOptions = z.input<typeof RandomErasingParams>;
export type MixupOperatorOptions = z.input<typeof MixupOperatorParams>;
export type CutmixOperatorOptions = z.input<typeof CutmixOperatorParams>;
