/**
 * The inference passes: models saved with jit.save run through the Predictor with IR optimization
 * on and off, with oneDNN and without; the fused program must give the unfused results, fuse what
 * the pattern allows, and leave alone what it must not touch (fetched or shared intermediates).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputSpec, add, conv2d, engine, gelu, jit, nn, randn, relu, seed, tanh, uniform, type Tensor } from '../../src';
import { setDnnlEnabled } from '../../src/backends/cpu/dnnl/lib';
import { Config, createPredictor } from '../../src/inference';
import { INFERENCE_PASS_NAMES, ProgramExecutor, VarKind, decodeProgram, loadInferenceModel, optimizeProgram, type OpDesc, type ProgramDesc, type VarDesc } from '../../src/static';
import { attr } from '../../src/static/passes/graph';
import { PROGRAM_ONLY, programOnly, prng, syntheticParams } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-passes-'));
  seed(11);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Gives every batch norm statistics and affine parameters far from the identity. */
function perturbNorms(layer: nn.Layer): void {
  for (const l of layer.sublayers()) {
    if (!(l instanceof nn.BatchNorm2D)) continue;
    const c = l._mean.shape[0]!;
    engine.noGrad(() => {
      engine.assignInPlace(l._mean, uniform([c], { min: -0.5, max: 0.5 }));
      engine.assignInPlace(l._variance, uniform([c], { min: 0.2, max: 2 }));
      engine.assignInPlace(l.weight!, uniform([c], { min: 0.5, max: 1.5 }));
      engine.assignInPlace(l.bias!, uniform([c], { min: -0.3, max: 0.3 }));
    });
  }
}

function convBn(cin: number, cout: number, k: number, stride = 1, groups = 1): nn.Layer[] {
  return [new nn.Conv2D(cin, cout, k, { stride, padding: (k - 1) / 2, groups, biasAttr: false }), new nn.BatchNorm2D(cout)];
}

class Bottleneck extends nn.Layer {
  a: nn.Sequential;
  b: nn.Sequential;
  c: nn.Sequential;
  short: nn.Sequential | null;
  constructor(stride: number) {
    super();
    this.a = new nn.Sequential(...convBn(16, 8, 1), new nn.ReLU());
    this.b = new nn.Sequential(...convBn(8, 8, 3, stride), new nn.ReLU());
    this.c = new nn.Sequential(...convBn(8, 16, 1));
    this.short = stride === 1 ? null : new nn.Sequential(...convBn(16, 16, 1, stride));
  }
  override forward(x: Tensor): Tensor {
    const y = this.c.call(this.b.call(this.a.call(x)));
    return relu(add(y, this.short ? this.short.call(x) : x));
  }
}

/** Every fusion pattern: conv-BN-activation chains, bias convs, residual blocks, depthwise. */
class Net extends nn.Layer {
  stem = new nn.Sequential(...convBn(3, 16, 3, 2), new nn.ReLU());
  block1 = new Bottleneck(1);
  block2 = new Bottleneck(2);
  dw = new nn.Sequential(...convBn(16, 16, 3, 1, 16), new nn.ReLU6());
  hs = new nn.Sequential(...convBn(16, 24, 1), new nn.Hardswish());
  biased = new nn.Conv2D(24, 8, 3, { padding: 1 });
  leaky = new nn.LeakyReLU(0.1);
  sw = new nn.Sequential(new nn.Conv2D(8, 8, 1), new nn.Swish());
  sg = new nn.Sequential(new nn.Conv2D(8, 8, 1), new nn.Sigmoid());
  th = new nn.Sequential(new nn.Conv2D(8, 3, 3, { padding: 1 }), new nn.Tanh());
  override forward(x: Tensor): Tensor {
    let y = this.block2.call(this.block1.call(this.stem.call(x)));
    y = this.hs.call(this.dw.call(y));
    y = this.leaky.call(this.biased.call(y));
    return this.th.call(this.sg.call(this.sw.call(y)));
  }
}

/** Runs a saved model through a predictor; the outputs and the predictor's pass record. */
function predict(prefix: string, x: Tensor, setup: (c: Config) => void = () => {}): { outs: Float32Array[]; passes: Record<string, number>; steps: number } {
  const c = new Config(prefix);
  setup(c);
  const p = createPredictor(c);
  try {
    const h = p.getInputHandle(p.getInputNames()[0]!);
    h.reshape(x.shape);
    h.copyFromCpu(x.dataSync());
    p.run();
    p.run(); // a second run reuses the cached (reordered) filters
    const outs = p.getOutputNames().map((n) => p.getOutputHandle(n).copyToCpu() as Float32Array);
    return { outs, passes: Object.fromEntries(p.passes.map((q) => [q.pass, q.fused])), steps: p.executor.numSteps };
  } finally {
    p.dispose();
  }
}

function relError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

const NO_FC = {
  simplify_with_basic_ops_pass: 0,
  map_matmul_v2_to_mul_pass: 0,
  map_matmul_to_mul_pass: 0,
  fc_fuse_pass: 0,
  fc_act_mkldnn_fuse_pass: 0,
  fc_elementwise_add_mkldnn_fuse_pass: 0,
};

/** A transformer-like block: every fully connected pattern, both dropout forms, a fetched product. */
class Mlp extends nn.Layer {
  inp = new nn.Linear(12, 32);
  drop = new nn.Dropout(0.1);
  mid = new nn.Linear(32, 32);
  norm = new nn.LayerNorm(32);
  tanhHead = new nn.Linear(32, 8);
  reluHead = new nn.Linear(32, 8);
  plainHead = new nn.Linear(32, 8);
  downscale = new nn.Dropout(0.25, { mode: 'downscale_in_infer' });
  noBias = new nn.Linear(32, 8, { biasAttr: false });
  override forward(x: Tensor): Tensor[] {
    const h = gelu(this.inp.call(x));
    const n = this.norm.call(add(h, this.drop.call(this.mid.call(h))));
    const heads = add(add(tanh(this.tanhHead.call(n)), relu(this.reluHead.call(n))), this.plainHead.call(n));
    return [add(this.downscale.call(heads), this.noBias.call(n)), this.noBias.call(h.slice([0], [0], [1]).reshape([-1, 32]))];
  }
}

describe('fully connected inference passes', () => {
  let prefix: string;
  let x: Tensor;
  beforeAll(() => {
    const net = new Mlp();
    net.eval();
    prefix = path.join(dir, 'mlp');
    jit.save(net, prefix, [new InputSpec([-1, 5, 12], 'float32', 'x')]);
    x = engine.keep(randn([3, 5, 12]));
  });
  afterAll(() => x.dispose());

  it.each([
    ['with oneDNN', true],
    ['without oneDNN', false],
  ])('give the unfused results %s', (_what, dnnl) => {
    const prev = setDnnlEnabled(dnnl);
    try {
      const plain = predict(prefix, x, (c) => c.switchIrOptim(false));
      const fused = predict(prefix, x);
      expect(fused.passes).toMatchObject({
        // both dropouts: one removed, one a scale
        simplify_with_basic_ops_pass: 2,
        // every Linear (the last one on a 2-D input)
        map_matmul_v2_to_mul_pass: 7,
        map_matmul_to_mul_pass: 0,
        // the five with a bias (the relu after reluHead's included)
        fc_fuse_pass: 5,
        // gelu, tanh
        fc_act_mkldnn_fuse_pass: 2,
        // mid's residual, plainHead's sum
        fc_elementwise_add_mkldnn_fuse_pass: 2,
      });
      // removed: 1 dropout; 5 bias adds and a relu; gelu and tanh; 2 adds
      expect(fused.steps).toBe(plain.steps - 1 - 6 - 2 - 2);
      fused.outs.forEach((o, i) => expect(relError(o, plain.outs[i]!)).toBeLessThan(2e-6));
    } finally {
      setDnnlEnabled(prev);
    }
  });

  it('leave alone a product read twice and an fc result that is also an output', () => {
    class Shared extends nn.Layer {
      w = this.createParameter([12, 16]);
      b = this.createParameter([16], { isBias: true });
      head = new nn.Linear(12, 16);
      drop = new nn.Dropout(0.2);
      override forward(x: Tensor): Tensor[] {
        const y = x.matmul(this.w); // read by the bias add and by relu: no fc
        const h = this.head.call(x); // fetched and also fed to gelu: no activation fusion
        // jit.save puts a scale before each fetch, so the dropout still goes.
        return [add(add(y, this.b), relu(y)), h, gelu(h), this.drop.call(x)];
      }
    }
    const net = new Shared();
    net.eval();
    const p = path.join(dir, 'shared');
    jit.save(net, p, [new InputSpec([-1, 12], 'float32', 'x')]);
    const xs = engine.keep(randn([4, 12]));
    const plain = predict(p, xs, (c) => c.switchIrOptim(false));
    const fused = predict(p, xs);
    xs.dispose();
    expect(fused.passes).toMatchObject({
      simplify_with_basic_ops_pass: 1,
      map_matmul_v2_to_mul_pass: 2,
      fc_fuse_pass: 1,
      fc_act_mkldnn_fuse_pass: 0,
      fc_elementwise_add_mkldnn_fuse_pass: 0,
    });
    expect(fused.steps).toBe(plain.steps - 2);
    fused.outs.forEach((o, i) => expect(relError(o, plain.outs[i]!)).toBeLessThan(2e-6));
  });

  it('simplify_with_basic_ops_pass keeps a dropout whose output or input is written again', () => {
    const op = (type: string, x: string, out: string, attrs: OpDesc['attrs'] = {}): OpDesc => ({ type, inputs: { X: [x] }, outputs: { Out: [out] }, attrs });
    const drop = (x: string, out: string): OpDesc => op('dropout', x, out, { is_test: attr.bool(true), dropout_implementation: attr.str('upscale_in_train') });
    const run = (ops: OpDesc[]): string[] => {
      const vars = new Map(['a', 'b', 'c', 'd'].map((name): [string, VarDesc] => [name, { name, kind: VarKind.LOD_TENSOR, dims: [2], lodLevel: 0, persistable: false, needCheckFeed: false }]));
      const program: ProgramDesc = { blocks: [{ idx: 0, parentIdx: -1, vars, ops, forwardBlockIdx: -1 }], opVersions: {} };
      return optimizeProgram(program, new Map()).program.blocks[0]!.ops.map((o) => `${o.type}(${o.inputs.X}) -> ${o.outputs.Out}`);
    };
    // Removed: its reader reads its input.
    expect(run([drop('a', 'b'), op('relu', 'b', 'c')])).toEqual(['relu(a) -> c']);
    // Output written again later: readers of the two values must not merge.
    expect(run([drop('a', 'b'), op('relu', 'b', 'c'), op('tanh', 'c', 'b'), op('relu', 'b', 'd')])).toEqual([
      'dropout(a) -> b',
      'relu(b) -> c',
      'tanh(c) -> b',
      'relu(b) -> d',
    ]);
    // Input written again before the output's last reader.
    expect(run([drop('a', 'b'), op('tanh', 'c', 'a'), op('relu', 'b', 'd')])).toEqual(['dropout(a) -> b', 'tanh(c) -> a', 'relu(b) -> d']);
  });

  it('a fused program trains: the fc gradient is the unfused layers\'', () => {
    const xi = randn([4, 6]);
    const w = randn([6, 5]);
    const b = randn([5]);
    const r = randn([4, 5]);
    for (const t of [xi, w, b, r]) t.stopGradient = false;
    const fused = engine.runOp('fc', { Input: xi, W: w, Bias: b, ResidualData: r }, { activation_type: 'gelu', fuse_residual_connection: true }).Out as Tensor;
    const grads = (out: Tensor): Float32Array[] => {
      for (const t of [xi, w, b, r]) t.clearGradient();
      out.multiply(uniform(out.shape, { min: -1, max: 1 })).sum().backward();
      return [xi, w, b, r].map((t) => t.grad!.dataSync() as Float32Array);
    };
    seed(3);
    const got = grads(fused);
    seed(3);
    const want = grads(gelu(add(add(xi.matmul(w), b), r)));
    got.forEach((g, i) => expect(relError(g, want[i]!)).toBeLessThan(1e-5));
  });
});

describe('inference passes', () => {
  let prefix: string;
  let x: Tensor;
  beforeAll(() => {
    const net = new Net();
    perturbNorms(net);
    net.eval();
    prefix = path.join(dir, 'net');
    jit.save(net, prefix, [new InputSpec([-1, 3, 16, 16], 'float32', 'image')]);
    x = engine.keep(randn([2, 3, 16, 16]));
  });
  afterAll(() => x.dispose());

  it.each([
    ['with oneDNN', true],
    ['without oneDNN', false],
  ])('give the unfused results %s, fusing every pattern', (_what, dnnl) => {
    const prev = setDnnlEnabled(dnnl);
    try {
      const plain = predict(prefix, x, (c) => c.switchIrOptim(false));
      const fused = predict(prefix, x);
      expect(plain.passes).toEqual({});
      expect(fused.passes).toEqual({
        conv_eltwiseadd_bn_fuse_pass: 0,
        // stem, 3 + 3 + shortcut in the blocks, depthwise, hard_swish conv
        conv_bn_fuse_pass: 10,
        // the four convolutions with a bias of their own
        conv_bias_mkldnn_fuse_pass: 4,
        conv_elementwise_add_mkldnn_fuse_pass: 2,
        // stem, 2 + 2 in the blocks, the blocks' outputs, relu6, hard_swish, leaky, swish, sigmoid, tanh
        conv_activation_mkldnn_fuse_pass: 13,
        ...NO_FC,
      });
      expect(fused.steps).toBe(plain.steps - 10 - 4 - 2 - 13);
      expect(relError(fused.outs[0]!, plain.outs[0]!)).toBeLessThan(1e-5);
    } finally {
      setDnnlEnabled(prev);
    }
  });

  it('a deleted pass does not run, an unknown one is an error naming the passes', () => {
    const r = predict(prefix, x, (c) => c.deletePass('conv_activation_mkldnn_fuse_pass'));
    expect(r.passes.conv_activation_mkldnn_fuse_pass).toBeUndefined();
    expect(r.passes.conv_bn_fuse_pass).toBe(10);
    expect(() => predict(prefix, x, (c) => c.deletePass('conv_bn_fuse'))).toThrow(
      `unknown inference pass "conv_bn_fuse" (passes: ${INFERENCE_PASS_NAMES.join(', ')})`,
    );
  });

  it('leave the loaded program alone and retire only parameters no op reads any more', () => {
    const model = loadInferenceModel(prefix);
    const before = model.program.blocks[0]!.ops.length;
    const names = [...model.params.keys()];
    const opt = optimizeProgram(model.program, model.params);
    expect(model.program.blocks[0]!.ops.length).toBe(before);
    const read = new Set(opt.program.blocks[0]!.ops.flatMap((o) => Object.values(o.inputs).flat()));
    for (const name of opt.params.keys()) expect(read.has(name)).toBe(true);
    for (const name of names) {
      const t = model.params.get(name)!;
      expect(t.isDisposed).toBe(!opt.params.has(name));
    }
    for (const t of opt.params.values()) t.dispose();
  });

  it('do not fuse an intermediate that is fetched or read twice', () => {
    class Taps extends nn.Layer {
      conv = new nn.Conv2D(3, 8, 3, { padding: 1, biasAttr: false });
      bn = new nn.BatchNorm2D(8);
      conv2 = new nn.Conv2D(8, 8, 1, { biasAttr: false });
      override forward(input: Tensor): Tensor[] {
        const y = this.bn.call(this.conv.call(input)); // fetched and read by relu: the BN folds, relu stays
        const z = this.conv2.call(relu(y));
        return [y, relu(add(z, z))]; // the conv's output read twice by one add: no residual fusion
      }
    }
    const net = new Taps();
    perturbNorms(net);
    const p = path.join(dir, 'taps');
    jit.save(net, p, [new InputSpec([-1, 3, 6, 6], 'float32', 'image')]);
    const xs = engine.keep(randn([2, 3, 6, 6]));
    const plain = predict(p, xs, (c) => c.switchIrOptim(false));
    const fused = predict(p, xs);
    xs.dispose();
    expect(fused.passes).toMatchObject({ conv_bn_fuse_pass: 1, conv_elementwise_add_mkldnn_fuse_pass: 0, conv_activation_mkldnn_fuse_pass: 0 });
    fused.outs.forEach((o, i) => expect(relError(o, plain.outs[i]!)).toBeLessThan(1e-5));
    const prog = decodeProgram(new Uint8Array(fs.readFileSync(`${p}.pdmodel`)), p);
    expect(prog.blocks[0]!.ops.filter((o) => o.type === 'relu').length).toBe(2);
  });

  it('the fused form has no gradient: training through it is a clear error', () => {
    const input = randn([1, 3, 4, 4]);
    const w = randn([4, 3, 3, 3]);
    w.stopGradient = false;
    const b = randn([4]);
    const out = engine.runOp('conv2d', { Input: input, Filter: w, Bias: b }, { paddings: [1, 1], fuse_activation: 'relu' }).Output as Tensor;
    expect(() => out.sum().backward()).toThrow(/conv2d: the fused form \(Bias, ResidualData, fuse_activation\) is for inference only/);
    expect(() => conv2d(input, w)).not.toThrow();
  });
});

describe('inference passes on real Paddle programs (stand-in weights)', () => {
  // The quantized ResNet50 dequantizes every convolution's result before its (already folded)
  // bias add: nothing there may be fused.
  const cases: [keyof typeof PROGRAM_ONLY, number[], boolean][] = [
    ['resnet50', [1, 3, 64, 64], true],
    ['mobilenetV1', [1, 3, 64, 64], true],
    ['resnet50Int8', [1, 3, 64, 64], false],
    ['x2paddleMobilenetV2', [1, 3, 224, 224], true],
    ['mobilenetV2', [1, 3, 64, 64], true],
    ['ppocrV3', [1, 3, 48, 160], true],
  ];
  for (const [key, inShape, fuses] of cases) {
    it(`${PROGRAM_ONLY[key]}: the optimized program gives the stored program's outputs`, () => {
      const { program, file } = programOnly(PROGRAM_ONLY[key]);
      const params = syntheticParams(program);
      const rand = prng(5);
      const x = engine.fromArray(Float32Array.from({ length: inShape.reduce((a, b) => a * b, 1) }, () => rand()), inShape, 'float32');
      const run = (prog: typeof program, ps: Map<string, Tensor>): Float32Array => {
        const ex = new ProgramExecutor(prog, ps, { file });
        const { outputs } = ex.run({ [ex.feeds[0]!.name]: x });
        const d = outputs[0]!.dataSync() as Float32Array;
        outputs.forEach((t) => t.dispose());
        return d;
      };
      const want = run(program, params);
      const opt = optimizeProgram(program, params);
      const got = run(opt.program, opt.params);
      expect(relError(got, want)).toBeLessThan(1e-4);
      const fused = opt.applied.reduce((n, a) => n + a.fused, 0);
      expect(opt.opsAfter).toBe(opt.opsBefore - opt.applied.reduce((n, a) => n + a.removedOps, 0));
      for (const a of opt.applied) if (a.removedOps > 0) expect(a.fused).toBeGreaterThan(0);
      if (fuses) expect(fused).toBeGreaterThan(0);
      else expect(fused).toBe(0);
      x.dispose();
      for (const t of opt.params.values()) t.dispose();
    });
  }
});
