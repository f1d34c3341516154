import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { data, seed, type Tensor } from '@oar/core';
import {
  ConfigError,
  EMBEDDED_FASHION_MNIST_DIR,
  FashionMNISTDataset,
  ImageNetDataset,
  MNISTDataset,
  buildDataLoader,
  loadConfig,
  parseFileList,
} from '../src';

let root: string;
const N = 10;

/** Image i: 12x16 RGB, every pixel (20·i, 100, 255 − 20·i); label i % 3. */
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-clas-ds-'));
  fs.mkdirSync(path.join(root, 'train', 'a'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const px = new Uint8Array(12 * 16 * 3);
    for (let p = 0; p < 12 * 16; p++) px.set([20 * i, 100, 255 - 20 * i], p * 3);
    const rel = `train/a/img_${i}.png`;
    fs.writeFileSync(path.join(root, rel), await data.encodePng(data.hostArray(px, [12, 16, 3], 'uint8')));
    lines.push(`${rel} ${i % 3}`);
  }
  fs.writeFileSync(path.join(root, 'train_list.txt'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(root, 'tab_list.txt'), lines.map((l) => l.replace(' ', '\t')).join('\r\n'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TRANSFORMS = [
  { DecodeImage: { to_rgb: true, channel_first: false } },
  { ResizeImage: { resize_short: 8 } },
  { CropImage: { size: 8 } },
  { NormalizeImage: { scale: '1.0/255.0', mean: [0, 0, 0], std: [1, 1, 1], order: '' } },
];

describe('file lists', () => {
  it('parses lines, skipping blank ones and tolerating CRLF and a BOM', () => {
    expect(parseFileList('\uFEFFa/b.jpg 3\r\n\r\nc/e.png 0\n', 'l.txt')).toEqual([
      { file: 'a/b.jpg', label: 3, line: 1 },
      { file: 'c/e.png', label: 0, line: 3 },
    ]);
    expect(parseFileList('x.jpg,1\ny.jpg,2\n', 'l.txt', ',')).toEqual([
      { file: 'x.jpg', label: 1, line: 1 },
      { file: 'y.jpg', label: 2, line: 2 },
    ]);
  });

  it('names the file, line number and content of every bad line', () => {
    const text = 'ok.jpg 1\nno_label.jpg\nbad.jpg cat\n\nmany.jpg 1 2\nneg.jpg -1\n';
    expect(() => parseFileList(text, '/data/train_list.txt')).toThrow(
      [
        'bad lines in file list /data/train_list.txt (expected "relative/path label"):',
        '  /data/train_list.txt:2: no "space" delimiter between path and label: "no_label.jpg"',
        '  /data/train_list.txt:3: label "cat" is not a non-negative integer: "bad.jpg cat"',
        '  /data/train_list.txt:5: 3 fields, expected 2 (path and label): "many.jpg 1 2"',
        '  /data/train_list.txt:6: label "-1" is not a non-negative integer: "neg.jpg -1"',
      ].join('\n'),
    );
    expect(() => parseFileList('\n\n', 'empty.txt')).toThrow('file list empty.txt has no entries');
  });
});

describe('ImageNetDataset', () => {
  it('reads a file list of PNGs through the transforms into CHW samples', async () => {
    const ds = new ImageNetDataset({ image_root: root, cls_label_path: path.join(root, 'train_list.txt'), transform_ops: TRANSFORMS });
    expect(ds.length).toBe(N);
    expect(ds.classNum).toBe(3);
    const [img, label] = await ds.getItem(4);
    expect(label).toBe(1);
    expect(img.shape).toEqual([3, 8, 8]);
    expect(img.dtype).toBe('float32');
    const px = img.data as Float32Array;
    expect(px[0]).toBeCloseTo(80 / 255, 6);
    expect(px[64]).toBeCloseTo(100 / 255, 6);
    expect(px[191]).toBeCloseTo(175 / 255, 6);
  });

  it('keeps the layout of a pipeline that ends with ToCHWImage, and honours the delimiter', async () => {
    const ds = new ImageNetDataset({
      image_root: root,
      cls_label_path: path.join(root, 'tab_list.txt'),
      delimiter: '\t',
      transform_ops: [...TRANSFORMS, { ToCHWImage: null }],
    });
    const [img] = await ds.getItem(0);
    expect(img.shape).toEqual([3, 8, 8]);
    expect((img.data as Float32Array)[128]).toBeCloseTo(1, 6);
  });

  it('fails at construction on bad parameters, missing images and a missing DecodeImage', () => {
    const list = path.join(root, 'train_list.txt');
    expect(() => new ImageNetDataset({ image_root: root, cls_label_path: list, transform_ops: [{ DecodeImage: { to_bgr: true } }] } as never)).toThrow(
      /ImageNetDataset parameters:\n  transform_ops.0.DecodeImage.to_bgr: unknown key \(did you mean to_rgb\?\)/,
    );
    expect(() => new ImageNetDataset({ image_root: root, cls_label_path: list, transform_ops: [{ ResizeImage: { size: 4 } }] })).toThrow(
      'ImageNetDataset: transform_ops must start with DecodeImage (the list names encoded image files), got ResizeImage',
    );
    expect(() => new ImageNetDataset({ image_root: root, cls_label_path: 3 } as never)).toThrow(
      'invalid config ImageNetDataset parameters:\n  cls_label_path: expected a string, got number 3',
    );
    const missing = path.join(root, 'missing_list.txt');
    fs.writeFileSync(missing, 'train/a/img_0.png 0\ntrain/a/nope.png 1\ntrain/b/gone.jpg 2\n');
    expect(() => new ImageNetDataset({ image_root: root, cls_label_path: missing, transform_ops: TRANSFORMS })).toThrow(
      `2 image(s) listed in ${missing} do not exist under image_root ${root}:\n  ${missing}:2: ${path.join(root, 'train/a/nope.png')}\n  ${missing}:3: ${path.join(root, 'train/b/gone.jpg')}`,
    );
    expect(() => new ImageNetDataset({ image_root: root, cls_label_path: path.join(root, 'nope.txt'), transform_ops: TRANSFORMS })).toThrow(
      /cannot read file list .*nope\.txt: ENOENT/,
    );
  });

  it('names the image and list line when loading fails later', async () => {
    const list = path.join(root, 'late_list.txt');
    fs.writeFileSync(list, 'train/a/img_1.png 0\ntrain/a/late.png 1\n');
    fs.copyFileSync(path.join(root, 'train/a/img_1.png'), path.join(root, 'train/a/late.png'));
    const ds = new ImageNetDataset({ image_root: root, cls_label_path: list, transform_ops: [...TRANSFORMS.slice(0, 1), { CropImage: { size: 64 } }] });
    await expect(ds.getItem(0)).rejects.toThrow(
      `${path.join(root, 'train/a/img_1.png')} (${list}:1): CropImage: a 64x64 (w x h) crop does not fit the 16x12 image; resize it first (ResizeImage resize_short)`,
    );
    fs.rmSync(path.join(root, 'train/a/late.png'));
    await expect(ds.getItem(1)).rejects.toThrow(`cannot read image ${path.join(root, 'train/a/late.png')} (${list}:2): ENOENT`);
  });

  it('loads through DataLoader with two worker threads, as on the main thread', async () => {
    const ds = new ImageNetDataset({ image_root: root, cls_label_path: path.join(root, 'train_list.txt'), transform_ops: TRANSFORMS });
    const collect = async (numWorkers: number): Promise<[number[][], number[][]]> => {
      const images: number[][] = [];
      const labels: number[][] = [];
      for await (const b of new data.DataLoader(ds, { batchSize: 4, numWorkers })) {
        const [x, y] = b as Tensor[];
        expect(x!.shape[1]).toBe(3);
        images.push(x!.toFlatArray() as number[]);
        labels.push(y!.toFlatArray() as number[]);
      }
      return [images, labels];
    };
    const [mainImages, mainLabels] = await collect(0);
    const [workerImages, workerLabels] = await collect(2);
    expect(mainLabels).toEqual([[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]]);
    expect(workerLabels).toEqual(mainLabels);
    expect(workerImages).toEqual(mainImages);
  }, 60000);
});

describe('MNISTDataset and FashionMNISTDataset', () => {
  it('reads the embedded Fashion-MNIST without any path', async () => {
    const train = new FashionMNISTDataset({});
    expect(train.length).toBe(12000);
    expect(train.classNum).toBe(10);
    const test = new FashionMNISTDataset({ mode: 'test' });
    expect(test.length).toBe(10000);
    const [img, label] = await test.getItem(0);
    expect(label).toBe(9);
    expect(img.shape).toEqual([1, 28, 28]);
    expect(img.dtype).toBe('uint8');
    expect(train.imagePath).toBe(path.join(EMBEDDED_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
  });

  it('runs transform_ops on [28, 28, 1] images', async () => {
    const ds = new MNISTDataset({
      image_root: EMBEDDED_FASHION_MNIST_DIR,
      mode: 'test',
      transform_ops: [{ ResizeImage: { size: 32 } }, { NormalizeImage: { scale: 1 / 255, mean: [0.5], std: [0.5], order: '' } }],
    });
    const [img] = await ds.getItem(1);
    expect(img.shape).toEqual([1, 32, 32]);
    const px = img.data as Float32Array;
    expect(Math.min(...px)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...px)).toBeLessThanOrEqual(1);
  });

  it('checks its files and parameters', () => {
    expect(() => new MNISTDataset({})).toThrow('MNISTDataset needs image_root (or image_path and label_path)');
    expect(() => new MNISTDataset({ image_root: root })).toThrow(`MNISTDataset: neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte is in ${root}`);
    expect(
      () =>
        new MNISTDataset({
          image_path: path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'),
          label_path: path.join(EMBEDDED_FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'),
        }),
    ).toThrow(/has 10000 images but .*train-labels-idx1-ubyte\.gz has 12000 labels/);
    expect(
      () =>
        new MNISTDataset({
          image_path: path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'),
          label_path: path.join(EMBEDDED_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'),
        }),
    ).toThrow(/t10k-labels-idx1-ubyte\.gz: expected uint8 images \[N, H, W\] \(magic 0x00000803\), got uint8 \[10000\]/);
    expect(() => new FashionMNISTDataset({ transform_ops: [{ DecodeImage: null }] })).toThrow(
      'FashionMNISTDataset: IDX images are already decoded; remove DecodeImage from transform_ops',
    );
    expect(() => new FashionMNISTDataset({ mode: 'val' } as never)).toThrow(/mode: expected one of "train", "test", got string "val"/);
  });
});

describe('buildDataLoader', () => {
  it('builds a loader from a config section, with worker threads and Mixup', async () => {
    seed(1);
    const loader = buildDataLoader(
      {
        dataset: {
          name: 'FashionMNISTDataset',
          mode: 'test',
          transform_ops: [{ NormalizeImage: { scale: '1.0/255.0', mean: [0.286], std: [0.353], order: '' } }],
          batch_transform_ops: [{ MixupOperator: { alpha: 0.2 } }],
        },
        sampler: { name: 'DistributedBatchSampler', batch_size: 16, shuffle: true, drop_last: true },
        loader: { num_workers: 2 },
      },
      { where: 'DataLoader.Train', rank: 0, numReplicas: 1 },
    );
    expect(loader.length).toBe(625);
    let n = 0;
    for await (const b of loader) {
      const [x, la, lb, lam] = b as Tensor[];
      expect(x!.shape).toEqual([16, 1, 28, 28]);
      expect(la!.dtype).toBe('int64');
      expect(lb!.shape).toEqual([16]);
      const l = lam!.toFlatArray() as number[];
      expect(new Set(l).size).toBe(1);
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  }, 60000);

  it('validates the section before building anything', () => {
    let err: unknown;
    try {
      buildDataLoader({ dataset: { name: 'FashionMNISTDataset' }, sampler: { batchsize: 8 } } as never, { where: 'DataLoader.Eval' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      { path: 'DataLoader.Eval.sampler.batch_size', message: 'missing (expected a number)' },
      { path: 'DataLoader.Eval.sampler.batchsize', message: 'unknown key (did you mean batch_size?)' },
    ]);
    expect(() =>
      buildDataLoader({ dataset: { name: 'ImageNetDatset', image_root: 'x', cls_label_path: 'y' }, sampler: { batch_size: 8 } } as never, {
        where: 'DataLoader.Train',
      }),
    ).toThrow(
      'DataLoader.Train.dataset.name: expected one of ImageNetDataset, MNISTDataset, FashionMNISTDataset, got string "ImageNetDatset" (did you mean ImageNetDataset?)',
    );
  });
});

describe('the embedded default data configuration', () => {
  it('loads as a _base_ and trains and evaluates on the shipped Fashion-MNIST', async () => {
    const base = path.resolve(__dirname, '../configs/_base_/fashion_mnist.yaml');
    const child = path.join(root, 'default.yaml');
    fs.writeFileSync(child, `_base_: ${base}\nGlobal:\n  epochs: 1\nArch:\n  name: LeNet\n  class_num: 10\n`);
    const cfg = loadConfig(child, ['DataLoader.Train.sampler.batch_size=32']);
    const train = buildDataLoader(cfg.DataLoader!.Train!, { where: 'DataLoader.Train', rank: 0, numReplicas: 1 });
    const evalLoader = buildDataLoader(cfg.DataLoader!.Eval!, { where: 'DataLoader.Eval', rank: 0, numReplicas: 1 });
    expect(train.length).toBe(375);
    expect(evalLoader.length).toBe(40);
    for await (const b of train) {
      const [x, y] = b as Tensor[];
      expect(x!.shape).toEqual([32, 1, 28, 28]);
      expect(x!.dtype).toBe('float32');
      expect(y!.shape).toEqual([32]);
      break;
    }
  });
});
