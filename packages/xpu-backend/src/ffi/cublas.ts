/**
 * cuBLAS (libcublas.so.*) through koffi: one handle per device and the float32/float64 GEMMs the
 * matmul kernels need. cuBLAS is column-major; runtime/gemm.ts maps row-major products onto it.
 *
 * Verified on the GPU machine only (device tests under test/device); CI has no GPU.
 */
import { LibraryStatusError, statusCheck } from './errors';
import { declareLibrary } from './library';

const SIGNATURES = {
  cublasCreate_v2: 'int cublasCreate_v2(_Out_ void **handle)',
  cublasGetVersion_v2: 'int cublasGetVersion_v2(void *handle, _Out_ int *version)',
  cublasSetMathMode: 'int cublasSetMathMode(void *handle, int mode)',
  cublasGetStatusName: 'const char *cublasGetStatusName(int status)',
  cublasSgemm_v2:
    'int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t A, int lda, uint64_t B, int ldb, const float *beta, uint64_t C, int ldc)',
  cublasDgemm_v2:
    'int cublasDgemm_v2(void *h, int ta, int tb, int m, int n, int k, const double *alpha, uint64_t A, int lda, uint64_t B, int ldb, const double *beta, uint64_t C, int ldc)',
  cublasSgemmStridedBatched:
    'int cublasSgemmStridedBatched(void *h, int ta, int tb, int m, int n, int k, const float *alpha, uint64_t A, int lda, int64_t sA, uint64_t B, int ldb, int64_t sB, const float *beta, uint64_t C, int ldc, int64_t sC, int batch)',
  cublasDgemmStridedBatched:
    'int cublasDgemmStridedBatched(void *h, int ta, int tb, int m, int n, int k, const double *alpha, uint64_t A, int lda, int64_t sA, uint64_t B, int ldb, int64_t sB, const double *beta, uint64_t C, int ldc, int64_t sC, int batch)',
} as const;

/** cublasMath_t: DEFAULT keeps float32 exact (no TF32); TF32 lets tensor cores round inputs to 10 bits. */
export const CUBLAS_MATH = { DEFAULT: 0, TF32: 3 } as const;

export class CublasError extends LibraryStatusError {}

/** One column-major GEMM: C = alpha·op(A)·op(B) + beta·C, `batch` times with the given element strides. */
export interface GemmCall {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: bigint;
  lda: number;
  strideA: number;
  b: bigint;
  ldb: number;
  strideB: number;
  beta: number;
  c: bigint;
  ldc: number;
  strideC: number;
  batch: number;
}

export interface Cublas {
  version(): number;
  /** A handle for the current context (one per device). */
  create(): unknown;
  setMathMode(handle: unknown, mode: number): void;
  gemm(handle: unknown, dtype: 'float32' | 'float64', g: GemmCall): void;
}

export type CublasLoad = { ok: true; cublas: Cublas } | { ok: false; reason: string };

export function loadCublas(): CublasLoad {
  const d = declareLibrary('cublas', SIGNATURES, ['cublasGetStatusName']);
  if (!d.ok) return d;
  const raw = d.raw;
  const check = statusCheck((call, rc, name) => new CublasError(call, rc, name), 'cublasStatus_t', raw.cublasGetStatusName);
  // alpha and beta are read through host pointers during the call (CUBLAS_POINTER_MODE_HOST).
  const scalars = { float32: [new Float32Array(1), new Float32Array(1)], float64: [new Float64Array(1), new Float64Array(1)] };
  let handleForVersion: unknown;
  const cublas: Cublas = {
    version: () => {
      const v = [0];
      check('cublasGetVersion_v2', raw.cublasGetVersion_v2(handleForVersion ?? null, v));
      return v[0]!;
    },
    create: () => {
      const h: unknown[] = [null];
      check('cublasCreate_v2', raw.cublasCreate_v2(h));
      handleForVersion ??= h[0];
      return h[0];
    },
    setMathMode: (h, mode) => check('cublasSetMathMode', raw.cublasSetMathMode(h, mode)),
    gemm: (h, dtype, g) => {
      const ta = g.transA ? 1 : 0;
      const tb = g.transB ? 1 : 0;
      const [alpha, beta] = scalars[dtype] as [Float32Array | Float64Array, Float32Array | Float64Array];
      alpha[0] = g.alpha;
      beta[0] = g.beta;
      if (g.batch === 1) {
        const fn = dtype === 'float32' ? raw.cublasSgemm_v2 : raw.cublasDgemm_v2;
        check(dtype === 'float32' ? 'cublasSgemm_v2' : 'cublasDgemm_v2', fn(h, ta, tb, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, g.c, g.ldc));
      } else {
        const fn = dtype === 'float32' ? raw.cublasSgemmStridedBatched : raw.cublasDgemmStridedBatched;
        check(
          dtype === 'float32' ? 'cublasSgemmStridedBatched' : 'cublasDgemmStridedBatched',
          fn(h, ta, tb, g.m, g.n, g.k, alpha, g.a, g.lda, g.strideA, g.b, g.ldb, g.strideB, beta, g.c, g.ldc, g.strideC, g.batch),
        );
      }
    },
  };
  return { ok: true, cublas };
}
