/**
 * Whether this process can use `xpu`: the driver library loads, cuInit succeeds, and at least one
 * device is usable under XPU_VISIBLE_DEVICES / FLAGS_selected_xpus. Answers without throwing, so
 * tests and CLIs can ask first; the reason says what is missing.
 */
import { loadCudaDriver, type CudaDriver, type DriverLoad } from '../ffi/cuda';
import { CudaError } from '../ffi/errors';
import { usableOrdinals } from './devices';

export interface XpuDeviceInfo {
  /** `xpu:N` */
  device: string;
  /** CUDA driver ordinal. */
  ordinal: number;
  /** e.g. "NVIDIA H100 80GB HBM3" */
  name: string;
}

export interface Availability {
  ok: boolean;
  /** Why not, when ok is false. */
  reason?: string;
  /** The CUDA version the driver supports, e.g. "13.0". */
  cudaVersion?: string;
  devices?: XpuDeviceInfo[];
}

/** 13000 → "13.0", 12080 → "12.8" (cuDriverGetVersion's encoding: 1000 * major + 10 * minor). */
export function formatCudaVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

type ProbeDriver = Pick<CudaDriver, 'init' | 'driverVersion' | 'deviceCount' | 'device' | 'deviceName'>;

/** isAvailable over an injected driver loader and environment (for tests). Never throws. */
export function checkAvailability(load: () => DriverLoad | { ok: true; driver: ProbeDriver }, env: NodeJS.ProcessEnv): Availability {
  try {
    const loaded = load();
    if (!loaded.ok) return { ok: false, reason: `no CUDA driver: ${loaded.reason}` };
    const cu = loaded.driver;
    try {
      cu.init();
    } catch (e) {
      const name = e instanceof CudaError ? e.errorName : String((e as Error)?.message ?? e);
      return { ok: false, reason: `the CUDA driver was found but cuInit failed: ${name} (is a GPU attached and the driver loaded?)` };
    }
    const cudaVersion = formatCudaVersion(cu.driverVersion());
    const count = cu.deviceCount();
    if (count === 0) return { ok: false, reason: `the CUDA driver (CUDA ${cudaVersion}) reports no devices`, cudaVersion };
    const ordinals = usableOrdinals(env, count);
    if (ordinals.length === 0) {
      return { ok: false, reason: `XPU_VISIBLE_DEVICES="${env.XPU_VISIBLE_DEVICES ?? ''}" hides all ${count} device(s)`, cudaVersion };
    }
    const devices = ordinals.map((ordinal, i) => ({ device: `xpu:${i}`, ordinal, name: cu.deviceName(cu.device(ordinal)) }));
    return { ok: true, cudaVersion, devices };
  } catch (e) {
    return { ok: false, reason: String((e as Error)?.message ?? e).split('\n')[0] };
  }
}

/** Whether `xpu` can be used in this process, and if not why. Never throws. */
export function isAvailable(): Availability {
  return checkAvailability(() => loadCudaDriver(), process.env);
}
