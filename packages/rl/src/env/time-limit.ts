/**
 * gym's TimeLimit wrapper: ends an episode as `truncated` after `maxEpisodeSteps` steps. It is
 * what makes CartPole-v0 (200 steps) and -v1 (500) differ.
 */
import type { Env, ResetResult, StepResult } from './env';

export class TimeLimit implements Env {
  private elapsed = 0;
  private running = false;

  constructor(
    readonly env: Env,
    readonly maxEpisodeSteps: number,
  ) {
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  get actionSpace(): Env['actionSpace'] {
    return this.env.actionSpace;
  }

  get observationSpace(): Env['observationSpace'] {
    return this.env.observationSpace;
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  reset(seed?: number): ResetResult {
    this.elapsed = 0;
    this.running = true;
    return this.env.reset(seed);
  }

  step(action: number): StepResult {
    if (!this.running) throw new Error(`TimeLimit: the episode ended after ${this.elapsed} steps; call reset() to start another`);
    const r = this.env.step(action);
    this.elapsed++;
    const truncated = r.truncated || (!r.terminated && this.elapsed >= this.maxEpisodeSteps);
    if (r.terminated || truncated) this.running = false;
    return { ...r, truncated };
  }
}
