import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DEFAULT_CONFIG_PATH as DEFAULT_CONFIG, loadConfig, parseOverrideValue } from '../../src/config';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-rl-config-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** The issues of the ConfigError that loading throws, as "path: message" lines. */
function issues(file: string, overrides: string[] = []): string[] {
  try {
    loadConfig(file, overrides);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  test("the default config holds PARL r1.4's DQN settings", () => {
    const c = loadConfig(DEFAULT_CONFIG);
    expect(c.Env.name).toBe('CartPole-v0');
    expect(c.Model.hidden_sizes).toEqual([128, 128]);
    expect(c.Algorithm).toEqual({ name: 'DQN', gamma: 0.99, lr: 0.0005, target_update_steps: 200 });
    expect(c.Agent).toEqual({ e_greed: 0.1, e_greed_decrement: 1e-6, e_greed_min: 0.01 });
    expect(c.ReplayMemory).toEqual({ max_size: 20000, warmup_size: 200, batch_size: 32 });
    expect(c.Train).toMatchObject({ max_episode: 2000, learn_freq: 5, eval_interval: 50, eval_episodes: 5 });
    expect(c.Global.device).toBe('cpu');
  });

  test('an empty file gets every default; -o overrides are typed as YAML', () => {
    const f = write('empty.yaml', '');
    const c = loadConfig(f, ['Algorithm.name=DDQN', 'Model.hidden_sizes=[64, 64]', 'Train.stop_when_solved=false', 'Global.pretrained_model=None']);
    expect(c.Algorithm.name).toBe('DDQN');
    expect(c.Model.hidden_sizes).toEqual([64, 64]);
    expect(c.Train.stop_when_solved).toBe(false);
    expect(c.Global.pretrained_model).toBeNull();
    expect(parseOverrideValue('0.5')).toBe(0.5);
  });

  test('values out of range name the value and what is allowed', () => {
    const f = write('ok.yaml', 'Algorithm:\n  gamma: 0.99\n');
    expect(issues(f, ['Algorithm.gamma=1.5'])).toEqual(['Algorithm.gamma: must be in [0, 1], got 1.5 (set by -o Algorithm.gamma=1.5)']);
    expect(issues(f, ['Algorithm.gamma=-0.1'])).toEqual(['Algorithm.gamma: must be in [0, 1], got -0.1 (set by -o Algorithm.gamma=-0.1)']);
    expect(issues(f, ['ReplayMemory.batch_size=300'])).toEqual([
      'ReplayMemory.batch_size: must be <= ReplayMemory.warmup_size (200): a batch is drawn from the warm-up transitions, got 300 (set by -o ReplayMemory.batch_size=300)',
    ]);
    expect(issues(f, ['ReplayMemory.warmup_size=30000'])).toEqual([
      'ReplayMemory.warmup_size: must be <= ReplayMemory.max_size (20000): the memory cannot hold the warm-up, got 30000 (set by -o ReplayMemory.warmup_size=30000)',
    ]);
    expect(issues(f, ['Algorithm.lr=0'])).toEqual(['Algorithm.lr: must be > 0, got 0 (set by -o Algorithm.lr=0)']);
    expect(issues(f, ['Agent.e_greed_min=0.5'])).toEqual(['Agent.e_greed_min: must be <= Agent.e_greed (0.1), got 0.5 (set by -o Agent.e_greed_min=0.5)']);
    expect(issues(f, ['Train.learn_freq=2.5'])).toEqual(['Train.learn_freq: expected an integer, got number 2.5 (set by -o Train.learn_freq=2.5)']);
  });

  test('unknown keys, algorithms, environments and devices get suggestions', () => {
    const f = write('typos.yaml', 'Algorithm:\n  name: DQM\n  gama: 0.9\nEnv:\n  name: CartPole-v2\nGlobal:\n  device: gpu\n');
    expect(issues(f).sort()).toEqual(
      [
      'Global.device: expected cpu, xpu or xpu:N, got "gpu" (Oar names the accelerator xpu: use xpu or xpu:0)',
      'Env.name: unknown environment "CartPole-v2" (did you mean CartPole-v0?); registered: CartPole-v0, CartPole-v1',
      'Algorithm.gama: unknown key (did you mean gamma?)',
      'Algorithm.name: expected one of "DQN", "DDQN", got string "DQM" (did you mean DQN?)',
      ].sort(),
    );
  });

  test('YAML syntax errors and bad overrides name where', () => {
    const f = write('bad.yaml', 'Algorithm:\n  gamma: [0.9\n');
    expect(() => loadConfig(f)).toThrow(/bad\.yaml:\d+:\d+: YAML error/);
    const ok = write('ok2.yaml', '');
    expect(() => loadConfig(ok, ['gamma'])).toThrow('override "gamma": expected Section.key=value');
  });
});
