/**
 * NVRTC (libnvrtc.so.*) through koffi: compile CUDA C++ source to a cubin for one architecture at
 * run time. Loaded on first use, never at import.
 *
 * UNVERIFIED HERE: like ffi/cuda.ts this can only run where the CUDA toolkit libraries are; the
 * signatures follow nvrtc.h and the probe that compiled and launched a kernel on the project's H100.
 * Seen there: NVRTC rejects `-O3` (device code is optimized by default) and one small kernel took
 * ~100 ms to compile, so callers must cache the binaries.
 */
import type * as Koffi from 'koffi';
import { openLibrary, type Candidate, type DiscoveryOptions } from './discovery';
import { NvrtcError } from './errors';

type Fn = (...args: unknown[]) => number;

const SIGNATURES = {
  nvrtcVersion: 'int nvrtcVersion(_Out_ int *major, _Out_ int *minor)',
  nvrtcCreateProgram: 'int nvrtcCreateProgram(_Out_ void **prog, const char *src, const char *name, int numHeaders, void *headers, void *includeNames)',
  nvrtcDestroyProgram: 'int nvrtcDestroyProgram(_Inout_ void **prog)',
  nvrtcCompileProgram: 'int nvrtcCompileProgram(void *prog, int numOptions, const char **options)',
  nvrtcGetProgramLogSize: 'int nvrtcGetProgramLogSize(void *prog, _Out_ size_t *size)',
  nvrtcGetProgramLog: 'int nvrtcGetProgramLog(void *prog, _Out_ uint8_t *log)',
  nvrtcGetCUBINSize: 'int nvrtcGetCUBINSize(void *prog, _Out_ size_t *size)',
  nvrtcGetCUBIN: 'int nvrtcGetCUBIN(void *prog, _Out_ uint8_t *cubin)',
} as const;

type Raw = Record<keyof typeof SIGNATURES, Fn>;

export interface CompileResult {
  cubin: Uint8Array;
  /** The compiler's warnings (empty when none). */
  log: string;
}

export interface Nvrtc {
  readonly library: Candidate;
  /** e.g. { major: 13, minor: 0 }; part of a kernel cache key. */
  version(): { major: number; minor: number };
  /**
   * Compiles `source` (named `name` in diagnostics) with `options`, e.g.
   * `['--gpu-architecture=sm_90', '-std=c++17']`. A failed compilation throws NvrtcError with the log.
   */
  compile(source: string, name: string, options: readonly string[]): CompileResult;
}

function wrap(raw: Raw, library: Candidate): Nvrtc {
  const check = (call: string, rc: number, log = ''): void => {
    if (rc !== 0) throw new NvrtcError(call, rc, log);
  };
  const programLog = (prog: unknown): string => {
    const size = [0];
    if (raw.nvrtcGetProgramLogSize(prog, size) !== 0) return '';
    const buf = Buffer.alloc(Number(size[0]));
    if (buf.length === 0 || raw.nvrtcGetProgramLog(prog, buf) !== 0) return '';
    return buf.toString('utf8', 0, Math.max(0, buf.length - 1)); // drop the terminating NUL
  };
  return {
    library,
    version: () => {
      const major = [0];
      const minor = [0];
      check('nvrtcVersion', raw.nvrtcVersion(major, minor));
      return { major: major[0]!, minor: minor[0]! };
    },
    compile: (source, name, options) => {
      const prog: unknown[] = [null];
      check('nvrtcCreateProgram', raw.nvrtcCreateProgram(prog, source, name, 0, null, null));
      try {
        const rc = raw.nvrtcCompileProgram(prog[0], options.length, [...options]);
        const log = programLog(prog[0]);
        check(`nvrtcCompileProgram(${name}, ${options.join(' ')})`, rc, log);
        const size = [0];
        check('nvrtcGetCUBINSize', raw.nvrtcGetCUBINSize(prog[0], size));
        const cubin = new Uint8Array(Number(size[0]));
        check('nvrtcGetCUBIN', raw.nvrtcGetCUBIN(prog[0], cubin));
        return { cubin, log };
      } finally {
        raw.nvrtcDestroyProgram(prog);
      }
    },
  };
}

export type NvrtcLoad = { ok: true; nvrtc: Nvrtc } | { ok: false; reason: string };

let cached: NvrtcLoad | undefined;

/** Opens NVRTC and declares its functions, once per process; never throws. */
export function loadNvrtc(opts: DiscoveryOptions = {}): NvrtcLoad {
  if (cached) return cached;
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi');
  } catch (e) {
    return (cached = { ok: false, reason: `koffi did not load: ${(e as Error).message}` });
  }
  const opened = openLibrary('nvrtc', (p) => koffi.load(p), opts);
  if (!opened.ok) return (cached = { ok: false, reason: opened.message });
  try {
    const lib = opened.handle;
    const raw = {} as Raw;
    for (const [name, sig] of Object.entries(SIGNATURES)) raw[name as keyof Raw] = lib.func(sig) as Fn;
    cached = { ok: true, nvrtc: wrap(raw, opened.candidate) };
  } catch (e) {
    cached = { ok: false, reason: `${opened.candidate.path} is missing an NVRTC function: ${(e as Error).message}` };
  }
  return cached;
}
