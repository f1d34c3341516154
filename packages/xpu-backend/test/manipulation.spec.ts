// The strided copies' box simplification without a GPU: merging dimensions must not change which
// element goes where. Checked against a direct walk of the original box.
import { plans } from '@oar/core';
import { collapse } from '../src/kernels/manipulation';

/** (src offset, dst offset) of every element of the box, in walk order. */
function walk(dims: readonly number[], ss: readonly number[], ds: readonly number[]): [number, number][] {
  const n = dims.reduce((a, b) => a * b, 1);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    let r = i;
    let so = 0;
    let d = 0;
    for (let k = dims.length - 1; k >= 0; k--) {
      const c = r % dims[k]!;
      r = Math.floor(r / dims[k]!);
      so += c * ss[k]!;
      d += c * ds[k]!;
    }
    out.push([so, d]);
  }
  return out;
}

describe('strided copy boxes', () => {
  it('merges a contiguous copy into one run', () => {
    const st = plans.stridesOf([2, 3, 4]);
    expect(collapse([2, 3, 4], st, st)).toEqual({ dims: [24], ss: [1], ds: [1] });
  });

  it('keeps a transpose of heads as the permuted box, merging what stays together', () => {
    // [B, S, NH, D] -> [B, NH, S, D]
    const shape = [2, 5, 3, 4];
    const xs = plans.stridesOf(shape);
    const perm = [0, 2, 1, 3];
    const out = perm.map((p) => shape[p]!);
    const box = collapse(out, perm.map((p) => xs[p]!), plans.stridesOf(out));
    expect(box.dims).toEqual([2, 3, 5, 4]);
    expect(walk(box.dims, box.ss, box.ds)).toEqual(walk(out, perm.map((p) => xs[p]!), plans.stridesOf(out)));
  });

  it('drops size-1 dimensions and merges a concat block into rows', () => {
    // [2, 1, 4] into a [2, 9, 4] output at axis 1
    const box = collapse([2, 1, 4], plans.stridesOf([2, 1, 4]), plans.stridesOf([2, 9, 4]));
    expect(box).toEqual({ dims: [2, 4], ss: [4, 1], ds: [36, 1] });
  });

  it('moves the same elements as the original box for negative strides and slices', () => {
    const cases: [number[], number[], number[]][] = [
      [[6, 3], [10, -3], [3, 1]],
      [[2, 4, 3], [27, 3, 1], [12, 3, 1]],
      [[1, 5, 1, 2], [99, 2, 7, 1], [10, 2, 2, 1]],
    ];
    for (const [dims, ss, ds] of cases) {
      const box = collapse(dims, ss, ds);
      expect(walk(box.dims, box.ss, box.ds)).toEqual(walk(dims, ss, ds));
    }
  });
});
