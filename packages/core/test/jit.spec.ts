/**
 * jit.save: layers traced into Paddle inference programs, written as .pdmodel + .pdiparams, read
 * back with the Predictor and compared with the live layer; the files' layout (feed/fetch,
 * persistable variables, attribute types, parameter order) and the errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputSpec, engine, full, jit, nn, randn, seed, tensor, type Tensor } from '../src';
import { createPredictor, Config } from '../src/inference';
import { AttrType, VarKind, compareNames, decodeProgram, persistableVars, programDescType, readCombinedParams, type OpDesc, type ProgramDesc } from '../src/static';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-jit-'));
  seed(7);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function read(prefix: string): ProgramDesc {
  return decodeProgram(new Uint8Array(fs.readFileSync(`${prefix}.pdmodel`)), `${prefix}.pdmodel`);
}

/** Max |a−b| / max |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Runs the saved model on `inputs` with the Predictor; one host array per output. */
function predict(prefix: string, inputs: Tensor[]): Float32Array[] {
  const p = createPredictor(new Config(prefix));
  try {
    p.getInputNames().forEach((n, i) => {
      const h = p.getInputHandle(n);
      h.reshape(inputs[i]!.shape);
      h.copyFromCpu(inputs[i]!.dataSync());
    });
    p.run();
    return p.getOutputNames().map((n) => p.getOutputHandle(n).copyToCpu() as Float32Array);
  } finally {
    p.dispose();
  }
}

function live(layer: nn.Layer, inputs: Tensor[]): Float32Array[] {
  const was = layer.training;
  layer.eval();
  try {
    return engine.noGrad(() =>
      engine.tidy(() => {
        const out = (layer.call as (...a: unknown[]) => unknown).apply(layer, inputs);
        return jit.flattenOutputs(out).map((t) => t.dataSync() as Float32Array);
      }),
    );
  } finally {
    if (was) layer.train();
  }
}

const opsOf = (p: ProgramDesc, type: string): OpDesc[] => p.blocks[0]!.ops.filter((o) => o.type === type);

describe('jit.save round trips', () => {
  it('Linear: feed, fetch, variables, parameter file, same outputs at another batch size', () => {
    const fc = new nn.Linear(6, 4);
    const prefix = path.join(dir, 'linear', 'inference');
    const r = jit.save(fc, prefix, [new InputSpec([null, 6], 'float32', 'x')]);
    expect(r.inputNames).toEqual(['x']);
    expect(r.outputNames).toEqual(['save_infer_model/scale_0.tmp_1']);
    expect(fs.readdirSync(path.dirname(prefix)).sort()).toEqual(['inference.pdiparams', 'inference.pdmodel']);

    const p = read(prefix);
    const b = p.blocks[0]!;
    expect(p.version).toBe(2000002);
    expect(b.ops.map((o) => o.type)).toEqual(['feed', 'matmul_v2', 'elementwise_add', 'scale', 'fetch']);
    expect(b.vars.get('feed')).toMatchObject({ kind: VarKind.FEED_MINIBATCH, persistable: true });
    expect(b.vars.get('fetch')).toMatchObject({ kind: VarKind.FETCH_LIST, persistable: true });
    expect(b.vars.get('x')).toMatchObject({ kind: VarKind.LOD_TENSOR, dataType: 5, dims: [-1, 6], persistable: false });
    expect(b.vars.get('save_infer_model/scale_0.tmp_1')!.dims).toEqual([-1, 4]);
    expect(b.vars.get(fc.weight.name)).toMatchObject({ dims: [6, 4], persistable: true });
    expect(b.vars.get(fc.bias!.name)).toMatchObject({ dims: [4], persistable: true });
    expect(b.ops[0]!.attrs.col).toEqual({ type: AttrType.INT, value: 0 });

    // The parameter file: exactly the persistable variables, byte-wise sorted, nothing after.
    const vars = persistableVars(b);
    expect(vars.map((v) => v.name)).toEqual([fc.bias!.name, fc.weight.name].sort(compareNames));
    const recs = readCombinedParams(new Uint8Array(fs.readFileSync(`${prefix}.pdiparams`)), 'pdiparams', vars);
    expect(Array.from(recs.get(fc.weight.name)!.data as Float32Array)).toEqual(Array.from(fc.weight.dataSync() as Float32Array));

    const x = randn([5, 6]);
    expect(relError(predict(prefix, [x])[0]!, live(fc, [x])[0]!)).toBeLessThan(1e-6);
  });

  it('Conv2D + BatchNorm + ReLU + max/avg pools: is_test set, running statistics saved, same outputs', () => {
    const net = new nn.Sequential(
      new nn.Conv2D(3, 8, 3, { padding: 1 }),
      new nn.BatchNorm2D(8),
      new nn.ReLU(),
      new nn.MaxPool2D(3, { stride: 2, padding: 1 }),
      new nn.Conv2D(8, 4, 1),
      new nn.AvgPool2D(2, 2),
      new nn.AdaptiveAvgPool2D(1),
      new nn.Flatten(),
    );
    // Train a few steps so the batch-norm statistics are not the initial 0/1.
    for (let i = 0; i < 3; i++) engine.tidy(() => net.call(randn([4, 3, 12, 12])));
    const bn = net.children()[1] as nn.BatchNorm2D;
    expect(Math.abs((bn._mean.dataSync() as Float32Array)[0]!)).toBeGreaterThan(0);

    const prefix = path.join(dir, 'convnet', 'inference');
    jit.save(net, prefix, [new InputSpec([-1, 3, 12, 12])]);
    expect(net.training).toBe(true);
    expect(bn.training).toBe(true);

    const p = read(prefix);
    for (const op of [...opsOf(p, 'batch_norm'), ...opsOf(p, 'pool2d')]) expect(op.attrs.is_test).toEqual({ type: AttrType.BOOLEAN, value: true });
    const bnOp = opsOf(p, 'batch_norm')[0]!;
    expect(bnOp.inputs.Mean).toEqual([bn._mean.name]);
    expect(bnOp.outputs.MeanOut).toEqual([bn._mean.name]);
    expect(bnOp.attrs.epsilon!.type).toBe(AttrType.FLOAT);
    expect(opsOf(p, 'pool2d').map((o) => o.attrs.pooling_type!.value)).toEqual(['max', 'avg', 'avg']);
    expect(p.blocks[0]!.vars.get('save_infer_model/scale_0.tmp_1')!.dims).toEqual([-1, 4]);

    const x = randn([3, 3, 12, 12]);
    expect(relError(predict(prefix, [x])[0]!, live(net, [x])[0]!)).toBeLessThan(1e-5);
  });

  it('TransformerEncoder (MultiHeadAttention): free batch and sequence length, XShape outputs, same outputs', () => {
    const layer = new nn.TransformerEncoderLayer(16, 4, 32, { dropout: 0.1 });
    const enc = new nn.TransformerEncoder(layer, 2, new nn.LayerNorm(16));
    const prefix = path.join(dir, 'encoder', 'inference');
    jit.save(enc, prefix, [new InputSpec([null, null, 16], 'float32', 'src')]);
    const p = read(prefix);
    const b = p.blocks[0]!;
    expect(b.vars.get('src')!.dims).toEqual([-1, -1, 16]);
    for (const op of opsOf(p, 'reshape2')) {
      // Batch and length copied from the input (0), never baked in.
      expect((op.attrs.shape!.value as number[]).slice(0, 2)).toEqual([0, 0]);
      expect(b.vars.get(op.outputs.XShape![0]!)!.dims![0]).toBe(0);
    }
    for (const op of opsOf(p, 'dropout')) expect(op.attrs.is_test!.value).toBe(true);
    expect(opsOf(p, 'layer_norm')).toHaveLength(5);

    const x = randn([2, 5, 16]);
    expect(relError(predict(prefix, [x])[0]!, live(enc, [x])[0]!)).toBeLessThan(1e-5);
  });

  it('Dropout in inference form: upscale_in_train passes through, downscale_in_infer scales by 1 − p', () => {
    const net = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.25), new nn.Dropout(0.5, { mode: 'downscale_in_infer' }));
    const prefix = path.join(dir, 'dropout', 'inference');
    jit.save(net, prefix, [new InputSpec([null, 4])]);
    const drops = opsOf(read(prefix), 'dropout');
    expect(drops.map((o) => [o.attrs.is_test!.value, o.attrs.dropout_implementation!.value, o.attrs.dropout_prob!.type])).toEqual([
      [true, 'upscale_in_train', AttrType.FLOAT],
      [true, 'downgrade_in_infer', AttrType.FLOAT],
    ]);
    expect(drops.every((o) => o.outputs.Mask!.length === 1)).toBe(true);
    const x = randn([3, 4]);
    const got = predict(prefix, [x])[0]!;
    const fcOnly = live(net.children()[0]!, [x])[0]!;
    expect(relError(got, fcOnly.map((v) => v * 0.5))).toBeLessThan(1e-6);
    expect(net.training).toBe(true);
  });

  it('constants made in forward, captured tensors and several outputs', () => {
    class WithConstants extends nn.Layer {
      fc = new nn.Linear(3, 3);
      constructor(readonly offsets: Tensor) {
        super();
      }
      override forward(x: Tensor): Tensor[] {
        const host = tensor([0.5, -1, 2]);
        const y = this.fc.call(x).multiply(host).add(this.offsets);
        return [y, y.add(full([1], 3))];
      }
    }
    const offsets = engine.keep(tensor([1, 2, 3]));
    const m = new WithConstants(offsets);
    m.eval();
    const prefix = path.join(dir, 'constants', 'inference');
    const r = jit.save(m, prefix, [new InputSpec([null, 3])]);
    expect(m.training).toBe(false);
    expect(r.outputNames).toEqual(['save_infer_model/scale_0.tmp_1', 'save_infer_model/scale_1.tmp_1']);
    const p = read(prefix);
    const persist = persistableVars(p.blocks[0]!).map((v) => v.name);
    expect(persist).toHaveLength(4); // weight, bias, the captured offsets, the host constant
    expect(persist).toContain(offsets.name);
    expect(opsOf(p, 'fill_constant')).toHaveLength(1);
    const x = randn([2, 3]);
    const want = live(m, [x]);
    const got = predict(prefix, [x]);
    expect(got).toHaveLength(2);
    got.forEach((g, i) => expect(relError(g, want[i]!)).toBeLessThan(1e-6));
    offsets.dispose();
  });

  it('restores mixed train/eval modes', () => {
    const a = new nn.Linear(2, 2);
    const bn = new nn.BatchNorm1D(2);
    const net = new nn.Sequential(a, bn);
    bn.eval();
    jit.save(net, path.join(dir, 'modes', 'm'), [new InputSpec([null, 2])], { programOnly: true });
    expect([net.training, a.training, bn.training]).toEqual([true, true, false]);
    expect(fs.existsSync(path.join(dir, 'modes', 'm.pdiparams'))).toBe(false);
  });

  it('writes attribute types and slots as Paddle 2.0 does (raw protobuf)', () => {
    const net = new nn.Sequential(new nn.Conv2D(1, 2, 3), new nn.BatchNorm2D(2), new nn.Hardswish());
    const prefix = path.join(dir, 'raw', 'inference');
    jit.save(net, prefix, [new InputSpec([null, 1, 6, 6])]);
    const t = programDescType();
    const raw = t.toObject(t.decode(fs.readFileSync(`${prefix}.pdmodel`)), { enums: String, longs: Number }) as {
      blocks: { ops: { type: string; inputs: { parameter: string; arguments?: string[] }[]; attrs: { name: string; type: string }[] }[] }[];
      version: { version: number };
      op_version_map: { pair: { op_name: string }[] };
    };
    const ops = raw.blocks[0]!.ops;
    const types = (type: string): Record<string, string> => Object.fromEntries(ops.find((o) => o.type === type)!.attrs.map((a) => [a.name, a.type]));
    expect(types('conv2d')).toMatchObject({ strides: 'INTS', paddings: 'INTS', groups: 'INT', data_format: 'STRING' });
    expect(types('batch_norm')).toMatchObject({ epsilon: 'FLOAT', momentum: 'FLOAT', is_test: 'BOOLEAN' });
    expect(types('hard_swish')).toMatchObject({ threshold: 'FLOAT', scale: 'FLOAT', offset: 'FLOAT' });
    expect(types('scale')).toMatchObject({ scale: 'FLOAT', bias: 'FLOAT', bias_after_scale: 'BOOLEAN' });
    // Unset optional inputs are written as empty slots, slots sorted by name.
    const bnSlots = ops.find((o) => o.type === 'batch_norm')!.inputs.map((s) => s.parameter);
    expect(bnSlots).toEqual([...bnSlots].sort());
    expect(raw.version.version).toBe(2000002);
    expect(raw.op_version_map.pair.map((p) => p.op_name)).toContain('conv2d');
  });
});

describe('jit.save errors', () => {
  it('an InputSpec that does not fit the layer', () => {
    expect(() => jit.save(new nn.Linear(4, 2), path.join(dir, 'bad', 'm'), [new InputSpec([null, 5])])).toThrow(
      /Linear\.forward failed on example inputs of shape \[1, 5\].*InputSpec fits the layer/,
    );
    expect(fs.existsSync(path.join(dir, 'bad', 'm.pdmodel'))).toBe(false);
  });

  it('a value computed on the host from the input', () => {
    class HostScale extends nn.Layer {
      override forward(x: Tensor): Tensor {
        return x.scale(x.sum().item());
      }
    }
    expect(() => jit.save(new HostScale(), path.join(dir, 'host', 'm'), [new InputSpec([null, 3])])).toThrow(
      /op #\d+ \(scale\): attribute "scale" is .* in one traced pass and .* in the other/,
    );
  });

  it('a constant shaped by the batch size, unless the batch size is fixed', () => {
    class BatchOnes extends nn.Layer {
      override forward(x: Tensor): Tensor {
        return x.add(full([x.shape[0]!, 3], 1));
      }
    }
    expect(() => jit.save(new BatchOnes(), path.join(dir, 'batch', 'm'), [new InputSpec([null, 3])])).toThrow(/fill_constant.*"shape"/);
    const prefix = path.join(dir, 'batch', 'fixed');
    jit.save(new BatchOnes(), prefix, [new InputSpec([2, 3])]);
    const x = randn([2, 3]);
    expect(relError(predict(prefix, [x])[0]!, live(new BatchOnes(), [x])[0]!)).toBe(0);
  });

  it('an operator that cannot be part of an inference program', () => {
    class Steps extends nn.Layer {
      w = this.createParameter([3]);
      override forward(x: Tensor): Tensor {
        engine.runOp('sgd', { Param: this.w, LearningRate: full([1], 0.1), Grad: x.sum([0]) });
        return x.multiply(this.w);
      }
    }
    expect(() => jit.save(new Steps(), path.join(dir, 'sgd', 'm'), [new InputSpec([null, 3])])).toThrow(/\(sgd\) computes gradients or updates parameters/);
  });

  it('a view made outside any operator', () => {
    class RawView extends nn.Layer {
      override forward(x: Tensor): Tensor {
        return engine.view(x.relu(), [x.shape[0]! * 3]).relu();
      }
    }
    expect(() => jit.save(new RawView(), path.join(dir, 'view', 'm'), [new InputSpec([2, 3])])).toThrow(/made outside any operator/);
  });

  it('a path that cannot be written, and a folder given as the path', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => jit.save(new nn.Linear(2, 2), path.join(file, 'sub', 'm'), [new InputSpec([null, 2])])).toThrow(/cannot create the folder/);
    fs.mkdirSync(path.join(dir, 'folder'));
    expect(() => jit.save(new nn.Linear(2, 2), path.join(dir, 'folder'), [new InputSpec([null, 2])])).toThrow(/is a folder/);
    // A rename that fails (the target name is taken by a folder): no file, no temporary left.
    const clash = path.join(dir, 'clash');
    fs.mkdirSync(path.join(clash, 'm.pdmodel'), { recursive: true });
    expect(() => jit.save(new nn.Linear(2, 2), path.join(clash, 'm'), [new InputSpec([null, 2])])).toThrow(/cannot write .*m\.pdmodel/);
    expect(fs.readdirSync(clash)).toEqual(['m.pdmodel']);
  });

  it('bad InputSpecs', () => {
    expect(() => new InputSpec([null, 2.5])).toThrow(/extent 1/);
    expect(() => new InputSpec([2], 'float33' as never)).toThrow(/unknown dtype/);
    expect(() => jit.save(new nn.Linear(2, 2), path.join(dir, 'none', 'm'), [])).toThrow(/one InputSpec per input/);
  });
});
