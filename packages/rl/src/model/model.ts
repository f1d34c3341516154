/**
 * PARL's `parl.Model`: a Layer that maps observations to values, plus what value-based
 * algorithms need of it: a twin of the same architecture (the target network) and copying
 * weights into that twin.
 */
import { nn, noGrad, tidy, type Tensor } from '@oar/core';

export abstract class Model extends nn.Layer {
  /** Observations [batch, obsDim] to one value per action [batch, actDim]. */
  abstract override forward(obs: Tensor): Tensor;

  /**
   * A fresh model of the same architecture (its weights are overwritten by the first sync).
   * DQN builds its target network with it, as PARL deep-copies the model.
   */
  abstract clone(): Model;

  /**
   * Copies this model's weights into `target` (PARL's `sync_weights_to`). With `decay` d in
   * (0, 1) the target moves part of the way instead: target = d·target + (1 − d)·this.
   */
  syncWeightsTo(target: Model, decay = 0): void {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`syncWeightsTo: decay must be in [0, 1), got ${decay}`);
    if (decay === 0) {
      target.setStateDict(this.stateDict());
      return;
    }
    tidy(() =>
      noGrad(() => {
        const own = this.stateDict();
        const mixed = new Map<string, Tensor>();
        for (const [k, t] of target.stateDict()) {
          const src = own.get(k);
          if (!src) throw new Error(`syncWeightsTo: the target has "${k}", this model does not`);
          mixed.set(k, t.scale(decay).add(src.scale(1 - decay)));
        }
        target.setStateDict(mixed);
      }),
    );
  }
}
