/**
 * Padding: `pad` (constant padding of every dimension, [before0, after0, before1, ...]) and
 * `pad3d` (5-D, paddings [left, right, top, bottom, front, back] of W, H, D; modes constant,
 * reflect (no edge repeat), replicate (edge) and circular (wrap)), with `pad_grad` and
 * `pad3d_grad`. F.pad pads 3-D and 4-D inputs through pad3d, as Paddle 2.0 does.
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { runAll } from '../../ops/run';
import { fmtShape, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { intsAttr, one, requireFloat, strAttr } from './common';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Per-dimension [before, after] amounts, the padded shape and the mode. */
export interface PadPlan {
  pads: [number, number][];
  outShape: number[];
  mode: PadMode;
}

export function padPlan(op: string, xShape: Shape, attrs: Attrs): PadPlan {
  const p = intsAttr(attrs, 'paddings');
  if (p.length !== 2 * xShape.length) {
    throw new OpError(op, `attribute paddings must hold 2 values per dimension of X (${2 * xShape.length} for shape ${fmtShape(xShape)}), got ${p.length}`);
  }
  if (p.some((v) => !Number.isInteger(v) || v < 0)) throw new OpError(op, `attribute paddings must be non-negative integers, got [${p.join(', ')}]`);
  const pads = xShape.map((_, i) => [p[2 * i]!, p[2 * i + 1]!] as [number, number]);
  return { pads, outShape: xShape.map((d, i) => d + pads[i]![0] + pads[i]![1]), mode: 'constant' };
}

/**
 * pad3d's plan. `paddings` is the Paddings tensor's content when present; null in shape
 * inference (the padded extents are then -1 until the kernel reads it).
 */
export function pad3dPlan(op: string, xShape: Shape, attrs: Attrs, paddings: number[] | null | undefined): PadPlan {
  if (xShape.length !== 5) throw new OpError(op, `input X must have rank 5, got shape ${fmtShape(xShape)}`);
  const mode = strAttr(attrs, 'mode');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new OpError(op, `attribute mode must be "constant", "reflect", "replicate" or "circular", got "${mode}"`);
  }
  const fmt = strAttr(attrs, 'data_format');
  if (fmt !== 'NCDHW' && fmt !== 'NDHWC') throw new OpError(op, `attribute data_format must be "NCDHW" or "NDHWC", got "${fmt}"`);
  // Spatial axes D, H, W of X.
  const [ad, ah, aw] = fmt === 'NCDHW' ? [2, 3, 4] : [1, 2, 3];
  const pads = xShape.map(() => [0, 0] as [number, number]);
  if (paddings === null) {
    const outShape = xShape.map((d, i) => (i === ad || i === ah || i === aw ? -1 : d));
    return { pads, outShape, mode };
  }
  const p = paddings ?? intsAttr(attrs, 'paddings');
  const src = paddings ? 'input Paddings' : 'attribute paddings';
  if (p.length !== 6) throw new OpError(op, `${src} must hold 6 values [left, right, top, bottom, front, back], got ${p.length}`);
  if (p.some((v) => !Number.isInteger(v) || v < 0)) throw new OpError(op, `${src} must be non-negative integers, got [${p.join(', ')}]`);
  pads[aw] = [p[0]!, p[1]!];
  pads[ah] = [p[2]!, p[3]!];
  pads[ad] = [p[4]!, p[5]!];
  const names = ['depth', 'height', 'width'];
  [ad, ah, aw].forEach((a, k) => {
    const n = xShape[a]!;
    const [b, e] = pads[a]!;
    if (mode === 'reflect' && (b >= n || e >= n)) {
      throw new OpError(op, `reflect padding of the ${names[k]} must be smaller than the input ${names[k]} ${n}, got ${b} and ${e}`);
    }
    if ((mode === 'replicate' || mode === 'circular') && n === 0 && b + e > 0) {
      throw new OpError(op, `${mode} padding needs a non-empty input ${names[k]}`);
    }
  });
  return { pads, outShape: xShape.map((d, i) => d + pads[i]![0] + pads[i]![1]), mode };
}

function checkPaddingsInput(op: string, inputs: SlotMap<TensorMeta>): boolean {
  const p = inputs.Paddings as TensorMeta | undefined;
  if (!p) return false;
  if ((p.dtype !== 'int32' && p.dtype !== 'int64') || p.shape.length !== 1 || p.shape[0] !== 6) {
    throw new OpError(op, `input Paddings must be an int32 tensor of shape [6], got ${p.dtype} ${fmtShape(p.shape)}`);
  }
  return true;
}

const PAD3D_ATTRS: Attrs = { paddings: [0, 0, 0, 0, 0, 0], mode: 'constant', value: 0, data_format: 'NCDHW' };

export const specs: OpSpec[] = [
  {
    type: 'pad',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { paddings: [], pad_value: 0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      return { Out: { shape: padPlan('pad', x.shape, attrs).outShape, dtype: x.dtype } };
    },
    grad: (c) => {
      const r = runAll('pad_grad', { 'Out@GRAD': c.outGrads.Out as Tensor }, c.attrs);
      return { X: r['X@GRAD'] as Tensor };
    },
  },
  {
    type: 'pad_grad',
    inputs: [{ name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: { paddings: [], pad_value: 0 },
    inferMeta: (inputs, attrs) => {
      const dy = one(inputs, 'Out@GRAD');
      requireFloat('pad_grad', 'Out@GRAD', dy);
      const p = intsAttr(attrs, 'paddings');
      if (p.length !== 2 * dy.shape.length) {
        throw new OpError('pad_grad', `attribute paddings must hold 2 values per dimension of Out@GRAD ${fmtShape(dy.shape)}, got ${p.length}`);
      }
      const shape = dy.shape.map((d, i) => d - p[2 * i]! - p[2 * i + 1]!);
      if (shape.some((d) => d < 0)) throw new OpError('pad_grad', `paddings [${p.join(', ')}] exceed Out@GRAD ${fmtShape(dy.shape)}`);
      return { 'X@GRAD': { shape, dtype: dy.dtype } };
    },
  },
  {
    type: 'pad3d',
    inputs: [{ name: 'X' }, { name: 'Paddings', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: PAD3D_ATTRS,
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const dynamic = checkPaddingsInput('pad3d', inputs);
      return { Out: { shape: pad3dPlan('pad3d', x.shape, attrs, dynamic ? null : undefined).outShape, dtype: x.dtype } };
    },
    grad: (c) => {
      const r = runAll(
        'pad3d_grad',
        { X: c.inputs.X as Tensor, Paddings: c.inputs.Paddings as Tensor | undefined, 'Out@GRAD': c.outGrads.Out as Tensor },
        c.attrs,
      );
      return { X: r['X@GRAD'] as Tensor };
    },
  },
  {
    type: 'pad3d_grad',
    inputs: [{ name: 'X' }, { name: 'Paddings', optional: true, noGrad: true }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: PAD3D_ATTRS,
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat('pad3d_grad', 'X', x);
      const dynamic = checkPaddingsInput('pad3d_grad', inputs);
      const dy = one(inputs, 'Out@GRAD');
      const want = pad3dPlan('pad3d_grad', x.shape, attrs, dynamic ? null : undefined).outShape;
      if (dy.shape.length !== 5 || want.some((d, i) => d !== -1 && d !== dy.shape[i])) {
        throw new OpError('pad3d_grad', `input Out@GRAD must have shape ${fmtShape(want)}, got ${fmtShape(dy.shape)}`);
      }
      return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
    },
  },
];
