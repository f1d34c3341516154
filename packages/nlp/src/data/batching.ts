/**
 * Examples to model inputs: tokenized once (truncated to max_seq_length), then batched in a
 * given order and padded to the longest input of each batch, which on short sentences saves
 * most of the compute that padding to max_seq_length would spend.
 */
import { tensor, type Tensor } from '@oar/core';
import type { BertTokenizer } from '../tokenizers/bert';
import type { Example } from './text-classification';

export interface Feature {
  input_ids: number[];
  token_type_ids: number[];
  label: number;
}

export function featurize(examples: readonly Example[], tokenizer: BertTokenizer, maxSeqLength: number): Feature[] {
  return examples.map((ex) => {
    const e = tokenizer.encode(ex.text, ex.textPair ?? null, { maxSeqLen: maxSeqLength, truncationStrategy: 'longest_first' });
    return { input_ids: e.input_ids, token_type_ids: e.token_type_ids, label: ex.label };
  });
}

export interface Batch {
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
  /** [batch, 1] int64 */
  labels: Tensor;
  size: number;
}

/** Pads token rows to one length: ids with `padId`, types with 0; the mask marks real tokens. */
export function padRows(rows: readonly (readonly number[])[], types: readonly (readonly number[])[], padId: number): { ids: Tensor; types: Tensor; mask: Tensor } {
  const len = Math.max(...rows.map((r) => r.length));
  const n = rows.length;
  const ids = new Array<number>(n * len).fill(padId);
  const tt = new Array<number>(n * len).fill(0);
  const mask = new Array<number>(n * len).fill(0);
  rows.forEach((r, i) => {
    r.forEach((id, j) => {
      ids[i * len + j] = id;
      tt[i * len + j] = types[i]![j]!;
      mask[i * len + j] = 1;
    });
  });
  const shape = [n, len];
  return { ids: tensor(ids, { shape, dtype: 'int64' }), types: tensor(tt, { shape, dtype: 'int64' }), mask: tensor(mask, { shape, dtype: 'int64' }) };
}

export function makeBatch(features: readonly Feature[], padId: number): Batch {
  const { ids, types, mask } = padRows(
    features.map((f) => f.input_ids),
    features.map((f) => f.token_type_ids),
    padId,
  );
  return { inputIds: ids, tokenTypeIds: types, attentionMask: mask, labels: tensor(features.map((f) => [f.label]), { dtype: 'int64' }), size: features.length };
}

/** Index groups of `batchSize` over `order` (the last one may be short). */
export function batchIndices(order: readonly number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * Batches for one training epoch: shuffled, then grouped by length within windows of 50 batches
 * so that each batch pads to a similar length (short sentences next to short ones), and the
 * batches shuffled again. On sentences of very different lengths this halves the padding
 * compute while every batch still mixes examples from across the data.
 */
export function bucketedBatches(lengths: readonly number[], batchSize: number, rng: { shuffle<T>(a: T[]): T[] }): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const window = batchSize * 50;
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return rng.shuffle(batches);
}
