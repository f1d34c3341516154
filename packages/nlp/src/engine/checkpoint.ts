/**
 * Saved models in PaddleNLP's save_pretrained layout, one folder each: `model_state.pdparams`
 * (the state dict), `model_config.json` (class and configuration), `vocab.txt` and
 * `tokenizer_config.json`; a training checkpoint adds `model_state.pdopt` (the optimizer and its
 * LR_Scheduler) and `train_state.json` (step, epoch, best metric). A folder is written under a
 * temporary name and renamed into place, so a killed run never leaves a half-written one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { engine, io, type nn, type optim, type Tensor } from '@oar/core';
import { namedConfig, checkConfig, type EncoderConfig, type ModelType } from '../models/config';
import { BertTokenizer } from '../tokenizers/bert';
import { ErnieTokenizer } from '../tokenizers/ernie';
import type { LogSink } from './logger';

export const PARAMS_FILE = 'model_state.pdparams';
export const OPT_FILE = 'model_state.pdopt';
export const CONFIG_FILE = 'model_config.json';
export const VOCAB_FILE = 'vocab.txt';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const TRAIN_STATE_FILE = 'train_state.json';

/** Pickle protocol 4: what paddle.save writes since Paddle 2.1 and every Python 3 reads. */
const PICKLE = { protocol: 4 } as const;

export interface ModelConfigFile {
  init_class: string;
  model_type: ModelType;
  init_args: EncoderConfig;
  /** Classification checkpoints: the label strings, index = class id. */
  labels?: string[];
}

export interface TrainState {
  global_step: number;
  epoch: number;
  best_acc: number;
  best_step: number;
  /** The core's Philox generator (dropout) at this step, so a resumed run draws what an uninterrupted one would. */
  rng_state?: { key: [number, number]; offset: number };
}

export function captureRng(): TrainState['rng_state'] {
  const s = engine.getRngState();
  return { key: [s.key[0], s.key[1]], offset: s.offset };
}

export function restoreRng(s: TrainState['rng_state']): void {
  if (s) engine.setRngState({ key: [s.key[0], s.key[1]], offset: s.offset });
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface SaveParts {
  model: nn.Layer;
  config: ModelConfigFile;
  tokenizer: BertTokenizer;
  optimizer?: optim.Optimizer | null;
  state?: TrainState | null;
}

/**
 * The vocabulary as BERT's vocab.txt (one token per line, ids in order); a vocabulary whose ids
 * have gaps cannot be written that way and is written as token<TAB>id lines.
 */
function vocabText(t: BertTokenizer): string {
  const tokens = Array.from({ length: t.vocab.size }, (_, i) => t.vocab.token(i));
  if (tokens.every((x) => x !== undefined)) return tokens.join('\n') + '\n';
  return tokens.flatMap((x, i) => (x === undefined ? [] : [`${x}\t${i}`])).join('\n') + '\n';
}

export function saveModelDir(dir: string, parts: SaveParts): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fs.writeFileSync(path.join(tmp, PARAMS_FILE), io.dumps(parts.model.stateDict() as Map<string, Tensor>, PICKLE));
    if (parts.optimizer) fs.writeFileSync(path.join(tmp, OPT_FILE), io.dumps(parts.optimizer.stateDict() as io.SavableValue, PICKLE));
    fs.writeFileSync(path.join(tmp, CONFIG_FILE), JSON.stringify(parts.config, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, VOCAB_FILE), vocabText(parts.tokenizer));
    fs.writeFileSync(
      path.join(tmp, TOKENIZER_CONFIG_FILE),
      JSON.stringify({ tokenizer_class: parts.tokenizer instanceof ErnieTokenizer ? 'ErnieTokenizer' : 'BertTokenizer', do_lower_case: parts.tokenizer.basic.doLowerCase }, null, 2) + '\n',
    );
    if (parts.state) fs.writeFileSync(path.join(tmp, TRAIN_STATE_FILE), JSON.stringify(parts.state) + '\n');
    const old = `${dir}.old-${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new CheckpointError(`cannot save ${dir}: ${(e as Error).message}`);
  }
}

export function isModelDir(p: string): boolean {
  return fs.existsSync(path.join(p, CONFIG_FILE));
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new CheckpointError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export function readModelConfig(dir: string): ModelConfigFile {
  const c = readJson<ModelConfigFile>(path.join(dir, CONFIG_FILE));
  if (c.model_type !== 'bert' && c.model_type !== 'ernie') throw new CheckpointError(`${dir}/${CONFIG_FILE}: model_type must be bert or ernie, got ${String(c.model_type)}`);
  try {
    checkConfig(c.init_args, `${dir}/${CONFIG_FILE} init_args`);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  return c;
}

export function readTrainState(dir: string): TrainState {
  return readJson<TrainState>(path.join(dir, TRAIN_STATE_FILE));
}

/** The tokenizer saved with a model folder, or the named one a configuration name uses. */
export function loadTokenizer(type: ModelType, nameOrDir: string): BertTokenizer {
  if (isModelDir(nameOrDir)) {
    const tc = fs.existsSync(path.join(nameOrDir, TOKENIZER_CONFIG_FILE)) ? readJson<{ do_lower_case?: boolean }>(path.join(nameOrDir, TOKENIZER_CONFIG_FILE)) : {};
    const file = path.join(nameOrDir, VOCAB_FILE);
    return type === 'ernie' ? new ErnieTokenizer(file, { doLowerCase: tc.do_lower_case ?? true }) : new BertTokenizer(file, { doLowerCase: tc.do_lower_case ?? true });
  }
  const name = namedConfig(nameOrDir).tokenizer;
  return type === 'ernie' ? ErnieTokenizer.fromPretrained(name) : BertTokenizer.fromPretrained(name);
}

/**
 * Loads `dir`'s weights into `model`. Every entry must fit: a shape that differs from the model's
 * is an error naming the parameter, found before any training. Entries the model lacks (the
 * pre-training heads when fine-tuning) are ignored; model parameters the file lacks (a new
 * classifier) keep their initialization. With `strict`, both must match exactly (eval, resume).
 */
export function loadWeights(dir: string, model: nn.Layer, log: LogSink | null, strict = false): void {
  const file = path.join(dir, PARAMS_FILE);
  if (!fs.existsSync(file)) throw new CheckpointError(`${file} does not exist`);
  const state = io.loadStateDict(file);
  try {
    const own = model.stateDict();
    const mismatched: string[] = [];
    const usable = new Map<string, Tensor>();
    for (const [k, t] of Object.entries(state)) {
      const dst = own.get(k);
      if (!dst) continue;
      if (dst.shape.join() !== t.shape.join()) mismatched.push(`${k}: [${t.shape.join(', ')}] in the file, [${dst.shape.join(', ')}] in the model`);
      else usable.set(k, t);
    }
    const missing = [...own.keys()].filter((k) => !(k in state));
    if (mismatched.length) {
      throw new CheckpointError(`${file} does not match the model configuration: ${mismatched.slice(0, 4).join('; ')}${mismatched.length > 4 ? `; and ${mismatched.length - 4} more` : ''}`);
    }
    if (usable.size === 0) throw new CheckpointError(`${file}: none of its entries belongs to this model (keys like ${Object.keys(state).slice(0, 3).join(', ')})`);
    if (strict && missing.length) throw new CheckpointError(`${file} lacks ${missing.length} of the model's weights: ${missing.slice(0, 5).join(', ')}`);
    model.setStateDict(usable, { strict: false });
    if (missing.length) log?.info(`${missing.length} weights not in ${file} keep their initialization: ${missing.slice(0, 6).join(', ')}`);
    log?.info(`loaded ${usable.size} weights from ${file}`);
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}

export function loadOptimizer(dir: string, optimizer: optim.Optimizer): void {
  const file = path.join(dir, OPT_FILE);
  if (!fs.existsSync(file)) throw new CheckpointError(`cannot resume from ${dir}: ${file} does not exist (resume takes a checkpoint folder written by training)`);
  const state = io.load(file);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new CheckpointError(`${file} does not hold an optimizer state dict`);
  try {
    optimizer.setStateDict(state as Record<string, never>);
  } catch (e) {
    throw new CheckpointError(`${file} does not match the optimizer: ${(e as Error).message}`);
  }
}
