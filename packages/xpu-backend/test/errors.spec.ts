// Error messages name the call and CUDA's (or NVRTC's) error name.
import { CudaError, cuResultName, LibraryStatusError, NvrtcError, nvrtcResultName, statusCheck } from '../src/ffi/errors';

describe('CUDA errors', () => {
  it('names the call, the error name and the code', () => {
    const e = new CudaError('cuInit', 100);
    expect(e.message).toBe('cuInit failed: CUDA_ERROR_NO_DEVICE (100)');
    expect(e).toMatchObject({ call: 'cuInit', code: 100, errorName: 'CUDA_ERROR_NO_DEVICE', name: 'CudaError' });
  });
  it('prefers the name the driver gave', () => {
    expect(new CudaError('cuMemAlloc_v2', 2, 'CUDA_ERROR_OUT_OF_MEMORY').message).toBe('cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)');
  });
  it('falls back to the number for codes not in the table', () => {
    expect(cuResultName(12345)).toBe('CUresult 12345');
    expect(cuResultName(34)).toBe('CUDA_ERROR_STUB_LIBRARY');
  });
  it('carries the NVRTC compile log', () => {
    const e = new NvrtcError('nvrtcCompileProgram(k.cu, --gpu-architecture=sm_90)', 6, 'k.cu(3): error: identifier "x" is undefined\n\n');
    expect(e.message).toBe('nvrtcCompileProgram(k.cu, --gpu-architecture=sm_90) failed: NVRTC_ERROR_COMPILATION (6)\nk.cu(3): error: identifier "x" is undefined');
    expect(nvrtcResultName(5)).toBe('NVRTC_ERROR_INVALID_OPTION');
    expect(nvrtcResultName(99)).toBe('nvrtcResult 99');
  });

  it("checks a library's status with its own name for it, or the number where it has none", () => {
    class LibError extends LibraryStatusError {}
    const make = (call: string, rc: number, name: string) => new LibError(call, rc, name);
    const named = statusCheck(make, 'cublasStatus_t', (s) => (s === 7 ? 'CUBLAS_STATUS_INVALID_VALUE' : 'other'));
    expect(() => named('cublasLtMatmul', 0)).not.toThrow();
    expect(() => named('cublasLtMatmul', 7)).toThrow('cublasLtMatmul failed: CUBLAS_STATUS_INVALID_VALUE (7)');
    const unnamed = statusCheck(make, 'cudnnStatus_t', undefined);
    expect(() => unnamed('cudnnCreate', 4)).toThrow('cudnnCreate failed: cudnnStatus_t 4 (4)');
    const failing = statusCheck(make, 'cudnnStatus_t', () => {
      throw new Error('no such symbol');
    });
    let err: unknown;
    try {
      failing('cudnnCreate', 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibError);
    expect((err as LibError).message).toBe('cudnnCreate failed: cudnnStatus_t 3 (3)');
  });
});
