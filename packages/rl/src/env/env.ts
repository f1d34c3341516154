/**
 * The environment interface, gym's (0.26 and later): `reset(seed?)` starts an episode and
 * returns its first observation; `step(action)` returns the next observation, the reward, and
 * whether the episode ended inside the task (`terminated`: the pole fell) or was cut off from
 * outside (`truncated`: the step limit). Only `terminated` ends the return a value estimate
 * bootstraps from; a truncated episode would have gone on.
 */
import type { Box, Discrete } from './spaces';

export interface StepResult {
  observation: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

export interface ResetResult {
  observation: Float32Array;
  info: Record<string, unknown>;
}

export interface Env {
  /** DQN needs a finite set of actions. */
  readonly actionSpace: Discrete;
  readonly observationSpace: Box;
  /** Starts an episode; a seed reseeds the environment's own generator (gym's `reset(seed=...)`). */
  reset(seed?: number): ResetResult;
  step(action: number): StepResult;
}
