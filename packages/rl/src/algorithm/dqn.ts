/**
 * DQN (Mnih et al. 2015) as PARL implements it: the mean squared error between Q(s, a) and the
 * target r + γ·(1 − terminal)·max_a' Q_target(s', a'), minimized with Adam, the target network
 * being a copy of the model refreshed every `targetUpdateSteps` learn steps (before the step
 * whose count is a multiple, the first included, as PARL's agent does).
 *
 * Double DQN (van Hasselt et al. 2016, PARL's `DDQN`) picks a' by the online model and values it
 * by the target network, Q_target(s', argmax_a' Q(s', a')), which curbs the max's overestimate.
 */
import { argmax, indexSample, max, nn, noGrad, optim, tensor, tidy, type Tensor } from '@oar/core';
import type { Batch } from '../replay/replay-memory';
import type { Model } from '../model/model';
import { Algorithm } from './algorithm';

export interface DQNOptions {
  /** Discount factor γ in [0, 1]. */
  gamma: number;
  /** Adam's learning rate. */
  lr: number;
  /** Learn steps between copies of the model into the target network. */
  targetUpdateSteps: number;
  /** The target network; by default `model.clone()`. */
  targetModel?: Model;
}

export class DQN extends Algorithm {
  readonly targetModel: Model;
  readonly optimizer: optim.Adam;
  readonly gamma: number;
  readonly lr: number;
  readonly targetUpdateSteps: number;
  /** Learn steps taken so far. */
  learnSteps = 0;

  constructor(model: Model, opts: DQNOptions) {
    super(model);
    if (!(opts.gamma >= 0 && opts.gamma <= 1)) throw new RangeError(`${this.name}: gamma must be in [0, 1], got ${opts.gamma}`);
    if (!(opts.lr > 0)) throw new RangeError(`${this.name}: lr must be > 0, got ${opts.lr}`);
    if (!Number.isInteger(opts.targetUpdateSteps) || opts.targetUpdateSteps <= 0) {
      throw new RangeError(`${this.name}: targetUpdateSteps must be a positive integer, got ${opts.targetUpdateSteps}`);
    }
    this.gamma = opts.gamma;
    this.lr = opts.lr;
    this.targetUpdateSteps = opts.targetUpdateSteps;
    this.targetModel = opts.targetModel ?? model.clone();
    this.targetModel.eval();
    model.syncWeightsTo(this.targetModel);
    this.optimizer = new optim.Adam({ learningRate: opts.lr, parameters: model.parameters() });
  }

  get name(): string {
    return 'DQN';
  }

  predict(obs: Tensor): Tensor {
    return this.model.call(obs) as Tensor;
  }

  /** Copies the model into the target network (PARL's `sync_target`). */
  syncTarget(): void {
    this.model.syncWeightsTo(this.targetModel);
  }

  learn(batch: Batch): number {
    if (this.learnSteps % this.targetUpdateSteps === 0) this.syncTarget();
    this.learnSteps++;
    return tidy(() => {
      const b = batch.size;
      const obsDim = batch.obs.length / b;
      const obs = tensor(batch.obs, { shape: [b, obsDim] });
      const nextObs = tensor(batch.nextObs, { shape: [b, obsDim] });
      const action = tensor(batch.action, { shape: [b, 1], dtype: 'int64' });
      const reward = tensor(batch.reward, { shape: [b, 1] });
      const notTerminal = tensor(batch.terminal, { shape: [b, 1] }).scale(-1, 1);
      const target = noGrad(() => reward.add(this.nextValue(nextObs).multiply(notTerminal).scale(this.gamma)));
      const q = indexSample(this.model.call(obs) as Tensor, action);
      const loss = nn.functional.mseLoss(q, target);
      this.optimizer.clearGrad();
      loss.backward();
      this.optimizer.step();
      return loss.item();
    });
  }

  /** The value of the next state the target bootstraps from, [batch, 1]. */
  protected nextValue(nextObs: Tensor): Tensor {
    return max(this.targetModel.call(nextObs) as Tensor, 1, { keepdim: true });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.targetModel.dispose();
  }
}

export class DDQN extends DQN {
  override get name(): string {
    return 'DDQN';
  }

  protected override nextValue(nextObs: Tensor): Tensor {
    const best = argmax(this.model.call(nextObs) as Tensor, 1, true);
    return indexSample(this.targetModel.call(nextObs) as Tensor, best);
  }
}
