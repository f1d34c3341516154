/**
 * Greedy evaluation: `episodes` episodes run side by side, one environment each (episode i
 * resets with seed + i, so a score is reproducible and independent of training), their
 * observations stacked into one forward pass per step. That makes a 100-episode evaluation cost
 * about as many forward passes as a single episode.
 */
import type { DQNAgent } from '../agent/dqn-agent';
import type { Env } from '../env/env';
import { checkObservation } from '../env/spaces';

export interface EvalResult {
  rewards: number[];
  mean: number;
  std: number;
}

/** Environments evaluated at once (bounds memory for user environments with large state). */
const MAX_PARALLEL = 100;

export function evaluate(makeEnv: () => Env, agent: DQNAgent, episodes: number, seed: number, envName = 'env'): EvalResult {
  const rewards: number[] = [];
  for (let first = 0; first < episodes; first += MAX_PARALLEL) {
    const n = Math.min(MAX_PARALLEL, episodes - first);
    rewards.push(...evaluateChunk(makeEnv, agent, n, seed + first, envName));
  }
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  // Population std, as numpy's np.std.
  const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) * (r - mean), 0) / rewards.length);
  return { rewards, mean, std };
}

function evaluateChunk(makeEnv: () => Env, agent: DQNAgent, n: number, seed: number, envName: string): number[] {
  const d = agent.obsDim;
  const envs = Array.from({ length: n }, makeEnv);
  const obs = new Float32Array(n * d);
  const totals = new Array<number>(n).fill(0);
  let live = envs.map((env, i) => {
    const o = env.reset(seed + i).observation;
    checkObservation(o, d, `${envName}.reset`);
    obs.set(o, i * d);
    return i;
  });
  while (live.length) {
    const batch = new Float32Array(live.length * d);
    live.forEach((e, j) => batch.set(obs.subarray(e * d, (e + 1) * d), j * d));
    const actions = agent.predictBatch(batch, live.length);
    live = live.filter((e, j) => {
      const r = envs[e]!.step(actions[j]!);
      totals[e]! += r.reward;
      if (r.terminated || r.truncated) return false;
      checkObservation(r.observation, d, `${envName}.step`);
      obs.set(r.observation, e * d);
      return true;
    });
  }
  return totals;
}
