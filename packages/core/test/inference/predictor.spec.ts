import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar';
import * as koffi from 'koffi';
import { memory } from '../../src';
import { dnnlInfo, setDnnlThreads } from '../../src/backends/cpu/dnnl/lib';
import { Config, createPredictor, type Predictor } from '../../src/inference';
import { ModelFormatError, ModelPathError, UnsupportedOpsError } from '../../src/static';
import { CIFAR, FILL, MNIST, MODELS, PROGRAM_ONLY, SIMPLE, agreement, archiveOf, manifest, readBytes, refData } from '../static/helpers';

/** Runs the first reference case of `dir` through a predictor; returns the agreement of output 0. */
function runReference(p: Predictor, dir: string): number {
  const c = manifest(dir)[0]!;
  for (const i of c.inputs) {
    const h = p.getInputHandle(p.getInputNames()[i.col!]!);
    h.reshape(i.shape);
    h.copyFromCpu(refData(dir, i));
  }
  p.run();
  const o = c.outputs[0]!;
  const out = p.getOutputHandle(p.getOutputNames()[o.col!]!);
  expect(out.shape()).toEqual(o.shape);
  return agreement(out.copyToCpu() as ArrayLike<number>, refData(dir, o) as ArrayLike<number>).maxRelError;
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-predictor-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Config and createPredictor: every way of naming a model', () => {
  const cases: [string, () => Config, string][] = [
    ['a folder with one file per parameter', () => new Config(MNIST), MNIST],
    ['a folder with model.pdmodel + model.pdiparams', () => new Config(SIMPLE), SIMPLE],
    ['a .pdmodel path (its .pdiparams beside it)', () => new Config(path.join(SIMPLE, 'model.pdmodel')), SIMPLE],
    ['a jit.save prefix', () => new Config(path.join(SIMPLE, 'model')), SIMPLE],
    ['program and params files', () => new Config(path.join(SIMPLE, 'model.pdmodel'), path.join(SIMPLE, 'model.pdiparams')), SIMPLE],
    ['files named model / params', () => new Config(path.join(FILL, 'model'), path.join(FILL, 'params')), FILL],
    ['a folder with model / params', () => new Config(FILL), FILL],
    [
      'buffers in memory',
      () => {
        const c = new Config();
        c.setModelBuffer(readBytes(path.join(SIMPLE, 'model.pdmodel')), readBytes(path.join(SIMPLE, 'model.pdiparams')));
        return c;
      },
      SIMPLE,
    ],
  ];
  for (const [what, make, dir] of cases) {
    it(what, () => {
      const before = memory().numTensors;
      const p = createPredictor(make());
      expect(runReference(p, dir)).toBeLessThan(1e-4);
      p.dispose();
      expect(memory().numTensors).toBe(before);
    });
  }

  it('a .tar.gz (and a plain .tar) archive of a model folder, made here with the tar package', () => {
    withTmp((dir) => {
      for (const [file, gzip] of [
        ['mnist.tar.gz', true],
        ['mnist.tar', false],
      ] as const) {
        const archive = path.join(dir, file);
        tar.c({ gzip, file: archive, cwd: MODELS, sync: true, portable: true }, [path.basename(MNIST)]);
        const p = createPredictor(new Config(archive));
        expect(p.programFile).toBe(`${archive}:${path.basename(MNIST)}/__model__`);
        expect(runReference(p, MNIST)).toBeLessThan(1e-4);
        p.dispose();
      }
    });
  });

  it('says which parts of a program-only archive are missing, and refuses damaged archives', () => {
    expect(() => createPredictor(new Config(archiveOf(PROGRAM_ONLY.mobilenetV1)))).toThrow(
      /mobilenet_v1_fp32_224_program\.tar\.gz:PaddlePaddle-Paddle-Lite__mobilenet_v1_fp32_224_program: 132 of the 137 persistable variables of .* have no parameter file/,
    );
    withTmp((dir) => {
      const bad = path.join(dir, 'bad.tar.gz');
      fs.writeFileSync(bad, readBytes(archiveOf(PROGRAM_ONLY.mobilenetV1)).subarray(0, 5000));
      expect(() => createPredictor(new Config(bad))).toThrow(ModelPathError);
      expect(() => createPredictor(new Config(bad))).toThrow(/bad\.tar\.gz: not a readable tar archive/);
    });
  });

  it('names what was looked for when there is nothing to load', () => {
    withTmp((dir) => {
      expect(() => createPredictor(new Config(dir))).toThrow(`${dir}: no program file (tried __model__, model, model.pdmodel, inference.pdmodel and *.pdmodel) in ${dir}`);
      expect(() => createPredictor(new Config(path.join(dir, 'nope')))).toThrow(`${path.join(dir, 'nope')}: no such file or folder`);
      fs.writeFileSync(path.join(dir, 'inference.pdmodel'), readBytes(path.join(SIMPLE, 'model.pdmodel')));
      fs.writeFileSync(path.join(dir, 'inference.pdiparams'), readBytes(path.join(SIMPLE, 'model.pdiparams')).subarray(0, 1000));
      expect(() => createPredictor(new Config(dir))).toThrow(ModelFormatError);
      expect(() => createPredictor(new Config(dir))).toThrow(`${path.join(dir, 'inference.pdiparams')}: byte `);
    });
    expect(() => createPredictor(new Config())).toThrow('createPredictor: the config names no model');
  });

  it('an unregistered accelerator is a clear error, and the config says what it holds', () => {
    const c = new Config(MNIST);
    c.enableXpu(1);
    expect(c.useXpu()).toBe(true);
    expect(c.xpuDeviceId()).toBe(1);
    expect(() => createPredictor(c)).toThrow(/device "xpu:1": no backend of kind "xpu" is registered/);
    c.disableXpu();
    c.setCpuMathLibraryNumThreads(2);
    c.enableMemoryOptim(false);
    expect(c.summary()).toBe(`model dir         ${MNIST}\ndevice            cpu\ncpu math threads  2\nmemory optim      off\nprofile           off\nir optim          on`);
    expect(() => c.setDevice('gpu')).toThrow('Config.setDevice: "gpu" is not "cpu", "xpu" or "xpu:N"');
  });
});

describe('Predictor: handles, reuse, clones', () => {
  it('finds inputs and outputs from the feed and fetch ops, with declared types and shapes', () => {
    const p = createPredictor(new Config(CIFAR));
    expect(p.getInputNames()).toEqual(['pixel']);
    expect(p.getOutputNames()).toEqual(['fc_0.tmp_2']);
    const h = p.getInputHandle('pixel');
    expect(h.name()).toBe('pixel');
    expect(h.type()).toBe('float32');
    expect(h.shape()).toEqual([-1, 3, 32, 32]);
    expect(h.lod()).toEqual([]);
    expect(p.getOutputHandle('fc_0.tmp_2').shape()).toEqual([-1, 10]);
    expect(() => p.getInputHandle('image')).toThrow('the model has no input "image"; inputs: pixel');
    expect(() => p.getOutputHandle('x')).toThrow('the model has no output "x"; outputs: fc_0.tmp_2');
    p.dispose();
  });

  it('explains misuse of the handles', () => {
    const p = createPredictor(new Config(MNIST));
    const h = p.getInputHandle('image');
    expect(() => p.run()).toThrow('input "image" was not set: call getInputHandle("image").copyFromCpu(...) before run()');
    expect(() => h.copyFromCpu(new Float32Array(784))).toThrow('input "image": its shape [-1, 1, 28, 28] has free extents; call reshape() before copyFromCpu()');
    expect(() => h.reshape([1, 1, 28])).toThrow('input "image": the program declares rank 4 ([-1, 1, 28, 28]), reshape([1, 1, 28]) has rank 3');
    h.reshape([2, 1, 28, 28]);
    expect(() => h.copyFromCpu(new Float32Array(784))).toThrow('input "image": 784 values given for shape [2, 1, 28, 28] (1568 elements)');
    expect(() => h.copyFromCpu(new Int32Array(1568))).toThrow('input "image" is float32; got a Int32Array (convert the values explicitly)');
    const out = p.getOutputHandle(p.getOutputNames()[0]!);
    expect(() => out.copyToCpu()).toThrow(`output "${out.name()}": call predictor.run() first`);
    expect(() => out.copyFromCpu([1])).toThrow('copyFromCpu() applies to inputs');
    // Plain numbers and float64 data are converted to the input's float32.
    h.copyFromCpu(new Array(1568).fill(1));
    p.run();
    const a = out.copyToCpu();
    h.copyFromCpu(new Float64Array(1568).fill(1));
    p.run();
    expect(out.copyToCpu()).toEqual(a);
    expect(out.shape()).toEqual([2, 10]);
    p.dispose();
    expect(() => p.run()).toThrow('the predictor was disposed');
  });

  it('runs 50 times on changing inputs with live memory flat and the input buffer reused', () => {
    const p = createPredictor(new Config(CIFAR));
    const h = p.getInputHandle('pixel');
    const out = p.getOutputHandle('fc_0.tmp_2');
    const c = manifest(CIFAR).find((x) => x.name === 'rand_b2')!;
    const x = refData(CIFAR, c.inputs[0]!) as Float32Array;
    const want = refData(CIFAR, c.outputs[0]!) as Float32Array;
    h.reshape([2, 3, 32, 32]);
    h.copyFromCpu(x);
    p.run();
    const tensor = h._tensor;
    const base = memory();
    const ones = new Float32Array(x.length).fill(1);
    for (let i = 0; i < 50; i++) {
      h.copyFromCpu(i % 2 ? ones : x);
      p.run();
      if (i % 2 === 0) expect(agreement(out.copyToCpu() as Float32Array, want).maxRelError).toBeLessThan(1e-4);
      expect(memory().numTensors).toBe(base.numTensors);
      expect(memory().numBytes).toBe(base.numBytes);
    }
    // Same shape: the input was copied into the tensor it already had.
    expect(h._tensor).toBe(tensor);
    p.dispose();
  });

  // Skipped only where libdnnl2 is not installed: there is no OpenMP team to resize.
  (dnnlInfo() ? it : it.skip)('setCpuMathLibraryNumThreads resizes oneDNN\'s OpenMP team at createPredictor, also after the library loaded', () => {
    const maxThreads = koffi.load('libgomp.so.1').func('int omp_get_max_threads()') as () => number;
    const env = process.env.OAR_NUM_THREADS;
    const before = maxThreads();
    try {
      for (const n of [1, 3]) {
        const c = new Config(MNIST);
        c.setCpuMathLibraryNumThreads(n);
        const p = createPredictor(c);
        expect(maxThreads()).toBe(n);
        expect(process.env.OAR_NUM_THREADS).toBe(String(n));
        expect(runReference(p, MNIST)).toBeLessThan(1e-4);
        p.dispose();
      }
    } finally {
      if (env === undefined) delete process.env.OAR_NUM_THREADS;
      else process.env.OAR_NUM_THREADS = env;
      setDnnlThreads(before);
    }
    expect(maxThreads()).toBe(before);
  });

  it('profiles every operator with config.enableProfile(), clones too', () => {
    const off = createPredictor(new Config(MNIST));
    expect(runReference(off, MNIST)).toBeLessThan(1e-4);
    expect(off.profile()).toEqual([]);
    expect(off.profileReport()).toBe('profiling is off (config.enableProfile())');
    off.dispose();
    const c = new Config(MNIST);
    c.enableProfile();
    expect(c.summary()).toContain('profile           on');
    const p = createPredictor(c);
    expect(p.profileReport()).toBe('no runs profiled yet');
    for (let i = 0; i < 3; i++) expect(runReference(p, MNIST)).toBeLessThan(1e-4);
    const rows = p.profile();
    // The MLP's three fully connected layers, its softmax and the output scale, per run.
    expect(Object.fromEntries(rows.map((r) => [r.op, r.calls]))).toEqual({ fc: 9, softmax: 3, scale: 3 });
    expect(rows.reduce((n, r) => n + r.ratio, 0)).toBeCloseTo(1, 10);
    for (const r of rows) {
      expect(r.minMs).toBeLessThanOrEqual(r.meanMs);
      expect(r.meanMs).toBeLessThanOrEqual(r.maxMs);
      expect(r.totalMs).toBeCloseTo(r.meanMs * r.calls, 10);
    }
    expect(rows.map((r) => r.totalMs)).toEqual([...rows.map((r) => r.totalMs)].sort((a, b) => b - a));
    const report = p.profileReport().split('\n');
    expect(report[0]).toMatch(/^op +calls +total ms +min ms +max ms +mean ms +ratio$/);
    expect(report[report.length - 1]).toMatch(/^all operators +15 +\d+\.\d{3} +100\.0%$/);
    const q = p.clone();
    expect(runReference(q, MNIST)).toBeLessThan(1e-4);
    expect(q.profile().find((r) => r.op === 'fc')!.calls).toBe(3);
    q.dispose();
    p.dispose();
  });

  it('clones share the parameters; the last one to go frees them', () => {
    const before = memory();
    const a = createPredictor(new Config(SIMPLE));
    const afterLoad = memory();
    const b = a.clone();
    // Only the clone's handles are new; no parameter was copied.
    expect(memory().numBytes).toBe(afterLoad.numBytes);
    expect(runReference(a, SIMPLE)).toBeLessThan(1e-4);
    a.dispose();
    expect(runReference(b, SIMPLE)).toBeLessThan(1e-4);
    b.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });

  it('a program with operators Oar lacks fails at createPredictor with all of them listed', () => {
    withTmp((dir) => {
      const prog = readBytes(path.join(MNIST, '__model__'));
      // Rename "softmax" and "relu" inside the program bytes: same lengths, so the protobuf stays valid.
      const text = Buffer.from(prog).toString('latin1').replace(/\x07softmax/g, '\x07softmix').replace(/\x04relu/g, '\x04relx');
      fs.writeFileSync(path.join(dir, '__model__'), Buffer.from(text, 'latin1'));
      for (const f of fs.readdirSync(MNIST)) if (f.startsWith('fc_')) fs.copyFileSync(path.join(MNIST, f), path.join(dir, f));
      const before = memory().numTensors;
      let err: unknown;
      try {
        createPredictor(new Config(dir));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnsupportedOpsError);
      expect((err as Error).message).toBe(
        `${path.join(dir, '__model__')}: 2 operator types of this program cannot run on cpu: relx (2 ops, first at #3), softmix (1 op, first at #9). Nothing was run.`,
      );
      // The parameters loaded for it were released again.
      expect(memory().numTensors).toBe(before);
    });
  });
});
