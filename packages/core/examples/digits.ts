/**
 * A small CNN on the scikit-learn digits (1,797 8x8 handwritten digits, shipped in
 * examples/data/sklearn-digits): the data set, the model, and a training loop written the way a
 * Paddle user writes one. Used by the `core:train-digits` example and by the learning test.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { noGrad, nn, optim, seed, tidy, type Tensor, data as io } from '@oar/core';

export const DIGITS_CSV = path.join(__dirname, 'data', 'sklearn-digits', 'digits.csv.gz');

export interface Digits {
  images: Float32Array;
  labels: number[];
  count: number;
}

/** Reads the gzip CSV: 64 pixel values (0..16) and the label per row; pixels scaled to [0, 1]. */
export function loadDigits(file = DIGITS_CSV): Digits {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  const rows = text.split('\n').filter((l) => l.trim() !== '');
  const images = new Float32Array(rows.length * 64);
  const labels: number[] = [];
  rows.forEach((line, r) => {
    const v = line.split(',').map(Number);
    if (v.length !== 65 || v.some((x) => !Number.isFinite(x))) {
      throw new Error(`${file}: line ${r + 1} should hold 65 numbers (64 pixels and a label), got "${line.slice(0, 60)}"`);
    }
    for (let i = 0; i < 64; i++) images[r * 64 + i] = v[i]! / 16;
    labels.push(v[64]!);
  });
  return { images, labels, count: rows.length };
}

/** Samples [start, end) as a data set of ([1, 8, 8] image, label). */
export class DigitsDataset extends io.Dataset<[io.HostArray, number]> {
  constructor(
    private readonly d: Digits,
    private readonly start: number,
    private readonly end: number,
  ) {
    super();
  }
  getItem(i: number): [io.HostArray, number] {
    const k = this.start + i;
    return [io.hostArray(this.d.images.slice(k * 64, (k + 1) * 64), [1, 8, 8]), this.d.labels[k]!];
  }
  get length(): number {
    return this.end - this.start;
  }
}

/** conv-bn-relu ×2, max-pool, two fully connected layers: 30k parameters. */
export class DigitsNet extends nn.Layer {
  features = new nn.Sequential(
    new nn.Conv2D(1, 16, 3, { padding: 1 }),
    new nn.BatchNorm2D(16),
    new nn.ReLU(),
    new nn.Conv2D(16, 32, 3, { padding: 1 }),
    new nn.BatchNorm2D(32),
    new nn.ReLU(),
    new nn.MaxPool2D(2, 2),
  );
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 4 * 4, 64), new nn.ReLU(), new nn.Linear(64, 10));

  override forward(x: Tensor): Tensor {
    return this.classifier.call(this.features.call(x)) as Tensor;
  }
}

export interface TrainDigitsOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Called after each epoch. */
  onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

/** Trains on the first 80% and returns the accuracy on the held-out last 20%. */
export function trainDigits(opts: TrainDigitsOptions = {}): { accuracy: number; model: DigitsNet; optimizer: optim.Momentum } {
  seed(opts.seed ?? 1);
  const d = loadDigits();
  const split = Math.floor(d.count * 0.8);
  const train = new io.DataLoader(new DigitsDataset(d, 0, split), { batchSize: opts.batchSize ?? 32, shuffle: true });
  const test = new io.DataLoader(new DigitsDataset(d, split, d.count), { batchSize: 128 });
  const model = new DigitsNet();
  const epochs = opts.epochs ?? 8;
  const steps = epochs * train.length;
  const lr = new optim.lr.CosineAnnealingDecay(opts.learningRate ?? 0.05, steps);
  const opt = new optim.Momentum({ learningRate: lr, momentum: 0.9, parameters: model.parameters(), weightDecay: 1e-4 });
  const lossFn = new nn.CrossEntropyLoss();
  let accuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let lossSum = 0;
    let n = 0;
    for (const [x, y] of train as Iterable<Tensor[]>) {
      lossSum += tidy(() => {
        const loss = lossFn.call(model.call(x!), y!) as Tensor;
        loss.backward();
        opt.step();
        opt.clearGrad();
        lr.step();
        return loss.item();
      });
      n++;
    }
    accuracy = evaluate(model, test as Iterable<Tensor[]>);
    opts.onEpoch?.(epoch, lossSum / n, accuracy);
  }
  return { accuracy, model, optimizer: opt };
}

/** Top-1 accuracy over a loader. */
export function evaluate(model: nn.Layer, loader: Iterable<Tensor[]>): number {
  model.eval();
  let correct = 0;
  let total = 0;
  noGrad(() => {
    for (const [x, y] of loader) {
      tidy(() => {
        const pred = (model.call(x!) as Tensor).argmax(1).toFlatArray();
        const lab = y!.toFlatArray();
        pred.forEach((p, i) => (correct += p === lab[i] ? 1 : 0));
        total += lab.length;
      });
    }
  });
  return correct / total;
}
