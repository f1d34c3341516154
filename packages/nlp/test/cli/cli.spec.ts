/** The CLIs end to end on a briefly trained classifier, and their clear failures. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliError, configSwallowedByNx, loadAccelerator } from '../../src/cli/common';
import { main as evalMain } from '../../src/cli/eval';
import { main as exportMain } from '../../src/cli/export';
import { main as inferMain } from '../../src/cli/infer';
import { main as trainMain } from '../../src/cli/train';
import { main as pretrainMain } from '../../src/cli/pretrain';
import { finetune, saveModelDir } from '../../src/engine';
import { BertForPretraining, BertModel } from '../../src/models';
import { BertTokenizer } from '../../src/tokenizers';
import { TINY, quietLogger, trainArgs, writeTask } from '../engine/fixtures';

let root: string;
let files: { train: string; dev: string };
let best: string;
let out: string[];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-nlp-cli-'));
  files = writeTask(root);
  // A freshly initialized one-layer model saved as a folder, then fine-tuned briefly from it.
  const init = path.join(root, 'init');
  saveModelDir(init, { model: new BertForPretraining(new BertModel(TINY)), config: { init_class: 'BertForPretraining', model_type: 'bert', init_args: TINY }, tokenizer: BertTokenizer.fromPretrained('bert-base-uncased') });
  const dir = path.join(root, 'ft');
  const r = finetune(trainArgs({ model_name_or_path: init, train_file: files.train, dev_file: files.dev, output_dir: dir, max_steps: 60, eval_steps: 20, save_steps: 60 }), quietLogger(dir));
  best = r.bestDir;
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  out = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

const json = (): Record<string, unknown>[] => out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('eval, infer, export', () => {
  it('eval prints the accuracy record of the held-out data', async () => {
    expect(await evalMain(['--model_name_or_path', best, '--task_name', 'custom', '--train_file', files.train, '--dev_file', files.dev, '--max_seq_length', '32'])).toBe(0);
    const [r] = json();
    expect(r).toMatchObject({ split: 'eval', count: 60 });
    expect(r!.acc as number).toBeGreaterThan(0.8);
    expect(r!.step).toBeGreaterThan(0);
    // With a dev file the training data is not needed.
    out = [];
    expect(await evalMain(['--model_name_or_path', best, '--task_name', 'custom', '--label_list', '0', '1', '--dev_file', files.dev, '--max_seq_length', '32'])).toBe(0);
    expect(json()[0]).toEqual(r);
  });

  it('infer labels each text with class probabilities', async () => {
    expect(await inferMain(['--model_name_or_path', best, '--text', 'the food was great and excellent.', '--text', 'awful, terrible service.'])).toBe(0);
    const rows = json();
    expect(rows.map((r) => r.label)).toEqual(['1', '0']);
    for (const r of rows) expect((r.probs as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('export writes a Paddle inference model that infer --model runs with the same predictions', async () => {
    const dest = path.join(root, 'export');
    expect(await exportMain(['--model_name_or_path', best, '--output_path', dest])).toBe(0);
    expect(fs.readdirSync(dest).sort()).toEqual(['inference.pdiparams', 'inference.pdmodel', 'model_config.json', 'tokenizer_config.json', 'vocab.txt']);
    const texts = ['the food was great and excellent.', 'awful, terrible service.', 'the phone battery was poor and the plot bad, really quite bad.'];
    const run = async (args: string[]): Promise<Record<string, unknown>[]> => {
      out = [];
      expect(await inferMain([...args, ...texts.flatMap((t) => ['--text', t])])).toBe(0);
      return json();
    };
    const live = await run(['--model_name_or_path', best]);
    const archive = path.join(root, 'export.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', root, 'export']);
    for (const model of [dest, path.join(dest, 'inference.pdmodel'), archive]) {
      const rows = await run(['--model', model]);
      expect(rows.map((r) => r.label)).toEqual(live.map((r) => r.label));
      rows.forEach((r, i) => (r.probs as number[]).forEach((p, k) => expect(p).toBeCloseTo((live[i]!.probs as number[])[k]!, 5)));
    }
    expect(live.map((r) => r.label)).toEqual(['1', '0', '0']);
  });

  it('infer --model refuses what export did not write', async () => {
    await expect(inferMain(['--model', path.join(root, 'nowhere'), '--text', 'x'])).rejects.toThrow(/no such folder, \.pdmodel file, jit\.save prefix or \.tar\.gz/);
    await expect(inferMain(['--model', best, '--text', 'x'])).rejects.toThrow(/holds trained weights \(model_state\.pdparams\), not an exported model: pass it as --model_name_or_path/);
    await expect(inferMain(['--model', best, '--model_name_or_path', best, '--text', 'x'])).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuse a folder that is not a fine-tuned classifier', async () => {
    await expect(inferMain(['--model_name_or_path', root, '--text', 'x'])).rejects.toThrow(/not a saved model folder/);
    await expect(evalMain([])).rejects.toThrow(/--model_name_or_path is required/);
  });
});

describe('failures before any work', () => {
  it('--select_device xpu fails clearly without a built backend or an accelerator', async () => {
    // Here there is no accelerator: whether @oar/xpu-backend is built yet or not, the run stops
    // before any work with a message that says how to run on the CPU.
    const clear = /--select_device xpu[\s\S]*(not installed or not built|no usable accelerator)[\s\S]*--select_device cpu/;
    await expect(trainMain(['--select_device', 'xpu', '--output_dir', path.join(root, 'x')])).rejects.toThrow(CliError);
    await expect(pretrainMain(['--select_device', 'xpu', '--output_dir', path.join(root, 'x')])).rejects.toThrow(clear);
    expect(() => loadAccelerator('xpu', () => { throw new Error("Cannot find module '@oar/xpu-backend'"); })).toThrow(/@oar\/xpu-backend is not installed or not built/);
    expect(() => loadAccelerator('xpu', () => ({ registerXpuBackend: () => { throw new Error('no CUDA driver'); } }))).toThrow(/no usable accelerator: no CUDA driver/);
    expect(() => loadAccelerator('cpu', () => { throw new Error('not reached'); })).not.toThrow();
  });

  it('a malformed data line names the file and line', async () => {
    const bad = path.join(root, 'bad.tsv');
    fs.writeFileSync(bad, 'good phone\t1\nno label at all\n');
    await expect(trainMain(['--task_name', 'custom', '--train_file', bad, '--output_dir', path.join(root, 'y'), '--model_name_or_path', 'bert-tiny-uncased'])).rejects.toThrow(`${bad}:2: expected "text<TAB>label"`);
  });

  it('an unknown flag is a usage error', async () => {
    await expect(trainMain(['--learning_rte', '1'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(trainMain(['--learning_rte', '1'])).rejects.toThrow(/Unknown argument: learning_rte \(--learning_rte: did you mean --learning_rate\?\)/);
  });

  it('--max_seq_length beyond the model positions is refused', async () => {
    await expect(trainMain(['--model_name_or_path', 'bert-tiny-uncased', '--max_seq_length', '600', '--output_dir', path.join(root, 'z')])).rejects.toThrow(/exceeds the model's 512 positions/);
  });

  it('recovers -c that nx took for its own --configuration', () => {
    const env = { NX_TASK_TARGET_PROJECT: 'nlp', NX_INVOCATION_ROOT_PID: '1' };
    expect(configSwallowedByNx(env, () => ['node', 'nx', 'run', 'nlp:train', '-c', 'my.yaml'].join('\0'))).toBe('my.yaml');
    expect(configSwallowedByNx({}, () => '')).toBeUndefined();
  });
});
