/**
 * The Q-network of PARL's DQN example (`CartpoleModel`): fully connected layers with ReLU
 * between them, 128-128 hidden units by default. Layers are named fc1, fc2, ... as PARL's, so
 * the `.pdparams` keys match (`fc1.weight`, `fc1.bias`, ...).
 */
import { nn, type Tensor } from '@oar/core';
import { Model } from './model';

export class MLPModel extends Model {
  readonly obsDim: number;
  readonly actDim: number;
  readonly hiddenSizes: readonly number[];
  private readonly fcs: nn.Linear[] = [];
  private readonly relu = new nn.ReLU();

  constructor(obsDim: number, actDim: number, hiddenSizes: readonly number[] = [128, 128]) {
    super();
    for (const [k, v] of [['obsDim', obsDim], ['actDim', actDim], ...hiddenSizes.map((h, i) => [`hiddenSizes[${i}]`, h] as const)] as const) {
      if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`MLPModel: ${k} must be a positive integer, got ${v}`);
    }
    this.obsDim = obsDim;
    this.actDim = actDim;
    this.hiddenSizes = [...hiddenSizes];
    const sizes = [obsDim, ...hiddenSizes, actDim];
    for (let i = 0; i + 1 < sizes.length; i++) this.fcs.push(this.addSublayer(`fc${i + 1}`, new nn.Linear(sizes[i]!, sizes[i + 1]!)));
  }

  override forward(obs: Tensor): Tensor {
    if (obs.ndim !== 2 || obs.shape[1] !== this.obsDim) {
      throw new RangeError(`MLPModel: observations must have shape [batch, ${this.obsDim}], got [${obs.shape.join(', ')}]`);
    }
    let h = obs;
    this.fcs.forEach((fc, i) => {
      h = fc.call(h) as Tensor;
      if (i + 1 < this.fcs.length) h = this.relu.call(h) as Tensor;
    });
    return h;
  }

  override clone(): MLPModel {
    return new MLPModel(this.obsDim, this.actDim, this.hiddenSizes);
  }
}
