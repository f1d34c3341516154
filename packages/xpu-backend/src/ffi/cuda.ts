/**
 * The CUDA driver API (libcuda.so.1) through koffi: raw declarations and typed wrappers that throw
 * CudaError naming the call and CUDA's error name. Loaded on first use, never at import.
 *
 * UNVERIFIED HERE: these bindings can only run on a machine with an NVIDIA driver. The signatures
 * follow cuda.h and the probe that ran on the project's H100 (../shared/device/probe-cuda.js); no
 * test in this package calls them, since CI and the development machines have no GPU.
 *
 * Conventions: device pointers (CUdeviceptr) are bigint; other handles (contexts, streams, events,
 * modules, functions, pinned host pointers) are opaque values koffi hands out and takes back.
 * Synchronous copies take typed arrays directly; asynchronous ones need pinned memory, because koffi
 * only guarantees a typed array's address for the duration of one call.
 */
import type * as Koffi from 'koffi';
import { openLibrary, type Candidate, type DiscoveryOptions } from './discovery';
import { CudaError, cuResultName } from './errors';

/** An opaque driver handle (CUcontext, CUstream, CUevent, CUmodule, CUfunction, pinned host pointer). */
export type Handle = unknown;

/** CUdevice_attribute values used here (cuda.h). */
export const CU_DEVICE_ATTRIBUTE = {
  MULTIPROCESSOR_COUNT: 16,
  COMPUTE_CAPABILITY_MAJOR: 75,
  COMPUTE_CAPABILITY_MINOR: 76,
} as const;

export interface CudaDriver {
  /** Where libcuda was found. */
  readonly library: Candidate;
  init(): void;
  /** e.g. 13000 for CUDA 13.0. */
  driverVersion(): number;
  deviceCount(): number;
  device(ordinal: number): number;
  deviceName(dev: number): string;
  deviceTotalMem(dev: number): number;
  deviceAttribute(attribute: number, dev: number): number;
  primaryCtxRetain(dev: number): Handle;
  ctxSetCurrent(ctx: Handle): void;
  memAlloc(bytes: number): bigint;
  /** Like memAlloc, but CUDA_ERROR_OUT_OF_MEMORY is returned as null instead of thrown. */
  tryMemAlloc(bytes: number): bigint | null;
  memFree(ptr: bigint): void;
  memsetD8(dst: bigint, value: number, bytes: number): void;
  /** Fills `count` 32-bit words with the bit pattern `value`. */
  memsetD32(dst: bigint, value: number, count: number): void;
  memcpyDtoD(dst: bigint, src: bigint, bytes: number): void;
  /** Waits for all work in the current context. */
  ctxSynchronize(): void;
  memcpyHtoD(dst: bigint, src: ArrayBufferView, bytes: number): void;
  memcpyDtoH(dst: ArrayBufferView, src: bigint, bytes: number): void;
  memcpyHtoDAsync(dst: bigint, pinnedSrc: Handle, bytes: number, stream: Handle | null): void;
  memcpyDtoHAsync(pinnedDst: Handle, src: bigint, bytes: number, stream: Handle | null): void;
  memAllocHost(bytes: number): Handle;
  memFreeHost(p: Handle): void;
  streamCreate(flags?: number): Handle;
  streamSynchronize(stream: Handle | null): void;
  eventCreate(flags?: number): Handle;
  eventRecord(event: Handle, stream: Handle | null): void;
  eventSynchronize(event: Handle): void;
  /** Milliseconds between two recorded events. */
  eventElapsedTime(start: Handle, end: Handle): number;
  moduleLoadData(image: Uint8Array): Handle;
  moduleGetFunction(mod: Handle, name: string): Handle;
  /** `params` is a native array of pointers to each argument's storage (see the device README). */
  launchKernel(fn: Handle, grid: [number, number, number], block: [number, number, number], sharedMemBytes: number, stream: Handle | null, params: Handle | null): void;
  /** CUDA's name for a CUresult, e.g. CUDA_ERROR_NO_DEVICE. */
  errorName(code: number): string;
}

type Fn = (...args: unknown[]) => number;

const SIGNATURES = {
  cuInit: 'int cuInit(unsigned int flags)',
  cuDriverGetVersion: 'int cuDriverGetVersion(_Out_ int *version)',
  cuDeviceGetCount: 'int cuDeviceGetCount(_Out_ int *count)',
  cuDeviceGet: 'int cuDeviceGet(_Out_ int *dev, int ordinal)',
  cuDeviceGetName: 'int cuDeviceGetName(_Out_ uint8_t *name, int len, int dev)',
  cuDeviceTotalMem_v2: 'int cuDeviceTotalMem_v2(_Out_ size_t *bytes, int dev)',
  cuDeviceGetAttribute: 'int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)',
  cuDevicePrimaryCtxRetain: 'int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)',
  cuCtxSetCurrent: 'int cuCtxSetCurrent(void *ctx)',
  cuMemAlloc_v2: 'int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)',
  cuMemFree_v2: 'int cuMemFree_v2(uint64_t dptr)',
  cuMemsetD8_v2: 'int cuMemsetD8_v2(uint64_t dst, uint8_t value, size_t count)',
  cuMemsetD32_v2: 'int cuMemsetD32_v2(uint64_t dst, uint32_t value, size_t count)',
  cuMemcpyDtoD_v2: 'int cuMemcpyDtoD_v2(uint64_t dst, uint64_t src, size_t bytes)',
  cuCtxSynchronize: 'int cuCtxSynchronize()',
  cuMemcpyHtoD_v2: 'int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)',
  cuMemcpyDtoH_v2: 'int cuMemcpyDtoH_v2(_Out_ void *dst, uint64_t src, size_t bytes)',
  cuMemcpyHtoDAsync_v2: 'int cuMemcpyHtoDAsync_v2(uint64_t dst, void *src, size_t bytes, void *stream)',
  cuMemcpyDtoHAsync_v2: 'int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream)',
  cuMemAllocHost_v2: 'int cuMemAllocHost_v2(_Out_ void **pp, size_t bytes)',
  cuMemFreeHost: 'int cuMemFreeHost(void *p)',
  cuStreamCreate: 'int cuStreamCreate(_Out_ void **stream, unsigned int flags)',
  cuStreamSynchronize: 'int cuStreamSynchronize(void *stream)',
  cuEventCreate: 'int cuEventCreate(_Out_ void **event, unsigned int flags)',
  cuEventRecord: 'int cuEventRecord(void *event, void *stream)',
  cuEventSynchronize: 'int cuEventSynchronize(void *event)',
  cuEventElapsedTime: 'int cuEventElapsedTime(_Out_ float *ms, void *start, void *end)',
  cuModuleLoadData: 'int cuModuleLoadData(_Out_ void **module, const void *image)',
  cuModuleGetFunction: 'int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)',
  cuLaunchKernel:
    'int cuLaunchKernel(void *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedMemBytes, void *stream, void *kernelParams, void *extra)',
  cuGetErrorName: 'int cuGetErrorName(int error, _Out_ void **pStr)',
} as const;

type Raw = Record<keyof typeof SIGNATURES, Fn>;

function declare(lib: Koffi.LibraryHandle): Raw {
  const raw = {} as Raw;
  for (const [name, sig] of Object.entries(SIGNATURES)) raw[name as keyof Raw] = lib.func(sig) as Fn;
  return raw;
}

function wrap(koffi: typeof Koffi, raw: Raw, library: Candidate): CudaDriver {
  let currentCtx: Handle | undefined;
  const errorName = (code: number): string => {
    const out: unknown[] = [null];
    try {
      if (raw.cuGetErrorName(code, out) === 0 && out[0]) return koffi.decode.string(out[0]);
    } catch {
      // fall through to the table
    }
    return cuResultName(code);
  };
  const check = (call: string, rc: number): void => {
    if (rc !== 0) throw new CudaError(call, rc, errorName(rc));
  };
  const outInt = (call: keyof Raw, ...args: unknown[]): number => {
    const out = [0];
    check(call, raw[call](out, ...args));
    return Number(out[0]);
  };
  const outHandle = (call: keyof Raw, ...args: unknown[]): Handle => {
    const out: unknown[] = [null];
    check(call, raw[call](out, ...args));
    return out[0];
  };
  return {
    library,
    init: () => check('cuInit', raw.cuInit(0)),
    driverVersion: () => outInt('cuDriverGetVersion'),
    deviceCount: () => outInt('cuDeviceGetCount'),
    device: (ordinal) => outInt('cuDeviceGet', ordinal),
    deviceName: (dev) => {
      const buf = Buffer.alloc(256);
      check('cuDeviceGetName', raw.cuDeviceGetName(buf, buf.length, dev));
      const end = buf.indexOf(0);
      return buf.toString('utf8', 0, end < 0 ? buf.length : end);
    },
    deviceTotalMem: (dev) => outInt('cuDeviceTotalMem_v2', dev),
    deviceAttribute: (attribute, dev) => outInt('cuDeviceGetAttribute', attribute, dev),
    primaryCtxRetain: (dev) => outHandle('cuDevicePrimaryCtxRetain', dev),
    // Every kernel and allocation makes its device current; only Oar sets contexts on this thread,
    // so repeating the last one is skipped (a driver call per operator saved on the hot path).
    ctxSetCurrent: (ctx) => {
      if (ctx === currentCtx) return;
      check('cuCtxSetCurrent', raw.cuCtxSetCurrent(ctx));
      currentCtx = ctx;
    },
    memAlloc: (bytes) => {
      const out: unknown[] = [0n];
      check('cuMemAlloc_v2', raw.cuMemAlloc_v2(out, bytes));
      return BigInt(out[0] as number | bigint);
    },
    tryMemAlloc: (bytes) => {
      const out: unknown[] = [0n];
      const rc = raw.cuMemAlloc_v2(out, bytes);
      if (rc === 2 /* CUDA_ERROR_OUT_OF_MEMORY */) return null;
      check('cuMemAlloc_v2', rc);
      return BigInt(out[0] as number | bigint);
    },
    memFree: (ptr) => check('cuMemFree_v2', raw.cuMemFree_v2(ptr)),
    memsetD8: (dst, value, bytes) => check('cuMemsetD8_v2', raw.cuMemsetD8_v2(dst, value, bytes)),
    memsetD32: (dst, value, count) => check('cuMemsetD32_v2', raw.cuMemsetD32_v2(dst, value >>> 0, count)),
    memcpyDtoD: (dst, src, bytes) => check('cuMemcpyDtoD_v2', raw.cuMemcpyDtoD_v2(dst, src, bytes)),
    ctxSynchronize: () => check('cuCtxSynchronize', raw.cuCtxSynchronize()),
    memcpyHtoD: (dst, src, bytes) => check('cuMemcpyHtoD_v2', raw.cuMemcpyHtoD_v2(dst, src, bytes)),
    memcpyDtoH: (dst, src, bytes) => check('cuMemcpyDtoH_v2', raw.cuMemcpyDtoH_v2(dst, src, bytes)),
    memcpyHtoDAsync: (dst, src, bytes, stream) => check('cuMemcpyHtoDAsync_v2', raw.cuMemcpyHtoDAsync_v2(dst, src, bytes, stream)),
    memcpyDtoHAsync: (dst, src, bytes, stream) => check('cuMemcpyDtoHAsync_v2', raw.cuMemcpyDtoHAsync_v2(dst, src, bytes, stream)),
    memAllocHost: (bytes) => outHandle('cuMemAllocHost_v2', bytes),
    memFreeHost: (p) => check('cuMemFreeHost', raw.cuMemFreeHost(p)),
    streamCreate: (flags = 0) => outHandle('cuStreamCreate', flags),
    streamSynchronize: (stream) => check('cuStreamSynchronize', raw.cuStreamSynchronize(stream)),
    eventCreate: (flags = 0) => outHandle('cuEventCreate', flags),
    eventRecord: (event, stream) => check('cuEventRecord', raw.cuEventRecord(event, stream)),
    eventSynchronize: (event) => check('cuEventSynchronize', raw.cuEventSynchronize(event)),
    eventElapsedTime: (start, end) => {
      const out = [0];
      check('cuEventElapsedTime', raw.cuEventElapsedTime(out, start, end));
      return out[0]!;
    },
    moduleLoadData: (image) => outHandle('cuModuleLoadData', image),
    moduleGetFunction: (mod, name) => outHandle('cuModuleGetFunction', mod, name),
    launchKernel: (fn, grid, block, sharedMemBytes, stream, params) =>
      check('cuLaunchKernel', raw.cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedMemBytes, stream, params, null)),
    errorName,
  };
}

export type DriverLoad = { ok: true; driver: CudaDriver } | { ok: false; reason: string };

let cached: DriverLoad | undefined;

/**
 * Opens libcuda.so.1 and declares the functions, once per process (later calls return the first
 * answer, whatever their options); never throws. A machine without
 * the driver gets `ok: false` with every place looked. cuInit is not called here (see runtime/available).
 */
export function loadCudaDriver(opts: DiscoveryOptions = {}): DriverLoad {
  if (cached) return cached;
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi');
  } catch (e) {
    return (cached = { ok: false, reason: `koffi, which @oar/xpu-backend uses to reach CUDA, did not load: ${(e as Error).message}` });
  }
  const opened = openLibrary('cuda', (p) => koffi.load(p), opts);
  if (!opened.ok) return (cached = { ok: false, reason: opened.message });
  try {
    cached = { ok: true, driver: wrap(koffi, declare(opened.handle), opened.candidate) };
  } catch (e) {
    // An old driver lacking one of the symbols.
    cached = { ok: false, reason: `${opened.candidate.path} is missing a driver API function: ${(e as Error).message}` };
  }
  return cached;
}
