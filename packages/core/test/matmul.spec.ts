import { backward, bmm, dot, engine, matmul, memory, mm, mv, OpError, sum, tensor, tidy, type Tensor } from '../src';
import { batchedMatmul } from '../src/backends/cpu/kernels/matmul';
import { matmulV2Plan } from '../src/kernels/specs/matmul';

const run = (type: string, x: Tensor, y: Tensor, attrs: Record<string, number | boolean> = {}): Tensor =>
  engine.runOp(type, { X: x, Y: y }, attrs).Out as Tensor;

/** numpy.matmul by definition, for checking the batched gemm walk on larger shapes. */
function naiveMatmul(x: Float64Array, xs: number[], y: Float64Array, ys: number[]): { data: Float64Array; shape: number[] } {
  const [m, k] = xs.slice(-2) as [number, number];
  const n = ys[ys.length - 1]!;
  const xb = xs.slice(0, -2);
  const yb = ys.slice(0, -2);
  const r = Math.max(xb.length, yb.length);
  const pad = (s: number[]): number[] => [...new Array(r - s.length).fill(1), ...s];
  const [px, py] = [pad(xb), pad(yb)];
  const batch = px.map((d, i) => Math.max(d, py[i]!));
  const nb = batch.reduce((a, b) => a * b, 1);
  const data = new Float64Array(nb * m * n);
  for (let b = 0; b < nb; b++) {
    let rem = b;
    let xo = 0;
    let yo = 0;
    let xs2 = 1;
    let ys2 = 1;
    for (let d = r - 1; d >= 0; d--) {
      const i = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      xo += (px[d] === 1 ? 0 : i) * xs2;
      yo += (py[d] === 1 ? 0 : i) * ys2;
      xs2 *= px[d]!;
      ys2 *= py[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += x[xo * m * k + i * k + p]! * y[yo * k * n + p * n + j]!;
        data[b * m * n + i * n + j] = s;
      }
    }
  }
  return { data, shape: [...batch, m, n] };
}

describe('matmul family: API', () => {
  it('matmul follows numpy.matmul, with transposes', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor([[1, 0, 2], [0, 1, 3]]);
    expect(matmul(x, y).toArray()).toEqual([[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
    expect(matmul(x, x, true, false).toArray()).toEqual([[35, 44], [44, 56]]);
    expect(matmul(x, x, false, true).shape).toEqual([3, 3]);
    expect(matmul(tensor([1, 2]), tensor([3, 4])).toArray()).toEqual([11]);
    expect(matmul(tensor([1, 2]), y).toArray()).toEqual([1, 2, 8]);
  });

  it('mm, bmm, mv and dot', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(mm(a, a).toArray()).toEqual([[7, 10], [15, 22]]);
    const b = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]);
    expect(bmm(b, b).toArray()).toEqual([[[1, 0], [0, 1]], [[4, 0], [0, 4]]]);
    expect(mv(a, tensor([1, 1])).toArray()).toEqual([3, 7]);
    expect(dot(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray()).toEqual([32]);
    expect(dot(a, a).toArray()).toEqual([[5], [25]]);
    expect(() => bmm(a, a)).toThrow(/bmm: x and y must be 3-D/);
    expect(() => bmm(b, tensor([[[1, 2, 3]]]))).toThrow(/bmm: batch sizes differ/);
    expect(() => mv(a, a)).toThrow(/mv: x must be 2-D and vec 1-D/);
    expect(() => dot(a, tensor([1, 2]))).toThrow(/dot: x and y must be 1-D or 2-D tensors of the same shape/);
  });

  it('the batched gemm walk agrees with a direct product on broadcast batches', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 1, 5, 7], [4, 7, 6], false, false],
      [[2, 3, 7, 5], [3, 6, 7], true, true],
      [[1, 4, 5, 7], [2, 1, 7, 3], false, false],
      [[6, 5, 7], [7, 3], false, false],
      [[5, 7], [2, 2, 7, 3], false, false],
    ];
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    for (const [xs, ys, tx, ty] of cases) {
      const x = Float64Array.from({ length: xs.reduce((a, b) => a * b, 1) }, rnd);
      const y = Float64Array.from({ length: ys.reduce((a, b) => a * b, 1) }, rnd);
      const plan = matmulV2Plan(xs, ys, tx, ty);
      const out = new Float64Array(plan.outShape.reduce((a, b) => a * b, 1));
      batchedMatmul(x, y, plan, 1, out);
      // Reference on explicitly transposed copies.
      const transpose = (a: Float64Array, s: number[]): [Float64Array, number[]] => {
        const [r, c] = s.slice(-2) as [number, number];
        const t = new Float64Array(a.length);
        for (let b = 0; b < a.length / (r * c); b++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[b * r * c + j * r + i] = a[b * r * c + i * c + j]!;
        return [t, [...s.slice(0, -2), c, r]];
      };
      const [xr, xrs] = tx ? transpose(x, xs) : [x, xs];
      const [yr, yrs] = ty ? transpose(y, ys) : [y, ys];
      const want = naiveMatmul(xr, xrs, yr, yrs);
      expect(plan.outShape).toEqual(want.shape);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(want.data[i]!, 10);
    }
  });

  it('float64 and float16 inputs keep their dtype', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(matmul(x, x).dtype).toBe('float64');
    const h = tensor([[1, 2], [3, 4]], { dtype: 'float16' });
    const r = matmul(h, h);
    expect(r.dtype).toBe('float16');
    expect(r.toArray()).toEqual([[7, 10], [15, 22]]);
  });

  it('gradients reduce over broadcast batch dimensions and free their intermediates', () => {
    const x = tensor([[[1, 2, 3]], [[4, 5, 6]]], { stopGradient: false }); // [2, 1, 3]
    const w = tensor([[1, 0], [0, 1], [1, 1]], { stopGradient: false }); // [3, 2]
    const before = memory().numTensors;
    tidy(() => backward(sum(matmul(x, w))));
    expect(memory().numTensors).toBe(before + 2); // the two .grad tensors
    expect(w.grad!.toArray()).toEqual([[5, 5], [7, 7], [9, 9]]);
    expect(x.grad!.toArray()).toEqual([[[1, 1, 2]], [[1, 1, 2]]]);
  });
});

describe('matmul family: errors', () => {
  it('names the operator, the slots and the shapes', () => {
    const a = tensor([[1, 2, 3]]);
    expect(() => matmul(a, a)).toThrow(OpError);
    expect(() => matmul(a, a)).toThrow(/matmul_v2: inner dimensions differ: op\(X\) has 3 columns but op\(Y\) has 1 rows \(X \[1, 3\] trans_x=false, Y \[1, 3\] trans_y=false\)/);
    const b3 = tensor([[[1]], [[2]], [[3]]]);
    const b2 = tensor([[[1]], [[2]]]);
    expect(() => matmul(b3, b2)).toThrow(/matmul_v2: batch dimensions of X \[3, 1, 1\] and Y \[2, 1, 1\] cannot be broadcast/);
    expect(() => matmul(tensor([[1, 2]], { dtype: 'int32' }), tensor([[1], [2]], { dtype: 'int32' }))).toThrow(
      /matmul_v2: input X must be a float tensor, got int32/,
    );
    expect(() => matmul(a, tensor([[1], [2], [3]], { dtype: 'float64' }))).toThrow(/matmul_v2: inputs X \(float32\) and Y \(float64\) must have the same dtype/);
    expect(() => run('matmul', b3, b2)).toThrow(/matmul: batch sizes differ: X \[3, 1, 1\] has 3 matrices, Y \[2, 1, 1\] has 2/);
    expect(() => run('matmul', a, a, { head_number: 2 })).toThrow(/matmul: head_number 2 is not supported/);
    expect(() => run('mul', a, a, { x_num_col_dims: 2 })).toThrow(/mul: x_num_col_dims must be in \[1, rank of X\) = \[1, 2\), got 2/);
    expect(() => run('mul', a, a)).toThrow(/mul: X \[1, 3\] flattened at x_num_col_dims=1 is 1x3, Y \[1, 3\] flattened at y_num_col_dims=1 is 1x3: 3 != 1/);
  });
});
