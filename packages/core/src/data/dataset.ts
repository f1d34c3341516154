import { shuffledIndices } from './sampler';

/**
 * A map-style data set (Paddle's `paddle.io.Dataset`): `getItem(i)` returns one sample, possibly
 * as a Promise (image decoding is asynchronous), and `length` is the number of samples.
 */
export abstract class Dataset<T = unknown> {
  abstract getItem(index: number): T | Promise<T>;
  abstract get length(): number;
}

/** A stream of samples without random access (Paddle's `IterableDataset`). */
export abstract class IterableDataset<T = unknown> {
  abstract [Symbol.iterator](): Iterator<T>;
}

/** Samples are the i-th rows of equally long field arrays (Paddle's `TensorDataset`). */
export class TensorDataset<T extends unknown[]> extends Dataset<T> {
  private readonly fields: { [K in keyof T]: ArrayLike<T[K]> };
  constructor(...fields: { [K in keyof T]: ArrayLike<T[K]> }) {
    super();
    const n = fields[0]?.length ?? 0;
    fields.forEach((f, i) => {
      if (f.length !== n) throw new RangeError(`TensorDataset: field ${i} has ${f.length} samples, field 0 has ${n}`);
    });
    this.fields = fields;
  }
  getItem(index: number): T {
    checkIndex(index, this.length, 'TensorDataset');
    return this.fields.map((f) => f[index]) as T;
  }
  get length(): number {
    return this.fields[0]?.length ?? 0;
  }
}

/** The samples of `dataset` at `indices`. */
export class Subset<T> extends Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: number[],
  ) {
    super();
    for (const i of indices) checkIndex(i, dataset.length, 'Subset');
  }
  getItem(index: number): T | Promise<T> {
    checkIndex(index, this.indices.length, 'Subset');
    return this.dataset.getItem(this.indices[index]!);
  }
  get length(): number {
    return this.indices.length;
  }
}

/** Data sets one after another. */
export class ConcatDataset<T> extends Dataset<T> {
  private readonly ends: number[] = [];
  constructor(readonly datasets: Dataset<T>[]) {
    super();
    let acc = 0;
    for (const d of datasets) this.ends.push((acc += d.length));
  }
  getItem(index: number): T | Promise<T> {
    checkIndex(index, this.length, 'ConcatDataset');
    const k = this.ends.findIndex((e) => index < e);
    return this.datasets[k]!.getItem(index - (k > 0 ? this.ends[k - 1]! : 0));
  }
  get length(): number {
    return this.ends[this.ends.length - 1] ?? 0;
  }
}

/** Splits a data set into non-overlapping random subsets of the given lengths (seeded by `seed()`). */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[]): Subset<T>[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total !== dataset.length) {
    throw new RangeError(`randomSplit: lengths sum to ${total}, the data set has ${dataset.length} samples`);
  }
  const perm = shuffledIndices(dataset.length);
  const out: Subset<T>[] = [];
  let off = 0;
  for (const n of lengths) {
    out.push(new Subset(dataset, perm.slice(off, off + n)));
    off += n;
  }
  return out;
}

export function checkIndex(i: number, n: number, where: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${where}: index ${i} is out of range [0, ${n})`);
}
