/**
 * The options of the CLIs, under PaddleNLP's flag names (run_glue.py, run_pretrain.py), with
 * their defaults. The same keys are accepted in a YAML file given with -c; flags override it.
 */
import { z } from 'zod';

const device = z.enum(['cpu', 'xpu']);
const files = z.union([z.string(), z.array(z.string())]).nullable();

/** What fine-tuning and pre-training share. */
const common = {
  model_type: z.enum(['bert', 'ernie']),
  model_name_or_path: z.string(),
  max_seq_length: z.number().int().min(5),
  batch_size: z.number().int().min(1),
  learning_rate: z.number().positive(),
  weight_decay: z.number().min(0),
  adam_epsilon: z.number().positive(),
  max_grad_norm: z.number().min(0),
  num_train_epochs: z.number().int().min(1),
  /** > 0: stop after this many steps (overrides num_train_epochs). */
  max_steps: z.number().int(),
  warmup_steps: z.number().int().min(0),
  warmup_proportion: z.number().min(0).max(1),
  logging_steps: z.number().int().min(1),
  save_steps: z.number().int().min(1),
  seed: z.number().int(),
  select_device: device,
  output_dir: z.string(),
  /** A checkpoint folder to continue from (model, optimizer, step). */
  resume: z.string().nullable(),
};

export const PretrainSchema = z.strictObject({
  ...common,
  /** Raw text: one sentence per line, blank lines between documents. Default: the shipped English sentences. */
  input_file: files,
  /** text: raw text; tsv: the first column of TSV lines (e.g. labelled sentences). */
  input_format: z.enum(['text', 'tsv']),
  max_predictions_per_seq: z.number().int().min(1),
  masked_lm_prob: z.number().gt(0).lt(1),
});
export type PretrainArgs = z.output<typeof PretrainSchema>;

export const TrainSchema = z.strictObject({
  ...common,
  task_name: z.string(),
  train_file: files,
  dev_file: files,
  data_format: z.enum(['glue', 'tsv', 'csv']).nullable(),
  label_list: z.array(z.string()).min(2).nullable(),
  dev_split: z.number().min(0).lt(1),
  split_seed: z.number().int(),
  skip_malformed: z.boolean(),
  /** Evaluate every this many steps (and at the end). Default: save_steps. */
  eval_steps: z.number().int().min(1).nullable(),
  /** Pre-train first (MLM + NSP on the training texts), then fine-tune from the result: a map of pre-training options. */
  pretrain: z.record(z.string(), z.unknown()).nullable(),
});
export type TrainArgs = z.output<typeof TrainSchema>;

export const COMMON_DEFAULTS = {
  model_type: 'bert',
  model_name_or_path: 'bert-mini-uncased',
  max_seq_length: 128,
  batch_size: 32,
  learning_rate: 5e-5,
  weight_decay: 0.0,
  adam_epsilon: 1e-6,
  max_grad_norm: 1.0,
  num_train_epochs: 3,
  max_steps: -1,
  warmup_steps: 0,
  warmup_proportion: 0.0,
  logging_steps: 10,
  save_steps: 100,
  seed: 42,
  select_device: 'cpu',
  resume: null,
} as const;

export const TRAIN_DEFAULTS = {
  ...COMMON_DEFAULTS,
  output_dir: 'output/nlp/train',
  task_name: 'uci-sentiment',
  train_file: null,
  dev_file: null,
  data_format: null,
  label_list: null,
  dev_split: 0.2,
  split_seed: 0,
  skip_malformed: false,
  eval_steps: null,
  pretrain: null,
} as const;

export const PRETRAIN_DEFAULTS = {
  ...COMMON_DEFAULTS,
  output_dir: 'output/nlp/pretrain',
  input_file: null,
  input_format: 'text',
  max_predictions_per_seq: 20,
  masked_lm_prob: 0.15,
  learning_rate: 1e-4,
  weight_decay: 0.01,
  warmup_proportion: 0.1,
} as const;
