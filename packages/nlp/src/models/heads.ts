/**
 * Task heads shared by BERT and ERNIE (PaddleNLP 2.0's *ForSequenceClassification,
 * *ForTokenClassification, *ForQuestionAnswering and the pre-training heads). Each model family
 * subclasses them to hold its backbone under PaddleNLP's attribute name (`bert`, `ernie`), which
 * prefixes the parameter names.
 */
import { add, crossEntropy, gather, gelu, matmul, mean, nn, relu, reshape, squeeze, split, type Parameter, type Tensor } from '@oar/core';
import type { EncoderConfig } from './config';
import { LAYER_NORM_EPSILON, normalAttr, type TransformerModel } from './encoder';

export interface ModelInputs {
  tokenTypeIds?: Tensor | null;
  positionIds?: Tensor | null;
  attentionMask?: Tensor | null;
}

function run(backbone: TransformerModel, inputIds: Tensor, x: ModelInputs): [Tensor, Tensor] {
  return backbone.call(inputIds, x.tokenTypeIds, x.positionIds, x.attentionMask);
}

/** Logits [batch, numClasses] from the pooled [CLS] state, after dropout. */
export abstract class SequenceClassifier extends nn.Layer {
  declare dropout: nn.Dropout;
  declare classifier: nn.Linear;
  numClasses = 2;
  abstract get backbone(): TransformerModel;

  protected buildHead(numClasses: number, dropout?: number | null): void {
    const c = this.backbone.config;
    this.numClasses = numClasses;
    this.dropout = new nn.Dropout(dropout ?? c.hidden_dropout_prob);
    this.classifier = new nn.Linear(c.hidden_size, numClasses, { weightAttr: normalAttr(c) });
  }

  override forward(inputIds: Tensor, x: ModelInputs = {}): Tensor {
    const [, pooled] = run(this.backbone, inputIds, x);
    return this.classifier.call(this.dropout.call(pooled));
  }
}

/** Logits [batch, seq_len, numClasses] for every token. */
export abstract class TokenClassifier extends nn.Layer {
  declare dropout: nn.Dropout;
  declare classifier: nn.Linear;
  numClasses = 2;
  abstract get backbone(): TransformerModel;

  protected buildHead(numClasses: number, dropout?: number | null): void {
    const c = this.backbone.config;
    this.numClasses = numClasses;
    this.dropout = new nn.Dropout(dropout ?? c.hidden_dropout_prob);
    this.classifier = new nn.Linear(c.hidden_size, numClasses, { weightAttr: normalAttr(c) });
  }

  override forward(inputIds: Tensor, x: ModelInputs = {}): Tensor {
    const [seq] = run(this.backbone, inputIds, x);
    return this.classifier.call(this.dropout.call(seq));
  }
}

/** [start_logits, end_logits], each [batch, seq_len], for extractive question answering. */
export abstract class QuestionAnswerer extends nn.Layer {
  declare classifier: nn.Linear;
  abstract get backbone(): TransformerModel;

  protected buildHead(): void {
    const c = this.backbone.config;
    this.classifier = new nn.Linear(c.hidden_size, 2, { weightAttr: normalAttr(c) });
  }

  override forward(inputIds: Tensor, x: ModelInputs = {}): [Tensor, Tensor] {
    const [seq] = run(this.backbone, inputIds, x);
    const logits = this.classifier.call(seq);
    const [start, end] = split(logits, 2, -1) as [Tensor, Tensor];
    return [squeeze(start, -1), squeeze(end, -1)];
  }
}

/**
 * The masked-LM prediction head: transform (Linear, activation, LayerNorm), then scores over the
 * vocabulary with the word embedding matrix (tied: the same Parameter) and its own bias.
 */
export class LMPredictionHead extends nn.Layer {
  transform: nn.Linear;
  layer_norm: nn.LayerNorm;
  decoder_weight: Parameter;
  decoder_bias: Parameter;
  readonly activation: 'gelu' | 'relu';

  constructor(c: EncoderConfig, embeddingWeights: Parameter) {
    super();
    this.transform = new nn.Linear(c.hidden_size, c.hidden_size, { weightAttr: normalAttr(c) });
    this.layer_norm = new nn.LayerNorm(c.hidden_size, { epsilon: LAYER_NORM_EPSILON });
    this.decoder_weight = embeddingWeights;
    this.decoder_bias = this.createParameter([c.vocab_size], { isBias: true });
    this.activation = c.hidden_act;
  }

  /** hidden [n, hidden] (already gathered at the masked positions) → scores [n, vocab_size]. */
  override forward(hidden: Tensor): Tensor {
    const act = this.activation === 'gelu' ? gelu : relu;
    const h = this.layer_norm.call(act(this.transform.call(hidden)));
    return add(matmul(h, this.decoder_weight, false, true), this.decoder_bias);
  }
}

/** Masked-LM predictions and the next-sentence (is B the sentence after A?) scores. */
export class PretrainingHeads extends nn.Layer {
  predictions: LMPredictionHead;
  seq_relationship: nn.Linear;

  constructor(c: EncoderConfig, embeddingWeights: Parameter) {
    super();
    this.predictions = new LMPredictionHead(c, embeddingWeights);
    this.seq_relationship = new nn.Linear(c.hidden_size, 2, { weightAttr: normalAttr(c) });
  }

  /**
   * @param maskedPositions flat indices into batch·seq_len of the masked tokens (PaddleNLP's
   *   masked_positions); only those rows are scored, which saves most of the vocabulary product.
   */
  override forward(sequenceOutput: Tensor, pooled: Tensor, maskedPositions?: Tensor | null): [Tensor, Tensor] {
    const [b, s, h] = sequenceOutput.shape as [number, number, number];
    let hidden = reshape(sequenceOutput, [b * s, h]);
    if (maskedPositions) hidden = gather(hidden, maskedPositions, 0);
    return [this.predictions.call(hidden), this.seq_relationship.call(pooled)];
  }
}

export abstract class Pretrainer extends nn.Layer {
  declare cls: PretrainingHeads;
  abstract get backbone(): TransformerModel;

  protected buildHead(): void {
    const bb = this.backbone;
    this.cls = new PretrainingHeads(bb.config, bb.embeddings.word_embeddings.weight);
  }

  /** [prediction_scores [n_masked, vocab], seq_relationship_score [batch, 2]] */
  override forward(inputIds: Tensor, x: ModelInputs & { maskedPositions?: Tensor | null } = {}): [Tensor, Tensor] {
    const [seq, pooled] = run(this.backbone, inputIds, x);
    return this.cls.call(seq, pooled, x.maskedPositions);
  }
}

/** PaddleNLP's pre-training criterion: mean masked-LM cross entropy plus mean next-sentence cross entropy. */
export function pretrainingLoss(predictionScores: Tensor, seqRelationshipScore: Tensor, maskedLmLabels: Tensor, nextSentenceLabels: Tensor): { loss: Tensor; mlm: Tensor; nsp: Tensor } {
  const mlm = mean(crossEntropy(predictionScores, maskedLmLabels, { reduction: 'none' }));
  const nsp = crossEntropy(seqRelationshipScore, nextSentenceLabels);
  return { loss: add(mlm, nsp), mlm, nsp };
}
