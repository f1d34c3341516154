/**
 * PARL's `parl.Agent`: the bridge between an environment's plain numbers and an algorithm's
 * tensors. `sample` picks an action while exploring, `predict` the best one, `learn` passes a
 * batch of experience to the algorithm.
 */
import type { Algorithm } from '../algorithm/algorithm';
import type { Batch } from '../replay/replay-memory';

export abstract class Agent<A extends Algorithm = Algorithm> {
  constructor(readonly alg: A) {}

  /** An action for `obs` during training (with exploration). */
  abstract sample(obs: ArrayLike<number>): number;

  /** The greedy action for `obs`. */
  abstract predict(obs: ArrayLike<number>): number;

  /** One learn step; returns the loss. */
  learn(batch: Batch): number {
    return this.alg.learn(batch);
  }
}
