/**
 * cuDNN 9 (libcudnn.so.9) through koffi: the legacy convolution API (descriptors, algorithm
 * search, forward with and without the fused bias + activation). cuDNN 9 keeps these functions
 * in its sub-libraries behind the libcudnn.so.9 shim; the device probe ran them on the H100.
 *
 * Verified on the GPU machine only (device tests under test/device); CI has no GPU.
 */
import { LibraryStatusError, statusCheck } from './errors';
import { declareLibrary } from './library';

const SIGNATURES = {
  cudnnGetVersion: 'size_t cudnnGetVersion()',
  cudnnGetErrorString: 'const char *cudnnGetErrorString(int status)',
  cudnnCreate: 'int cudnnCreate(_Out_ void **handle)',
  cudnnCreateTensorDescriptor: 'int cudnnCreateTensorDescriptor(_Out_ void **desc)',
  cudnnSetTensor4dDescriptorEx: 'int cudnnSetTensor4dDescriptorEx(void *desc, int dtype, int n, int c, int h, int w, int ns, int cs, int hs, int ws)',
  cudnnCreateFilterDescriptor: 'int cudnnCreateFilterDescriptor(_Out_ void **desc)',
  cudnnSetFilter4dDescriptor: 'int cudnnSetFilter4dDescriptor(void *desc, int dtype, int format, int k, int c, int h, int w)',
  cudnnCreateConvolutionDescriptor: 'int cudnnCreateConvolutionDescriptor(_Out_ void **desc)',
  cudnnSetConvolution2dDescriptor: 'int cudnnSetConvolution2dDescriptor(void *desc, int ph, int pw, int sh, int sw, int dh, int dw, int mode, int computeType)',
  cudnnSetConvolutionGroupCount: 'int cudnnSetConvolutionGroupCount(void *desc, int groups)',
  cudnnSetConvolutionMathType: 'int cudnnSetConvolutionMathType(void *desc, int mathType)',
  cudnnGetConvolution2dForwardOutputDim:
    'int cudnnGetConvolution2dForwardOutputDim(void *conv, void *x, void *w, _Out_ int *n, _Out_ int *c, _Out_ int *h, _Out_ int *wd)',
  cudnnFindConvolutionForwardAlgorithm:
    'int cudnnFindConvolutionForwardAlgorithm(void *h, void *x, void *w, void *conv, void *y, int requested, _Out_ int *returned, _Out_ uint8_t *perf)',
  cudnnGetConvolutionForwardWorkspaceSize: 'int cudnnGetConvolutionForwardWorkspaceSize(void *h, void *x, void *w, void *conv, void *y, int algo, _Out_ size_t *bytes)',
  cudnnConvolutionForward:
    'int cudnnConvolutionForward(void *h, const void *alpha, void *xd, uint64_t x, void *wd, uint64_t w, void *conv, int algo, uint64_t ws, size_t wsBytes, const void *beta, void *yd, uint64_t y)',
  cudnnCreateActivationDescriptor: 'int cudnnCreateActivationDescriptor(_Out_ void **desc)',
  cudnnSetActivationDescriptor: 'int cudnnSetActivationDescriptor(void *desc, int mode, int nanOpt, double coef)',
  cudnnConvolutionBiasActivationForward:
    'int cudnnConvolutionBiasActivationForward(void *h, const void *alpha1, void *xd, uint64_t x, void *wd, uint64_t w, void *conv, int algo, uint64_t ws, size_t wsBytes, const void *alpha2, void *zd, uint64_t z, void *bd, uint64_t b, void *act, void *yd, uint64_t y)',
} as const;

/** cudnnDataType_t */
export const CUDNN_DATA = { float32: 0, float64: 1 } as const;
/** cudnnMathType_t: FMA keeps float32 exact (no TF32 tensor cores). */
export const CUDNN_MATH = { DEFAULT: 0, FMA: 3 } as const;
export const CUDNN_CROSS_CORRELATION = 1;
export const CUDNN_ACTIVATION_RELU = 1;
/** Size of cudnnConvolutionFwdAlgoPerf_t: algo, status, time, memory (size_t), determinism, mathType, reserved[3]. */
export const FWD_ALGO_PERF_BYTES = 48;

export class CudnnError extends LibraryStatusError {}

/** One algorithm as cudnnFind* measured it. */
export interface AlgoPerf {
  algo: number;
  status: number;
  ms: number;
  workspace: number;
  mathType: number;
}

export interface Cudnn {
  version(): number;
  create(): unknown;
  /** A tensor descriptor with explicit strides (elements). */
  tensor4d(dtype: 'float32' | 'float64', dims: readonly number[], strides: readonly number[]): unknown;
  filter4d(dtype: 'float32' | 'float64', k: number, c: number, h: number, w: number): unknown;
  conv2d(dtype: 'float32' | 'float64', pad: [number, number], stride: [number, number], dilation: [number, number], groups: number, math: number): unknown;
  outputDim(conv: unknown, x: unknown, w: unknown): number[];
  /** Measured algorithms, fastest first (only those whose status is success). */
  findForward(h: unknown, x: unknown, w: unknown, conv: unknown, y: unknown): AlgoPerf[];
  forwardWorkspace(h: unknown, x: unknown, w: unknown, conv: unknown, y: unknown, algo: number): number;
  forward(h: unknown, alpha: ArrayBufferView, xd: unknown, x: bigint, wd: unknown, w: bigint, conv: unknown, algo: number, ws: bigint, wsBytes: number, beta: ArrayBufferView, yd: unknown, y: bigint): void;
  /** Whether this cuDNN exports cudnnConvolutionBiasActivationForward. */
  readonly hasFusedForward: boolean;
  activation(mode: number, coef: number): unknown;
  fusedForward(
    h: unknown,
    alpha1: ArrayBufferView,
    xd: unknown,
    x: bigint,
    wd: unknown,
    w: bigint,
    conv: unknown,
    algo: number,
    ws: bigint,
    wsBytes: number,
    alpha2: ArrayBufferView,
    zd: unknown,
    z: bigint,
    bd: unknown,
    b: bigint,
    act: unknown,
    yd: unknown,
    y: bigint,
  ): void;
}

export type CudnnLoad = { ok: true; cudnn: Cudnn } | { ok: false; reason: string };

export function loadCudnn(): CudnnLoad {
  const d = declareLibrary('cudnn', SIGNATURES, ['cudnnConvolutionBiasActivationForward', 'cudnnGetErrorString']);
  if (!d.ok) return d;
  const raw = d.raw;
  const check = statusCheck((call, rc, name) => new CudnnError(call, rc, name), 'cudnnStatus_t', raw.cudnnGetErrorString);
  const create = (call: keyof typeof SIGNATURES): unknown => {
    const out: unknown[] = [null];
    check(call, raw[call](out));
    return out[0];
  };
  const cudnn: Cudnn = {
    version: () => Number(raw.cudnnGetVersion()),
    create: () => create('cudnnCreate'),
    tensor4d: (dtype, dims, strides) => {
      const t = create('cudnnCreateTensorDescriptor');
      check('cudnnSetTensor4dDescriptorEx', raw.cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA[dtype], ...dims, ...strides));
      return t;
    },
    filter4d: (dtype, k, c, h, w) => {
      const f = create('cudnnCreateFilterDescriptor');
      check('cudnnSetFilter4dDescriptor', raw.cudnnSetFilter4dDescriptor(f, CUDNN_DATA[dtype], 0 /* NCHW */, k, c, h, w));
      return f;
    },
    conv2d: (dtype, pad, stride, dilation, groups, math) => {
      const c = create('cudnnCreateConvolutionDescriptor');
      check(
        'cudnnSetConvolution2dDescriptor',
        raw.cudnnSetConvolution2dDescriptor(c, pad[0], pad[1], stride[0], stride[1], dilation[0], dilation[1], CUDNN_CROSS_CORRELATION, CUDNN_DATA[dtype]),
      );
      check('cudnnSetConvolutionGroupCount', raw.cudnnSetConvolutionGroupCount(c, groups));
      check('cudnnSetConvolutionMathType', raw.cudnnSetConvolutionMathType(c, math));
      return c;
    },
    outputDim: (conv, x, w) => {
      const n = [0], c = [0], h = [0], wd = [0];
      check('cudnnGetConvolution2dForwardOutputDim', raw.cudnnGetConvolution2dForwardOutputDim(conv, x, w, n, c, h, wd));
      return [n[0]!, c[0]!, h[0]!, wd[0]!];
    },
    findForward: (h, x, w, conv, y) => {
      const requested = 8;
      const returned = [0];
      const perf = Buffer.alloc(FWD_ALGO_PERF_BYTES * requested);
      check('cudnnFindConvolutionForwardAlgorithm', raw.cudnnFindConvolutionForwardAlgorithm(h, x, w, conv, y, requested, returned, perf));
      const out: AlgoPerf[] = [];
      for (let i = 0; i < returned[0]!; i++) {
        const o = i * FWD_ALGO_PERF_BYTES;
        const p = { algo: perf.readInt32LE(o), status: perf.readInt32LE(o + 4), ms: perf.readFloatLE(o + 8), workspace: Number(perf.readBigUInt64LE(o + 16)), mathType: perf.readInt32LE(o + 28) };
        if (p.status === 0) out.push(p);
      }
      return out;
    },
    forwardWorkspace: (h, x, w, conv, y, algo) => {
      const b = [0];
      check('cudnnGetConvolutionForwardWorkspaceSize', raw.cudnnGetConvolutionForwardWorkspaceSize(h, x, w, conv, y, algo, b));
      return Number(b[0]);
    },
    forward: (h, alpha, xd, x, wd, w, conv, algo, ws, wsBytes, beta, yd, y) =>
      check('cudnnConvolutionForward', raw.cudnnConvolutionForward(h, alpha, xd, x, wd, w, conv, algo, ws, wsBytes, beta, yd, y)),
    hasFusedForward: typeof raw.cudnnConvolutionBiasActivationForward === 'function',
    activation: (mode, coef) => {
      const a = create('cudnnCreateActivationDescriptor');
      check('cudnnSetActivationDescriptor', raw.cudnnSetActivationDescriptor(a, mode, 0 /* NOT_PROPAGATE_NAN */, coef));
      return a;
    },
    fusedForward: (h, alpha1, xd, x, wd, w, conv, algo, ws, wsBytes, alpha2, zd, z, bd, b, act, yd, y) =>
      check(
        'cudnnConvolutionBiasActivationForward',
        raw.cudnnConvolutionBiasActivationForward(h, alpha1, xd, x, wd, w, conv, algo, ws, wsBytes, alpha2, zd, z, bd, b, act, yd, y),
      ),
  };
  return { ok: true, cudnn };
}
