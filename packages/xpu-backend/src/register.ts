/**
 * registerXpuBackend(): makes `xpu` / `xpu:N` a device of the core engine. Explicit, never an import
 * side effect, so tests and CLIs decide when the driver is touched.
 */
import { engine, type Backend, type BackendFactory } from '@oar/core';
import { CU_DEVICE_ATTRIBUTE, loadCudaDriver, type CudaDriver } from './ffi/cuda';
import { formatCudaVersion, isAvailable, type Availability } from './runtime/available';
import { selectDevice } from './runtime/devices';
import { registerXpuKernels } from './kernels';
import { Compute } from './runtime/compute';
import { XpuBackend } from './runtime/xpu-backend';

/** @internal What registration touches, injectable so tests run without a driver. */
export interface RegisterDeps {
  check: () => Availability;
  factory: () => BackendFactory;
  register: (kind: string, factory: BackendFactory) => void;
}

/** The CUDA backend factory: `xpu:N` → the driver ordinal under XPU_VISIBLE_DEVICES / FLAGS_selected_xpus. */
function cudaFactory(cu: CudaDriver, log: (line: string) => void): BackendFactory {
  return (index: number): Backend => {
    const sel = selectDevice(index, process.env, cu.deviceCount());
    const dev = cu.device(sel.ordinal);
    const ctx = cu.primaryCtxRetain(dev);
    cu.ctxSetCurrent(ctx);
    const gib = (cu.deviceTotalMem(dev) / 2 ** 30).toFixed(1);
    const major = cu.deviceAttribute(CU_DEVICE_ATTRIBUTE.COMPUTE_CAPABILITY_MAJOR, dev);
    const minor = cu.deviceAttribute(CU_DEVICE_ATTRIBUTE.COMPUTE_CAPABILITY_MINOR, dev);
    log(`${sel.device} = ${cu.deviceName(dev)} (${gib} GiB, sm_${major}${minor}, driver ordinal ${sel.ordinal}), CUDA ${formatCudaVersion(cu.driverVersion())}`);
    const compute = new Compute(require('koffi'), cu, ctx, `sm_${major}${minor}`);
    return new XpuBackend(sel.device, cu, ctx, compute);
  };
}

const defaultDeps: RegisterDeps = {
  check: isAvailable,
  factory: () => {
    const loaded = loadCudaDriver();
    if (!loaded.ok) throw new Error(loaded.reason); // isAvailable said ok, so this is not expected
    return cudaFactory(loaded.driver, (line) => process.stderr.write(`[oar] ${line}\n`));
  },
  register: (kind, factory) => engine.registerBackend(kind, factory),
};

/**
 * Registers the `xpu` backend with the core engine. Throws one Error, whose first line is the whole
 * reason, when no accelerator is usable (the CLIs show only that line): no driver library (with every
 * place looked), cuInit failing (CUDA's error name), or no visible device.
 */
export function registerXpuBackend(deps: RegisterDeps = defaultDeps): void {
  const a = deps.check();
  if (!a.ok) throw new Error(`xpu is not available: ${a.reason ?? 'unknown reason'}`);
  deps.register('xpu', deps.factory());
  registerXpuKernels();
}
