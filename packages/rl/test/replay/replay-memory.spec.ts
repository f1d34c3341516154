import { seed } from '@oar/core';
import { RandomStream, ReplayMemory } from '../../src';

const obsOf = (i: number): number[] => [i, i + 0.25, -i, i * 2];

function filled(n: number, max = 100, rng?: RandomStream): ReplayMemory {
  const m = new ReplayMemory(max, 4, rng);
  for (let i = 0; i < n; i++) m.append(obsOf(i), i % 3, i * 10, obsOf(i + 1), i % 7 === 0);
  return m;
}

describe('ReplayMemory', () => {
  test('stores transitions field by field and samples whole transitions', () => {
    const m = filled(50);
    expect(m.size).toBe(50);
    const b = m.sample(20);
    for (let k = 0; k < 20; k++) {
      const i = b.obs[4 * k]!; // the transition's index, recovered from its observation
      expect(Array.from(b.obs.subarray(4 * k, 4 * k + 4))).toEqual(obsOf(i).map(Math.fround));
      expect(Array.from(b.nextObs.subarray(4 * k, 4 * k + 4))).toEqual(obsOf(i + 1).map(Math.fround));
      expect(b.action[k]).toBe(i % 3);
      expect(b.reward[k]).toBe(i * 10);
      expect(b.terminal[k]).toBe(i % 7 === 0 ? 1 : 0);
    }
  });

  test('is a ring: past max_size the oldest transitions are overwritten', () => {
    const m = filled(130, 100);
    expect(m.size).toBe(100);
    const seen = new Set<number>();
    for (let r = 0; r < 50; r++) {
      const b = m.sample(32);
      for (let k = 0; k < 32; k++) seen.add(b.obs[4 * k]!);
    }
    expect(Math.min(...seen)).toBe(30);
    expect(Math.max(...seen)).toBe(129);
  });

  test('a batch holds distinct transitions, drawn uniformly', () => {
    const m = filled(64, 64);
    const counts = new Array<number>(64).fill(0);
    const out = m.allocBatch(32);
    const rounds = 2000;
    for (let r = 0; r < rounds; r++) {
      m.sample(32, out);
      const ids = Array.from({ length: 32 }, (_, k) => out.obs[4 * k]!);
      expect(new Set(ids).size).toBe(32);
      for (const i of ids) counts[i]!++;
    }
    // Each index is in a batch with probability 1/2: a chi-square over 64 cells (63 dof; the 99.9% quantile is ~103).
    const expected = (rounds * 32) / 64;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(103);
    // Small batches from a large memory take the rejection path: still distinct.
    const big = filled(1000, 1000);
    for (let r = 0; r < 200; r++) {
      const b = big.sample(32);
      expect(new Set(Array.from({ length: 32 }, (_, k) => b.obs[4 * k])).size).toBe(32);
    }
  });

  test("sampling follows the core's seed", () => {
    const draw = (): number[] => {
      seed(42);
      return Array.from(filled(200, 200).sample(16).action);
    };
    const a = draw();
    expect(draw()).toEqual(a);
    seed(43);
    expect(Array.from(filled(200, 200).sample(16).action)).not.toEqual(a);
  });

  test('wrong observations and oversized batches are clear errors', () => {
    const m = filled(10);
    expect(() => m.append([1, 2, 3], 0, 1, [1, 2, 3, 4], false)).toThrow(
      'ReplayMemory.append (obs): observation of shape [3] does not fit the observation space: expected shape [4]',
    );
    expect(() => m.append([1, 2, 3, 4], 0, 1, [1, 2, NaN, 4], false)).toThrow('observation element 2 is NaN; expected a finite number');
    expect(() => m.append([1, 2, 3, 4], -1, 1, [1, 2, 3, 4], false)).toThrow('action must be a non-negative integer, got -1');
    expect(() => m.sample(11)).toThrow('batch size 11 is larger than the 10 transitions stored');
    expect(() => new ReplayMemory(0, 4)).toThrow('maxSize must be a positive integer, got 0');
  });
});
