/**
 * `oar-clas-export` writes PaddleClas's export_model layout (inference.pdmodel + .pdiparams, the
 * model ending in softmax, and the resolved config), and `oar-clas-infer --model` predicts from
 * it what dygraph `oar-clas-infer` predicts from the weights.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { data, framework, seed } from '@oar/core';
import { main as exportMain } from '../src/cli/export';
import { asLogits, main as inferMain } from '../src/cli/infer';
import { loadConfig } from '../src/config';
import { EMBEDDED_FASHION_MNIST_DIR, readIdxSync } from '../src/data';
import { buildModel, saveWeights } from '../src/engine';
import { registerTinyNet, tinyConfig } from './engine/fixtures';

registerTinyNet();

let dir: string;
let cfg: string;
let weights: string;
let images: string[];
let out: string[];
let stdoutSpy: jest.SpyInstance;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-clas-export-cli-'));
  cfg = tinyConfig(dir, {
    nTrain: 8,
    nTest: 8,
    extra: `Infer:
  infer_imgs: ${path.join(dir, 'images')}
  batch_size: 2
  transforms:
    - DecodeImage: {to_rgb: true}
    - NormalizeImage: {scale: 1.0/255.0, mean: [0.2860], std: [0.3530], order: ''}
  PostProcess: {name: Topk, topk: 3}
`,
  });
  seed(11);
  const model = buildModel(loadConfig(cfg));
  weights = path.join(dir, 'weights');
  saveWeights(`${weights}.pdparams`, model);
  model.dispose();
  const idx = readIdxSync(path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
  fs.mkdirSync(path.join(dir, 'images'));
  images = [];
  for (let i = 0; i < 3; i++) {
    const f = path.join(dir, 'images', `img${i}.png`);
    fs.writeFileSync(f, await data.encodePng(data.hostArray((idx.data as Uint8Array).slice(i * 784, (i + 1) * 784), [28, 28, 1], 'uint8')));
    images.push(f);
  }
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

interface Printed {
  class_ids: number[];
  scores: number[];
  file_name: string;
}

const results = (): Printed[] =>
  out
    .join('')
    .split('\n')
    .filter((l) => l.includes('"class_ids"'))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Printed);

describe('export and infer --model', () => {
  it('exports inference.pdmodel + inference.pdiparams that infer --model predicts with, as dygraph infer does', async () => {
    const inf = path.join(dir, 'inference');
    expect(await exportMain(['-c', cfg, '-o', `Global.pretrained_model=${weights}`, '--save_inference_dir', inf])).toBe(0);
    expect(fs.readdirSync(inf).sort()).toEqual(['config.yaml', 'inference.pdiparams', 'inference.pdmodel']);
    expect(out.join('')).toContain(`predict with: npx nx run clas:infer -- --model ${inf}`);

    const p = framework.decodeProgram(new Uint8Array(fs.readFileSync(path.join(inf, 'inference.pdmodel'))));
    const b = p.blocks[0]!;
    expect(b.vars.get('x')!.dims).toEqual([-1, 1, 28, 28]);
    const types = b.ops.map((o) => o.type);
    expect(types.slice(-3)).toEqual(['softmax', 'scale', 'fetch']);
    expect(b.ops.filter((o) => o.type === 'batch_norm').every((o) => o.attrs.is_test!.value === true)).toBe(true);

    out = [];
    expect(await inferMain(['-c', cfg, '-o', `Global.pretrained_model=${weights}`])).toBe(0);
    const dygraph = results();
    expect(dygraph).toHaveLength(3);

    // No -c: the config.yaml export wrote beside the model gives the transforms.
    out = [];
    expect(await inferMain(['--model', inf])).toBe(0);
    const fromModel = results();
    expect(fromModel.map((r) => [r.file_name, r.class_ids])).toEqual(dygraph.map((r) => [r.file_name, r.class_ids]));
    fromModel.forEach((r, i) => r.scores.forEach((s, k) => expect(Math.abs(s - dygraph[i]!.scores[k]!)).toBeLessThanOrEqual(2e-5)));
    expect(out.join('')).toMatch(/batch of 2: \d+\.\d ms/);

    // The .pdmodel path and an explicit config work too.
    out = [];
    expect(await inferMain(['--model', path.join(inf, 'inference.pdmodel'), '-c', cfg, '--image', images[1]!])).toBe(0);
    expect(results().map((r) => r.class_ids)).toEqual([dygraph[1]!.class_ids]);
  }, 60_000);

  it('asLogits: probability rows become logs, logit rows stay', () => {
    const probs = Float32Array.from([0.25, 0.75, 0.5, 0.5]);
    expect(Array.from(asLogits(probs, 2))).toEqual(Array.from(probs).map((v) => Math.fround(Math.log(v))));
    const logits = Float32Array.from([2, -1, 0.5, 0.5]);
    expect(asLogits(logits, 2)).toBe(logits);
  });

  it('infer --model names a missing model clearly', async () => {
    await expect(inferMain(['--model', path.join(dir, 'nothing-here'), '-c', cfg])).rejects.toThrow(/nothing-here: no such file or folder/);
  });
});
