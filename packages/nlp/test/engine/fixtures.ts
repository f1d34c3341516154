/** A synthetic sentiment task and a one-layer BERT, small enough to train in seconds. */
import * as fs from 'fs';
import * as path from 'path';
import { PRETRAIN_DEFAULTS, TRAIN_DEFAULTS, type PretrainArgs, type TrainArgs } from '../../src/config';
import { RunLogger } from '../../src/engine';
import type { EncoderConfig } from '../../src/models';
import { Rng } from '../../src/data';

export const TINY: EncoderConfig = {
  vocab_size: 30522,
  hidden_size: 64,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 128,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  initializer_range: 0.02,
  pad_token_id: 0,
};

const FILLER = ['the', 'movie', 'phone', 'food', 'was', 'really', 'quite', 'and', 'service', 'plot', 'it', 'this', 'place', 'battery'];
const POSITIVE = ['good', 'great', 'excellent', 'love', 'wonderful'];
const NEGATIVE = ['bad', 'awful', 'terrible', 'hate', 'poor'];

/** `n` lines of `sentence<TAB>label`: filler words around one sentiment word that decides the label. */
export function sentimentLines(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const label = rng.int(2);
    const words = Array.from({ length: 3 + rng.int(6) }, () => FILLER[rng.int(FILLER.length)]!);
    const key = (label ? POSITIVE : NEGATIVE)[rng.int(5)]!;
    words.splice(rng.int(words.length + 1), 0, key);
    return `${words.join(' ')}.\t${label}`;
  });
}

export function writeTask(dir: string): { train: string; dev: string } {
  const train = path.join(dir, 'train.tsv');
  const dev = path.join(dir, 'dev.tsv');
  fs.writeFileSync(train, sentimentLines(240, 1).join('\n') + '\n');
  fs.writeFileSync(dev, sentimentLines(60, 2).join('\n') + '\n');
  return { train, dev };
}

export function trainArgs(over: Partial<TrainArgs>): TrainArgs {
  return {
    ...TRAIN_DEFAULTS,
    task_name: 'custom',
    data_format: 'tsv',
    label_list: ['0', '1'],
    max_seq_length: 32,
    batch_size: 16,
    learning_rate: 2e-3,
    weight_decay: 0.01,
    warmup_proportion: 0.1,
    logging_steps: 5,
    save_steps: 10,
    seed: 7,
    ...over,
  } as TrainArgs;
}

export function pretrainArgs(over: Partial<PretrainArgs>): PretrainArgs {
  return { ...PRETRAIN_DEFAULTS, max_seq_length: 32, batch_size: 16, learning_rate: 1e-3, logging_steps: 2, save_steps: 100, seed: 3, ...over } as PretrainArgs;
}

/** A logger writing into `lines` (and files under `dir`), optionally failing on a line to simulate a crash. */
export function quietLogger(dir: string, lines: string[] = [], failOn?: RegExp): RunLogger {
  return new RunLogger({
    logFile: path.join(dir, 'train.log'),
    metricsFile: path.join(dir, 'metrics.jsonl'),
    progress: false,
    write: (l) => {
      if (failOn && failOn.test(l)) throw new Error(`simulated crash at: ${l}`);
      lines.push(l);
    },
  });
}

export function readMetrics(dir: string): Record<string, number | string>[] {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number | string>);
}
