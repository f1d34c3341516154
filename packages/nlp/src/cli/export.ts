#!/usr/bin/env node
/**
 * oar-nlp-export (`nx run nlp:export`): PaddleNLP's export_model.py. Loads a fine-tuned classifier
 * saved by training and writes it in Paddle's inference format with the core's jit.save:
 *
 *   <output_path>/inference.pdmodel     the program: inputs input_ids and token_type_ids
 *                                       (int64, [-1, -1]), output the logits [-1, num_classes]
 *   <output_path>/inference.pdiparams   the parameters
 *   <output_path>/model_config.json, vocab.txt, tokenizer_config.json   for tokenizing and the labels
 *
 * Paddle Inference and `oar-nlp-infer --model <output_path>` read the folder.
 *
 *   oar-nlp-export --model_name_or_path output/nlp/uci_sentiment/best --output_path output/nlp/export
 */
import * as fs from 'fs';
import { copySideFiles, exportClassifier } from '../engine/export';
import { RunLogger } from '../engine/logger';
import { loadClassifier } from '../engine/model-source';
import { CliError, parseArgs, runCli, TRAIN_FLAGS } from './common';

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(
    argv,
    'oar-nlp-export',
    'Exports a fine-tuned classifier as a Paddle inference model: <output_path>/inference.pdmodel + inference.pdiparams.',
    { model_name_or_path: TRAIN_FLAGS.model_name_or_path! },
    { output_path: { type: 'string', describe: 'folder to write (default output/nlp/export)' } },
  );
  if (a.help) return 0;
  const dir = a.flags.model_name_or_path as string | undefined;
  if (!dir) throw new CliError('--model_name_or_path is required: a folder saved by train, e.g. output/nlp/uci_sentiment/best', 2);
  const out = (a.extra.output_path as string | undefined) ?? 'output/nlp/export';
  const log = new RunLogger({ progress: false });
  // Loading checks the weights against the configuration before anything is written.
  const clf = loadClassifier(dir, log);
  fs.mkdirSync(out, { recursive: true });
  const saved = exportClassifier(clf.model, out);
  copySideFiles(dir, out);
  log.info(
    `exported ${clf.saved.init_class} (${clf.labels.length} classes): ${saved.modelFile} (${saved.numOps} ops, inputs ${saved.inputNames.join(', ')} [-1, -1] int64), ` +
      `${saved.paramsFile} (${saved.numParams} parameters), with the model config, vocabulary and tokenizer config`,
  );
  log.info(`predict with: npx nx run nlp:infer --model ${out} --text "..."`);
  return 0;
}

if (require.main === module) void runCli(main);
