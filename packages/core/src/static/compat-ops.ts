/**
 * Operators that real Paddle inference programs use and @oar/core's operator families do not
 * define: `shape`, `fill_constant_batch_size_like`, `lrn`, `affine_channel`, and the
 * quantization-aware-training ops `fake_quantize_moving_average_abs_max`,
 * `fake_quantize_dequantize_moving_average_abs_max` and `fake_dequantize_max_abs` (spec §8 and
 * Paddle's makers). Inference-only: none has a gradient. Registered (spec and CPU kernel) when
 * the static module loads, only where the registry lacks the type, so a core definition added
 * later takes over. Conformance cases: tools/conformance/families/compat.py.
 */
import { buf, floatBuf, narrowTo, numBuf } from '../backends/cpu/backend';
import { filled } from '../backends/cpu/kernels/creation';
import { hasOp, registerKernel, registerOp, type KernelFn, type OpSpec, type TensorMeta } from '../kernels/registry';
import { boolAttr, floatAttr, intAttr, intsAttr, maybe, one, requireFloat, requireRank, strAttr } from '../kernels/specs/common';
import { dtypeAttr, fillValue } from '../kernels/specs/creation';
import { layoutIsNhwc } from '../kernels/specs/pool';
import type { FloatArray } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { OpError } from '../utils/errors';

const floatOut = (dtype: string, n: number): FloatArray => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** Rounds like float32 arithmetic when the data is float32 (Paddle computes these in T). */
const roundTo = (x: FloatArray): ((v: number) => number) => (x instanceof Float32Array ? Math.fround : (v: number) => v);

function requireOneElement(op: string, slot: string, m: TensorMeta | undefined): void {
  if (!m) throw new OpError(op, `required input ${slot} is missing`);
  if (numel(m.shape) !== 1) throw new OpError(op, `input ${slot} must hold one element, got shape ${fmtShape(m.shape)}`);
}

function channelVector(op: string, slot: string, m: TensorMeta, c: number): void {
  if (numel(m.shape) !== c) throw new OpError(op, `input ${slot} must hold ${c} values (one per channel), got shape ${fmtShape(m.shape)}`);
}

// ---- quantization-aware-training ops -------------------------------------------------------------

/** Paddle's `inverse` in fake_quantize_op.h: 1/s, with a small epsilon for a zero scale. */
function inverse(s: number, r: (v: number) => number): number {
  return s <= 1e-30 ? r(1 / r(s + 1e-6)) : r(1 / s);
}

/** round_type 0: nearest, ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** round_type 1 (std::round, Eigen's round): nearest, ties away from zero. */
const roundHalfAway = (v: number): number => (v < 0 ? -Math.round(-v) : Math.round(v));

/**
 * Paddle's ClipAndFakeQuant(Dequant)Functor: round_type 1 clips to [-s, s] then rounds
 * bin·(1/s)·x away from zero; round_type 0 rounds to even first and clips to [-bin-1, bin].
 * With `dequant`, the integer level is scaled back: q·s/bin.
 */
function fakeQuant(x: FloatArray, s: number, bitLength: number, roundType: number, dequant: boolean, out: FloatArray): void {
  const r = roundTo(x);
  const bin = 2 ** (bitLength - 1) - 1;
  const invS = inverse(s, r);
  const f = r(bin * invS);
  for (let i = 0; i < x.length; i++) {
    let q: number;
    if (roundType === 0) {
      q = roundHalfEven(r(f * x[i]!));
      q = q > bin ? bin : q < -bin - 1 ? -bin - 1 : q;
    } else {
      const c = x[i]! > s ? s : x[i]! < -s ? -s : x[i]!;
      q = roundHalfAway(r(f * c));
    }
    out[i] = dequant ? r(r(q * s) / bin) : q;
  }
}

function fakeQuantMovingAverageSpec(type: string): OpSpec {
  return {
    type,
    inputs: [{ name: 'X' }, { name: 'InScale' }, { name: 'InAccum', optional: true }, { name: 'InState', optional: true }],
    outputs: [{ name: 'Out' }, { name: 'OutScale' }, { name: 'OutState', optional: true }, { name: 'OutAccum', optional: true }],
    // round_type: Paddle added it (2.4) after the 1.x QAT programs were saved; they computed with
    // std::round after clipping, which is round_type 1, so a program without it means 1.
    attrs: { moving_rate: 0.9, bit_length: 8, round_type: 1, is_test: false },
    inplace: { OutScale: 'InScale', OutState: 'InState', OutAccum: 'InAccum' },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat(type, 'X', x);
      requireOneElement(type, 'InScale', maybe(inputs, 'InScale'));
      const bits = intAttr(attrs, 'bit_length');
      if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new OpError(type, `bit_length must be in [1, 16], got ${bits}`);
      const rt = intAttr(attrs, 'round_type');
      if (rt !== 0 && rt !== 1) throw new OpError(type, `round_type must be 0 or 1, got ${rt}`);
      const scalar = { shape: [1], dtype: x.dtype };
      const out: Record<string, TensorMeta> = { Out: { shape: x.shape, dtype: x.dtype }, OutScale: scalar };
      if (!boolAttr(attrs, 'is_test')) {
        const acc = maybe(inputs, 'InAccum');
        const st = maybe(inputs, 'InState');
        if (!acc || !st) throw new OpError(type, 'training mode (is_test = false) needs InAccum and InState');
        requireOneElement(type, 'InAccum', acc);
        requireOneElement(type, 'InState', st);
        out.OutState = scalar;
        out.OutAccum = scalar;
      }
      return out;
    },
  };
}

function fakeQuantMovingAverageKernel(dequant: boolean): KernelFn {
  return (inputs, ctx) => {
    const xt = inputs.X as Tensor;
    const x = floatBuf(xt);
    const scaleT = inputs.InScale as Tensor;
    const meta = ctx.meta.Out as TensorMeta;
    const out = floatOut(meta.dtype, x.length);
    const bits = intAttr(ctx.attrs, 'bit_length');
    const rt = intAttr(ctx.attrs, 'round_type');
    if (boolAttr(ctx.attrs, 'is_test')) {
      fakeQuant(x, floatBuf(scaleT)[0]!, bits, rt, dequant, out);
      // The scale is only read at inference: OutScale stays InScale's buffer.
      return { Out: narrowTo(meta.dtype, out), OutScale: buf(scaleT) };
    }
    // Training: scale = (rate·accum + max|x|) / (rate·state + 1), state and accum updated in place.
    const r = roundTo(x);
    let absMax = 0;
    for (let i = 0; i < x.length; i++) absMax = Math.max(absMax, Math.abs(x[i]!));
    const rate = r(floatAttr(ctx.attrs, 'moving_rate'));
    const accT = inputs.InAccum as Tensor;
    const stT = inputs.InState as Tensor;
    const acc = buf<FloatArray>(accT);
    const st = buf<FloatArray>(stT);
    const sc = buf<FloatArray>(scaleT);
    st[0] = r(r(rate * st[0]!) + 1);
    acc[0] = r(r(rate * acc[0]!) + absMax);
    sc[0] = r(acc[0]! / st[0]!);
    fakeQuant(x, sc[0]!, bits, rt, dequant, out);
    return { Out: narrowTo(meta.dtype, out), OutScale: sc, OutState: st, OutAccum: acc };
  };
}

// ---- the ops ----------------------------------------------------------------------------------

const specs: OpSpec[] = [
  {
    type: 'shape',
    inputs: [{ name: 'Input', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: {},
    inferMeta: (inputs) => ({ Out: { shape: [one(inputs, 'Input').shape.length], dtype: 'int32' } }),
  },
  {
    type: 'fill_constant_batch_size_like',
    inputs: [{ name: 'Input', noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { shape: [], value: 0, str_value: '', dtype: 5, input_dim_idx: 0, output_dim_idx: 0, force_cpu: false },
    inferMeta: (inputs, attrs) => {
      const op = 'fill_constant_batch_size_like';
      const x = one(inputs, 'Input');
      const shape = intsAttr(attrs, 'shape');
      const ii = intAttr(attrs, 'input_dim_idx');
      const oi = intAttr(attrs, 'output_dim_idx');
      if (!(ii >= 0 && ii < x.shape.length)) throw new OpError(op, `input_dim_idx ${ii} is out of range for Input ${fmtShape(x.shape)}`);
      if (!(oi >= 0 && oi < shape.length)) throw new OpError(op, `output_dim_idx ${oi} is out of range for shape [${shape.join(', ')}]`);
      const out = shape.slice();
      out[oi] = x.shape[ii]!;
      for (const d of out) if (!Number.isInteger(d) || d < 0) throw new OpError(op, `shape [${out.join(', ')}] has an invalid extent ${d}`);
      return { Out: { shape: out, dtype: dtypeAttr(op, intAttr(attrs, 'dtype')) } };
    },
  },
  {
    type: 'lrn',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }, { name: 'MidOut', optional: true }],
    attrs: { n: 5, k: 2.0, alpha: 1e-4, beta: 0.75, data_format: 'AnyLayout', is_test: false },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat('lrn', 'X', x);
      requireRank('lrn', 'X', x, [4]);
      layoutIsNhwc('lrn', 'data_format', strAttr(attrs, 'data_format'));
      const n = intAttr(attrs, 'n');
      if (!Number.isInteger(n) || n < 1 || n % 2 === 0) throw new OpError('lrn', `n must be a positive odd number, got ${n}`);
      return { Out: { shape: x.shape, dtype: x.dtype }, MidOut: { shape: x.shape, dtype: x.dtype } };
    },
  },
  {
    type: 'affine_channel',
    inputs: [{ name: 'X' }, { name: 'Scale' }, { name: 'Bias' }],
    outputs: [{ name: 'Out' }],
    attrs: { data_layout: 'AnyLayout' },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat('affine_channel', 'X', x);
      if (x.shape.length < 2) throw new OpError('affine_channel', `input X must have rank >= 2, got shape ${fmtShape(x.shape)}`);
      const nhwc = layoutIsNhwc('affine_channel', 'data_layout', strAttr(attrs, 'data_layout'));
      const c = nhwc ? x.shape[x.shape.length - 1]! : x.shape[1]!;
      channelVector('affine_channel', 'Scale', one(inputs, 'Scale'), c);
      channelVector('affine_channel', 'Bias', one(inputs, 'Bias'), c);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
  },
  fakeQuantMovingAverageSpec('fake_quantize_moving_average_abs_max'),
  fakeQuantMovingAverageSpec('fake_quantize_dequantize_moving_average_abs_max'),
  {
    type: 'fake_dequantize_max_abs',
    inputs: [{ name: 'X' }, { name: 'Scale' }],
    outputs: [{ name: 'Out' }],
    attrs: { max_range: 0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      requireFloat('fake_dequantize_max_abs', 'X', x);
      requireOneElement('fake_dequantize_max_abs', 'Scale', maybe(inputs, 'Scale'));
      if (!(floatAttr(attrs, 'max_range') > 0)) {
        throw new OpError('fake_dequantize_max_abs', `max_range must be positive, got ${floatAttr(attrs, 'max_range')}`);
      }
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
  },
];

const kernels: Record<string, KernelFn> = {
  shape: (inputs) => ({ Out: Int32Array.from((inputs.Input as Tensor).shape) }),
  fill_constant_batch_size_like: (_inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    return { Out: filled(m.dtype, numel(m.shape), fillValue(ctx.attrs)) };
  },
  lrn: (inputs, ctx) => {
    const xt = inputs.X as Tensor;
    const x = floatBuf(xt);
    const meta = ctx.meta.Out as TensorMeta;
    const r = roundTo(x);
    const nhwc = layoutIsNhwc('lrn', 'data_format', strAttr(ctx.attrs, 'data_format'));
    const [N, d1, d2, d3] = xt.shape as [number, number, number, number];
    const C = nhwc ? d3 : d1;
    const HW = nhwc ? d1 * d2 : d2 * d3;
    // Element (n, c, p) sits at n·C·HW + c·cs + p·ps in either layout.
    const cs = nhwc ? 1 : HW;
    const ps = nhwc ? C : 1;
    const size = intAttr(ctx.attrs, 'n');
    const half = (size - 1) / 2;
    const k = floatAttr(ctx.attrs, 'k');
    const alpha = floatAttr(ctx.attrs, 'alpha');
    const beta = floatAttr(ctx.attrs, 'beta');
    const mid = floatOut(meta.dtype, x.length);
    const out = floatOut(meta.dtype, x.length);
    const sq = new Float64Array(C);
    for (let b = 0; b < N; b++) {
      for (let p = 0; p < HW; p++) {
        const base = b * C * HW + p * ps;
        for (let c = 0; c < C; c++) {
          const v = x[base + c * cs]!;
          sq[c] = v * v;
        }
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let j = Math.max(0, c - half); j <= Math.min(C - 1, c + half); j++) s += sq[j]!;
          const i = base + c * cs;
          mid[i] = r(k + alpha * s);
          out[i] = x[i]! * Math.pow(mid[i]!, -beta);
        }
      }
    }
    return { Out: narrowTo(meta.dtype, out), MidOut: narrowTo(meta.dtype, mid) };
  },
  affine_channel: (inputs, ctx) => {
    const xt = inputs.X as Tensor;
    const x = floatBuf(xt);
    const meta = ctx.meta.Out as TensorMeta;
    const scale = numBuf(inputs.Scale as Tensor);
    const bias = numBuf(inputs.Bias as Tensor);
    const nhwc = layoutIsNhwc('affine_channel', 'data_layout', strAttr(ctx.attrs, 'data_layout'));
    const C = nhwc ? xt.shape[xt.shape.length - 1]! : xt.shape[1]!;
    const inner = nhwc ? 1 : numel(xt.shape.slice(2));
    const out = floatOut(meta.dtype, x.length);
    for (let i = 0; i < x.length; i++) {
      const c = Math.floor(i / inner) % C;
      out[i] = x[i]! * scale[c]! + bias[c]!;
    }
    return { Out: narrowTo(meta.dtype, out) };
  },
  fake_quantize_moving_average_abs_max: fakeQuantMovingAverageKernel(false),
  fake_quantize_dequantize_moving_average_abs_max: fakeQuantMovingAverageKernel(true),
  fake_dequantize_max_abs: (inputs, ctx) => {
    const x = floatBuf(inputs.X as Tensor);
    const meta = ctx.meta.Out as TensorMeta;
    const r = roundTo(x);
    const s = floatBuf(inputs.Scale as Tensor)[0]!;
    const range = floatAttr(ctx.attrs, 'max_range');
    const out = floatOut(meta.dtype, x.length);
    for (let i = 0; i < x.length; i++) out[i] = r(r(x[i]! * s) / range);
    return { Out: narrowTo(meta.dtype, out) };
  },
};

/** The types this module defines. */
export const COMPAT_OPS: readonly string[] = specs.map((s) => s.type);

let registered = false;

/** Registers the ops above that the registry lacks, with their CPU kernels. Idempotent. */
export function registerCompatOps(): void {
  if (registered) return;
  registered = true;
  for (const s of specs) {
    if (hasOp(s.type)) continue;
    registerOp(s);
    registerKernel('cpu', s.type, kernels[s.type]!);
  }
}
