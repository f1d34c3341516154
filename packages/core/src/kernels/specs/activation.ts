/**
 * Activations (Paddle's activation_op.cc, gelu_op.cc, prelu_op.cc): X -> Out, same shape and
 * dtype, float only.
 *
 * Gradients: the common and the piecewise-defined activations have a dedicated `<op>_grad`
 * operator (one fused pass; slots `X` or `Out` as Paddle's grad op depends on, plus `Out@GRAD`,
 * output `X@GRAD`, same attributes). Each `<op>_grad` is itself differentiable: it is linear in
 * `Out@GRAD`, and its derivative in X (or Out) is dOut·ddX·f'' composed from operators below, so
 * second-order gradients (gradient penalties, Hessian-vector products) work. For piecewise-linear
 * activations f'' is zero. The rarer smooth activations compose their gradient directly.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { add, mul, neg, reshape, scale, sub, unbroadcast } from '../grad-utils';
import { run1 } from '../../ops/run';
import { fmtShape, numel } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, floatAttr, one, requireFloat, strAttr } from './common';
import { requireLike, unaryMeta } from './unary';

/** Paddle's SELU constants (the op maker's defaults). */
export const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU_ALPHA = 1.6732632423543772848170429916717;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** Which forward tensor the `<op>_grad` operator reads. */
type Dep = 'X' | 'Out';

/**
 * t · f''(v) for `<op>_grad`'s own gradient in its `dep` input, where t = dOut · ddX. Null for
 * piecewise-linear activations, whose f'' is zero.
 */
type Second = ((v: Tensor, t: Tensor, attrs: Attrs) => Tensor) | null;

const u = (op: string, x: Tensor, attrs: Record<string, number | boolean> = {}): Tensor => run1(op, { X: x }, attrs);
const sq = (x: Tensor): Tensor => u('square', x);
/** v · [x > threshold], an operator-built mask product (thresholded_relu_grad). */
const above = (x: Tensor, v: Tensor, threshold: number): Tensor =>
  run1('thresholded_relu_grad', { X: x, 'Out@GRAD': v }, { threshold }, 'X@GRAD');

const SECOND: Record<string, Second> = {
  relu: null,
  relu6: null,
  leaky_relu: null,
  brelu: null,
  thresholded_relu: null,
  hard_shrink: null,
  softshrink: null,
  hard_sigmoid: null,
  // f' = out(1 - out) in terms of out: d/dout = 1 - 2 out
  sigmoid: (out, t) => mul(t, scale(out, -2, 1)),
  // f' = 1 - out^2: d/dout = -2 out
  tanh: (out, t) => mul(t, scale(out, -2)),
  gelu: (x, t, a) => {
    const x2 = sq(x);
    if (!boolAttr(a, 'approximate')) {
      // f'' = phi(x) (2 - x^2), phi the standard normal density
      const phi = scale(u('exp', scale(x2, -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return mul(t, mul(phi, scale(x2, -1, 2)));
    }
    // f = x/2 (1 + T), T = tanh(w), w = k (x + c x^3):
    // f'' = (1 - T^2) (w' - x T w'^2 + x w''/2), w' = k (1 + 3 c x^2), w'' = 6 k c x
    const k = SQRT_2_OVER_PI;
    const T = u('tanh', scale(add(x, scale(mul(x2, x), GELU_C)), k));
    const w1 = scale(x2, 3 * GELU_C * k, k);
    const inner = add(sub(w1, mul(mul(x, T), sq(w1))), scale(x2, 3 * k * GELU_C));
    return mul(t, mul(scale(sq(T), -1, 1), inner));
  },
  softplus: (x, t, a) => {
    // f'' = beta s (1 - s), s = sigmoid(beta x), except where beta x > threshold (f linear)
    const beta = floatAttr(a, 'beta');
    const bx = scale(x, beta);
    const s = u('sigmoid', bx);
    const q = mul(t, scale(mul(s, scale(s, -1, 1)), beta));
    return sub(q, above(bx, q, floatAttr(a, 'threshold')));
  },
  mish: (x, t, a) => {
    // f = x T, T = tanh(sp): f'' = (1 - T^2) (2 p + x (q - 2 T p^2)), p = sp', q = sp''.
    // Paddle's sp is x above the threshold, exp(x) below -threshold, log1p(exp(x)) between.
    const th = floatAttr(a, 'threshold');
    const nx = neg(x);
    const hi = (v: Tensor): Tensor => above(x, v, th);
    const lo = (v: Tensor): Tensor => above(nx, v, th);
    const mid = (v: Tensor): Tensor => sub(sub(v, hi(v)), lo(v));
    const s = u('sigmoid', x);
    const e = u('exp', x);
    const sp = add(add(mid(u('softplus', x, { beta: 1, threshold: th })), hi(x)), lo(e));
    const p = add(add(mid(s), hi(run1('fill_any_like', { X: x }, { value: 1, dtype: -1 }))), lo(e));
    const q = add(mid(mul(s, scale(s, -1, 1))), lo(e));
    const T = u('tanh', sp);
    const inner = add(scale(p, 2), mul(x, sub(q, scale(mul(T, sq(p)), 2))));
    return mul(t, mul(scale(sq(T), -1, 1), inner));
  },
  swish: (x, t, a) => swishSecond(x, t, floatAttr(a, 'beta')),
  silu: (x, t) => swishSecond(x, t, 1),
  // f'' = alpha e^x below 0, 0 above: elu_grad minus its x > 0 part
  elu: (x, t, a) => sub(run1('elu_grad', { X: x, 'Out@GRAD': t }, a, 'X@GRAD'), above(x, t, 0)),
  selu: (x, t, a) => sub(run1('selu_grad', { X: x, 'Out@GRAD': t }, a, 'X@GRAD'), scale(above(x, t, 0), floatAttr(a, 'scale'))),
  // f'' = 2/scale on -offset < x < threshold - offset, 0 elsewhere
  hard_swish: (x, t, a) => {
    const off = floatAttr(a, 'offset');
    const mask = run1('brelu_grad', { X: x, 'Out@GRAD': t }, { t_min: -off, t_max: floatAttr(a, 'threshold') - off }, 'X@GRAD');
    return scale(mask, 2 / floatAttr(a, 'scale'));
  },
};

/** f = x sigmoid(b x): f'' = b s (1 - s) (2 + b x (1 - 2 s)), s = sigmoid(b x). */
function swishSecond(x: Tensor, t: Tensor, beta: number): Tensor {
  const bx = scale(x, beta);
  const s = u('sigmoid', bx);
  const ds = mul(s, scale(s, -1, 1));
  return mul(t, scale(mul(ds, scale(mul(bx, scale(s, -2, 1)), 1, 2)), beta));
}

/** Forward attributes (Paddle defaults) and grad dependency of the activations with a `<op>_grad`. */
const WITH_GRAD_OP: Record<string, { attrs: Attrs; dep: Dep }> = {
  relu: { attrs: {}, dep: 'Out' },
  relu6: { attrs: { threshold: 6.0 }, dep: 'Out' },
  leaky_relu: { attrs: { alpha: 0.02 }, dep: 'X' },
  brelu: { attrs: { t_min: 0.0, t_max: 24.0 }, dep: 'X' },
  thresholded_relu: { attrs: { threshold: 1.0 }, dep: 'X' },
  hard_shrink: { attrs: { threshold: 0.5 }, dep: 'X' },
  softshrink: { attrs: { lambda: 0.5 }, dep: 'X' },
  hard_sigmoid: { attrs: { slope: 0.2, offset: 0.5 }, dep: 'Out' },
  sigmoid: { attrs: {}, dep: 'Out' },
  tanh: { attrs: {}, dep: 'Out' },
  gelu: { attrs: { approximate: false }, dep: 'X' },
  softplus: { attrs: { beta: 1.0, threshold: 20.0 }, dep: 'X' },
  mish: { attrs: { threshold: 20.0 }, dep: 'X' },
  swish: { attrs: { beta: 1.0 }, dep: 'X' },
  silu: { attrs: {}, dep: 'X' },
  elu: { attrs: { alpha: 1.0 }, dep: 'X' },
  selu: { attrs: { scale: SELU_SCALE, alpha: SELU_ALPHA }, dep: 'X' },
  hard_swish: { attrs: { threshold: 6.0, scale: 6.0, offset: 3.0 }, dep: 'X' },
};

/** The grad dependency of each activation with a `<op>_grad` (read by the CPU kernels). */
export const ACT_GRAD_DEP: Record<string, Dep> = Object.fromEntries(Object.entries(WITH_GRAD_OP).map(([k, v]) => [k, v.dep]));

function gradOpMeta(op: string, dep: Dep) {
  return (inputs: SlotMap<TensorMeta>): SlotMap<TensorMeta> => {
    const dy = one(inputs, 'Out@GRAD');
    requireFloat(op, 'Out@GRAD', dy);
    requireLike(op, dep, one(inputs, dep), dy);
    return { 'X@GRAD': { shape: dy.shape, dtype: dy.dtype } };
  };
}

function runGrad(type: string, dep: Dep, v: Tensor, dy: Tensor, attrs: Attrs): Tensor {
  return run1(`${type}_grad`, { [dep]: v, 'Out@GRAD': dy }, attrs, 'X@GRAD');
}

/** Smooth activations whose gradient is composed directly (no grad op). */
const COMPOSED: Record<string, { attrs: Attrs; grad: (x: Tensor, dy: Tensor, a: Attrs) => Tensor }> = {
  // d/dx log sigmoid(x) = sigmoid(-x)
  logsigmoid: { attrs: {}, grad: (x, dy) => mul(dy, u('sigmoid', neg(x))) },
  // d/dx (x - tanh x) = tanh(x)^2
  tanh_shrink: { attrs: {}, grad: (x, dy) => mul(dy, sq(u('tanh', x))) },
  // d/dx x / (1 + |x|) = 1 / (1 + |x|)^2
  softsign: { attrs: {}, grad: (x, dy) => run1('elementwise_div', { X: dy, Y: sq(scale(u('abs', x), 1, 1)) }) },
  // d/dx b tanh(a x) = a b (1 - tanh(a x)^2)
  stanh: {
    attrs: { scale_a: 0.67, scale_b: 1.7159 },
    grad: (x, dy, a) => {
      const sa = floatAttr(a, 'scale_a');
      const ab = sa * floatAttr(a, 'scale_b');
      return mul(dy, scale(sq(u('tanh', scale(x, sa))), -ab, ab));
    },
  },
};

export const ACTIVATION_OPS = [...Object.keys(WITH_GRAD_OP), ...Object.keys(COMPOSED), 'prelu'];

export const specs: OpSpec[] = [];

for (const [type, { attrs, dep }] of Object.entries(WITH_GRAD_OP)) {
  const second = SECOND[type];
  if (second === undefined) throw new Error(`activation ${type}: no second-derivative rule`);
  specs.push(
    {
      type,
      inputs: [{ name: 'X' }],
      outputs: [{ name: 'Out' }],
      attrs,
      inferMeta: unaryMeta(type),
      grad: (c) => {
        const v = (dep === 'X' ? c.inputs.X : c.outputs.Out) as Tensor;
        return { X: runGrad(type, dep, v, c.outGrads.Out as Tensor, c.attrs) };
      },
    },
    {
      type: `${type}_grad`,
      inputs: [{ name: dep }, { name: 'Out@GRAD' }],
      outputs: [{ name: 'X@GRAD' }],
      attrs,
      inferMeta: gradOpMeta(`${type}_grad`, dep),
      grad: (c: GradContext) => {
        const v = c.inputs[dep] as Tensor;
        const ddx = c.outGrads['X@GRAD'] as Tensor;
        return {
          'Out@GRAD': c.needs('Out@GRAD') ? runGrad(type, dep, v, ddx, c.attrs) : null,
          [dep]: c.needs(dep) && second ? second(v, mul(c.inputs['Out@GRAD'] as Tensor, ddx), c.attrs) : null,
        };
      },
    },
  );
}

for (const [type, { attrs, grad }] of Object.entries(COMPOSED)) {
  specs.push({
    type,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs,
    inferMeta: unaryMeta(type),
    grad: (c) => ({ X: grad(c.inputs.X as Tensor, c.outGrads.Out as Tensor, c.attrs) }),
  });
}

// ---- prelu ---------------------------------------------------------------------------------------

export type PreluMode = 'all' | 'channel' | 'element';

/** Validated prelu geometry: how Alpha lines up with X. */
export interface PreluLayout {
  mode: PreluMode;
  nhwc: boolean;
  /** Alpha's shape for elementwise broadcasting against X with `axis` (Paddle's rule). */
  alphaShape: number[];
  axis: number;
}

export function preluLayout(x: readonly number[], alpha: readonly number[], attrs: Attrs): PreluLayout {
  const mode = strAttr(attrs, 'mode');
  const fmt = strAttr(attrs, 'data_format');
  if (fmt !== 'NCHW' && fmt !== 'NHWC' && fmt !== 'AnyLayout') {
    throw new OpError('prelu', `attribute data_format must be NCHW or NHWC, got "${fmt}"`);
  }
  const nhwc = fmt === 'NHWC';
  const na = numel(alpha);
  const bad = (want: string): OpError =>
    new OpError('prelu', `input Alpha must have ${want} in mode "${mode}" for X ${fmtShape(x)}, got shape ${fmtShape(alpha)}`);
  if (mode === 'all') {
    if (na !== 1) throw bad('one element');
    return { mode, nhwc, alphaShape: [1], axis: -1 };
  }
  if (mode === 'channel') {
    if (x.length < 2) throw new OpError('prelu', `mode "channel" needs X of rank >= 2, got shape ${fmtShape(x)}`);
    const c = nhwc ? x[x.length - 1]! : x[1]!;
    if (na !== c) throw bad(`${c} elements (one per channel)`);
    return { mode, nhwc, alphaShape: [c], axis: nhwc ? -1 : 1 };
  }
  if (mode === 'element') {
    const per = x.slice(1);
    if (na !== numel(per)) throw bad(`${numel(per)} elements (one per element of a sample)`);
    return { mode, nhwc, alphaShape: per.length ? per : [1], axis: -1 };
  }
  throw new OpError('prelu', `attribute mode must be "all", "channel" or "element", got "${mode}"`);
}

specs.push({
  type: 'prelu',
  inputs: [{ name: 'X' }, { name: 'Alpha' }],
  outputs: [{ name: 'Out' }],
  attrs: { mode: 'all', data_format: 'NCHW' },
  inferMeta: (inputs, attrs) => {
    const x = one(inputs, 'X');
    const alpha = one(inputs, 'Alpha');
    requireFloat('prelu', 'X', x);
    if (alpha.dtype !== x.dtype) throw new OpError('prelu', `input Alpha must have X's dtype ${x.dtype}, got ${alpha.dtype}`);
    preluLayout(x.shape, alpha.shape, attrs);
    return { Out: { shape: x.shape, dtype: x.dtype } };
  },
  grad: (c) => {
    const x = c.inputs.X as Tensor;
    const alpha = c.inputs.Alpha as Tensor;
    const dy = c.outGrads.Out as Tensor;
    const { alphaShape, axis } = preluLayout(x.shape, alpha.shape, c.attrs);
    const a = reshape(alpha, alphaShape);
    const pos = u('relu', x);
    let dx: Tensor | null = null;
    let da: Tensor | null = null;
    if (c.needs('X')) {
      // dy where x > 0, alpha · dy elsewhere
      const dyPos = run1('relu_grad', { Out: pos, 'Out@GRAD': dy }, {}, 'X@GRAD');
      dx = add(dyPos, run1('elementwise_mul', { X: sub(dy, dyPos), Y: a }, { axis }));
    }
    if (c.needs('Alpha')) {
      // d/dalpha = dy · min(x, 0), summed over the positions sharing each alpha
      const g = mul(dy, sub(x, pos));
      da = reshape(unbroadcast(g, x.shape, alphaShape, axis, 'Y'), alpha.shape);
    }
    return { X: dx, Alpha: da };
  },
});
