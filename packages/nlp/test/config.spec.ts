/** Options: defaults, YAML under flags, and errors that name the key and suggest the right one. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, loadPretrainArgs, loadTrainArgs, pretrainSection } from '../src/config';
import { DEFAULT_TRAIN_CONFIG } from '../src/cli/train';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-nlp-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function yaml(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('training options', () => {
  it("has PaddleNLP run_glue.py's flags with defaults", () => {
    const a = loadTrainArgs(undefined, {});
    expect([a.model_type, a.max_seq_length, a.batch_size, a.select_device, a.warmup_proportion, a.max_steps]).toEqual(['bert', 128, 32, 'cpu', 0, -1]);
  });

  it('takes a YAML file and lets flags override it', () => {
    const f = yaml('a.yaml', 'model_type: ernie\nmodel_name_or_path: ernie-1.0-mini\nlearning_rate: 3.0e-5\nbatch_size: 8\n');
    const a = loadTrainArgs(f, { batch_size: 16 });
    expect([a.model_type, a.model_name_or_path, a.learning_rate, a.batch_size]).toEqual(['ernie', 'ernie-1.0-mini', 3e-5, 16]);
  });

  it('names an unknown key with the closest valid one', () => {
    const f = yaml('typo.yaml', 'learning_rte: 0.1\n');
    expect(() => loadTrainArgs(f, {})).toThrow(ConfigError);
    expect(() => loadTrainArgs(f, {})).toThrow(/learning_rte: unknown key \(did you mean learning_rate\?\)/);
  });

  it('names a bad value and what is accepted', () => {
    expect(() => loadTrainArgs(undefined, { model_type: 'gpt' })).toThrow(/model_type: expected one of "bert", "ernie", got string "gpt"/);
    expect(() => loadTrainArgs(undefined, { select_device: 'gpu' })).toThrow(/select_device: expected one of "cpu", "xpu", got string "gpu"/);
    expect(() => loadTrainArgs(undefined, { batch_size: 0 })).toThrow(/batch_size: must be >= 1, got number 0/);
    expect(() => loadTrainArgs(yaml('bad.yaml', 'batch_size: [1\n'), {})).toThrow(/bad\.yaml:\d+:\d+[\s\S]*YAML error/);
  });

  it('validates the pretrain section with its own path, inheriting the shared options', () => {
    const a = loadTrainArgs(yaml('p.yaml', 'max_seq_length: 48\npretrain:\n  max_steps: 5\n'), {});
    const p = pretrainSection(a, 'p.yaml');
    expect([p.max_steps, p.max_seq_length, p.model_name_or_path, p.output_dir]).toEqual([5, 48, a.model_name_or_path, path.join(a.output_dir, 'pretrain')]);
    const bad = loadTrainArgs(yaml('q.yaml', 'pretrain:\n  max_stepz: 5\n'), {});
    expect(() => pretrainSection(bad, 'q.yaml')).toThrow(/pretrain\.max_stepz: unknown key \(did you mean max_steps\?\)/);
  });

  it('parses the shipped default configuration', () => {
    const a = loadTrainArgs(DEFAULT_TRAIN_CONFIG, {});
    expect([a.model_name_or_path, a.task_name, a.dev_split]).toEqual(['bert-tiny-uncased', 'uci-sentiment', 0.2]);
    expect(pretrainSection(a, DEFAULT_TRAIN_CONFIG).max_steps).toBeGreaterThan(0);
  });
});

describe('pre-training options', () => {
  it("has run_pretrain.py's flags", () => {
    const a = loadPretrainArgs(undefined, { max_predictions_per_seq: 10 });
    expect([a.masked_lm_prob, a.max_predictions_per_seq, a.input_format]).toEqual([0.15, 10, 'text']);
    expect(() => loadPretrainArgs(undefined, { masked_lm_prob: 1.5 })).toThrow(/masked_lm_prob: must be < 1/);
  });
});
