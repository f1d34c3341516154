import { nn, seed, tensor, memory, type Tensor } from '../../src';

const { initializer: I, Linear, Conv2D, Conv2DTranspose, Embedding, Layer } = nn;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.toFlatArray();
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
  return { mean, std, min: Math.min(...d), max: Math.max(...d) };
}

const N = [200, 100];

describe('fan computation and gains (Paddle _compute_fans / calculate_gain)', () => {
  it('treats 2-D weights as [in, out] and conv filters as [out, in, *k]', () => {
    expect(I.computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(I.computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(I.computeFans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(I.computeFans([16, 8, 3, 3])).toEqual({ fanIn: 72, fanOut: 144 });
    expect(I.computeFans([4, 2, 5])).toEqual({ fanIn: 10, fanOut: 20 });
  });

  it('gives Paddle gains', () => {
    expect(I.calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(I.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(I.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04));
    expect(I.calculateGain('selu')).toBe(0.75);
    expect(I.calculateGain('conv2d')).toBe(1);
    expect(() => I.calculateGain('swish' as never)).toThrow(/unknown nonlinearity "swish"/);
  });
});

describe('initializer distributions', () => {
  beforeAll(() => seed(2024));

  it('Constant and Assign', () => {
    expect(new I.Constant(2.5).generate([2, 2], 'float32').toArray()).toEqual([[2.5, 2.5], [2.5, 2.5]]);
    expect(new I.Constant(3).generate([2], 'int64').toArray()).toEqual([3, 3]);
    expect(new I.Assign([[1, 2], [3, 4]]).generate([2, 2], 'float64').toArray()).toEqual([[1, 2], [3, 4]]);
    expect(new I.Assign(new Float32Array([1, 2, 3, 4])).generate([2, 2], 'float32').toArray()).toEqual([[1, 2], [3, 4]]);
    expect(new I.Assign(tensor([5, 6])).generate([2], 'float64').toArray()).toEqual([5, 6]);
    expect(() => new I.Assign([[1, 2]]).generate([2, 2], 'float32')).toThrow(/Assign: value has shape \[1, 2\], the parameter has shape \[2, 2\]/);
    expect(() => new I.Assign([1, 2, 3]).generate([2, 2], 'float32')).toThrow(/3 elements, the parameter of shape \[2, 2\] needs 4/);
  });

  it('Uniform stays in [low, high) with the uniform mean and std', () => {
    const s = stats(new I.Uniform(-2, 4).generate(N, 'float32'));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(4);
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeCloseTo(6 / Math.sqrt(12), 1);
    expect(new I.Uniform(1, 1).generate([3], 'float32').toArray()).toEqual([1, 1, 1]);
    expect(() => new I.Uniform(1, 0)).toThrow(/high \(0\) must be >= low \(1\)/);
  });

  it('Normal and TruncatedNormal', () => {
    const n = stats(new I.Normal(1, 0.5).generate(N, 'float64'));
    expect(n.mean).toBeCloseTo(1, 1);
    expect(Math.abs(n.std - 0.5)).toBeLessThan(0.02);
    const t = stats(new I.TruncatedNormal(0, 2).generate(N, 'float32'));
    // Truncated at ±2 std; the std of a standard normal truncated at ±2 is 0.8796.
    expect(t.min).toBeGreaterThanOrEqual(-4);
    expect(t.max).toBeLessThanOrEqual(4);
    expect(Math.abs(t.std - 2 * 0.8796)).toBeLessThan(0.05);
  });

  it('Xavier uses sqrt(6 / (fan_in + fan_out)) and sqrt(2 / (fan_in + fan_out))', () => {
    const shape = [120, 80];
    const limit = Math.sqrt(6 / 200);
    const u = stats(new I.XavierUniform().generate(shape, 'float32'));
    expect(u.max).toBeLessThanOrEqual(limit);
    expect(u.min).toBeGreaterThanOrEqual(-limit);
    expect(u.max).toBeGreaterThan(0.95 * limit);
    expect(Math.abs(u.std - limit / Math.sqrt(3))).toBeLessThan(0.01 * limit * 3);
    const n = stats(new I.XavierNormal().generate(shape, 'float32'));
    expect(Math.abs(n.std - Math.sqrt(2 / 200)) / Math.sqrt(2 / 200)).toBeLessThan(0.03);
    // fan overrides
    const o = stats(new I.XavierUniform({ fanIn: 1, fanOut: 5 }).generate([50, 50], 'float32'));
    expect(o.max).toBeLessThanOrEqual(1);
    expect(o.max).toBeGreaterThan(0.95);
  });

  it('Kaiming uses fan_in with the relu gain by default (Paddle 2.0 MSRA)', () => {
    const shape = [64, 16, 3, 3]; // fan_in = 144
    const u = stats(new I.KaimingUniform().generate(shape, 'float32'));
    const limit = Math.sqrt(6 / 144);
    expect(u.max).toBeLessThanOrEqual(limit);
    expect(u.max).toBeGreaterThan(0.97 * limit);
    expect(u.min).toBeGreaterThanOrEqual(-limit);
    const n = stats(new I.KaimingNormal().generate(shape, 'float32'));
    expect(Math.abs(n.std - Math.sqrt(2 / 144)) / Math.sqrt(2 / 144)).toBeLessThan(0.03);
    const lin = stats(new I.KaimingNormal({ nonlinearity: 'linear', fanIn: 4 }).generate([100, 100], 'float64'));
    expect(Math.abs(lin.std - 0.5)).toBeLessThan(0.015);
    expect(() => new I.KaimingNormal({ fanIn: 0 }).generate([2], 'float32')).toThrow(/fan_in must be a positive finite number/);
  });

  it('casts draws for half-precision parameters', () => {
    const h = new I.Normal(0, 1).generate([8], 'float16');
    expect(h.dtype).toBe('float16');
    expect(() => new I.Normal().generate([2], 'int32')).toThrow(/need a float dtype, got int32/);
  });

  it('re-initializes a parameter in place', () => {
    const l = new Linear(3, 3);
    const w = l.weight;
    new I.Constant(0.25).init(l.weight);
    expect(l.weight).toBe(w);
    expect(w.toFlatArray().every((v) => v === 0.25)).toBe(true);
    l.dispose();
  });
});

describe('layer default initializers match Paddle 2.0', () => {
  beforeAll(() => seed(7));

  it('Linear: XavierUniform weight [in, out], zero bias', () => {
    const l = new Linear(300, 200);
    const limit = Math.sqrt(6 / 500);
    const s = stats(l.weight);
    expect(l.weight.shape).toEqual([300, 200]);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.max).toBeGreaterThan(0.95 * limit);
    expect(stats(l.bias!)).toEqual({ mean: 0, std: 0, min: 0, max: 0 });
    l.dispose();
  });

  it('Conv2D: Normal(0, sqrt(2 / (k·k·inChannels))), fan over all input channels even with groups', () => {
    const conv = new Conv2D(32, 64, 3, { groups: 4 });
    expect(conv.weight.shape).toEqual([64, 8, 3, 3]);
    const s = stats(conv.weight);
    const std = Math.sqrt(2 / (9 * 32));
    expect(Math.abs(s.std - std) / std).toBeLessThan(0.05);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    conv.dispose();
  });

  it('Conv2DTranspose: XavierUniform with fans of [in, out/groups, k, k]', () => {
    const t = new Conv2DTranspose(16, 32, 4, { groups: 2 });
    expect(t.weight.shape).toEqual([16, 16, 4, 4]);
    const limit = Math.sqrt(6 / (16 * 16 + 16 * 16));
    const s = stats(t.weight);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.max).toBeGreaterThan(0.95 * limit);
    t.dispose();
  });

  it('Embedding: XavierUniform with the padding row zeroed', () => {
    const e = new Embedding(50, 40, { paddingIdx: -1 });
    const rows = e.weight.toArray() as number[][];
    expect(rows[49]!.every((v) => v === 0)).toBe(true);
    const limit = Math.sqrt(6 / 90);
    expect(Math.max(...rows.flat())).toBeLessThanOrEqual(limit);
    e.dispose();
  });
});

describe('seeded reproducibility', () => {
  it('a seeded model build repeats exactly, another seed differs', () => {
    class Net extends Layer {
      a = new Linear(5, 6);
      b = new Conv2D(2, 3, 3);
      e = new Embedding(10, 4);
    }
    const build = (s: number) => {
      seed(s);
      const m = new Net();
      const vals = m.parameters().map((p) => p.toFlatArray());
      m.dispose();
      return vals;
    };
    const before = memory().numTensors;
    expect(build(123)).toEqual(build(123));
    expect(build(123)).not.toEqual(build(124));
    expect(memory().numTensors).toBe(before);
  });

  it('initializer draws advance the generator: two layers in one run differ', () => {
    seed(1);
    const a = new Linear(4, 4);
    const b = new Linear(4, 4);
    expect(a.weight.toFlatArray()).not.toEqual(b.weight.toFlatArray());
    a.dispose();
    b.dispose();
  });
});
