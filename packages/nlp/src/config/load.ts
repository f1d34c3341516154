/**
 * Options from three layers, later ones winning: the built-in defaults, a YAML file (-c), and
 * the flags given on the command line. Validation names the offending key and suggests the
 * closest one for a typo, before any work starts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { ConfigError, parseConfig } from './errors';
import { PRETRAIN_DEFAULTS, PretrainSchema, TRAIN_DEFAULTS, TrainSchema, type PretrainArgs, type TrainArgs } from './schema';

export function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(e as Error).message}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(pos ? `${file}:${pos.line}:${pos.col}` : file, [{ path: '', message: `YAML error: ${e.message.split('\n')[0]}` }]);
  }
  const v = doc.toJS() as unknown;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(file, [{ path: '', message: 'expected a map of options at the top level' }]);
  // Paths in the file are relative to the file, as a user writing it expects.
  const out = v as Record<string, unknown>;
  for (const k of ['train_file', 'dev_file', 'input_file', 'output_dir', 'resume', 'model_name_or_path']) {
    const rel = (p: unknown): unknown => (typeof p === 'string' && (p.startsWith('./') || p.startsWith('../')) ? path.resolve(path.dirname(file), p) : p);
    if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).map(rel);
    else if (k in out) out[k] = rel(out[k]);
  }
  return out;
}

function layered(defaults: Record<string, unknown>, file: string | undefined, flags: Record<string, unknown>): { merged: Record<string, unknown>; source: string } {
  const fromFile = file ? readYaml(file) : {};
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const source = [file ?? 'defaults', Object.keys(given).length ? `flags ${Object.keys(given).map((k) => `--${k}`).join(' ')}` : ''].filter(Boolean).join(' + ');
  return { merged: { ...defaults, ...fromFile, ...given }, source };
}

export function loadTrainArgs(file: string | undefined, flags: Record<string, unknown>): TrainArgs {
  const { merged, source } = layered(TRAIN_DEFAULTS, file, flags);
  return parseConfig(TrainSchema, merged, source);
}

export function loadPretrainArgs(file: string | undefined, flags: Record<string, unknown>): PretrainArgs {
  const { merged, source } = layered(PRETRAIN_DEFAULTS, file, flags);
  return parseConfig(PretrainSchema, merged, source);
}

/**
 * The `pretrain:` section of a training configuration: pre-training options on top of the
 * defaults and of what it shares with the fine-tuning run (model, sequence length, seed, device).
 */
export function pretrainSection(train: TrainArgs, source: string): PretrainArgs {
  const inherited = {
    model_type: train.model_type,
    model_name_or_path: train.model_name_or_path,
    max_seq_length: train.max_seq_length,
    seed: train.seed,
    select_device: train.select_device,
    output_dir: path.join(train.output_dir, 'pretrain'),
  };
  return parseConfig(PretrainSchema, { ...PRETRAIN_DEFAULTS, ...inherited, ...(train.pretrain ?? {}) }, `${source} (pretrain section)`, 'pretrain.');
}
