/**
 * Errors from the CUDA libraries, naming the call and the library's own error name. The names come
 * from the library (cuGetErrorName, nvrtcGetErrorString) when it answers; the tables below are the
 * fallback for codes seen before the library is usable (cuInit failing) and for tests.
 */

/** CUresult codes from cuda.h that a user is likely to meet (the driver knows the rest). */
const CU_RESULT_NAMES: Readonly<Record<number, string>> = {
  0: 'CUDA_SUCCESS',
  1: 'CUDA_ERROR_INVALID_VALUE',
  2: 'CUDA_ERROR_OUT_OF_MEMORY',
  3: 'CUDA_ERROR_NOT_INITIALIZED',
  4: 'CUDA_ERROR_DEINITIALIZED',
  34: 'CUDA_ERROR_STUB_LIBRARY',
  46: 'CUDA_ERROR_DEVICES_UNAVAILABLE',
  100: 'CUDA_ERROR_NO_DEVICE',
  101: 'CUDA_ERROR_INVALID_DEVICE',
  102: 'CUDA_ERROR_DEVICE_NOT_LICENSED',
  200: 'CUDA_ERROR_INVALID_IMAGE',
  201: 'CUDA_ERROR_INVALID_CONTEXT',
  209: 'CUDA_ERROR_NO_BINARY_FOR_GPU',
  218: 'CUDA_ERROR_INVALID_PTX',
  222: 'CUDA_ERROR_UNSUPPORTED_PTX_VERSION',
  300: 'CUDA_ERROR_INVALID_SOURCE',
  400: 'CUDA_ERROR_INVALID_HANDLE',
  500: 'CUDA_ERROR_NOT_FOUND',
  600: 'CUDA_ERROR_NOT_READY',
  700: 'CUDA_ERROR_ILLEGAL_ADDRESS',
  701: 'CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES',
  702: 'CUDA_ERROR_LAUNCH_TIMEOUT',
  719: 'CUDA_ERROR_LAUNCH_FAILED',
  801: 'CUDA_ERROR_NOT_SUPPORTED',
  803: 'CUDA_ERROR_SYSTEM_DRIVER_MISMATCH',
  804: 'CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE',
  999: 'CUDA_ERROR_UNKNOWN',
};

export const CUDA_ERROR_OUT_OF_MEMORY = 2;

/** nvrtcResult codes from nvrtc.h. */
const NVRTC_RESULT_NAMES: Readonly<Record<number, string>> = {
  0: 'NVRTC_SUCCESS',
  1: 'NVRTC_ERROR_OUT_OF_MEMORY',
  2: 'NVRTC_ERROR_PROGRAM_CREATION_FAILURE',
  3: 'NVRTC_ERROR_INVALID_INPUT',
  4: 'NVRTC_ERROR_INVALID_PROGRAM',
  5: 'NVRTC_ERROR_INVALID_OPTION',
  6: 'NVRTC_ERROR_COMPILATION',
  7: 'NVRTC_ERROR_BUILTIN_OPERATION_FAILURE',
  8: 'NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION',
  9: 'NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION',
  10: 'NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID',
  11: 'NVRTC_ERROR_INTERNAL_ERROR',
};

export function cuResultName(code: number): string {
  return CU_RESULT_NAMES[code] ?? `CUresult ${code}`;
}

export function nvrtcResultName(code: number): string {
  return NVRTC_RESULT_NAMES[code] ?? `nvrtcResult ${code}`;
}

/** A driver API call that returned something other than CUDA_SUCCESS. */
export class CudaError extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    readonly errorName: string = cuResultName(code),
  ) {
    super(`${call} failed: ${errorName} (${code})`);
    this.name = 'CudaError';
  }
}

/** An NVRTC call that failed; for a compilation, `log` holds the compiler's output. */
export class NvrtcError extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    readonly log = '',
    readonly errorName: string = nvrtcResultName(code),
  ) {
    super(`${call} failed: ${errorName} (${code})${log ? `\n${log.trimEnd()}` : ''}`);
    this.name = 'NvrtcError';
  }
}

/** A cuBLAS or cuDNN call that returned a status other than success, with the library's name for it. */
export class LibraryStatusError extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    readonly statusName: string,
  ) {
    super(`${call} failed: ${statusName} (${status})`);
    this.name = new.target.name;
  }
}

/**
 * The status check of a library whose calls return 0 on success (cuBLAS, cuBLASLt, cuDNN): any
 * other status throws `make(call, status, name)`, the name from the library's own lookup
 * (`lookup`, absent in older versions) or else `${typeName} ${status}`.
 */
export function statusCheck(
  make: (call: string, status: number, name: string) => Error,
  typeName: string,
  lookup: ((status: number) => unknown) | undefined,
): (call: string, status: number) => void {
  const nameOf = (status: number): string => {
    try {
      if (lookup) return String(lookup(status));
    } catch {
      // the number alone
    }
    return `${typeName} ${status}`;
  };
  return (call, status) => {
    if (status !== 0) throw make(call, status, nameOf(status));
  };
}
