import { tensor } from '../../src';
import { lr } from '../../src/optim';
import { expectClose, REF } from './setup';

const METRICS = REF.schedulers.metrics!;

/** The schedulers of reference.json, built with the same arguments here. */
const BUILD: Record<string, () => lr.LRScheduler> = {
  StepDecay: () => new lr.StepDecay(0.5, 3, { gamma: 0.5 }),
  MultiStepDecay: () => new lr.MultiStepDecay(0.5, [2, 5, 9], { gamma: 0.1 }),
  ExponentialDecay: () => new lr.ExponentialDecay(0.5, 0.8),
  CosineAnnealingDecay: () => new lr.CosineAnnealingDecay(0.5, 4, { etaMin: 0.05 }),
  LambdaDecay: () => new lr.LambdaDecay(0.5, (e) => 0.95 ** e),
  NoamDecay: () => new lr.NoamDecay(64, 4),
  PiecewiseDecay: () => new lr.PiecewiseDecay([3, 6], [1.0, 0.5, 0.1]),
  NaturalExpDecay: () => new lr.NaturalExpDecay(0.5, 0.3),
  InverseTimeDecay: () => new lr.InverseTimeDecay(0.5, 0.3),
  PolynomialDecay: () => new lr.PolynomialDecay(0.5, 5, { endLr: 0.01, power: 2 }),
  PolynomialDecayCycle: () => new lr.PolynomialDecay(0.5, 5, { endLr: 0.01, power: 2, cycle: true }),
  LinearWarmup: () => new lr.LinearWarmup(0.5, 4, 0, 0.1),
  LinearWarmupCosine: () => new lr.LinearWarmup(new lr.CosineAnnealingDecay(0.5, 4, { etaMin: 0.05 }), 3, 0, 0.5),
  ReduceOnPlateau: () => new lr.ReduceOnPlateau(0.5, { patience: 2, cooldown: 1, factor: 0.5 }),
  ReduceOnPlateauMaxAbs: () =>
    new lr.ReduceOnPlateau(0.5, { mode: 'max', patience: 1, threshold: 0.15, thresholdMode: 'abs', factor: 0.2, minLr: 0.03 }),
};

/** Steps a scheduler as the reference did; ReduceOnPlateau takes the metric (negated for max). */
function stepOnce(s: lr.LRScheduler, name: string, i: number): void {
  if (s instanceof lr.ReduceOnPlateau) s.step(name.endsWith('MaxAbs') ? -METRICS[i]! : METRICS[i]!);
  else s.step();
}

function sequence(name: string, s: lr.LRScheduler, from = 0): number[] {
  const out = from === 0 ? [s.lastLr] : [];
  const n = REF.schedulers[name]!.length - 1;
  for (let i = from; i < n; i++) {
    stepOnce(s, name, i);
    out.push(s.lastLr);
  }
  return out;
}

describe('lr schedulers match the reference sequences (torch / Paddle formulas)', () => {
  it('covers every reference scheduler', () => {
    expect(Object.keys(BUILD).sort()).toEqual(Object.keys(REF.schedulers).filter((k) => k !== 'metrics').sort());
  });

  for (const [name, build] of Object.entries(BUILD)) {
    it(name, () => {
      expectClose(sequence(name, build()), REF.schedulers[name]!, 1e-12, 1e-15, name);
    });

    it(`${name}: a state dict taken mid-way resumes the same sequence`, () => {
      const want = REF.schedulers[name]!;
      const a = build();
      for (let i = 0; i < 5; i++) stepOnce(a, name, i);
      const state = JSON.parse(JSON.stringify(a.stateDict())) as lr.SchedulerState;
      const b = build();
      b.setStateDict(state);
      expect(b.lastEpoch).toBe(a.lastEpoch);
      expectClose([b.lastLr, ...sequence(name, b, 5)], want.slice(5), 1e-12, 1e-15, `${name} resumed`);
    });
  }
});

describe('lr scheduler API', () => {
  it("uses Paddle's state keys", () => {
    expect(new lr.StepDecay(0.1, 2).stateDict()).toEqual({ last_epoch: 0, last_lr: 0.1 });
    const r = new lr.ReduceOnPlateau(1);
    expect(Object.keys(r.stateDict())).toEqual(['cooldown_counter', 'best', 'num_bad_epochs', 'last_epoch', 'last_lr']);
    expect(r.stateDict().best).toBeNull();
    const w = new lr.LinearWarmup(new lr.ExponentialDecay(0.5, 0.5), 2, 0, 0.5);
    expect(w.stateDict()).toEqual({ last_epoch: 0, last_lr: 0, LinearWarmup_LR: { last_epoch: 0, last_lr: 0.5 } });
  });

  it('step(epoch) jumps to an epoch (closed form for cosine annealing)', () => {
    const s = new lr.CosineAnnealingDecay(1, 10, { etaMin: 0 });
    s.step(5);
    expect(s.lastEpoch).toBe(5);
    expect(s.lastLr).toBeCloseTo(0.5, 12);
    const p = new lr.PiecewiseDecay([2], [1, 0.1]);
    p.step(7);
    expect(p.call()).toBe(0.1);
  });

  it('honours lastEpoch at construction', () => {
    const s = new lr.StepDecay(1, 2, { gamma: 0.5, lastEpoch: 3 });
    expect(s.lastEpoch).toBe(4);
    expect(s.lastLr).toBe(0.25);
  });

  it('ReduceOnPlateau takes a one-element tensor as the metric', () => {
    const s = new lr.ReduceOnPlateau(1, { patience: 0 });
    s.step(tensor([2]));
    s.step(tensor([3]));
    expect(s.lastLr).toBeCloseTo(0.1, 12);
    expect(() => s.step(tensor([1, 2]))).toThrow(/metrics must have one element, got shape \[2\]/);
    expect(() => (s.step as (m?: unknown) => void)('x')).toThrow(/metrics must be a number or a one-element Tensor/);
  });

  it('a user subclass only implements getLr', () => {
    class HalfEvery extends lr.LRScheduler {
      readonly every: number;
      constructor(base: number, every: number) {
        super(base);
        this.every = every;
      }
      getLr(): number {
        return this.baseLr * 0.5 ** Math.floor(this.lastEpoch / this.every);
      }
    }
    const s = new HalfEvery(0.8, 2);
    const seen = [s.lastLr];
    for (let i = 0; i < 4; i++) {
      s.step();
      seen.push(s.lastLr);
    }
    expect(seen).toEqual([0.8, 0.8, 0.4, 0.4, 0.2]);
  });

  it('rejects bad arguments and state dicts, naming what is wrong', () => {
    expect(() => new lr.StepDecay(0.1, 2, { gamma: 1 })).toThrow(/StepDecay: gamma should be < 1.0, got 1/);
    expect(() => new lr.StepDecay(0.1, 0)).toThrow(/stepSize must be a positive integer/);
    expect(() => new lr.MultiStepDecay(0.1, [3, 2])).toThrow(/milestones must be increasing, got \[3, 2\]/);
    expect(() => new lr.PiecewiseDecay([1, 2], [1, 2])).toThrow(/values needs one more entry than boundaries, got 2 values for 2 boundaries/);
    expect(() => new lr.LinearWarmup(0.1, 5, 0.2, 0.1)).toThrow(/endLr 0.1 must be greater than startLr 0.2/);
    expect(() => new lr.ReduceOnPlateau(0.1, { mode: 'mid' as 'min' })).toThrow(/mode must be "min" or "max", got "mid"/);
    expect(() => new lr.ReduceOnPlateau(0.1, { factor: 1.5 })).toThrow(/factor should be < 1.0/);
    expect(() => new lr.NoamDecay(0, 10)).toThrow(/dModel must be > 0/);
    expect(() => new lr.ExponentialDecay(-1, 0.5)).toThrow(/learningRate must be >= 0, got -1/);
    expect(() => new lr.LambdaDecay(0.1, 3 as never)).toThrow(/lrLambda must be a function/);
    const s = new lr.StepDecay(0.1, 2);
    expect(() => s.setStateDict({ last_epoch: 3 })).toThrow(/StepDecay\.setStateDict: the state dict has no "last_lr"/);
    expect(() => s.setStateDict({ last_epoch: 'x' as never, last_lr: 1 })).toThrow(/"last_epoch" must be an integer, got string x/);
    const w = new lr.LinearWarmup(new lr.StepDecay(0.1, 2), 3, 0, 0.1);
    expect(() => w.setStateDict({ last_epoch: 1, last_lr: 0.05 })).toThrow(/no "LinearWarmup_LR" for the wrapped scheduler/);
    expect(w.lastEpoch).toBe(0);
  });
});
