import * as path from 'path';
import { engine, memory, type Tensor } from '../../src';
import type { Backend } from '../../src/backends/backend';
import {
  AttrType,
  ExecutionError,
  ProgramError,
  ProgramExecutor,
  UnsupportedOpsError,
  VarKind,
  decodeProgram,
  encodeProgram,
  loadInferenceModel,
  type AttrDesc,
  type OpDesc,
  type ProgramDesc,
  type VarDesc,
} from '../../src/static';
import { allocArray, type TypedArray } from '../../src/tensor/dtype';
import {
  CIFAR,
  COMPLETE,
  MNIST,
  PROGRAM_ONLY,
  agreement,
  manifest,
  prng,
  programOnly,
  readBytes,
  refData,
  syntheticParams,
} from './helpers';

function disposeAll(ts: Iterable<Tensor>): void {
  for (const t of ts) t.dispose();
}

describe('complete real models match their reference outputs (max relative error < 1e-4)', () => {
  const summary: string[] = [];
  afterAll(() => {
    // The figures the issue asks for, in the test log.
    process.stdout.write(`reference agreement (max |got - want| / max |want|):\n${summary.join('\n')}\n`);
  });

  for (const dir of COMPLETE) {
    const name = path.basename(dir);
    it(name, () => {
      const model = loadInferenceModel(dir);
      const ex = new ProgramExecutor(model.program, model.params, { file: model.programFile });
      for (const c of manifest(dir)) {
        const inputs = new Map<string, Tensor>();
        for (const i of c.inputs) inputs.set(ex.feeds[i.col!]!.name, engine.fromArray(refData(dir, i), i.shape, i.dtype));
        const keep = (c.intermediates ?? []).map((x) => x.var!);
        const { outputs, kept } = ex.run(inputs, { keep });
        for (const o of c.outputs) {
          const got = outputs[o.col!]!;
          expect(got.shape).toEqual(o.shape);
          expect(got.dtype).toBe(o.dtype);
          const a = agreement(got.dataSync() as ArrayLike<number>, refData(dir, o) as ArrayLike<number>);
          summary.push(`  ${name} ${c.name} output ${o.col}: ${a.maxRelError.toExponential(2)}`);
          expect(a.maxRelError).toBeLessThan(1e-4);
          expect(a.outliers).toBe(0);
          const want = (o as { argmax_last_axis?: number[] }).argmax_last_axis;
          if (want) {
            const last = o.shape[o.shape.length - 1]!;
            const d = got.toFlatArray();
            const argmax = want.map((_, r) => {
              let best = 0;
              for (let j = 1; j < last; j++) if (d[r * last + j]! > d[r * last + best]!) best = j;
              return best;
            });
            expect(argmax).toEqual(want);
          }
        }
        for (const iv of c.intermediates ?? []) {
          const t = kept.get(iv.var!)!;
          expect(t.shape).toEqual(iv.shape);
          expect(agreement(t.dataSync() as ArrayLike<number>, refData(dir, iv) as ArrayLike<number>).maxRelError).toBeLessThan(1e-4);
        }
        disposeAll([...inputs.values(), ...outputs, ...kept.values()]);
      }
      disposeAll(model.params.values());
    });
  }

  it('the MNIST MLP classifies its author’s sample digit as 3', () => {
    const model = loadInferenceModel(MNIST);
    const ex = new ProgramExecutor(model.program, model.params);
    const c = manifest(MNIST).find((x) => x.name === 'infer3_png')!;
    const x = engine.fromArray(refData(MNIST, c.inputs[0]!), c.inputs[0]!.shape, 'float32');
    const { outputs } = ex.run({ image: x });
    const p = outputs[0]!.toFlatArray();
    expect(p.indexOf(Math.max(...p))).toBe(3);
    disposeAll([x, ...outputs, ...model.params.values()]);
  });
});

describe('every operator of the program-only models runs', () => {
  // Their weights (>= 4 MiB) were not available: stand-in values of the declared shapes.
  const cases: [keyof typeof PROGRAM_ONLY, number[], number[]][] = [
    // Global pooling makes the classifiers take any size; small ones keep the test quick. The
    // X2Paddle export pools with a fixed 7x7 window, so it needs 224.
    ['resnet50', [1, 3, 64, 64], [1, 1000]],
    ['mobilenetV1', [1, 3, 64, 64], [1, 1000]],
    ['resnet50Int8', [2, 3, 64, 64], [2, 1000]],
    ['x2paddleMobilenetV2', [1, 3, 224, 224], [1, 1001]],
    ['mobilenetV2', [1, 3, 64, 64], [1, 1000]],
    ['ppocrV3', [1, 3, 48, 160], [1, 20, 1164]],
  ];
  for (const [key, inShape, outShape] of cases) {
    it(`${PROGRAM_ONLY[key]}: ${inShape.join('x')} -> ${outShape.join('x')}, softmax rows sum to 1`, () => {
      const { program, file } = programOnly(PROGRAM_ONLY[key]);
      const params = syntheticParams(program);
      const before = memory();
      const ex = new ProgramExecutor(program, params, { file });
      const ops = program.blocks[0]!.ops.filter((o) => o.type !== 'feed' && o.type !== 'fetch');
      expect(ex.numSteps).toBe(ops.length);
      const rand = prng(3);
      const x = engine.fromArray(Float32Array.from({ length: inShape.reduce((a, b) => a * b, 1) }, () => rand()), inShape, 'float32');
      const { outputs } = ex.run({ [ex.feeds[0]!.name]: x });
      const out = outputs[0]!;
      expect(out.shape).toEqual(outShape);
      const d = out.toFlatArray();
      expect(d.every(Number.isFinite)).toBe(true);
      const last = outShape[outShape.length - 1]!;
      for (let r = 0; r < d.length / last; r++) {
        expect(d.slice(r * last, (r + 1) * last).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
      disposeAll([x, out]);
      // Everything the run allocated is gone again (intermediates released, XShape never bound).
      expect(memory().numTensors).toBe(before.numTensors);
      disposeAll(params.values());
    });
  }
});

describe('unsupported programs fail before anything runs', () => {
  it('lists every missing operator type in one message, with counts and first positions', () => {
    const { program } = programOnly(PROGRAM_ONLY.resnet50);
    const ops = program.blocks[0]!.ops;
    for (const op of ops) if (op.type === 'relu') op.type = 'relu_fancy';
    for (const op of ops) if (op.type === 'pool2d') op.type = 'pool9d';
    const firstConv = ops.findIndex((o) => o.type === 'conv2d');
    ops[firstConv]!.type = 'conv2d_fusion';
    const bytes = encodeProgram(program);
    const before = memory().numTensors;
    let err: UnsupportedOpsError | undefined;
    try {
      new ProgramExecutor(decodeProgram(bytes, 'resnet50/__model__'), new Map(), { file: 'resnet50/__model__' });
    } catch (e) {
      err = e as UnsupportedOpsError;
    }
    expect(err).toBeInstanceOf(UnsupportedOpsError);
    expect(err!.missing).toEqual([
      { type: 'conv2d_fusion', count: 1, first: firstConv, reason: 'unknown operator' },
      { type: 'relu_fancy', count: 49, first: ops.findIndex((o) => o.type === 'relu_fancy'), reason: 'unknown operator' },
      { type: 'pool9d', count: 2, first: ops.findIndex((o) => o.type === 'pool9d'), reason: 'unknown operator' },
    ]);
    expect(err!.message).toBe(
      `resnet50/__model__: 3 operator types of this program cannot run on cpu: conv2d_fusion (1 op, first at #${firstConv}), ` +
        `relu_fancy (49 ops, first at #${err!.missing[1]!.first}), pool9d (2 ops, first at #${err!.missing[2]!.first}). Nothing was run.`,
    );
    expect(memory().numTensors).toBe(before);
  });

  it('lists the operators without a kernel on the chosen device', () => {
    const host: Backend = {
      kind: 'testdev',
      device: 'testdev:0',
      alloc: (d, n) => allocArray(d, n),
      fromArray: (_d, a) => a.slice(),
      read: (b, _d, n) => (b as TypedArray).slice(0, n),
      free: () => undefined,
      synchronize: () => undefined,
    };
    engine.registerBackend('testdev', () => host);
    const program = decodeProgram(readBytes(path.join(MNIST, '__model__')));
    expect(() => new ProgramExecutor(program, new Map(), { device: 'testdev', file: 'mnist' })).toThrow(
      'mnist: 5 operator types of this program cannot run on testdev:0: mul (3 ops, first at #1, no testdev:0 kernel), ' +
        'elementwise_add (3 ops, first at #2, no testdev:0 kernel), relu (2 ops, first at #3, no testdev:0 kernel), ' +
        'softmax (1 op, first at #9, no testdev:0 kernel), scale (1 op, first at #10, no testdev:0 kernel). Nothing was run.',
    );
  });

  it('names a variable that is read before anything writes it', () => {
    const p = decodeProgram(readBytes(path.join(MNIST, '__model__')));
    const relu = p.blocks[0]!.ops.find((o) => o.type === 'relu')!;
    relu.inputs.X = ['no_such_var'];
    const model = loadInferenceModel(MNIST);
    expect(() => new ProgramExecutor(p, model.params, { file: 'mnist/__model__' })).toThrow(
      'mnist/__model__: op #3 (relu): input X reads variable "no_such_var", which no earlier op writes and which is neither a parameter nor a feed',
    );
    disposeAll(model.params.values());
  });

  it('an op failing at run time names itself, its inputs and the cause, and frees what the run made', () => {
    const model = loadInferenceModel(MNIST);
    const ex = new ProgramExecutor(model.program, model.params, { file: 'mnist/__model__' });
    // The program declares [-1, 1, 28, 28]; a flattened image is refused by the feed check...
    const bad = engine.fromArray(new Float32Array(784), [1, 784], 'float32');
    expect(() => ex.run({ image: bad })).toThrow('input "image" must have rank 4 (declared [-1, 1, 28, 28]), got [1, 784]');
    // ...and an op that cannot take its input fails with its name and the operator's message.
    const p = decodeProgram(readBytes(path.join(MNIST, '__model__')));
    const mul = p.blocks[0]!.ops.find((o) => o.type === 'mul')!;
    mul.attrs.x_num_col_dims = { type: AttrType.INT, value: 3 };
    const ex2 = new ProgramExecutor(p, model.params, { file: 'mnist/__model__' });
    const x = engine.fromArray(new Float32Array(784), [1, 1, 28, 28], 'float32');
    const before = memory().numTensors;
    let err: unknown;
    try {
      ex2.run({ image: x });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExecutionError);
    expect((err as Error).message).toMatch(
      /^mnist\/__model__: op #1 \(mul\) failed \(inputs X=image \[1, 1, 28, 28\] float32; Y=fc_0\.w_0 \[784, 100\] float32\): mul: /,
    );
    expect(memory().numTensors).toBe(before);
    disposeAll([bad, x, ...model.params.values()]);
  });
});

// ---- a hand-made program for the tensor-form inputs ------------------------------------------------

const attr = (type: number, value: AttrDesc['value']): AttrDesc => ({ type, value });
const op = (type: string, inputs: OpDesc['inputs'], outputs: OpDesc['outputs'], attrs: Record<string, AttrDesc> = {}): OpDesc => ({
  type,
  inputs,
  outputs,
  attrs,
});
const tensor = (name: string, dataType: number, dims: number[], persistable = false): VarDesc => ({
  name,
  kind: VarKind.LOD_TENSOR,
  dataType,
  dims,
  lodLevel: 0,
  persistable,
  needCheckFeed: false,
});

function tensorInputsProgram(): ProgramDesc {
  const I = AttrType.INT;
  const INTS = AttrType.INTS;
  const vars: VarDesc[] = [
    { ...tensor('feed', VarKind.FP32, []), kind: VarKind.FEED_MINIBATCH, persistable: true },
    { ...tensor('fetch', VarKind.FP32, []), kind: VarKind.FETCH_LIST, persistable: true },
    tensor('x', VarKind.FP32, [-1, 6]),
    tensor('x_shape', VarKind.INT32, [2]),
    tensor('batch', VarKind.INT32, [1]),
    tensor('three', VarKind.INT32, [1]),
    tensor('two', VarKind.INT32, [1]),
    tensor('one', VarKind.INT64, [1]),
    tensor('r', VarKind.FP32, [-1, 3, 2]),
    tensor('r_xshape', VarKind.FP32, [0, -1, 6]),
    tensor('s', VarKind.FP32, [-1, 2, 2]),
    tensor('axis', VarKind.INT32, [1]),
    tensor('c', VarKind.FP32, [-1, 2, 4]),
    tensor('f', VarKind.FP32, [-1, 2]),
    tensor('u', VarKind.FP32, [-1, 1, 2]),
    tensor('u_xshape', VarKind.FP32, [0, -1, 2]),
    tensor('val', VarKind.FP32, [1], true),
  ];
  const ops: OpDesc[] = [
    op('feed', { X: ['feed'] }, { Out: ['x'] }, { col: attr(I, 0) }),
    op('shape', { Input: ['x'] }, { Out: ['x_shape'] }),
    // batch = x_shape[0:1], kept as [1] (decrease_axis would make it 0-d/[1] alike)
    op('slice', { Input: ['x_shape'] }, { Out: ['batch'] }, { axes: attr(INTS, [0]), starts: attr(INTS, [0]), ends: attr(INTS, [1]), decrease_axis: attr(INTS, [0]) }),
    op('fill_constant', {}, { Out: ['three'] }, { shape: attr(AttrType.LONGS, [1]), value: attr(AttrType.FLOAT, 3), dtype: attr(I, VarKind.INT32) }),
    op('fill_constant', {}, { Out: ['two'] }, { shape: attr(AttrType.LONGS, [1]), value: attr(AttrType.FLOAT, 2), dtype: attr(I, VarKind.INT32) }),
    op('fill_constant', {}, { Out: ['one'] }, { shape: attr(AttrType.LONGS, [1]), value: attr(AttrType.FLOAT, 1), dtype: attr(I, VarKind.INT64) }),
    // reshape2 with a ShapeTensor list [batch, 3, 2]; the attribute shape is a decoy.
    op('reshape2', { X: ['x'], ShapeTensor: ['batch', 'three', 'two'], Shape: [] }, { Out: ['r'], XShape: ['r_xshape'] }, { shape: attr(INTS, [99]) }),
    // slice r[:, 1:3, :] with StartsTensor/EndsTensorList
    op('slice', { Input: ['r'], StartsTensor: ['one'], EndsTensorList: ['three'] }, { Out: ['s'] }, { axes: attr(INTS, [1]), starts: attr(INTS, [0]), ends: attr(INTS, [1]) }),
    op('fill_constant', {}, { Out: ['axis'] }, { shape: attr(AttrType.LONGS, [1]), value: attr(AttrType.FLOAT, 2), dtype: attr(I, VarKind.INT32) }),
    op('concat', { X: ['s', 's'], AxisTensor: ['axis'] }, { Out: ['c'] }, { axis: attr(I, 0) }),
    // fill_constant shaped [batch, 2] from a ShapeTensorList, its value from a tensor
    op('fill_constant', { ShapeTensorList: ['batch', 'two'], ValueTensor: ['val'] }, { Out: ['f'] }, { shape: attr(AttrType.LONGS, [7]), dtype: attr(I, VarKind.FP32) }),
    op('unsqueeze2', { X: ['f'], AxesTensor: ['one'] }, { Out: ['u'], XShape: ['u_xshape'] }, { axes: attr(INTS, []) }),
    op('fetch', { X: ['c'] }, { Out: ['fetch'] }, { col: attr(I, 0) }),
    op('fetch', { X: ['u'] }, { Out: ['fetch'] }, { col: attr(I, 1) }),
  ];
  return {
    blocks: [{ idx: 0, parentIdx: -1, forwardBlockIdx: -1, vars: new Map(vars.map((v) => [v.name, v])), ops }],
    version: 2000000,
    opVersions: {},
  };
}

describe('tensor-form inputs are read at run time and passed as attributes', () => {
  it('shape -> slice -> reshape2 ShapeTensor, slice StartsTensor/EndsTensorList, concat AxisTensor, fill_constant ShapeTensorList/ValueTensor, unsqueeze2 AxesTensor', () => {
    const program = decodeProgram(encodeProgram(tensorInputsProgram()), 'hand-made');
    const val = engine.keep(engine.fromArray(Float32Array.from([2.5]), [1], 'float32'));
    const ex = new ProgramExecutor(program, new Map([['val', val]]), { file: 'hand-made' });
    for (const batch of [1, 3]) {
      const xs = Float32Array.from({ length: batch * 6 }, (_, i) => i);
      const x = engine.fromArray(xs, [batch, 6], 'float32');
      const { outputs } = ex.run({ x });
      const [c, u] = outputs as [Tensor, Tensor];
      expect(c.shape).toEqual([batch, 2, 4]);
      // r[b] = [[0,1],[2,3],[4,5]] + 6b; s = rows 1..2; c = [s, s] along the last axis
      const want: number[] = [];
      for (let b = 0; b < batch; b++) for (const row of [1, 2]) want.push(...[0, 1, 0, 1].map((k) => 6 * b + 2 * row + k));
      expect(c.toFlatArray()).toEqual(want);
      expect(u.shape).toEqual([batch, 1, 2]);
      expect(u.toFlatArray()).toEqual(new Array(batch * 2).fill(2.5));
      disposeAll([x, c, u]);
    }
    val.dispose();
  });

  it('reshape2 without a Shape* tensor still uses its attribute; an unknown input slot is refused', () => {
    const p = tensorInputsProgram();
    const bad = p.blocks[0]!.ops.find((o) => o.type === 'concat')!;
    bad.inputs.Fancy = ['axis'];
    expect(() => new ProgramExecutor(p, new Map(), { file: 'hand-made' })).toThrow(
      "hand-made: op #9 (concat): input slot Fancy (axis) is not one Oar's concat takes (it takes X, AxisTensor)",
    );
  });

  it('feed and fetch cols must be 0..n-1 without repeats', () => {
    const p = tensorInputsProgram();
    p.blocks[0]!.ops.find((o) => o.type === 'fetch')!.attrs.col = attr(AttrType.INT, 1);
    expect(() => new ProgramExecutor(p, new Map(), { file: 'h' })).toThrow(ProgramError);
    expect(() => new ProgramExecutor(p, new Map(), { file: 'h' })).toThrow('h: fetch col 1 is used twice ("c" and "u")');
  });
});

describe('planning once, running many times', () => {
  it('keeps live memory flat over 30 runs and releases intermediates as it goes', () => {
    const model = loadInferenceModel(CIFAR);
    const ex = new ProgramExecutor(model.program, model.params, { file: 'cifar' });
    const x = engine.fromArray(new Float32Array(2 * 3 * 32 * 32).fill(0.5), [2, 3, 32, 32], 'float32');
    const base = memory();
    let first: number[] | undefined;
    for (let i = 0; i < 30; i++) {
      const { outputs } = ex.run({ pixel: x });
      const d = outputs[0]!.toFlatArray();
      if (first) expect(d).toEqual(first);
      else first = d;
      disposeAll(outputs);
      expect(memory().numTensors).toBe(base.numTensors);
      expect(memory().numBytes).toBe(base.numBytes);
    }
    // Without early release the same results come out; only the peak differs.
    const keepAll = new ProgramExecutor(model.program, model.params, { file: 'cifar', releaseEarly: false });
    const { outputs } = keepAll.run({ pixel: x });
    expect(outputs[0]!.toFlatArray()).toEqual(first);
    disposeAll([x, ...outputs, ...model.params.values()]);
  });
});
