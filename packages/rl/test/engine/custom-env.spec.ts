/**
 * The README's "write your own environment" example, run: a corridor of cells where the agent
 * must walk right to the goal. Plugged in with registerEnv, trained through the same Trainer.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Box, DEFAULT_CONFIG_PATH, Discrete, Trainer, evaluate, loadConfig, loadTrained, makeEnv, registerEnv, type Env, type ResetResult, type StepResult } from '../../src';

class Corridor implements Env {
  readonly actionSpace = new Discrete(2); // 0: left, 1: right
  readonly observationSpace = new Box(new Float64Array([0]), new Float64Array([1]));
  private pos = 0;

  constructor(private readonly length = 6) {}

  reset(_seed?: number): ResetResult {
    this.pos = 0;
    return { observation: this.obs(), info: {} };
  }

  step(action: number): StepResult {
    this.actionSpace.check(action, 'Corridor.step');
    this.pos = Math.max(0, this.pos + (action === 1 ? 1 : -1));
    const terminated = this.pos === this.length - 1;
    return { observation: this.obs(), reward: terminated ? 1 : -0.1, terminated, truncated: false, info: {} };
  }

  private obs(): Float32Array {
    return Float32Array.of(this.pos / (this.length - 1));
  }
}

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-rl-corridor-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a registered environment trains with the default pipeline and learns to walk to the goal', () => {
  registerEnv('Corridor-v0', { create: () => new Corridor(), maxEpisodeSteps: 50, rewardThreshold: 0.5 });
  const config = loadConfig(DEFAULT_CONFIG_PATH, [
    'Env.name=Corridor-v0',
    'Model.hidden_sizes=[32]',
    'Algorithm.lr=0.005',
    'Agent.e_greed=0.3',
    'Train.max_episode=200',
    'Train.eval_interval=20',
    'Train.solved_episodes=10',
    `Global.output_dir=${dir}`,
  ]);
  const trainer = new Trainer(config, { progress: false, write: () => {} });
  const r = trainer.train();
  trainer.close();
  expect(r.solvedAt).not.toBeNull();
  // The shortest walk: 5 steps right, reward 4 × (−0.1) + 1.
  const trained = loadTrained(config);
  const ev = evaluate(() => makeEnv('Corridor-v0'), trained.agent, 3, 0);
  trained.dispose();
  ev.rewards.forEach((x) => expect(x).toBeCloseTo(0.6, 6));
});

test("an environment whose observation does not fit its space is one error naming the environment", () => {
  class Broken extends Corridor {
    override step(action: number): StepResult {
      return { ...super.step(action), observation: Float32Array.of(0, 0) };
    }
  }
  registerEnv('Broken-v0', { create: () => new Broken(), maxEpisodeSteps: 20 });
  const config = loadConfig(DEFAULT_CONFIG_PATH, ['Env.name=Broken-v0', 'Model.hidden_sizes=[4]', `Global.output_dir=${dir}`]);
  const trainer = new Trainer(config, { progress: false, write: () => {} });
  expect(() => trainer.train()).toThrow("Broken-v0.step: observation of shape [2] does not fit the observation space: expected shape [1]");
  trainer.close();
});
