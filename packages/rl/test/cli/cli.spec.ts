import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inference, io, tensor, tidy, type Tensor } from '@oar/core';
import { MLPModel } from '../../src/model';
import { CliError, configSwallowedByNx, loadAccelerator, reportError } from '../../src/cli/common';
import { main as evalMain } from '../../src/cli/eval';
import { main as exportMain } from '../../src/cli/export';
import { main as trainMain } from '../../src/cli/train';

let dir: string;
let out: string[];
let stdoutSpy: jest.SpyInstance;

beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-rl-cli-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  out = [];
  stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
});
afterEach(() => stdoutSpy.mockRestore());

/** Runs a CLI main as runCli does, returning its exit status and stderr. */
async function run(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, err };
  } catch (e) {
    const code = reportError(e); // writes to the spied stderr
    return { code, err };
  } finally {
    spy.mockRestore();
  }
}

// A short run: small network, few episodes, an evaluation every 10 episodes.
const small = (o: string): string[] => [
  '-o', `Global.output_dir=${o}`, '-o', 'Model.hidden_sizes=[16]', '-o', 'Train.max_episode=20', '-o', 'Train.eval_interval=10',
  '-o', 'ReplayMemory.warmup_size=50', '-o', 'Eval.episodes=7', '--no-progress',
];

describe('train, eval and export through their CLIs', () => {
  test('train logs PARL lines, writes metrics.jsonl and checkpoints; eval and export use them', async () => {
    const o = path.join(dir, 'out');
    expect((await run(trainMain, small(o))).code).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/\] episode:10    test_reward:\d+\.\d+\n/);
    expect(text).toMatch(/\] episode:20    test_reward:\d+\.\d+\n/);
    const runDir = path.join(o, 'DQN');
    const records = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((r) => r.eval_episodes === 5).map((r) => [r.episode, r.split])).toEqual([[10, 'eval'], [20, 'eval']]);
    for (const r of records) expect(typeof r.test_reward).toBe('number');
    expect(fs.readFileSync(path.join(runDir, 'train.log'), 'utf8')).toContain('episode:10    test_reward:');
    for (const p of ['latest', 'best_model']) for (const ext of ['.pdparams', '.pdopt', '.pdstates']) expect(fs.existsSync(path.join(runDir, p + ext))).toBe(true);
    // The files are Paddle's: a state dict with PARL's keys, Adam's moments, the training states.
    const params = io.loadStateDict(path.join(runDir, 'latest.pdparams'));
    expect(Object.keys(params)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(params['fc1.weight']!.shape).toEqual([4, 16]);
    Object.values(params).forEach((t) => t.dispose());
    const opt = io.load(path.join(runDir, 'latest.pdopt')) as Record<string, unknown>;
    expect(Object.keys(opt).some((k) => k.includes('moment1'))).toBe(true);
    Object.values(opt).forEach((t) => (t as { dispose?: () => void })?.dispose?.());
    expect(io.load(path.join(runDir, 'latest.pdstates'))).toMatchObject({ episode: 20, eval_episodes: 5 });

    out = [];
    expect((await run(evalMain, small(o))).code).toBe(0);
    expect(out.join('')).toMatch(/eval on CartPole-v0: 7 greedy episodes, mean reward \d+(\.\d+)?, std \d+\.\d\d \(min \d+\.\d, max \d+\.\d\)/);

    out = [];
    const inf = path.join(dir, 'inference');
    expect((await run(exportMain, [...small(o), '-o', `Global.save_inference_dir=${inf}`])).code).toBe(0);
    for (const f of ['inference.pdmodel', 'inference.pdiparams', 'inference.pdparams', 'config.yaml']) expect(fs.existsSync(path.join(inf, f))).toBe(true);
    expect(out.join('')).toMatch(/wrote .*inference\.pdmodel \(\d+ ops, input obs \[-1, 4\], output Q-values \[-1, 2\]\)/);
    // The Paddle inference model computes the Q-values of the trained network.
    const model = new MLPModel(4, 2, [16]);
    const state = io.loadStateDict(path.join(runDir, 'best_model.pdparams'));
    model.setStateDict(state);
    Object.values(state).forEach((t) => t.dispose());
    const obs = Float32Array.of(0.01, -0.02, 0.03, 0.04, -0.1, 0.2, -0.05, 0.3, 0.5, 0.5, -0.2, -0.1);
    const want = tidy(() => Array.from((model.call(tensor(obs, { shape: [3, 4] })) as Tensor).dataSync() as Float32Array));
    model.dispose();
    const predictor = inference.createPredictor(new inference.Config(path.join(inf, 'inference.pdmodel')));
    const input = predictor.getInputHandle(predictor.getInputNames()[0]!);
    input.reshape([3, 4]);
    input.copyFromCpu(obs);
    predictor.run();
    const got = Array.from(predictor.getOutputHandle(predictor.getOutputNames()[0]!).copyToCpu() as Float32Array);
    expect(got).toHaveLength(6);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    // By default export writes beside the checkpoints.
    expect((await run(exportMain, small(o))).code).toBe(0);
    expect(fs.existsSync(path.join(runDir, 'inference', 'inference.pdparams'))).toBe(true);
    // The exported weights load back for evaluation.
    out = [];
    expect((await run(evalMain, [...small(o), '-o', `Global.pretrained_model=${path.join(inf, 'inference')}`])).code).toBe(0);
    expect(out.join('')).toContain('loaded');
  });

  test('bad config values and missing weights are one clear error each', async () => {
    const o = path.join(dir, 'none');
    let r = await run(trainMain, [...small(o), '-o', 'Algorithm.gamma=1.5']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Algorithm.gamma: must be in [0, 1], got 1.5 (set by -o Algorithm.gamma=1.5)');
    r = await run(trainMain, [...small(o), '-o', 'ReplayMemory.batch_size=64']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('ReplayMemory.batch_size: must be <= ReplayMemory.warmup_size (50)');
    r = await run(evalMain, small(o));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Global.pretrained_model: ${path.join(o, 'DQN', 'best_model.pdparams')} does not exist (train first with nx run rl:train`);
    r = await run(trainMain, ['--episodes', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown argument: episodes');
  });

  test('device xpu without an accelerator fails with one clear message', async () => {
    // Whether @oar/xpu-backend is built here or not, and whatever the machine has, the run either
    // fails with a message saying how to use the CPU or (on a machine with an accelerator) runs.
    const r = await run(trainMain, [...small(path.join(dir, 'xpu')), '-o', 'Global.device=xpu', '-o', 'Train.max_episode=1']);
    if (r.code !== 0) {
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error: Global\.device=xpu[: ].*To run on the CPU instead, pass -o Global\.device=cpu/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    // The backend package not built:
    const missing = (): never => {
      throw new Error("Cannot find module '@oar/xpu-backend'");
    };
    expect(() => loadAccelerator('xpu', missing)).toThrow(
      "Global.device=xpu asks for the accelerator, but no accelerator backend is available: @oar/xpu-backend is not installed or not built (loading it failed: Cannot find module '@oar/xpu-backend')",
    );
    // Built, but no accelerator runtime on the machine:
    const noRuntime = () => ({
      registerXpuBackend: () => {
        throw new Error('no CUDA driver');
      },
    });
    expect(() => loadAccelerator('xpu:0', noRuntime)).toThrow('Global.device=xpu:0: the accelerator backend found no usable accelerator runtime: no CUDA driver');
    expect(() => loadAccelerator('xpu:0', () => ({}))).toThrow(CliError);
    expect(() => loadAccelerator('cpu', missing)).not.toThrow();
  });

  test('-c swallowed by nx is recovered from the nx command line', () => {
    const env = { NX_TASK_TARGET_PROJECT: 'rl', NX_INVOCATION_ROOT_PID: '1' };
    expect(configSwallowedByNx(env, () => ['node', 'nx', 'run', 'rl:train', '-c', 'my.yaml'].join('\0'))).toBe('my.yaml');
    expect(configSwallowedByNx({}, () => '')).toBeUndefined();
  });
});
