import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { data, io, memory, type Tensor } from '@oar/core';
import { ConfigError, loadConfig } from '../../src/config';
import { EMBEDDED_FASHION_MNIST_DIR, readIdxSync } from '../../src/data';
import { Engine, type EpochEndInfo } from '../../src/engine';
import { registerTinyNet, tinyConfig } from './fixtures';

registerTinyNet();

let dir: string;
let cfgFile: string;
const lines: string[] = [];
const quiet = { progress: false, write: (l: string) => void lines.push(l) };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-engine-'));
  cfgFile = tinyConfig(dir, { nTrain: 1000, nTest: 500, epochs: 2 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('a two-epoch learning run on a Fashion-MNIST subset', () => {
  const epochs: EpochEndInfo[] = [];
  const live: number[] = [];
  let result: Awaited<ReturnType<Engine['train']>>;
  let out: string;

  beforeAll(async () => {
    const engine = new Engine(loadConfig(cfgFile), 'train', {
      ...quiet,
      onEpochEnd: (info) => {
        epochs.push(info);
        live.push(memory().numTensors);
      },
    });
    out = engine.outputDir;
    result = await engine.train();
    engine.close();
  }, 120_000);

  test('the loss falls and accuracy beats chance (0.1) clearly', () => {
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[1]!.train.loss!).toBeLessThan(epochs[0]!.train.loss! * 0.8);
    expect(epochs[1]!.eval!.loss!).toBeLessThan(epochs[0]!.eval!.loss!);
    expect(epochs[1]!.eval!.top1!).toBeGreaterThan(0.5);
    expect(epochs[1]!.eval!.top5!).toBeGreaterThan(0.9);
    expect(result.bestEpoch).toBe(2);
    expect(result.bestMetric).toBe(epochs[1]!.eval!.top1);
    expect(result.globalStep).toBe(2 * 32);
  });

  test('live tensors stay flat from one epoch to the next', () => {
    expect(live[1]).toBe(live[0]);
  });

  test("checkpoints in PaddleClas's layout, with no temporary files left", () => {
    const files = fs.readdirSync(out).sort();
    for (const prefix of ['best_model', 'epoch_1', 'epoch_2', 'latest']) {
      for (const ext of ['.pdparams', '.pdopt', '.pdstates']) expect(files).toContain(prefix + ext);
    }
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['config.yaml', 'metrics.jsonl', 'train.log']));
    const states = io.load(path.join(out, 'latest.pdstates')) as Record<string, unknown>;
    expect(states).toMatchObject({ epoch: 2, global_step: 64, best_epoch: 2 });
    expect(states.metric).toBeCloseTo(result.bestMetric, 10);
    const opt = io.load(path.join(out, 'latest.pdopt')) as Record<string, unknown>;
    expect((opt.LR_Scheduler as Record<string, unknown>).last_epoch).toBe(64);
    expect(Object.keys(opt).some((k) => k.endsWith('_velocity_0'))).toBe(true);
  });

  test('log lines in PaddleClas format and metrics.jsonl for plotting', () => {
    const trainLine = lines.find((l) => l.includes('[Train][Epoch 2/2][Iter: 5/32]'))!;
    expect(trainLine).toMatch(
      /^\[\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\] oar-clas INFO: \[Train\]\[Epoch 2\/2\]\[Iter: 5\/32\]lr: \d\.\d{5}, CELoss: \d\.\d{5}, loss: \d\.\d{5}, top1: \d\.\d{5}, top5: \d\.\d{5}, batch_cost: \d+\.\d{5}s, reader_cost: \d+\.\d{5}, ips: \d+\.\d{5} images\/sec, eta: \d+:\d\d:\d\d$/,
    );
    expect(lines.some((l) => /\[Eval\]\[Epoch 2\]\[Avg\]CELoss: \d\.\d{5}, loss: \d\.\d{5}, top1: \d\.\d{5}, top5: \d\.\d{5}$/.test(l))).toBe(true);
    expect(lines.some((l) => /\[Eval\]\[Epoch 2\]\[best metric: \d\.\d{5}\]/.test(l))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'train.log'), 'utf8')).toContain('[Train][Epoch 1/2][Iter: 0/32]');
    const recs = readJsonl(path.join(out, 'metrics.jsonl'));
    const evals = recs.filter((r) => r.split === 'eval');
    expect(evals.map((r) => r.epoch)).toEqual([1, 2]);
    expect(evals[1]).toMatchObject({ epoch: 2, step: 64, top1: epochs[1]!.eval!.top1, top5: epochs[1]!.eval!.top5, loss: epochs[1]!.eval!.loss });
    const train = recs.filter((r) => r.split === 'train');
    // print_batch_step 5 over 32 iterations: 0, 5, ..., 30 in each epoch.
    expect(train.map((r) => r.iter)).toEqual([0, 5, 10, 15, 20, 25, 30, 0, 5, 10, 15, 20, 25, 30]);
    expect(train[0]).toEqual(expect.objectContaining({ epoch: 1, step: 1, lr: expect.any(Number), loss: expect.any(Number), top1: expect.any(Number), ips: expect.any(Number) }));
  });

  test('eval reports the same top-1/top-5 for best_model', async () => {
    const engine = new Engine(loadConfig(cfgFile, [`Global.pretrained_model=${path.join(out, 'best_model')}`]), 'eval', quiet);
    const r = await engine.eval();
    engine.close();
    expect(r.top1).toBe(epochs[1]!.eval!.top1);
    expect(r.top5).toBe(epochs[1]!.eval!.top5);
    expect(r.loss).toBeCloseTo(epochs[1]!.eval!.loss!, 6);
    // A separate log: eval does not touch the training metrics file.
    expect(fs.existsSync(path.join(out, 'eval.log'))).toBe(true);
  });

  test('infer predicts image files through Infer.transforms with class names', async () => {
    // Ten test images as PNG files; the model is grey, decoded PNGs are RGB (luma recovers the grey).
    const imgDir = path.join(dir, 'images');
    fs.mkdirSync(imgDir, { recursive: true });
    const images = readIdxSync(path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
    for (let i = 0; i < 10; i++) {
      const px = (images.data as Uint8Array).slice(i * 784, (i + 1) * 784);
      fs.writeFileSync(path.join(imgDir, `img_${i}.png`), await data.encodePng(data.hostArray(px, [28, 28, 1], 'uint8')));
    }
    fs.writeFileSync(path.join(imgDir, 'notes.txt'), 'not an image');
    const map = path.join(dir, 'labels.txt');
    fs.writeFileSync(map, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'].map((n, i) => `${i} ${n}`).join('\n'));
    const infer = `Infer:
  infer_imgs: ${imgDir}
  batch_size: 4
  transforms:
    - DecodeImage: {to_rgb: true, channel_first: false}
    - NormalizeImage: {scale: 1.0/255.0, mean: [0.2860], std: [0.3530], order: ''}
    - ToCHWImage:
  PostProcess: {name: Topk, topk: 3, class_id_map_file: ${map}}
`;
    const file = path.join(dir, 'infer.yaml');
    fs.writeFileSync(file, `_base_: ${cfgFile}\n${infer}`);
    const engine = new Engine(loadConfig(file), 'infer', quiet);
    const res = await engine.infer();
    expect(res.map((r) => path.basename(r.file_name!))).toEqual(Array.from({ length: 10 }, (_, i) => `img_${i}.png`));
    for (const r of res) {
      expect(r.class_ids).toHaveLength(3);
      expect(r.scores[0]!).toBeGreaterThanOrEqual(r.scores[1]!);
      expect(r.label_names![0]).toBe(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'][r.class_ids[0]!]);
    }
    // The same images through the data set path (IDX, no PNG round trip) give the same classes.
    const ds = engine.buildLoader('Eval');
    const want: number[] = [];
    for await (const b of ds) {
      const logits = engine.model.call((b as Tensor[])[0]!) as Tensor;
      const x = logits.dataSync();
      for (let i = 0; i < 10; i++) {
        const row = Array.from((x as Float32Array).slice(i * 10, i * 10 + 10));
        want.push(row.indexOf(Math.max(...row)));
      }
      logits.dispose();
      break;
    }
    expect(res.map((r) => r.class_ids[0])).toEqual(want);
    // --image replaces infer_imgs.
    const one = await engine.infer([path.join(imgDir, 'img_3.png')]);
    expect(one).toHaveLength(1);
    expect(one[0]!.class_ids).toEqual(res[3]!.class_ids);
    await expect(engine.infer([path.join(imgDir, 'notes.txt')])).rejects.toThrow(/--image: .*notes\.txt is not an image file/);
    engine.close();
  });

  test('export writes inference.pdparams and the resolved config, and says the program format is missing', () => {
    const inf = path.join(dir, 'inference');
    const engine = new Engine(loadConfig(cfgFile, [`Global.save_inference_dir=${inf}`]), 'export', quiet);
    const n = lines.length;
    const r = engine.export();
    expect(r.files.map((f) => path.basename(f))).toEqual(['inference.pdparams', 'config.yaml']);
    const saved = io.loadStateDict(path.join(inf, 'inference.pdparams'));
    const best = io.loadStateDict(path.join(out, 'best_model.pdparams'));
    expect(Object.keys(saved)).toEqual(Object.keys(best));
    expect(saved['fc.weight']!.toFlatArray()).toEqual(best['fc.weight']!.toFlatArray());
    expect(lines.slice(n).join('\n')).toMatch(/WARNING: the inference program \(inference\.pdmodel \+ inference\.pdiparams\) is not written: that format is not implemented yet/);
    expect(loadConfig(path.join(inf, 'config.yaml')).Arch.name).toBe('TinyNet');
    engine.close();
  });

  test('resuming with another Global.epochs keeps the checkpoint\'s schedule and says so', () => {
    const n = lines.length;
    const engine = new Engine(loadConfig(cfgFile, ['Global.epochs=4', `Global.output_dir=${path.join(dir, 'more')}`, `Global.checkpoints=${path.join(out, 'latest')}`]), 'train', quiet);
    engine.prepareTraining();
    expect(engine.startEpoch).toBe(3);
    const log = lines.slice(n).join('\n');
    expect(log).toMatch(/WARNING: Global\.checkpoints: the checkpoint's learning-rate schedule is at .* after 64 steps, the config's would be at 0\.0750000 .*training continues on the checkpoint's schedule/);
    engine.close();
  });

  test('pretrained_model fine-tunes: weights load, a classifier of another size is skipped with a warning', () => {
    const n = lines.length;
    const engine = new Engine(loadConfig(cfgFile, ['Arch.class_num=4', `Global.pretrained_model=${path.join(out, 'best_model.pdparams')}`]), 'train', quiet);
    engine.prepareTraining();
    const best = io.loadStateDict(path.join(out, 'best_model.pdparams'));
    const own = engine.model.stateDict();
    expect(own.get('conv1.weight')!.toFlatArray()).toEqual(best['conv1.weight']!.toFlatArray());
    expect(own.get('fc.weight')!.shape).toEqual([784, 4]);
    const log = lines.slice(n).join('\n');
    expect(log).toContain('Global.pretrained_model: skip loading fc.weight: [784, 10] in the file, [784, 4] in the model');
    expect(log).toContain('skip loading fc.bias: [10] in the file, [4] in the model');
    expect(log).toMatch(/loaded 10 of 12 weights/);
    engine.close();
  });
});

test('evaluation every eval_interval epochs and always after the last', async () => {
  const evals: (number | null)[] = [];
  const engine = new Engine(
    loadConfig(cfgFile, ['Global.epochs=3', 'Global.eval_interval=2', 'Global.save_interval=2', 'Global.print_batch_step=100', `Global.output_dir=${path.join(dir, 'interval')}`]),
    'train',
    { ...quiet, onEpochEnd: (i) => evals.push(i.eval ? i.epoch : null) },
  );
  await engine.train();
  engine.close();
  expect(evals).toEqual([null, 2, 3]);
  const files = fs.readdirSync(path.join(dir, 'interval', 'TinyNet'));
  expect(files.filter((f) => f.endsWith('.pdparams')).sort()).toEqual(['best_model.pdparams', 'epoch_2.pdparams', 'latest.pdparams']);
}, 60_000);

describe('clear errors naming the key or file', () => {
  const build = (overrides: string[], mode: 'train' | 'eval' = 'train') => new Engine(loadConfig(cfgFile, overrides), mode, { ...quiet, source: cfgFile });

  test('an unknown Arch.name suggests the registered one', () => {
    expect(() => build(['Arch.name=Resnet_18'])).toThrow(ConfigError);
    expect(() => build(['Arch.name=Resnet_18'])).toThrow(/tiny\.yaml:\n  Arch\.name: unknown architecture "Resnet_18" \(did you mean ResNet18\?\); available: .*TinyNet/);
  });

  test('Arch options the model rejects are reported under Arch', () => {
    expect(() => build(['Arch.name=ResNet18', 'Arch.depth=5'])).toThrow(/invalid config .*tiny\.yaml:\n  Arch: ResNet18: unknown Arch option "depth"/);
  });

  test('sections training needs', () => {
    const without = (drop: (c: ReturnType<typeof loadConfig>) => void) => {
      const c = loadConfig(cfgFile);
      drop(c);
      return new Engine(c, 'train', { ...quiet, source: cfgFile });
    };
    const e = without((c) => delete c.Optimizer);
    expect(() => e.prepareTraining()).toThrow(/Optimizer: missing \(training needs an optimizer/);
    e.close();
    const l = build(['Loss.Train=[]']);
    expect(() => l.prepareTraining()).toThrow(/Loss\.Train: missing \(training needs a loss/);
    l.close();
    const d = without((c) => delete c.DataLoader!.Train);
    expect(() => d.prepareTraining()).toThrow(/DataLoader\.Train: missing \(training needs a data set\)/);
    d.close();
  });

  test('a checkpoint that does not exist', () => {
    const e = build([`Global.checkpoints=${path.join(dir, 'nowhere', 'latest')}`]);
    expect(() => e.prepareTraining()).toThrow(/Global\.checkpoints: cannot resume from .*nowhere\/latest: .*latest\.pdparams, .*latest\.pdopt, .*latest\.pdstates do not exist/);
    e.close();
  });

  test('weights for another architecture', () => {
    const other = path.join(dir, 'other');
    io.save({ 'stem.0.conv.weight': new io.NdArray('float32', [2], new Float32Array(2)) }, `${other}.pdparams`);
    const e = build([`Global.pretrained_model=${other}`]);
    expect(() => e.prepareTraining()).toThrow(/Global\.pretrained_model: no entry of .*other\.pdparams fits the model .*is it for another Arch\?/);
    e.close();
  });

  test('eval with weights of another class count', async () => {
    const e = build(['Arch.class_num=4', `Global.pretrained_model=${path.join(dir, 'output', 'TinyNet', 'best_model')}`], 'eval');
    await expect(e.eval()).rejects.toThrow(/Global\.pretrained_model: .*best_model\.pdparams does not fit the model \(Arch\): fc\.weight: \[784, 10\] in the file, \[784, 4\] in the model; fc\.bias/);
    e.close();
  });

  test('eval without weights says how to give them', async () => {
    const e = build([`Global.output_dir=${path.join(dir, 'empty')}`], 'eval');
    await expect(e.eval()).rejects.toThrow(/Global\.pretrained_model: missing \(eval needs trained weights .*set -o Global\.pretrained_model=/);
    e.close();
  });

  test('top-5 on a 3-class model', async () => {
    const e = build(['Arch.class_num=3', 'Global.epochs=1', 'Global.print_batch_step=100', `Global.output_dir=${path.join(dir, 'k3')}`]);
    await expect(e.train()).rejects.toThrow('Metric.Train.0.TopkAcc.topk: top-5 needs at least that many classes, the model has 3');
    e.close();
  });

  test('labels beyond Arch.class_num', async () => {
    const e = build(['Arch.class_num=3', 'Metric.Train=[]', 'Global.epochs=1', `Global.output_dir=${path.join(dir, 'k3')}`]);
    await expect(e.train()).rejects.toThrow(/DataLoader\.Train: label \d is not a class of the model, which has 3 \(Arch\.class_num\)/);
    e.close();
  });

  test('an accelerator device without its backend', () => {
    expect(() => build(['Global.device=xpu:0'])).toThrow(/Global\.device: xpu:0 cannot be used: .*no backend of kind "xpu".*or set Global\.device=cpu/);
  });
});
