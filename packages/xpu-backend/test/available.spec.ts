// isAvailable's answers for each way a machine can lack a usable accelerator, over a fake driver;
// and, on this machine, the real answer (ok without a GPU is false, with the reason).
import { CudaError } from '../src/ffi/errors';
import { checkAvailability, formatCudaVersion, isAvailable } from '../src/runtime/available';

function fakeDriver(over: Partial<{ init: () => void; count: number; names: string[] }> = {}) {
  const names = over.names ?? ['NVIDIA H100 80GB HBM3', 'NVIDIA H100 80GB HBM3'];
  return {
    ok: true as const,
    driver: {
      init: over.init ?? (() => undefined),
      driverVersion: () => 13000,
      deviceCount: () => over.count ?? names.length,
      device: (ordinal: number) => ordinal,
      deviceName: (dev: number) => names[dev]!,
    },
  };
}

describe('checkAvailability', () => {
  it('is ok with the devices and the CUDA version', () => {
    expect(checkAvailability(() => fakeDriver({ names: ['A', 'B', 'C'] }), { XPU_VISIBLE_DEVICES: '2,0' })).toEqual({
      ok: true,
      cudaVersion: '13.0',
      devices: [
        { device: 'xpu:0', ordinal: 2, name: 'C' },
        { device: 'xpu:1', ordinal: 0, name: 'A' },
      ],
    });
  });

  it('passes on where the driver library was looked for', () => {
    const a = checkAvailability(() => ({ ok: false, reason: 'libcuda.so.1 (cuda) was not found; looked in: /x (OAR_CUDA_LIB_PATH)' }), {});
    expect(a).toEqual({ ok: false, reason: 'no CUDA driver: libcuda.so.1 (cuda) was not found; looked in: /x (OAR_CUDA_LIB_PATH)' });
  });

  it("gives cuInit's error name when it fails", () => {
    const a = checkAvailability(
      () =>
        fakeDriver({
          init: () => {
            throw new CudaError('cuInit', 100, 'CUDA_ERROR_NO_DEVICE');
          },
        }),
      {},
    );
    expect(a.ok).toBe(false);
    expect(a.reason).toBe('the CUDA driver was found but cuInit failed: CUDA_ERROR_NO_DEVICE (is a GPU attached and the driver loaded?)');
  });

  it('says when the driver has no devices', () => {
    expect(checkAvailability(() => fakeDriver({ names: [] }), {})).toEqual({ ok: false, reason: 'the CUDA driver (CUDA 13.0) reports no devices', cudaVersion: '13.0' });
  });

  it('says when XPU_VISIBLE_DEVICES hides them all', () => {
    expect(checkAvailability(() => fakeDriver(), { XPU_VISIBLE_DEVICES: '' }).reason).toBe('XPU_VISIBLE_DEVICES="" hides all 2 device(s)');
  });

  it('turns anything thrown into a reason instead of throwing', () => {
    expect(checkAvailability(() => fakeDriver(), { XPU_VISIBLE_DEVICES: '7' })).toEqual({
      ok: false,
      reason: 'XPU_VISIBLE_DEVICES="7" names device 7, but the driver has 2 device(s) (0..1)',
    });
    expect(
      checkAvailability(() => {
        throw new Error('koffi exploded\nstack');
      }, {}),
    ).toEqual({ ok: false, reason: 'koffi exploded' });
  });
});

describe('formatCudaVersion', () => {
  it("decodes cuDriverGetVersion's number", () => {
    expect(formatCudaVersion(13000)).toBe('13.0');
    expect(formatCudaVersion(12080)).toBe('12.8');
    expect(formatCudaVersion(11020)).toBe('11.2');
  });
});

describe('isAvailable on this machine', () => {
  it('answers without throwing, with a reason whenever it is not ok', () => {
    const a = isAvailable();
    expect(typeof a.ok).toBe('boolean');
    if (a.ok) {
      expect(a.devices!.length).toBeGreaterThan(0);
    } else {
      expect(a.reason).toMatch(/\S/);
      expect(a.reason!.split('\n')).toHaveLength(1);
    }
  });
});
