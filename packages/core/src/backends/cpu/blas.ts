/**
 * Matrix products for the CPU backend: OpenBLAS's cblas_sgemm/dgemm through koffi when the
 * library is installed (50x faster than JavaScript here), a blocked TypeScript GEMM otherwise.
 * Row-major throughout. The thread count is set once, before the first call (changing it later
 * made OpenBLAS calls from Node up to 28x slower in our measurements).
 */
import type { FloatArray } from '../../tensor/dtype';
import { check, dnnl } from './dnnl/lib';

type GemmFn = (
  order: number,
  ta: number,
  tb: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  lda: number,
  b: FloatArray,
  ldb: number,
  beta: number,
  c: FloatArray,
  ldc: number,
) => void;

interface Blas {
  sgemm: GemmFn;
  dgemm: GemmFn;
  saxpby: (n: number, alpha: number, x: Float32Array, incx: number, beta: number, y: Float32Array, incy: number) => void;
  sscal: (n: number, alpha: number, x: Float32Array, incx: number) => void;
  path: string;
}

const CANDIDATES = [
  'libopenblas.so.0',
  'libopenblas.so',
  '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib64/libopenblas.so.0',
  '/usr/local/lib/libopenblas.so.0',
  '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
];

let blas: Blas | null | undefined;
let warned = false;

function tryLoad(): Blas | null {
  if (process.env.OAR_NO_BLAS === '1') return null;
  let koffi: typeof import('koffi');
  try {
    koffi = require('koffi');
  } catch {
    return null;
  }
  const list = process.env.OAR_BLAS_LIB ? [process.env.OAR_BLAS_LIB, ...CANDIDATES] : CANDIDATES;
  for (const path of list) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(path);
    } catch {
      continue;
    }
    try {
      const threads = Number(process.env.OAR_NUM_THREADS ?? 0);
      if (threads > 0) {
        const setThreads = lib.func('void openblas_set_num_threads(int)');
        setThreads(threads);
      }
      const sgemm = lib.func(
        'void cblas_sgemm(int, int, int, int, int, int, float, _Inout_ float*, int, _Inout_ float*, int, float, _Inout_ float*, int)',
      );
      const dgemm = lib.func(
        'void cblas_dgemm(int, int, int, int, int, int, double, _Inout_ double*, int, _Inout_ double*, int, double, _Inout_ double*, int)',
      );
      const saxpby = lib.func('void cblas_saxpby(int, float, _Inout_ float*, int, float, _Inout_ float*, int)');
      const sscal = lib.func('void cblas_sscal(int, float, _Inout_ float*, int)');
      return { sgemm: sgemm as GemmFn, dgemm: dgemm as GemmFn, saxpby: saxpby as Blas['saxpby'], sscal: sscal as Blas['sscal'], path };
    } catch {
      continue;
    }
  }
  return null;
}

function getBlas(): Blas | null {
  if (blas === undefined) {
    blas = tryLoad();
    if (!blas && !warned && process.env.OAR_NO_BLAS !== '1') {
      warned = true;
      process.stderr.write(
        '[oar] OpenBLAS not found: matrix products and convolutions use slow TypeScript kernels. ' +
          'Install it for a ~50x faster CPU path: apt-get install libopenblas0-pthread (or set OAR_BLAS_LIB).\n',
      );
    }
  }
  return blas;
}

/** Where the BLAS library was loaded from, or null when the TypeScript GEMM is in use. */
export function blasInfo(): string | null {
  return getBlas()?.path ?? null;
}

const ROW_MAJOR = 101;
/** oneDNN's transpose flags, as C chars. */
const N = 'N'.charCodeAt(0);
const T = 'T'.charCodeAt(0);
const NO_TRANS = 111;
const TRANS = 112;

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, where op(A) is m×k and op(B) is k×n.
 * `a`, `b`, `c` may be subarrays (views) of larger buffers.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  lda: number,
  b: FloatArray,
  ldb: number,
  beta: number,
  c: FloatArray,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  // With oneDNN loaded, float32 products run on its OpenMP threads too: OpenBLAS's own pool
  // spinning beside them on 2 cores slowed both; its sgemm also measured faster at
  // convolution-like shapes (101 against 72 GFLOP/s at 3136x576x64, 2 threads).
  const d = k > 0 && c instanceof Float32Array ? dnnl() : null;
  if (d) {
    check('sgemm', d.f.sgemm!(transA ? T : N, transB ? T : N, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    return;
  }
  const bl = getBlas();
  if (bl && k > 0) {
    const fn = c instanceof Float64Array ? bl.dgemm : bl.sgemm;
    fn(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  jsGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/** Below this length a JavaScript loop beats a library call. */
const VECTOR_MIN = 1 << 14;

/**
 * y = alpha·x + beta·y on float32 through OpenBLAS (SIMD, its threads); false when the library
 * is absent or the vectors are short, and the caller loops itself.
 */
export function axpby(alpha: number, x: Float32Array, beta: number, y: Float32Array): boolean {
  const bl = getBlas();
  if (!bl || y.length < VECTOR_MIN) return false;
  bl.saxpby(y.length, alpha, x, 1, beta, y, 1);
  return true;
}

/** x = alpha·x on float32 (see axpby). */
export function scal(alpha: number, x: Float32Array): boolean {
  const bl = getBlas();
  if (!bl || x.length < VECTOR_MIN) return false;
  bl.sscal(x.length, alpha, x, 1);
  return true;
}

/** Portable GEMM: i-k-j loop order over contiguous rows, the fastest simple form in V8. */
function jsGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  lda: number,
  b: FloatArray,
  ldb: number,
  beta: number,
  c: FloatArray,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j]! *= beta;
  }
  if (k === 0) return;
  // Materialize op(B) row-major so the inner loop is contiguous.
  let bb = b;
  let ldbb = ldb;
  if (transB) {
    bb = new (b.constructor as new (n: number) => FloatArray)(k * n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bb[p * n + j] = b[j * ldb + p]!;
    ldbb = n;
  }
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    for (let p = 0; p < k; p++) {
      const av = alpha * (transA ? a[p * lda + i]! : a[i * lda + p]!);
      if (av === 0) continue;
      const bp = p * ldbb;
      for (let j = 0; j < n; j++) c[ci + j]! += av * bb[bp + j]!;
    }
  }
}
