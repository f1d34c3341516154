import type { KernelFn, TensorMeta } from '../../../kernels/registry';
import { reduceAxes } from '../../../kernels/specs/reduce';
import { numel, stridesOf } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { narrowTo, numBuf, rawBuf } from '../backend';
import { dnnlReduce, REDUCTION } from '../dnnl/reduce';
import { takeF32 } from '../pool';

type Kind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'all' | 'any';

const INIT: Record<Kind, number> = { sum: 0, mean: 0, max: -Infinity, min: Infinity, prod: 1, all: 1, any: 0 };

/**
 * Reduces x over `axes` into a float64 accumulator of the output's size. Walks x once in
 * row-major order; the output offset advances by strides that are 0 along reduced axes.
 */
export function reduceInto(x: ArrayLike<number>, shape: readonly number[], axes: number[], kind: Kind): Float64Array {
  const r = shape.length;
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ostr = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const acc = new Float64Array(numel(outShape)).fill(INIT[kind]);
  const n = x.length;
  if (n === 0) return acc;
  if (r === 0) {
    acc[0] = x[0]!;
    return acc;
  }
  const inner = shape[r - 1]!;
  const so = ostr[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let oo = 0;
  for (let i = 0; i < n; i += inner) {
    switch (kind) {
      case 'sum':
      case 'mean':
        if (so === 0) {
          let s = acc[oo]!;
          for (let j = 0; j < inner; j++) s += x[i + j]!;
          acc[oo] = s;
        } else for (let j = 0; j < inner; j++) acc[oo + j]! += x[i + j]!;
        break;
      case 'max':
        for (let j = 0; j < inner; j++) {
          const v = x[i + j]!;
          const o = oo + j * so;
          if (v > acc[o]! || Number.isNaN(v)) acc[o] = v;
        }
        break;
      case 'min':
        for (let j = 0; j < inner; j++) {
          const v = x[i + j]!;
          const o = oo + j * so;
          if (v < acc[o]! || Number.isNaN(v)) acc[o] = v;
        }
        break;
      case 'prod':
        for (let j = 0; j < inner; j++) acc[oo + j * so]! *= x[i + j]!;
        break;
      case 'all':
        for (let j = 0; j < inner; j++) if (x[i + j] === 0) acc[oo + j * so] = 0;
        break;
      case 'any':
        for (let j = 0; j < inner; j++) if (x[i + j] !== 0) acc[oo + j * so] = 1;
        break;
    }
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      oo += ostr[d]!;
      if (idx[d]! < shape[d]!) break;
      oo -= ostr[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  if (kind === 'mean') {
    const cnt = axes.reduce((a, i) => a * shape[i]!, 1);
    for (let i = 0; i < acc.length; i++) acc[i]! /= cnt;
  }
  return acc;
}

function reduceKernel(kind: Kind): KernelFn {
  return (inputs, ctx) => {
    const x = inputs.X as Tensor;
    const m = ctx.meta.Out as TensorMeta;
    const axes = reduceAxes(`reduce_${kind}`, x.shape.length, ctx.attrs);
    if ((kind === 'sum' || kind === 'mean') && x.dtype === 'float32' && m.dtype === 'float32') {
      const xr = rawBuf(x) as Float32Array;
      const out = takeF32(numel(m.shape), false);
      if (dnnlReduce(REDUCTION[kind], xr, x.shape, axes, out)) return { Out: out };
    }
    const acc = reduceInto(numBuf(x), x.shape, axes, kind);
    return { Out: narrowTo(m.dtype, acc) };
  };
}

export const kernels: Record<string, KernelFn> = {
  reduce_sum: reduceKernel('sum'),
  reduce_mean: reduceKernel('mean'),
  reduce_max: reduceKernel('max'),
  reduce_min: reduceKernel('min'),
  reduce_prod: reduceKernel('prod'),
  reduce_all: reduceKernel('all'),
  reduce_any: reduceKernel('any'),
};
