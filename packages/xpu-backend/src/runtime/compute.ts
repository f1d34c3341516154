/**
 * What the xpu kernels run with on one device: the launcher and compiled modules for our own CUDA
 * kernels, and cuBLAS / cuDNN handles. The libraries are opened on first use, so a program that
 * never convolves never loads cuDNN; a missing library fails the first operator that needs it,
 * with every place looked. Kernels that index with tensor values check them on the device
 * (runtime/checks.ts).
 */
import type * as Koffi from 'koffi';
import { loadCublas, CUBLAS_MATH, type Cublas } from '../ffi/cublas';
import { loadCublasLt, type CublasLt, type LtPlan } from '../ffi/cublaslt';
import type { CudaDriver, Handle } from '../ffi/cuda';
import { loadCudnn, type Cudnn } from '../ffi/cudnn';
import { loadNvrtc } from '../ffi/nvrtc';
import { DeviceChecks } from './checks';
import { Launcher } from './launcher';
import { ModuleCache, type KernelModule } from './modules';

/**
 * float32 matrix products and convolutions stay exact float32 by default (no TF32 tensor cores),
 * as on the CPU; OAR_XPU_TF32=1 allows TF32, which is faster and rounds inputs to 10 mantissa bits.
 */
export function tf32Allowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OAR_XPU_TF32 === '1';
}

/** Workspace cuBLASLt may use per product (NVIDIA's recommendation for Hopper). */
const LT_WORKSPACE_BYTES = 32 << 20;

/** cuBLASLt on one device: its handle, workspace, and the plans made so far (null: no Lt algorithm for that geometry). */
export interface LtState {
  lib: CublasLt;
  handle: unknown;
  workspace: bigint;
  workspaceBytes: number;
  plans: Map<string, LtPlan | null>;
}

export class Compute {
  readonly launcher: Launcher;
  /** Slots where kernels record bad index values, looked at when the host next waits. */
  readonly checks: DeviceChecks;
  private modules?: ModuleCache;
  private blasHandle?: { lib: Cublas; handle: unknown };
  private dnnHandle?: { lib: Cudnn; handle: unknown };
  private ltState?: LtState | null;

  constructor(
    koffi: typeof Koffi,
    readonly cu: CudaDriver,
    private readonly ctx: Handle,
    /** e.g. sm_90 */
    readonly arch: string,
    readonly tf32 = tf32Allowed(),
  ) {
    this.launcher = new Launcher(koffi, cu);
    this.checks = new DeviceChecks(cu, (bytes) => cu.memAlloc(bytes));
  }

  /** Makes this device's context current (several devices may share the thread). */
  current(): void {
    this.cu.ctxSetCurrent(this.ctx);
  }

  /** The compiled module `name` (unique per source: family and element type), built from `source()` on first use. */
  module(name: string, source: () => string): KernelModule {
    if (!this.modules) {
      const n = loadNvrtc();
      if (!n.ok) throw new Error(`xpu kernels need NVRTC to compile: ${n.reason}`);
      this.modules = new ModuleCache(this.cu, n.nvrtc, this.arch);
    }
    return this.modules.get(name, source);
  }

  get compiledPrograms(): number {
    return this.modules?.compiled ?? 0;
  }

  cublas(): { lib: Cublas; handle: unknown } {
    if (!this.blasHandle) {
      const l = loadCublas();
      if (!l.ok) throw new Error(`xpu matrix products need cuBLAS: ${l.reason}`);
      const handle = l.cublas.create();
      l.cublas.setMathMode(handle, this.tf32 ? CUBLAS_MATH.TF32 : CUBLAS_MATH.DEFAULT);
      this.blasHandle = { lib: l.cublas, handle };
    }
    return this.blasHandle;
  }

  /** cuBLASLt, or null where the library is missing (products then take cuBLAS's GEMMs and a separate epilogue). */
  cublasLt(): LtState | null {
    if (this.ltState === undefined) {
      const l = loadCublasLt();
      this.ltState = l.ok
        ? { lib: l.lt, handle: l.lt.create(), workspace: this.cu.memAlloc(LT_WORKSPACE_BYTES), workspaceBytes: LT_WORKSPACE_BYTES, plans: new Map() }
        : null;
    }
    return this.ltState;
  }

  cudnn(): { lib: Cudnn; handle: unknown } {
    if (!this.dnnHandle) {
      const l = loadCudnn();
      if (!l.ok) throw new Error(`xpu convolutions need cuDNN 9: ${l.reason}`);
      this.dnnHandle = { lib: l.cudnn, handle: l.cudnn.create() };
    }
    return this.dnnHandle;
  }
}
