/**
 * Model configurations under PaddleNLP 2.0's keys (`pretrained_init_configuration`): the published
 * base models, and miniatures for training from scratch on a CPU.
 */

export type ModelType = 'bert' | 'ernie';

export interface EncoderConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu' | 'relu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  pad_token_id: number;
}

const BERT_BASE: Omit<EncoderConfig, 'vocab_size'> = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  pad_token_id: 0,
};

/** ERNIE 1.0 differs from BERT-base in activation (ReLU), vocabulary (18000) and positions (513). */
const ERNIE_1_0: EncoderConfig = { ...BERT_BASE, vocab_size: 18000, hidden_act: 'relu', max_position_embeddings: 513 };

/**
 * Google's BERT miniatures (Turc et al. 2019) for training from scratch on a CPU: tiny is
 * 2 layers × 128, mini 4 × 256 (heads of 64, feed-forward 4 × hidden).
 */
const TINY = { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 } as const;
const MINI = { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 } as const;

export const MODEL_CONFIGS: Record<string, { type: ModelType; tokenizer: string; config: EncoderConfig }> = {
  'bert-base-uncased': { type: 'bert', tokenizer: 'bert-base-uncased', config: { ...BERT_BASE, vocab_size: 30522 } },
  'bert-base-chinese': { type: 'bert', tokenizer: 'bert-base-chinese', config: { ...BERT_BASE, vocab_size: 21128 } },
  'ernie-1.0': { type: 'ernie', tokenizer: 'ernie-1.0', config: ERNIE_1_0 },
  'bert-tiny-uncased': { type: 'bert', tokenizer: 'bert-base-uncased', config: { ...BERT_BASE, ...TINY, vocab_size: 30522 } },
  'bert-mini-uncased': { type: 'bert', tokenizer: 'bert-base-uncased', config: { ...BERT_BASE, ...MINI, vocab_size: 30522 } },
  'ernie-1.0-tiny': { type: 'ernie', tokenizer: 'ernie-1.0', config: { ...ERNIE_1_0, ...TINY } },
  'ernie-1.0-mini': { type: 'ernie', tokenizer: 'ernie-1.0', config: { ...ERNIE_1_0, ...MINI } },
};

/** A named configuration, or a clear error listing the names. */
export function namedConfig(name: string): { type: ModelType; tokenizer: string; config: EncoderConfig } {
  const c = MODEL_CONFIGS[name];
  if (!c) throw new RangeError(`unknown model name ${JSON.stringify(name)}; known: ${Object.keys(MODEL_CONFIGS).join(', ')}`);
  return { ...c, config: { ...c.config } };
}

/** Checks a configuration's numbers before any layer is built. */
export function checkConfig(c: EncoderConfig, where = 'model config'): void {
  const ints: (keyof EncoderConfig)[] = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${where}: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new RangeError(`${where}: hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${c.num_attention_heads})`);
  }
  if (c.hidden_act !== 'gelu' && c.hidden_act !== 'relu') throw new RangeError(`${where}: hidden_act must be gelu or relu, got ${String(c.hidden_act)}`);
  for (const k of ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) throw new RangeError(`${where}: ${k} must be in [0, 1), got ${c[k]}`);
  }
  if (!Number.isInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) {
    throw new RangeError(`${where}: pad_token_id must be an id below vocab_size (${c.vocab_size}), got ${c.pad_token_id}`);
  }
}
