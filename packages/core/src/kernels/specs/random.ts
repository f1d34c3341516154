/**
 * Random operators: uniform_random, gaussian_random, truncated_gaussian_random, randint,
 * randperm, bernoulli, dropout (+ dropout_grad).
 *
 * Every kernel draws from Philox4x32-10 (random/philox.ts) so that all backends produce the same
 * numbers. The stream is the engine's (ctx.rng: key and first counter block) unless the op fixes
 * its own: a nonzero `seed` attribute (dropout: `fix_seed` or a `Seed` input) selects key = seed
 * as an unsigned 64-bit value, counter offset 0, so such an op gives the same draws on every call.
 *
 * Element i of an op that needs one 32-bit word per element (uniform_random,
 * truncated_gaussian_random, bernoulli, dropout) takes word i of the stream (block
 * offset + floor(i / 4), lane i % 4) as u = (word >>> 8) / 2^24 in [0, 1). Ops that need two words
 * per element (gaussian_random by Box–Muller, randint and randperm keys with 53 bits) take words
 * 2i and 2i + 1 (block offset + floor(i / 2), lanes 2(i % 2) and 2(i % 2) + 1).
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { run1 } from '../../ops/run';
import { isFloatDType, type DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, floatAttr, intAttr, intsAttr, maybe, one, requireDType, requireFloat, requireSameShape, strAttr } from './common';
import { dtypeAttr } from './creation';

const SHAPE_INPUTS = [
  { name: 'ShapeTensor', optional: true, noGrad: true },
  { name: 'ShapeTensorList', optional: true, list: true, noGrad: true },
];

/** The output shape from the `shape` attribute; shape tensors are the executor's to resolve. */
function shapeFromAttr(op: string, inputs: SlotMap<TensorMeta>, attrs: Attrs): number[] {
  if (maybe(inputs, 'ShapeTensor') || (inputs.ShapeTensorList as unknown[] | undefined)?.length) {
    throw new OpError(op, 'shape tensors are resolved by the executor; pass the shape attribute in eager mode');
  }
  const shape = intsAttr(attrs, 'shape');
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new OpError(op, `attribute shape [${shape.join(', ')}] has an invalid extent ${d}`);
  }
  return shape;
}

function floatDType(op: string, attrs: Attrs): DType {
  const d = dtypeAttr(op, intAttr(attrs, 'dtype'));
  if (!isFloatDType(d)) throw new OpError(op, `attribute dtype must be a float type, got ${d}`);
  return d;
}

export const DROPOUT_IMPLEMENTATIONS = ['downgrade_in_infer', 'upscale_in_train'];

function checkDropoutAttrs(op: string, attrs: Attrs): void {
  const p = floatAttr(attrs, 'dropout_prob');
  if (!(p >= 0 && p <= 1)) throw new OpError(op, `attribute dropout_prob must be in [0, 1], got ${p}`);
  const impl = strAttr(attrs, 'dropout_implementation');
  if (!DROPOUT_IMPLEMENTATIONS.includes(impl)) {
    throw new OpError(op, `attribute dropout_implementation must be 'downgrade_in_infer' or 'upscale_in_train', got '${impl}'`);
  }
}

const DROPOUT_ATTRS = {
  dropout_prob: 0.5,
  is_test: false,
  fix_seed: false,
  seed: 0,
  dropout_implementation: 'downgrade_in_infer',
};

export const specs: OpSpec[] = [
  {
    type: 'uniform_random',
    inputs: SHAPE_INPUTS,
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], min: -1.0, max: 1.0, seed: 0, diag_num: 0, diag_step: 0, diag_val: 1.0, dtype: 5 },
    random: true,
    inferMeta: (inputs, attrs) => {
      const op = 'uniform_random';
      const shape = shapeFromAttr(op, inputs, attrs);
      const lo = floatAttr(attrs, 'min');
      const hi = floatAttr(attrs, 'max');
      if (!(lo < hi)) throw new OpError(op, `attribute min (${lo}) must be less than max (${hi})`);
      const dn = intAttr(attrs, 'diag_num');
      if (dn > 0) {
        const last = (dn - 1) * intAttr(attrs, 'diag_step') + dn - 1;
        const n = shape.reduce((a, b) => a * b, 1);
        if (last >= n) throw new OpError(op, `diag_num ${dn} with diag_step ${intAttr(attrs, 'diag_step')} reaches index ${last}, past the ${n} elements of the output`);
      }
      return { Out: { shape, dtype: floatDType(op, attrs) } };
    },
  },
  {
    type: 'gaussian_random',
    inputs: SHAPE_INPUTS,
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], mean: 0.0, std: 1.0, seed: 0, dtype: 5 },
    random: true,
    inferMeta: (inputs, attrs) => {
      const op = 'gaussian_random';
      const shape = shapeFromAttr(op, inputs, attrs);
      if (!(floatAttr(attrs, 'std') >= 0)) throw new OpError(op, `attribute std must be >= 0, got ${floatAttr(attrs, 'std')}`);
      return { Out: { shape, dtype: floatDType(op, attrs) } };
    },
  },
  {
    type: 'truncated_gaussian_random',
    inputs: [],
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], mean: 0.0, std: 1.0, seed: 0, dtype: 5 },
    random: true,
    inferMeta: (inputs, attrs) => {
      const op = 'truncated_gaussian_random';
      const shape = shapeFromAttr(op, inputs, attrs);
      if (!(floatAttr(attrs, 'std') >= 0)) throw new OpError(op, `attribute std must be >= 0, got ${floatAttr(attrs, 'std')}`);
      return { Out: { shape, dtype: floatDType(op, attrs) } };
    },
  },
  {
    type: 'randint',
    inputs: SHAPE_INPUTS,
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], low: 0, high: 0, seed: 0, dtype: 3 },
    random: true,
    inferMeta: (inputs, attrs) => {
      const op = 'randint';
      const shape = shapeFromAttr(op, inputs, attrs);
      const lo = intAttr(attrs, 'low');
      const hi = intAttr(attrs, 'high');
      if (!(lo < hi)) throw new OpError(op, `attribute low (${lo}) must be less than high (${hi})`);
      const d = dtypeAttr(op, intAttr(attrs, 'dtype'));
      if (d !== 'int32' && d !== 'int64') throw new OpError(op, `attribute dtype must be int32 or int64, got ${d}`);
      return { Out: { shape, dtype: d } };
    },
  },
  {
    type: 'randperm',
    inputs: [],
    outputs: [{ name: 'Out' }],
    attrs: { n: 0, dtype: 3, seed: 0 },
    random: true,
    inferMeta: (_inputs, attrs) => {
      const op = 'randperm';
      const n = intAttr(attrs, 'n');
      if (!Number.isInteger(n) || n <= 0) throw new OpError(op, `attribute n must be a positive integer, got ${n}`);
      const d = dtypeAttr(op, intAttr(attrs, 'dtype'));
      if (!['int32', 'int64', 'float32', 'float64'].includes(d)) throw new OpError(op, `attribute dtype must be int32, int64, float32 or float64, got ${d}`);
      return { Out: { shape: [n], dtype: d } };
    },
  },
  {
    type: 'bernoulli',
    inputs: [{ name: 'X', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    random: true,
    inferMeta: (inputs) => {
      const x = one(inputs, 'X');
      requireFloat('bernoulli', 'X', x);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
  },
  {
    type: 'dropout',
    inputs: [{ name: 'X' }, { name: 'Seed', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }, { name: 'Mask', optional: true }],
    attrs: DROPOUT_ATTRS,
    random: (attrs) => !attrs.is_test,
    inferMeta: (inputs, attrs) => {
      const op = 'dropout';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      checkDropoutAttrs(op, attrs);
      const seed = maybe(inputs, 'Seed');
      if (seed) {
        requireDType(op, 'Seed', seed, ['int32', 'int64']);
        if (seed.shape.reduce((a, b) => a * b, 1) !== 1) throw new OpError(op, `input Seed must hold one element, got shape [${seed.shape.join(', ')}]`);
      }
      const out: SlotMap<TensorMeta> = { Out: { shape: x.shape, dtype: x.dtype } };
      // Paddle computes no Mask at inference.
      if (!boolAttr(attrs, 'is_test')) out.Mask = { shape: x.shape, dtype: 'uint8' };
      return out;
    },
    grad: (c) => {
      const dy = c.outGrads.Out as Tensor;
      if (boolAttr(c.attrs, 'is_test')) {
        const keep = strAttr(c.attrs, 'dropout_implementation') === 'downgrade_in_infer' ? 1 - floatAttr(c.attrs, 'dropout_prob') : 1;
        return { X: run1('scale', { X: dy }, { scale: keep }) };
      }
      return { X: run1('dropout_grad', { Mask: c.outputs.Mask as Tensor, 'Out@GRAD': dy }, c.attrs, 'X@GRAD') };
    },
  },
  {
    type: 'dropout_grad',
    inputs: [{ name: 'Mask' }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: DROPOUT_ATTRS,
    inferMeta: (inputs, attrs) => {
      const op = 'dropout_grad';
      const mask = one(inputs, 'Mask');
      const dy = one(inputs, 'Out@GRAD');
      requireFloat(op, 'Out@GRAD', dy);
      requireDType(op, 'Mask', mask, ['uint8']);
      requireSameShape(op, ['Mask', mask], ['Out@GRAD', dy]);
      checkDropoutAttrs(op, attrs);
      if (boolAttr(attrs, 'is_test')) throw new OpError(op, 'is_test must be false: the training-mode Mask is needed');
      return { 'X@GRAD': { shape: dy.shape, dtype: dy.dtype } };
    },
  },
];
