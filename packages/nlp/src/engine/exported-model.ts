/**
 * Prediction with a model written by `nlp:export`, through the core's Paddle Inference Predictor:
 * the folder, its inference.pdmodel, the `jit.save` prefix (`<dir>/inference`), or a .tar.gz of
 * the folder. The tokenizer and the class names come from the files export writes beside the
 * program (model_config.json, vocab.txt, tokenizer_config.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { framework, inference } from '@oar/core';
import type { ModelType } from '../models/config';
import { BertTokenizer } from '../tokenizers/bert';
import { ErnieTokenizer } from '../tokenizers/ernie';
import { Vocab } from '../tokenizers/vocab';
import { CheckpointError, CONFIG_FILE, PARAMS_FILE, TOKENIZER_CONFIG_FILE, VOCAB_FILE, type ModelConfigFile } from './checkpoint';
import { INFERENCE_INPUTS } from './export';

export interface ExportedClassifier {
  predictor: inference.Predictor;
  tokenizer: BertTokenizer;
  labels: string[];
  config: ModelConfigFile;
  /** Where model_config.json and the vocabulary were read (a folder, or `archive:folder`). */
  sideFilesFrom: string;
}

const WHAT = `nlp:export's output (inference.pdmodel and inference.pdiparams with ${CONFIG_FILE}, ${VOCAB_FILE} and ${TOKENIZER_CONFIG_FILE} beside them)`;

/** The text of the files export writes beside the program, read from a folder or an archive. */
function readSideFiles(model: string): { read: (name: string) => string | undefined; where: string } {
  if (framework.isArchivePath(model) && fs.existsSync(model) && fs.statSync(model).isFile()) {
    const files = framework.readArchive(model);
    const programs = [...files.keys()].filter((f) => f.endsWith('.pdmodel'));
    if (programs.length !== 1) throw new CheckpointError(`--model ${model}: expected one .pdmodel in the archive, found ${programs.length}; it should hold ${WHAT}`);
    const dir = path.posix.dirname(programs[0]!);
    const at = (name: string): string => (dir === '.' ? name : `${dir}/${name}`);
    return { read: (name) => (files.has(at(name)) ? Buffer.from(files.get(at(name))!).toString('utf8') : undefined), where: `${model}:${dir === '.' ? '' : dir}` };
  }
  let dir: string;
  if (fs.existsSync(model) && fs.statSync(model).isDirectory()) {
    if (fs.existsSync(path.join(model, PARAMS_FILE)) && !fs.readdirSync(model).some((f) => f.endsWith('.pdmodel'))) {
      throw new CheckpointError(`--model ${model} holds trained weights (${PARAMS_FILE}), not an exported model: pass it as --model_name_or_path, or export it first with nlp:export`);
    }
    dir = model;
  }  else if ((fs.existsSync(model) && model.endsWith('.pdmodel')) || fs.existsSync(`${model}.pdmodel`)) dir = path.dirname(model);
  else throw new CheckpointError(`--model ${model}: no such folder, .pdmodel file, jit.save prefix or .tar.gz; give ${WHAT}`);
  return { read: (name) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : undefined), where: dir };
}

function parseJson<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new CheckpointError(`${where}: not valid JSON (${(e as Error).message})`);
  }
}

/** Opens an exported classifier: its Predictor, tokenizer and labels. */
export function openExportedClassifier(model: string, device = 'cpu'): ExportedClassifier {
  const { read, where } = readSideFiles(model);
  const need = (name: string): string => {
    const text = read(name);
    if (text === undefined) throw new CheckpointError(`${where} has no ${name}: --model takes ${WHAT}`);
    return text;
  };
  const config = parseJson<ModelConfigFile>(need(CONFIG_FILE), `${where}/${CONFIG_FILE}`);
  const labels = config.labels;
  if (!labels || labels.length < 2) throw new CheckpointError(`${where}/${CONFIG_FILE} names no labels: the exported model is not a fine-tuned classifier`);
  const type: ModelType = config.model_type;
  if (type !== 'bert' && type !== 'ernie') throw new CheckpointError(`${where}/${CONFIG_FILE}: model_type must be bert or ernie, got ${String(type)}`);
  const tc = parseJson<{ do_lower_case?: boolean }>(read(TOKENIZER_CONFIG_FILE) ?? '{}', `${where}/${TOKENIZER_CONFIG_FILE}`);
  const vocab = Vocab.parse(need(VOCAB_FILE), `${where}/${VOCAB_FILE}`);
  const opts = { doLowerCase: tc.do_lower_case ?? true };
  const tokenizer = type === 'ernie' ? new ErnieTokenizer(vocab, opts) : new BertTokenizer(vocab, opts);

  const cfg = new inference.Config(model);
  if (device !== 'cpu') cfg.setDevice(device);
  const predictor = inference.createPredictor(cfg);
  const names = predictor.getInputNames();
  if (names.join() !== INFERENCE_INPUTS.join()) {
    predictor.dispose();
    throw new CheckpointError(`${predictor.programFile}: inputs are ${names.join(', ')}; expected ${INFERENCE_INPUTS.join(', ')} as nlp:export writes them`);
  }
  return { predictor, tokenizer, labels, config, sideFilesFrom: where };
}

/** Logits [rows][classes] for token rows of one batch, padded here to the longest with the pad id. */
export function runExported(m: ExportedClassifier, ids: readonly (readonly number[])[], types: readonly (readonly number[])[]): number[][] {
  const n = ids.length;
  const len = Math.max(1, ...ids.map((r) => r.length));
  const idData = new BigInt64Array(n * len).fill(BigInt(m.tokenizer.padTokenId));
  const typeData = new BigInt64Array(n * len);
  ids.forEach((row, i) => row.forEach((id, j) => (idData[i * len + j] = BigInt(id))));
  types.forEach((row, i) => row.forEach((t, j) => (typeData[i * len + j] = BigInt(t))));
  const [idName, typeName] = INFERENCE_INPUTS;
  for (const [name, data] of [[idName, idData], [typeName, typeData]] as const) {
    const h = m.predictor.getInputHandle(name);
    h.reshape([n, len]);
    h.copyFromCpu(data);
  }
  m.predictor.run();
  const out = m.predictor.getOutputHandle(m.predictor.getOutputNames()[0]!);
  const [rows, classes] = out.shape() as [number, number];
  const flat = out.copyToCpu() as Float32Array;
  return Array.from({ length: rows }, (_, i) => Array.from(flat.subarray(i * classes, (i + 1) * classes)));
}

function softmaxRow(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** Class probabilities of each text, tokenized (truncated to maxSeqLength) and run in batches. */
export function predictExported(m: ExportedClassifier, texts: readonly string[], maxSeqLength: number, batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const encs = texts.slice(i, i + batchSize).map((t) => m.tokenizer.encode(t, null, { maxSeqLen: maxSeqLength }));
    const logits = runExported(
      m,
      encs.map((e) => e.input_ids),
      encs.map((e) => e.token_type_ids),
    );
    out.push(...logits.map(softmaxRow));
  }
  return out;
}
