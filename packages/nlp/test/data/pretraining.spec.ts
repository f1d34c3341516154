/** Pre-training instances: sentence pairs, next-sentence labels, and 15% masking split 80/10/10. */
import { BertTokenizer } from '../../src/tokenizers';
import { Rng, createInstances, documentsFromSentences, makePretrainBatch, maskSequence, DEFAULT_INSTANCE_OPTIONS } from '../../src/data';

const sp = { cls: 101, sep: 102, mask: 103, vocabSize: 30522 };

describe('maskSequence', () => {
  it('masks 15% of the non-special tokens, 80% [MASK] / 10% random / 10% kept', () => {
    const rng = new Rng(1);
    const counts = { mask: 0, kept: 0, random: 0, chosen: 0, tokens: 0 };
    for (let i = 0; i < 400; i++) {
      const ids = [101, ...Array.from({ length: 60 }, (_, k) => 2000 + k), 102];
      const m = maskSequence(ids, rng, sp, { maskProb: 0.15, maxPredictions: 100 });
      counts.tokens += 60;
      counts.chosen += m.positions.length;
      expect(m.positions.every((p) => p > 0 && p < 61)).toBe(true);
      expect(m.labels).toEqual(m.positions.map((p) => ids[p]));
      expect([m.ids[0], m.ids[61]]).toEqual([101, 102]);
      for (const p of m.positions) {
        if (m.ids[p] === 103) counts.mask++;
        else if (m.ids[p] === ids[p]) counts.kept++;
        else counts.random++;
      }
    }
    expect(counts.chosen / counts.tokens).toBeCloseTo(0.15, 2);
    expect(counts.mask / counts.chosen).toBeGreaterThan(0.77);
    expect(counts.mask / counts.chosen).toBeLessThan(0.83);
    expect(counts.kept / counts.chosen).toBeGreaterThan(0.08);
    expect(counts.random / counts.chosen).toBeGreaterThan(0.08);
  });

  it('caps the predictions per sequence', () => {
    const ids = [101, ...Array.from({ length: 200 }, (_, k) => 2000 + k), 102];
    expect(maskSequence(ids, new Rng(2), sp, { maskProb: 0.15, maxPredictions: 20 }).positions).toHaveLength(20);
  });
});

describe('createInstances', () => {
  const tok = BertTokenizer.fromPretrained('bert-base-uncased');
  const sentences = Array.from({ length: 60 }, (_, i) => `sentence number ${i} says something about the weather today.`);
  const docs = documentsFromSentences(sentences, tok, 20);

  it('makes [CLS] A [SEP] B [SEP] pairs within the length, with both next-sentence labels', () => {
    const inst = createInstances(docs, new Rng(3), sp, { ...DEFAULT_INSTANCE_OPTIONS, maxSeqLength: 40 });
    expect(inst.length).toBeGreaterThan(10);
    for (const x of inst) {
      expect(x.inputIds.length).toBeLessThanOrEqual(40);
      expect(x.inputIds[0]).toBe(101);
      expect(x.inputIds[x.inputIds.length - 1]).toBe(102);
      const firstSep = x.inputIds.indexOf(102);
      expect(x.tokenTypeIds.slice(0, firstSep + 1).every((t) => t === 0)).toBe(true);
      expect(x.tokenTypeIds.slice(firstSep + 1).every((t) => t === 1)).toBe(true);
    }
    const random = inst.filter((x) => x.nspLabel === 1).length;
    expect(random).toBeGreaterThan(0);
    expect(random).toBeLessThan(inst.length);
  });

  it('is the same for the same seed', () => {
    const a = createInstances(docs, new Rng(4), sp, DEFAULT_INSTANCE_OPTIONS);
    const b = createInstances(docs, new Rng(4), sp, DEFAULT_INSTANCE_OPTIONS);
    expect(a).toEqual(b);
  });

  it('batches masked positions as flat indices into batch × length', () => {
    const inst = createInstances(docs, new Rng(5), sp, { ...DEFAULT_INSTANCE_OPTIONS, maxSeqLength: 32 }).slice(0, 3);
    const b = makePretrainBatch(inst, 0);
    const len = b.inputIds.shape[1]!;
    const flatIds = (b.inputIds.toArray() as number[][]).flat();
    const positions = b.maskedPositions.toArray() as number[];
    expect(positions).toEqual(inst.flatMap((x, i) => x.maskedPositions.map((p) => i * len + p)));
    // The ids at those positions are the corrupted ones; labels hold the originals.
    expect(positions.map((p) => flatIds[p])).toEqual(inst.flatMap((x) => x.maskedPositions.map((p) => x.inputIds[p])));
    expect((b.maskedLabels.toArray() as number[][]).map((r) => r[0])).toEqual(inst.flatMap((x) => x.maskedLabels));
    expect(b.nspLabels.shape).toEqual([3, 1]);
  });
});
