#!/usr/bin/env node
/**
 * oar-nlp-export (`nx run nlp:export`): PaddleNLP's export_model.py. The core cannot write Paddle
 * inference programs (.pdmodel) yet — that comes with its jit.save — so this exports what can be
 * exported faithfully: the weights as <output_path>/inference.pdparams (the state dict, loadable
 * with paddle.load) with model_config.json, vocab.txt and tokenizer_config.json beside them, and
 * says plainly that no .pdmodel was written.
 *
 *   oar-nlp-export --model_name_or_path output/nlp/uci_sentiment/best --output_path output/nlp/export
 */
import * as fs from 'fs';
import * as path from 'path';
import { io, type Tensor } from '@oar/core';
import { CONFIG_FILE, TOKENIZER_CONFIG_FILE, VOCAB_FILE } from '../engine/checkpoint';
import { RunLogger } from '../engine/logger';
import { loadClassifier } from '../engine/model-source';
import { CliError, parseArgs, runCli, TRAIN_FLAGS } from './common';

export async function main(argv: string[]): Promise<number> {
  const a = await parseArgs(
    argv,
    'oar-nlp-export',
    'Exports a fine-tuned classifier for inference (weights now; the .pdmodel program once the core has jit.save).',
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
  const params = path.join(out, 'inference.pdparams');
  fs.writeFileSync(params, io.dumps(clf.model.stateDict() as Map<string, Tensor>, { protocol: 4 }));
  for (const f of [CONFIG_FILE, VOCAB_FILE, TOKENIZER_CONFIG_FILE]) fs.copyFileSync(path.join(dir, f), path.join(out, f));
  log.info(`exported the weights of ${clf.saved.init_class} to ${params} (with ${CONFIG_FILE}, ${VOCAB_FILE}, ${TOKENIZER_CONFIG_FILE})`);
  log.warn(
    'no inference.pdmodel was written: the Oar core cannot yet save Paddle inference programs (its jit.save is being built). ' +
      'The .pdmodel export comes with jit.save; until then serve the model with `nx run nlp:infer` or load inference.pdparams into a PaddleNLP model of the same configuration.',
  );
  return 0;
}

if (require.main === module) void runCli(main);
