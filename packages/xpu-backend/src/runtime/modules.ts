/**
 * Compiled kernel modules: CUDA C++ source → NVRTC → cubin for this device's architecture → module.
 * Compiling takes ~100 ms a program, so cubins are kept in memory and on disk, keyed by a hash of
 * the source, the architecture and NVRTC's version: `$OAR_CUDA_CACHE`, else
 * `~/.cache/oar/cuda-kernels` (set OAR_CUDA_CACHE=off to keep nothing on disk).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CudaDriver, Handle } from '../ffi/cuda';
import type { Nvrtc } from '../ffi/nvrtc';

/** A source's functions, looked up by name once. */
export interface KernelModule {
  fn(name: string): Handle;
}

/** The cache directory, or null when disabled. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const v = env.OAR_CUDA_CACHE;
  if (v === 'off' || v === '0') return null;
  return v || path.join(os.homedir(), '.cache', 'oar', 'cuda-kernels');
}

/** The cache key of one compilation. */
export function moduleKey(source: string, arch: string, nvrtcVersion: string): string {
  return createHash('sha256').update(`${nvrtcVersion}\n${arch}\n${source}`).digest('hex').slice(0, 32);
}

export class ModuleCache {
  private readonly modules = new Map<string, KernelModule>();
  /** Programs compiled by NVRTC in this process (disk hits excluded). */
  compiled = 0;

  constructor(
    private readonly cu: Pick<CudaDriver, 'moduleLoadData' | 'moduleGetFunction'>,
    private readonly nvrtc: Nvrtc,
    /** e.g. sm_90 */
    readonly arch: string,
    private readonly dir: string | null = cacheDir(),
  ) {}

  /**
   * The module called `name`, compiled from `source()` on first use. The name identifies the
   * source (family and element type, e.g. `unary_float32`): a lookup costs one map access, where
   * building and hashing the source text on every operator call would cost microseconds.
   */
  get(name: string, source: () => string): KernelModule {
    const hit = this.modules.get(name);
    if (hit) return hit;
    return this.load(name, source());
  }

  private load(name: string, source: string): KernelModule {
    const v = this.nvrtc.version();
    const key = moduleKey(source, this.arch, `${v.major}.${v.minor}`);
    const file = this.dir ? path.join(this.dir, `${name}-${key}.cubin`) : null;
    let cubin: Uint8Array | undefined;
    if (file && fs.existsSync(file)) cubin = new Uint8Array(fs.readFileSync(file));
    if (!cubin) {
      cubin = this.nvrtc.compile(source, `${name}.cu`, [`--gpu-architecture=${this.arch}`, '-std=c++17']).cubin;
      this.compiled++;
      if (file) {
        try {
          fs.mkdirSync(this.dir!, { recursive: true });
          // Written whole then renamed, so a concurrent process never reads half a file.
          const tmp = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, cubin);
          fs.renameSync(tmp, file);
        } catch {
          // A read-only home only costs a recompilation next time.
        }
      }
    }
    const mod = this.cu.moduleLoadData(cubin);
    const fns = new Map<string, Handle>();
    const km: KernelModule = {
      fn: (fname) => {
        let f = fns.get(fname);
        if (f === undefined) fns.set(fname, (f = this.cu.moduleGetFunction(mod, fname)));
        return f;
      },
    };
    this.modules.set(name, km);
    return km;
  }
}
