import { engine } from '../engine/engine';
import { philoxUniform } from '../random/philox';
import { Tensor } from '../tensor/tensor';
import { defaultCollate, type Collated } from './collate';
import { Dataset, IterableDataset } from './dataset';
import { BatchSampler, type BatchSamplerLike } from './sampler';
import { isWorkerCapable, WorkerPool } from './worker-pool';

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Overrides batchSize/shuffle/dropLast (e.g. a DistributedBatchSampler). */
  batchSampler?: BatchSamplerLike;
  /** Turns a list of samples into a batch; default stacks them into tensors. */
  collateFn?: (samples: T[]) => B;
  /**
   * Worker threads that load samples. With workers, the data set must implement
   * `workerSpec()` (how a worker rebuilds it); 0 loads on the main thread, still overlapping
   * asynchronous loads (image decoding runs in libvips's own threads).
   */
  numWorkers?: number;
  /** Batches kept in flight ahead of the consumer, per worker (at least 1 in total). */
  prefetchFactor?: number;
  /** Device of the batch tensors. */
  place?: string;
  /**
   * Dispose the tensors of a batch when the next one is requested (default true), so a plain
   * training loop does not accumulate batches. `keep()` a tensor to hold on to it.
   */
  disposeBatches?: boolean;
}

/**
 * Batches a data set (Paddle's `paddle.io.DataLoader`). Iterate with `for await` (always) or
 * `for ... of` (main-thread loading of a synchronous data set). Batches are collated into
 * tensors; with `prefetchFactor` the next batches load while the current one is used.
 */
export class DataLoader<T = unknown, B = Collated> implements AsyncIterable<B>, Iterable<B> {
  readonly batchSampler: BatchSamplerLike | null;
  private readonly collate: (samples: T[]) => B;
  private readonly numWorkers: number;
  private readonly inFlight: number;

  constructor(
    readonly dataset: Dataset<T> | IterableDataset<T>,
    private readonly opts: DataLoaderOptions<T, B> = {},
  ) {
    this.numWorkers = opts.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) {
      throw new RangeError(`DataLoader: numWorkers must be a non-negative integer, got ${opts.numWorkers}`);
    }
    if (dataset instanceof IterableDataset) {
      if (opts.shuffle || opts.batchSampler) throw new Error('DataLoader: an IterableDataset cannot be shuffled or batch-sampled');
      if (this.numWorkers > 0) throw new Error('DataLoader: worker threads need a map-style Dataset');
      this.batchSampler = null;
    } else {
      this.batchSampler =
        opts.batchSampler ??
        new BatchSampler({ dataset, batchSize: opts.batchSize ?? 1, shuffle: opts.shuffle, dropLast: opts.dropLast });
      if (this.numWorkers > 0 && !isWorkerCapable(dataset)) {
        throw new Error(
          `DataLoader: numWorkers=${this.numWorkers} needs a data set that implements workerSpec() (${dataset.constructor.name} does not); use numWorkers: 0`,
        );
      }
    }
    this.collate = opts.collateFn ?? ((s: T[]) => defaultCollate(s, opts.place) as B);
    this.inFlight = Math.max(1, this.numWorkers) * Math.max(1, opts.prefetchFactor ?? 2);
  }

  /** Number of batches per pass (map-style data sets only). */
  get length(): number {
    if (!this.batchSampler) throw new Error('DataLoader: an IterableDataset has no length');
    return this.batchSampler.length;
  }

  *[Symbol.iterator](): Iterator<B> {
    if (this.numWorkers > 0) throw new Error('DataLoader: with worker threads iterate with `for await`');
    let prev: B | undefined;
    try {
      for (const samples of this.sampleBatches()) {
        const loaded = samples.map((s, i) => {
          if (s instanceof Promise) {
            throw new Error(`DataLoader: sample ${i} loads asynchronously; iterate with \`for await\``);
          }
          return s;
        });
        const batch = this.collate(loaded);
        this.release(prev);
        prev = batch;
        yield batch;
      }
    } finally {
      this.release(prev);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const pool =
      this.numWorkers > 0 && isWorkerCapable(this.dataset)
        ? new WorkerPool(this.dataset.workerSpec(), this.numWorkers, workerSeedBase())
        : null;
    const queue: Promise<T[]>[] = [];
    const batches = this.indexBatches();
    const ds = this.dataset as Dataset<T>;
    let batchNo = 0;
    const load = (idx: number[]): Promise<T[]> => {
      const w = batchNo++ % (pool?.size ?? 1);
      return Promise.all(idx.map((i) => (pool ? (pool.get(i, w) as Promise<T>) : Promise.resolve(ds.getItem(i)))));
    };
    let prev: B | undefined;
    try {
      if (!this.batchSampler) {
        for (const samples of this.sampleBatches()) {
          const batch = this.collate(await Promise.all(samples));
          this.release(prev);
          prev = batch;
          yield batch;
        }
        return;
      }
      const fill = (): void => {
        while (queue.length < this.inFlight) {
          const n = batches.next();
          if (n.done) break;
          const p = load(n.value);
          p.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection meanwhile
          queue.push(p);
        }
      };
      fill();
      while (queue.length) {
        const samples = await queue.shift()!;
        fill();
        const batch = this.collate(samples);
        this.release(prev);
        prev = batch;
        yield batch;
      }
    } finally {
      this.release(prev);
      await pool?.close();
    }
  }

  private *indexBatches(): Iterator<number[]> {
    yield* this.batchSampler!;
  }

  /** Samples (or their promises) grouped into batches, for main-thread loading. */
  private *sampleBatches(): Generator<(T | Promise<T>)[]> {
    if (this.dataset instanceof IterableDataset) {
      const bs = this.opts.batchSize ?? 1;
      let cur: T[] = [];
      for (const s of this.dataset) {
        cur.push(s);
        if (cur.length === bs) {
          yield cur;
          cur = [];
        }
      }
      if (cur.length && !this.opts.dropLast) yield cur;
      return;
    }
    const ds = this.dataset;
    for (const idx of this.batchSampler!) yield idx.map((i) => ds.getItem(i));
  }

  private release(batch: B | undefined): void {
    if (batch === undefined || this.opts.disposeBatches === false) return;
    disposeUnkept(batch);
  }
}

/** A base seed for one pass's workers, drawn from the global generator (so `seed()` reaches them). */
function workerSeedBase(): number {
  const st = engine.reserveRandom(1);
  return (philoxUniform(st.key, st.offset, 1)[0]! * 2 ** 31) >>> 0;
}

function disposeUnkept(v: unknown): void {
  if (v instanceof Tensor) {
    if (!v._kept) v.dispose();
  } else if (Array.isArray(v)) v.forEach(disposeUnkept);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(disposeUnkept);
}
