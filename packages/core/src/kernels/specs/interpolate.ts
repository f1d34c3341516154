/**
 * Resizing: `bilinear_interp_v2`, `nearest_interp_v2` (Paddle 2.0's F.interpolate) and the
 * 1.x ops `bilinear_interp`, `nearest_interp`, each with a `_grad` operator.
 *
 * Output size, by priority: SizeTensor, then OutSize, then the scale (Scale tensor, else the
 * `scale` attribute), then out_h/out_w. Source coordinates follow Paddle's kernels, including
 * their float32 arithmetic:
 *   ratio = align_corners ? (in−1)/(out−1) : (v2 with a scale ? 1/scale : in/out); 0 when out = 1
 *   nearest: src = align_corners ? int(ratio·i + 0.5) : int(ratio·i)
 *   bilinear, align_mode 0 without align_corners (half pixel): src = max(ratio·(i+0.5) − 0.5, 0)
 *   bilinear otherwise: src = ratio·i
 * The v2 ops use 1/scale as the ratio whenever a scale is given (even with OutSize); v1 always
 * uses in/out.
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { runAll } from '../../ops/run';
import { fmtShape, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, floatAttr, intAttr, one, requireFloat, strAttr } from './common';
import { layoutIsNhwc } from './pool';

export const INTERP_OPS = ['bilinear_interp_v2', 'nearest_interp_v2', 'bilinear_interp', 'nearest_interp'] as const;

/** Values read from the optional size/scale tensors (undefined where the slot is absent). */
export interface InterpTensorData {
  sizeTensor?: number[];
  outSize?: number[];
  scale?: number[];
}

export interface InterpGeometry {
  n: number;
  c: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  ratioH: number;
  ratioW: number;
  nhwc: boolean;
  method: 'bilinear' | 'nearest';
  alignCorners: boolean;
  /** Half-pixel source coordinates (align_mode 0 without align_corners). */
  halfPixel: boolean;
}

const f32 = Math.fround;

function floatsAttr(attrs: Attrs, name: string): number[] {
  const v = attrs[name];
  if (Array.isArray(v)) return (v as unknown[]).map(Number);
  return typeof v === 'number' ? [v] : [];
}

function isV2(op: string): boolean {
  return op.includes('_v2');
}

/** Ratio of one axis, in float32 as Paddle computes it. */
function axisRatio(inSize: number, outSize: number, alignCorners: boolean, scale: number): number {
  if (outSize <= 1) return 0;
  if (alignCorners) return f32((inSize - 1) / (outSize - 1));
  return scale > 0 ? f32(1 / f32(scale)) : f32(inSize / outSize);
}

function methodOf(op: string, attrs: Attrs): 'bilinear' | 'nearest' {
  const m = strAttr(attrs, 'interp_method');
  if (m !== 'bilinear' && m !== 'nearest') {
    throw new OpError(op, `attribute interp_method must be "bilinear" or "nearest" for this operator, got "${m}"`);
  }
  return m;
}

/**
 * Resolves the output size and ratios. `data` is null in shape inference when a size or scale
 * tensor is present: the output extent is then unknown (-1) until the kernel reads the tensor.
 */
export function interpGeometry(op: string, xShape: Shape, attrs: Attrs, data: InterpTensorData | null): InterpGeometry {
  if (xShape.length !== 4) throw new OpError(op, `input X must have rank 4, got shape ${fmtShape(xShape)}`);
  const nhwc = layoutIsNhwc(op, 'data_layout', strAttr(attrs, 'data_layout'));
  const [n, c, inH, inW] = nhwc ? [xShape[0]!, xShape[3]!, xShape[1]!, xShape[2]!] : (xShape as [number, number, number, number]);
  const method = methodOf(op, attrs);
  const alignCorners = boolAttr(attrs, 'align_corners');
  const alignMode = intAttr(attrs, 'align_mode');
  if (alignMode !== 0 && alignMode !== 1) throw new OpError(op, `attribute align_mode must be 0 or 1, got ${alignMode}`);
  let outH = intAttr(attrs, 'out_h');
  let outW = intAttr(attrs, 'out_w');
  let scaleH = -1;
  let scaleW = -1;
  if (data === null) {
    outH = -1;
    outW = -1;
  } else if (data.sizeTensor) {
    [outH, outW] = data.sizeTensor as [number, number];
  } else {
    if (isV2(op)) {
      // A Scale tensor with one value scales both axes; the attribute is used only with both values.
      const s = data.scale ?? floatsAttr(attrs, 'scale');
      if (data.scale || s.length > 1) {
        [scaleH, scaleW] = s.length > 1 ? [s[0]!, s[1]!] : [s[0]!, s[0]!];
        if (!(scaleH > 0 && scaleW > 0)) throw new OpError(op, `scale must be greater than 0, got [${s.join(', ')}]`);
      }
    } else {
      // v1: one scale for both axes; a non-positive value means "no scale".
      const s = data.scale ? data.scale[0]! : floatAttr(attrs, 'scale');
      if (s > 0) [scaleH, scaleW] = [s, s];
    }
    if (scaleH > 0 && scaleW > 0) {
      outH = Math.trunc(f32(inH * f32(scaleH)));
      outW = Math.trunc(f32(inW * f32(scaleW)));
    }
    if (data.outSize) [outH, outW] = data.outSize as [number, number];
  }
  if (data !== null && !(outH > 0 && outW > 0)) {
    throw new OpError(op, `output size must be positive, got [${outH}, ${outW}] (set out_h/out_w, scale, OutSize or SizeTensor)`);
  }
  // The v1 ops ignore the scale when computing ratios.
  const rs = isV2(op) ? [scaleH, scaleW] : [-1, -1];
  return {
    n,
    c,
    inH,
    inW,
    outH,
    outW,
    ratioH: axisRatio(inH, outH, alignCorners, rs[0]!),
    ratioW: axisRatio(inW, outW, alignCorners, rs[1]!),
    nhwc,
    method,
    alignCorners,
    halfPixel: alignMode === 0 && !alignCorners,
  };
}

export function interpOutShape(g: InterpGeometry): number[] {
  return g.nhwc ? [g.n, g.outH, g.outW, g.c] : [g.n, g.c, g.outH, g.outW];
}

/** Validates the optional size/scale tensor slots; true when any is present. */
function checkSizeInputs(op: string, inputs: SlotMap<TensorMeta>): boolean {
  const intTypes = ['int32', 'int64'];
  const outSize = inputs.OutSize as TensorMeta | undefined;
  if (outSize && (!intTypes.includes(outSize.dtype) || outSize.shape.length !== 1 || outSize.shape[0] !== 2)) {
    throw new OpError(op, `input OutSize must be an int32 tensor of shape [2], got ${outSize.dtype} ${fmtShape(outSize.shape)}`);
  }
  const list = (inputs.SizeTensor as TensorMeta[] | undefined) ?? [];
  if (list.length > 0) {
    if (list.length !== 2) throw new OpError(op, `input SizeTensor must hold 2 tensors (out_h, out_w), got ${list.length}`);
    list.forEach((t, i) => {
      if (!intTypes.includes(t.dtype) || t.shape.length !== 1 || t.shape[0] !== 1) {
        throw new OpError(op, `input SizeTensor[${i}] must be an int32 tensor of shape [1], got ${t.dtype} ${fmtShape(t.shape)}`);
      }
    });
  }
  const scale = inputs.Scale as TensorMeta | undefined;
  if (scale) {
    requireFloat(op, 'Scale', scale);
    const k = scale.shape.reduce((a, b) => a * b, 1);
    if (k !== 1 && k !== 2) throw new OpError(op, `input Scale must hold 1 or 2 values, got shape ${fmtShape(scale.shape)}`);
  }
  return !!outSize || list.length > 0 || !!scale;
}

function attrsFor(op: string): Attrs {
  const method = op.startsWith('bilinear') ? 'bilinear' : 'nearest';
  return {
    data_layout: 'NCHW',
    out_d: 0,
    out_h: 0,
    out_w: 0,
    scale: isV2(op) ? [] : 0,
    interp_method: method,
    align_corners: true,
    align_mode: 1,
  };
}

const SIZE_SLOTS = [
  { name: 'OutSize', optional: true, noGrad: true },
  { name: 'SizeTensor', optional: true, list: true, noGrad: true },
  { name: 'Scale', optional: true, noGrad: true },
];

export const specs: OpSpec[] = [];

for (const op of INTERP_OPS) {
  const gradOp = `${op}_grad`;
  specs.push({
    type: op,
    inputs: [{ name: 'X' }, ...SIZE_SLOTS],
    outputs: [{ name: 'Out' }],
    attrs: attrsFor(op),
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      const dynamic = checkSizeInputs(op, inputs);
      return { Out: { shape: interpOutShape(interpGeometry(op, x.shape, attrs, dynamic ? null : {})), dtype: x.dtype } };
    },
    grad: (c) => {
      const r = runAll(
        gradOp,
        {
          X: c.inputs.X as Tensor,
          OutSize: c.inputs.OutSize as Tensor | undefined,
          SizeTensor: c.inputs.SizeTensor as Tensor[] | undefined,
          Scale: c.inputs.Scale as Tensor | undefined,
          'Out@GRAD': c.outGrads.Out as Tensor,
        },
        c.attrs,
      );
      return { X: r['X@GRAD'] as Tensor };
    },
  });
  specs.push({
    type: gradOp,
    // X only gives the input shape; the output size is Out@GRAD's and the ratios come from the
    // same attributes and tensors as the forward call.
    inputs: [{ name: 'X' }, ...SIZE_SLOTS, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: attrsFor(op),
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat(gradOp, 'X', x);
      const dynamic = checkSizeInputs(gradOp, inputs);
      const dy = one(inputs, 'Out@GRAD');
      if (!dynamic) {
        const want = interpOutShape(interpGeometry(gradOp, x.shape, attrs, {}));
        if (fmtShape(want) !== fmtShape(dy.shape)) {
          throw new OpError(gradOp, `input Out@GRAD must have shape ${fmtShape(want)}, got ${fmtShape(dy.shape)}`);
        }
      } else if (dy.shape.length !== 4) {
        throw new OpError(gradOp, `input Out@GRAD must have rank 4, got shape ${fmtShape(dy.shape)}`);
      }
      return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
    },
  });
}
