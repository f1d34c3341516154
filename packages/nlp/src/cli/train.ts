#!/usr/bin/env node
/**
 * oar-nlp-train (`nx run nlp:train`): PaddleNLP's run_glue.py, fine-tuning for sequence
 * classification. With no arguments at all it runs the embedded default
 * (configs/uci_sentiment_bert_tiny.yaml): BERT-tiny pre-trained briefly on the shipped English
 * sentences, then fine-tuned on UCI Sentiment Labelled Sentences, evaluated on a held-out fifth.
 *
 *   oar-nlp-train --model_type ernie --model_name_or_path ernie-1.0-mini --task_name chnsenticorp --train_file train.tsv
 *   oar-nlp-train --task_name custom --data_format csv --label_list neg pos --train_file my.csv
 *   oar-nlp-train -c my.yaml --resume output/nlp/train/latest
 */
import * as path from 'path';
import { loadTrainArgs, pretrainSection } from '../config/load';
import { documentsFromSentences, readDocuments } from '../data/pretraining';
import { loadTaskData } from '../data/tasks';
import { finetune } from '../engine/finetune';
import { resolveModel } from '../engine/model-source';
import { pretrain } from '../engine/pretrain';
import { CONFIGS_DIR, TRAIN_FLAGS, loadAccelerator, parseArgs, runCli, runLogger } from './common';

export const DEFAULT_TRAIN_CONFIG = path.join(CONFIGS_DIR, 'uci_sentiment_bert_tiny.yaml');

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(argv, 'oar-nlp-train', 'Fine-tunes BERT or ERNIE for sequence classification. Without any argument: the embedded UCI sentiment default.', TRAIN_FLAGS);
  if (a.help) return 0;
  const embedded = !a.config && Object.keys(a.flags).length === 0;
  const file = a.config ?? (embedded ? DEFAULT_TRAIN_CONFIG : undefined);
  const args = loadTrainArgs(file, a.flags);
  loadAccelerator(args.select_device);
  const log = runLogger(args.output_dir, 'train', a.progress);
  try {
    const t0 = Date.now();
    if (embedded) log.info(`no arguments: running the embedded default ${path.relative(process.cwd(), DEFAULT_TRAIN_CONFIG)}`);
    const data = loadTaskData(args);
    let tuneFrom = args.model_name_or_path;
    if (args.pretrain) {
      const pa = pretrainSection(args, file ?? 'flags');
      const src = resolveModel(pa.model_type, pa.model_name_or_path, pa.max_seq_length);
      const files = pa.input_file === null ? [] : Array.isArray(pa.input_file) ? pa.input_file : [pa.input_file];
      // Without input files, pre-train on the training texts only: the held-out examples stay unseen.
      const docs = files.length ? readDocuments(files, src.tokenizer, pa.input_format === 'tsv' ? 0 : null) : documentsFromSentences(data.train.map((e) => e.text), src.tokenizer);
      const plog = runLogger(pa.output_dir, 'pretrain', a.progress);
      try {
        const r = pretrain(pa, src, docs, plog);
        plog.info(`pre-training done: ${r.steps} steps, lm_loss ${r.mlmLoss.toFixed(4)}, nsp_loss ${r.nspLoss.toFixed(4)}, ${r.seconds.toFixed(0)} s; fine-tuning from ${r.outputDir}`);
      } finally {
        plog.close();
      }
      tuneFrom = path.join(pa.output_dir, 'latest');
    }
    const r = finetune({ ...args, model_name_or_path: tuneFrom }, log, data);
    log.info(
      `training done in ${((Date.now() - t0) / 1000).toFixed(0)} s: best eval acc ${r.bestAcc.toFixed(5)} at step ${r.bestStep} (${r.bestDir}), ` +
        `last eval acc ${r.last ? r.last.acc.toFixed(5) : '-'}; metrics in ${path.join(args.output_dir, 'metrics.jsonl')}`,
    );
  } finally {
    log.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
