/**
 * The convolution fusions of Paddle Inference's CPU pass list, under Paddle's pass names. Each
 * folds the operator after a convolution into it, ending in conv2d's fused form
 * Output = act(conv(Input) + Bias + ResidualData), which the CPU backend runs as one oneDNN
 * primitive (bias and post-ops):
 *
 * - conv_eltwiseadd_bn_fuse_pass, conv_bn_fuse_pass: an inference batch_norm (and a bias add
 *   before it) folded into the filter and a bias: W'[m] = W[m]·a[m], b'[m] = (b[m] − mean[m])·a[m]
 *   + beta[m] with a[m] = gamma[m] / sqrt(var[m] + eps), computed in float64.
 * - conv_bias_mkldnn_fuse_pass: a per-channel elementwise_add of a parameter becomes Bias.
 * - conv_elementwise_add_mkldnn_fuse_pass: adding another activation of the same shape (a
 *   residual connection) becomes ResidualData.
 * - conv_activation_mkldnn_fuse_pass: a following relu, leaky_relu, relu6, swish, hard_swish,
 *   sigmoid or tanh becomes fuse_activation.
 *
 * A fusion applies only where the intermediate result has no other reader and is not fetched, and
 * moving the result's write to the convolution's position changes nothing any op in between sees.
 */
import type { OpDesc } from '../proto';
import { attr, attrOf, slot, values, type Graph } from './graph';
import { fuseResidualAdds } from './residual';

const CONVS = new Set(['conv2d', 'depthwise_conv2d']);

interface ConvState {
  bias?: string;
  residual?: string;
  act: string;
  nchw: boolean;
}

function convState(op: OpDesc): ConvState | undefined {
  if (!CONVS.has(op.type)) return undefined;
  const fmt = attrOf(op, 'data_format', 'NCHW');
  return {
    bias: slot(op.inputs, 'Bias'),
    residual: slot(op.inputs, 'ResidualData'),
    act: attrOf(op, 'fuse_activation', '') || (attrOf(op, 'fuse_relu', false) ? 'relu' : ''),
    nchw: fmt === 'NCHW' || fmt === 'AnyLayout',
  };
}

/** Output channels of a convolution (its filter's first extent), when the filter is a parameter. */
function outChannels(g: Graph, conv: OpDesc): number | undefined {
  const f = slot(conv.inputs, 'Filter');
  return g.isParam(f) ? g.params.get(f)!.shape[0] : undefined;
}

function takeOutput(g: Graph, conv: OpDesc, later: OpDesc, out: string): boolean {
  return g.takeOutput(conv, 'Output', later, out);
}

function perChannelParam(g: Graph, name: string | undefined, channels: number): Float64Array | undefined {
  if (!g.isParam(name)) return undefined;
  const t = g.params.get(name)!;
  return t.dtype === 'float32' && t.size === channels ? values(t) : undefined;
}

/** The per-channel bias an elementwise_add after an NCHW convolution adds, if it is one. */
function biasAdd(g: Graph, add: OpDesc, from: string, channels: number, nchw: boolean): Float64Array | undefined {
  if (add.type !== 'elementwise_add' || slot(add.inputs, 'X') !== from) return undefined;
  const y = slot(add.inputs, 'Y');
  const t = y !== undefined ? g.params.get(y) : undefined;
  if (!t) return undefined;
  const axis = attrOf(add, 'axis', -1);
  // NCHW: a [C] vector at axis 1, or [C, 1, 1] aligned to the end; NHWC: [C] at the end.
  const ok = nchw ? (t.shape.length === 1 && axis === 1) || (t.shape.length === 3 && t.shape[1] === 1 && t.shape[2] === 1 && (axis === -1 || axis === 1)) : t.shape.length === 1 && (axis === -1 || axis === 3);
  return ok ? perChannelParam(g, y, channels) : undefined;
}

/** conv_eltwiseadd_bn_fuse_pass and conv_bn_fuse_pass. */
export function convBnFuse(g: Graph, withAdd: boolean): number {
  let fused = 0;
  for (const conv of [...g.ops]) {
    const st = convState(conv);
    if (!st || !st.nchw || st.bias || st.residual || st.act) continue;
    const filterName = slot(conv.inputs, 'Filter');
    const m = outChannels(g, conv);
    const out = slot(conv.outputs, 'Output');
    if (m === undefined || out === undefined || g.params.get(filterName!)!.dtype !== 'float32') continue;
    let next = g.soleReader(out);
    let add: OpDesc | undefined;
    let addBias: Float64Array | undefined;
    if (withAdd) {
      if (!next) continue;
      addBias = biasAdd(g, next, out, m, true);
      const addOut = slot(next.outputs, 'Out');
      if (!addBias || addOut === undefined) continue;
      add = next;
      next = g.soleReader(addOut);
    }
    const bnIn = add ? slot(add.outputs, 'Out') : out;
    if (!next || next.type !== 'batch_norm' || slot(next.inputs, 'X') !== bnIn) continue;
    const bn = next;
    if (!(attrOf(bn, 'is_test', false) || attrOf(bn, 'use_global_stats', false))) continue;
    const layout = attrOf(bn, 'data_layout', 'NCHW');
    if (layout !== 'NCHW' && layout !== 'AnyLayout') continue;
    const gamma = perChannelParam(g, slot(bn.inputs, 'Scale'), m);
    const beta = perChannelParam(g, slot(bn.inputs, 'Bias'), m);
    const mean = perChannelParam(g, slot(bn.inputs, 'Mean'), m);
    const variance = perChannelParam(g, slot(bn.inputs, 'Variance'), m);
    const y = slot(bn.outputs, 'Y');
    if (!gamma || !beta || !mean || !variance || y === undefined) continue;
    // The statistics outputs must be unused (or the statistics themselves, updated in place).
    const extra = Object.entries(bn.outputs).flatMap(([k, v]) => (k === 'Y' ? [] : v));
    if (extra.some((n) => !g.params.has(n) && g.readersOf(n).length > 0)) continue;
    if (!takeOutput(g, conv, bn, y)) continue;

    const eps = attrOf(bn, 'epsilon', 1e-5);
    const w = values(g.params.get(filterName!)!);
    const per = w.length / m;
    const nw = new Float32Array(w.length);
    const nb = new Float32Array(m);
    for (let c = 0; c < m; c++) {
      const a = gamma[c]! / Math.sqrt(variance[c]! + eps);
      for (let i = c * per; i < (c + 1) * per; i++) nw[i] = w[i]! * a;
      nb[c] = ((addBias?.[c] ?? 0) - mean[c]!) * a + beta[c]!;
    }
    conv.inputs.Filter = [g.addParam(filterName!, nw, [...g.params.get(filterName!)!.shape])];
    conv.inputs.Bias = [g.addParam(`${filterName}.bias`, nb, [m])];
    g.remove(bn, ...(add ? [add] : []));
    fused++;
  }
  return fused;
}

/** conv_bias_mkldnn_fuse_pass. */
export function convBiasFuse(g: Graph): number {
  let fused = 0;
  for (const conv of [...g.ops]) {
    const st = convState(conv);
    if (!st || st.residual || st.act) continue;
    const m = outChannels(g, conv);
    const out = slot(conv.outputs, 'Output');
    const add = out !== undefined ? g.soleReader(out) : undefined;
    if (m === undefined || !add) continue;
    const b = biasAdd(g, add, out!, m, st.nchw);
    const addOut = slot(add.outputs, 'Out');
    if (!b || addOut === undefined) continue;
    const old = st.bias !== undefined ? perChannelParam(g, st.bias, m) : undefined;
    if (st.bias !== undefined && !old) continue;
    if (!takeOutput(g, conv, add, addOut)) continue;
    const nb = new Float32Array(m);
    for (let c = 0; c < m; c++) nb[c] = b[c]! + (old?.[c] ?? 0);
    conv.inputs.Bias = [g.addParam(`${slot(conv.inputs, 'Filter')}.bias`, nb, [m])];
    g.remove(add);
    fused++;
  }
  return fused;
}

/** conv_elementwise_add_mkldnn_fuse_pass: a residual connection. */
export function convResidualFuse(g: Graph): number {
  return fuseResidualAdds(g, {
    outSlot: 'Output',
    rank: 4,
    accepts: (op) => {
      const st = convState(op);
      return st !== undefined && !st.residual && !st.act;
    },
  });
}

/** Activations a fused convolution applies, with the fuse_alpha each stores (undefined: not fusable as configured). */
const ACTIVATIONS: Record<string, (op: OpDesc) => number | undefined> = {
  relu: () => 0,
  leaky_relu: (op) => attrOf(op, 'alpha', 0.02),
  relu6: (op) => attrOf(op, 'threshold', 6),
  swish: (op) => attrOf(op, 'beta', 1),
  hard_swish: (op) =>
    attrOf(op, 'threshold', 6) === 6 && attrOf(op, 'scale', 6) === 6 && attrOf(op, 'offset', 3) === 3 ? 0 : undefined,
  sigmoid: () => 0,
  tanh: () => 0,
};

/** conv_activation_mkldnn_fuse_pass. */
export function convActivationFuse(g: Graph): number {
  let fused = 0;
  for (const conv of [...g.ops]) {
    const st = convState(conv);
    if (!st || st.act) continue;
    const out = slot(conv.outputs, 'Output');
    const act = out !== undefined ? g.soleReader(out) : undefined;
    const alphaOf = act ? ACTIVATIONS[act.type] : undefined;
    if (!act || !alphaOf || slot(act.inputs, 'X') !== out) continue;
    const alpha = alphaOf(act);
    const actOut = slot(act.outputs, 'Out');
    if (alpha === undefined || actOut === undefined) continue;
    if (!takeOutput(g, conv, act, actOut)) continue;
    conv.attrs.fuse_activation = attr.str(act.type);
    conv.attrs.fuse_alpha = attr.float(alpha);
    delete conv.attrs.fuse_relu;
    g.remove(act);
    fused++;
  }
  return fused;
}
