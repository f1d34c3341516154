/**
 * Loss layers (Paddle's `CrossEntropyLoss`, `MSELoss`, ...), each calling the functional loss
 * with its constructor options. Class-weight tensors are referenced, not owned: disposing the
 * layer leaves them alone.
 */
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  klDiv,
  l1Loss,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
  type CrossEntropyOptions,
  type NllLossOptions,
  type Reduction,
} from '../../ops/loss';
import type { Tensor } from '../../tensor/tensor';
import { Layer } from '../layer';

function checkReduction(layer: string, r: string, allowed = ['none', 'mean', 'sum']): void {
  if (!allowed.includes(r)) throw new RangeError(`${layer}: reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got '${r}'`);
}

/** Softmax cross entropy (hard or soft labels, class weights, ignoreIndex, label smoothing). */
export class CrossEntropyLoss extends Layer {
  constructor(readonly options: CrossEntropyOptions = {}) {
    super();
    checkReduction('CrossEntropyLoss', options.reduction ?? 'mean');
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return crossEntropy(input, label, this.options);
  }

  override extraRepr(): string {
    return `reduction=${this.options.reduction ?? 'mean'}, ignore_index=${this.options.ignoreIndex ?? -100}, soft_label=${!!this.options.softLabel}`;
  }
}

/** Negative log likelihood of log-probabilities [N, C, ...] at class indices [N, ...]. */
export class NLLLoss extends Layer {
  constructor(readonly options: NllLossOptions = {}) {
    super();
    checkReduction('NLLLoss', options.reduction ?? 'mean');
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return nllLoss(input, label, this.options);
  }
}

export class MSELoss extends Layer {
  constructor(readonly reduction: Reduction = 'mean') {
    super();
    checkReduction('MSELoss', reduction);
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return mseLoss(input, label, { reduction: this.reduction });
  }
}

export class L1Loss extends Layer {
  constructor(readonly reduction: Reduction = 'mean') {
    super();
    checkReduction('L1Loss', reduction);
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return l1Loss(input, label, { reduction: this.reduction });
  }
}

/** Huber loss with threshold `delta` (Paddle 2.0's SmoothL1Loss). */
export class SmoothL1Loss extends Layer {
  constructor(
    readonly reduction: Reduction = 'mean',
    readonly delta = 1.0,
  ) {
    super();
    checkReduction('SmoothL1Loss', reduction);
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return smoothL1Loss(input, label, { reduction: this.reduction, delta: this.delta });
  }
}

/** Binary cross entropy of probabilities; `weight` rescales each element. */
export class BCELoss extends Layer {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super();
    checkReduction('BCELoss', options.reduction ?? 'mean');
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return binaryCrossEntropy(input, label, this.options);
  }
}

/** Binary cross entropy on logits; `posWeight` weighs positive examples. */
export class BCEWithLogitsLoss extends Layer {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction; posWeight?: Tensor } = {}) {
    super();
    checkReduction('BCEWithLogitsLoss', options.reduction ?? 'mean');
  }

  override forward(logit: Tensor, label: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logit, label, this.options);
  }
}

/** KL divergence of log-probabilities `input` from `label`; reduction also 'batchmean'. */
export class KLDivLoss extends Layer {
  constructor(readonly reduction: Reduction | 'batchmean' = 'mean') {
    super();
    checkReduction('KLDivLoss', reduction, ['none', 'batchmean', 'mean', 'sum']);
  }

  override forward(input: Tensor, label: Tensor): Tensor {
    return klDiv(input, label, { reduction: this.reduction });
  }
}

/** max(0, -label·(input - other) + margin). */
export class MarginRankingLoss extends Layer {
  constructor(
    readonly margin = 0,
    readonly reduction: Reduction = 'mean',
  ) {
    super();
    checkReduction('MarginRankingLoss', reduction);
  }

  override forward(input: Tensor, other: Tensor, label: Tensor): Tensor {
    return marginRankingLoss(input, other, label, { margin: this.margin, reduction: this.reduction });
  }
}
