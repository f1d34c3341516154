/**
 * What BERT and ERNIE 1.0 share (PaddleNLP 2.0's BertModel / ErnieModel): embeddings (word,
 * position, token type, LayerNorm, dropout), Paddle's post-norm TransformerEncoder, and the tanh
 * pooler over the first token. Parameters are created with PaddleNLP's initialization, Normal(0,
 * initializer_range) for every Linear and Embedding weight, and LayerNorm epsilon 1e-12 (what its
 * init_weights sets).
 */
import { add, cast, cumsum, equal, nn, onesLike, reshape, scale, slice, subtract, tanh, unsqueeze, type Tensor } from '@oar/core';
import { checkConfig, type EncoderConfig } from './config';

export const LAYER_NORM_EPSILON = 1e-12;

export function normalAttr(c: EncoderConfig): nn.ParamAttr {
  return new nn.ParamAttr({ initializer: new nn.initializer.Normal(0, c.initializer_range) });
}

export class Embeddings extends nn.Layer {
  word_embeddings: nn.Embedding;
  position_embeddings: nn.Embedding;
  token_type_embeddings: nn.Embedding;
  layer_norm: nn.LayerNorm;
  dropout: nn.Dropout;
  readonly maxPositions: number;
  readonly typeVocabSize: number;

  /** @param paddingIdx ERNIE's word embedding has Paddle's padding_idx (pad tokens embed to zeros); BERT's has none. */
  constructor(c: EncoderConfig, paddingIdx: number | null) {
    super();
    const weightAttr = normalAttr(c);
    this.word_embeddings = new nn.Embedding(c.vocab_size, c.hidden_size, { weightAttr, paddingIdx: paddingIdx ?? undefined });
    this.position_embeddings = new nn.Embedding(c.max_position_embeddings, c.hidden_size, { weightAttr });
    this.token_type_embeddings = new nn.Embedding(c.type_vocab_size, c.hidden_size, { weightAttr });
    this.layer_norm = new nn.LayerNorm(c.hidden_size, { epsilon: LAYER_NORM_EPSILON });
    this.dropout = new nn.Dropout(c.hidden_dropout_prob);
    this.maxPositions = c.max_position_embeddings;
    this.typeVocabSize = c.type_vocab_size;
  }

  override forward(inputIds: Tensor, tokenTypeIds?: Tensor | null, positionIds?: Tensor | null): Tensor {
    if (inputIds.ndim !== 2) throw new RangeError(`input_ids must be [batch, seq_len], got [${inputIds.shape.join(', ')}]`);
    const len = inputIds.shape[1]!;
    if (len > this.maxPositions) {
      throw new RangeError(`the input has ${len} tokens but the model has ${this.maxPositions} positions (max_position_embeddings): truncate it (max_seq_length <= ${this.maxPositions})`);
    }
    const positions = positionIds ?? positionIdsOf(inputIds);
    let x = this.word_embeddings.call(inputIds);
    x = add(x, this.position_embeddings.call(positions));
    if (tokenTypeIds) x = add(x, this.token_type_embeddings.call(tokenTypeIds));
    else {
      // All type 0: adding row 0 of the table broadcasts without materializing zeros ids.
      x = add(x, slice(this.token_type_embeddings.weight, [0], [0], [1]));
    }
    return this.dropout.call(this.layer_norm.call(x));
  }
}

/**
 * Position ids 0..seq_len-1 for every row, made as PaddleNLP makes them: ones_like(input_ids),
 * cumsum along the sequence, minus the ones. Built from operators rather than from the length on
 * the host, so a traced program (jit.save) computes them for any sequence length.
 */
export function positionIdsOf(inputIds: Tensor): Tensor {
  const ones = onesLike(inputIds, { dtype: 'int64' });
  return subtract(cumsum(ones, 1), ones);
}

export class Pooler extends nn.Layer {
  dense: nn.Linear;

  constructor(c: EncoderConfig) {
    super();
    this.dense = new nn.Linear(c.hidden_size, c.hidden_size, { weightAttr: normalAttr(c) });
  }

  /** tanh(W·h[CLS] + b) */
  override forward(hidden: Tensor): Tensor {
    const first = slice(hidden, [1], [0], [1]);
    const [b, , h] = hidden.shape as [number, number, number];
    return tanh(this.dense.call(reshape(first, [b, h])));
  }
}

/** The additive attention mask [batch, 1, 1, seq]: 0 where attended, -1e9 at padding. */
export function additiveMask(inputIds: Tensor, attentionMask: Tensor | null | undefined, padTokenId: number): Tensor {
  if (attentionMask && attentionMask.ndim === 4) return attentionMask;
  if (attentionMask) {
    if (attentionMask.ndim !== 2) throw new RangeError(`attention_mask must be [batch, seq_len] (1 attend, 0 padding) or 4-D additive, got [${attentionMask.shape.join(', ')}]`);
    return unsqueeze(scale(cast(attentionMask, 'float32'), 1e9, -1e9), [1, 2]);
  }
  // PaddleNLP's rule without a mask: positions holding the pad token are not attended.
  return unsqueeze(scale(cast(equal(inputIds, padTokenId), 'float32'), -1e9), [1, 2]);
}

/** BertModel and ErnieModel: [sequence_output, pooled_output] from input ids. */
export abstract class TransformerModel extends nn.Layer {
  declare embeddings: Embeddings;
  declare encoder: nn.TransformerEncoder;
  declare pooler: Pooler;
  readonly config: EncoderConfig;

  constructor(config: EncoderConfig, paddingIdx: number | null) {
    checkConfig(config);
    super();
    this.config = { ...config };
    this.embeddings = new Embeddings(config, paddingIdx);
    const attr = normalAttr(config);
    const layer = new nn.TransformerEncoderLayer(config.hidden_size, config.num_attention_heads, config.intermediate_size, {
      dropout: config.hidden_dropout_prob,
      activation: config.hidden_act,
      attnDropout: config.attention_probs_dropout_prob,
      actDropout: 0,
      weightAttr: attr,
    });
    this.encoder = new nn.TransformerEncoder(layer, config.num_hidden_layers);
    // Paddle's TransformerEncoderLayer has no epsilon option; PaddleNLP's init_weights sets
    // `_epsilon = 1e-12` on every LayerNorm after construction, and so do we.
    for (const l of this.encoder.sublayers()) if (l instanceof nn.LayerNorm) (l as unknown as { epsilon: number }).epsilon = LAYER_NORM_EPSILON;
    this.pooler = new Pooler(config);
  }

  /**
   * @param attentionMask [batch, seq_len] with 1 for tokens and 0 for padding (the tokenizer's
   *   attention_mask), or a 4-D additive mask; without it, pad-token positions are masked.
   */
  override forward(inputIds: Tensor, tokenTypeIds?: Tensor | null, positionIds?: Tensor | null, attentionMask?: Tensor | null): [Tensor, Tensor] {
    const mask = additiveMask(inputIds, attentionMask, this.config.pad_token_id);
    const emb = this.embeddings.call(inputIds, tokenTypeIds, positionIds);
    const seq = this.encoder.call(emb, mask);
    return [seq, this.pooler.call(seq)];
  }
}
