/**
 * PARL's CartpoleAgent for DQN: ε-greedy exploration with a linear decay. Each `sample` first
 * draws u uniform in [0, 1): below ε it takes a uniformly random action, otherwise the greedy
 * one; then ε drops by `eGreedDecrement`, never below `eGreedMin`. Random draws come from the
 * core's seeded generator.
 */
import { argmax, noGrad, tensor, tidy, type Tensor } from '@oar/core';
import type { DQN } from '../algorithm/dqn';
import { Discrete, checkObservation } from '../env/spaces';
import { RandomStream } from '../random/random-stream';
import { Agent } from './agent';

export interface DQNAgentOptions {
  obsDim: number;
  actDim: number;
  /** Initial exploration rate ε. */
  eGreed: number;
  /** ε drops by this much per `sample` call. */
  eGreedDecrement: number;
  /** ε never drops below this. */
  eGreedMin: number;
  rng?: RandomStream;
}

export class DQNAgent extends Agent<DQN> {
  readonly obsDim: number;
  readonly actionSpace: Discrete;
  eGreed: number;
  readonly eGreedDecrement: number;
  readonly eGreedMin: number;
  private readonly rng: RandomStream;

  constructor(alg: DQN, opts: DQNAgentOptions) {
    super(alg);
    if (!Number.isInteger(opts.obsDim) || opts.obsDim <= 0) throw new RangeError(`DQNAgent: obsDim must be a positive integer, got ${opts.obsDim}`);
    if (!(opts.eGreed >= 0 && opts.eGreed <= 1)) throw new RangeError(`DQNAgent: eGreed must be in [0, 1], got ${opts.eGreed}`);
    if (!(opts.eGreedMin >= 0 && opts.eGreedMin <= opts.eGreed)) {
      throw new RangeError(`DQNAgent: eGreedMin must be in [0, eGreed = ${opts.eGreed}], got ${opts.eGreedMin}`);
    }
    if (!(opts.eGreedDecrement >= 0)) throw new RangeError(`DQNAgent: eGreedDecrement must be >= 0, got ${opts.eGreedDecrement}`);
    this.obsDim = opts.obsDim;
    this.actionSpace = new Discrete(opts.actDim);
    this.eGreed = opts.eGreed;
    this.eGreedDecrement = opts.eGreedDecrement;
    this.eGreedMin = opts.eGreedMin;
    this.rng = opts.rng ?? new RandomStream();
  }

  override sample(obs: ArrayLike<number>): number {
    checkObservation(obs, this.obsDim, 'DQNAgent.sample');
    const act = this.rng.uniform() < this.eGreed ? this.rng.integer(this.actionSpace.n) : this.greedy(obs);
    this.eGreed = Math.max(this.eGreedMin, this.eGreed - this.eGreedDecrement);
    return act;
  }

  override predict(obs: ArrayLike<number>): number {
    checkObservation(obs, this.obsDim, 'DQNAgent.predict');
    return this.greedy(obs);
  }

  /**
   * Greedy actions for a batch of observations ([n, obsDim] row-major), one forward pass for
   * all: what evaluating several environments at once uses.
   */
  predictBatch(obs: Float32Array, n: number): Int32Array {
    if (obs.length !== n * this.obsDim) {
      throw new RangeError(`DQNAgent.predictBatch: ${obs.length} numbers do not make ${n} observations of ${this.obsDim}`);
    }
    return tidy(() =>
      noGrad(() => {
        const q = this.alg.predict(tensor(obs, { shape: [n, this.obsDim] }));
        return Int32Array.from(argmax(q, 1).dataSync() as ArrayLike<number | bigint>, Number);
      }),
    );
  }

  /** argmax_a Q(obs, a) by one forward pass; ties go to the lowest action, as numpy's argmax. */
  private greedy(obs: ArrayLike<number>): number {
    return tidy(() =>
      noGrad(() => {
        const q = (this.alg.predict(tensor(Float32Array.from(obs), { shape: [1, this.obsDim] })) as Tensor).dataSync();
        let best = 0;
        for (let a = 1; a < q.length; a++) if ((q[a] as number) > (q[best] as number)) best = a;
        return best;
      }),
    );
  }
}
