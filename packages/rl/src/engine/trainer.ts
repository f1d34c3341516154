/**
 * The training loop of PARL's examples/DQN/train.py: warm-up episodes fill the replay memory,
 * then each episode samples ε-greedy actions, stores every transition and learns from a batch
 * every `learn_freq` environment steps; every `eval_interval` episodes a greedy evaluation is
 * logged as `episode:N    test_reward:R`, recorded in metrics.jsonl and checkpointed.
 *
 * Beyond PARL: when an evaluation reaches the solved reward, a solve check of
 * `solved_episodes` (100) greedy episodes follows, and with `stop_when_solved` a pass ends the
 * run. DQN on CartPole is known to forget a solved policy and relearn it, so the weights with
 * the best evaluation are kept as `best_model`, which `eval` and `export` use.
 */
import * as fs from 'fs';
import * as path from 'path';
import { seed as seedCore } from '@oar/core';
import type { DQNAgent } from '../agent/dqn-agent';
import type { DQN } from '../algorithm/dqn';
import { dumpConfig } from '../config/load';
import type { RlConfig } from '../config/schema';
import type { Env } from '../env/env';
import { envSpec, makeEnv } from '../env/registry';
import { checkObservation } from '../env/spaces';
import type { MLPModel } from '../model/mlp-model';
import { RandomStream } from '../random/random-stream';
import { ReplayMemory, type Batch } from '../replay/replay-memory';
import { buildAgent, useDevice } from './build';
import { saveCheckpoint, type TrainStates } from './checkpoint';
import { evaluate } from './evaluate';
import { RunLogger, pyFloat } from './logger';

export interface TrainResult {
  /** Training episodes run (warm-up episodes not counted, as PARL). */
  episodes: number;
  envSteps: number;
  learnSteps: number;
  /** The first episode whose solve check passed, or null. */
  solvedAt: number | null;
  /** The best evaluation: its score, the episodes it averaged, and when. */
  best: { testReward: number; evalEpisodes: number; episode: number };
  /** Wall-clock seconds, and the CPU seconds of this process (all threads) over the same span. */
  seconds: number;
  cpuSeconds: number;
  outputDir: string;
}

export interface TrainerOptions {
  /** Show a progress bar (default: when stdout is a terminal). */
  progress?: boolean;
  /** Where log lines go besides train.log (default: stdout). */
  write?: (line: string) => void;
}

/** The output folder of a config: <Global.output_dir>/<Algorithm.name>. */
export function outputDirOf(config: RlConfig): string {
  return path.join(config.Global.output_dir, config.Algorithm.name);
}

export class Trainer {
  readonly config: RlConfig;
  readonly outputDir: string;
  readonly log: RunLogger;
  readonly env: Env;
  readonly model: MLPModel;
  readonly alg: DQN;
  readonly agent: DQNAgent;
  readonly memory: ReplayMemory;
  private readonly batch: Batch;
  private envSteps = 0;

  constructor(config: RlConfig, opts: TrainerOptions = {}) {
    this.config = config;
    useDevice(config.Global.device);
    this.outputDir = outputDirOf(config);
    fs.mkdirSync(this.outputDir, { recursive: true });
    this.log = new RunLogger({
      logFile: path.join(this.outputDir, 'train.log'),
      metricsFile: path.join(this.outputDir, 'metrics.jsonl'),
      progress: opts.progress,
      write: opts.write,
    });
    seedCore(config.Global.seed);
    this.env = makeEnv(config.Env.name);
    ({ model: this.model, alg: this.alg, agent: this.agent } = buildAgent(config, this.env));
    const m = config.ReplayMemory;
    this.memory = new ReplayMemory(m.max_size, this.env.observationSpace.size);
    this.batch = this.memory.allocBatch(m.batch_size);
  }

  /** One episode of ε-greedy acting, storing and learning; returns its total reward. */
  runEpisode(): number {
    const { learn_freq: learnFreq } = this.config.Train;
    const { warmup_size: warmup, batch_size: batchSize } = this.config.ReplayMemory;
    const name = this.config.Env.name;
    const size = this.env.observationSpace.size;
    let obs = this.env.reset().observation;
    checkObservation(obs, size, `${name}.reset`);
    let total = 0;
    for (;;) {
      const action = this.agent.sample(obs);
      const r = this.env.step(action);
      checkObservation(r.observation, size, `${name}.step`);
      // Only a real termination stops bootstrapping; a step limit is not the task's end.
      this.memory.append(obs, action, r.reward, r.observation, r.terminated);
      this.envSteps++;
      if (this.memory.size > warmup && this.envSteps % learnFreq === 0) this.agent.learn(this.memory.sample(batchSize, this.batch));
      total += r.reward;
      if (r.terminated || r.truncated) return total;
      obs = r.observation;
    }
  }

  train(): TrainResult {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const c = this.config;
    const t = c.Train;
    const spec = envSpec(c.Env.name);
    const solvedReward = t.solved_reward ?? spec.rewardThreshold ?? null;
    const evalSeeds = new RandomStream();
    const makeEvalEnv = (): Env => makeEnv(c.Env.name);
    fs.writeFileSync(path.join(this.outputDir, 'config.yaml'), dumpConfig(c));
    this.log.resetMetrics();
    this.log.info(
      `${c.Algorithm.name} on ${c.Env.name}: obs_dim ${this.env.observationSpace.size}, act_dim ${this.env.actionSpace.n}, ` +
        `seed ${c.Global.seed}, up to ${t.max_episode} episodes` +
        (solvedReward !== null ? `, solved at a mean of ${pyFloat(solvedReward)} over ${t.solved_episodes} greedy episodes` : ''),
    );

    while (this.memory.size < c.ReplayMemory.warmup_size) this.runEpisode();

    const best = { testReward: -Infinity, evalEpisodes: 0, episode: 0 };
    let solvedAt: number | null = null;
    let lastTest = NaN;
    let episode = 0;
    this.log.startBar('train', t.max_episode);
    try {
      while (episode < t.max_episode) {
        const reward = this.runEpisode();
        episode++;
        this.log.updateBar(episode, `reward ${reward} | e_greed ${this.agent.eGreed.toFixed(4)} | test_reward ${Number.isNaN(lastTest) ? '-' : pyFloat(lastTest)}`);
        if (episode % t.eval_interval !== 0 && episode !== t.max_episode) continue;

        const ev = evaluate(makeEvalEnv, this.agent, t.eval_episodes, evalSeeds.seedValue(), c.Env.name);
        lastTest = ev.mean;
        this.log.info(`episode:${episode}    test_reward:${pyFloat(ev.mean)}`);
        this.log.record({ episode, split: 'eval', test_reward: ev.mean, eval_episodes: t.eval_episodes, env_steps: this.envSteps, e_greed: this.agent.eGreed });
        let score = ev.mean;
        let scoreEpisodes = t.eval_episodes;
        let solved = false;
        if (solvedReward !== null && ev.mean >= solvedReward) {
          const check = evaluate(makeEvalEnv, this.agent, t.solved_episodes, evalSeeds.seedValue(), c.Env.name);
          solved = check.mean >= solvedReward;
          score = check.mean;
          scoreEpisodes = t.solved_episodes;
          this.log.info(
            `solve check at episode ${episode}: mean ${pyFloat(check.mean)} ± ${check.std.toFixed(2)} over ${t.solved_episodes} greedy episodes ` +
              `(${solved ? 'solved' : `below ${pyFloat(solvedReward)}`})`,
          );
          this.log.record({ episode, split: 'eval', test_reward: check.mean, eval_episodes: t.solved_episodes, env_steps: this.envSteps, e_greed: this.agent.eGreed, solved });
        }
        const states = this.states(episode, score, scoreEpisodes);
        saveCheckpoint(path.join(this.outputDir, 'latest'), this.model, this.alg.optimizer, states);
        if (isBetter(score, scoreEpisodes, best)) {
          Object.assign(best, { testReward: score, evalEpisodes: scoreEpisodes, episode });
          saveCheckpoint(path.join(this.outputDir, 'best_model'), this.model, this.alg.optimizer, states);
        }
        if (solved && solvedAt === null) solvedAt = episode;
        if (solved && t.stop_when_solved) break;
      }
    } finally {
      this.log.stopBar();
    }
    return {
      episodes: episode,
      envSteps: this.envSteps,
      learnSteps: this.alg.learnSteps,
      solvedAt,
      best,
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: cpuSecondsSince(cpu0),
      outputDir: this.outputDir,
    };
  }

  private states(episode: number, testReward: number, evalEpisodes: number): TrainStates {
    return { episode, test_reward: testReward, eval_episodes: evalEpisodes, env_steps: this.envSteps, learn_steps: this.alg.learnSteps, e_greed: this.agent.eGreed };
  }

  /** Releases the networks, the optimizer state and the progress bar. */
  close(): void {
    this.log.close();
    this.alg.dispose();
    this.model.dispose();
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

/**
 * A score from a longer evaluation outranks an equal one from a shorter (it is the surer
 * estimate); otherwise the higher mean wins.
 */
function isBetter(score: number, episodes: number, best: { testReward: number; evalEpisodes: number }): boolean {
  return score > best.testReward || (score === best.testReward && episodes > best.evalEpisodes);
}
