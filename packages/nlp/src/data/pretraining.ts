/**
 * Masked-LM + next-sentence pre-training data from raw text, after BERT's
 * create_pretraining_data: documents are split into chunks of sentences filling max_seq_length;
 * each chunk gives sentence A (its first sentences) and B (the rest, or, half of the time, a
 * random stretch of another document: the next-sentence label); then 15% of the tokens are
 * chosen for prediction, of which 80% become [MASK], 10% a random token and 10% stay.
 */
import * as fs from 'fs';
import { tensor, type Tensor } from '@oar/core';
import type { BertTokenizer } from '../tokenizers/bert';
import { padRows } from './batching';
import { Rng } from './random';
import { DataError } from './text-classification';

/** A document: its sentences as token ids (no special tokens). */
export type Document = number[][];

export interface PretrainInstance {
  inputIds: number[];
  tokenTypeIds: number[];
  /** Positions (within the sequence) whose original token is to be predicted. */
  maskedPositions: number[];
  maskedLabels: number[];
  /** 1 when B is a random stretch, 0 when it follows A (BERT's next_sentence_label). */
  nspLabel: number;
}

export interface InstanceOptions {
  maxSeqLength: number;
  maskProb: number;
  /** At most this many predictions per sequence (BERT's max_predictions_per_seq). */
  maxPredictions: number;
  /** Probability of a shorter target length, so the model also sees short inputs (BERT: 0.1). */
  shortSeqProb: number;
}

export const DEFAULT_INSTANCE_OPTIONS: InstanceOptions = { maxSeqLength: 128, maskProb: 0.15, maxPredictions: 20, shortSeqProb: 0.1 };

/**
 * Raw text as BERT's pre-training input reads it: one sentence per line, documents separated by
 * blank lines. With `tsvColumn`, each line is a TSV record and that column is the sentence.
 */
export function readDocuments(files: readonly string[], tokenizer: BertTokenizer, tsvColumn: number | null = null): Document[] {
  const docs: Document[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new DataError(`cannot read pre-training text ${file}: ${(e as Error).message}`);
    }
    let doc: Document = [];
    text.split('\n').forEach((raw, i) => {
      let line = raw.replace(/\r$/, '');
      if (tsvColumn !== null && line.trim() !== '') {
        const cols = line.split('\t');
        if (cols.length <= tsvColumn) throw new DataError(`${file}:${i + 1}: expected at least ${tsvColumn + 1} tab-separated columns, got ${cols.length}`);
        line = cols[tsvColumn]!;
      }
      if (line.trim() === '') {
        if (doc.length) docs.push(doc);
        doc = [];
        return;
      }
      const ids = tokenizer.convertTokensToIds(tokenizer.tokenize(line));
      if (ids.length) doc.push(ids);
    });
    if (doc.length) docs.push(doc);
  }
  if (docs.length === 0) throw new DataError(`no text to pre-train on in ${files.join(', ')}`);
  return docs;
}

/** Sentences as documents (for sentence lists held in memory): `perDocument` consecutive sentences each. */
export function documentsFromSentences(sentences: readonly string[], tokenizer: BertTokenizer, perDocument = 1000): Document[] {
  const docs: Document[] = [];
  for (let i = 0; i < sentences.length; i += perDocument) {
    const doc = sentences
      .slice(i, i + perDocument)
      .map((s) => tokenizer.convertTokensToIds(tokenizer.tokenize(s)))
      .filter((d) => d.length > 0);
    if (doc.length) docs.push(doc);
  }
  return docs;
}

export interface SpecialIdsForMasking {
  cls: number;
  sep: number;
  mask: number;
  vocabSize: number;
}

/** Truncates the longer side one token at a time, from the front or the back at random (as BERT does). */
function truncatePair(a: number[], b: number[], max: number, rng: Rng): void {
  while (a.length + b.length > max) {
    const longer = a.length > b.length ? a : b;
    if (rng.next() < 0.5) longer.shift();
    else longer.pop();
  }
}

/** Chooses tokens for prediction and corrupts them 80/10/10; specials are never chosen. */
export function maskSequence(ids: number[], rng: Rng, sp: SpecialIdsForMasking, opts: Pick<InstanceOptions, 'maskProb' | 'maxPredictions'>): { ids: number[]; positions: number[]; labels: number[] } {
  const candidates = ids.map((id, i) => (id === sp.cls || id === sp.sep ? -1 : i)).filter((i) => i >= 0);
  rng.shuffle(candidates);
  const n = Math.min(opts.maxPredictions, Math.max(1, Math.round(candidates.length * opts.maskProb)));
  const chosen = candidates.slice(0, n).sort((x, y) => x - y);
  const out = ids.slice();
  for (const p of chosen) {
    const r = rng.next();
    if (r < 0.8) out[p] = sp.mask;
    else if (r < 0.9) out[p] = ids[p]!;
    else out[p] = rng.int(sp.vocabSize);
  }
  return { ids: out, positions: chosen, labels: chosen.map((p) => ids[p]!) };
}

/** One epoch of instances, drawn with `rng`. */
export function createInstances(docs: readonly Document[], rng: Rng, sp: SpecialIdsForMasking, opts: InstanceOptions): PretrainInstance[] {
  const maxTokens = opts.maxSeqLength - 3;
  if (maxTokens < 2) throw new DataError(`max_seq_length ${opts.maxSeqLength} is too short for a sentence pair (at least 5)`);
  const out: PretrainInstance[] = [];
  docs.forEach((doc, d) => {
    const target = rng.next() < opts.shortSeqProb ? 2 + rng.int(maxTokens - 1) : maxTokens;
    let chunk: number[][] = [];
    let len = 0;
    for (let i = 0; i < doc.length; i++) {
      chunk.push(doc[i]!);
      len += doc[i]!.length;
      if (i !== doc.length - 1 && len < target) continue;
      const aEnd = chunk.length >= 2 ? 1 + rng.int(chunk.length - 1) : 1;
      const a = chunk.slice(0, aEnd).flat();
      let b: number[];
      let isRandom: boolean;
      if (chunk.length === 1 || rng.next() < 0.5) {
        isRandom = true;
        // B from another document when there is one; the chunk's unused sentences go back.
        const others = docs.length > 1 ? docs.length - 1 : 1;
        let r = rng.int(others);
        if (docs.length > 1 && r >= d) r++;
        const other = docs[r]!;
        const start = rng.int(other.length);
        b = [];
        for (let j = start; j < other.length; j++) {
          b.push(...other[j]!);
          if (b.length >= target - a.length) break;
        }
        i -= chunk.length - aEnd;
      } else {
        isRandom = false;
        b = chunk.slice(aEnd).flat();
      }
      truncatePair(a, b, maxTokens, rng);
      if (a.length === 0 || b.length === 0) {
        chunk = [];
        len = 0;
        continue;
      }
      const ids = [sp.cls, ...a, sp.sep, ...b, sp.sep];
      const types = ids.map((_, k) => (k <= a.length + 1 ? 0 : 1));
      const m = maskSequence(ids, rng, sp, opts);
      out.push({ inputIds: m.ids, tokenTypeIds: types, maskedPositions: m.positions, maskedLabels: m.labels, nspLabel: isRandom ? 1 : 0 });
      chunk = [];
      len = 0;
    }
  });
  return out;
}

export interface PretrainBatch {
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
  /** Flat indices into batch·seq_len (PaddleNLP's masked_positions). */
  maskedPositions: Tensor;
  /** [n_masked, 1] */
  maskedLabels: Tensor;
  /** [batch, 1] */
  nspLabels: Tensor;
  size: number;
}

export function makePretrainBatch(instances: readonly PretrainInstance[], padId: number): PretrainBatch {
  const { ids, types, mask } = padRows(
    instances.map((x) => x.inputIds),
    instances.map((x) => x.tokenTypeIds),
    padId,
  );
  const len = ids.shape[1]!;
  const positions: number[] = [];
  const labels: number[][] = [];
  instances.forEach((x, i) => {
    x.maskedPositions.forEach((p, k) => {
      positions.push(i * len + p);
      labels.push([x.maskedLabels[k]!]);
    });
  });
  return {
    inputIds: ids,
    tokenTypeIds: types,
    attentionMask: mask,
    maskedPositions: tensor(positions, { dtype: 'int64' }),
    maskedLabels: tensor(labels, { dtype: 'int64' }),
    nspLabels: tensor(instances.map((x) => [x.nspLabel]), { dtype: 'int64' }),
    size: instances.length,
  };
}
