// Library discovery over a fake file system: empty files named like the CUDA libraries in a temporary
// directory laid out like a machine. Nothing is ever dlopened; openLibrary gets a fake loader.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discoverAll, discoverLibrary, openLibrary, type DiscoveryOptions } from '../src/ffi/discovery';

let root: string;

function touch(rel: string): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
  return p;
}

/** Options that see only the temporary tree: no real /usr, no real home, a controlled env. */
function opts(env: NodeJS.ProcessEnv = {}): DiscoveryOptions {
  return { root, home: path.join(root, 'home/user'), env };
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-xpu-discovery-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('discoverLibrary', () => {
  it('puts OAR_CUDA_LIB_PATH first, then the loader names, then toolkit, system and wheels', () => {
    const custom = touch('opt/mycuda/lib/libcublas.so.13');
    const toolkit = touch('usr/local/cuda-13.0/lib64/libcublas.so.13');
    const target = touch('usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13');
    const system = touch('usr/lib/x86_64-linux-gnu/libcublas.so.12');
    const wheel = touch('usr/local/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12');
    const d = discoverLibrary('cublas', opts({ OAR_CUDA_LIB_PATH: path.dirname(custom) }));
    expect(d.candidates.map((c) => [c.source, c.path])).toEqual([
      ['OAR_CUDA_LIB_PATH', custom],
      ['loader', 'libcublas.so.13'],
      ['loader', 'libcublas.so.12'],
      ['loader', 'libcublas.so'],
      ['cuda toolkit', toolkit],
      ['cuda toolkit', target],
      ['system', system],
      ['python wheel', wheel],
    ]);
  });

  it('accepts several OAR_CUDA_LIB_PATH directories in order', () => {
    const a = touch('a/libcudnn.so.9');
    const b = touch('b/libcudnn.so.9');
    const d = discoverLibrary('cudnn', opts({ OAR_CUDA_LIB_PATH: [path.dirname(b), path.dirname(a)].join(path.delimiter) }));
    expect(d.candidates.filter((c) => c.source === 'OAR_CUDA_LIB_PATH').map((c) => c.path)).toEqual([b, a]);
  });

  it('prefers the higher major and the soname over the full version within a directory', () => {
    touch('lib/libnvrtc.so.12');
    touch('lib/libnvrtc.so.13.0.88');
    touch('lib/libnvrtc.so.13');
    touch('lib/libnvrtc.so');
    touch('lib/libnvrtc-builtins.so.13'); // NVRTC's helper library, not NVRTC itself
    const d = discoverLibrary('nvrtc', opts({ OAR_CUDA_LIB_PATH: path.join(root, 'lib') }));
    expect(d.candidates.filter((c) => c.source === 'OAR_CUDA_LIB_PATH').map((c) => path.basename(c.path))).toEqual([
      'libnvrtc.so.13',
      'libnvrtc.so.13.0.88',
      'libnvrtc.so.12',
      'libnvrtc.so',
    ]);
  });

  it('keeps cuBLAS and cuBLASLt apart and takes only cuDNN 9 and NCCL 2', () => {
    touch('lib/libcublas.so.13');
    touch('lib/libcublasLt.so.13');
    touch('lib/libcudnn.so.8');
    touch('lib/libcudnn.so.9');
    touch('lib/libcudnn_ops.so.9'); // a cuDNN sub-library, loaded by libcudnn itself
    touch('lib/libnccl.so.2');
    const o = opts({ OAR_CUDA_LIB_PATH: path.join(root, 'lib') });
    const names = (lib: Parameters<typeof discoverLibrary>[0]) =>
      discoverLibrary(lib, o)
        .candidates.filter((c) => c.source !== 'loader')
        .map((c) => path.basename(c.path));
    expect(names('cublas')).toEqual(['libcublas.so.13']);
    expect(names('cublasLt')).toEqual(['libcublasLt.so.13']);
    expect(names('cudnn')).toEqual(['libcudnn.so.9']);
    expect(names('nccl')).toEqual(['libnccl.so.2']);
  });

  it('never offers the toolkit stub of libcuda', () => {
    touch('usr/local/cuda/lib64/stubs/libcuda.so');
    touch('usr/local/cuda/lib64/libcudart.so.13');
    const d = discoverLibrary('cuda', opts());
    expect(d.candidates).toEqual([{ library: 'cuda', path: 'libcuda.so.1', source: 'loader' }]);
    expect(d.looked[0]).toBe('OAR_CUDA_LIB_PATH (unset)');
    expect(d.looked).toContain(`${path.join(root, 'usr/local/cuda/lib64')} (cuda toolkit)`);
  });

  it('searches /usr/local/cuda before versioned toolkits, newest first', () => {
    const plain = touch('usr/local/cuda/lib64/libnvrtc.so.13');
    const v12 = touch('usr/local/cuda-12.8/lib64/libnvrtc.so.12');
    const v13 = touch('usr/local/cuda-13.0/lib64/libnvrtc.so.13');
    const files = discoverLibrary('nvrtc', opts())
      .candidates.filter((c) => c.source === 'cuda toolkit')
      .map((c) => c.path);
    expect(files).toEqual([plain, v13, v12]);
  });

  it('searches a directory reached through a symlink once', () => {
    touch('usr/local/cuda-13.0/lib64/libcublasLt.so.13');
    fs.symlinkSync(path.join(root, 'usr/local/cuda-13.0'), path.join(root, 'usr/local/cuda'));
    const d = discoverLibrary('cublasLt', opts({ CUDA_HOME: path.join(root, 'usr/local/cuda') }));
    expect(d.candidates.filter((c) => c.source === 'cuda toolkit').map((c) => c.path)).toEqual([path.join(root, 'usr/local/cuda/lib64/libcublasLt.so.13')]);
    expect(d.looked.filter((l) => l.endsWith('(cuda toolkit)') && l.includes('lib64'))).toEqual([`${path.join(root, 'usr/local/cuda/lib64')} (cuda toolkit)`]);
  });

  it('finds wheels in a virtualenv, conda, ~/.local and dist-packages', () => {
    const venv = touch('venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9');
    const conda = touch('conda/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9');
    const local = touch('home/user/.local/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9');
    const dist = touch('usr/lib/python3/dist-packages/nvidia/cudnn/lib/libcudnn.so.9');
    const cu13 = touch('usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcudnn.so.9');
    const env = { VIRTUAL_ENV: path.join(root, 'venv'), CONDA_PREFIX: path.join(root, 'conda') };
    const wheels = discoverLibrary('cudnn', opts(env))
      .candidates.filter((c) => c.source === 'python wheel')
      .map((c) => c.path);
    expect(wheels).toEqual([venv, conda, local, cu13, dist]);
  });

  it('lists every place looked when nothing is there', () => {
    const d = discoverLibrary('nccl', opts({ OAR_CUDA_LIB_PATH: path.join(root, 'nowhere') }));
    expect(d.candidates.every((c) => c.source === 'loader')).toBe(true);
    expect(d.looked[0]).toBe(`${path.join(root, 'nowhere')} (OAR_CUDA_LIB_PATH)`);
    expect(d.looked).toContain('libnccl.so.2 (dynamic loader: LD_LIBRARY_PATH, ld.so.cache)');
    expect(d.looked).toContain(`${path.join(root, 'usr/lib/x86_64-linux-gnu')} (system)`);
  });

  it('discoverAll reports the files found per library', () => {
    touch('usr/lib/x86_64-linux-gnu/libcuda.so.1');
    touch('usr/lib/x86_64-linux-gnu/libnccl.so.2');
    const all = discoverAll(opts());
    expect(all.cuda.map((c) => path.basename(c.path))).toEqual(['libcuda.so.1']);
    expect(all.nccl.map((c) => path.basename(c.path))).toEqual(['libnccl.so.2']);
    expect(all.cudnn).toEqual([]);
  });
});

describe('openLibrary', () => {
  it('returns the first candidate the loader accepts', () => {
    const broken = touch('first/libcuda.so.1');
    const good = touch('usr/lib/x86_64-linux-gnu/libcuda.so.1');
    const tried: string[] = [];
    const r = openLibrary(
      'cuda',
      (p) => {
        tried.push(p);
        if (p !== good) throw new Error(`cannot open ${p}`);
        return { handle: p };
      },
      opts({ OAR_CUDA_LIB_PATH: path.dirname(broken) }),
    );
    expect(tried).toEqual([broken, 'libcuda.so.1', good]);
    expect(r).toEqual({ ok: true, handle: { handle: good }, candidate: { library: 'cuda', path: good, source: 'system' } });
  });

  it('fails with one message naming every place looked and the files that would not load', () => {
    const bad = touch('custom/libcudnn.so.9');
    const r = openLibrary(
      'cudnn',
      (p) => {
        throw new Error(`${p}: wrong ELF class\nsecond line`);
      },
      opts({ OAR_CUDA_LIB_PATH: path.dirname(bad) }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message.split('\n')).toHaveLength(1);
    expect(r.message).toMatch(/^libcudnn\.so\.9 \(cudnn\) was not found; found but failed to load: /);
    expect(r.message).toContain(`${bad}: ${bad}: wrong ELF class`);
    expect(r.message).not.toContain('second line');
    expect(r.message).toContain(`${path.dirname(bad)} (OAR_CUDA_LIB_PATH)`);
    expect(r.message).toContain('Set OAR_CUDA_LIB_PATH');
    expect(r.looked.length).toBeGreaterThan(4);
  });
});
