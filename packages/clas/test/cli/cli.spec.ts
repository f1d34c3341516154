import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { data, noGrad, tidy, zeros, type Tensor } from '@oar/core';
import { CliError, DEFAULT_CONFIG, configPath, configSwallowedByNx, loadAccelerator, reportError } from '../../src/cli/common';
import { main as evalMain } from '../../src/cli/eval';
import { main as exportMain } from '../../src/cli/export';
import { main as inferMain } from '../../src/cli/infer';
import { main as trainMain } from '../../src/cli/train';
import { ConfigError, loadConfig } from '../../src/config';
import { EMBEDDED_FASHION_MNIST_DIR, readIdxSync } from '../../src/data';
import { buildModel } from '../../src/engine';
import { registerTinyNet, tinyConfig } from '../engine/fixtures';

registerTinyNet();

const ROOT = path.resolve(__dirname, '../../../..');
let dir: string;
let cfg: string;
let out: string[];
let stdoutSpy: jest.SpyInstance;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-cli-'));
  cfg = tinyConfig(dir, { nTrain: 256, nTest: 128, epochs: 1, printBatchStep: 100 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  out = [];
  stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
});
afterEach(() => stdoutSpy.mockRestore());

function captureStderr(fn: () => number): { code: number; err: string } {
  let err = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    return { code: fn(), err };
  } finally {
    spy.mockRestore();
  }
}

describe('train, eval, infer and export through their CLIs', () => {
  test('train -c -o writes checkpoints; eval, infer --image and export use them', async () => {
    const o = path.join(dir, 'out');
    expect(await trainMain(['-c', cfg, '-o', `Global.output_dir=${o}`, '--override', 'Global.save_interval=5', '--no-progress'])).toBe(0);
    const arch = path.join(o, 'TinyNet');
    expect(fs.existsSync(path.join(arch, 'latest.pdparams'))).toBe(true);
    expect(fs.existsSync(path.join(arch, 'epoch_1.pdparams'))).toBe(false); // save_interval 5
    expect(out.join('')).toMatch(/training done: best top1 \d\.\d{5} at epoch 1/);

    out = [];
    expect(await evalMain(['-c', cfg, '-o', `Global.pretrained_model=${path.join(arch, 'best_model')}`])).toBe(0);
    expect(out.join('')).toMatch(/eval: CELoss: \d\.\d{5}, loss: \d\.\d{5}, top1: \d\.\d{5}, top5: \d\.\d{5}/);

    // Without Global.pretrained_model, eval takes the run's best_model and says so.
    out = [];
    expect(await evalMain(['-c', cfg, '-o', `Global.output_dir=${o}`])).toBe(0);
    expect(out.join('')).toContain(`Global.pretrained_model is not set; using ${path.join(arch, 'best_model')}`);

    const img = path.join(dir, 'shoe.png');
    const images = readIdxSync(path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
    fs.writeFileSync(img, await data.encodePng(data.hostArray((images.data as Uint8Array).slice(0, 784), [28, 28, 1], 'uint8')));
    const inferCfg = path.join(dir, 'infer.yaml');
    fs.writeFileSync(
      inferCfg,
      `_base_: ${cfg}
Infer:
  infer_imgs: ${path.join(dir, 'missing-folder')}
  transforms:
    - DecodeImage: {to_rgb: true}
    - NormalizeImage: {scale: 1.0/255.0, mean: [0.2860], std: [0.3530], order: ''}
  PostProcess: {name: Topk, topk: 2}
`,
    );
    out = [];
    expect(await inferMain(['-c', inferCfg, '--image', img, '-o', `Global.output_dir=${o}`])).toBe(0);
    const line = out.join('').split('\n').find((l) => l.includes('"class_ids"'))!;
    const r = JSON.parse(line.slice(line.indexOf('{'))) as { class_ids: number[]; scores: number[]; file_name: string };
    expect(r.class_ids).toHaveLength(2);
    expect(r.file_name).toBe(img);
    // infer_imgs itself points nowhere: the message names the key and the path.
    await expect(inferMain(['-c', inferCfg, '-o', `Global.output_dir=${o}`])).rejects.toThrow(`Infer.infer_imgs: ${path.join(dir, 'missing-folder')} does not exist`);

    out = [];
    const inf = path.join(dir, 'inference');
    expect(await exportMain(['-c', cfg, '-o', `Global.output_dir=${o}`, '-o', `Global.save_inference_dir=${inf}`])).toBe(0);
    expect(fs.readdirSync(inf).sort()).toEqual(['config.yaml', 'inference.pdiparams', 'inference.pdmodel']);
    expect(out.join('')).toContain(`predict with: npx nx run clas:infer -- --model ${inf}`);
  }, 120_000);

  test('--help prints the options and exits 0', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await inferMain(['--help'])).toBe(0);
      const text = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(text).toMatch(/--config.*PaddleClas-style YAML config/);
      expect(text).toMatch(/-o, --override/);
      expect(text).toMatch(/-i, --image/);
    } finally {
      log.mockRestore();
    }
  });
});

describe('errors become one message and an exit status', () => {
  test('an unknown option is a usage error (2)', async () => {
    const e = await trainMain(['--epochs', '3']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(/Unknown argument: epochs/);
  });

  test('a config error names the key and the -o that set it (2)', async () => {
    const e = await trainMain(['-c', cfg, '-o', 'Global.epochs=ten']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    const { code, err } = captureStderr(() => reportError(e));
    expect(code).toBe(2);
    expect(err).toContain(`error: invalid config ${cfg}:\n  Global.epochs: expected a number, got string "ten" (set by -o Global.epochs=ten)`);
  });

  test('other errors print their message only (1), the stack with OAR_DEBUG=1', () => {
    const { code, err } = captureStderr(() => reportError(new Error('disk full')));
    expect(code).toBe(1);
    expect(err).toBe('error: disk full\n(set OAR_DEBUG=1 for the stack trace)\n');
    process.env.OAR_DEBUG = '1';
    try {
      expect(captureStderr(() => reportError(new Error('disk full'))).err).toMatch(/^error: Error: disk full\n\s+at /);
    } finally {
      delete process.env.OAR_DEBUG;
    }
  });
});

describe('Global.device: xpu loads the accelerator backend from the CLI layer', () => {
  test('cpu needs nothing', () => {
    const req = jest.fn();
    loadAccelerator('cpu', req);
    expect(req).not.toHaveBeenCalled();
  });

  test('a missing backend package says it is not installed or built, and how to run on the CPU', () => {
    const req = () => {
      throw Object.assign(new Error("Cannot find module '@oar/xpu-backend'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadAccelerator('xpu:1', req)).toThrow(
      "Global.device=xpu:1 asks for the accelerator, but its backend @oar/xpu-backend is not installed or not built (loading it failed: Cannot find module '@oar/xpu-backend')",
    );
    expect(() => loadAccelerator('xpu', req)).toThrow(/pass -o Global\.device=cpu/);
  });

  test('a backend without a runtime, or of another version', () => {
    expect(() => loadAccelerator('xpu', () => ({}))).toThrow(/exports no registerXpuBackend\(\)/);
    const noRuntime = () => ({
      registerXpuBackend: () => {
        throw new Error('libcuda.so.1 not found (LD_LIBRARY_PATH, ldconfig, /usr/local/cuda)');
      },
    });
    expect(() => loadAccelerator('xpu:0', noRuntime)).toThrow(
      'Global.device=xpu:0: the accelerator backend found no usable accelerator runtime: libcuda.so.1 not found (LD_LIBRARY_PATH, ldconfig, /usr/local/cuda).',
    );
  });

  test('in a real process, as oar-clas-eval runs it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/clas/src/cli/eval.ts', '-c', cfg, '-o', 'Global.device=xpu'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    // The backend package loads; on this machine (no CUDA driver) it finds no runtime.
    expect(r.stderr).toMatch(/^error: Global\.device=xpu: the accelerator backend found no usable accelerator runtime: .*libcuda\.so\.1/);
    expect(r.stderr).toContain('-o Global.device=cpu');
  }, 60_000);
});

describe('the config file', () => {
  test('without -c: the quick-start config, whose PaddleClas model takes 28x28 grey images', () => {
    expect(configPath({ override: [] })).toBe(DEFAULT_CONFIG);
    const c = loadConfig(DEFAULT_CONFIG);
    expect(c.Arch.name).toBe('ResNet18');
    expect(c.DataLoader!.Train!.dataset.name).toBe('FashionMNISTDataset');
    const model = buildModel(c);
    const logits = tidy(() => noGrad(() => model.eval().call(zeros([2, ...c.Global.image_shape])) as Tensor));
    expect(logits.shape).toEqual([2, 10]);
    logits.dispose();
    model.dispose();
  });

  test('`nx run clas:train -c my.yaml`: nx takes -c as its own flag; the CLI recovers it', () => {
    const env = { NX_TASK_TARGET_PROJECT: 'clas', NX_INVOCATION_ROOT_PID: '42' };
    const cmd = (...a: string[]) => () => ['node', '/w/node_modules/.bin/nx', ...a, ''].join('\0');
    expect(configSwallowedByNx(env, cmd('run', 'clas:train', '-c', 'my.yaml', '-o', 'a=1'))).toBe('my.yaml');
    expect(configSwallowedByNx(env, cmd('train', 'clas', '--configuration=my.yaml'))).toBe('my.yaml');
    expect(configSwallowedByNx(env, cmd('run', 'clas:train', '--', '-c', 'my.yaml'))).toBeUndefined();
    expect(configSwallowedByNx({}, cmd('run', 'clas:train', '-c', 'my.yaml'))).toBeUndefined();
    expect(
      configSwallowedByNx(env, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });
});
