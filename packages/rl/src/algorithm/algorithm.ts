/**
 * PARL's `parl.Algorithm`: how a model's parameters are updated. `predict` maps observations to
 * the values an agent acts on; `learn` takes one mini-batch of experience.
 */
import type { Tensor } from '@oar/core';
import type { Batch } from '../replay/replay-memory';
import type { Model } from '../model/model';

export abstract class Algorithm {
  constructor(readonly model: Model) {}

  /** Values [batch, actDim] for observations [batch, obsDim]. */
  abstract predict(obs: Tensor): Tensor;

  /** One update on `batch`; returns the loss. */
  abstract learn(batch: Batch): number;

  /** Releases the tensors the algorithm owns beyond `model` (target network, optimizer state). */
  abstract dispose(): void;
}
