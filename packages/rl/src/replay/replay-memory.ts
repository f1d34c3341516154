/**
 * PARL's ReplayMemory: the last `maxSize` transitions (obs, action, reward, next_obs, terminal)
 * in a ring buffer of typed arrays, and uniform mini-batches drawn without replacement (as
 * PARL's `random.sample`) from the core's seeded generator.
 */
import { checkObservation } from '../env/spaces';
import { RandomStream } from '../random/random-stream';

/** A mini-batch as flat typed arrays: `obs` and `nextObs` are [batch, obsDim] row-major. */
export interface Batch {
  size: number;
  obs: Float32Array;
  action: Int32Array;
  reward: Float32Array;
  nextObs: Float32Array;
  /** 1 where the episode terminated at this transition (no bootstrapping), else 0. */
  terminal: Float32Array;
}

export class ReplayMemory {
  private readonly obs: Float32Array;
  private readonly action: Int32Array;
  private readonly reward: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly terminal: Float32Array;
  /** Where the next transition goes. */
  private head = 0;
  private count = 0;
  private readonly rng: RandomStream;

  constructor(
    readonly maxSize: number,
    readonly obsDim: number,
    rng: RandomStream = new RandomStream(),
  ) {
    for (const [k, v] of [['maxSize', maxSize], ['obsDim', obsDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`ReplayMemory: ${k} must be a positive integer, got ${v}`);
    }
    this.obs = new Float32Array(maxSize * obsDim);
    this.nextObs = new Float32Array(maxSize * obsDim);
    this.action = new Int32Array(maxSize);
    this.reward = new Float32Array(maxSize);
    this.terminal = new Float32Array(maxSize);
    this.rng = rng;
  }

  get size(): number {
    return this.count;
  }

  /** Stores a transition, overwriting the oldest once full. */
  append(obs: ArrayLike<number>, action: number, reward: number, nextObs: ArrayLike<number>, terminal: boolean): void {
    checkObservation(obs, this.obsDim, 'ReplayMemory.append (obs)');
    checkObservation(nextObs, this.obsDim, 'ReplayMemory.append (next_obs)');
    if (!Number.isInteger(action) || action < 0) throw new RangeError(`ReplayMemory.append: action must be a non-negative integer, got ${action}`);
    if (!Number.isFinite(reward)) throw new RangeError(`ReplayMemory.append: reward must be a finite number, got ${reward}`);
    const i = this.head;
    const d = this.obsDim;
    this.obs.set(obs, i * d);
    this.nextObs.set(nextObs, i * d);
    this.action[i] = action;
    this.reward[i] = reward;
    this.terminal[i] = terminal ? 1 : 0;
    this.head = (i + 1) % this.maxSize;
    if (this.count < this.maxSize) this.count++;
  }

  /**
   * `batchSize` distinct stored transitions, uniformly at random. `out` (from `allocBatch`) is
   * filled in place, which saves the allocation on every learn step.
   */
  sample(batchSize: number, out: Batch = this.allocBatch(batchSize)): Batch {
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`ReplayMemory.sample: batch size must be a positive integer, got ${batchSize}`);
    if (batchSize > this.count) throw new RangeError(`ReplayMemory.sample: batch size ${batchSize} is larger than the ${this.count} transitions stored`);
    if (out.size !== batchSize) throw new RangeError(`ReplayMemory.sample: the output batch holds ${out.size} transitions, not ${batchSize}`);
    const idx = this.distinctIndices(batchSize);
    const d = this.obsDim;
    for (let b = 0; b < batchSize; b++) {
      const i = idx[b]!;
      out.obs.set(this.obs.subarray(i * d, (i + 1) * d), b * d);
      out.nextObs.set(this.nextObs.subarray(i * d, (i + 1) * d), b * d);
      out.action[b] = this.action[i]!;
      out.reward[b] = this.reward[i]!;
      out.terminal[b] = this.terminal[i]!;
    }
    return out;
  }

  allocBatch(batchSize: number): Batch {
    return {
      size: batchSize,
      obs: new Float32Array(batchSize * this.obsDim),
      action: new Int32Array(batchSize),
      reward: new Float32Array(batchSize),
      nextObs: new Float32Array(batchSize * this.obsDim),
      terminal: new Float32Array(batchSize),
    };
  }

  /**
   * Distinct indices by rejection: a batch is small next to the memory (at most its warm-up
   * size, checked by the config), so repeats are rare and a linear scan finds them.
   */
  private distinctIndices(k: number): Int32Array {
    const idx = new Int32Array(k);
    // For a batch close to the whole memory, rejection would loop long: shuffle instead.
    if (2 * k > this.count) {
      const all = Int32Array.from({ length: this.count }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + this.rng.integer(this.count - i);
        const t = all[i]!;
        all[i] = all[j]!;
        all[j] = t;
      }
      idx.set(all.subarray(0, k));
      return idx;
    }
    for (let n = 0; n < k; ) {
      const c = this.rng.integer(this.count);
      let seen = false;
      for (let j = 0; j < n; j++) if (idx[j] === c) seen = true;
      if (!seen) idx[n++] = c;
    }
    return idx;
  }
}
