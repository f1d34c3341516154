/** Reshaping, joining, splitting, slicing and reordering tensors (Paddle's `paddle.reshape`, ...). */
import { engine } from '../engine/engine';
import { fmtShape, type Shape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { run1, runList } from './run';

const asList = (v: number | number[]): number[] => (Array.isArray(v) ? [...v] : [v]);

/** `x` with a new shape (0 copies the input extent at that index, one -1 is inferred); shares x's data. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return run1('reshape2', { X: x }, { shape: [...shape] });
}

/** Permutes the dimensions: `out.shape[i] = x.shape[perm[i]]`. */
export function transpose(x: Tensor, perm: number[]): Tensor {
  return run1('transpose2', { X: x }, { axis: [...perm] });
}

/** Merges dimensions `startAxis..stopAxis` (inclusive) into one. */
export function flatten(x: Tensor, startAxis = 0, stopAxis = -1): Tensor {
  return run1('flatten_contiguous_range', { X: x }, { start_axis: startAxis, stop_axis: stopAxis });
}

/** Removes dimensions of size 1: all of them, or those listed in `axis` (listed ones of another size stay). */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  return run1('squeeze2', { X: x }, { axes: axis === undefined ? [] : asList(axis) });
}

/** Inserts dimensions of size 1, one axis at a time in the order given. */
export function unsqueeze(x: Tensor, axis: number | number[]): Tensor {
  return run1('unsqueeze2', { X: x }, { axes: asList(axis) });
}

/** Joins tensors along an existing axis. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  return run1('concat', { X: [...xs] }, { axis });
}

/**
 * Splits `x` along `axis` into `numOrSections` equal parts, or into parts of the listed sizes
 * (one of them may be -1: the remainder).
 */
export function split(x: Tensor, numOrSections: number | number[], axis = 0): Tensor[] {
  if (Array.isArray(numOrSections)) return runList('split', { X: x }, { axis, num: 0, sections: [...numOrSections] });
  return runList('split', { X: x }, { axis, num: numOrSections, sections: [] });
}

/** Splits `x` into `chunks` equal parts along `axis`. */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  return runList('split', { X: x }, { axis, num: chunks, sections: [] });
}

/** `x[starts[i]:ends[i]]` along each of `axes`; negative bounds count from the end and are clamped. */
export function slice(x: Tensor, axes: number[], starts: number[], ends: number[]): Tensor {
  return run1(
    'slice',
    { Input: x },
    { axes: [...axes], starts: [...starts], ends: [...ends], infer_flags: axes.map(() => 1), decrease_axis: [] },
  );
}

/** `x[starts[i]:ends[i]:strides[i]]` along each of `axes`; strides may be negative. */
export function stridedSlice(x: Tensor, axes: number[], starts: number[], ends: number[], strides: number[]): Tensor {
  return run1(
    'strided_slice',
    { Input: x },
    { axes: [...axes], starts: [...starts], ends: [...ends], strides: [...strides], infer_flags: axes.map(() => 1), decrease_axis: [] },
  );
}

/** Joins same-shape tensors along a new axis. */
export function stack(xs: Tensor[], axis = 0): Tensor {
  return run1('stack', { X: [...xs] }, { axis }, 'Y');
}

/** Splits `x` along `axis` into its slices, each without that axis. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const a = axis < 0 ? axis + x.ndim : axis;
  const num = x.shape[a];
  if (num === undefined) throw new RangeError(`unstack: axis ${axis} is out of range for a tensor of rank ${x.ndim}`);
  return engine.runOp('unstack', { X: x }, { axis, num }).Y as Tensor[];
}

/** Repeats `x` `repeatTimes[i]` times along each dimension (leading dimensions are added as needed). */
export function tile(x: Tensor, repeatTimes: number[]): Tensor {
  return run1('tile', { X: x }, { repeat_times: [...repeatTimes] });
}

/** Broadcasts `x` to `shape` (-1 keeps the input extent). */
export function expand(x: Tensor, shape: Shape): Tensor {
  return run1('expand_v2', { X: x }, { shape: [...shape] });
}

/** Broadcasts `x` to `shape` (numpy's broadcast_to). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return run1('expand_v2', { X: x }, { shape: [...shape] });
}

/** Broadcasts `x` to the shape of `y`. */
export function expandAs(x: Tensor, y: Tensor): Tensor {
  return run1('expand_as_v2', { X: x }, { target_shape: [...y.shape] });
}

/** Reverses the order of elements along the given axes. */
export function flip(x: Tensor, axis: number | number[]): Tensor {
  return run1('flip', { X: x }, { axis: asList(axis) });
}

/** Rotates elements along `axis` by `shifts`; without `axis`, the flattened tensor is rolled. */
export function roll(x: Tensor, shifts: number | number[], axis?: number | number[]): Tensor {
  return run1('roll', { X: x }, { shifts: asList(shifts), axis: axis === undefined ? [] : asList(axis) });
}

/** The transpose of a 2-D tensor; 0-D and 1-D tensors are returned as they are (Paddle's `t`). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor of rank <= 2, got shape ${fmtShape(x.shape)}; use transpose`);
  return x.ndim < 2 ? x : transpose(x, [1, 0]);
}

// ---- numpy-style indexing ------------------------------------------------------------------

/**
 * One index of `getItem`: an integer (removes the dimension; negative counts from the end), a
 * slice string (`'1:5'`, `':'`, `'::2'`, `'-3:'`, `'::-1'`), `null` for a new axis of size 1, or
 * `'...'` for as many `':'` as the other indices leave.
 */
export type Index = number | string | null;

const SLICE_RE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

interface Parsed {
  kind: 'int' | 'slice' | 'new' | 'ellipsis';
  i?: number;
  start?: number;
  stop?: number;
  step?: number;
}

function parseIndex(v: Index, pos: number): Parsed {
  if (v === null) return { kind: 'new' };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`getItem: index ${pos} is ${v}, expected an integer`);
    return { kind: 'int', i: v };
  }
  if (typeof v !== 'string') throw new TypeError(`getItem: index ${pos} has type ${typeof v}; expected a number, a slice string, null or '...'`);
  if (v.trim() === '...') return { kind: 'ellipsis' };
  if (/^\s*-?\d+\s*$/.test(v)) return { kind: 'int', i: Number(v) };
  const m = SLICE_RE.exec(v);
  if (!m) throw new SyntaxError(`getItem: index ${pos} '${v}' is not a slice like '1:5', ':', '::2' or '-3:'`);
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const step = num(m[3]) ?? 1;
  if (step === 0) throw new RangeError(`getItem: index ${pos} '${v}' has step 0`);
  return { kind: 'slice', start: num(m[1]), stop: num(m[2]), step };
}

/** Python's slice.indices: concrete start, stop, step and element count for a dimension of size n. */
function sliceIndices(p: Parsed, n: number): { start: number; stop: number; step: number; count: number } {
  const step = p.step!;
  const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  let start: number;
  let stop: number;
  let count: number;
  if (step > 0) {
    start = p.start === undefined ? 0 : norm(p.start, 0, n);
    stop = p.stop === undefined ? n : norm(p.stop, 0, n);
    count = stop > start ? Math.ceil((stop - start) / step) : 0;
  } else {
    start = p.start === undefined ? n - 1 : norm(p.start, -1, n - 1);
    stop = p.stop === undefined ? -1 : norm(p.stop, -1, n - 1);
    count = start > stop ? Math.ceil((start - stop) / -step) : 0;
  }
  return { start, stop, step, count };
}

/**
 * numpy-style indexing, `x[1, ':', null, '::-1']` written `getItem(x, 1, ':', null, '::-1')`.
 * Built from slice / strided_slice / unsqueeze2 / reshape2, so it is differentiable. As in
 * Paddle 2.0, indexing every dimension with an integer gives shape [1].
 */
export function getItem(x: Tensor, ...index: Index[]): Tensor {
  const parsed = index.map(parseIndex);
  const nEllipsis = parsed.filter((p) => p.kind === 'ellipsis').length;
  if (nEllipsis > 1) throw new SyntaxError(`getItem: at most one '...' is allowed, got ${nEllipsis}`);
  const consuming = parsed.filter((p) => p.kind === 'int' || p.kind === 'slice').length;
  if (consuming > x.ndim) {
    throw new RangeError(`getItem: ${consuming} indices for a tensor of rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  }
  const fill: Parsed[] = Array.from({ length: x.ndim - consuming }, () => ({ kind: 'slice', step: 1 }));
  const at = parsed.findIndex((p) => p.kind === 'ellipsis');
  const items = at >= 0 ? [...parsed.slice(0, at), ...fill, ...parsed.slice(at + 1)] : [...parsed, ...fill];

  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const strides: number[] = [];
  const decrease: number[] = [];
  const newAxes: number[] = [];
  let dim = 0;
  let outDim = 0;
  for (const p of items) {
    if (p.kind === 'new') {
      newAxes.push(outDim++);
      continue;
    }
    const n = x.shape[dim]!;
    if (p.kind === 'int') {
      const i = p.i! < 0 ? p.i! + n : p.i!;
      if (i < 0 || i >= n) {
        throw new RangeError(`getItem: index ${p.i} is out of range for dimension ${dim} of size ${n} (shape ${fmtShape(x.shape)})`);
      }
      axes.push(dim);
      starts.push(i);
      ends.push(i + 1);
      strides.push(1);
      decrease.push(dim);
    } else {
      const s = sliceIndices(p, n);
      if (!(s.step === 1 && s.start === 0 && s.count === n)) {
        axes.push(dim);
        // An empty range is written 0:0; with a negative step, stop -1 means "past element 0".
        starts.push(s.count > 0 ? s.start : 0);
        ends.push(s.count > 0 ? s.stop : 0);
        strides.push(s.step);
      }
      outDim++;
    }
    dim++;
  }

  let y = x;
  if (axes.length) {
    const attrs = { axes, starts, ends, infer_flags: axes.map(() => 1), decrease_axis: decrease };
    y = strides.every((k) => k === 1) ? run1('slice', { Input: x }, attrs) : run1('strided_slice', { Input: x }, { ...attrs, strides });
  }
  if (newAxes.length) {
    // slice gives [1] when every dimension is indexed away; new axes then make the whole shape.
    if (x.ndim - decrease.length === 0) y = reshape(y, newAxes.map(() => 1));
    else y = run1('unsqueeze2', { X: y }, { axes: newAxes });
  }
  // Nothing selected: still a new tensor (a view), so disposing it leaves x alone.
  return y === x ? reshape(x, x.shape) : y;
}
