/** Building blocks for gradient functions. Written with operators, so they run on any backend. */
import { run1 } from '../ops/run';
import { broadcastedAxes, numel, shapesEqual, type Shape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { alignByAxis } from './specs/common';

/** Sums `g` (of the broadcast output shape) down to `shape`, the shape of one broadcast input. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const padded = new Array(g.shape.length - shape.length).fill(1).concat(shape) as number[];
  const axes = broadcastedAxes(padded, g.shape);
  let r = g;
  if (axes.length) r = run1('reduce_sum', { X: g }, { dim: axes, keep_dim: true, reduce_all: false });
  if (!shapesEqual(r.shape, shape)) r = reshape(r, shape);
  return r;
}

/** Gradient for an elementwise input whose shape was aligned by Paddle's `axis` rule. */
export function unbroadcast(g: Tensor, xShape: Shape, yShape: Shape, axis: number, which: 'X' | 'Y'): Tensor {
  const [ax, ay] = alignByAxis('elementwise', xShape, yShape, axis);
  const aligned = which === 'X' ? ax : ay;
  const orig = which === 'X' ? xShape : yShape;
  const s = sumToShape(g, aligned);
  return shapesEqual(s.shape, orig) ? s : reshape(s, orig);
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  if (numel(shape) !== x.size) throw new Error(`reshape: cannot view ${x.size} elements as [${shape.join(', ')}]`);
  return run1('reshape2', { X: x }, { shape: [...shape] });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return run1('elementwise_mul', { X: a, Y: b });
}

export function add(a: Tensor, b: Tensor): Tensor {
  return run1('elementwise_add', { X: a, Y: b });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return run1('elementwise_sub', { X: a, Y: b });
}

export function div(a: Tensor, b: Tensor): Tensor {
  return run1('elementwise_div', { X: a, Y: b });
}

export function neg(a: Tensor): Tensor {
  return run1('scale', { X: a }, { scale: -1 });
}

export function scale(a: Tensor, s: number, bias = 0): Tensor {
  return run1('scale', { X: a }, { scale: s, bias });
}
