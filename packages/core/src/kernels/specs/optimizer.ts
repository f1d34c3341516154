/**
 * Optimizer update operators: sgd, momentum, adam, adamw, rmsprop, lamb. Each one updates its
 * parameter and state tensors in place (`inplace`: ParamOut is Param, Moment1Out is Moment1, ...),
 * as Paddle's ops share the output variables with the inputs. None is differentiable.
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { isFloatDType } from '../../tensor/dtype';
import { fmtShape, numel, shapesEqual } from '../../tensor/shape';
import { OpError } from '../../utils/errors';
import { boolAttr, maybe, one, strAttr } from './common';

/** Param must be a float tensor; returns its meta. */
function param(op: string, inputs: SlotMap<TensorMeta>): TensorMeta {
  const p = one(inputs, 'Param');
  if (!isFloatDType(p.dtype)) throw new OpError(op, `input Param must be a float tensor, got ${p.dtype}`);
  return p;
}

/** A state or gradient tensor: same shape and dtype as Param. */
function likeParam(op: string, inputs: SlotMap<TensorMeta>, slot: string, p: TensorMeta): TensorMeta {
  const m = one(inputs, slot);
  if (!shapesEqual(m.shape, p.shape)) {
    throw new OpError(op, `input ${slot} must have Param's shape ${fmtShape(p.shape)}, got ${fmtShape(m.shape)}`);
  }
  if (m.dtype !== p.dtype) throw new OpError(op, `input ${slot} must have Param's dtype ${p.dtype}, got ${m.dtype}`);
  return m;
}

/** A one-element float tensor (learning rate, beta powers). */
function scalarInput(op: string, inputs: SlotMap<TensorMeta>, slot: string): TensorMeta | undefined {
  const m = maybe(inputs, slot);
  if (m === undefined) return undefined;
  if (!isFloatDType(m.dtype)) throw new OpError(op, `input ${slot} must be a float tensor, got ${m.dtype}`);
  if (numel(m.shape) !== 1) throw new OpError(op, `input ${slot} must hold exactly one element, got shape ${fmtShape(m.shape)}`);
  return m;
}

function copyMeta(m: TensorMeta): TensorMeta {
  return { shape: m.shape, dtype: m.dtype };
}

function requireFiniteAttr(op: string, attrs: Attrs, name: string): void {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new OpError(op, `attribute ${name} must be a finite number, got ${String(v)}`);
  }
}

function adamLikeMeta(op: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const p = param(op, inputs);
    likeParam(op, inputs, 'Grad', p);
    const m1 = likeParam(op, inputs, 'Moment1', p);
    const m2 = likeParam(op, inputs, 'Moment2', p);
    scalarInput(op, inputs, 'LearningRate');
    const b1p = scalarInput(op, inputs, 'Beta1Pow')!;
    const b2p = scalarInput(op, inputs, 'Beta2Pow')!;
    for (const a of ['beta1', 'beta2', 'epsilon']) requireFiniteAttr(op, attrs, a);
    if (op !== 'lamb') {
      scalarInput(op, inputs, 'Beta1Tensor');
      scalarInput(op, inputs, 'Beta2Tensor');
    }
    return {
      ParamOut: copyMeta(p),
      Moment1Out: copyMeta(m1),
      Moment2Out: copyMeta(m2),
      Beta1PowOut: copyMeta(b1p),
      Beta2PowOut: copyMeta(b2p),
    };
  };
}

const ADAM_INPUTS = [
  { name: 'Param' },
  { name: 'Grad' },
  { name: 'LearningRate' },
  { name: 'Moment1' },
  { name: 'Moment2' },
  { name: 'Beta1Pow' },
  { name: 'Beta2Pow' },
  // Override the beta1/beta2 attributes with a tensor value when given (Paddle's dispensable inputs).
  { name: 'Beta1Tensor', optional: true },
  { name: 'Beta2Tensor', optional: true },
];
const ADAM_OUTPUTS = [
  { name: 'ParamOut' },
  { name: 'Moment1Out' },
  { name: 'Moment2Out' },
  { name: 'Beta1PowOut' },
  { name: 'Beta2PowOut' },
];
const ADAM_INPLACE = {
  ParamOut: 'Param',
  Moment1Out: 'Moment1',
  Moment2Out: 'Moment2',
  Beta1PowOut: 'Beta1Pow',
  Beta2PowOut: 'Beta2Pow',
};
const ADAM_ATTRS: Attrs = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  // Only changes sparse (SelectedRows) gradients, which Oar does not have; kept for Paddle programs.
  lazy_mode: false,
  min_row_size_to_use_multithread: 1000,
};

export const specs: OpSpec[] = [
  {
    type: 'sgd',
    inputs: [{ name: 'Param' }, { name: 'LearningRate' }, { name: 'Grad' }],
    outputs: [{ name: 'ParamOut' }],
    attrs: {},
    inplace: { ParamOut: 'Param' },
    inferMeta: (inputs) => {
      const p = param('sgd', inputs);
      likeParam('sgd', inputs, 'Grad', p);
      scalarInput('sgd', inputs, 'LearningRate');
      return { ParamOut: copyMeta(p) };
    },
  },
  {
    type: 'momentum',
    inputs: [{ name: 'Param' }, { name: 'Grad' }, { name: 'Velocity' }, { name: 'LearningRate' }],
    outputs: [{ name: 'ParamOut' }, { name: 'VelocityOut' }],
    // Paddle's mu has no default (the op requires it); 0 makes a missing mu plain SGD.
    attrs: { mu: 0, use_nesterov: false, regularization_method: '', regularization_coeff: 0, rescale_grad: 1 },
    inplace: { ParamOut: 'Param', VelocityOut: 'Velocity' },
    inferMeta: (inputs, attrs) => {
      const p = param('momentum', inputs);
      likeParam('momentum', inputs, 'Grad', p);
      const v = likeParam('momentum', inputs, 'Velocity', p);
      scalarInput('momentum', inputs, 'LearningRate');
      const method = strAttr(attrs, 'regularization_method');
      if (method !== '' && method !== 'l2_decay') {
        throw new OpError('momentum', `attribute regularization_method must be "" or "l2_decay", got "${method}"`);
      }
      for (const a of ['mu', 'regularization_coeff', 'rescale_grad']) requireFiniteAttr('momentum', attrs, a);
      return { ParamOut: copyMeta(p), VelocityOut: copyMeta(v) };
    },
  },
  {
    type: 'adam',
    inputs: ADAM_INPUTS,
    outputs: ADAM_OUTPUTS,
    attrs: { ...ADAM_ATTRS },
    inplace: ADAM_INPLACE,
    inferMeta: adamLikeMeta('adam'),
  },
  {
    type: 'adamw',
    inputs: ADAM_INPUTS,
    outputs: ADAM_OUTPUTS,
    attrs: { ...ADAM_ATTRS, coeff: 0.01, lr_ratio: 1, with_decay: false },
    inplace: ADAM_INPLACE,
    inferMeta: (inputs, attrs) => {
      requireFiniteAttr('adamw', attrs, 'coeff');
      requireFiniteAttr('adamw', attrs, 'lr_ratio');
      return adamLikeMeta('adamw')(inputs, attrs);
    },
  },
  {
    type: 'rmsprop',
    inputs: [
      { name: 'Param' },
      { name: 'MeanSquare' },
      { name: 'Grad' },
      { name: 'Moment' },
      { name: 'LearningRate' },
      { name: 'MeanGrad', optional: true },
    ],
    outputs: [{ name: 'ParamOut' }, { name: 'MomentOut' }, { name: 'MeanSquareOut' }, { name: 'MeanGradOut', optional: true }],
    attrs: { epsilon: 1e-10, decay: 0.9, momentum: 0, centered: false },
    inplace: { ParamOut: 'Param', MomentOut: 'Moment', MeanSquareOut: 'MeanSquare', MeanGradOut: 'MeanGrad' },
    inferMeta: (inputs, attrs) => {
      const p = param('rmsprop', inputs);
      likeParam('rmsprop', inputs, 'Grad', p);
      const ms = likeParam('rmsprop', inputs, 'MeanSquare', p);
      const mom = likeParam('rmsprop', inputs, 'Moment', p);
      scalarInput('rmsprop', inputs, 'LearningRate');
      for (const a of ['epsilon', 'decay', 'momentum']) requireFiniteAttr('rmsprop', attrs, a);
      const out: SlotMap<TensorMeta> = { ParamOut: copyMeta(p), MomentOut: copyMeta(mom), MeanSquareOut: copyMeta(ms) };
      if (maybe(inputs, 'MeanGrad')) out.MeanGradOut = copyMeta(likeParam('rmsprop', inputs, 'MeanGrad', p));
      else if (boolAttr(attrs, 'centered')) {
        throw new OpError('rmsprop', 'centered=true needs input MeanGrad (the running mean of the gradient)');
      }
      return out;
    },
  },
  {
    type: 'lamb',
    inputs: ADAM_INPUTS.slice(0, 7),
    outputs: ADAM_OUTPUTS,
    // Paddle's weight_decay has no default (the op requires it); 0 means no decay.
    attrs: { weight_decay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 },
    inplace: ADAM_INPLACE,
    inferMeta: (inputs, attrs) => {
      requireFiniteAttr('lamb', attrs, 'weight_decay');
      return adamLikeMeta('lamb')(inputs, attrs);
    },
  },
];
