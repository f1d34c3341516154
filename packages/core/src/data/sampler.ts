import { engine } from '../engine/engine';
import { philoxUniform } from '../random/philox';
import type { Dataset } from './dataset';

/** A permutation of 0..n-1 drawn from the core Philox generator, so `seed()` makes it repeat. */
export function shuffledIndices(n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const st = engine.reserveRandom(Math.ceil(n / 4) + 1);
  const u = philoxUniform(st.key, st.offset, n);
  // Fisher–Yates from the back.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/** Yields sample indices. */
export interface Sampler {
  [Symbol.iterator](): Iterator<number>;
  readonly length: number;
}

export class SequenceSampler implements Sampler {
  constructor(private readonly n: number) {}
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
  get length(): number {
    return this.n;
  }
}

/** A fresh seeded permutation on every pass. */
export class RandomSampler implements Sampler {
  constructor(private readonly n: number) {}
  *[Symbol.iterator](): Iterator<number> {
    yield* shuffledIndices(this.n);
  }
  get length(): number {
    return this.n;
  }
}

/** Yields lists of indices. */
export interface BatchSamplerLike {
  [Symbol.iterator](): Iterator<number[]>;
  readonly length: number;
}

export interface BatchSamplerOptions {
  dataset?: { length: number };
  sampler?: Sampler;
  shuffle?: boolean;
  batchSize?: number;
  dropLast?: boolean;
}

/** Groups sample indices into batches (Paddle's `BatchSampler`). */
export class BatchSampler implements BatchSamplerLike {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly dropLast: boolean;
  constructor(opts: BatchSamplerOptions) {
    const bs = opts.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`BatchSampler: batchSize must be a positive integer, got ${bs}`);
    if (opts.sampler && opts.dataset) throw new Error('BatchSampler: give either dataset or sampler, not both');
    if (opts.sampler) this.sampler = opts.sampler;
    else if (opts.dataset) this.sampler = opts.shuffle ? new RandomSampler(opts.dataset.length) : new SequenceSampler(opts.dataset.length);
    else throw new Error('BatchSampler: a dataset or a sampler is required');
    this.batchSize = bs;
    this.dropLast = !!opts.dropLast;
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length && !this.dropLast) yield batch;
  }
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

export interface DistributedBatchSamplerOptions {
  numReplicas?: number;
  rank?: number;
  shuffle?: boolean;
  dropLast?: boolean;
}

/**
 * Each of `numReplicas` processes takes its own share of every epoch (Paddle's
 * `DistributedBatchSampler`): indices are padded by wrapping around to a multiple of the
 * replica count, then batch i of the epoch goes to rank i mod numReplicas. Call `setEpoch` so
 * each epoch shuffles differently but identically on every rank. Rank and world size default to
 * `PADDLE_TRAINER_ID` and `PADDLE_TRAINERS_NUM`, as Paddle's launcher sets them.
 */
export class DistributedBatchSampler implements BatchSamplerLike {
  readonly numReplicas: number;
  readonly rank: number;
  readonly numSamples: number;
  readonly totalSize: number;
  private epoch = 0;
  constructor(
    readonly dataset: Dataset<unknown> | { length: number },
    readonly batchSize: number,
    private readonly opts: DistributedBatchSamplerOptions = {},
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`DistributedBatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    }
    this.numReplicas = opts.numReplicas ?? Number(process.env.PADDLE_TRAINERS_NUM ?? 1);
    this.rank = opts.rank ?? Number(process.env.PADDLE_TRAINER_ID ?? 0);
    if (!(this.rank >= 0 && this.rank < this.numReplicas)) {
      throw new RangeError(`DistributedBatchSampler: rank ${this.rank} is outside [0, ${this.numReplicas})`);
    }
    this.numSamples = Math.ceil(dataset.length / this.numReplicas);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** This rank's sample indices for the current epoch. */
  localIndices(): number[] {
    const n = this.dataset.length;
    let indices = Array.from({ length: n }, (_, i) => i);
    if (this.opts.shuffle) indices = epochPermutation(n, this.epoch);
    while (indices.length < this.totalSize) indices.push(...indices.slice(0, this.totalSize - indices.length));
    const out: number[] = [];
    const stride = this.batchSize * this.numReplicas;
    const full = this.totalSize - (this.totalSize % stride);
    for (let i = this.rank * this.batchSize; i < full; i += stride) out.push(...indices.slice(i, i + this.batchSize));
    // The tail that does not fill a batch on every rank is split evenly.
    const tail = indices.slice(full);
    const per = tail.length / this.numReplicas;
    out.push(...tail.slice(this.rank * per, (this.rank + 1) * per));
    return out;
  }

  *[Symbol.iterator](): Iterator<number[]> {
    const idx = this.localIndices();
    for (let i = 0; i < idx.length; i += this.batchSize) {
      const b = idx.slice(i, i + this.batchSize);
      if (b.length < this.batchSize && this.opts.dropLast) break;
      yield b;
    }
  }

  get length(): number {
    return this.opts.dropLast ? Math.floor(this.numSamples / this.batchSize) : Math.ceil(this.numSamples / this.batchSize);
  }
}

/** A permutation that depends only on (n, epoch): every rank computes the same one. */
function epochPermutation(n: number, epoch: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const u = philoxUniform([0x5eed, epoch >>> 0], 0, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}
