#!/usr/bin/env node
/**
 * oar-rl-eval (`nx run rl:eval`): loads trained weights (Global.pretrained_model, by default
 * <output_dir>/<algorithm>/best_model) and runs Eval.episodes greedy episodes, printing the
 * mean and standard deviation of their rewards.
 *
 *   oar-rl-eval -o Eval.episodes=100 -o Global.pretrained_model=output/DQN/latest
 */
import { evaluate } from '../engine/evaluate';
import { RunLogger, pyFloat } from '../engine/logger';
import { loadTrained } from '../engine/weights';
import { makeEnv } from '../env/registry';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-rl-eval', 'Runs Eval.episodes greedy episodes with trained weights and prints the mean and std of the reward.').parse();
  if (args.help) return 0;
  const { config } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const log = new RunLogger({ progress: false });
  const trained = loadTrained(config);
  try {
    const name = config.Env.name;
    const { episodes, seed } = config.Eval;
    log.info(`loaded ${trained.file}`);
    const r = evaluate(() => makeEnv(name), trained.agent, episodes, seed, name);
    log.info(
      `eval on ${name}: ${episodes} greedy episodes, mean reward ${pyFloat(r.mean)}, std ${r.std.toFixed(2)} ` +
        `(min ${pyFloat(Math.min(...r.rewards))}, max ${pyFloat(Math.max(...r.rewards))})`,
    );
  } finally {
    trained.dispose();
  }
  return 0;
}

if (require.main === module) void runCli(main);
