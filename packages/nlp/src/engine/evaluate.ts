/** Accuracy and mean loss of a classifier over features, in batches, without gradients. */
import { argmax, crossEntropy, noGrad, softmax, tidy, type Tensor } from '@oar/core';
import { batchIndices, makeBatch, type Feature } from '../data/batching';
import type { SequenceClassifier } from '../models/heads';

export interface EvalResult {
  acc: number;
  loss: number;
  count: number;
}

export function evaluate(model: SequenceClassifier, features: readonly Feature[], batchSize: number, padId: number): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  try {
    noGrad(() => {
      for (const idx of batchIndices(features.map((_, i) => i), batchSize)) {
        tidy(() => {
          const b = makeBatch(idx.map((i) => features[i]!), padId);
          const logits = model.call(b.inputIds, { tokenTypeIds: b.tokenTypeIds, attentionMask: b.attentionMask });
          lossSum += crossEntropy(logits, b.labels, { reduction: 'sum' }).item();
          const pred = argmax(logits, -1).toArray() as number[];
          const gold = (b.labels.toArray() as number[][]).map((r) => r[0]!);
          pred.forEach((p, i) => (correct += Number(p) === gold[i] ? 1 : 0));
        });
      }
    });
  } finally {
    if (wasTraining) model.train();
  }
  const n = features.length;
  return { acc: n ? correct / n : 0, loss: n ? lossSum / n : 0, count: n };
}

/** Class probabilities for each feature. */
export function predictProbabilities(model: SequenceClassifier, features: readonly Feature[], batchSize: number, padId: number): number[][] {
  model.eval();
  const out: number[][] = [];
  noGrad(() => {
    for (const idx of batchIndices(features.map((_, i) => i), batchSize)) {
      tidy(() => {
        const b = makeBatch(idx.map((i) => features[i]!), padId);
        const probs = softmax(model.call(b.inputIds, { tokenTypeIds: b.tokenTypeIds, attentionMask: b.attentionMask }) as Tensor, -1);
        out.push(...(probs.toArray() as number[][]));
      });
    }
  });
  return out;
}
