/** `Global`: run-wide settings (PaddleClas 2.x ppcls/engine reads these). */
import { z } from 'zod';
import { nonNegInt, optPath, posInt } from './common';

/** `cpu`, or the accelerator as `xpu` / `xpu:N` (Oar drives NVIDIA GPUs under the name xpu). */
export const DeviceSchema = z.string().regex(/^(cpu|xpu(:\d+)?)$/, {
  error: (iss) =>
    `expected cpu, xpu or xpu:N, got ${JSON.stringify(iss.input)}` +
    (typeof iss.input === 'string' && iss.input.startsWith('gpu') ? ' (Oar names the accelerator xpu: use xpu or xpu:0)' : ''),
});

export const GlobalSchema = z.strictObject({
  device: DeviceSchema.default('cpu'),
  epochs: posInt(),
  print_batch_step: posInt().default(10),
  save_interval: posInt().default(1),
  eval_during_train: z.boolean().default(true),
  eval_interval: posInt().default(1),
  output_dir: z.string().default('./output/'),
  /** Weights to start from (a path prefix, as in PaddleClas: `.pdparams` is appended). */
  pretrained_model: optPath(),
  /** A checkpoint prefix to resume from (weights, optimizer state and epoch). */
  checkpoints: optPath(),
  /** Input shape [C, H, W] for export and static mode. */
  image_shape: z.array(posInt()).length(3).default([3, 224, 224]),
  save_inference_dir: z.string().default('./inference'),
  use_visualdl: z.boolean().optional(),
  /** Seed of the Philox generator (initializers, shuffling, augmentation). */
  seed: nonNegInt().optional(),
  /** PaddleClas 2.2 kept the class count here; later versions use Arch.class_num. */
  class_num: posInt().optional(),
  /** Capture the training step as a static program (Paddle's to_static). */
  to_static: z.boolean().optional(),
});

export type GlobalConfig = z.output<typeof GlobalSchema>;
