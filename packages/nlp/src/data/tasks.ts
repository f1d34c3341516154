/**
 * The classification tasks `--task_name` knows: where their data is, its layout and labels, and
 * how the evaluation split is made (a dev file, or a seeded held-out fraction of the training
 * file).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR } from '../tokenizers/bert';
import { Rng } from './random';
import { DataError, holdOut, readClassificationFile, type DataFormat, type Example } from './text-classification';

export interface TaskDefaults {
  format: DataFormat;
  labels: string[];
  /** Training files used when none is given. */
  trainFiles?: string[];
  describe: string;
}

export const UCI_SENTIMENT_DIR = path.join(DATA_DIR, 'uci-sentiment-labelled-sentences');

export const TASKS: Record<string, TaskDefaults> = {
  'uci-sentiment': {
    format: 'tsv',
    labels: ['0', '1'],
    trainFiles: ['amazon_cells_labelled.txt', 'imdb_labelled.txt', 'yelp_labelled.txt'].map((f) => path.join(UCI_SENTIMENT_DIR, f)),
    describe: 'UCI Sentiment Labelled Sentences (shipped): sentence<TAB>label, 0 negative / 1 positive',
  },
  chnsenticorp: { format: 'tsv', labels: ['0', '1'], describe: 'ChnSentiCorp: text<TAB>label, 0 negative / 1 positive' },
  'sst-2': { format: 'glue', labels: ['0', '1'], describe: "GLUE SST-2: TSV with a header 'sentence<TAB>label'" },
  custom: { format: 'tsv', labels: ['0', '1'], describe: 'your own data: --data_format tsv|csv|glue and --label_list' },
};

export interface DataSpec {
  task_name: string;
  train_file?: string | string[] | null;
  dev_file?: string | string[] | null;
  data_format?: DataFormat | null;
  label_list?: string[] | null;
  /** Fraction of the training data held out for evaluation when there is no dev file. */
  dev_split: number;
  /** Seed of the held-out split (separate from --seed so that runs with different seeds evaluate on the same examples). */
  split_seed: number;
  skip_malformed: boolean;
}

export interface LoadedData {
  train: Example[];
  dev: Example[];
  labels: string[];
  format: DataFormat;
  /** What was read, for the log. */
  summary: string[];
}

function asList(v: string | string[] | null | undefined): string[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function taskDefaults(name: string): TaskDefaults {
  const t = TASKS[name];
  if (!t) throw new DataError(`unknown task_name ${JSON.stringify(name)}; known: ${Object.keys(TASKS).join(', ')}`);
  return t;
}

/**
 * Reads the task's training and evaluation examples, checking every file before training starts.
 * `evalOnly` (eval): with a dev_file the training files are not needed and are not read.
 */
export function loadTaskData(spec: DataSpec, opts: { evalOnly?: boolean } = {}): LoadedData {
  const task = taskDefaults(spec.task_name);
  const format = spec.data_format ?? task.format;
  const labels = spec.label_list ?? task.labels;
  const devOnly = opts.evalOnly === true && asList(spec.dev_file).length > 0;
  const trainFiles = devOnly ? [] : asList(spec.train_file).length ? asList(spec.train_file) : (task.trainFiles ?? []);
  if (trainFiles.length === 0 && !devOnly) {
    throw new DataError(`task ${spec.task_name} has no shipped data: give --train_file (${task.describe})${opts.evalOnly ? ' or --dev_file' : ''}`);
  }
  const summary: string[] = [];
  const read = (files: string[]): Example[] => {
    const all: Example[] = [];
    for (const f of files) {
      if (!fs.existsSync(f)) throw new DataError(`${f} does not exist`);
      const r = readClassificationFile(f, { format, labels, skipMalformed: spec.skip_malformed });
      summary.push(`${f}: ${r.examples.length} examples${r.skipped ? `, ${r.skipped} malformed lines skipped (first: ${r.skippedReasons[0]})` : ''}`);
      all.push(...r.examples);
    }
    return all;
  };
  const train = read(trainFiles);
  const devFiles = asList(spec.dev_file);
  if (devFiles.length) return { train, dev: read(devFiles), labels, format, summary };
  if (!(spec.dev_split > 0 && spec.dev_split < 1)) throw new DataError(`no dev_file given and dev_split is ${spec.dev_split}: hold out a fraction in (0, 1), e.g. 0.2, or give --dev_file`);
  const order = new Rng(spec.split_seed, 7).shuffle(train.map((_, i) => i));
  const { train: tr, dev } = holdOut(train, spec.dev_split, order);
  summary.push(`held out ${dev.length} of ${train.length} examples (dev_split ${spec.dev_split}, split_seed ${spec.split_seed}) for evaluation`);
  return { train: tr, dev, labels, format, summary };
}
