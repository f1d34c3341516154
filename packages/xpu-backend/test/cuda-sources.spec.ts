// The CUDA sources the kernels compile with NVRTC, checked here without a GPU: each instantiation
// must be valid C++ under a shim that stands in for CUDA's keywords and built-ins (g++
// -fsyntax-only, warnings as errors). A name clash with a math function (a kernel called `exp`)
// or a type error in a rarely used instantiation is caught here, not on the GPU machine.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CUDA_SOURCES } from '../src/kernels';

const SHIM = `#include <cmath>
#include <algorithm>
using namespace std;
struct dim3_ { unsigned x, y, z; };
static dim3_ blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
inline void __syncthreads() {}
template <class V> V __shfl_xor_sync(unsigned, V v, int) { return v; }
inline unsigned long long atomicCAS(unsigned long long* a, unsigned long long compare, unsigned long long v) { unsigned long long old = *a; if (old == compare) *a = v; return old; }
`;

const hasGxx = spawnSync('g++', ['--version']).status === 0;
const TYPES: Record<string, string[]> = {
  elementwise: ['float', 'double', 'int', 'long long', 'unsigned char'],
  indexing: ['float', 'double', 'int', 'long long'],
  cast: ['(none)'],
  manipulation: ['(none)'],
};

describe('CUDA kernel sources', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-cuda-src-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [family, source] of Object.entries(CUDA_SOURCES)) {
    for (const t of TYPES[family] ?? ['float', 'double']) {
      (hasGxx ? it : it.skip)(`${family} for ${t} is valid C++ under the host shim`, () => {
        const file = path.join(dir, `${family}-${t.replace(/\W/g, '_')}.cpp`);
        fs.writeFileSync(file, SHIM + source(t));
        const r = spawnSync('g++', ['-std=c++17', '-fsyntax-only', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', file], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      });
    }
  }

  it('names every kernel uniquely, never after a math function', () => {
    const names = Object.values(CUDA_SOURCES).flatMap((s) => [...s('float').matchAll(/extern "C" __global__ void (\w+)\(/g)].map((m) => m[1]!));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(['exp', 'log', 'sqrt', 'tanh', 'abs', 'fabs', 'erf', 'pow']).not.toContain(n);
  });
});
