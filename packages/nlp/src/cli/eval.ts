#!/usr/bin/env node
/**
 * oar-nlp-eval (`nx run nlp:eval`): accuracy and loss of a fine-tuned classifier on a task's
 * evaluation data (--dev_file, or the same held-out fraction training used). Prints one JSON
 * record and appends it to <output_dir>/metrics.jsonl when --output_dir is given.
 *
 *   oar-nlp-eval --model_name_or_path output/nlp/uci_sentiment/best
 *   oar-nlp-eval --model_name_or_path my/best --task_name custom --label_list neg pos --dev_file test.tsv
 *   oar-nlp-eval --model_name_or_path my/best --task_name custom --data_format csv --dev_file test.csv
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadTrainArgs } from '../config/load';
import { featurize } from '../data/batching';
import { loadTaskData } from '../data/tasks';
import { readTrainState, TRAIN_STATE_FILE } from '../engine/checkpoint';
import { evaluate } from '../engine/evaluate';
import { RunLogger } from '../engine/logger';
import { loadClassifier } from '../engine/model-source';
import { CliError, TRAIN_FLAGS, loadAccelerator, parseArgs, runCli } from './common';

const FLAGS = Object.fromEntries(
  ['model_name_or_path', 'task_name', 'train_file', 'dev_file', 'data_format', 'label_list', 'dev_split', 'split_seed', 'skip_malformed', 'max_seq_length', 'batch_size', 'select_device', 'output_dir'].map((k) => [k, TRAIN_FLAGS[k]!]),
);

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(argv, 'oar-nlp-eval', 'Evaluates a fine-tuned classifier (a folder saved by train).', FLAGS);
  if (a.help) return 0;
  if (!a.flags.model_name_or_path && !a.config) throw new CliError('--model_name_or_path is required: a folder saved by train, e.g. output/nlp/uci_sentiment/best', 2);
  const outputGiven = a.flags.output_dir !== undefined;
  const args = loadTrainArgs(a.config, a.flags);
  loadAccelerator(args.select_device);
  const log = new RunLogger({ progress: false });
  const data = loadTaskData(args, { evalOnly: true });
  const clf = loadClassifier(args.model_name_or_path, log);
  if (clf.labels.join('\u0000') !== data.labels.join('\u0000')) {
    throw new CliError(`the model was trained with labels ${clf.labels.join(', ')} but the data's are ${data.labels.join(', ')} (--label_list)`);
  }
  const r = evaluate(clf.model, featurize(data.dev, clf.tokenizer, args.max_seq_length), args.batch_size, clf.tokenizer.padTokenId);
  const stateFile = path.join(args.model_name_or_path, TRAIN_STATE_FILE);
  const step = fs.existsSync(stateFile) ? readTrainState(args.model_name_or_path).global_step : 0;
  const record = { step, split: 'eval' as const, acc: r.acc, loss: r.loss, count: r.count };
  log.info(`eval loss: ${r.loss.toFixed(6)}, acc: ${r.acc.toFixed(5)} on ${r.count} examples of ${args.task_name}`);
  process.stdout.write(`${JSON.stringify(record)}\n`);
  if (outputGiven) new RunLogger({ metricsFile: path.join(args.output_dir, 'metrics.jsonl'), progress: false, write: () => undefined }).record(record);
  return 0;
}

if (require.main === module) void runCli(main);
