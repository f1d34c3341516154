#!/usr/bin/env node
/**
 * oar-nlp-pretrain (`nx run nlp:pretrain`): PaddleNLP's run_pretrain.py, masked-LM and
 * next-sentence pre-training on raw text (one sentence per line, blank lines between documents).
 * Without --input_file it reads the shipped English sentences (UCI Sentiment Labelled Sentences,
 * text column). The result is a model folder `train --model_name_or_path` fine-tunes from.
 *
 *   oar-nlp-pretrain --model_name_or_path bert-mini-uncased --input_file corpus.txt --max_steps 1000
 */
import { loadPretrainArgs } from '../config/load';
import { readDocuments } from '../data/pretraining';
import { TASKS } from '../data/tasks';
import { resolveModel } from '../engine/model-source';
import { pretrain } from '../engine/pretrain';
import { PRETRAIN_FLAGS, loadAccelerator, parseArgs, runCli, runLogger } from './common';

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(argv, 'oar-nlp-pretrain', 'Pre-trains BERT or ERNIE (masked LM + next sentence) on raw text.', PRETRAIN_FLAGS);
  if (a.help) return 0;
  const args = loadPretrainArgs(a.config, a.flags);
  loadAccelerator(args.select_device);
  const src = resolveModel(args.model_type, args.model_name_or_path, args.max_seq_length);
  const given = args.input_file === null ? [] : Array.isArray(args.input_file) ? args.input_file : [args.input_file];
  const files = given.length ? given : TASKS['uci-sentiment']!.trainFiles!;
  const docs = readDocuments(files, src.tokenizer, given.length && args.input_format === 'text' ? null : 0);
  const log = runLogger(args.output_dir, 'pretrain', a.progress);
  try {
    if (!given.length) log.info(`no --input_file: pre-training on the shipped English sentences (${files.length} files)`);
    const r = pretrain(args, src, docs, log);
    log.info(`pre-training done: ${r.steps} steps in ${r.seconds.toFixed(0)} s, lm_loss ${r.mlmLoss.toFixed(4)}, nsp_loss ${r.nspLoss.toFixed(4)}; model in ${r.outputDir}`);
  } finally {
    log.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
