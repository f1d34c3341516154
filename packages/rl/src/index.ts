/**
 * @oar/rl: PARL-style reinforcement learning on the Oar core. `Model` maps observations to
 * values, `Algorithm` (DQN, DDQN) updates it, `Agent` acts and learns; `ReplayMemory` stores
 * experience; environments follow gym's interface (CartPole-v0/-v1 built in, `registerEnv` for
 * your own); `Trainer` runs PARL's training loop from a YAML config.
 */
export * from './random/random-stream';
export * from './env';
export * from './replay/replay-memory';
export * from './model';
export * from './algorithm';
export * from './agent';
export * from './config';
export * from './engine';
