/**
 * CartPole (Barto, Sutton & Anderson 1983) with gym's constants and equations: a pole hinged on a
 * cart moving along a frictionless track, pushed left or right with a force of 10 N every 0.02 s.
 * The pole's angular and the cart's linear acceleration follow Florian's corrected equations
 * ("Correct equations for the dynamics of the cart-pole system", 2007) without friction, and the
 * state advances by one explicit Euler step (gym's default `kinematics_integrator = 'euler'`).
 *
 * An episode terminates when |x| > 2.4 or |θ| > 12°; every step, the last included, earns 1.
 * The step limits of CartPole-v0 (200) and -v1 (500) are applied by the TimeLimit wrapper the
 * registry adds, as gym does.
 */
import { RandomStream } from '../random/random-stream';
import type { Env, ResetResult, StepResult } from './env';
import { Box, Discrete } from './spaces';

export const CARTPOLE = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  /** Half the pole's length (gym's `length`). */
  halfLength: 0.5,
  forceMag: 10.0,
  /** Seconds between state updates. */
  tau: 0.02,
  /** 12 degrees. */
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
  /** Initial state elements are uniform in [-resetBound, resetBound). */
  resetBound: 0.05,
} as const;

const TOTAL_MASS = CARTPOLE.massCart + CARTPOLE.massPole;
const POLE_MASS_LENGTH = CARTPOLE.massPole * CARTPOLE.halfLength;

/** State [x, ẋ, θ, θ̇] after one Euler step of `dt` under `force` (newtons, signed). */
export function cartPoleStep(state: readonly number[], force: number, dt: number = CARTPOLE.tau): [number, number, number, number] {
  const [x, xDot, theta, thetaDot] = state as [number, number, number, number];
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
  const thetaAcc = (CARTPOLE.gravity * sin - cos * temp) / (CARTPOLE.halfLength * (4 / 3 - (CARTPOLE.massPole * cos * cos) / TOTAL_MASS));
  const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
  return [x + dt * xDot, xDot + dt * xAcc, theta + dt * thetaDot, thetaDot + dt * thetaAcc];
}

export class CartPoleEnv implements Env {
  readonly actionSpace: Discrete = new Discrete(2);
  readonly observationSpace: Box;
  /** The state in double precision (observations are its float32 copy, as gym's). */
  private s: [number, number, number, number] = [0, 0, 0, 0];
  private rng: RandomStream | null = null;
  /** 'idle' before the first reset, 'done' after termination: stepping then is an error. */
  private phase: 'idle' | 'running' | 'done' = 'idle';

  constructor() {
    // gym bounds x and θ at twice their thresholds; the velocities are unbounded.
    const hi = Float64Array.of(CARTPOLE.xThreshold * 2, Infinity, CARTPOLE.thetaThreshold * 2, Infinity);
    this.observationSpace = new Box(hi.map((v) => -v), hi);
  }

  /** The current state [x, ẋ, θ, θ̇] in double precision. */
  get state(): readonly number[] {
    return this.s;
  }

  /**
   * Puts the system in a given state and continues the episode from there (gym's
   * `env.unwrapped.state = ...`, for tests and planning).
   */
  set state(s: readonly number[]) {
    if (s.length !== 4 || !s.every((v) => Number.isFinite(v))) throw new RangeError(`CartPole.state: expected 4 finite numbers [x, x_dot, theta, theta_dot], got [${s.join(', ')}]`);
    this.s = [s[0]!, s[1]!, s[2]!, s[3]!];
    this.phase = 'running';
  }

  reset(seed?: number): ResetResult {
    // A seed restarts the environment's own generator; without one, the first reset takes a
    // seed from the core's global generator, so a run seeded with seed() repeats.
    if (seed !== undefined) this.rng = new RandomStream(seed);
    else this.rng ??= new RandomStream(new RandomStream().seedValue());
    const b = CARTPOLE.resetBound;
    this.s = [this.rng.uniformIn(-b, b), this.rng.uniformIn(-b, b), this.rng.uniformIn(-b, b), this.rng.uniformIn(-b, b)];
    this.phase = 'running';
    return { observation: Float32Array.from(this.s), info: {} };
  }

  step(action: number): StepResult {
    this.actionSpace.check(action, 'CartPole.step');
    if (this.phase !== 'running') {
      throw new Error(
        this.phase === 'idle' ? 'CartPole.step: call reset() before the first step' : 'CartPole.step: the episode has terminated; call reset() to start another',
      );
    }
    this.s = cartPoleStep(this.s, action === 1 ? CARTPOLE.forceMag : -CARTPOLE.forceMag);
    const [x, , theta] = this.s;
    const terminated = x < -CARTPOLE.xThreshold || x > CARTPOLE.xThreshold || theta < -CARTPOLE.thetaThreshold || theta > CARTPOLE.thetaThreshold;
    if (terminated) this.phase = 'done';
    return { observation: Float32Array.from(this.s), reward: 1, terminated, truncated: false, info: {} };
  }
}
