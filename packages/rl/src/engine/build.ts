/** The device, model, algorithm and agent a config describes, sized by the environment's spaces. */
import { setDevice } from '@oar/core';
import { DDQN, DQN } from '../algorithm/dqn';
import { DQNAgent } from '../agent/dqn-agent';
import type { RlConfig } from '../config/schema';
import type { Env } from '../env/env';
import { MLPModel } from '../model/mlp-model';

export interface Built {
  model: MLPModel;
  alg: DQN;
  agent: DQNAgent;
}

export function buildAgent(config: RlConfig, env: Env): Built {
  const obsDim = env.observationSpace.size;
  const actDim = env.actionSpace.n;
  const model = new MLPModel(obsDim, actDim, config.Model.hidden_sizes);
  const a = config.Algorithm;
  const Alg = a.name === 'DDQN' ? DDQN : DQN;
  const alg = new Alg(model, { gamma: a.gamma, lr: a.lr, targetUpdateSteps: a.target_update_steps });
  const g = config.Agent;
  const agent = new DQNAgent(alg, { obsDim, actDim, eGreed: g.e_greed, eGreedDecrement: g.e_greed_decrement, eGreedMin: g.e_greed_min });
  return { model, alg, agent };
}

/** Makes Global.device the core's default device, or says why it cannot be. */
export function useDevice(device: string): void {
  try {
    setDevice(device);
  } catch (e) {
    throw new Error(
      `Global.device: ${device} cannot be used: ${(e as Error).message}. ` +
        'The oar-rl CLIs load the accelerator backend (@oar/xpu-backend) for xpu devices; from code, import it and register it first, or set Global.device=cpu',
    );
  }
}
