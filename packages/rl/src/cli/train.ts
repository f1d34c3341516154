#!/usr/bin/env node
/**
 * oar-rl-train (`nx run rl:train`): PARL's examples/DQN/train.py. Without -c it trains DQN on
 * CartPole-v0 with PARL's settings; checkpoints, train.log and metrics.jsonl go to
 * <Global.output_dir>/<Algorithm.name>/.
 *
 *   oar-rl-train -o Global.seed=3
 *   oar-rl-train -c configs/ddqn_cartpole.yaml -o Train.max_episode=500
 */
import * as path from 'path';
import { pyFloat } from '../engine/logger';
import { Trainer } from '../engine/trainer';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-rl-train', 'Trains a DQN agent; checkpoints go to <Global.output_dir>/<Algorithm.name>/.').parse();
  if (args.help) return 0;
  const { config } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const trainer = new Trainer(config, { progress: args.progress });
  try {
    const r = trainer.train();
    const best = path.join(r.outputDir, 'best_model');
    const how = `${r.episodes} episodes, ${r.envSteps} steps, ${r.learnSteps} learn steps, ${r.seconds.toFixed(1)} s, CPU ${r.cpuSeconds.toFixed(1)} s`;
    trainer.log.info(
      r.solvedAt !== null
        ? `solved at episode ${r.solvedAt} (${how}); best: mean ${pyFloat(r.best.testReward)} over ${r.best.evalEpisodes} greedy episodes -> ${best}.pdparams`
        : `training done, not solved (${how}); best: mean ${pyFloat(r.best.testReward)} over ${r.best.evalEpisodes} greedy episodes at episode ${r.best.episode} -> ${best}.pdparams`,
    );
  } finally {
    trainer.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
