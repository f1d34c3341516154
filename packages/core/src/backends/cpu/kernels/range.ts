import { Dynamic, type KernelFn, type TensorMeta } from '../../../kernels/registry';
import { rangeSize } from '../../../kernels/specs/range';
import { allocArray, floatToBf16, floatToHalf, type NumericArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { OpError } from '../../../utils/errors';
import { fromNumbers, numBuf } from '../backend';

const scalar = (t: Tensor): number => numBuf(t)[0]!;

export const kernels: Record<string, KernelFn> = {
  range: (inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    const start = scalar(inputs.Start as Tensor);
    const step = scalar(inputs.Step as Tensor);
    const n = rangeSize(start, scalar(inputs.End as Tensor), step);
    // start + i * step rather than repeated addition, so long float ranges do not drift.
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = start + i * step;
    return { Out: new Dynamic(m.dtype === 'float64' ? v : fromNumbers(m.dtype, v), [n]) };
  },
  linspace: (inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    const start = scalar(inputs.Start as Tensor);
    const stop = scalar(inputs.Stop as Tensor);
    const num = scalar(inputs.Num as Tensor);
    if (!Number.isInteger(num) || num < 1) throw new OpError('linspace', `input Num must hold a positive integer, got ${num}`);
    const v = new Float64Array(num);
    if (num === 1) v[0] = start;
    else {
      // Both ends are exact: the first half steps up from start, the second down from stop.
      const step = (stop - start) / (num - 1);
      const half = Math.floor(num / 2);
      for (let i = 0; i < num; i++) v[i] = i < half ? start + step * i : stop - step * (num - 1 - i);
    }
    return { Out: new Dynamic(m.dtype === 'float64' ? v : fromNumbers(m.dtype, v), [num]) };
  },
  eye: (_inputs, ctx) => {
    const m = ctx.meta.Out as TensorMeta;
    const [rows, cols] = m.shape as [number, number];
    const out = allocArray(m.dtype, numel(m.shape));
    const k = Math.min(rows, cols);
    if (m.dtype === 'int64') for (let i = 0; i < k; i++) (out as BigInt64Array)[i * cols + i] = 1n;
    else {
      const one = m.dtype === 'float16' ? floatToHalf(1) : m.dtype === 'bfloat16' ? floatToBf16(1) : 1;
      for (let i = 0; i < k; i++) (out as NumericArray)[i * cols + i] = one;
    }
    return { Out: out };
  },
};
