/**
 * Matrix products: matmul_v2 (numpy.matmul with trans_x/trans_y), matmul (v1: transpose_X,
 * transpose_Y, alpha, flattened-batch rule), mul (x_num_col_dims/y_num_col_dims flattening) and
 * fc, the fully connected layer Paddle's inference passes fuse (product, bias, activation).
 * Gradients are written with matmul_v2 on the operands' matrix views plus reductions over the
 * batch dimensions an operand was broadcast along, so every backend inherits them.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { reshape, scale, sumToShape } from '../grad-utils';
import { run1 } from '../../ops/run';
import { broadcastShapes, fmtShape, numel, shapesEqual, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, floatAttr, intAttr, maybe, one, requireFloat, requireSameDType, strAttr } from './common';

/**
 * How a (batched) product is laid out: each operand as `batch ++ [rows, cols]` in storage,
 * op(X) is M×K and op(Y) is K×N. `xBatch`/`yBatch` are the operands' own batch shapes,
 * `batch` the output's; `outShape` is the shape the op reports (rank-1 dims removed).
 */
export interface MatmulPlan {
  xBatch: number[];
  yBatch: number[];
  batch: number[];
  /** Matrix view of each operand (rank-1 promoted): batch ++ [rows, cols]. */
  xMat: number[];
  yMat: number[];
  m: number;
  k: number;
  n: number;
  transX: boolean;
  transY: boolean;
  outShape: number[];
}

function rowsCols(s: readonly number[]): [number, number] {
  return [s[s.length - 2]!, s[s.length - 1]!];
}

function requireMatrixOperands(op: string, x: TensorMeta, y: TensorMeta): void {
  requireFloat(op, 'X', x);
  requireFloat(op, 'Y', y);
  requireSameDType(op, ['X', x], ['Y', y]);
  if (x.shape.length === 0) throw new OpError(op, `input X must have rank >= 1, got shape ${fmtShape(x.shape)}`);
  if (y.shape.length === 0) throw new OpError(op, `input Y must have rank >= 1, got shape ${fmtShape(y.shape)}`);
}

function innerMismatch(op: string, x: Shape, y: Shape, k1: number, k2: number, tx: string, ty: string): OpError {
  return new OpError(
    op,
    `inner dimensions differ: op(X) has ${k1} columns but op(Y) has ${k2} rows (X ${fmtShape(x)} ${tx}, Y ${fmtShape(y)} ${ty})`,
  );
}

/** numpy.matmul: rank-1 operands are promoted (and their trans flag ignored), batch dims broadcast. */
export function matmulV2Plan(x: Shape, y: Shape, transX: boolean, transY: boolean): MatmulPlan {
  const op = 'matmul_v2';
  const xMat = x.length === 1 ? [1, x[0]!] : [...x];
  const yMat = y.length === 1 ? [y[0]!, 1] : [...y];
  const tx = x.length === 1 ? false : transX;
  const ty = y.length === 1 ? false : transY;
  const [xr, xc] = rowsCols(xMat);
  const [yr, yc] = rowsCols(yMat);
  const m = tx ? xc : xr;
  const k = tx ? xr : xc;
  const ky = ty ? yc : yr;
  const n = ty ? yr : yc;
  if (k !== ky) throw innerMismatch(op, x, y, k, ky, `trans_x=${transX}`, `trans_y=${transY}`);
  const xBatch = xMat.slice(0, -2);
  const yBatch = yMat.slice(0, -2);
  const batch = broadcastShapes(xBatch, yBatch);
  if (!batch) {
    throw new OpError(
      op,
      `batch dimensions of X ${fmtShape(x)} and Y ${fmtShape(y)} cannot be broadcast: ${fmtShape(xBatch)} vs ${fmtShape(yBatch)}`,
    );
  }
  const outShape = [...batch];
  if (x.length !== 1) outShape.push(m);
  if (y.length !== 1) outShape.push(n);
  if (x.length === 1 && y.length === 1) outShape.push(1);
  return { xBatch, yBatch, batch, xMat, yMat, m, k, n, transX: tx, transY: ty, outShape };
}

/**
 * matmul (v1): rank-1 X is [1, K] and rank-1 Y is [K, 1] before the transpose flags apply; an
 * operand of rank >= 3 has a batch of prod(leading dims); both batches must be equal unless one
 * operand has none (it is then reused for every batch). Output dims follow Paddle's infer-shape.
 */
export function matmulV1Plan(x: Shape, y: Shape, transX: boolean, transY: boolean): MatmulPlan {
  const op = 'matmul';
  const xMat = x.length === 1 ? [1, x[0]!] : [...x];
  const yMat = y.length === 1 ? [y[0]!, 1] : [...y];
  const [xr, xc] = rowsCols(xMat);
  const [yr, yc] = rowsCols(yMat);
  const m = transX ? xc : xr;
  const k = transX ? xr : xc;
  const ky = transY ? yc : yr;
  const n = transY ? yr : yc;
  if (k !== ky) throw innerMismatch(op, x, y, k, ky, `transpose_X=${transX}`, `transpose_Y=${transY}`);
  const bx = xMat.length >= 3 ? numel(xMat.slice(0, -2)) : 0;
  const by = yMat.length >= 3 ? numel(yMat.slice(0, -2)) : 0;
  if (bx !== 0 && by !== 0 && bx !== by) {
    throw new OpError(
      op,
      `batch sizes differ: X ${fmtShape(x)} has ${bx} matrices, Y ${fmtShape(y)} has ${by} (they must be equal, or one operand must have rank <= 2)`,
    );
  }
  let out: number[];
  if (bx !== 0) out = [...x.slice(0, -2), m, n];
  else if (by !== 0) out = [...y.slice(0, -2), m, n];
  else out = [m, n];
  if (x.length === 1 && out[out.length - 2] === 1) {
    out[out.length - 2] = out[out.length - 1]!;
    out.pop();
  }
  if (y.length === 1 && out[out.length - 1] === 1) out.pop();
  if (out.length === 0) out = [1];
  // Batches are flattened (v1 does not broadcast): the kernel walks min(1, b) x b pairs.
  const xBatch = bx ? [bx] : [];
  const yBatch = by ? [by] : [];
  return {
    xBatch,
    yBatch,
    batch: bx || by ? [Math.max(bx, by)] : [],
    xMat: [...xBatch, xr, xc],
    yMat: [...yBatch, yr, yc],
    m,
    k,
    n,
    transX,
    transY,
    outShape: out,
  };
}

/** mul: X viewed as [prod(x[:xn]), prod(x[xn:])], Y likewise; Out = x[:xn] ++ y[yn:]. */
export function mulPlan(x: Shape, y: Shape, xn: number, yn: number): MatmulPlan {
  const op = 'mul';
  if (!Number.isInteger(xn) || xn < 1 || xn >= x.length) {
    throw new OpError(op, `x_num_col_dims must be in [1, rank of X) = [1, ${x.length}), got ${xn} (X ${fmtShape(x)})`);
  }
  if (!Number.isInteger(yn) || yn < 1 || yn >= y.length) {
    throw new OpError(op, `y_num_col_dims must be in [1, rank of Y) = [1, ${y.length}), got ${yn} (Y ${fmtShape(y)})`);
  }
  const m = numel(x.slice(0, xn));
  const k = numel(x.slice(xn));
  const ky = numel(y.slice(0, yn));
  const n = numel(y.slice(yn));
  if (k !== ky) {
    throw new OpError(
      op,
      `X ${fmtShape(x)} flattened at x_num_col_dims=${xn} is ${m}x${k}, Y ${fmtShape(y)} flattened at y_num_col_dims=${yn} is ${ky}x${n}: ${k} != ${ky}`,
    );
  }
  return {
    xBatch: [],
    yBatch: [],
    batch: [],
    xMat: [m, k],
    yMat: [k, n],
    m,
    k,
    n,
    transX: false,
    transY: false,
    outShape: [...x.slice(0, xn), ...y.slice(yn)],
  };
}

export function planFor(type: string, x: Shape, y: Shape, attrs: Attrs): MatmulPlan {
  switch (type) {
    case 'matmul_v2':
      return matmulV2Plan(x, y, boolAttr(attrs, 'trans_x'), boolAttr(attrs, 'trans_y'));
    case 'matmul':
      return matmulV1Plan(x, y, boolAttr(attrs, 'transpose_X'), boolAttr(attrs, 'transpose_Y'));
    case 'mul':
      return mulPlan(x, y, intAttr(attrs, 'x_num_col_dims'), intAttr(attrs, 'y_num_col_dims'));
    default:
      throw new Error(`no matrix-product plan for ${type}`);
  }
}

function productMeta(type: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const x = one(inputs, 'X');
    const y = one(inputs, 'Y');
    requireMatrixOperands(type, x, y);
    if (type === 'matmul' && intAttr(attrs, 'head_number') !== 1) {
      throw new OpError(type, `head_number ${intAttr(attrs, 'head_number')} is not supported (only 1; it is an MKL-only fusion)`);
    }
    return { Out: { shape: planFor(type, x.shape, y.shape, attrs).outShape, dtype: x.dtype } };
  };
}

const mm = (a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor =>
  run1('matmul_v2', { X: a, Y: b }, { trans_x: ta, trans_y: tb });

/**
 * Gradients of Out = op(X) @ op(Y) for matrix views `x` (batch ++ [r, c]) and `y`, given the
 * upstream gradient `g` of shape batch ++ [M, N]. Each result is reduced over the batch dims its
 * operand was broadcast along, so it has the operand's view shape.
 */
function productGrads(
  x: Tensor,
  y: Tensor,
  g: Tensor,
  tx: boolean,
  ty: boolean,
  needX: boolean,
  needY: boolean,
): [Tensor | null, Tensor | null] {
  // A batched X against one matrix Y (a linear layer): fold X's batch into its rows, so dY is a
  // single product rather than a batch of them summed afterwards.
  if (!tx && x.ndim > 2 && y.ndim === 2) {
    const k = x.shape[x.ndim - 1]!;
    const x2 = reshape(x, [x.size / k, k]);
    const g2 = reshape(g, [g.size / g.shape[g.ndim - 1]!, g.shape[g.ndim - 1]!]);
    const [dx2, dy] = productGrads(x2, y, g2, false, ty, needX, needY);
    return [dx2 ? reshape(dx2, x.shape) : null, dy];
  }
  let dx: Tensor | null = null;
  let dy: Tensor | null = null;
  if (needX) {
    if (!tx && !ty) dx = mm(g, y, false, true);
    else if (!tx && ty) dx = mm(g, y, false, false);
    else if (tx && !ty) dx = mm(y, g, false, true);
    else dx = mm(y, g, true, true);
    dx = sumToShape(dx, x.shape);
  }
  if (needY) {
    if (!tx && !ty) dy = mm(x, g, true, false);
    else if (!tx && ty) dy = mm(g, x, true, false);
    else if (tx && !ty) dy = mm(x, g, false, false);
    else dy = mm(g, x, true, true);
    dy = sumToShape(dy, y.shape);
  }
  return [dx, dy];
}

function productGrad(type: string): (c: GradContext) => Record<string, Tensor | null> {
  return (c) => {
    const x = c.inputs.X as Tensor;
    const y = c.inputs.Y as Tensor;
    const plan = planFor(type, x.shape, y.shape, c.attrs);
    let g = c.outGrads.Out as Tensor;
    if (type === 'matmul') {
      const alpha = floatAttr(c.attrs, 'alpha');
      if (alpha !== 1) g = scale(g, alpha);
    }
    const gShape = [...plan.batch, plan.m, plan.n];
    const xv = shapesEqual(x.shape, plan.xMat) ? x : reshape(x, plan.xMat);
    const yv = shapesEqual(y.shape, plan.yMat) ? y : reshape(y, plan.yMat);
    const gv = shapesEqual(g.shape, gShape) ? g : reshape(g, gShape);
    const [dx, dy] = productGrads(xv, yv, gv, plan.transX, plan.transY, c.needs('X'), c.needs('Y'));
    return {
      X: dx && !shapesEqual(dx.shape, x.shape) ? reshape(dx, x.shape) : dx,
      Y: dy && !shapesEqual(dy.shape, y.shape) ? reshape(dy, y.shape) : dy,
    };
  };
}

// ---- fc: Out = act(flatten(Input, in_num_col_dims) · W + Bias [+ ResidualData]) ----------------

/**
 * Activations fc applies: fc_fuse_pass's relu and fc_act_mkldnn_fuse_pass's others ("gelu" is the
 * erf form, as gelu's default).
 */
export const FC_ACTIVATIONS = ['relu', 'gelu', 'gelu_erf', 'gelu_tanh', 'tanh', 'sigmoid', 'hard_swish'] as const;
export type FcActivation = 'relu' | 'gelu_erf' | 'gelu_tanh' | 'tanh' | 'sigmoid' | 'hard_swish';

export interface FcPlan {
  /** Rows (Input flattened at in_num_col_dims), inner size and output columns. */
  m: number;
  k: number;
  n: number;
  /** Row stride of W as stored (n + 4 with padding_weights). */
  ldw: number;
  act?: FcActivation;
  residual: boolean;
  outShape: number[];
}

/**
 * The layout of one fc call. `padding_weights` (an MKL layout) stores W as [K + 4, N + 4] of
 * which the top-left [K, N] block is used. ResidualData (with fuse_residual_connection, as later
 * Paddle's fc_elementwise_add_mkldnn_fuse_pass makes it) is added before the activation.
 */
export function fcPlan(input: Shape, w: Shape, attrs: Attrs): FcPlan {
  const op = 'fc';
  const nc = intAttr(attrs, 'in_num_col_dims');
  if (!Number.isInteger(nc) || nc < 1 || nc >= input.length) {
    throw new OpError(op, `in_num_col_dims must be in [1, rank of Input) = [1, ${input.length}), got ${nc} (Input ${fmtShape(input)})`);
  }
  if (w.length !== 2) throw new OpError(op, `input W must be a [K, N] matrix, got shape ${fmtShape(w)}`);
  const pad = boolAttr(attrs, 'padding_weights') ? 4 : 0;
  const k = w[0]! - pad;
  const n = w[1]! - pad;
  const m = numel(input.slice(0, nc));
  const kIn = numel(input.slice(nc));
  if (k !== kIn) {
    throw new OpError(
      op,
      `Input ${fmtShape(input)} flattened at in_num_col_dims=${nc} is ${m}x${kIn}, but W ${fmtShape(w)}${pad ? ' (padding_weights)' : ''} has ${k} rows`,
    );
  }
  const name = strAttr(attrs, 'activation_type');
  if (name && !(FC_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new OpError(op, `activation_type "${name}" is not one Oar fuses (it fuses ${FC_ACTIVATIONS.join(', ')})`);
  }
  const act = (name === 'gelu' ? 'gelu_erf' : name || undefined) as FcActivation | undefined;
  return { m, k, n, ldw: n + pad, act, residual: boolAttr(attrs, 'fuse_residual_connection'), outShape: [...input.slice(0, nc), n] };
}

function fcMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'fc';
  const x = one(inputs, 'Input');
  const w = one(inputs, 'W');
  requireFloat(op, 'Input', x);
  requireSameDType(op, ['Input', x], ['W', w]);
  const plan = fcPlan(x.shape, w.shape, attrs);
  const b = maybe(inputs, 'Bias');
  if (b) {
    requireSameDType(op, ['Input', x], ['Bias', b]);
    if (numel(b.shape) !== plan.n || b.shape.length > 2 || (b.shape.length === 2 && b.shape[0] !== 1)) {
      throw new OpError(op, `input Bias must be [${plan.n}] or [1, ${plan.n}] (one value per output column), got ${fmtShape(b.shape)}`);
    }
  }
  const r = maybe(inputs, 'ResidualData');
  if (plan.residual !== (r !== undefined)) {
    throw new OpError(op, plan.residual ? 'fuse_residual_connection is set but input ResidualData is not given' : 'input ResidualData is given but fuse_residual_connection is not set');
  }
  if (r) {
    requireSameDType(op, ['Input', x], ['ResidualData', r]);
    if (!shapesEqual(r.shape, plan.outShape)) {
      throw new OpError(op, `input ResidualData must have the output's shape ${fmtShape(plan.outShape)}, got ${fmtShape(r.shape)}`);
    }
  }
  return { Out: { shape: plan.outShape, dtype: x.dtype } };
}

/** The activation's `<op>_grad` and the tensor it reads: the result (Out) or the pre-activation. */
const FC_ACT_GRAD: Record<FcActivation, { op: string; dep: 'X' | 'Out'; attrs: Attrs }> = {
  relu: { op: 'relu_grad', dep: 'Out', attrs: {} },
  tanh: { op: 'tanh_grad', dep: 'Out', attrs: {} },
  sigmoid: { op: 'sigmoid_grad', dep: 'Out', attrs: {} },
  gelu_erf: { op: 'gelu_grad', dep: 'X', attrs: { approximate: false } },
  gelu_tanh: { op: 'gelu_grad', dep: 'X', attrs: { approximate: true } },
  hard_swish: { op: 'hard_swish_grad', dep: 'X', attrs: {} },
};

/**
 * Paddle registers no gradient for fc; Oar's is the unfused layers' (activation grad, then the
 * product's and the bias's), so a fused program can be fine-tuned. The pre-activation, where the
 * activation's gradient needs it, is recomputed by an fc without activation.
 */
function fcGrad(c: GradContext): Record<string, Tensor | null> {
  const x = c.inputs.Input as Tensor;
  const w = c.inputs.W as Tensor;
  if (boolAttr(c.attrs, 'padding_weights')) {
    throw new OpError('fc', 'fc with padding_weights (an inference weight layout) has no gradient; train with W unpadded');
  }
  const plan = fcPlan(x.shape, w.shape, c.attrs);
  let dz = c.outGrads.Out as Tensor;
  if (plan.act) {
    const g = FC_ACT_GRAD[plan.act];
    const v = g.dep === 'Out' ? (c.outputs.Out as Tensor) : run1('fc', { ...c.inputs }, { ...c.attrs, activation_type: '' });
    dz = run1(g.op, { [g.dep]: v, 'Out@GRAD': dz }, g.attrs, 'X@GRAD');
  }
  const dz2 = reshape(dz, [plan.m, plan.n]);
  const b = c.inputs.Bias as Tensor | undefined;
  return {
    Input: c.needs('Input') ? reshape(mm(dz2, w, false, true), x.shape) : null,
    W: c.needs('W') ? mm(reshape(x, [plan.m, plan.k]), dz2, true, false) : null,
    Bias: b && c.needs('Bias') ? reshape(sumToShape(dz2, [1, plan.n]), b.shape) : null,
    ResidualData: c.inputs.ResidualData && c.needs('ResidualData') ? dz : null,
  };
}

export const specs: OpSpec[] = [
  {
    type: 'matmul_v2',
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: { trans_x: false, trans_y: false },
    inferMeta: productMeta('matmul_v2'),
    grad: productGrad('matmul_v2'),
  },
  {
    type: 'matmul',
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: { transpose_X: false, transpose_Y: false, alpha: 1, head_number: 1 },
    inferMeta: productMeta('matmul'),
    grad: productGrad('matmul'),
  },
  {
    type: 'mul',
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'Out' }],
    attrs: { x_num_col_dims: 1, y_num_col_dims: 1 },
    inferMeta: productMeta('mul'),
    grad: productGrad('mul'),
  },
  {
    type: 'fc',
    inputs: [{ name: 'Input' }, { name: 'W' }, { name: 'Bias', optional: true }, { name: 'ResidualData', optional: true }],
    outputs: [{ name: 'Out' }],
    attrs: { in_num_col_dims: 1, activation_type: '', padding_weights: false, fuse_residual_connection: false },
    inferMeta: fcMeta,
    grad: fcGrad,
  },
];
