/**
 * The fully connected fusions, under Paddle's pass names. They end in fc's form
 * Out = act(flatten(Input, in_num_col_dims) · W + Bias + ResidualData), which the CPU backend runs
 * as one oneDNN inner product with the weights reordered once:
 *
 * - map_matmul_v2_to_mul_pass, map_matmul_to_mul_pass: a product of an activation of rank >= 2 by
 *   a 2-D parameter, without transposes (and, for matmul, alpha 1), becomes mul with
 *   x_num_col_dims = rank − 1 (the same rows: the activation's leading dims flattened).
 * - fc_fuse_pass: mul by a 2-D parameter, then the addition of a bias parameter (one value per
 *   output column, on the last axis), then optionally relu, becomes fc.
 * - fc_act_mkldnn_fuse_pass: a following gelu (erf or tanh form), tanh, sigmoid or hard_swish
 *   (Paddle's default constants) becomes fc's activation_type.
 * - fc_elementwise_add_mkldnn_fuse_pass (Paddle 2.3's): adding another activation of the output's
 *   shape becomes fc's ResidualData, added before any activation (so only fc without one takes it).
 *
 * As for the convolutions, a fusion applies only where the intermediate result has no other
 * reader and is not fetched, and the op in between sees nothing changed.
 */
import type { OpDesc } from '../proto';
import { attr, attrOf, slot, type Graph } from './graph';
import { fuseResidualAdds } from './residual';

/** matmul's MKL-only fused reshape/transpose attributes, which must be unset for a plain product. */
function hasFusedLayout(op: OpDesc): boolean {
  return Object.entries(op.attrs).some(([k, a]) => k.startsWith('fused_') && Array.isArray(a.value) && a.value.length > 0);
}

/** map_matmul_v2_to_mul_pass (`type` matmul_v2) and map_matmul_to_mul_pass (`type` matmul). */
export function mapMatmulToMul(g: Graph, type: 'matmul' | 'matmul_v2'): number {
  let mapped = 0;
  for (const op of g.ops) {
    if (op.type !== type) continue;
    const x = slot(op.inputs, 'X');
    const y = slot(op.inputs, 'Y');
    const rank = x !== undefined ? g.vars.get(x)?.dims?.length : undefined;
    if (rank === undefined || rank < 2 || !g.isParam(y) || g.params.get(y)!.shape.length !== 2) continue;
    const plain =
      type === 'matmul_v2'
        ? !attrOf(op, 'trans_x', false) && !attrOf(op, 'trans_y', false)
        : !attrOf(op, 'transpose_X', false) && !attrOf(op, 'transpose_Y', false) && attrOf(op, 'alpha', 1) === 1 && attrOf(op, 'head_number', 1) === 1 && !hasFusedLayout(op);
    if (!plain) continue;
    op.type = 'mul';
    op.attrs = { x_num_col_dims: attr.int(rank - 1), y_num_col_dims: attr.int(1) };
    mapped++;
  }
  if (mapped) g.changed();
  return mapped;
}

/**
 * The bias parameter an elementwise_add after a product of `n` columns and rank `outRank` adds,
 * if it is one.
 */
function columnBias(g: Graph, add: OpDesc, from: string, n: number, outRank: number): string | undefined {
  if (add.type !== 'elementwise_add' || slot(add.inputs, 'X') !== from) return undefined;
  const b = slot(add.inputs, 'Y');
  if (!g.isParam(b)) return undefined;
  const t = g.params.get(b)!;
  const axis = attrOf(add, 'axis', -1);
  const vector = t.shape.length === 1 && (axis === -1 || axis === outRank - 1);
  const row = t.shape.length === 2 && t.shape[0] === 1 && axis === -1;
  return t.size === n && t.shape[t.shape.length - 1] === n && (vector || row) ? b : undefined;
}

/** fc_fuse_pass. */
export function fcFuse(g: Graph): number {
  let fused = 0;
  for (const mul of [...g.ops]) {
    if (mul.type !== 'mul' || attrOf(mul, 'y_num_col_dims', 1) !== 1) continue;
    const w = slot(mul.inputs, 'Y');
    const out = slot(mul.outputs, 'Out');
    if (!g.isParam(w) || g.params.get(w)!.shape.length !== 2 || out === undefined) continue;
    const add = g.soleReader(out);
    // mul's result has rank x_num_col_dims + 1 (W is 2-D).
    const bias = add ? columnBias(g, add, out, g.params.get(w)!.shape[1]!, attrOf(mul, 'x_num_col_dims', 1) + 1) : undefined;
    const addOut = add ? slot(add.outputs, 'Out') : undefined;
    if (!add || !bias || addOut === undefined) continue;
    const relu = g.soleReader(addOut);
    const reluOut = relu?.type === 'relu' && slot(relu.inputs, 'X') === addOut ? slot(relu.outputs, 'Out') : undefined;
    const last = reluOut !== undefined ? relu! : add;
    const result = reluOut ?? addOut;
    if (!g.takeOutput(mul, 'Out', last, result)) continue;
    mul.type = 'fc';
    mul.inputs = { Input: mul.inputs.X!, W: [w], Bias: [bias] };
    mul.attrs = {
      in_num_col_dims: attr.int(attrOf(mul, 'x_num_col_dims', 1)),
      activation_type: attr.str(reluOut !== undefined ? 'relu' : ''),
      padding_weights: attr.bool(false),
    };
    g.remove(add, ...(reluOut !== undefined ? [relu!] : []));
    fused++;
  }
  return fused;
}

/** The activation_type an fc takes for a following op (undefined: not fusable as configured). */
function fcActivation(op: OpDesc): string | undefined {
  switch (op.type) {
    case 'gelu':
      return attrOf(op, 'approximate', false) ? 'gelu_tanh' : 'gelu_erf';
    case 'tanh':
    case 'sigmoid':
      return op.type;
    case 'hard_swish':
      return attrOf(op, 'threshold', 6) === 6 && attrOf(op, 'scale', 6) === 6 && attrOf(op, 'offset', 3) === 3 ? op.type : undefined;
    default:
      return undefined;
  }
}

const plainFc = (op: OpDesc): boolean => op.type === 'fc' && !attrOf(op, 'activation_type', '') && !attrOf(op, 'fuse_residual_connection', false);

/** fc_act_mkldnn_fuse_pass. */
export function fcActivationFuse(g: Graph): number {
  let fused = 0;
  for (const fc of [...g.ops]) {
    if (fc.type !== 'fc' || attrOf(fc, 'activation_type', '')) continue;
    const out = slot(fc.outputs, 'Out');
    const act = out !== undefined ? g.soleReader(out) : undefined;
    const name = act && slot(act.inputs, 'X') === out ? fcActivation(act) : undefined;
    const actOut = act ? slot(act.outputs, 'Out') : undefined;
    if (!name || actOut === undefined || !g.takeOutput(fc, 'Out', act!, actOut)) continue;
    fc.attrs.activation_type = attr.str(name);
    g.remove(act!);
    fused++;
  }
  return fused;
}

/** fc_elementwise_add_mkldnn_fuse_pass. */
export function fcResidualFuse(g: Graph): number {
  return fuseResidualAdds(g, { outSlot: 'Out', accepts: plainFc });
}
