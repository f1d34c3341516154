import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { engine, memory, type Tensor } from '../../src';
import {
  ExecutionError,
  ModelFormatError,
  ModelPathError,
  ProgramError,
  ProgramExecutor,
  UnsupportedOpsError,
  decodeProgram,
  loadInferenceModel,
  openModel,
  persistableVars,
  readCombinedParams,
  readParams,
  readSeparateParam,
} from '../../src/static';
import { OpError } from '../../src/utils/errors';
import { CIFAR, FILL, MNIST, PROGRAM_ONLY, SIMPLE, archiveOf, prng, programOnly, readBytes } from './helpers';

/**
 * Damaged model files: random truncations, bit flips, overwritten runs and inserted bytes of the
 * real programs, parameter files and archives. Every load must succeed or fail with one of the
 * loader's errors, naming the file (and, for byte-level damage, an offset inside it); never a
 * TypeError, a RangeError from a huge allocation, a hang, or tensors left allocated.
 */

type Mutation = (good: Uint8Array, rand: () => number) => Uint8Array;

const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

const MUTATIONS: Mutation[] = [
  (g, r) => g.slice(0, int(r, g.length)),
  (g, r) => {
    const b = g.slice();
    for (let k = 1 + int(r, 4); k > 0; k--) b[int(r, b.length)] ^= 1 << int(r, 8);
    return b;
  },
  (g, r) => {
    const b = g.slice();
    const at = int(r, b.length);
    for (let k = 0; k < 1 + int(r, 8) && at + k < b.length; k++) b[at + k] = int(r, 256);
    return b;
  },
  (g, r) => {
    const at = int(r, g.length);
    const ins = Uint8Array.from({ length: 1 + int(r, 3) }, () => int(r, 256));
    const b = new Uint8Array(g.length + ins.length);
    b.set(g.subarray(0, at));
    b.set(ins, at);
    b.set(g.subarray(at), at + ins.length);
    return b;
  },
];

/** A clean error: one of the loader's, an operator's (wrapped with the op that raised it). */
function assertClean(e: unknown, file: string, length: number, what: string): void {
  if (e instanceof ModelFormatError) {
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}: byte ${e.offset}: `)).toBe(true);
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(length);
    return;
  }
  if (e instanceof ProgramError || e instanceof UnsupportedOpsError) {
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    return;
  }
  if (e instanceof ExecutionError && e.cause instanceof OpError) return;
  if (e instanceof ModelPathError) return;
  throw new Error(`${what} threw ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
}

function fuzz(name: string, good: Uint8Array, iterations: number, seed: number, attempt: (bytes: Uint8Array) => void): { ok: number; errors: number } {
  const rand = prng(seed ^ good.length);
  const stats = { ok: 0, errors: 0 };
  for (let i = 0; i < iterations; i++) {
    const kind = i % MUTATIONS.length;
    const bytes = MUTATIONS[kind]!(good, rand);
    try {
      attempt(bytes);
      stats.ok++;
    } catch (e) {
      stats.errors++;
      assertClean(e, name, bytes.length, `mutation ${i} (kind ${kind}) of ${name}`);
    }
  }
  return stats;
}

describe('fuzz: damaged programs give only clear errors', () => {
  const feedsFor = (ex: ProgramExecutor): Map<string, Tensor> => {
    const m = new Map<string, Tensor>();
    for (const f of ex.feeds) {
      if (f.dtype === 'int32') m.set(f.name, engine.fromArray(Int32Array.from([2, 3, 4, 5]), [4], 'int32'));
      else if (f.dtype === 'float32') {
        const shape = f.shape.map((d) => (d < 0 ? 1 : d));
        if (shape.reduce((a, b) => a * b, 1) > 1 << 20) continue;
        m.set(f.name, engine.fromArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, 'float32'));
      }
    }
    return m;
  };

  // Complete models are planned against their real parameters and, when that works, run.
  const complete: [string, string, number][] = [
    [MNIST, '__model__', 700],
    [FILL, 'model', 600],
    [SIMPLE, 'model.pdmodel', 500],
  ];
  for (const [dir, file, n] of complete) {
    it(`${path.basename(dir)}/${file}: ${n} mutations, decoded, planned and run`, () => {
      const model = loadInferenceModel(dir);
      const before = memory().numTensors;
      const stats = fuzz(file, readBytes(path.join(dir, file)), n, 0x51ab, (bytes) => {
        const p = decodeProgram(bytes, file);
        const ex = new ProgramExecutor(p, model.params, { file });
        const feeds = feedsFor(ex);
        try {
          if (feeds.size === ex.feeds.length) for (const t of ex.run(feeds).outputs) t.dispose();
        } finally {
          for (const t of feeds.values()) t.dispose();
        }
      });
      expect(memory().numTensors).toBe(before);
      expect(stats.errors).toBeGreaterThan(n / 4);
      for (const t of model.params.values()) t.dispose();
    });
  }

  it('ResNet50 (150 mutations) and PP-OCRv3 (250) programs, decoded and planned', () => {
    for (const [folder, n] of [
      [PROGRAM_ONLY.resnet50, 150],
      [PROGRAM_ONLY.ppocrV3, 250],
    ] as const) {
      const { bytes, file } = programOnly(folder);
      const stats = fuzz(file, bytes, n, 0xfeed, (b) => {
        const p = decodeProgram(b, file);
        new ProgramExecutor(p, new Map(), { file });
      });
      // Without parameters every plan fails: the point is that each failure is a clean one.
      expect(stats.ok).toBe(0);
    }
  });
});

describe('fuzz: damaged parameter files give only clear errors', () => {
  it('model.pdiparams (combined): 800 mutations', () => {
    const p = decodeProgram(readBytes(path.join(SIMPLE, 'model.pdmodel')));
    const vars = persistableVars(p.blocks[0]!);
    const stats = fuzz('model.pdiparams', readBytes(path.join(SIMPLE, 'model.pdiparams')), 800, 0xbeef, (b) => {
      readCombinedParams(b, 'model.pdiparams', vars);
    });
    expect(stats.errors).toBeGreaterThan(400);
  });

  it('fc_1.w_0 and conv2d_0.w_0 (one file per variable): 500 mutations each', () => {
    for (const [dir, name] of [
      [MNIST, 'fc_1.w_0'],
      [CIFAR, 'conv2d_0.w_0'],
    ] as const) {
      const p = decodeProgram(readBytes(path.join(dir, '__model__')));
      const v = p.blocks[0]!.vars.get(name)!;
      const stats = fuzz(name, readBytes(path.join(dir, name)), 500, 0xc0de, (b) => {
        readSeparateParam(b, name, v);
      });
      expect(stats.errors).toBeGreaterThan(200);
    }
  });

  it('a whole model folder with one damaged parameter file leaves no tensor behind', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-fuzz-'));
    try {
      for (const f of fs.readdirSync(MNIST)) if (f !== 'reference') fs.copyFileSync(path.join(MNIST, f), path.join(dir, f));
      const good = readBytes(path.join(MNIST, 'fc_2.w_0'));
      const before = memory().numTensors;
      const rand = prng(99);
      for (let i = 0; i < 40; i++) {
        fs.writeFileSync(path.join(dir, 'fc_2.w_0'), MUTATIONS[i % MUTATIONS.length]!(good, rand));
        try {
          const m = loadInferenceModel(dir);
          for (const t of m.params.values()) t.dispose();
        } catch (e) {
          assertClean(e, path.join(dir, 'fc_2.w_0'), good.length + 8, `folder mutation ${i}`);
        }
      }
      expect(memory().numTensors).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fuzz: damaged archives give only clear errors', () => {
  it('mobilenet_v1 program archive: 120 mutations', () => {
    const file = archiveOf(PROGRAM_ONLY.mobilenetV1);
    const good = readBytes(file);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-fuzz-tar-'));
    const target = path.join(dir, 'model.tar.gz');
    try {
      const rand = prng(7);
      let errors = 0;
      for (let i = 0; i < 120; i++) {
        fs.writeFileSync(target, MUTATIONS[i % MUTATIONS.length]!(good, rand));
        try {
          const src = openModel(target);
          const p = decodeProgram(src.programBytes, src.programFile);
          readParams(p, src.params, src.programFile);
        } catch (e) {
          errors++;
          if (e instanceof ModelPathError) continue;
          if (e instanceof ModelFormatError || e instanceof ProgramError) {
            expect(e.message.startsWith(`${target}:`)).toBe(true);
            continue;
          }
          throw new Error(`archive mutation ${i} threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
      }
      // The program-only archive lacks most weights, so even intact loads end in a clear error.
      expect(errors).toBe(120);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
