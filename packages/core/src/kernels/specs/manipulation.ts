/**
 * Shape manipulation and slicing: transpose(2), flatten*, squeeze(2), unsqueeze(2), reshape (v1),
 * concat, split, slice, strided_slice, stack, unstack, tile, expand_as_v2, flip, roll.
 * Every gradient is written with operators (these, plus reshape2, fill_constant zeros and
 * reduce_sum), so higher-order gradients work and every backend inherits them.
 */
import type { Attrs, GradContext, OpSpec, SlotMap, TensorMeta } from '../registry';
import { reshape, sumToShape } from '../grad-utils';
import { engine } from '../../engine/engine';
import { run1, runList } from '../../ops/run';
import { dtypeToPaddle } from '../../tensor/dtype';
import { fmtShape, numel, shapesEqual, type Shape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { OpError } from '../../utils/errors';
import { intAttr, intsAttr, list, maybe, one } from './common';
import { resolveReshape } from './shape';

// ---- shape rules, shared with the CPU kernels ----------------------------------------------

/** `axis` normalized against `rank` (negative counts from the end); `what` names it in errors. */
export function normAxisOp(op: string, what: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new OpError(op, `${what} ${axis} is out of range for input of rank ${rank} (expected ${-rank} <= ${what} < ${rank})`);
  }
  return a;
}

/** Distinct normalized axes; duplicates are an error. */
function distinctAxes(op: string, what: string, axes: number[], rank: number): number[] {
  const out = axes.map((a) => normAxisOp(op, what, a, rank));
  if (new Set(out).size !== out.length) throw new OpError(op, `attribute ${what} [${axes.join(', ')}] repeats an axis`);
  return out;
}

function rejectTensorInputs(op: string, inputs: SlotMap<TensorMeta>, slots: string[]): void {
  for (const s of slots) {
    const v = inputs[s];
    if (v !== undefined && (!Array.isArray(v) || v.length > 0)) {
      throw new OpError(op, `input ${s} is resolved by the program executor; in eager mode pass the values as attributes`);
    }
  }
}

/** transpose's permutation, validated. */
export function transposePerm(op: string, attrs: Attrs, rank: number): number[] {
  const axis = intsAttr(attrs, 'axis');
  if (axis.length !== rank) {
    throw new OpError(op, `attribute axis [${axis.join(', ')}] must list all ${rank} dimensions of input X`);
  }
  return distinctAxes(op, 'axis', axis, rank);
}

export function flattenRangeShape(op: string, shape: Shape, attrs: Attrs): number[] {
  const r = shape.length;
  if (r === 0) return [1];
  const start = normAxisOp(op, 'start_axis', intAttr(attrs, 'start_axis'), r);
  const stop = normAxisOp(op, 'stop_axis', intAttr(attrs, 'stop_axis'), r);
  if (start > stop) throw new OpError(op, `start_axis (${start}) must not be greater than stop_axis (${stop}) for input X ${fmtShape(shape)}`);
  return [...shape.slice(0, start), numel(shape.slice(start, stop + 1)), ...shape.slice(stop + 1)];
}

export function flattenShape(op: string, shape: Shape, attrs: Attrs): number[] {
  const axis = intAttr(attrs, 'axis');
  if (!Number.isInteger(axis) || axis < 0 || axis > shape.length) {
    throw new OpError(op, `attribute axis must be in [0, ${shape.length}] for input X ${fmtShape(shape)}, got ${axis}`);
  }
  return [numel(shape.slice(0, axis)), numel(shape.slice(axis))];
}

/** Paddle's squeeze: no axes removes every 1; a listed axis whose size is not 1 is kept. */
export function squeezeShape(op: string, shape: Shape, attrs: Attrs): number[] {
  const axes = intsAttr(attrs, 'axes');
  const drop = new Set<number>();
  if (axes.length === 0) shape.forEach((d, i) => d === 1 && drop.add(i));
  else for (const a of axes) {
    const n = normAxisOp(op, 'axes entry', a, shape.length);
    if (shape[n] === 1) drop.add(n);
  }
  return shape.filter((_, i) => !drop.has(i));
}

/** Paddle's unsqueeze: each axis is read against the rank reached so far (repeated expand_dims). */
export function unsqueezeShape(op: string, shape: Shape, attrs: Attrs): number[] {
  const out = [...shape];
  for (const a of intsAttr(attrs, 'axes')) {
    const p = a < 0 ? a + out.length + 1 : a;
    if (!Number.isInteger(p) || p < 0 || p > out.length) {
      throw new OpError(op, `axes entry ${a} is out of range when the shape is ${fmtShape(out)} (expected ${-out.length - 1} <= axis <= ${out.length})`);
    }
    out.splice(p, 0, 1);
  }
  return out;
}

/** Sizes of split's outputs along the axis. */
export function splitSizes(op: string, dim: number, attrs: Attrs): number[] {
  const num = intAttr(attrs, 'num');
  const sections = intsAttr(attrs, 'sections');
  if (num > 0) {
    if (dim % num !== 0) throw new OpError(op, `input X has size ${dim} along the axis, which num = ${num} does not divide`);
    return new Array<number>(num).fill(dim / num);
  }
  if (sections.length === 0) throw new OpError(op, 'either num > 0 or a non-empty sections attribute is required');
  let infer = -1;
  let known = 0;
  sections.forEach((s, i) => {
    if (s === -1) {
      if (infer >= 0) throw new OpError(op, `sections [${sections.join(', ')}] has more than one -1`);
      infer = i;
    } else if (!Number.isInteger(s) || s < 0) throw new OpError(op, `sections [${sections.join(', ')}] has an invalid size ${s}`);
    else known += s;
  });
  const out = [...sections];
  if (infer >= 0) {
    if (known > dim) throw new OpError(op, `sections [${sections.join(', ')}] add up to more than the size ${dim} of input X along the axis`);
    out[infer] = dim - known;
  } else if (known !== dim) {
    throw new OpError(op, `sections [${sections.join(', ')}] add up to ${known}, but input X has size ${dim} along the axis`);
  }
  return out;
}

/** What slice / strided_slice take from each input dimension. */
export interface SliceRange {
  start: number;
  step: number;
  count: number;
}

export interface SlicePlan {
  /** One range per input dimension (untouched dimensions: start 0, step 1, full count). */
  ranges: SliceRange[];
  /** Output shape before decrease_axis. */
  sliced: number[];
  /** Output shape after decrease_axis ([1] when every dimension is removed, as in Paddle 2.0). */
  out: number[];
}

/**
 * Resolves slice/strided_slice attributes against a shape. Negative starts/ends count from the
 * end; both are then clamped, so INT_MAX ends mean "to the end". With a negative stride an end of
 * -1 means "past the first element" (Paddle's encoding of a missing stop). A start of -1 with an
 * end of 0 on a decreased axis selects the last element (how Paddle encodes `x[-1]`).
 */
export function slicePlan(op: string, shape: Shape, attrs: Attrs, strided: boolean): SlicePlan {
  const r = shape.length;
  const axes = intsAttr(attrs, 'axes');
  const starts = intsAttr(attrs, 'starts');
  const ends = intsAttr(attrs, 'ends');
  const strides = strided ? intsAttr(attrs, 'strides') : axes.map(() => 1);
  const flags = intsAttr(attrs, 'infer_flags');
  const names: [string, number[]][] = [['starts', starts], ['ends', ends]];
  if (strided) names.push(['strides', strides]);
  for (const [name, v] of names) {
    if (v.length !== axes.length) throw new OpError(op, `attribute ${name} has ${v.length} entries, axes has ${axes.length}`);
  }
  const ax = distinctAxes(op, 'axes', axes, r);
  const decrease = distinctAxes(op, 'decrease_axis', intsAttr(attrs, 'decrease_axis'), r);
  const ranges: SliceRange[] = shape.map((n) => ({ start: 0, step: 1, count: n }));
  ax.forEach((a, i) => {
    const n = shape[a]!;
    let s = starts[i]!;
    let e = ends[i]!;
    const k = strides[i]!;
    if (k === 0 || !Number.isInteger(k)) throw new OpError(op, `strides[${i}] must be a nonzero integer, got ${k}`);
    if (s === -1 && e === 0 && decrease.includes(a) && (k > 0 || flags[i] === -1)) {
      ranges[a] = { start: n - 1, step: k, count: n > 0 ? 1 : 0 };
      return;
    }
    if (s < 0) s += n;
    if (e < 0 && !(e === -1 && k < 0)) e += n;
    let count: number;
    if (k > 0) {
      s = Math.min(Math.max(s, 0), n);
      e = Math.min(Math.max(e, 0), n);
      count = e > s ? Math.ceil((e - s) / k) : 0;
    } else {
      s = Math.min(Math.max(s, -1), n - 1);
      e = Math.min(Math.max(e, -1), n - 1);
      count = s > e ? Math.ceil((s - e) / -k) : 0;
    }
    ranges[a] = { start: count > 0 ? s : 0, step: k, count };
  });
  const sliced = ranges.map((x) => x.count);
  for (const d of decrease) {
    if (sliced[d] !== 1) {
      throw new OpError(op, `decrease_axis lists dimension ${d}, which has size ${sliced[d]} after slicing input ${fmtShape(shape)}; it must be 1`);
    }
  }
  let out = sliced.filter((_, i) => !decrease.includes(i));
  if (out.length === 0 && decrease.length > 0) out = [1];
  return { ranges, sliced, out };
}

/** tile's output shape and the input shape and repeats, both padded to the output rank. */
export function tilePlan(op: string, shape: Shape, attrs: Attrs): { xs: number[]; reps: number[]; out: number[] } {
  const rt = intsAttr(attrs, 'repeat_times');
  for (const v of rt) {
    if (!Number.isInteger(v) || v < 1) throw new OpError(op, `repeat_times [${rt.join(', ')}] must hold positive integers, got ${v}`);
  }
  const r = Math.max(rt.length, shape.length);
  const xs = [...new Array<number>(r - shape.length).fill(1), ...shape];
  const reps = [...new Array<number>(r - rt.length).fill(1), ...rt];
  return { xs, reps, out: xs.map((d, i) => d * reps[i]!) };
}

/** Broadcast target of expand_as_v2 checked against X. */
export function expandAsShape(op: string, x: Shape, target: number[]): number[] {
  if (target.length < x.length) {
    throw new OpError(op, `target shape ${fmtShape(target)} has lower rank than input X ${fmtShape(x)}`);
  }
  const off = target.length - x.length;
  x.forEach((d, i) => {
    const t = target[off + i]!;
    if (d !== 1 && d !== t) {
      throw new OpError(op, `input X ${fmtShape(x)} cannot be expanded to ${fmtShape(target)}: dimension ${i} is ${d}, expected 1 or ${t}`);
    }
  });
  for (const t of target) {
    if (!Number.isInteger(t) || t < 0) throw new OpError(op, `target shape ${fmtShape(target)} has an invalid extent ${t}`);
  }
  return target;
}

/** roll's shifts per dimension, reduced to [0, n); an empty axis rolls the flattened tensor. */
export function rollPlan(op: string, shape: Shape, attrs: Attrs): { shape: number[]; shifts: number[] } {
  const shifts = intsAttr(attrs, 'shifts');
  const axis = intsAttr(attrs, 'axis');
  if (axis.length === 0) {
    if (shifts.length !== 1) throw new OpError(op, `without axis, shifts must hold one value, got [${shifts.join(', ')}]`);
    const n = numel(shape);
    return { shape: [n], shifts: [n === 0 ? 0 : ((shifts[0]! % n) + n) % n] };
  }
  if (shifts.length !== axis.length) {
    throw new OpError(op, `attribute shifts has ${shifts.length} entries, axis has ${axis.length}`);
  }
  const per = shape.map(() => 0);
  axis.forEach((a, i) => {
    const d = normAxisOp(op, 'axis', a, shape.length);
    per[d] = per[d]! + shifts[i]!;
  });
  return { shape: [...shape], shifts: per.map((s, d) => (shape[d]! === 0 ? 0 : ((s % shape[d]!) + shape[d]!) % shape[d]!)) };
}

function concatMeta(op: string, xs: TensorMeta[], attrs: Attrs): TensorMeta {
  if (xs.length === 0) throw new OpError(op, 'input X must hold at least one tensor');
  const first = xs[0]!;
  const r = first.shape.length;
  if (r === 0) throw new OpError(op, 'input X[0] is 0-d; concat needs tensors of rank >= 1');
  const axis = normAxisOp(op, 'axis', intAttr(attrs, 'axis'), r);
  const out = [...first.shape];
  out[axis] = 0;
  xs.forEach((m, i) => {
    if (m.dtype !== first.dtype) throw new OpError(op, `input X[${i}] has dtype ${m.dtype}, expected ${first.dtype} like X[0]`);
    const ok = m.shape.length === r && m.shape.every((d, j) => j === axis || d === first.shape[j]);
    if (!ok) {
      const want = first.shape.map((d, j) => (j === axis ? '*' : d)).join(', ');
      throw new OpError(op, `input X[${i}] has shape ${fmtShape(m.shape)}, expected [${want}] to match X[0] ${fmtShape(first.shape)} off axis ${axis}`);
    }
    out[axis]! += m.shape[axis]!;
  });
  return { shape: out, dtype: first.dtype };
}

// ---- gradient helpers ----------------------------------------------------------------------

/** Zeros of `shape` with `like`'s dtype, on `like`'s device. */
function zerosOf(shape: number[], like: Tensor): Tensor {
  const prev = engine.getDevice();
  if (prev !== like.device) engine.setDevice(like.device);
  try {
    return run1('fill_constant', {}, { shape, value: 0, dtype: dtypeToPaddle(like.dtype) });
  } finally {
    if (prev !== like.device) engine.setDevice(prev);
  }
}

const withDim = (s: Shape, axis: number, n: number): number[] => s.map((d, i) => (i === axis ? n : d));

/** `g` with `before` zeros in front and `after` behind along `axis`. */
function padZeros(g: Tensor, axis: number, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return g;
  const parts: Tensor[] = [];
  if (before > 0) parts.push(zerosOf(withDim(g.shape, axis, before), g));
  parts.push(g);
  if (after > 0) parts.push(zerosOf(withDim(g.shape, axis, after), g));
  return run1('concat', { X: parts }, { axis });
}

/** Places `k - 1` zeros after every element of `g` along `axis`, keeping the last element last. */
function spreadZeros(g: Tensor, axis: number, k: number): Tensor {
  const c = g.shape[axis]!;
  if (k === 1 || c <= 1) return g;
  const s = g.shape;
  const col = reshape(g, [...s.slice(0, axis + 1), 1, ...s.slice(axis + 1)]);
  const z = zerosOf([...s.slice(0, axis + 1), k - 1, ...s.slice(axis + 1)], g);
  const wide = reshape(run1('concat', { X: [col, z] }, { axis: axis + 1 }), withDim(s, axis, c * k));
  return run1('slice', { Input: wide }, { axes: [axis], starts: [0], ends: [(c - 1) * k + 1], infer_flags: [1] });
}

/** The gradient of slice/strided_slice: the output gradient scattered back into zeros. */
function sliceGrad(op: string, strided: boolean) {
  return (c: GradContext) => {
    const x = c.inputs.Input as Tensor;
    const plan = slicePlan(op, x.shape, c.attrs, strided);
    let g = c.outGrads.Out as Tensor;
    if (plan.sliced.some((n) => n === 0)) return { Input: zerosOf([...x.shape], g) };
    if (!shapesEqual(g.shape, plan.sliced)) g = reshape(g, plan.sliced);
    plan.ranges.forEach((rg, d) => {
      const n = x.shape[d]!;
      if (rg.count === n && rg.step === 1) return;
      let low = rg.start;
      let k = rg.step;
      if (k < 0) {
        g = run1('flip', { X: g }, { axis: [d] });
        low = rg.start + (rg.count - 1) * k;
        k = -k;
      }
      g = spreadZeros(g, d, k);
      g = padZeros(g, d, low, n - low - ((rg.count - 1) * k + 1));
    });
    return { Input: g };
  };
}

/** Output-list gradients with zeros where no gradient flowed (unused split/unstack outputs). */
function filledGrads(c: GradContext, slot: string): Tensor[] {
  const outs = c.outputs[slot] as Tensor[];
  const gs = c.outGrads[slot] as (Tensor | null)[];
  const like = gs.find((g) => g) as Tensor;
  return outs.map((o, i) => gs[i] ?? zerosOf([...o.shape], like));
}

const reshapeBack = (c: GradContext): { X: Tensor } => ({ X: reshape(c.outGrads.Out as Tensor, (c.inputs.X as Tensor).shape) });

// ---- specs ---------------------------------------------------------------------------------

function transposeSpec(type: 'transpose' | 'transpose2'): OpSpec {
  return {
    type,
    inputs: [{ name: 'X' }],
    outputs: type === 'transpose2' ? [{ name: 'Out' }, { name: 'XShape', optional: true }] : [{ name: 'Out' }],
    attrs: { axis: [], data_format: 'AnyLayout' },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const perm = transposePerm(type, attrs, x.shape.length);
      return { Out: { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype } };
    },
    grad: (c) => {
      const perm = transposePerm(type, c.attrs, (c.inputs.X as Tensor).shape.length);
      const inv = new Array<number>(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      return { X: run1('transpose2', { X: c.outGrads.Out as Tensor }, { axis: inv }) };
    },
  };
}

/** An op that only changes the shape (the kernel shares X's buffer); XShape for the *2 variants. */
function viewSpec(type: string, attrs: Attrs, shapeOf: (op: string, s: Shape, a: Attrs) => number[], extraInputs: string[] = [], xshape = true): OpSpec {
  return {
    type,
    inputs: [{ name: 'X' }, ...extraInputs.map((name) => ({ name, optional: true, noGrad: true, list: name.endsWith('List') || name === 'ShapeTensor' }))],
    outputs: xshape ? [{ name: 'Out' }, { name: 'XShape', optional: true }] : [{ name: 'Out' }],
    attrs,
    inferMeta: (inputs, a) => {
      rejectTensorInputs(type, inputs, extraInputs);
      const x = one(inputs, 'X');
      return { Out: { shape: shapeOf(type, x.shape, a), dtype: x.dtype } };
    },
    grad: reshapeBack,
  };
}

export const specs: OpSpec[] = [
  transposeSpec('transpose2'),
  transposeSpec('transpose'),
  viewSpec('flatten_contiguous_range', { start_axis: 1, stop_axis: 1 }, flattenRangeShape),
  viewSpec('flatten2', { axis: 1 }, flattenShape),
  viewSpec('flatten', { axis: 1 }, flattenShape, [], false),
  viewSpec('squeeze2', { axes: [] }, squeezeShape),
  viewSpec('squeeze', { axes: [] }, squeezeShape, [], false),
  viewSpec('unsqueeze2', { axes: [] }, unsqueezeShape, ['AxesTensor', 'AxesTensorList']),
  viewSpec('unsqueeze', { axes: [] }, unsqueezeShape, ['AxesTensor', 'AxesTensorList'], false),
  viewSpec('reshape', { shape: [] }, (op, s, a) => resolveReshape(op, s, intsAttr(a, 'shape')), ['Shape', 'ShapeTensor'], false),
  {
    type: 'concat',
    inputs: [{ name: 'X', list: true }, { name: 'AxisTensor', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: 0 },
    inferMeta: (inputs, attrs) => {
      rejectTensorInputs('concat', inputs, ['AxisTensor']);
      return { Out: concatMeta('concat', list(inputs, 'X'), attrs) };
    },
    grad: (c) => {
      const xs = c.inputs.X as Tensor[];
      const axis = normAxisOp('concat', 'axis', intAttr(c.attrs, 'axis'), xs[0]!.shape.length);
      if (xs.length === 1) return { X: [c.outGrads.Out as Tensor] };
      const parts = runList('split', { X: c.outGrads.Out as Tensor }, { axis, sections: xs.map((x) => x.shape[axis]!) });
      return { X: parts.map((p, i) => (c.needs('X', i) ? p : null)) };
    },
  },
  {
    type: 'split',
    inputs: [
      { name: 'X' },
      { name: 'AxisTensor', optional: true, noGrad: true },
      { name: 'SectionsTensorList', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out', list: true }],
    attrs: { axis: 0, num: 0, sections: [] },
    inferMeta: (inputs, attrs) => {
      rejectTensorInputs('split', inputs, ['AxisTensor', 'SectionsTensorList']);
      const x = one(inputs, 'X');
      const axis = normAxisOp('split', 'axis', intAttr(attrs, 'axis'), x.shape.length);
      const sizes = splitSizes('split', x.shape[axis]!, attrs);
      return { Out: sizes.map((n) => ({ shape: withDim(x.shape, axis, n), dtype: x.dtype })) };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const axis = normAxisOp('split', 'axis', intAttr(c.attrs, 'axis'), x.shape.length);
      return { X: run1('concat', { X: filledGrads(c, 'Out') }, { axis }) };
    },
  },
  {
    type: 'slice',
    inputs: [
      { name: 'Input' },
      { name: 'StartsTensor', optional: true, noGrad: true },
      { name: 'EndsTensor', optional: true, noGrad: true },
      { name: 'StartsTensorList', optional: true, list: true, noGrad: true },
      { name: 'EndsTensorList', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { axes: [], starts: [], ends: [], infer_flags: [], decrease_axis: [] },
    inferMeta: (inputs, attrs) => {
      rejectTensorInputs('slice', inputs, ['StartsTensor', 'EndsTensor', 'StartsTensorList', 'EndsTensorList']);
      const x = one(inputs, 'Input');
      return { Out: { shape: slicePlan('slice', x.shape, attrs, false).out, dtype: x.dtype } };
    },
    grad: sliceGrad('slice', false),
  },
  {
    type: 'strided_slice',
    inputs: [
      { name: 'Input' },
      { name: 'StartsTensor', optional: true, noGrad: true },
      { name: 'EndsTensor', optional: true, noGrad: true },
      { name: 'StridesTensor', optional: true, noGrad: true },
      { name: 'StartsTensorList', optional: true, list: true, noGrad: true },
      { name: 'EndsTensorList', optional: true, list: true, noGrad: true },
      { name: 'StridesTensorList', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { axes: [], starts: [], ends: [], strides: [], infer_flags: [], decrease_axis: [] },
    inferMeta: (inputs, attrs) => {
      rejectTensorInputs('strided_slice', inputs, [
        'StartsTensor',
        'EndsTensor',
        'StridesTensor',
        'StartsTensorList',
        'EndsTensorList',
        'StridesTensorList',
      ]);
      const x = one(inputs, 'Input');
      return { Out: { shape: slicePlan('strided_slice', x.shape, attrs, true).out, dtype: x.dtype } };
    },
    grad: sliceGrad('strided_slice', true),
  },
  {
    type: 'stack',
    inputs: [{ name: 'X', list: true }],
    outputs: [{ name: 'Y' }],
    attrs: { axis: 0 },
    inferMeta: (inputs, attrs) => {
      const xs = list(inputs, 'X');
      if (xs.length === 0) throw new OpError('stack', 'input X must hold at least one tensor');
      const first = xs[0]!;
      xs.forEach((m, i) => {
        if (m.dtype !== first.dtype) throw new OpError('stack', `input X[${i}] has dtype ${m.dtype}, expected ${first.dtype} like X[0]`);
        if (!shapesEqual(m.shape, first.shape)) {
          throw new OpError('stack', `input X[${i}] has shape ${fmtShape(m.shape)}, expected ${fmtShape(first.shape)} like X[0]`);
        }
      });
      const axis = normAxisOp('stack', 'axis', intAttr(attrs, 'axis'), first.shape.length + 1);
      const out = [...first.shape];
      out.splice(axis, 0, xs.length);
      return { Y: { shape: out, dtype: first.dtype } };
    },
    grad: (c) => {
      const xs = c.inputs.X as Tensor[];
      const axis = normAxisOp('stack', 'axis', intAttr(c.attrs, 'axis'), xs[0]!.shape.length + 1);
      const parts = engine.runOp('unstack', { X: c.outGrads.Y as Tensor }, { axis, num: xs.length }).Y as Tensor[];
      return { X: parts.map((p, i) => (c.needs('X', i) ? p : null)) };
    },
  },
  {
    type: 'unstack',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y', list: true }],
    attrs: { axis: 0, num: 0 },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const axis = normAxisOp('unstack', 'axis', intAttr(attrs, 'axis'), x.shape.length);
      const num = intAttr(attrs, 'num');
      if (num !== x.shape[axis]) {
        throw new OpError('unstack', `attribute num (${num}) must equal the size ${x.shape[axis]} of input X ${fmtShape(x.shape)} along axis ${axis}`);
      }
      const shape = x.shape.filter((_, i) => i !== axis);
      return { Y: Array.from({ length: num }, () => ({ shape, dtype: x.dtype })) };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const axis = normAxisOp('unstack', 'axis', intAttr(c.attrs, 'axis'), x.shape.length);
      return { X: run1('stack', { X: filledGrads(c, 'Y') }, { axis }, 'Y') };
    },
  },
  {
    type: 'tile',
    inputs: [
      { name: 'X' },
      { name: 'RepeatTimes', optional: true, noGrad: true },
      { name: 'repeat_times_tensor', optional: true, list: true, noGrad: true },
    ],
    outputs: [{ name: 'Out' }],
    attrs: { repeat_times: [] },
    inferMeta: (inputs, attrs) => {
      rejectTensorInputs('tile', inputs, ['RepeatTimes', 'repeat_times_tensor']);
      const x = one(inputs, 'X');
      return { Out: { shape: tilePlan('tile', x.shape, attrs).out, dtype: x.dtype } };
    },
    grad: (c) => {
      const x = c.inputs.X as Tensor;
      const { xs, reps } = tilePlan('tile', x.shape, c.attrs);
      let g = c.outGrads.Out as Tensor;
      const tiled = reps.map((r, i) => (r > 1 ? i : -1)).filter((i) => i >= 0);
      if (tiled.length) {
        // Out viewed as [.., reps[i], xs[i], ..]: summing the repeat axes gives dX.
        const split: number[] = [];
        const dims: number[] = [];
        xs.forEach((d, i) => {
          if (reps[i]! > 1) {
            dims.push(split.length);
            split.push(reps[i]!);
          }
          split.push(d);
        });
        g = run1('reduce_sum', { X: reshape(g, split) }, { dim: dims, keep_dim: false, reduce_all: false });
      }
      return { X: shapesEqual(g.shape, x.shape) ? g : reshape(g, x.shape) };
    },
  },
  {
    type: 'expand_as_v2',
    inputs: [{ name: 'X' }, { name: 'Y', optional: true, noGrad: true }],
    outputs: [{ name: 'Out' }],
    attrs: { target_shape: [] },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      const y = maybe(inputs, 'Y');
      // Y (later Paddle versions) gives the target by its shape; 2.0 programs carry target_shape.
      const target = y ? [...y.shape] : intsAttr(attrs, 'target_shape');
      return { Out: { shape: expandAsShape('expand_as_v2', x.shape, target), dtype: x.dtype } };
    },
    grad: (c) => ({ X: sumToShape(c.outGrads.Out as Tensor, (c.inputs.X as Tensor).shape) }),
  },
  {
    type: 'flip',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { axis: [] },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      distinctAxes('flip', 'axis', intsAttr(attrs, 'axis'), x.shape.length);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => ({ X: run1('flip', { X: c.outGrads.Out as Tensor }, { axis: intsAttr(c.attrs, 'axis') }) }),
  },
  {
    type: 'roll',
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Out' }],
    attrs: { shifts: [], axis: [] },
    inferMeta: (inputs, attrs) => {
      const x = one(inputs, 'X');
      rollPlan('roll', x.shape, attrs);
      return { Out: { shape: x.shape, dtype: x.dtype } };
    },
    grad: (c) => ({
      X: run1('roll', { X: c.outGrads.Out as Tensor }, { shifts: intsAttr(c.attrs, 'shifts').map((s) => -s), axis: intsAttr(c.attrs, 'axis') }),
    }),
  },
];
