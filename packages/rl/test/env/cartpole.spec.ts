import * as fs from 'fs';
import * as path from 'path';
import { CARTPOLE, CartPoleEnv, TimeLimit, makeEnv, registerEnv, registeredEnvs, type Env } from '../../src/env';

interface Case {
  name: string;
  initial: number[];
  actions: number[];
  states: number[][];
  terminated: boolean[];
}

// Trajectories computed by tools/rl/cartpole_reference.py from the published equations.
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/cartpole_trajectories.json'), 'utf8')) as { cases: Case[] };

describe('CartPole dynamics', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s matches the reference trajectory', (_name, c) => {
    const env = new CartPoleEnv();
    env.state = c.initial;
    c.actions.forEach((a, i) => {
      const r = env.step(a);
      const want = c.states[i]!;
      env.state.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
      // Observations are the state in float32, as gym's.
      expect(Array.from(r.observation)).toEqual(want.map((v) => Math.fround(v)));
      expect(r.terminated).toBe(c.terminated[i]);
      expect(r.truncated).toBe(false);
      expect(r.reward).toBe(1); // every step earns 1, the terminating one included
    });
  });

  test('the fixture covers both termination conditions and a full-length episode', () => {
    const ends = fixture.cases.filter((c) => c.terminated[c.terminated.length - 1]).map((c) => c.states[c.states.length - 1]!);
    expect(ends.some(([x]) => Math.abs(x!) > CARTPOLE.xThreshold)).toBe(true);
    expect(ends.some(([, , th]) => Math.abs(th!) > CARTPOLE.thetaThreshold)).toBe(true);
    expect(fixture.cases.some((c) => c.states.length === 200 && !c.terminated.includes(true))).toBe(true);
  });

  test('reset draws each state element uniformly in [-0.05, 0.05), reproducibly per seed', () => {
    const env = new CartPoleEnv();
    const a = Array.from(env.reset(7).observation);
    const b = Array.from(env.reset(7).observation);
    const c = Array.from(env.reset(8).observation);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const all: number[] = [];
    env.reset(123);
    for (let i = 0; i < 500; i++) all.push(...env.reset().observation);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...all)).toBeLessThan(0.05);
    // Mean near 0 and variance near 0.1²/12 (a uniform's), over 2000 draws.
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const variance = all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(variance).toBeCloseTo(0.01 / 12, 4);
  });

  test("the spaces are gym's: Discrete(2) and a Box bounded at twice the termination limits", () => {
    const env = new CartPoleEnv();
    expect(String(env.actionSpace)).toBe('Discrete(2)');
    expect([0, 1, 2, -1, 0.5].map((a) => env.actionSpace.contains(a))).toEqual([true, true, false, false, false]);
    expect(Array.from(env.observationSpace.high)).toEqual([4.8, Infinity, CARTPOLE.thetaThreshold * 2, Infinity]);
    expect(env.observationSpace.contains(env.reset(5).observation)).toBe(true);
    expect(env.observationSpace.contains([5, 0, 0, 0])).toBe(false);
    expect(env.observationSpace.contains([0, 0, 0])).toBe(false);
  });

  test('an action outside Discrete(2) is one clear error naming the value', () => {
    const env = new CartPoleEnv();
    env.reset(0);
    for (const bad of [2, -1, 0.5, NaN]) {
      expect(() => env.step(bad)).toThrow(`CartPole.step: action ${bad} is outside the action space Discrete(2): expected an integer in [0, 1]`);
    }
    expect(() => env.step('1' as unknown as number)).toThrow('action "1" is outside the action space Discrete(2)');
  });

  test('stepping before reset or after termination is an error', () => {
    const env = new CartPoleEnv();
    expect(() => env.step(0)).toThrow('call reset() before the first step');
    env.reset(0);
    let r;
    do r = env.step(1);
    while (!r.terminated);
    expect(() => env.step(1)).toThrow('the episode has terminated; call reset() to start another');
  });
});

/** The controller of the fixture's long episode: keeps the pole up for hundreds of steps. */
const balance = (o: ArrayLike<number>): number => (o[2]! + 0.5 * o[3]! + 0.01 * o[0]! + 0.05 * o[1]! > 0 ? 1 : 0);

function runEpisode(env: Env, seed: number): { steps: number; total: number; terminated: boolean; truncated: boolean } {
  let obs = env.reset(seed).observation;
  for (let steps = 1, total = 0; ; steps++) {
    const r = env.step(balance(obs));
    total += r.reward;
    if (r.terminated || r.truncated) return { steps, total, terminated: r.terminated, truncated: r.truncated };
    obs = r.observation;
  }
}

describe('registry and step limits', () => {
  test('CartPole-v0 truncates at 200 steps and -v1 at 500', () => {
    expect(runEpisode(makeEnv('CartPole-v0'), 3)).toEqual({ steps: 200, total: 200, terminated: false, truncated: true });
    expect(runEpisode(makeEnv('CartPole-v1'), 3)).toEqual({ steps: 500, total: 500, terminated: false, truncated: true });
  });

  test('TimeLimit refuses to step past the end of an episode', () => {
    const env = new TimeLimit(new CartPoleEnv(), 3);
    env.reset(1);
    env.step(0);
    env.step(1);
    expect(env.step(0).truncated).toBe(true);
    expect(() => env.step(0)).toThrow('the episode ended after 3 steps; call reset()');
  });

  test('an unknown id suggests the closest registered one; registerEnv adds new ids', () => {
    expect(() => makeEnv('Cartpole-v0')).toThrow('unknown environment "Cartpole-v0" (did you mean CartPole-v0?)');
    registerEnv('ShortPole-v0', { create: () => new CartPoleEnv(), maxEpisodeSteps: 10 });
    expect(registeredEnvs()).toContain('ShortPole-v0');
    expect(runEpisode(makeEnv('ShortPole-v0'), 3).steps).toBe(10);
    expect(() => registerEnv('no version', { create: () => new CartPoleEnv() })).toThrow('must look like Name-vN');
  });
});
