/**
 * 2-D convolutions: conv2d, depthwise_conv2d, conv2d_transpose, depthwise_conv2d_transpose,
 * and their dedicated gradient operators (`<op>_grad`: Input, Filter, Output@GRAD ->
 * Input@GRAD, Filter@GRAD), as Paddle defines them.
 *
 * Every kernel works on one geometry, that of a plain convolution (`ConvGeom`): a transposed
 * convolution is the data gradient of the convolution that maps its Output to its Input, so its
 * geometry has the roles of Input and Output swapped.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { runAll } from '../../ops/run';
import { fmtShape, numel, shapesEqual, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { intAttr, intsAttr, one, requireFloat, requireSameDType, strAttr } from './common';

export const CONV_OPS = ['conv2d', 'depthwise_conv2d'] as const;
export const CONV_TRANSPOSE_OPS = ['conv2d_transpose', 'depthwise_conv2d_transpose'] as const;

/**
 * A convolution from `c`×`h`×`w` images to `m`×`oh`×`ow` images with an [m, c/groups, kh, kw]
 * filter: out[m, y, x] = Σ in[c, y·sh − pt + i·dh, x·sw − pl + j·dw] · f[m, c, i, j].
 * Bottom/right padding is implied by `oh`/`ow`.
 */
export interface ConvGeom {
  n: number;
  c: number;
  h: number;
  w: number;
  m: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  dh: number;
  dw: number;
  groups: number;
  /** Input and Output are NHWC (the filter keeps its layout). */
  nhwc: boolean;
}

/** The data_format attribute as a layout; Paddle 1.x's "AnyLayout" means NCHW. */
export function isNHWC(op: string, attrs: Attrs): boolean {
  const f = strAttr(attrs, 'data_format');
  if (f === 'NHWC') return true;
  if (f === 'NCHW' || f === 'AnyLayout') return false;
  throw new OpError(op, `data_format must be "NCHW" or "NHWC", got "${f}"`);
}

function pair(op: string, attrs: Attrs, name: string, min: number): [number, number] {
  const v = intsAttr(attrs, name);
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < min)) {
    throw new OpError(op, `attribute ${name} must be 2 integers >= ${min}, got [${v.join(', ')}]`);
  }
  return [v[0]!, v[1]!];
}

/**
 * Paddle's padding resolution: explicit paddings of 2 ([h, w]) or 4 ([top, bottom, left,
 * right]) values; SAME pads so that out = ceil(in / stride) and forces dilation 1; VALID pads 0.
 * `spatial` is the input's [H, W] (for a transposed convolution, its Input's).
 */
export function resolvePadding(
  op: string,
  attrs: Attrs,
  spatial: [number, number],
  strides: [number, number],
  ksize: [number, number],
): { pads: [number, number, number, number]; dilations: [number, number] } {
  let dilations = pair(op, attrs, 'dilations', 1);
  const algo = strAttr(attrs, 'padding_algorithm');
  if (algo === 'SAME') {
    const pads = [0, 0, 0, 0] as [number, number, number, number];
    for (let i = 0; i < 2; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const sum = Math.max((out - 1) * strides[i]! + ksize[i]! - spatial[i]!, 0);
      pads[2 * i] = Math.floor(sum / 2);
      pads[2 * i + 1] = sum - pads[2 * i]!;
    }
    dilations = [1, 1];
    return { pads, dilations };
  }
  if (algo === 'VALID') return { pads: [0, 0, 0, 0], dilations };
  if (algo !== 'EXPLICIT') {
    throw new OpError(op, `padding_algorithm must be "EXPLICIT", "SAME" or "VALID", got "${algo}"`);
  }
  const p = intsAttr(attrs, 'paddings');
  if ((p.length !== 2 && p.length !== 4) || p.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new OpError(op, `attribute paddings must be 2 ([h, w]) or 4 ([top, bottom, left, right]) integers >= 0, got [${p.join(', ')}]`);
  }
  const pads = (p.length === 2 ? [p[0], p[0], p[1], p[1]] : p) as [number, number, number, number];
  return { pads, dilations };
}

function requireConvInputs(op: string, x: TensorMeta, f: TensorMeta): void {
  requireFloat(op, 'Input', x);
  requireFloat(op, 'Filter', f);
  requireSameDType(op, ['Input', x], ['Filter', f]);
  if (x.shape.length !== 4) {
    throw new OpError(op, `input Input must be 4-D (NCHW or NHWC), got shape ${fmtShape(x.shape)}`);
  }
  if (f.shape.length !== 4) throw new OpError(op, `input Filter must be 4-D, got shape ${fmtShape(f.shape)}`);
}

function groupsOf(op: string, attrs: Attrs): number {
  const g = intAttr(attrs, 'groups');
  if (!Number.isInteger(g) || g < 1) throw new OpError(op, `attribute groups must be an integer >= 1, got ${g}`);
  return g;
}

/** Geometry of conv2d / depthwise_conv2d: Input [N, C, H, W], Filter [M, C/groups, KH, KW]. */
export function convGeom(op: string, x: Shape, f: Shape, attrs: Attrs): ConvGeom {
  const nhwc = isNHWC(op, attrs);
  const [n, c, h, w] = nhwc ? [x[0]!, x[3]!, x[1]!, x[2]!] : [x[0]!, x[1]!, x[2]!, x[3]!];
  const [m, fc, kh, kw] = f as [number, number, number, number];
  const groups = groupsOf(op, attrs);
  if (fc * groups !== c) {
    throw new OpError(
      op,
      `input Filter ${fmtShape(f)} must have C/groups = ${c}/${groups} input channels (dim 1), got ${fc}; Input is ${fmtShape(x)} (${nhwc ? 'NHWC' : 'NCHW'})`,
    );
  }
  if (m % groups !== 0) {
    throw new OpError(op, `input Filter ${fmtShape(f)}: its ${m} output channels (dim 0) must be divisible by groups = ${groups}`);
  }
  if (op.startsWith('depthwise') && groups !== c) {
    throw new OpError(op, `groups (${groups}) must equal the input channels (${c}) of Input ${fmtShape(x)}`);
  }
  const [sh, sw] = pair(op, attrs, 'strides', 1);
  const { pads, dilations } = resolvePadding(op, attrs, [h, w], [sh, sw], [kh, kw]);
  const [dh, dw] = dilations;
  const oh = Math.floor((h + pads[0] + pads[1] - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((w + pads[2] + pads[3] - (dw * (kw - 1) + 1)) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new OpError(
      op,
      `the output would be empty (${oh}x${ow}): Input ${fmtShape(x)} with paddings [${pads.join(', ')}] is smaller than the dilated ${kh}x${kw} filter (dilations [${dh}, ${dw}])`,
    );
  }
  return { n, c, h, w, m, kh, kw, oh, ow, sh, sw, pt: pads[0], pl: pads[2], dh, dw, groups, nhwc };
}

/**
 * Geometry of conv2d_transpose: Input [N, C, H, W], Filter [C, M/groups, KH, KW], Output
 * [N, M, OH, OW] with OH = (H − 1)·sh − pt − pb + dh·(KH − 1) + 1 (+ output_padding, or
 * output_size within [OH, OH + sh)). Returned as the convolution from Output to Input.
 */
export function convTransposeGeom(op: string, x: Shape, f: Shape, attrs: Attrs): ConvGeom {
  const nhwc = isNHWC(op, attrs);
  const [n, c, h, w] = nhwc ? [x[0]!, x[3]!, x[1]!, x[2]!] : [x[0]!, x[1]!, x[2]!, x[3]!];
  const [fc, mg, kh, kw] = f as [number, number, number, number];
  const groups = groupsOf(op, attrs);
  if (fc !== c) {
    throw new OpError(op, `input Filter ${fmtShape(f)} must have ${c} channels in dim 0 (the channels of Input ${fmtShape(x)}), got ${fc}`);
  }
  if (c % groups !== 0) throw new OpError(op, `the ${c} channels of Input ${fmtShape(x)} must be divisible by groups = ${groups}`);
  if (op.startsWith('depthwise') && groups !== c) {
    throw new OpError(op, `groups (${groups}) must equal the input channels (${c}) of Input ${fmtShape(x)}`);
  }
  const strides = pair(op, attrs, 'strides', 1);
  const { pads, dilations } = resolvePadding(op, attrs, [h, w], strides, [kh, kw]);
  const outSize = intsAttr(attrs, 'output_size');
  const outPad = intsAttr(attrs, 'output_padding');
  if (outSize.length !== 0 && outSize.length !== 2) {
    throw new OpError(op, `attribute output_size must be empty or 2 integers, got [${outSize.join(', ')}]`);
  }
  if (outPad.length !== 0 && outPad.length !== 2) {
    throw new OpError(op, `attribute output_padding must be empty or 2 integers, got [${outPad.join(', ')}]`);
  }
  const spatial = [h, w];
  const k = [kh, kw];
  const out = [0, 0];
  for (let i = 0; i < 2; i++) {
    const s = strides[i]!;
    const infer = (spatial[i]! - 1) * s - pads[2 * i]! - pads[2 * i + 1]! + dilations[i]! * (k[i]! - 1) + 1;
    if (outSize.length) {
      const o = outSize[i]!;
      if (!(o >= infer && o < infer + s)) {
        throw new OpError(op, `output_size [${outSize.join(', ')}]: dim ${i} must be in [${infer}, ${infer + s}) for Input ${fmtShape(x)}, got ${o}`);
      }
      out[i] = o;
    } else if (outPad.length) {
      const p = outPad[i]!;
      const lim = Math.max(s, dilations[i]!);
      if (!(Number.isInteger(p) && p >= 0 && p < lim)) {
        throw new OpError(op, `output_padding [${outPad.join(', ')}]: dim ${i} must be in [0, ${lim}) (below max(stride, dilation)), got ${p}`);
      }
      out[i] = infer + p;
    } else out[i] = infer;
    if (out[i]! <= 0) {
      throw new OpError(op, `the output would be empty (size ${out[i]} in spatial dim ${i}) for Input ${fmtShape(x)} and paddings [${pads.join(', ')}]`);
    }
  }
  return {
    n,
    c: mg * groups,
    h: out[0]!,
    w: out[1]!,
    m: c,
    kh,
    kw,
    oh: h,
    ow: w,
    sh: strides[0],
    sw: strides[1],
    pt: pads[0],
    pl: pads[2],
    dh: dilations[0],
    dw: dilations[1],
    groups,
    nhwc,
  };
}

export function isTransposeOp(type: string): boolean {
  return type.includes('conv2d_transpose');
}

/** Geometry of any op of this family (a `_grad` op uses its forward op's). */
export function geomFor(type: string, x: Shape, f: Shape, attrs: Attrs): ConvGeom {
  const fwd = type.endsWith('_grad') ? type.slice(0, -5) : type;
  return isTransposeOp(fwd) ? convTransposeGeom(type, x, f, attrs) : convGeom(type, x, f, attrs);
}

/** Output shape of the forward op in its data_format. */
export function forwardOutShape(type: string, g: ConvGeom): number[] {
  const fwd = type.endsWith('_grad') ? type.slice(0, -5) : type;
  const [ch, h, w] = isTransposeOp(fwd) ? [g.c, g.h, g.w] : [g.m, g.oh, g.ow];
  return g.nhwc ? [g.n, h, w, ch] : [g.n, ch, h, w];
}

const CONV_ATTRS: Attrs = {
  strides: [1, 1],
  paddings: [0, 0],
  padding_algorithm: 'EXPLICIT',
  groups: 1,
  dilations: [1, 1],
  data_format: 'NCHW',
};

const TRANSPOSE_ATTRS: Attrs = { ...CONV_ATTRS, output_padding: [], output_size: [] };

/**
 * The fused form Paddle's inference passes give conv2d (its MKLDNN kernel's extra inputs and
 * attributes): Output = act(conv(Input) + Bias + ResidualData). `fuse_relu` is the 1.x flag.
 */
const FUSED_ATTRS: Attrs = { fuse_activation: '', fuse_alpha: 0, fuse_beta: 0, fuse_residual_connection: false, fuse_relu: false };

/** Activations a fused convolution applies, and the meaning Paddle gives fuse_alpha / fuse_beta. */
export const CONV_FUSED_ACTIVATIONS = ['relu', 'leaky_relu', 'relu6', 'swish', 'hard_swish', 'sigmoid', 'tanh'] as const;
export type ConvActivation = (typeof CONV_FUSED_ACTIVATIONS)[number];

export interface ConvEpilogue {
  /** Output channel bias. */
  bias: boolean;
  residual: boolean;
  /** undefined: none. */
  act?: ConvActivation;
  /** leaky_relu slope, relu6 upper bound, swish beta. */
  alpha: number;
}

/** What a conv2d's fused inputs and attributes add after the convolution. */
export function convEpilogue(type: string, inputs: SlotMap<unknown>, attrs: Attrs): ConvEpilogue {
  let act = strAttr(attrs, 'fuse_activation') || (attrs.fuse_relu ? 'relu' : '');
  if (act === 'identity') act = '';
  if (act && !(CONV_FUSED_ACTIVATIONS as readonly string[]).includes(act)) {
    throw new OpError(type, `fuse_activation "${act}" is not one Oar fuses (it fuses ${CONV_FUSED_ACTIVATIONS.join(', ')})`);
  }
  const alpha = Number(attrs.fuse_alpha ?? 0);
  const defaults: Record<string, number> = { relu6: 6, swish: 1 };
  return {
    bias: inputs.Bias !== undefined,
    residual: Boolean(attrs.fuse_residual_connection),
    act: (act || undefined) as ConvActivation | undefined,
    // Paddle's passes store relu6's threshold and swish's beta in fuse_alpha; 0 means unset.
    alpha: alpha === 0 && act in defaults ? defaults[act]! : alpha,
  };
}

function isFused(e: ConvEpilogue): boolean {
  return e.bias || e.residual || e.act !== undefined;
}

function checkFused(type: string, inputs: SlotMap<TensorMeta>, attrs: Attrs, out: number[], x: TensorMeta): void {
  const e = convEpilogue(type, inputs, attrs);
  const channels = isNHWC(type, attrs) ? out[3]! : out[1]!;
  const b = inputs.Bias as TensorMeta | undefined;
  if (b) {
    requireSameDType(type, ['Input', x], ['Bias', b]);
    if (numel(b.shape) !== channels || b.shape.length > 2) {
      throw new OpError(type, `input Bias must hold one value per output channel (${channels}), got shape ${fmtShape(b.shape)}`);
    }
  }
  const r = inputs.ResidualData as TensorMeta | undefined;
  if (e.residual !== (r !== undefined)) {
    throw new OpError(type, e.residual ? 'fuse_residual_connection is set but input ResidualData is not given' : 'input ResidualData is given but fuse_residual_connection is not set');
  }
  if (r) {
    requireSameDType(type, ['Input', x], ['ResidualData', r]);
    if (!shapesEqual(r.shape, out)) {
      throw new OpError(type, `input ResidualData must have the output's shape ${fmtShape(out)}, got ${fmtShape(r.shape)}`);
    }
  }
}

function forwardMeta(type: string) {
  const fusable = !isTransposeOp(type);
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const x = one(inputs, 'Input');
    const f = one(inputs, 'Filter');
    requireConvInputs(type, x, f);
    const shape = forwardOutShape(type, geomFor(type, x.shape, f.shape, attrs));
    if (fusable) checkFused(type, inputs, attrs, shape, x);
    return { Output: { shape, dtype: x.dtype } };
  };
}

function gradMeta(type: string) {
  return (inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> => {
    const x = one(inputs, 'Input');
    const f = one(inputs, 'Filter');
    const dy = one(inputs, 'Output@GRAD');
    requireConvInputs(type, x, f);
    requireSameDType(type, ['Input', x], ['Output@GRAD', dy]);
    const want = forwardOutShape(type, geomFor(type, x.shape, f.shape, attrs));
    if (dy.shape.length !== want.length || dy.shape.some((d, i) => d !== want[i])) {
      throw new OpError(type, `input Output@GRAD must have the forward output's shape ${fmtShape(want)}, got ${fmtShape(dy.shape)}`);
    }
    return { 'Input@GRAD': { shape: x.shape, dtype: x.dtype }, 'Filter@GRAD': { shape: f.shape, dtype: f.dtype } };
  };
}

/** The forward op's gradient: one call of its `_grad` operator; an unneeded result is freed. */
function forwardGrad(type: string) {
  return (c: GradContext): Record<string, Tensor | null> => {
    if (!isTransposeOp(type) && isFused(convEpilogue(type, c.inputs, c.attrs))) {
      throw new OpError(type, 'the fused form (Bias, ResidualData, fuse_activation) is for inference only and has no gradient; train the unfused layers');
    }
    const attrs = { ...c.attrs };
    for (const k of Object.keys(FUSED_ATTRS)) delete attrs[k];
    const outs = runAll(
      `${type}_grad`,
      { Input: c.inputs.Input as Tensor, Filter: c.inputs.Filter as Tensor, 'Output@GRAD': c.outGrads.Output as Tensor },
      attrs,
    );
    const dx = outs['Input@GRAD'] as Tensor;
    const df = outs['Filter@GRAD'] as Tensor;
    const needX = c.needs('Input');
    const needF = c.needs('Filter');
    if (!needX) dx.dispose();
    if (!needF) df.dispose();
    return { Input: needX ? dx : null, Filter: needF ? df : null };
  };
}

export const specs: OpSpec[] = [];

for (const type of [...CONV_OPS, ...CONV_TRANSPOSE_OPS]) {
  const transpose = isTransposeOp(type);
  const attrs = transpose ? TRANSPOSE_ATTRS : CONV_ATTRS;
  specs.push({
    type,
    inputs: transpose
      ? [{ name: 'Input' }, { name: 'Filter' }]
      : [{ name: 'Input' }, { name: 'Filter' }, { name: 'Bias', optional: true }, { name: 'ResidualData', optional: true }],
    outputs: [{ name: 'Output' }],
    attrs: transpose ? attrs : { ...attrs, ...FUSED_ATTRS },
    inferMeta: forwardMeta(type),
    grad: forwardGrad(type),
  });
  specs.push({
    type: `${type}_grad`,
    inputs: [{ name: 'Input' }, { name: 'Filter' }, { name: 'Output@GRAD' }],
    outputs: [{ name: 'Input@GRAD' }, { name: 'Filter@GRAD' }],
    attrs,
    inferMeta: gradMeta(`${type}_grad`),
  });
}
