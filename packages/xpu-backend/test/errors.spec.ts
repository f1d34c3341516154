// Error messages name the call and CUDA's (or NVRTC's) error name.
import { CudaError, cuResultName, NvrtcError, nvrtcResultName } from '../src/ffi/errors';

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
});
