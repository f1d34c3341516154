/**
 * Metrics of a `Metric.Train` / `Metric.Eval` list (ppcls/metric) and the running averages the
 * logs print. TopkAcc counts a sample as correct at k when fewer than k classes score strictly
 * higher than its label (paddle.metric.accuracy over the top-k indices, with ties resolved in
 * the label's favour).
 */
import type { Tensor } from '@oar/core';
import { entryName } from '../config/schema/common';
import type { MetricEntry } from '../config/schema/metric';

/** Correct counts per metric name for one batch, and the batch size. */
export interface MetricCounts {
  values: Record<string, number>;
  n: number;
}

export interface Metric {
  /** The keys this metric reports (`top1`, `top5`). */
  readonly keys: string[];
  /** Per-key accuracy of the batch (fractions in [0, 1]) and its size. */
  compute(logits: Tensor, label: Tensor): MetricCounts;
}

export class TopkAcc implements Metric {
  readonly topk: number[];
  readonly keys: string[];

  constructor(topk: number | number[], where = 'TopkAcc') {
    this.topk = typeof topk === 'number' ? [topk] : [...topk];
    if (!this.topk.length || this.topk.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new RangeError(`${where}.topk: expected positive integers, got ${JSON.stringify(topk)}`);
    }
    this.keys = this.topk.map((k) => `top${k}`);
  }

  /** Checks the ks against the number of classes, naming the config key. */
  checkClasses(classNum: number, where: string): void {
    const bad = this.topk.filter((k) => k > classNum);
    if (bad.length) throw new RangeError(`${where}.topk: top-${bad.join(', top-')} needs at least that many classes, the model has ${classNum}`);
  }

  compute(logits: Tensor, label: Tensor): MetricCounts {
    if (logits.ndim !== 2) throw new Error(`TopkAcc: expected logits [batch, classes], got [${logits.shape.join(', ')}]`);
    const [b, c] = logits.shape as [number, number];
    if (label.size !== b) throw new Error(`TopkAcc: ${label.size} labels for ${b} rows of logits`);
    const scores = logits.dataSync();
    const labels = label.dataSync();
    const hits = this.topk.map(() => 0);
    for (let i = 0; i < b; i++) {
      const y = Number(labels[i]!);
      if (!(y >= 0 && y < c)) throw new RangeError(`TopkAcc: label ${y} of sample ${i} is outside [0, ${c})`);
      const s = Number(scores[i * c + y]!);
      let above = 0;
      for (let j = 0; j < c; j++) if (Number(scores[i * c + j]!) > s) above++;
      this.topk.forEach((k, t) => {
        if (above < k) hits[t]!++;
      });
    }
    const values: Record<string, number> = {};
    this.keys.forEach((key, t) => (values[key] = hits[t]! / b));
    return { values, n: b };
  }
}

export function buildMetrics(entries: readonly MetricEntry[] | null | undefined, where: string): Metric[] {
  return (entries ?? []).map((e, i) => {
    const name = entryName(e);
    const p = (e as Record<string, { topk: number | number[] }>)[name]!;
    switch (name) {
      case 'TopkAcc':
        return new TopkAcc(p.topk, `${where}.${i}.TopkAcc`);
      default:
        throw new Error(`${where}.${i}: unknown metric ${name}`);
    }
  });
}

/** A running mean weighted by batch size (PaddleClas's AverageMeter). */
export class AverageMeter {
  sum = 0;
  count = 0;
  val = 0;

  update(value: number, n = 1): void {
    this.val = value;
    this.sum += value * n;
    this.count += n;
  }

  get avg(): number {
    return this.count ? this.sum / this.count : 0;
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
    this.val = 0;
  }
}

/** Named meters in insertion order, for log lines such as `CELoss: 0.51, loss: 0.51, top1: 0.83`. */
export class MeterGroup {
  readonly meters = new Map<string, AverageMeter>();

  update(key: string, value: number, n = 1): void {
    let m = this.meters.get(key);
    if (!m) this.meters.set(key, (m = new AverageMeter()));
    m.update(value, n);
  }

  avg(key: string): number | undefined {
    return this.meters.get(key)?.avg;
  }

  averages(): Record<string, number> {
    return Object.fromEntries([...this.meters].map(([k, m]) => [k, m.avg]));
  }

  reset(): void {
    this.meters.clear();
  }
}
