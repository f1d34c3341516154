/**
 * Where the CUDA libraries are. Discovery only looks at the file system and the environment; it
 * never opens a library, so it is testable anywhere. `openLibrary` then tries the candidates in
 * order with a loader (koffi.load in production) and reports every place it looked when none opens.
 *
 * Order: `OAR_CUDA_LIB_PATH` (directories, `:`-separated), the dynamic loader's own search by bare
 * name (LD_LIBRARY_PATH, ld.so.cache), the CUDA toolkits under /usr/local/cuda*, the system library
 * directories, then Python wheels (`site-packages/nvidia/<pkg>/lib`, as pip's nvidia-* packages and
 * PyTorch install them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type CudaLibrary = 'cuda' | 'nvrtc' | 'cublas' | 'cublasLt' | 'cudnn' | 'nccl';

export const CUDA_LIBRARIES: readonly CudaLibrary[] = ['cuda', 'nvrtc', 'cublas', 'cublasLt', 'cudnn', 'nccl'];

interface LibrarySpec {
  /** File names that count, e.g. libcublas.so.13 or libcublas.so.13.0.2. */
  file: RegExp;
  /** Names handed to the loader as they are (it searches LD_LIBRARY_PATH and ld.so.cache). */
  loaderNames: string[];
}

// Majors newest first. The driver is always libcuda.so.1 (the unversioned libcuda.so in a toolkit's
// stubs/ directory is a link-time stub that fails at run time, so stubs/ is never searched).
const SPECS: Record<CudaLibrary, LibrarySpec> = {
  cuda: { file: /^libcuda\.so\.1(\.\d+)*$/, loaderNames: ['libcuda.so.1'] },
  nvrtc: { file: /^libnvrtc\.so(\.\d+)*$/, loaderNames: ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so'] },
  cublas: { file: /^libcublas\.so(\.\d+)*$/, loaderNames: ['libcublas.so.13', 'libcublas.so.12', 'libcublas.so'] },
  cublasLt: { file: /^libcublasLt\.so(\.\d+)*$/, loaderNames: ['libcublasLt.so.13', 'libcublasLt.so.12', 'libcublasLt.so'] },
  cudnn: { file: /^libcudnn\.so\.9(\.\d+)*$/, loaderNames: ['libcudnn.so.9'] },
  nccl: { file: /^libnccl\.so\.2(\.\d+)*$/, loaderNames: ['libnccl.so.2'] },
};

export type Source = 'OAR_CUDA_LIB_PATH' | 'loader' | 'cuda toolkit' | 'system' | 'python wheel';

/** One place to try: a file that exists, or (source `loader`) a bare name for the dynamic loader. */
export interface Candidate {
  library: CudaLibrary;
  path: string;
  source: Source;
}

export interface DiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  /** Prefix for the fixed system paths (/usr/local/cuda*, /usr/lib/...), for tests; default `/`. */
  root?: string;
  /** Home directory for ~/.local Python installs; default os.homedir(). */
  home?: string;
}

export interface Discovery {
  library: CudaLibrary;
  /** Places to try, in order (files that exist plus the loader's bare names). */
  candidates: Candidate[];
  /** Every directory searched (found or not) and every bare name, for error messages. */
  looked: string[];
}

/** A directory to search with the label of the rule that produced it. */
interface SearchDir {
  dir: string;
  source: Exclude<Source, 'loader'>;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function realDir(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Subdirectories of `dir` whose names match `re`, in compareVersionedDesc order. */
function subdirs(dir: string, re: RegExp): string[] {
  return listDir(dir)
    .filter((n) => re.test(n) && isDir(path.join(dir, n)))
    .sort(compareVersionedDesc)
    .map((n) => path.join(dir, n));
}

/** Unversioned names first (/usr/local/cuda is the chosen default), then numeric runs descending (cuda-13.0 before cuda-12.8). */
function compareVersionedDesc(a: string, b: string): number {
  const na = (a.match(/\d+/g) ?? []).map(Number);
  const nb = (b.match(/\d+/g) ?? []).map(Number);
  if (na.length === 0 || nb.length === 0) return na.length - nb.length || a.localeCompare(b);
  for (let i = 0; i < Math.min(na.length, nb.length); i++) if (na[i] !== nb[i]) return nb[i]! - na[i]!;
  return nb.length - na.length || a.localeCompare(b);
}

/**
 * libfoo.so.13 and libfoo.so.13.0.2 are the same library; prefer the higher major, then the soname.
 * An unversioned dev symlink (libfoo.so) comes last.
 */
function compareLibFiles(a: string, b: string): number {
  const major = (n: string) => Number(/\.so\.(\d+)/.exec(n)?.[1] ?? -1);
  return major(b) - major(a) || a.length - b.length || a.localeCompare(b);
}

function pythonSitePackages(root: string, home: string, env: NodeJS.ProcessEnv): string[] {
  const prefixes = [
    env.VIRTUAL_ENV,
    env.CONDA_PREFIX,
    path.join(home, '.local'),
    path.join(root, 'usr/local'),
    path.join(root, 'usr'),
    path.join(root, 'opt/conda'),
  ].filter((p): p is string => !!p);
  const out: string[] = [];
  for (const prefix of prefixes) {
    for (const py of subdirs(path.join(prefix, 'lib'), /^python3(\.\d+)?$/)) {
      for (const leaf of ['site-packages', 'dist-packages']) {
        const sp = path.join(py, leaf);
        if (isDir(sp)) out.push(sp);
      }
    }
  }
  return [...new Set(out)];
}

/** The directories searched, in order (the loader's bare names are inserted after OAR_CUDA_LIB_PATH). */
function searchDirs(opts: DiscoveryOptions): { override: SearchDir[]; rest: SearchDir[] } {
  const env = opts.env ?? process.env;
  const root = opts.root ?? '/';
  const home = opts.home ?? os.homedir();
  const override: SearchDir[] = (env.OAR_CUDA_LIB_PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d.length > 0)
    .map((dir) => ({ dir, source: 'OAR_CUDA_LIB_PATH' }));
  const rest: SearchDir[] = [];
  const toolkits = [env.CUDA_HOME, env.CUDA_PATH].filter((p): p is string => !!p);
  for (const tk of [...toolkits, ...subdirs(path.join(root, 'usr/local'), /^cuda(-[\d.]+)?$/)]) {
    rest.push({ dir: path.join(tk, 'lib64'), source: 'cuda toolkit' });
    for (const target of subdirs(path.join(tk, 'targets'), /./)) rest.push({ dir: path.join(target, 'lib'), source: 'cuda toolkit' });
  }
  for (const d of ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'usr/lib64', 'usr/lib/wsl/lib']) {
    rest.push({ dir: path.join(root, d), source: 'system' });
  }
  for (const sp of pythonSitePackages(root, home, env)) {
    for (const pkg of subdirs(path.join(sp, 'nvidia'), /./)) rest.push({ dir: path.join(pkg, 'lib'), source: 'python wheel' });
  }
  // A directory reached twice (/usr/local/cuda -> cuda-13.0, CUDA_HOME=/usr/local/cuda) is searched once.
  const seen = new Set(override.map((d) => realDir(d.dir)));
  return { override, rest: rest.filter((d) => (seen.has(realDir(d.dir)) ? false : (seen.add(realDir(d.dir)), true))) };
}

function filesIn(dir: SearchDir, library: CudaLibrary): Candidate[] {
  return listDir(dir.dir)
    .filter((n) => SPECS[library].file.test(n))
    .sort(compareLibFiles)
    .map((n) => ({ library, path: path.join(dir.dir, n), source: dir.source }));
}

/** The places to try for one library, in order, and everything looked at. */
export function discoverLibrary(library: CudaLibrary, opts: DiscoveryOptions = {}): Discovery {
  const { override, rest } = searchDirs(opts);
  const candidates: Candidate[] = [];
  const looked: string[] = [];
  if (override.length === 0) looked.push('OAR_CUDA_LIB_PATH (unset)');
  for (const d of override) {
    looked.push(`${d.dir} (OAR_CUDA_LIB_PATH)`);
    candidates.push(...filesIn(d, library));
  }
  for (const name of SPECS[library].loaderNames) {
    looked.push(`${name} (dynamic loader: LD_LIBRARY_PATH, ld.so.cache)`);
    candidates.push({ library, path: name, source: 'loader' });
  }
  for (const d of rest) {
    looked.push(`${d.dir} (${d.source})`);
    candidates.push(...filesIn(d, library));
  }
  return { library, candidates, looked };
}

/** Files found on disk for every library (bare loader names left out), e.g. for a diagnostic. */
export function discoverAll(opts: DiscoveryOptions = {}): Record<CudaLibrary, Candidate[]> {
  const out = {} as Record<CudaLibrary, Candidate[]>;
  for (const lib of CUDA_LIBRARIES) out[lib] = discoverLibrary(lib, opts).candidates.filter((c) => c.source !== 'loader');
  return out;
}

export type Opened<L> = { ok: true; handle: L; candidate: Candidate } | { ok: false; library: CudaLibrary; message: string; looked: string[] };

/**
 * Tries the candidates in order with `load` (koffi.load in production) and returns the first that
 * opens. On failure the message (one line) lists every place looked and, for files that exist but
 * did not load (wrong architecture, missing dependency), the loader's error.
 */
export function openLibrary<L>(library: CudaLibrary, load: (p: string) => L, opts: DiscoveryOptions = {}): Opened<L> {
  const d = discoverLibrary(library, opts);
  const failures: string[] = [];
  for (const c of d.candidates) {
    try {
      return { ok: true, handle: load(c.path), candidate: c };
    } catch (e) {
      // A bare loader name that is not installed is the normal case; only report real files.
      if (c.source !== 'loader') failures.push(`${c.path}: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    }
  }
  // One line: the CLIs show only an error's first line.
  const example = SPECS[library].loaderNames[0];
  const message =
    `${example} (${library}) was not found` +
    (failures.length ? `; found but failed to load: ${failures.join('; ')}` : '') +
    `; looked in: ${d.looked.join(', ')}. Set OAR_CUDA_LIB_PATH to the directory holding it (directories separated by ":")`;
  return { ok: false, library, message, looked: d.looked };
}
