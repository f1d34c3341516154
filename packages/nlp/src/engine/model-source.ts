/**
 * `--model_name_or_path`: a named configuration (a fresh, randomly initialized model: no
 * pretrained weights are shipped) or a folder saved by training (its configuration, vocabulary
 * and weights). Everything is checked before any work starts.
 */
import { nn } from '@oar/core';
import { MODEL_CONFIGS, namedConfig, type EncoderConfig, type ModelType } from '../models/config';
import { createForSequenceClassification } from '../models/factory';
import type { SequenceClassifier } from '../models/heads';
import type { BertTokenizer } from '../tokenizers/bert';
import { CheckpointError, isModelDir, loadTokenizer, loadWeights, readModelConfig, type ModelConfigFile } from './checkpoint';
import type { LogSink } from './logger';

export interface ModelSource {
  type: ModelType;
  config: EncoderConfig;
  tokenizer: BertTokenizer;
  /** The folder to load weights from; null for a named configuration. */
  dir: string | null;
  saved: ModelConfigFile | null;
}

export function resolveModel(modelType: ModelType, nameOrPath: string, maxSeqLength: number): ModelSource {
  let src: ModelSource;
  if (isModelDir(nameOrPath)) {
    const saved = readModelConfig(nameOrPath);
    if (saved.model_type !== modelType) {
      throw new CheckpointError(`--model_type ${modelType} but ${nameOrPath} holds a ${saved.model_type} model; pass --model_type ${saved.model_type}`);
    }
    src = { type: modelType, config: saved.init_args, tokenizer: loadTokenizer(modelType, nameOrPath), dir: nameOrPath, saved };
  } else {
    if (!MODEL_CONFIGS[nameOrPath]) {
      throw new CheckpointError(`--model_name_or_path ${nameOrPath} is neither a model name (${Object.keys(MODEL_CONFIGS).join(', ')}) nor a folder with a model_config.json`);
    }
    const named = namedConfig(nameOrPath);
    if (named.type !== modelType) throw new CheckpointError(`--model_type ${modelType} does not fit ${nameOrPath}, a ${named.type} model`);
    src = { type: modelType, config: named.config, tokenizer: loadTokenizer(modelType, nameOrPath), dir: null, saved: null };
  }
  if (maxSeqLength > src.config.max_position_embeddings) {
    throw new CheckpointError(`--max_seq_length ${maxSeqLength} exceeds the model's ${src.config.max_position_embeddings} positions (max_position_embeddings)`);
  }
  if (src.tokenizer.vocabSize > src.config.vocab_size) {
    throw new CheckpointError(`the vocabulary has ${src.tokenizer.vocabSize} tokens but the model only ${src.config.vocab_size} embeddings (vocab_size)`);
  }
  return src;
}

/** A fine-tuned classifier saved by training, ready for eval, inference or export. */
export interface LoadedClassifier {
  model: SequenceClassifier;
  tokenizer: BertTokenizer;
  labels: string[];
  saved: ModelConfigFile;
}

export function loadClassifier(dir: string, log: LogSink | null): LoadedClassifier {
  if (!isModelDir(dir)) throw new CheckpointError(`${dir} is not a saved model folder (no model_config.json); give e.g. <output_dir>/best from a training run`);
  const saved = readModelConfig(dir);
  const labels = saved.labels;
  if (!labels || labels.length < 2) throw new CheckpointError(`${dir} holds a ${saved.init_class}, not a fine-tuned classifier (no labels in model_config.json)`);
  const tokenizer = loadTokenizer(saved.model_type, dir);
  const model = nn.uniqueName.guard(() => createForSequenceClassification(saved.model_type, saved.init_args, labels.length));
  loadWeights(dir, model, log, true);
  model.eval();
  return { model, tokenizer, labels, saved };
}
