import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crossEntropy, tensor, tidy } from '@oar/core';
import { CombinedLoss, mainLogits } from '../../src/loss';
import { AverageMeter, TopkAcc, buildMetrics } from '../../src/metric';
import { Topk, readClassIdMap } from '../../src/postprocess';
import { LossListSchema } from '../../src/config/schema/loss';
import { MetricListSchema } from '../../src/config/schema/metric';

const LOGITS = [
  [2, 1, 0.5, 0],
  [0, 3, 1, 2],
  [1, 1, 4, 0],
];
const LABELS = [0, 3, 1];

describe('losses', () => {
  test('CELoss is the mean cross entropy, scaled by weight; loss sums the terms', () => {
    tidy(() => {
      const x = tensor(LOGITS, { dtype: 'float32' });
      const y = tensor(BigInt64Array.from(LABELS.map(BigInt)));
      const ref = crossEntropy(x, tensor(BigInt64Array.from(LABELS.map(BigInt)), { shape: [3, 1] })).item();
      const loss = new CombinedLoss(LossListSchema.parse([{ CELoss: { weight: 0.5 } }]));
      const d = loss.compute(x, { kind: 'hard', label: y });
      expect(Object.keys(d)).toEqual(['CELoss', 'loss']);
      expect(d.CELoss!.item()).toBeCloseTo(0.5 * ref, 5);
      expect(d.loss!.item()).toBeCloseTo(0.5 * ref, 5);
    });
  });

  test('CELoss epsilon smooths the labels', () => {
    tidy(() => {
      const x = tensor(LOGITS, { dtype: 'float32' });
      const y = tensor(BigInt64Array.from(LABELS.map(BigInt)));
      const plain = new CombinedLoss(LossListSchema.parse([{ CELoss: null }])).compute(x, { kind: 'hard', label: y }).loss!.item();
      const smooth = new CombinedLoss(LossListSchema.parse([{ CELoss: { epsilon: 0.1 } }])).compute(x, { kind: 'hard', label: y }).loss!.item();
      // By hand: -sum(((1-e)·onehot + e/C) · log_softmax), averaged.
      let want = 0;
      LOGITS.forEach((row, i) => {
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        row.forEach((v, j) => (want -= ((j === LABELS[i] ? 0.9 : 0) + 0.1 / 4) * (v - lse)));
      });
      expect(smooth).toBeCloseTo(want / 3, 5);
      expect(smooth).not.toBeCloseTo(plain, 3);
    });
  });

  test('MixCELoss weighs the two labels by lam', () => {
    tidy(() => {
      const x = tensor(LOGITS, { dtype: 'float32' });
      const a = tensor(BigInt64Array.from([0n, 1n, 2n]));
      const b = tensor(BigInt64Array.from([3n, 3n, 3n]));
      const lam = tensor([0.25, 0.25, 0.25], { dtype: 'float32' });
      const ce = (l: bigint[]) => crossEntropy(x, tensor(BigInt64Array.from(l), { shape: [3, 1] })).item();
      const d = new CombinedLoss(LossListSchema.parse([{ MixCELoss: null }])).compute(x, { kind: 'mixed', labelA: a, labelB: b, lam });
      expect(d.MixCELoss!.item()).toBeCloseTo(0.25 * ce([0n, 1n, 2n]) + 0.75 * ce([3n, 3n, 3n]), 5);
      expect(() => new CombinedLoss(LossListSchema.parse([{ CELoss: null }]), 'Loss.Train').compute(x, { kind: 'mixed', labelA: a, labelB: b, lam })).toThrow(
        /Loss\.Train\.0: CELoss takes plain labels.*use MixCELoss/,
      );
    });
  });

  test('GoogLeNetLoss adds the auxiliary heads at 0.3 and needs all three', () => {
    tidy(() => {
      const x = tensor(LOGITS, { dtype: 'float32' });
      const y = tensor(BigInt64Array.from(LABELS.map(BigInt)));
      const one = new CombinedLoss(LossListSchema.parse([{ CELoss: null }])).compute(x, { kind: 'hard', label: y }).loss!.item();
      const g = new CombinedLoss(LossListSchema.parse([{ GoogLeNetLoss: null }]), 'Loss.Train');
      expect(g.compute([x, x, x], { kind: 'hard', label: y }).GoogLeNetLoss!.item()).toBeCloseTo(1.6 * one, 5);
      expect(() => g.compute(x, { kind: 'hard', label: y })).toThrow(/GoogLeNetLoss needs the model's three outputs/);
      expect(mainLogits([x, x])).toBe(x);
      expect(mainLogits({ logits: x })).toBe(x);
    });
  });
});

describe('TopkAcc', () => {
  test('counts a label within the k best scores', () => {
    tidy(() => {
      const m = new TopkAcc([1, 2]);
      const r = m.compute(tensor(LOGITS, { dtype: 'float32' }), tensor(BigInt64Array.from(LABELS.map(BigInt))));
      // Row 0: label 0 is best. Row 1: label 3 is second. Row 2: label 1 ties for second.
      expect(r).toEqual({ values: { top1: 1 / 3, top2: 1 }, n: 3 });
    });
  });

  test('built from Metric lists; k above the class count is an error naming the key', () => {
    const [m] = buildMetrics(MetricListSchema.parse([{ TopkAcc: { topk: [1, 5] } }]), 'Metric.Eval');
    expect(m!.keys).toEqual(['top1', 'top5']);
    expect(() => (m as TopkAcc).checkClasses(4, 'Metric.Eval.0.TopkAcc')).toThrow('Metric.Eval.0.TopkAcc.topk: top-5 needs at least that many classes, the model has 4');
  });

  test('AverageMeter weighs by batch size', () => {
    const a = new AverageMeter();
    a.update(1, 3);
    a.update(0, 1);
    expect(a.avg).toBe(0.75);
  });
});

describe('Topk post-processing', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-topk-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('top-k ids, softmax scores and names from class_id_map_file', () => {
    const map = path.join(dir, 'labels.txt');
    fs.writeFileSync(map, '0 cat\n1 dog\n2 red fox\n3 owl\n\n');
    tidy(() => {
      const t = new Topk({ topk: 2, class_id_map_file: map });
      const [r0, r1] = t.apply(tensor(LOGITS.slice(0, 2), { dtype: 'float32' }), ['a.png', 'b.png']);
      const e = LOGITS[0]!.map(Math.exp);
      const z = e.reduce((s, v) => s + v, 0);
      expect(r0).toEqual({ class_ids: [0, 1], scores: [+(e[0]! / z).toFixed(5), +(e[1]! / z).toFixed(5)], file_name: 'a.png', label_names: ['cat', 'dog'] });
      expect(r1!.class_ids).toEqual([1, 3]);
      expect(r1!.label_names).toEqual(['dog', 'owl']);
    });
    expect(readClassIdMap(map).get(2)).toBe('red fox');
  });

  test('a malformed map file names the file and line', () => {
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, '0 cat\ndog 1\n');
    expect(() => readClassIdMap(bad)).toThrow(`class_id_map_file ${bad}:2: expected "<class id> <name>", got "dog 1"`);
    expect(() => readClassIdMap(path.join(dir, 'none.txt'))).toThrow(/cannot read it \(ENOENT\)/);
  });
});
