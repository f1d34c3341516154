import {
  OpError,
  arange,
  backward,
  bernoulli,
  dropout,
  engine,
  eye,
  linspace,
  normal,
  rand,
  randint,
  randn,
  randperm,
  seed,
  standardNormal,
  sum,
  tensor,
  uniform,
  type Tensor,
} from '../src';
import { philoxNormal, philoxUniform } from '../src/random/philox';

const N = 100_000;

function stats(t: Tensor): { mean: number; variance: number; min: number; max: number } {
  const d = t.toFlatArray();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / d.length;
  let q = 0;
  for (const v of d) q += (v - mean) ** 2;
  return { mean, variance: q / d.length, min, max };
}

// Bounds below are several standard errors wide (1e5 draws), so they do not flake.
describe('random distributions over 1e5 draws', () => {
  it('rand: uniform on [0, 1)', () => {
    const s = stats(rand([N]));
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s.variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('uniform: [min, max) in float64', () => {
    const t = uniform([400, 250], { min: -3, max: 5, dtype: 'float64' });
    expect(t.dtype).toBe('float64');
    expect(t.shape).toEqual([400, 250]);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(5);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.04);
    expect(Math.abs(s.variance - 64 / 12)).toBeLessThan(0.12);
  });

  it('randn / standardNormal / normal: moments of N(mean, std²)', () => {
    for (const t of [randn([N]), standardNormal([N])]) {
      const s = stats(t);
      expect(Math.abs(s.mean)).toBeLessThan(0.015);
      expect(Math.abs(s.variance - 1)).toBeLessThan(0.03);
    }
    const s = stats(normal(3, 2, [N]));
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(s.variance - 4)).toBeLessThan(0.12);
  });

  it('normal with tensor parameters draws element-wise', () => {
    const mean = tensor(Array.from({ length: N }, (_, i) => (i % 2 ? 10 : -10)));
    const out = normal(mean, 0.5).toFlatArray();
    const odd = out.filter((_, i) => i % 2 === 1);
    const even = out.filter((_, i) => i % 2 === 0);
    expect(Math.abs(odd.reduce((a, b) => a + b) / odd.length - 10)).toBeLessThan(0.02);
    expect(Math.abs(even.reduce((a, b) => a + b) / even.length + 10)).toBeLessThan(0.02);
  });

  it('truncated_gaussian_random stays within 2 std with the truncated variance', () => {
    const t = engine.runOp('truncated_gaussian_random', {}, { shape: [N], mean: 1, std: 3 }).Out as Tensor;
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(1 - 6);
    expect(s.max).toBeLessThanOrEqual(1 + 6);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.05);
    // Var of N(0,1) truncated to [-2, 2]: 1 - 4 φ(2) / (Φ(2) - Φ(-2)) = 0.7737
    expect(Math.abs(s.variance / 9 - 0.77374)).toBeLessThan(0.02);
  });

  it('randint covers [low, high) evenly', () => {
    const t = randint(-3, 4, [N]);
    expect(t.dtype).toBe('int64');
    const counts = new Map<number, number>();
    for (const v of t.toFlatArray()) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c / N - 1 / 7)).toBeLessThan(0.01);
    const small = randint(5, undefined, [1000], { dtype: 'int32' });
    expect(small.dtype).toBe('int32');
    expect(Math.min(...small.toFlatArray())).toBe(0);
    expect(Math.max(...small.toFlatArray())).toBe(4);
  });

  it('randperm is a permutation', () => {
    const p = randperm(1000).toFlatArray();
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('bernoulli hits with probability x', () => {
    const s = stats(bernoulli(tensor(new Float32Array(N).fill(0.3))));
    expect(Math.abs(s.mean - 0.3)).toBeLessThan(0.01);
    expect(new Set(bernoulli(tensor([0.5, 0.5, 0.5, 0.5])).toFlatArray()).size).toBeLessThanOrEqual(2);
  });
});

describe('dropout', () => {
  const x = tensor(new Float32Array(N).fill(2));

  it('in inference form draws no random numbers (the stream is where it was, as in Paddle)', () => {
    seed(1);
    const before = engine.getRngState().offset;
    dropout(x, 0.5, { training: false });
    expect(engine.getRngState().offset).toBe(before);
    dropout(x, 0.5);
    expect(engine.getRngState().offset).toBeGreaterThan(before);
  });

  it('upscale_in_train keeps 1 - p of the elements and scales them by 1 / (1 - p)', () => {
    const out = dropout(x, 0.3).toFlatArray();
    const kept = out.filter((v) => v !== 0);
    expect(Math.abs(kept.length / N - 0.7)).toBeLessThan(0.01);
    expect(kept.every((v) => Math.abs(v - 2 / 0.7) < 1e-5)).toBe(true);
  });

  it('downscale_in_infer keeps elements unscaled in training and scales by 1 - p at inference', () => {
    const out = dropout(x, 0.4, { mode: 'downscale_in_infer' }).toFlatArray();
    const kept = out.filter((v) => v !== 0);
    expect(Math.abs(kept.length / N - 0.6)).toBeLessThan(0.01);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(dropout(tensor([1, 2]), 0.4, { mode: 'downscale_in_infer', training: false }).toFlatArray()).toEqual([
      Math.fround(0.6),
      Math.fround(1.2),
    ]);
    expect(dropout(tensor([1, 2]), 0.4, { training: false }).toFlatArray()).toEqual([1, 2]);
  });

  it('returns the mask as uint8 and routes the gradient through it', () => {
    const xs = tensor(new Float32Array(1000).fill(1), { stopGradient: false });
    const r = engine.runOp('dropout', { X: xs }, { dropout_prob: 0.5, dropout_implementation: 'upscale_in_train' });
    const mask = r.Mask as Tensor;
    expect(mask.dtype).toBe('uint8');
    backward(sum(r.Out as Tensor));
    const m = mask.toFlatArray();
    expect(xs.grad!.toFlatArray()).toEqual(m.map((v) => v * 2));
  });

  it('with axis, one draw per position of the axis is shared along the others', () => {
    const t = tensor(new Float32Array(200 * 30).fill(1), { shape: [200, 30] });
    const out = dropout(t, 0.5, { axis: 0 }).toArray() as number[][];
    for (const row of out) expect(new Set(row).size).toBe(1);
    const keptRows = out.filter((r) => r[0] !== 0).length;
    expect(keptRows).toBeGreaterThan(60);
    expect(keptRows).toBeLessThan(140);
    expect(out.find((r) => r[0] !== 0)![0]).toBe(2);
  });

  it('rejects bad arguments', () => {
    expect(() => dropout(x, 1.5)).toThrow(/p must be a number in \[0, 1\]/);
    expect(() => engine.runOp('dropout', { X: x }, { dropout_prob: 2 })).toThrow(/dropout: attribute dropout_prob must be in \[0, 1\], got 2/);
    expect(() => engine.runOp('dropout', { X: x }, { dropout_implementation: 'sometimes' })).toThrow(/dropout_implementation must be/);
    expect(() => engine.runOp('dropout', { X: tensor([1n, 2n]) })).toThrow(/dropout: input X must be a float tensor, got int64/);
  });
});

describe('random streams', () => {
  it('seed() makes draws repeat; consecutive calls draw different numbers', () => {
    seed(1234);
    const a = rand([64]).toFlatArray();
    const b = rand([64]).toFlatArray();
    seed(1234);
    expect(rand([64]).toFlatArray()).toEqual(a);
    expect(rand([64]).toFlatArray()).toEqual(b);
    expect(a).not.toEqual(b);
  });

  it('CPU draws are the philox.ts reference values at the engine offsets', () => {
    seed(2024);
    const key: [number, number] = [2024, 0];
    const u = uniform([10], { min: 0, max: 1, dtype: 'float64' }).toFlatArray();
    expect(u).toEqual(Array.from(philoxUniform(key, 0, 10)));
    // The engine reserved ceil(10 / 2) + 1 = 6 blocks for that launch.
    const z = randn([5], { dtype: 'float64' }).toFlatArray();
    expect(z).toEqual(Array.from(philoxNormal(key, 6, 5)));
    const f = rand([7]).toFlatArray();
    expect(f).toEqual(Array.from(philoxUniform(key, 6 + 4, 7), Math.fround));
  });

  it('a nonzero seed attribute fixes the stream, independent of the global generator', () => {
    seed(1);
    const a = uniform([16], { seed: 77 }).toFlatArray();
    seed(2);
    const b = uniform([16], { seed: 77 }).toFlatArray();
    expect(a).toEqual(b);
    expect(a).toEqual(Array.from(philoxUniform([77, 0], 0, 16), (v) => Math.fround(-1 + 2 * v)));
    const d1 = engine.runOp('dropout', { X: tensor(new Float32Array(32).fill(1)) }, { fix_seed: true, seed: 9 }).Mask as Tensor;
    const d2 = engine.runOp('dropout', { X: tensor(new Float32Array(32).fill(1)) }, { fix_seed: true, seed: 9 }).Mask as Tensor;
    expect(d1.toFlatArray()).toEqual(d2.toFlatArray());
  });

  it('random operators report bad attributes', () => {
    expect(() => uniform([2], { min: 1, max: 1 })).toThrow(OpError);
    expect(() => uniform([2], { min: 1, max: 1 })).toThrow(/uniform_random: attribute min \(1\) must be less than max \(1\)/);
    expect(() => randint(3, 3)).toThrow(/randint: attribute low \(3\) must be less than high \(3\)/);
    expect(() => randperm(0)).toThrow(/randperm: attribute n must be a positive integer, got 0/);
    expect(() => bernoulli(tensor([0.5, 1.5]))).toThrow(/bernoulli: input X must hold probabilities in \[0, 1\], got 1.5 at flat index 1/);
    expect(() => engine.runOp('gaussian_random', {}, { shape: [2], dtype: 3 })).toThrow(/gaussian_random: attribute dtype must be a float type, got int64/);
    expect(() => rand([2, -1])).toThrow(/invalid shape/);
  });
});

describe('ranges', () => {
  it('arange follows paddle.arange', () => {
    const a = arange(5);
    expect(a.dtype).toBe('int64');
    expect(a.toFlatArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(10, 0, -3).toFlatArray()).toEqual([10, 7, 4, 1]);
    const f = arange(0.5, 2, 0.5);
    expect(f.dtype).toBe('float32');
    expect(f.toFlatArray()).toEqual([0.5, 1, 1.5]);
    expect(arange(0, 1, 0.25, 'float64').toFlatArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(3, 3).shape).toEqual([0]);
    expect(() => arange(0, 5, 0)).toThrow(/range: input Step must be a finite nonzero number, got 0/);
    expect(() => arange(0, 5, -1)).toThrow(/range: Step -1 moves away from End/);
  });

  it('linspace includes both ends', () => {
    expect(linspace(0, 1, 5).toFlatArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const l = linspace(-1, 1, 3, 'float64');
    expect(l.dtype).toBe('float64');
    expect(l.toFlatArray()).toEqual([-1, 0, 1]);
    expect(linspace(2, 9, 1).toFlatArray()).toEqual([2]);
    expect(() => linspace(0, 1, 0)).toThrow(/num must be a positive integer/);
  });

  it('eye', () => {
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const e = eye(3, undefined, 'int64');
    expect(e.dtype).toBe('int64');
    expect(e.toFlatArray()).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(() => eye(-1)).toThrow(/eye: attribute num_rows must be a non-negative integer, got -1/);
  });
});
