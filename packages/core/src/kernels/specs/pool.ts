/**
 * Pooling: `pool2d` (max/avg; global, adaptive, ceil_mode, SAME/VALID, NCHW/NHWC) and
 * `max_pool2d_with_index` (max value and its flat h·W+w position), each with a dedicated
 * `_grad` operator. Windows and divisors follow Paddle's math/pooling (paddle-model-format.md
 * §8.3): a window starts at o·stride − pad_before, is clipped to the input, and the average
 * divides by the clipped window size when `exclusive` or `adaptive`, else by kh·kw.
 */
import type { Attrs, OpSpec, SlotMap, TensorMeta } from '../registry';
import { runAll } from '../../ops/run';
import { fmtShape, shapesEqual, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { boolAttr, intsAttr, one, requireFloat, requireRank, strAttr } from './common';

/** Everything a pooling kernel needs, resolved from the input shape and the attributes. */
export interface Pool2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding before the first row / column (the trailing padding only changes the output size). */
  padTop: number;
  padLeft: number;
  adaptive: boolean;
  nhwc: boolean;
}

function pairAttr(op: string, attrs: Attrs, name: string): [number, number] {
  const v = intsAttr(attrs, name);
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x))) {
    throw new OpError(op, `attribute ${name} must hold 2 integers (height, width), got [${v.join(', ')}]`);
  }
  return [v[0]!, v[1]!];
}

export function layoutIsNhwc(op: string, attrName: string, v: string): boolean {
  if (v === 'NHWC') return true;
  if (v === 'NCHW' || v === 'AnyLayout') return false;
  throw new OpError(op, `attribute ${attrName} must be "NCHW" or "NHWC", got "${v}"`);
}

/** Paddle's PoolOutputSize: C++ integer division (truncating) of the padded extent. */
function poolOutputSize(op: string, dim: string, inSize: number, k: number, p0: number, p1: number, s: number, ceil: boolean): number {
  const out = Math.trunc((inSize - k + p0 + p1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (out <= 0) {
    throw new OpError(
      op,
      `output ${dim} would be ${out} (input ${dim} ${inSize}, kernel ${k}, paddings ${p0}+${p1}, stride ${s}); the window does not fit`,
    );
  }
  return out;
}

/** Resolves pool2d's geometry (Paddle's UpdateKsize, UpdatePadding and PoolOutputSize). */
export function pool2dGeometry(op: string, xShape: Shape, attrs: Attrs): Pool2dGeometry {
  if (xShape.length !== 4) throw new OpError(op, `input X must have rank 4, got shape ${fmtShape(xShape)}`);
  const nhwc = layoutIsNhwc(op, 'data_format', strAttr(attrs, 'data_format'));
  const [n, c, h, w] = nhwc ? [xShape[0]!, xShape[3]!, xShape[1]!, xShape[2]!] : (xShape as [number, number, number, number]);
  const global = boolAttr(attrs, 'global_pooling');
  const adaptive = boolAttr(attrs, 'adaptive');
  let [kh, kw] = pairAttr(op, attrs, 'ksize');
  if (global) [kh, kw] = [h, w];
  const [sh, sw] = pairAttr(op, attrs, 'strides');
  if (kh <= 0 || kw <= 0) throw new OpError(op, `attribute ksize must be positive, got [${kh}, ${kw}]`);
  if (sh <= 0 || sw <= 0) throw new OpError(op, `attribute strides must be positive, got [${sh}, ${sw}]`);
  const p = intsAttr(attrs, 'paddings');
  let pads: number[];
  if (p.length === 2) pads = [p[0]!, p[0]!, p[1]!, p[1]!];
  else if (p.length === 4) pads = [...p];
  else throw new OpError(op, `attribute paddings must hold 2 or 4 integers, got [${p.join(', ')}]`);
  const algo = strAttr(attrs, 'padding_algorithm');
  if (algo === 'SAME') {
    const ext = [h, w];
    const k = [kh, kw];
    const s = [sh, sw];
    for (let i = 0; i < 2; i++) {
      const out = Math.trunc((ext[i]! + s[i]! - 1) / s[i]!);
      const sum = Math.max((out - 1) * s[i]! + k[i]! - ext[i]!, 0);
      pads[2 * i] = Math.trunc(sum / 2);
      pads[2 * i + 1] = sum - pads[2 * i]!;
    }
  } else if (algo === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (algo !== 'EXPLICIT') {
    throw new OpError(op, `attribute padding_algorithm must be "EXPLICIT", "SAME" or "VALID", got "${algo}"`);
  }
  if (global || adaptive) pads = [0, 0, 0, 0];
  if (pads.some((x) => x < 0)) throw new OpError(op, `attribute paddings must not be negative, got [${pads.join(', ')}]`);
  let oh: number;
  let ow: number;
  if (adaptive) {
    [oh, ow] = [kh, kw];
  } else {
    const ceil = boolAttr(attrs, 'ceil_mode');
    oh = poolOutputSize(op, 'height', h, kh, pads[0]!, pads[1]!, sh, ceil);
    ow = poolOutputSize(op, 'width', w, kw, pads[2]!, pads[3]!, sw, ceil);
  }
  return { n, c, h, w, oh, ow, kh, kw, sh, sw, padTop: pads[0]!, padLeft: pads[2]!, adaptive, nhwc };
}

/** Geometry of max_pool2d_with_index: symmetric paddings, no ceil_mode, NCHW only. */
export function maxPoolWithIndexGeometry(op: string, xShape: Shape, attrs: Attrs): Pool2dGeometry {
  if (xShape.length !== 4) throw new OpError(op, `input X must have rank 4 (NCHW), got shape ${fmtShape(xShape)}`);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const global = boolAttr(attrs, 'global_pooling');
  const adaptive = boolAttr(attrs, 'adaptive');
  let [kh, kw] = pairAttr(op, attrs, 'ksize');
  let [ph, pw] = pairAttr(op, attrs, 'paddings');
  if (global) [kh, kw, ph, pw] = [h, w, 0, 0];
  const [sh, sw] = pairAttr(op, attrs, 'strides');
  if (kh <= 0 || kw <= 0) throw new OpError(op, `attribute ksize must be positive, got [${kh}, ${kw}]`);
  if (sh <= 0 || sw <= 0) throw new OpError(op, `attribute strides must be positive, got [${sh}, ${sw}]`);
  if (ph < 0 || pw < 0) throw new OpError(op, `attribute paddings must not be negative, got [${ph}, ${pw}]`);
  let oh: number;
  let ow: number;
  if (adaptive) {
    [oh, ow, ph, pw] = [kh, kw, 0, 0];
  } else {
    oh = poolOutputSize(op, 'height', h, kh, ph, ph, sh, false);
    ow = poolOutputSize(op, 'width', w, kw, pw, pw, sw, false);
  }
  return { n, c, h, w, oh, ow, kh, kw, sh, sw, padTop: ph, padLeft: pw, adaptive, nhwc: false };
}

export function pooledShape(g: Pool2dGeometry): number[] {
  return g.nhwc ? [g.n, g.oh, g.ow, g.c] : [g.n, g.c, g.oh, g.ow];
}

const POOL2D_ATTRS: Attrs = {
  pooling_type: '',
  ksize: [],
  global_pooling: false,
  strides: [1, 1],
  paddings: [0, 0],
  exclusive: true,
  adaptive: false,
  ceil_mode: false,
  data_format: 'NCHW',
  padding_algorithm: 'EXPLICIT',
};

function checkPoolingType(op: string, attrs: Attrs): void {
  const t = strAttr(attrs, 'pooling_type');
  if (t !== 'max' && t !== 'avg') throw new OpError(op, `attribute pooling_type must be "max" or "avg", got "${t}"`);
}

function requireShape(op: string, slot: string, m: TensorMeta, shape: Shape): void {
  if (!shapesEqual(m.shape, shape)) {
    throw new OpError(op, `input ${slot} must have shape ${fmtShape(shape)}, got ${fmtShape(m.shape)}`);
  }
}

function pool2dMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const x = one(inputs, 'X');
  requireFloat('pool2d', 'X', x);
  requireRank('pool2d', 'X', x, [4]);
  checkPoolingType('pool2d', attrs);
  return { Out: { shape: pooledShape(pool2dGeometry('pool2d', x.shape, attrs)), dtype: x.dtype } };
}

function pool2dGradMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta> {
  const op = 'pool2d_grad';
  const x = one(inputs, 'X');
  requireFloat(op, 'X', x);
  checkPoolingType(op, attrs);
  const outShape = pooledShape(pool2dGeometry(op, x.shape, attrs));
  requireShape(op, 'Out@GRAD', one(inputs, 'Out@GRAD'), outShape);
  if (strAttr(attrs, 'pooling_type') === 'max') {
    const out = inputs.Out as TensorMeta | undefined;
    if (!out) throw new OpError(op, 'input Out (the forward result) is required for max pooling');
    requireShape(op, 'Out', out, outShape);
  }
  return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
}

const WITH_INDEX_ATTRS: Attrs = { ksize: [], global_pooling: false, strides: [1, 1], paddings: [0, 0], adaptive: false };

export const specs: OpSpec[] = [
  {
    type: 'pool2d',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: POOL2D_ATTRS,
    inferMeta: pool2dMeta,
    grad: (c) => {
      const r = runAll('pool2d_grad', { X: c.inputs.X as Tensor, Out: c.outputs.Out as Tensor, 'Out@GRAD': c.outGrads.Out as Tensor }, c.attrs);
      return { X: r['X@GRAD'] as Tensor };
    },
  },
  {
    type: 'pool2d_grad',
    // Out is only read by max pooling (Paddle's rule: the first window position equal to Out wins).
    inputs: [{ name: 'X' }, { name: 'Out', optional: true }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: POOL2D_ATTRS,
    inferMeta: pool2dGradMeta,
  },
  {
    type: 'max_pool2d_with_index',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }, { name: 'Mask' }],
    attrs: WITH_INDEX_ATTRS,
    inferMeta: (inputs, attrs) => {
      const op = 'max_pool2d_with_index';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      const shape = pooledShape(maxPoolWithIndexGeometry(op, x.shape, attrs));
      return { Out: { shape, dtype: x.dtype }, Mask: { shape, dtype: 'int32' } };
    },
    grad: (c) => {
      const r = runAll(
        'max_pool2d_with_index_grad',
        { X: c.inputs.X as Tensor, Mask: c.outputs.Mask as Tensor, 'Out@GRAD': c.outGrads.Out as Tensor },
        c.attrs,
      );
      return { X: r['X@GRAD'] as Tensor };
    },
  },
  {
    type: 'max_pool2d_with_index_grad',
    inputs: [{ name: 'X' }, { name: 'Mask', noGrad: true }, { name: 'Out@GRAD' }],
    outputs: [{ name: 'X@GRAD' }],
    attrs: WITH_INDEX_ATTRS,
    inferMeta: (inputs, attrs) => {
      const op = 'max_pool2d_with_index_grad';
      const x = one(inputs, 'X');
      requireFloat(op, 'X', x);
      const shape = pooledShape(maxPoolWithIndexGeometry(op, x.shape, attrs));
      const mask = one(inputs, 'Mask');
      requireShape(op, 'Mask', mask, shape);
      if (mask.dtype !== 'int32' && mask.dtype !== 'int64') {
        throw new OpError(op, `input Mask must be int32 or int64, got ${mask.dtype}`);
      }
      requireShape(op, 'Out@GRAD', one(inputs, 'Out@GRAD'), shape);
      return { 'X@GRAD': { shape: x.shape, dtype: x.dtype } };
    },
  },
];
