import { data, seed, type Tensor } from '@oar/core';
import { CutmixOperator, MixupOperator, createBatchCollate, createBatchOperators, random, type LabeledSample } from '../src';

const vals = (a: { data: unknown }): number[] => Array.from(a.data as ArrayLike<number>);

/** Sample i: a [C, H, W] float32 image filled with 10·(i + 1), label i. */
function batch(n: number, c = 2, h = 8, w = 6): LabeledSample[] {
  return Array.from({ length: n }, (_, i) => [data.hostArray(new Float32Array(c * h * w).fill(10 * (i + 1)), [c, h, w], 'float32'), i] as const);
}

describe('MixupOperator', () => {
  it('mixes each image with a permuted partner by one lam and returns (image, label_a, label_b, lam)', () => {
    seed(4);
    const out = new MixupOperator({ alpha: 0.4 }).apply(batch(5));
    const lam = out[0]![3];
    expect(lam).toBeGreaterThan(0);
    expect(lam).toBeLessThan(1);
    const partners = out.map(([, a, b, l]) => {
      expect(l).toBe(lam);
      return [a, b];
    });
    expect(partners.map(([a]) => a)).toEqual([0, 1, 2, 3, 4]);
    // label_b is a permutation of the labels.
    expect(partners.map(([, b]) => b).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const [img, a, b] of out) {
      expect(img.shape).toEqual([2, 8, 6]);
      expect(img.dtype).toBe('float32');
      const want = Math.fround(lam * 10 * (a + 1) + (1 - lam) * 10 * (b + 1));
      expect(new Set(vals(img))).toEqual(new Set([want]));
    }
  });

  it('repeats after seed() and checks alpha and the batch', () => {
    const op = new MixupOperator();
    seed(9);
    const a = op.apply(batch(4)).map((s) => [s[2], s[3]]);
    seed(9);
    expect(op.apply(batch(4)).map((s) => [s[2], s[3]])).toEqual(a);
    expect(() => new MixupOperator({ alpha: 0 })).toThrow('MixupOperator parameters:\n  alpha: must be > 0, got 0');
    const odd = [...batch(2), [data.hostArray(new Float32Array(4), [1, 2, 2], 'float32'), 2] as const];
    expect(() => op.apply(odd)).toThrow('MixupOperator: sample 2 has shape [1, 2, 2], sample 0 [2, 8, 6]; batch images must match');
    expect(() => op.apply([[data.hostArray(new Float32Array(4), [4], 'float32'), 0]])).toThrow('MixupOperator expects CHW images, got shape [4]');
    expect(() => op.apply([[batch(1)[0]![0], 0.5]])).toThrow('MixupOperator: sample 0 has label 0.5, expected an integer class id');
  });
});

describe('CutmixOperator', () => {
  it('pastes one box from the partner and sets lam to the untouched share', () => {
    seed(12);
    const op = new CutmixOperator({ alpha: 1 });
    let sawBox = false;
    for (let round = 0; round < 5; round++) {
      const out = op.apply(batch(4, 2, 10, 8));
      const lam = out[0]![3];
      for (const [img, a, b, l] of out) {
        expect(l).toBe(lam);
        const px = img.data as Float32Array;
        const pasted = px.filter((v) => v !== 10 * (a + 1)).length;
        if (a !== b) {
          // Pasted pixels, over both channels, are (1 − lam) of the image and all the partner's.
          expect(pasted).toBe(Math.round((1 - lam) * px.length));
          expect(px.every((v) => v === 10 * (a + 1) || v === 10 * (b + 1))).toBe(true);
          if (pasted > 0) sawBox = true;
        }
        // Channel 0 and channel 1 carry the same box.
        expect(Array.from(px.subarray(0, 80))).toEqual(Array.from(px.subarray(80)));
      }
    }
    expect(sawBox).toBe(true);
  });

  it('clips the box to the image', () => {
    seed(0);
    const op = new CutmixOperator();
    for (let i = 0; i < 50; i++) {
      const [y1, x1, y2, x2] = op.randBox(7, 5, random.random());
      expect(0 <= y1 && y1 <= y2 && y2 <= 7 && 0 <= x1 && x1 <= x2 && x2 <= 5).toBe(true);
    }
    // lam = 0 asks for the whole image: a box of side 7 x 5 centred somewhere, clipped.
    const [y1, x1, y2, x2] = op.randBox(7, 5, 0);
    expect(y2 - y1).toBeGreaterThanOrEqual(3);
    expect(x2 - x1).toBeGreaterThanOrEqual(2);
  });
});

describe('beta draws', () => {
  it('have the Beta(a, a) mean and, for small a, pile up near 0 and 1', () => {
    seed(21);
    const mid = Array.from({ length: 4000 }, () => random.beta(2, 2));
    expect(mid.reduce((s, v) => s + v, 0) / mid.length).toBeCloseTo(0.5, 1);
    // Var(Beta(2, 2)) = 1/20.
    expect(mid.reduce((s, v) => s + (v - 0.5) ** 2, 0) / mid.length).toBeCloseTo(0.05, 2);
    const small = Array.from({ length: 4000 }, () => random.beta(0.2, 0.2));
    expect(small.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(small.filter((v) => v < 0.1 || v > 0.9).length / small.length).toBeGreaterThan(0.6);
  });
});

describe('batch collate', () => {
  it('stacks mixed batches into images, label_a, label_b and lam tensors', () => {
    const ops = createBatchOperators([{ MixupOperator: { alpha: 0.2 } }], 'DataLoader.Train.dataset.batch_transform_ops');
    const [images, la, lb, lam] = createBatchCollate(ops)(batch(3)) as Tensor[];
    expect(images!.shape).toEqual([3, 2, 8, 6]);
    expect(images!.dtype).toBe('float32');
    expect(la!.dtype).toBe('int64');
    expect(la!.toArray()).toEqual([0, 1, 2]);
    expect(lb!.shape).toEqual([3]);
    expect(lam!.dtype).toBe('float32');
    expect(lam!.shape).toEqual([3]);
    for (const t of [images, la, lb, lam]) t!.dispose();
    // Without batch operators: core's collate, (images, labels).
    const [im2, l2] = createBatchCollate([])(batch(2)) as Tensor[];
    expect(im2!.shape).toEqual([2, 2, 8, 6]);
    expect(l2!.toArray()).toEqual([0, 1]);
    im2!.dispose();
    l2!.dispose();
  });

  it('rejects more than one batch operator and per-sample operators in the batch list', () => {
    expect(() => createBatchOperators([{ MixupOperator: null }, { CutmixOperator: null }], 'b')).toThrow(
      'invalid config b:\n  b: takes one batch operator, got MixupOperator, CutmixOperator',
    );
    expect(() => createBatchOperators([{ RandFlipImage: null }], 'b')).toThrow('b.0.RandFlipImage: RandFlipImage is a per-sample operator; list it under transform_ops');
    expect(() => createBatchOperators([{ MixUpOperator: null }], 'b')).toThrow('b.0.MixUpOperator: unknown key (did you mean MixupOperator?)');
  });
});
