/**
 * Environments by id, as gym's registry: `makeEnv('CartPole-v0')` builds the environment and
 * wraps it in its step limit. `registerEnv` adds your own, which configs then name in `Env.name`.
 */
import { suggest } from '../config/errors';
import { CartPoleEnv } from './cartpole';
import type { Env } from './env';
import { TimeLimit } from './time-limit';

export interface EnvSpec {
  /** Builds a fresh environment (one per call: training and evaluation each get their own). */
  create: () => Env;
  /** Episodes are truncated after this many steps (none when absent). */
  maxEpisodeSteps?: number;
  /** Mean return over 100 episodes that counts as solved. */
  rewardThreshold?: number;
}

const registry = new Map<string, EnvSpec>();

export function registerEnv(id: string, spec: EnvSpec): void {
  if (!/^[A-Za-z][\w:.-]*-v\d+$/.test(id)) throw new Error(`registerEnv: id "${id}" must look like Name-vN (e.g. MyGrid-v0)`);
  registry.set(id, spec);
}

export function registeredEnvs(): string[] {
  return [...registry.keys()];
}

export function envSpec(id: string): EnvSpec {
  const spec = registry.get(id);
  if (!spec) {
    const s = suggest(id, registeredEnvs());
    throw new Error(`unknown environment "${id}"${s ? ` (did you mean ${s}?)` : ''}; registered: ${registeredEnvs().join(', ')} (add your own with registerEnv)`);
  }
  return spec;
}

/** A fresh environment, wrapped in its step limit. */
export function makeEnv(id: string): Env {
  const spec = envSpec(id);
  const env = spec.create();
  return spec.maxEpisodeSteps ? new TimeLimit(env, spec.maxEpisodeSteps) : env;
}

registerEnv('CartPole-v0', { create: () => new CartPoleEnv(), maxEpisodeSteps: 200, rewardThreshold: 195 });
registerEnv('CartPole-v1', { create: () => new CartPoleEnv(), maxEpisodeSteps: 500, rewardThreshold: 475 });
