import { memory, seed, Tensor } from '../../src';
import {
  BatchSampler,
  DataLoader,
  DistributedBatchSampler,
  Dataset,
  IterableDataset,
  TensorDataset,
  defaultCollate,
  hostArray,
  randomSplit,
} from '../../src/data';
import { NoiseDataset } from '../fixtures/data/noise-dataset';
import { SquaresDataset } from '../fixtures/data/squares-dataset';

describe('samplers', () => {
  it('BatchSampler batches in order, with and without dropLast', () => {
    const ds = { length: 10 };
    expect([...new BatchSampler({ dataset: ds, batchSize: 4 })]).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const s = new BatchSampler({ dataset: ds, batchSize: 4, dropLast: true });
    expect([...s]).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(s.length).toBe(2);
    expect(() => new BatchSampler({ dataset: ds, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  it('shuffles into a permutation that repeats after seed()', () => {
    seed(7);
    const a = [...new BatchSampler({ dataset: { length: 50 }, batchSize: 50, shuffle: true })][0]!;
    seed(7);
    const b = [...new BatchSampler({ dataset: { length: 50 }, batchSize: 50, shuffle: true })][0]!;
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('DistributedBatchSampler gives every rank an equal share covering the data set', () => {
    const ds = { length: 23 };
    const ranks = [0, 1, 2].map((rank) => new DistributedBatchSampler(ds, 4, { numReplicas: 3, rank, shuffle: true }));
    ranks.forEach((r) => r.setEpoch(3));
    const shares = ranks.map((r) => r.localIndices());
    expect(shares.map((s) => s.length)).toEqual([8, 8, 8]);
    expect(new Set(shares.flat()).size).toBe(23);
    // Same epoch, same permutation on every rank; another epoch, another one.
    const again = new DistributedBatchSampler(ds, 4, { numReplicas: 3, rank: 1, shuffle: true });
    again.setEpoch(3);
    expect(again.localIndices()).toEqual(shares[1]);
    again.setEpoch(4);
    expect(again.localIndices()).not.toEqual(shares[1]);
    expect(() => new DistributedBatchSampler(ds, 4, { numReplicas: 2, rank: 2 })).toThrow(/rank 2 is outside/);
  });

  it('randomSplit partitions the data set', () => {
    const ds = new TensorDataset([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [a, b] = randomSplit(ds, [7, 3]);
    const all = [...a!.indices, ...b!.indices].sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => randomSplit(ds, [5, 3])).toThrow(/sum to 8/);
  });
});

describe('collate', () => {
  it('stacks host arrays and types numbers as Paddle does', () => {
    const [x, y, z] = defaultCollate([
      [hostArray(new Float32Array([1, 2]), [2]), 3, 0.5],
      [hostArray(new Float32Array([4, 5]), [2]), 1, 1],
    ]) as Tensor[];
    expect(x!.shape).toEqual([2, 2]);
    expect(x!.toArray()).toEqual([[1, 2], [4, 5]]);
    expect(y!.dtype).toBe('int64');
    expect(z!.dtype).toBe('float32');
  });

  it('names the sample that does not match', () => {
    expect(() =>
      defaultCollate([hostArray(new Float32Array(2), [2]), hostArray(new Float32Array(3), [3])]),
    ).toThrow(/sample 1 is \[3\] float32, sample 0 is \[2\] float32/);
  });
});

describe('DataLoader', () => {
  it('iterates synchronously and asynchronously with the same batches', async () => {
    const ds = new SquaresDataset(10);
    const loader = new DataLoader(ds, { batchSize: 4, disposeBatches: false });
    const sync = [...loader].map((b) => (b as Tensor[])[0]!.toArray());
    const asyncB: unknown[] = [];
    for await (const b of loader) asyncB.push((b as Tensor[])[0]!.toArray());
    expect(sync).toEqual(asyncB);
    expect(loader.length).toBe(3);
    expect(sync[2]).toEqual([[8, 64, 512], [9, 81, 729]]);
  });

  it('loads in worker threads, giving the same batches', async () => {
    const ds = new SquaresDataset(37);
    const main: number[][] = [];
    for (const b of new DataLoader(ds, { batchSize: 5 })) main.push((b as Tensor[])[0]!.toFlatArray());
    const workers: number[][] = [];
    for await (const b of new DataLoader(ds, { batchSize: 5, numWorkers: 2, prefetchFactor: 2 })) {
      workers.push((b as Tensor[])[0]!.toFlatArray());
    }
    expect(workers).toEqual(main);
  }, 30000);

  it('seeds workers from the global generator: different per worker, repeatable after seed()', async () => {
    const run = async (): Promise<number[]> => {
      const out: number[] = [];
      for await (const b of new DataLoader(new NoiseDataset(12), { batchSize: 3, numWorkers: 2 })) {
        out.push(...(b as Tensor).toFlatArray());
      }
      return out;
    };
    seed(11);
    const a = await run();
    seed(11);
    const b = await run();
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(12);
  }, 30000);

  it('rejects worker threads for a data set that cannot be rebuilt in a worker', () => {
    class Plain extends Dataset<number> {
      getItem(i: number): number {
        return i;
      }
      get length(): number {
        return 3;
      }
    }
    expect(() => new DataLoader(new Plain(), { numWorkers: 2 })).toThrow(/implements workerSpec\(\) \(Plain does not\)/);
  });

  it('disposes each batch when the next is requested, keeping memory flat', () => {
    const ds = new SquaresDataset(64);
    const before = memory().numTensors;
    let peak = 0;
    for (const _b of new DataLoader(ds, { batchSize: 8 })) peak = Math.max(peak, memory().numTensors - before);
    expect(peak).toBe(2);
    expect(memory().numTensors).toBe(before);
  });

  it('batches an IterableDataset', () => {
    class Counter extends IterableDataset<number> {
      *[Symbol.iterator](): Iterator<number> {
        for (let i = 0; i < 5; i++) yield i;
      }
    }
    const out = [...new DataLoader(new Counter(), { batchSize: 2, disposeBatches: false })].map((b) => (b as Tensor).toArray());
    expect(out).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('surfaces a failing sample as an error', async () => {
    class Bad extends Dataset<number> {
      getItem(i: number): number {
        if (i === 2) throw new Error('broken sample 2');
        return i;
      }
      get length(): number {
        return 4;
      }
    }
    await expect(async () => {
      for await (const _ of new DataLoader(new Bad(), { batchSize: 1 })) void _;
    }).rejects.toThrow(/broken sample 2/);
  });
});
