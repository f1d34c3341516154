// The row-major → column-major mapping of the cuBLAS calls, checked by running the column-major
// call as cuBLAS defines it (in TypeScript) against a row-major product.
import { batchOffsets, columnMajor, type RowMajorGemm } from '../src/kernels/matmul';
import { bcastStruct } from '../src/kernels/elementwise';

/** cuBLAS gemm semantics: C (m×n, ldc) = alpha·op(A)·op(B), column-major. */
function cublasGemm(c: ReturnType<typeof columnMajor>, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(c.ldc * c.n);
  const A = (i: number, l: number): number => (c.transA ? a[l + i * c.lda]! : a[i + l * c.lda]!);
  const B = (l: number, j: number): number => (c.transB ? b[j + l * c.ldb]! : b[l + j * c.ldb]!);
  for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) {
    let s = 0;
    for (let l = 0; l < c.k; l++) s += A(i, l) * B(l, j);
    out[i + j * c.ldc] = c.alpha * s;
  }
  return out;
}

function rowMajorProduct(g: RowMajorGemm, x: Float64Array, y: Float64Array, ldy: number): Float64Array {
  const out = new Float64Array(g.m * g.n);
  const X = (i: number, l: number): number => (g.transX ? x[l * g.m + i]! : x[i * g.k + l]!);
  const Y = (l: number, j: number): number => (g.transY ? y[j * ldy + l]! : y[l * ldy + j]!);
  for (let i = 0; i < g.m; i++) for (let j = 0; j < g.n; j++) {
    let s = 0;
    for (let l = 0; l < g.k; l++) s += X(i, l) * Y(l, j);
    out[i * g.n + j] = g.alpha * s;
  }
  return out;
}

const fill = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed));

describe('columnMajor', () => {
  for (const transX of [false, true]) {
    for (const transY of [false, true]) {
      it(`computes X${transX ? 'ᵀ' : ''}·Y${transY ? 'ᵀ' : ''} row-major`, () => {
        const g: RowMajorGemm = { m: 5, n: 3, k: 4, transX, transY, alpha: 0.5 };
        const x = fill(20, 1);
        const y = fill(12, 2);
        const want = rowMajorProduct(g, x, y, transY ? g.k : g.n);
        const got = cublasGemm(columnMajor(g), y, x); // A = Y, B = X
        expect(Array.from(got)).toEqual(Array.from(want));
      });
    }
  }

  it("reads fc's padded weights through their row stride", () => {
    const g: RowMajorGemm = { m: 2, n: 3, k: 4, transX: false, transY: false, ldy: 7, alpha: 1 };
    const x = fill(8, 3);
    const w = fill(4 * 7, 4); // [K + pad, N + 4]; only the top-left [4, 3] block is used
    expect(Array.from(cublasGemm(columnMajor(g), w, x))).toEqual(Array.from(rowMajorProduct(g, x, w, 7)));
  });
});

describe('batchOffsets', () => {
  it('steps a broadcast operand by 0', () => {
    // X [2, 1] batches against Y [3] batches -> output [2, 3]
    expect(batchOffsets([2, 1], [3], [2, 3])).toEqual([
      [0, 0, 0, 1, 1, 1],
      [0, 1, 2, 0, 1, 2],
    ]);
  });
});

describe('bcastStruct', () => {
  it('packs rank, dims and both stride lists at fixed places', () => {
    const s = bcastStruct('elementwise_add', [2, 3], [3, 1], [0, 1]);
    expect(s.length).toBe(25);
    expect(s[0]).toBe(2);
    expect(Array.from(s.slice(1, 3))).toEqual([2, 3]);
    expect(Array.from(s.slice(9, 11))).toEqual([3, 1]);
    expect(Array.from(s.slice(17, 19))).toEqual([0, 1]);
    expect(() => bcastStruct('elementwise_add', new Array(9).fill(1), [], [])).toThrow('rank <= 8');
  });
});
