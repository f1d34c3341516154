/** Shape ops that move no data: reshape2; and expand_v2, which broadcasts. */
import type { OpSpec } from '../registry';
import { reshape, sumToShape } from '../grad-utils';
import { fmtShape, numel, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { intsAttr, maybe, one } from './common';

/** Paddle's reshape target: 0 copies the input extent at that index, one -1 is inferred. */
export function resolveReshape(op: string, inShape: Shape, target: number[]): number[] {
  const total = numel(inShape);
  let infer = -1;
  let known = 1;
  const out = target.map((d, i) => {
    if (d === 0) {
      if (i >= inShape.length) throw new OpError(op, `shape[${i}] = 0 copies a dimension the input (rank ${inShape.length}) does not have`);
      d = inShape[i]!;
    }
    if (d === -1) {
      if (infer >= 0) throw new OpError(op, `shape [${target.join(', ')}] has more than one -1`);
      infer = i;
      return -1;
    }
    if (d < 0 || !Number.isInteger(d)) throw new OpError(op, `shape [${target.join(', ')}] has an invalid extent ${d}`);
    known *= d;
    return d;
  });
  if (infer >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new OpError(op, `cannot reshape ${fmtShape(inShape)} (${total} elements) to [${target.join(', ')}]`);
    }
    out[infer] = total / known;
  } else if (known !== total) {
    throw new OpError(op, `cannot reshape ${fmtShape(inShape)} (${total} elements) to [${target.join(', ')}] (${known} elements)`);
  }
  return out;
}

export const specs: OpSpec[] = [
  {
    type: 'reshape2',
    inputs: [
      { name: 'X' },
      { name: 'Shape', optional: true, noGrad: true },
      { name: 'ShapeTensor', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }, { name: 'XShape', optional: true }],
    attrs: { shape: [] },
    inferMeta: (inputs, attrs) => {
      if (maybe(inputs, 'Shape') || (inputs.ShapeTensor as unknown[] | undefined)?.length) {
        throw new OpError('reshape2', 'shape tensors are resolved by the executor; pass the shape attribute in eager mode');
      }
      const x = one(inputs, 'X');
      return { Out: { shape: resolveReshape('reshape2', x.shape, intsAttr(attrs, 'shape')), dtype: x.dtype } };
    },
    grad: (c) => ({ X: reshape(c.outGrads.Out as Tensor, (c.inputs.X as Tensor).shape) }),
  },
  {
    type: 'expand_v2',
    inputs: [
      { name: 'X' },
      { name: 'Shape', optional: true, noGrad: true },
      { name: 'expand_shapes_tensor', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { shape: [] },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const target = intsAttr(attrs, 'shape');
      if (target.length < x.shape.length) {
        throw new OpError('expand_v2', `target shape [${target.join(', ')}] has lower rank than the input ${fmtShape(x.shape)}`);
      }
      const off = target.length - x.shape.length;
      const out = target.map((d, i) => {
        const xd = i >= off ? x.shape[i - off]! : 1;
        if (d === -1) {
          if (i < off) throw new OpError('expand_v2', `-1 at position ${i} has no input dimension to keep`);
          return xd;
        }
        if (xd !== 1 && xd !== d) {
          throw new OpError('expand_v2', `cannot expand ${fmtShape(x.shape)} to [${target.join(', ')}]: dimension ${i} is ${xd}, not 1 or ${d}`);
        }
        return d;
      });
      return { Out: { shape: out, dtype: x.dtype } };
    },
    grad: (c) => ({ X: sumToShape(c.outGrads.Out as Tensor, (c.inputs.X as Tensor).shape) }),
  },
];
