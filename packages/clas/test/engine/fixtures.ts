/**
 * Test fixtures for the Engine: a tiny backbone registered under the name "TinyNet" (test
 * only; two strided conv layers and a linear classifier on 28x28 input, so a run takes seconds), a Fashion-MNIST
 * subset written as IDX files, and configs around them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { flatten, nn, relu, type Tensor } from '@oar/core';
import { BACKBONES } from '../../src/arch/backbones';
import { EMBEDDED_FASHION_MNIST_DIR, encodeIdx, readIdxSync } from '../../src/data';

export class TinyNet extends nn.Layer {
  conv1: nn.Conv2D;
  bn1: nn.BatchNorm2D;
  conv2: nn.Conv2D;
  bn2: nn.BatchNorm2D;
  fc: nn.Linear;

  constructor(opts: { class_num?: number; input_image_channel?: number } = {}) {
    super();
    this.conv1 = new nn.Conv2D(opts.input_image_channel ?? 1, 8, 3, { stride: 2, padding: 1, biasAttr: false });
    this.bn1 = new nn.BatchNorm2D(8);
    this.conv2 = new nn.Conv2D(8, 16, 3, { stride: 2, padding: 1, biasAttr: false });
    this.bn2 = new nn.BatchNorm2D(16);
    this.fc = new nn.Linear(16 * 7 * 7, opts.class_num ?? 10);
  }

  override forward(x: Tensor): Tensor {
    let y = relu(this.bn1.call(this.conv1.call(x)));
    y = relu(this.bn2.call(this.conv2.call(y)));
    return this.fc.call(flatten(y, 1));
  }
}

export function registerTinyNet(): void {
  BACKBONES.TinyNet = (opts) => new TinyNet(opts as { class_num?: number; input_image_channel?: number });
}

/** Writes the first `n` images of the embedded `split` as IDX files; returns their paths. */
export function writeSubset(dir: string, split: 'train' | 't10k', n: number): { image_path: string; label_path: string } {
  fs.mkdirSync(dir, { recursive: true });
  const images = readIdxSync(path.join(EMBEDDED_FASHION_MNIST_DIR, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdxSync(path.join(EMBEDDED_FASHION_MNIST_DIR, `${split}-labels-idx1-ubyte.gz`));
  const [, h, w] = images.shape as [number, number, number];
  const imagePath = path.join(dir, `${split}-${n}-images-idx3-ubyte`);
  const labelPath = path.join(dir, `${split}-${n}-labels-idx1-ubyte`);
  fs.writeFileSync(imagePath, encodeIdx({ data: (images.data as Uint8Array).slice(0, n * h * w), shape: [n, h, w], dtype: 'uint8' }));
  fs.writeFileSync(labelPath, encodeIdx({ data: (labels.data as Uint8Array).slice(0, n), shape: [n], dtype: 'uint8' }));
  return { image_path: imagePath, label_path: labelPath };
}

const BASE = path.resolve(__dirname, '../../configs/_base_/fashion_mnist.yaml');

/**
 * A TinyNet config over Fashion-MNIST subsets in `dir` (nTrain / nTest images), output in
 * `dir/output`; `extra` is YAML appended at the top level (sections it names replace these).
 */
export function tinyConfig(dir: string, opts: { nTrain: number; nTest: number; epochs?: number; batch?: number; printBatchStep?: number; extra?: string }): string {
  const train = writeSubset(path.join(dir, 'data'), 'train', opts.nTrain);
  const test = writeSubset(path.join(dir, 'data'), 't10k', opts.nTest);
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(
    file,
    `_base_: ${BASE}
Global:
  epochs: ${opts.epochs ?? 2}
  output_dir: ${path.join(dir, 'output')}
  print_batch_step: ${opts.printBatchStep ?? 5}
  image_shape: [1, 28, 28]
  seed: 7
Arch:
  name: TinyNet
  class_num: 10
Loss:
  Train:
    - CELoss: {weight: 1.0}
  Eval:
    - CELoss: {weight: 1.0}
Optimizer:
  name: Momentum
  momentum: 0.9
  lr:
    name: Cosine
    learning_rate: 0.1
    warmup_epoch: 1
    warmup_start_lr: 0.01
  regularizer: {name: L2, coeff: 0.0001}
DataLoader:
  Train:
    dataset: {image_path: ${train.image_path}, label_path: ${train.label_path}}
    sampler: {batch_size: ${opts.batch ?? 32}}
  Eval:
    dataset: {image_path: ${test.image_path}, label_path: ${test.label_path}}
${opts.extra ?? ''}
`,
  );
  return file;
}
