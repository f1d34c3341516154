#!/usr/bin/env node
/**
 * oar-nlp-infer (`nx run nlp:infer`): predicts labels with a fine-tuned classifier, one JSON line
 * per text: {"text", "label", "probs"}. With --model_name_or_path the trained weights run in the
 * dynamic model; with --model, the inference model written by nlp:export runs in the core's
 * Predictor (PaddleNLP's deploy/python/predict.py).
 *
 *   oar-nlp-infer --model_name_or_path output/nlp/uci_sentiment/best --text "Great phone." --text "Awful."
 *   oar-nlp-infer --model_name_or_path my/best --input_file texts.txt     # one text per line
 *   oar-nlp-infer --model output/nlp/export --text "Great phone."          # or .../inference.pdmodel, or a .tar.gz of the folder
 */
import * as fs from 'fs';
import { featurize } from '../data/batching';
import { predictProbabilities } from '../engine/evaluate';
import { openExportedClassifier, predictExported } from '../engine/exported-model';
import { RunLogger } from '../engine/logger';
import { loadClassifier } from '../engine/model-source';
import { CliError, parseArgs, runCli, loadAccelerator, TRAIN_FLAGS } from './common';

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(
    argv,
    'oar-nlp-infer',
    'Predicts labels for texts with a fine-tuned classifier.',
    { model_name_or_path: TRAIN_FLAGS.model_name_or_path!, max_seq_length: TRAIN_FLAGS.max_seq_length!, batch_size: TRAIN_FLAGS.batch_size!, select_device: TRAIN_FLAGS.select_device! },
    {
      text: { type: 'string', array: true, describe: 'a text to classify (repeatable)' },
      input_file: { type: 'string', describe: 'a file with one text per line' },
      model: { type: 'string', describe: 'an inference model written by nlp:export (its folder, inference.pdmodel, or a .tar.gz of the folder), run by the Predictor instead of --model_name_or_path' },
    },
  );
  if (a.help) return 0;
  const dir = a.flags.model_name_or_path as string | undefined;
  const exported = a.extra.model as string | undefined;
  if (dir && exported) throw new CliError('give either --model_name_or_path (trained weights) or --model (an exported inference model), not both', 2);
  if (!dir && !exported) throw new CliError('--model_name_or_path is required: a folder saved by train, e.g. output/nlp/uci_sentiment/best (or --model with a folder written by nlp:export)', 2);
  const device = (a.flags.select_device as string | undefined) ?? 'cpu';
  if (device !== 'cpu' && device !== 'xpu') throw new CliError(`--select_device must be cpu or xpu, got ${device}`, 2);
  loadAccelerator(device);
  const texts = [...((a.extra.text as string[] | undefined) ?? [])];
  const file = a.extra.input_file as string | undefined;
  if (file) {
    if (!fs.existsSync(file)) throw new CliError(`--input_file ${file} does not exist`);
    texts.push(...fs.readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== ''));
  }
  if (texts.length === 0) throw new CliError('nothing to classify: give --text "..." (repeatable) or --input_file', 2);
  const batchSize = (a.flags.batch_size as number | undefined) ?? 32;
  const maxLenFlag = a.flags.max_seq_length as number | undefined;
  let labels: string[];
  let probs: number[][];
  if (exported) {
    const m = openExportedClassifier(exported, device);
    try {
      const positions = m.config.init_args.max_position_embeddings;
      const maxLen = maxLenFlag ?? Math.min(128, positions);
      if (maxLen > positions) throw new CliError(`--max_seq_length ${maxLen} exceeds the model's ${positions} positions (max_position_embeddings in ${m.sideFilesFrom})`, 2);
      labels = m.labels;
      probs = predictExported(m, texts, maxLen, batchSize);
    } finally {
      m.predictor.dispose();
    }
  } else {
    const clf = loadClassifier(dir!, new RunLogger({ progress: false, write: (l) => process.stderr.write(`${l}\n`) }));
    const maxLen = maxLenFlag ?? Math.min(128, clf.saved.init_args.max_position_embeddings);
    const feats = featurize(texts.map((text) => ({ text, label: 0, source: 'input' })), clf.tokenizer, maxLen);
    labels = clf.labels;
    probs = predictProbabilities(clf.model, feats, batchSize, clf.tokenizer.padTokenId);
  }
  probs.forEach((p, i) => {
    const best = p.indexOf(Math.max(...p));
    process.stdout.write(`${JSON.stringify({ text: texts[i], label: labels[best], probs: p.map((x) => Number(x.toFixed(6))) })}\n`);
  });
  return 0;
}

if (require.main === module) void runCli(main);
