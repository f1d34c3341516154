/**
 * A short learning run end to end: pre-training writes a model folder, fine-tuning from it learns
 * a synthetic sentiment task, evaluations land in metrics.jsonl, and a run resumed after a crash
 * ends with the same weights as an uninterrupted one.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { io } from '@oar/core';
import { documentsFromSentences } from '../../src/data';
import { finetune, pretrain, readModelConfig, type ModelSource } from '../../src/engine';
import { BertTokenizer } from '../../src/tokenizers';
import { TINY, pretrainArgs, quietLogger, readMetrics, sentimentLines, trainArgs, writeTask } from './fixtures';

let root: string;
let files: { train: string; dev: string };
let pretrained: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-nlp-train-'));
  files = writeTask(root);
  const pretrainDir = path.join(root, 'pretrain');
  pretrained = path.join(pretrainDir, 'latest');
  const tokenizer = BertTokenizer.fromPretrained('bert-base-uncased');
  const src: ModelSource = { type: 'bert', config: TINY, tokenizer, dir: null, saved: null };
  const docs = documentsFromSentences(sentimentLines(240, 1).map((l) => l.split('\t')[0]!), tokenizer, 40);
  const r = pretrain(pretrainArgs({ output_dir: pretrainDir, max_steps: 6 }), src, docs, quietLogger(pretrainDir));
  expect(r.outputDir).toBe(pretrained);
  expect(r.steps).toBe(6);
  expect(Number.isFinite(r.mlmLoss) && Number.isFinite(r.nspLoss)).toBe(true);
}, 60_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('pre-training', () => {
  it('saves a model folder in PaddleNLP layout with MLM and NSP losses logged', () => {
    for (const f of ['model_state.pdparams', 'model_state.pdopt', 'model_config.json', 'vocab.txt', 'tokenizer_config.json', 'train_state.json']) {
      expect(fs.existsSync(path.join(pretrained, f))).toBe(true);
    }
    expect(readModelConfig(pretrained).init_class).toBe('BertForPretraining');
    const keys = Object.keys(io.loadStateDict(path.join(pretrained, 'model_state.pdparams')));
    expect(keys).toContain('bert.encoder.layers.0.self_attn.q_proj.weight');
    expect(keys).toContain('cls.predictions.decoder_bias');
    const m = readMetrics(path.dirname(pretrained));
    expect(m.map((r) => r.step)).toEqual([2, 4, 6]);
    expect(m.every((r) => r.split === 'train' && typeof r.lm_loss === 'number' && typeof r.nsp_loss === 'number')).toBe(true);
  });
});

describe('fine-tuning', () => {
  it('learns the task from the pre-trained folder and records each evaluation', () => {
    const out = path.join(root, 'ft');
    const lines: string[] = [];
    const r = finetune(trainArgs({ model_name_or_path: pretrained, train_file: files.train, dev_file: files.dev, output_dir: out, max_steps: 60, eval_steps: 20, save_steps: 30 }), quietLogger(out, lines));
    const evals = readMetrics(out).filter((x) => x.split === 'eval');
    expect(evals.map((e) => e.step)).toEqual([20, 40, 60]);
    for (const e of evals) expect(Object.keys(e).sort()).toEqual(['acc', 'epoch', 'loss', 'split', 'step']);
    // One word decides each label: the model must find it (chance is 0.5).
    expect(r.bestAcc).toBeGreaterThanOrEqual(0.9);
    expect(evals[2]!.loss as number).toBeLessThan(0.5);
    expect(lines.some((l) => /global step 60\/60, epoch: 3, batch: \d+, loss: [\d.]+, lr: /.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('loaded') && l.includes('weights from'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'best', 'model_state.pdparams'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'latest', 'model_state.pdopt'))).toBe(true);
    expect(readModelConfig(path.join(out, 'best')).labels).toEqual(['0', '1']);
  }, 120_000);

  it('resumes after a crash to the same weights as an uninterrupted run', () => {
    const base = { model_name_or_path: pretrained, train_file: files.train, dev_file: files.dev, max_steps: 8, save_steps: 4, eval_steps: 4, logging_steps: 1 };
    const whole = path.join(root, 'whole');
    finetune(trainArgs({ ...base, output_dir: whole }), quietLogger(whole));
    const crashed = path.join(root, 'crashed');
    expect(() => finetune(trainArgs({ ...base, output_dir: crashed }), quietLogger(crashed, [], /global step 6\//))).toThrow(/simulated crash/);
    expect(JSON.parse(fs.readFileSync(path.join(crashed, 'latest', 'train_state.json'), 'utf8')).global_step).toBe(4);
    finetune(trainArgs({ ...base, output_dir: crashed, resume: path.join(crashed, 'latest') }), quietLogger(crashed));
    const a = io.loadStateDict(path.join(whole, 'latest', 'model_state.pdparams'));
    const b = io.loadStateDict(path.join(crashed, 'latest', 'model_state.pdparams'));
    for (const k of Object.keys(a)) {
      const x = a[k]!.dataSync() as Float32Array;
      const y = b[k]!.dataSync() as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
      expect([k, maxDiff < 1e-5]).toEqual([k, true]);
    }
    // The resumed run's metrics continue the crashed one's without repeats.
    const steps = readMetrics(crashed).filter((r) => r.split === 'eval').map((r) => r.step);
    expect(steps).toEqual([4, 8]);
  }, 120_000);

  it('refuses a checkpoint whose shapes do not fit the configuration before training', () => {
    const out = path.join(root, 'mismatch');
    fs.cpSync(pretrained, out, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'model_config.json'), 'utf8'));
    cfg.init_args.intermediate_size = 48;
    fs.writeFileSync(path.join(out, 'model_config.json'), JSON.stringify(cfg));
    expect(() => finetune(trainArgs({ model_name_or_path: out, train_file: files.train, dev_file: files.dev, output_dir: path.join(root, 'x') }), quietLogger(path.join(root, 'x')))).toThrow(
      /does not match the model configuration: bert\.encoder\.layers\.0\.linear1\.weight: \[64, 128\] in the file, \[64, 48\] in the model/,
    );
  });
});
