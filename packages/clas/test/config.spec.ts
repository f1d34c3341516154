import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ConfigError,
  applyOverrides,
  dumpConfig,
  loadConfig,
  parseOverrideValue,
  readConfigFile,
  suggest,
  writeConfig,
} from '../src/config';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-clas-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const BASE = `
Global:
  device: cpu
  epochs: 120
  print_batch_step: 10
  output_dir: ./output/
Arch:
  name: ResNet50
  class_num: 1000
Loss:
  Train:
    - CELoss:
        weight: 1.0
Optimizer:
  name: Momentum
  momentum: 0.9
  lr:
    name: Piecewise
    learning_rate: 0.1
    decay_epochs: [30, 60, 90]
    values: [0.1, 0.01, 0.001, 0.0001]
  regularizer:
    name: 'L2'
    coeff: 0.0001
DataLoader:
  Train:
    dataset:
      name: ImageNetDataset
      image_root: ./dataset/ILSVRC2012/
      cls_label_path: ./dataset/ILSVRC2012/train_list.txt
      transform_ops:
        - DecodeImage:
            to_rgb: True
            channel_first: False
        - RandCropImage:
            size: 224
        - RandFlipImage:
            flip_code: 1
        - NormalizeImage:
            scale: 1.0/255.0
            mean: [0.485, 0.456, 0.406]
            std: [0.229, 0.224, 0.225]
            order: ''
    sampler:
      name: DistributedBatchSampler
      batch_size: 64
      drop_last: False
      shuffle: True
    loader:
      num_workers: 4
      use_shared_memory: True
Metric:
  Train:
    - TopkAcc:
        topk: [1, 5]
`;

/** The messages of a ConfigError thrown by fn, by path. */
function issues(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a PaddleClas config and fills in defaults', () => {
    const cfg = loadConfig(write('base.yaml', BASE));
    expect(cfg.Global.epochs).toBe(120);
    expect(cfg.Global.save_interval).toBe(1);
    expect(cfg.Global.image_shape).toEqual([3, 224, 224]);
    expect(cfg.Arch).toEqual({ name: 'ResNet50', class_num: 1000 });
    expect(cfg.Optimizer).toMatchObject({ name: 'Momentum', momentum: 0.9, regularizer: { name: 'L2', coeff: 0.0001 } });
    expect(cfg.Optimizer!.lr).toMatchObject({ name: 'Piecewise', decay_epochs: [30, 60, 90], warmup_epoch: 0 });
    const ops = cfg.DataLoader!.Train!.dataset.transform_ops!;
    // `scale: 1.0/255.0` is a string in YAML; PaddleClas evals it, the schema computes it.
    expect(ops[3]).toEqual({
      NormalizeImage: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], order: '', output_fp16: false, channel_num: 3 },
    });
    expect(ops[0]).toEqual({ DecodeImage: { to_rgb: true, channel_first: false } });
    expect(cfg.DataLoader!.Train!.sampler).toEqual({ name: 'DistributedBatchSampler', batch_size: 64, drop_last: false, shuffle: true });
    expect(cfg.Metric!.Train).toEqual([{ TopkAcc: { topk: [1, 5] } }]);
    expect(cfg.Loss!.Train).toEqual([{ CELoss: { weight: 1 } }]);
  });

  it('merges _base_ files: maps key by key, lists replaced, paths relative to the including file', () => {
    write('inherit/base.yaml', BASE);
    write('inherit/lr.yaml', 'Optimizer:\n  lr:\n    values: [0.2, 0.02, 0.002, 0.0002]\n    warmup_epoch: 5\n');
    const child = write(
      'inherit/sub/child.yaml',
      `_base_: [../base.yaml, ../lr.yaml]
Global:
  epochs: 20
Arch:
  class_num: 102
DataLoader:
  Train:
    dataset:
      transform_ops:
        - DecodeImage:
        - ResizeImage:
            resize_short: 256
`,
    );
    const cfg = loadConfig(child);
    expect(cfg.Global.epochs).toBe(20);
    expect(cfg.Global.print_batch_step).toBe(10); // from the base
    expect(cfg.Arch).toEqual({ name: 'ResNet50', class_num: 102 });
    // lr is a map, so it merges key by key: the base's schedule with the second base's values.
    expect(cfg.Optimizer!.lr).toMatchObject({ name: 'Piecewise', decay_epochs: [30, 60, 90], values: [0.2, 0.02, 0.002, 0.0002], warmup_epoch: 5 });
    // The child's list replaces the base's list as a whole.
    expect(cfg.DataLoader!.Train!.dataset.transform_ops!.map((o) => Object.keys(o)[0])).toEqual(['DecodeImage', 'ResizeImage']);
    expect(cfg.DataLoader!.Train!.dataset).toMatchObject({ image_root: './dataset/ILSVRC2012/' });
  });

  it('keeps base keys when a child switches a map to another kind, and says which keys no longer fit', () => {
    write('switch/base.yaml', BASE);
    const child = write('switch/child.yaml', '_base_: base.yaml\nOptimizer:\n  lr:\n    name: Cosine\n    learning_rate: 0.0125\n');
    const got = issues(() => loadConfig(child));
    expect(got['Optimizer.lr.decay_epochs']).toMatch(/^unknown key; valid keys here: name, learning_rate, eta_min/);
    expect(got['Optimizer.lr.values']).toMatch(/^unknown key/);
    // `_inherited_: false` makes the child's map replace the base's.
    const replaced = write('switch/child2.yaml', '_base_: base.yaml\nOptimizer:\n  lr:\n    _inherited_: false\n    name: Cosine\n    learning_rate: 0.0125\n');
    expect(loadConfig(replaced).Optimizer!.lr).toEqual({ name: 'Cosine', learning_rate: 0.0125, eta_min: 0, warmup_epoch: 0, warmup_start_lr: 0, last_epoch: -1 });
  });

  it('accepts _base_ as a single path and reports cycles and missing bases', () => {
    write('single/base.yaml', BASE);
    const cfg = loadConfig(write('single/child.yaml', '_base_: base.yaml\nGlobal:\n  epochs: 3\n'));
    expect(cfg.Global.epochs).toBe(3);
    write('cycle/a.yaml', '_base_: b.yaml\n');
    write('cycle/b.yaml', '_base_: a.yaml\n');
    expect(() => readConfigFile(path.join(dir, 'cycle/a.yaml'))).toThrow(/_base_ cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml/);
    const orphan = write('orphan.yaml', '_base_: nowhere.yaml\n');
    expect(() => readConfigFile(orphan)).toThrow(/cannot read config .*nowhere\.yaml \(named in _base_ of .*orphan\.yaml\): ENOENT/);
  });

  it('applies -o overrides with YAML-typed values', () => {
    const file = write('ov.yaml', BASE);
    const cfg = loadConfig(file, [
      'Global.epochs=2',
      'DataLoader.Train.sampler.batch_size=64',
      'Arch.class_num=10',
      'Optimizer.lr.decay_epochs=[30,60]',
      'Optimizer.lr.values=[0.1, 0.01, 0.001]',
      'Global.device=xpu:1',
      'Global.pretrained_model=./pretrained/ResNet50_pretrained',
      'Global.checkpoints=None',
      'Global.seed=7',
      'DataLoader.Train.dataset.transform_ops.1.RandCropImage.size=[192, 160]',
      'DataLoader.Train.loader.use_shared_memory=False',
    ]);
    expect(cfg.Global).toMatchObject({ epochs: 2, device: 'xpu:1', seed: 7, checkpoints: null, pretrained_model: './pretrained/ResNet50_pretrained' });
    expect(cfg.Arch.class_num).toBe(10);
    expect(cfg.Optimizer!.lr).toMatchObject({ decay_epochs: [30, 60], values: [0.1, 0.01, 0.001] });
    expect(cfg.DataLoader!.Train!.dataset.transform_ops![1]).toEqual({ RandCropImage: { size: [192, 160] } });
    expect(cfg.DataLoader!.Train!.loader.use_shared_memory).toBe(false);
  });

  it('parses override values as YAML scalars and lists', () => {
    expect(parseOverrideValue('2')).toBe(2);
    expect(parseOverrideValue('0.5')).toBe(0.5);
    expect(parseOverrideValue('1e-4')).toBe(1e-4);
    expect(parseOverrideValue('[30,60]')).toEqual([30, 60]);
    expect(parseOverrideValue('True')).toBe(true);
    expect(parseOverrideValue('None')).toBeNull();
    expect(parseOverrideValue('')).toBeNull();
    expect(parseOverrideValue('./a b.jpg')).toBe('./a b.jpg');
    expect(parseOverrideValue('xpu:0')).toBe('xpu:0');
  });

  it('rejects malformed overrides and impossible paths', () => {
    const raw = readConfigFile(write('ov2.yaml', BASE));
    expect(() => applyOverrides(raw, ['Global.epochs'])).toThrow(/override "Global.epochs": expected Key.sub=value/);
    expect(() => applyOverrides(raw, ['Global..epochs=1'])).toThrow(/empty segment/);
    expect(() => applyOverrides(raw, ['DataLoader.Train.dataset.transform_ops.9.ResizeImage.size=1'])).toThrow(
      /DataLoader.Train.dataset.transform_ops has 4 entries, no index 9/,
    );
    expect(() => applyOverrides(raw, ['DataLoader.Train.dataset.transform_ops.first=1'])).toThrow(/is a list; index it with a number/);
    expect(() => applyOverrides(raw, ['Global.epochs.max=3'])).toThrow(/Global.epochs is 120, not a map or list/);
  });

  it('rejects unknown keys with the full path and the closest valid key', () => {
    const file = write('typo.yaml', BASE.replace('batch_size: 64', 'batchsize: 64').replace('RandFlipImage:', 'RandFlipImag:'));
    const got = issues(() => loadConfig(file));
    expect(got['DataLoader.Train.sampler.batchsize']).toBe('unknown key (did you mean batch_size?)');
    expect(got['DataLoader.Train.sampler.batch_size']).toBe('missing (expected a number)');
    expect(got['DataLoader.Train.dataset.transform_ops.2.RandFlipImag']).toBe('unknown key (did you mean RandFlipImage?)');
    // An override that invents a key is named in the message.
    const o = issues(() => loadConfig(write('ok.yaml', BASE), ['Global.epoch=3']));
    expect(o['Global.epoch']).toBe('unknown key (did you mean epochs?) (set by -o Global.epoch=3)');
    // Far from anything: the valid keys are listed instead.
    const far = issues(() => loadConfig(write('ok2.yaml', BASE), ['DataLoader.Train.loader.zzzzzzzz=1']));
    expect(far['DataLoader.Train.loader.zzzzzzzz']).toMatch(/^unknown key; valid keys here: num_workers, use_shared_memory/);
    // Unknown sections too.
    expect(issues(() => loadConfig(write('sec.yaml', `${BASE}\nOptimiser:\n  name: SGD\n`)))['Optimiser']).toBe(
      'unknown key (did you mean Optimizer?)',
    );
  });

  it('reports wrong types with the path, the expected type and the value', () => {
    const file = write('types.yaml', BASE);
    const got = issues(() =>
      loadConfig(file, [
        'Global.epochs=ten',
        'Global.device=gpu',
        'Arch.class_num=-1',
        'Optimizer.name=Momentun',
        'DataLoader.Train.sampler.shuffle=maybe',
        'DataLoader.Train.loader.num_workers=1.5',
        'DataLoader.Train.dataset.transform_ops.3.NormalizeImage.scale=1/two',
      ]),
    );
    expect(got['Global.epochs']).toBe('expected a number, got string "ten" (set by -o Global.epochs=ten)');
    expect(got['Global.device']).toBe(
      'expected cpu, xpu or xpu:N, got "gpu" (Oar names the accelerator xpu: use xpu or xpu:0) (set by -o Global.device=gpu)',
    );
    expect(got['Arch.class_num']).toBe('must be > 0, got -1 (set by -o Arch.class_num=-1)');
    expect(got['Optimizer.name']).toBe(
      'expected one of Momentum, SGD, Adam, AdamW, RMSProp, got string "Momentun" (did you mean Momentum?) (set by -o Optimizer.name=Momentun)',
    );
    expect(got['DataLoader.Train.sampler.shuffle']).toMatch(/^expected a boolean \(true or false\), got string "maybe"/);
    expect(got['DataLoader.Train.loader.num_workers']).toMatch(/^expected an integer, got number 1.5/);
    expect(got['DataLoader.Train.dataset.transform_ops.3.NormalizeImage.scale']).toMatch(/expression such as 1.0\/255.0, got "1\/two"/);
    const lr = issues(() => loadConfig(file, ['Optimizer.lr.values=[0.1, 0.01]', 'Optimizer.lr.decay_epochs=[30, 20, 90]']));
    expect(lr['Optimizer.lr.values']).toBe('needs one more entry than decay_epochs (4), got 2 (set by -o Optimizer.lr.values=[0.1, 0.01])');
    expect(lr['Optimizer.lr.decay_epochs']).toMatch(/^must increase, got \[30, 20, 90\]/);
  });

  it('checks one-key operator entries and operator parameters', () => {
    const twoKeys = BASE.replace('        - RandFlipImage:\n            flip_code: 1\n', '        - RandFlipImage:\n          ToCHWImage:\n');
    expect(issues(() => loadConfig(write('two.yaml', twoKeys)))['DataLoader.Train.dataset.transform_ops.2']).toMatch(
      /exactly one operator, got RandFlipImage, ToCHWImage/,
    );
    const got = issues(() =>
      loadConfig(write('params.yaml', BASE), [
        'DataLoader.Train.dataset.transform_ops.2.RandFlipImage.flip_code=2',
        'DataLoader.Train.dataset.transform_ops.1.RandCropImage.interpolation=area',
        'DataLoader.Train.dataset.transform_ops.3.NormalizeImage.order=nhwc',
      ]),
    );
    expect(got['DataLoader.Train.dataset.transform_ops.1.RandCropImage.interpolation']).toMatch(
      /^expected one of "nearest", "bilinear", "bicubic", got string "area"/,
    );
    expect(got['DataLoader.Train.dataset.transform_ops.3.NormalizeImage.order']).toMatch(/^expected one of "chw", "hwc", "", got string "nhwc"/);
    expect(got['DataLoader.Train.dataset.transform_ops.2.RandFlipImage.flip_code']).toMatch(/number 2/);
    const resize = BASE.replace('        - RandCropImage:\n            size: 224\n', '        - ResizeImage:\n            interpolation: bilinear\n');
    expect(issues(() => loadConfig(write('resize.yaml', resize)))['DataLoader.Train.dataset.transform_ops.1.ResizeImage']).toBe(
      'ResizeImage needs size or resize_short',
    );
  });

  it('names the file, line and column of YAML syntax errors, and duplicate keys', () => {
    const bad = write('syntax.yaml', 'Global:\n  epochs: [1, 2\nArch:\n  name: x\n');
    expect(() => loadConfig(bad)).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: YAML error`));
    const dup = write('dup.yaml', 'Global:\n  epochs: 1\n  epochs: 2\nArch:\n  name: x\n');
    expect(() => loadConfig(dup)).toThrow(/dup\.yaml:3:\d+: YAML error: Map keys must be unique/);
  });

  it('requires the Global and Arch sections', () => {
    const got = issues(() => loadConfig(write('empty.yaml', 'Metric:\n  Eval:\n    - TopkAcc:\n')));
    expect(got['Global']).toBe('missing (expected a map)');
    expect(got['Arch']).toBe('missing (expected a map)');
  });

  it('writes the resolved config as YAML that loads back to the same config', () => {
    const cfg = loadConfig(write('rt.yaml', BASE), ['Global.epochs=5']);
    const out = path.join(dir, 'out/config.yaml');
    writeConfig(cfg, out);
    expect(fs.readFileSync(out, 'utf8')).toBe(dumpConfig(cfg));
    expect(loadConfig(out)).toEqual(cfg);
    expect(dumpConfig(cfg)).toContain('scale: 0.00392156862745098');
  });
});

describe('suggest', () => {
  it('prefers case-insensitive matches and ignores distant keys', () => {
    expect(suggest('Batch_Size', ['batch_size', 'shuffle'])).toBe('batch_size');
    expect(suggest('shufle', ['batch_size', 'shuffle'])).toBe('shuffle');
    expect(suggest('completely_different', ['batch_size', 'shuffle'])).toBeUndefined();
  });
});
