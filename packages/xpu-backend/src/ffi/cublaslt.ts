/**
 * cuBLASLt (libcublasLt.so.*) through koffi: matrix products with a fused epilogue (bias, ReLU,
 * and a residual added as beta·C), planned once per geometry. cuBLAS's own GEMM entry points pick
 * an algorithm on every call, which costs 10-20 µs of host time each; a plan here keeps its
 * descriptors and the algorithm the heuristic chose, so a call is one cublasLtMatmul.
 *
 * Column-major, as cuBLAS: D[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[row], then ReLU).
 * Verified on the GPU machine only (test/device); CI has no GPU.
 */
import { LibraryStatusError, statusCheck } from './errors';
import { declareLibrary } from './library';

const SIGNATURES = {
  cublasLtCreate: 'int cublasLtCreate(_Out_ void **handle)',
  cublasLtGetStatusName: 'const char *cublasLtGetStatusName(int status)',
  cublasLtMatmulDescCreate: 'int cublasLtMatmulDescCreate(_Out_ void **desc, int computeType, int scaleType)',
  cublasLtMatmulDescSetAttribute: 'int cublasLtMatmulDescSetAttribute(void *desc, int attr, const void *buf, size_t size)',
  cublasLtMatrixLayoutCreate: 'int cublasLtMatrixLayoutCreate(_Out_ void **layout, int type, uint64_t rows, uint64_t cols, int64_t ld)',
  cublasLtMatrixLayoutSetAttribute: 'int cublasLtMatrixLayoutSetAttribute(void *layout, int attr, const void *buf, size_t size)',
  cublasLtMatmulPreferenceCreate: 'int cublasLtMatmulPreferenceCreate(_Out_ void **pref)',
  cublasLtMatmulPreferenceSetAttribute: 'int cublasLtMatmulPreferenceSetAttribute(void *pref, int attr, const void *buf, size_t size)',
  cublasLtMatmulAlgoGetHeuristic:
    'int cublasLtMatmulAlgoGetHeuristic(void *h, void *desc, void *a, void *b, void *c, void *d, void *pref, int requested, void *results, _Out_ int *count)',
  cublasLtMatmul:
    'int cublasLtMatmul(void *h, void *desc, const void *alpha, uint64_t A, void *Adesc, uint64_t B, void *Bdesc, const void *beta, uint64_t C, void *Cdesc, uint64_t D, void *Ddesc, const void *algo, uint64_t workspace, size_t workspaceBytes, void *stream)',
} as const;

/** cublasComputeType_t and cudaDataType_t values (cublas_api.h, library_types.h). */
const COMPUTE = { '32F': 68, '32F_FAST_TF32': 77, '64F': 70 } as const;
const DATA = { float32: 0, float64: 1 } as const;
/** cublasLtMatmulDescAttributes_t */
const DESC = { TRANSA: 3, TRANSB: 4, EPILOGUE: 7, BIAS_POINTER: 8 } as const;
/** cublasLtMatrixLayoutAttribute_t */
const LAYOUT = { BATCH_COUNT: 5, STRIDED_BATCH_OFFSET: 6 } as const;
/** cublasLtMatmulPreferenceAttributes_t */
const PREF = { MAX_WORKSPACE_BYTES: 1, MIN_ALIGNMENT_A: 5, MIN_ALIGNMENT_B: 6, MIN_ALIGNMENT_C: 7, MIN_ALIGNMENT_D: 8 } as const;
/** cublasLtEpilogue_t */
export const LT_EPILOGUE = { DEFAULT: 1, RELU: 2, BIAS: 4, RELU_BIAS: 6 } as const;
/** sizeof(cublasLtMatmulHeuristicResult_t): the 64-byte algorithm, workspace size, state, waves, reserved. */
const HEURISTIC_BYTES = 96;
const ALGO_BYTES = 64;

export class CublasLtError extends LibraryStatusError {}

/** One product's geometry, column-major; strides in elements (0 for an operand shared by every batch). */
export interface LtGeometry {
  dtype: 'float32' | 'float64';
  tf32: boolean;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  batch: number;
  strideA: number;
  strideB: number;
  strideC: number;
  epilogue: number;
  /** Smallest power-of-two alignment (bytes, up to 256) of the pointers this plan will see. */
  align: number;
}

/** A planned product: its descriptors and algorithm. */
export interface LtPlan {
  readonly geometry: LtGeometry;
  readonly desc: unknown;
  readonly layouts: readonly [unknown, unknown, unknown];
  readonly algo: Uint8Array;
  readonly workspaceBytes: number;
}

export interface CublasLt {
  create(): unknown;
  /** The plan of a geometry, or null when the heuristic offers no algorithm for it. */
  plan(handle: unknown, g: LtGeometry, workspaceLimit: number): LtPlan | null;
  /** D = alpha·op(A)·op(B) + beta·C (+ bias, ReLU as planned); C may be D. */
  matmul(handle: unknown, p: LtPlan, ptrs: { a: bigint; b: bigint; c: bigint; d: bigint; bias: bigint }, alpha: number, beta: number, workspace: bigint): void;
}

export type CublasLtLoad = { ok: true; lt: CublasLt } | { ok: false; reason: string };

export function loadCublasLt(): CublasLtLoad {
  const d = declareLibrary('cublasLt', SIGNATURES, ['cublasLtGetStatusName']);
  if (!d.ok) return d;
  const raw = d.raw;
  const check = statusCheck((call, rc, name) => new CublasLtError(call, rc, name), 'cublasStatus_t', raw.cublasLtGetStatusName);
  const out = (call: string, fn: (p: unknown[]) => number): unknown => {
    const p: unknown[] = [null];
    check(call, fn(p));
    return p[0];
  };
  const i32 = (v: number): Int32Array => Int32Array.of(v);
  const i64 = (v: number): BigInt64Array => BigInt64Array.of(BigInt(v));
  // alpha and beta are read through host pointers during the call (the default pointer mode).
  const scalars = { float32: [new Float32Array(1), new Float32Array(1)], float64: [new Float64Array(1), new Float64Array(1)] };
  const biasPtr = new BigUint64Array(1);

  const layout = (g: LtGeometry, rows: number, cols: number, ld: number, stride: number): unknown => {
    const l = out('cublasLtMatrixLayoutCreate', (p) => raw.cublasLtMatrixLayoutCreate(p, DATA[g.dtype], rows, cols, ld));
    if (g.batch > 1) {
      check('cublasLtMatrixLayoutSetAttribute', raw.cublasLtMatrixLayoutSetAttribute(l, LAYOUT.BATCH_COUNT, i32(g.batch), 4));
      check('cublasLtMatrixLayoutSetAttribute', raw.cublasLtMatrixLayoutSetAttribute(l, LAYOUT.STRIDED_BATCH_OFFSET, i64(stride), 8));
    }
    return l;
  };

  const lt: CublasLt = {
    create: () => out('cublasLtCreate', (p) => raw.cublasLtCreate(p)),
    plan: (h, g, workspaceLimit) => {
      const compute = g.dtype === 'float64' ? COMPUTE['64F'] : g.tf32 ? COMPUTE['32F_FAST_TF32'] : COMPUTE['32F'];
      const desc = out('cublasLtMatmulDescCreate', (p) => raw.cublasLtMatmulDescCreate(p, compute, DATA[g.dtype]));
      check('cublasLtMatmulDescSetAttribute', raw.cublasLtMatmulDescSetAttribute(desc, DESC.TRANSA, i32(g.transA ? 1 : 0), 4));
      check('cublasLtMatmulDescSetAttribute', raw.cublasLtMatmulDescSetAttribute(desc, DESC.TRANSB, i32(g.transB ? 1 : 0), 4));
      check('cublasLtMatmulDescSetAttribute', raw.cublasLtMatmulDescSetAttribute(desc, DESC.EPILOGUE, Uint32Array.of(g.epilogue), 4));
      const a = g.transA ? layout(g, g.k, g.m, g.lda, g.strideA) : layout(g, g.m, g.k, g.lda, g.strideA);
      const b = g.transB ? layout(g, g.n, g.k, g.ldb, g.strideB) : layout(g, g.k, g.n, g.ldb, g.strideB);
      const c = layout(g, g.m, g.n, g.ldc, g.strideC);
      const pref = out('cublasLtMatmulPreferenceCreate', (p) => raw.cublasLtMatmulPreferenceCreate(p));
      check('cublasLtMatmulPreferenceSetAttribute', raw.cublasLtMatmulPreferenceSetAttribute(pref, PREF.MAX_WORKSPACE_BYTES, BigUint64Array.of(BigInt(workspaceLimit)), 8));
      for (const attr of [PREF.MIN_ALIGNMENT_A, PREF.MIN_ALIGNMENT_B, PREF.MIN_ALIGNMENT_C, PREF.MIN_ALIGNMENT_D]) {
        check('cublasLtMatmulPreferenceSetAttribute', raw.cublasLtMatmulPreferenceSetAttribute(pref, attr, Uint32Array.of(g.align), 4));
      }
      const results = new Uint8Array(HEURISTIC_BYTES);
      const count = [0];
      const rc = raw.cublasLtMatmulAlgoGetHeuristic(h, desc, a, b, c, c, pref, 1, results, count);
      // NOT_SUPPORTED (15) or no result: this geometry takes the cuBLAS path.
      if (rc === 15 || count[0] === 0) return null;
      check('cublasLtMatmulAlgoGetHeuristic', rc);
      const view = new DataView(results.buffer);
      const state = view.getInt32(ALGO_BYTES + 8, true);
      if (state !== 0) return null;
      return {
        geometry: g,
        desc,
        layouts: [a, b, c],
        algo: results.slice(0, ALGO_BYTES),
        workspaceBytes: Number(view.getBigUint64(ALGO_BYTES, true)),
      };
    },
    matmul: (h, p, ptrs, alpha, beta, workspace) => {
      if (ptrs.bias !== 0n) {
        biasPtr[0] = ptrs.bias;
        check('cublasLtMatmulDescSetAttribute', raw.cublasLtMatmulDescSetAttribute(p.desc, DESC.BIAS_POINTER, biasPtr, 8));
      }
      const [al, be] = scalars[p.geometry.dtype] as [Float32Array | Float64Array, Float32Array | Float64Array];
      al[0] = alpha;
      be[0] = beta;
      const [a, b, c] = p.layouts;
      check('cublasLtMatmul', raw.cublasLtMatmul(h, p.desc, al, ptrs.a, a, ptrs.b, b, be, ptrs.c, c, ptrs.d, c, p.algo, workspace, p.workspaceBytes, null));
    },
  };
  return { ok: true, lt };
}
