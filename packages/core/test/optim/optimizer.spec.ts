import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { engine, memory, OpError, Parameter, tensor, type Tensor } from '../../src';
import { load, NdArray, save } from '../../src/io';
import {
  Adam,
  AdamW,
  ClipGradByGlobalNorm,
  ClipGradByNorm,
  ClipGradByValue,
  L1Decay,
  L2Decay,
  Lamb,
  lr,
  Momentum,
  RMSProp,
  SGD,
  type Optimizer,
} from '../../src/optim';
import { expectClose, lossAndBackward, makeParams, REF } from './setup';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'io');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-optim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Setup {
  opt: Optimizer;
  /** Runs after each optimizer step (a scheduler step). */
  after?: () => void;
}

/** Each reference trajectory of reference.json and how to build the same optimizer here. */
const SETUPS: Record<string, (w: Parameter, b: Parameter) => Setup> = {
  sgd: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b] }) }),
  sgd_l2: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b], weightDecay: 0.05 }) }),
  momentum: (w, b) => ({ opt: new Momentum({ learningRate: 0.05, momentum: 0.5, parameters: [w, b] }) }),
  nesterov: (w, b) => ({ opt: new Momentum({ learningRate: 0.05, momentum: 0.5, useNesterov: true, parameters: [w, b] }) }),
  momentum_l2: (w, b) => ({
    opt: new Momentum({ learningRate: 0.05, momentum: 0.5, parameters: [w, b], weightDecay: new L2Decay(0.01) }),
  }),
  adam: (w, b) => ({ opt: new Adam({ learningRate: 0.1, parameters: [w, b] }) }),
  adam_betas: (w, b) => ({ opt: new Adam({ learningRate: 0.05, beta1: 0.5, beta2: 0.75, epsilon: 1e-6, parameters: [w, b] }) }),
  adam_l2: (w, b) => ({ opt: new Adam({ learningRate: 0.1, parameters: [w, b], weightDecay: 0.02 }) }),
  adamw: (w, b) => ({ opt: new AdamW({ learningRate: 0.1, parameters: [w, b], weightDecay: 0.1 }) }),
  clip_value: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b], gradClip: new ClipGradByValue(0.3) }) }),
  rmsprop: (w, b) => ({ opt: new RMSProp({ learningRate: 0.01, rho: 0.9, epsilon: 1e-6, parameters: [w, b] }) }),
  rmsprop_centered_momentum: (w, b) => ({
    opt: new RMSProp({ learningRate: 0.01, rho: 0.9, epsilon: 1e-6, momentum: 0.5, centered: true, parameters: [w, b] }),
  }),
  lamb: (w, b) => ({ opt: new Lamb({ learningRate: 0.05, lambWeightDecay: 0.01, parameters: [w, b] }) }),
  lamb_exclude_b: (w, b) => ({
    opt: new Lamb({ learningRate: 0.05, parameters: [w, b], excludeFromWeightDecayFn: (p) => p.name === 'b' }),
  }),
  sgd_l1: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b], weightDecay: new L1Decay(0.1) }) }),
  clip_global_norm: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b], gradClip: new ClipGradByGlobalNorm(1.0) }) }),
  clip_norm: (w, b) => ({ opt: new SGD({ learningRate: 0.1, parameters: [w, b], gradClip: new ClipGradByNorm(0.5) }) }),
  sgd_step_decay: (w, b) => {
    const s = new lr.StepDecay(0.1, 2, { gamma: 0.5 });
    return { opt: new SGD({ learningRate: s, parameters: [w, b] }), after: () => s.step() };
  },
  sgd_param_lr: (w, b) => {
    w.learningRate = 2;
    return { opt: new SGD({ learningRate: 0.1, parameters: [w, b] }) };
  },
  adamw_decay_w_only: (w, b) => ({
    opt: new AdamW({ learningRate: 0.1, weightDecay: 0.1, parameters: [w, b], applyDecayParamFun: (n) => n === 'w' }),
  }),
  momentum_groups: (w, b) => ({
    opt: new Momentum({
      learningRate: 0.05,
      momentum: 0.5,
      parameters: [{ params: [w], learningRate: 0.5, momentum: 0.25 }, { params: [b] }],
    }),
  }),
};

function train(setup: (w: Parameter, b: Parameter) => Setup, steps: number, dtype: 'float32' | 'float64' = 'float32') {
  const { w, b } = makeParams(dtype);
  const { opt, after } = setup(w, b);
  const traj: { w: number[]; b: number[] }[] = [];
  for (let s = 0; s < steps; s++) {
    lossAndBackward(w, b);
    opt.step();
    opt.clearGrad();
    after?.();
    traj.push({ w: w.toFlatArray(), b: b.toFlatArray() });
  }
  return { w, b, opt, traj };
}

function release(...ts: (Tensor | Optimizer)[]): void {
  for (const t of ts) t.dispose();
}

describe('optimizers follow the reference trajectories (torch / NumPy, float32)', () => {
  it('covers every reference setup', () => {
    expect([...Object.keys(SETUPS), 'adam_float64'].sort()).toEqual(Object.keys(REF.trajectories).sort());
  });

  for (const [name, setup] of Object.entries(SETUPS)) {
    it(name, () => {
      const { w, b, opt, traj } = train(setup, REF.steps);
      REF.trajectories[name]!.forEach((want, i) => {
        expectClose(traj[i]!.w, want.w, 2e-5, 1e-6, `${name} step ${i + 1} w`);
        expectClose(traj[i]!.b, want.b, 2e-5, 1e-6, `${name} step ${i + 1} b`);
      });
      release(w, b, opt);
    });
  }

  it('float64 parameters match the float64 reference to rounding (Adam)', () => {
    // Paddle's beta1/beta2/epsilon attributes are float32 even for float64 parameters, which moves
    // the result ~1e-6 away from torch's doubles; the NumPy reference models exactly that.
    const { w, b, opt, traj } = train(SETUPS.adam!, REF.steps, 'float64');
    expect(w.dtype).toBe('float64');
    REF.trajectories.adam_float64!.forEach((want, i) => {
      expectClose(traj[i]!.w, want.w, 1e-12, 1e-14, `adam float64 step ${i + 1} w`);
      expectClose(traj[i]!.b, want.b, 1e-12, 1e-14, `adam float64 step ${i + 1} b`);
    });
    release(w, b, opt);
  });
});

describe('optimizer behaviour', () => {
  // Past 16384 elements Adam/AdamW run as native vector passes; they must follow the definition.
  for (const decay of [0, 0.01]) {
    it(`${decay ? 'adamw' : 'adam'} on a large float32 tensor`, () => {
      const n = 40000;
      const p0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const m0 = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 0.1);
      const v0 = Float32Array.from({ length: n }, (_, i) => 0.01 + Math.abs(Math.sin(i * 0.3)) * 0.01); // away from 0: m/√v stays well conditioned
      const g0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 0.5);
      const [lr, b1, b2, eps, b1p, b2p] = [0.01, 0.9, 0.999, 1e-8, 0.9 ** 3, 0.999 ** 3].map(Math.fround) as number[];
      const inputs = {
        Param: tensor(p0),
        Grad: tensor(g0),
        Moment1: tensor(m0),
        Moment2: tensor(v0),
        LearningRate: tensor([lr!]),
        Beta1Pow: tensor([b1p!]),
        Beta2Pow: tensor([b2p!]),
      };
      const attrs = { beta1: b1!, beta2: b2!, epsilon: eps!, ...(decay ? { coeff: decay, with_decay: true } : {}) };
      const out = engine.runOp(decay ? 'adamw' : 'adam', inputs, attrs);
      const p = (out.ParamOut as Tensor).dataSync() as Float32Array;
      const m = (out.Moment1Out as Tensor).dataSync() as Float32Array;
      const v = (out.Moment2Out as Tensor).dataSync() as Float32Array;
      const lrT = (lr! * Math.sqrt(1 - b2p!)) / (1 - b1p!);
      const epsT = eps! * Math.sqrt(1 - b2p!);
      const d = Math.fround(decay);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const a = b1! * m0[i]! + (1 - b1!) * g0[i]!;
        const b = b2! * v0[i]! + (1 - b2!) * g0[i]! * g0[i]!;
        const pi = p0[i]! * (1 - lr! * d) - lrT * (a / (Math.sqrt(b) + epsT));
        worst = Math.max(worst, Math.abs(m[i]! - a), Math.abs(v[i]! - b) * 100, Math.abs(p[i]! - pi));
      }
      expect(worst).toBeLessThan(2e-6);
    });
  }

  // Past 16384 elements the update runs as OpenBLAS vector passes; it must follow the definition.
  for (const nesterov of [false, true]) {
    it(`momentum on a large float32 tensor (nesterov ${nesterov}, L2 decay, rescaled gradient)`, () => {
      const n = 40000;
      const p0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const v0 = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 0.1);
      const g0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 0.5);
      const [lr, mu, l2, rescale] = [0.05, 0.9, 1e-3, 0.5];
      const out = engine.runOp(
        'momentum',
        { Param: tensor(p0), Grad: tensor(g0), Velocity: tensor(v0), LearningRate: tensor([lr]) },
        { mu, use_nesterov: nesterov, regularization_method: 'l2_decay', regularization_coeff: l2, rescale_grad: rescale },
      );
      const p = (out.ParamOut as Tensor).dataSync() as Float32Array;
      const v = (out.VelocityOut as Tensor).dataSync() as Float32Array;
      const [f, m, d, r] = [Math.fround(lr), Math.fround(mu), Math.fround(l2), Math.fround(rescale)];
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const gi = r * g0[i]! + d * p0[i]!;
        const vi = v0[i]! * m + gi;
        const pi = nesterov ? p0[i]! - (gi + vi * m) * f : p0[i]! - f * vi;
        worst = Math.max(worst, Math.abs(v[i]! - vi), Math.abs(p[i]! - pi));
      }
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it('updates parameters in place through the Paddle operator', () => {
    const { w, b } = makeParams();
    const v0 = w._version;
    const storage = w._storage;
    const opt = new SGD({ learningRate: 0.1, parameters: [w, b] });
    lossAndBackward(w, b);
    opt.step();
    expect(w._version).toBeGreaterThan(v0);
    expect(w._storage).toBe(storage);
    const out = engine.runOp('sgd', { Param: w, LearningRate: tensor([0]), Grad: w.grad! });
    expect(out.ParamOut).toBe(w);
    release(w, b, opt);
  });

  it('creates nothing that outlives a step except the accumulators', () => {
    const { w, b } = makeParams();
    const opt = new Adam({ learningRate: 0.01, parameters: [w, b], gradClip: new ClipGradByGlobalNorm(1), weightDecay: 0.1 });
    lossAndBackward(w, b);
    opt.step();
    const after1 = memory().numTensors;
    for (let i = 0; i < 3; i++) {
      opt.step();
      expect(memory().numTensors).toBe(after1);
    }
    expect(Object.keys(opt.stateDict())).toHaveLength(8);
    release(w, b, opt);
  });

  it('skips frozen parameters and parameters without a gradient', () => {
    const { w, b } = makeParams();
    const frozen = Parameter.from(tensor([1, 2]), 'frozen', false);
    const noGrad = Parameter.from(tensor([3]), 'unused');
    frozen.grad = engine.keep(tensor([5, 5]));
    const opt = new Adam({ learningRate: 0.1, parameters: [w, frozen, b, noGrad] });
    lossAndBackward(w, b);
    opt.step();
    expect(frozen.toArray()).toEqual([1, 2]);
    expect(noGrad.toArray()).toEqual([3]);
    expect(Object.keys(opt.stateDict()).filter((k) => k.startsWith('frozen') || k.startsWith('unused'))).toEqual([]);
    expect(w.toFlatArray()).not.toEqual(REF.init.w);
    release(w, b, frozen, noGrad, opt);
  });

  it("a parameter's own regularizer overrides the optimizer's weightDecay", () => {
    const { w, b } = makeParams();
    b.regularizer = new L1Decay(0.5);
    const opt = new SGD({ learningRate: 1, parameters: [w, b], weightDecay: 0.1 });
    lossAndBackward(w, b);
    const gb = b.grad!.toFlatArray();
    const gw = w.grad!.toFlatArray();
    opt.step();
    expectClose(b.toFlatArray(), REF.init.b.map((x, i) => x - (gb[i]! + 0.5 * Math.sign(x))), 1e-6, 1e-7, 'b (L1 from ParamAttr)');
    expectClose(w.toFlatArray(), REF.init.w.map((x, i) => x - (gw[i]! + 0.1 * x)), 1e-6, 1e-7, 'w (optimizer L2)');
    release(w, b, opt);
  });

  it('Momentum fuses L2 decay into the momentum operator', () => {
    const { w, b } = makeParams();
    const seen: Record<string, unknown>[] = [];
    const off = engine.addOpListener((type, _i, attrs) => {
      if (type === 'momentum') seen.push(attrs);
    });
    const opt = new Momentum({ learningRate: 0.1, parameters: [w, b], weightDecay: 0.01 });
    lossAndBackward(w, b);
    opt.step();
    off();
    expect(seen.map((a) => [a.regularization_method, a.regularization_coeff])).toEqual([
      ['l2_decay', 0.01],
      ['l2_decay', 0.01],
    ]);
    release(w, b, opt);
  });

  it('gradient clipping leaves parameters with needClip false alone', () => {
    const { w, b } = makeParams();
    b.needClip = false;
    const opt = new SGD({ learningRate: 1, parameters: [w, b], gradClip: new ClipGradByValue(0.01) });
    lossAndBackward(w, b);
    const gb = b.grad!.toFlatArray();
    opt.step();
    expectClose(b.toFlatArray(), REF.init.b.map((x, i) => x - gb[i]!), 1e-6, 1e-7, 'b');
    expect(Math.max(...w.toFlatArray().map((x, i) => Math.abs(x - REF.init.w[i]!)))).toBeCloseTo(0.01, 6);
    release(w, b, opt);
  });

  it('clearGrad zeroes gradients in place, or frees them', () => {
    const { w, b } = makeParams();
    const opt = new SGD({ learningRate: 0.1, parameters: [w, b] });
    lossAndBackward(w, b);
    const g = w.grad!;
    opt.clearGrad();
    expect(w.grad).toBe(g);
    expect(g.toFlatArray()).toEqual([0, 0, 0, 0, 0, 0]);
    opt.clearGrad(false);
    expect(w.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    release(w, b, opt);
  });

  it('getLr / setLr, and minimize after backward', () => {
    const { w, b } = makeParams();
    const opt = new SGD({ learningRate: 0.1, parameters: [w, b] });
    expect(opt.getLr()).toBe(0.1);
    opt.setLr(0.2);
    expect(opt.getLr()).toBe(0.2);
    lossAndBackward(w, b);
    const gw = w.grad!.toFlatArray();
    const pairs = opt.minimize(tensor([0]));
    expect(pairs.map(([p]) => p)).toEqual([w, b]);
    expectClose(w.toFlatArray(), REF.init.w.map((x, i) => x - 0.2 * gw[i]!), 1e-6, 1e-7, 'w');
    const sched = new lr.ExponentialDecay(0.5, 0.5);
    const opt2 = new SGD({ learningRate: sched, parameters: [w] });
    sched.step();
    expect(opt2.getLr()).toBe(0.25);
    expect(() => opt2.setLr(0.1)).toThrow(/comes from a ExponentialDecay; step the scheduler instead/);
    release(w, b, opt);
  });

  it('rejects bad options, naming what is wrong', () => {
    const { w, b } = makeParams();
    expect(() => new SGD({} as never)).toThrow(/SGD: parameters must be given/);
    expect(() => new SGD({ learningRate: -1, parameters: [w] })).toThrow(/learningRate must be a number >= 0 or an lr scheduler, got -1/);
    expect(() => new Adam({ parameters: [w], beta1: 1 })).toThrow(/Adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => new RMSProp({ parameters: [w] } as never)).toThrow(/RMSProp: learningRate is required/);
    expect(() => new Adam({ parameters: [{ params: [w], beta3: 1 }] })).toThrow(/parameter group 0: unknown option "beta3"/);
    expect(() => new Adam({ parameters: [{ params: [w] }, { params: [b, w] }] })).toThrow(/parameter w is also in group 0/);
    expect(() => new SGD({ parameters: [w], gradClip: {} as never })).toThrow(/gradClip must be a ClipGradByValue/);
    expect(() => new SGD({ parameters: [w], weightDecay: 'x' as never })).toThrow(/weightDecay must be a number, an L1Decay or an L2Decay/);
    expect(() => new SGD({ parameters: [w, 3 as never] })).toThrow(/parameters\[1\] is number, expected a Tensor/);
    expect(() => new ClipGradByValue(-1)).toThrow(/max must be > 0 when min is omitted/);
    expect(() => new ClipGradByGlobalNorm(0)).toThrow(/clipNorm must be a finite number > 0/);
    release(w, b);
  });
});

describe('optimizer operators reject bad inputs', () => {
  it('names the operator, the slot and what was expected', () => {
    const p = tensor([[1, 2, 3]]);
    const lr1 = tensor([0.1]);
    expect(() => engine.runOp('sgd', { Param: p, LearningRate: lr1, Grad: tensor([1, 2, 3]) })).toThrow(OpError);
    expect(() => engine.runOp('sgd', { Param: p, LearningRate: lr1, Grad: tensor([1, 2, 3]) })).toThrow(
      /sgd: input Grad must have Param's shape \[1, 3\], got \[3\]/,
    );
    expect(() => engine.runOp('sgd', { Param: p, LearningRate: tensor([0.1, 0.2]), Grad: p })).toThrow(
      /sgd: input LearningRate must hold exactly one element, got shape \[2\]/,
    );
    expect(() => engine.runOp('sgd', { Param: tensor([1], { dtype: 'int32' }), LearningRate: lr1, Grad: tensor([1], { dtype: 'int32' }) })).toThrow(
      /sgd: input Param must be a float tensor, got int32/,
    );
    expect(() =>
      engine.runOp('momentum', { Param: p, Grad: p, Velocity: tensor([[0, 0, 0]], { dtype: 'float64' }), LearningRate: lr1 }, { mu: 0.9 }),
    ).toThrow(/momentum: input Velocity must have Param's dtype float32, got float64/);
    expect(() =>
      engine.runOp('momentum', { Param: p, Grad: p, Velocity: p, LearningRate: lr1 }, { regularization_method: 'l1_decay' }),
    ).toThrow(/regularization_method must be "" or "l2_decay", got "l1_decay"/);
    expect(() =>
      engine.runOp('rmsprop', { Param: p, MeanSquare: p, Grad: p, Moment: p, LearningRate: lr1 }, { centered: true }),
    ).toThrow(/rmsprop: centered=true needs input MeanGrad/);
    expect(p.toArray()).toEqual([[1, 2, 3]]);
  });
});

describe('optimizer state dicts', () => {
  function adamWithScheduler(w: Parameter, b: Parameter) {
    const sched = new lr.CosineAnnealingDecay(0.1, 3);
    return { sched, opt: new Adam({ learningRate: sched, parameters: [w, b] }) };
  }

  function runSteps(w: Parameter, b: Parameter, opt: Optimizer, sched: lr.LRScheduler, n: number): void {
    for (let i = 0; i < n; i++) {
      lossAndBackward(w, b);
      opt.step();
      opt.clearGrad();
      sched.step();
    }
  }

  it("uses Paddle's accumulator names and order, with LR_Scheduler", () => {
    const { w, b } = makeParams();
    const { sched, opt } = adamWithScheduler(w, b);
    expect(Object.keys(opt.stateDict())).toEqual(['LR_Scheduler']);
    runSteps(w, b, opt, sched, 1);
    const sd = opt.stateDict();
    expect(Object.keys(sd)).toEqual([
      'w_moment1_0',
      'b_moment1_0',
      'w_moment2_0',
      'b_moment2_0',
      'w_beta1_pow_acc_0',
      'b_beta1_pow_acc_0',
      'w_beta2_pow_acc_0',
      'b_beta2_pow_acc_0',
      'LR_Scheduler',
    ]);
    expect(sd.LR_Scheduler).toEqual({ last_epoch: 1, last_lr: sched.lastLr });
    expect((sd.w_beta1_pow_acc_0 as Tensor).toFlatArray()[0]).toBeCloseTo(0.81, 6);
    const rms = new RMSProp({ learningRate: 0.1, parameters: [w] });
    lossAndBackward(w, b);
    rms.step();
    expect(Object.keys(rms.stateDict())).toEqual(['w_momentum_0', 'w_mean_square_0', 'w_mean_grad_0']);
    release(w, b, opt, rms);
  });

  it('numbers accumulators of same-named parameters as Paddle does (_0, _1)', () => {
    const p1 = Parameter.from(tensor([1, 2]), 'fc.w');
    const p2 = Parameter.from(tensor([3]), 'fc.w');
    const opt = new Momentum({ learningRate: 0.1, parameters: [p1, p2] });
    p1.grad = engine.keep(tensor([1, 1]));
    p2.grad = engine.keep(tensor([1]));
    opt.step();
    expect(Object.keys(opt.stateDict())).toEqual(['fc.w_velocity_0', 'fc.w_velocity_1']);
    expect((opt.stateDict()['fc.w_velocity_1'] as Tensor).shape).toEqual([1]);
    release(p1, p2, opt);
  });

  it('saved to .pdopt and restored, training resumes exactly where it stopped', () => {
    // Uninterrupted: 5 steps.
    const ref = makeParams();
    const r = adamWithScheduler(ref.w, ref.b);
    runSteps(ref.w, ref.b, r.opt, r.sched, 5);

    // Interrupted after 2 steps: save parameters and optimizer, rebuild everything, load, go on.
    const a = makeParams();
    const first = adamWithScheduler(a.w, a.b);
    runSteps(a.w, a.b, first.opt, first.sched, 2);
    save({ w: a.w, b: a.b }, path.join(tmp, 'model.pdparams'));
    save(first.opt.stateDict(), path.join(tmp, 'model.pdopt'));

    const c = makeParams();
    const params = load(path.join(tmp, 'model.pdparams')) as Record<string, Tensor>;
    engine.assignInPlace(c.w, params.w!);
    engine.assignInPlace(c.b, params.b!);
    const second = adamWithScheduler(c.w, c.b);
    const state = load(path.join(tmp, 'model.pdopt')) as Record<string, Tensor>;
    second.opt.setStateDict(state);
    expect(second.sched.lastEpoch).toBe(2);
    runSteps(c.w, c.b, second.opt, second.sched, 3);

    expect(c.w.toFlatArray()).toEqual(ref.w.toFlatArray());
    expect(c.b.toFlatArray()).toEqual(ref.b.toFlatArray());
    expect(second.sched.lastLr).toBe(r.sched.lastLr);
    release(ref.w, ref.b, a.w, a.b, c.w, c.b, r.opt, first.opt, second.opt);
    Object.values(state).forEach((t) => typeof t.dispose === 'function' && t.dispose());
  });

  it('restores into existing accumulators in place (tensors keep their identity)', () => {
    const { w, b } = makeParams();
    const opt = new Momentum({ learningRate: 0.1, parameters: [w, b] });
    lossAndBackward(w, b);
    opt.step();
    const vel = opt.stateDict().w_velocity_0 as Tensor;
    opt.setStateDict({ w_velocity_0: new NdArray('float32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6])), b_velocity_0: tensor([7, 8, 9]) });
    expect(opt.stateDict().w_velocity_0).toBe(vel);
    expect(vel.toFlatArray()).toEqual([1, 2, 3, 4, 5, 6]);
    release(w, b, opt);
  });

  it('loads the .pdopt fixture written in the layout of paddle.save', () => {
    const w = Parameter.from(tensor(new Float32Array(12), { shape: [4, 3] }), 'linear_0.w_0');
    const b = Parameter.from(tensor(new Float32Array(3)), 'linear_0.b_0');
    const sched = new lr.StepDecay(0.001, 10);
    const opt = new Adam({ learningRate: sched, parameters: [w, b] });
    const state = load(path.join(FIXTURES, 'adam.pdopt'), { returnNumpy: true }) as Record<string, NdArray>;
    opt.setStateDict(state);
    expect(sched.lastEpoch).toBe(3);
    expect(sched.lastLr).toBe(0.0005);
    w.grad = engine.keep(tensor(new Float32Array(12).fill(0.1), { shape: [4, 3] }));
    b.grad = engine.keep(tensor([0.1, 0.1, 0.1]));
    opt.step();
    const sd = opt.stateDict();
    // The moments continue from the file's: m1 = 0.9·m1 + 0.1·g.
    const m1 = state['linear_0.w_0_moment1_0']!.data as Float32Array;
    expectClose((sd['linear_0.w_0_moment1_0'] as Tensor).toFlatArray(), Array.from(m1, (x) => 0.9 * x + 0.1 * 0.1), 1e-6, 1e-7, 'moment1');
    expectClose((sd['linear_0.w_0_beta1_pow_acc_0'] as Tensor).toFlatArray(), [0.9 ** 4], 1e-6, 0, 'beta1 pow');
    release(w, b, opt);
  });

  it('rejects a bad state dict as a whole, changing nothing', () => {
    const { w, b } = makeParams();
    const sched = new lr.StepDecay(0.1, 2);
    const opt = new Momentum({ learningRate: sched, parameters: [w, b] });
    lossAndBackward(w, b);
    opt.step();
    const before = (opt.stateDict().w_velocity_0 as Tensor).toFlatArray();
    const good = { LR_Scheduler: { last_epoch: 5, last_lr: 0.01 }, w_velocity_0: tensor(new Float32Array(6), { shape: [2, 3] }) };
    expect(() => opt.setStateDict({ ...good, b_velocity_0: tensor([1, 2]) })).toThrow(
      /Momentum\.setStateDict: nothing was loaded:\n {2}"b_velocity_0": shape \[2\] in the state dict, \[3\] expected/,
    );
    expect(() => opt.setStateDict({ w_velocity_0: good.w_velocity_0, b_velocity_0: tensor([1, 2, 3]) })).toThrow(
      /has no "LR_Scheduler" entry for the StepDecay learning-rate scheduler/,
    );
    expect(() => opt.setStateDict({ ...good, LR_Scheduler: { last_epoch: 1.5, last_lr: 0.1 } })).toThrow(/"last_epoch" must be an integer/);
    expect(() => opt.setStateDict({ ...good })).toThrow(/no entry "b_velocity_0" for the velocity of parameter b/);
    expect(() => opt.setStateDict({ LR_Scheduler: good.LR_Scheduler, x_velocity_0: tensor([1]) })).toThrow(
      /none of its 1 arrays belongs to this optimizer's parameters \(expected names like "w_velocity_0"\)/,
    );
    expect((opt.stateDict().w_velocity_0 as Tensor).toFlatArray()).toEqual(before);
    expect(sched.lastEpoch).toBe(0);
    release(w, b, opt);
  });

  it('a loaded state missing an accumulator fails at step before updating any parameter', () => {
    const { w, b } = makeParams();
    const opt = new Adam({ learningRate: 0.1, parameters: [w, b] });
    opt.setStateDict({
      w_moment1_0: tensor(new Float32Array(6), { shape: [2, 3] }),
      w_moment2_0: tensor(new Float32Array(6), { shape: [2, 3] }),
      w_beta1_pow_acc_0: tensor([0.9]),
      w_beta2_pow_acc_0: tensor([0.999]),
    });
    lossAndBackward(w, b);
    expect(() => opt.step()).toThrow(/Adam\.step: the state dict given to setStateDict has no "b_moment1_0" \(the moment1 of parameter b\); no parameter was updated/);
    expect(w.toFlatArray()).toEqual(Array.from(new Float32Array(REF.init.w)));
    release(w, b, opt);
  });
});
