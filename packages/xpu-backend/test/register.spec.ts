// registerXpuBackend: one clear Error when xpu is unusable (the clas CLI shows its first line), and
// a registered `xpu` kind with the core engine when it is.
import { engine } from '@oar/core';
import { registerXpuBackend } from '../src/register';
import { isAvailable } from '../src/runtime/available';
import { XpuBackend } from '../src/runtime/xpu-backend';

describe('registerXpuBackend', () => {
  it('throws one self-contained line when the accelerator is unavailable, and registers nothing', () => {
    const registered: string[] = [];
    const run = () =>
      registerXpuBackend({
        check: () => ({ ok: false, reason: 'no CUDA driver: libcuda.so.1 (cuda) was not found; looked in: /a (OAR_CUDA_LIB_PATH)' }),
        factory: () => {
          throw new Error('the factory must not be built');
        },
        register: (kind) => registered.push(kind),
      });
    expect(run).toThrow(new Error('xpu is not available: no CUDA driver: libcuda.so.1 (cuda) was not found; looked in: /a (OAR_CUDA_LIB_PATH)'));
    expect(registered).toEqual([]);
  });

  it("registers the factory under 'xpu' with the core engine when available", () => {
    const backend = new XpuBackend(
      'xpu:1',
      {
        ctxSetCurrent: () => undefined,
        ctxSynchronize: () => undefined,
        tryMemAlloc: () => 0x10n,
        memFree: () => undefined,
        memsetD8: () => undefined,
        memcpyHtoD: () => undefined,
        memcpyDtoH: () => undefined,
      },
      'ctx',
    );
    const indices: number[] = [];
    registerXpuBackend({
      check: () => ({ ok: true, cudaVersion: '13.0', devices: [] }),
      factory: () => (index) => (indices.push(index), backend),
      register: (kind, f) => engine.registerBackend(kind, f),
    });
    expect(engine.backend('xpu:1')).toBe(backend);
    expect(indices).toEqual([1]);
  });

  const real = isAvailable();
  (real.ok ? it.skip : it)('with the real driver check on a machine without a GPU: says why (GPU machines skip this)', () => {
    expect(() => registerXpuBackend()).toThrow(/^xpu is not available: \S/);
    let message = '';
    try {
      registerXpuBackend();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(real.reason!);
  });
});
