/**
 * Data sets by PaddleClas name: ImageNetDataset (file lists of image files) and
 * MNISTDataset / FashionMNISTDataset (IDX files). Samples are (CHW image, label) after the
 * dataset's transform_ops. They load in DataLoader worker threads: `workerSpec()` tells a
 * worker how to rebuild the data set from its (validated) parameters.
 */
import * as fs from 'fs';
import * as path from 'path';
import { data } from '@oar/core';
import { parseWith } from '../config/errors';
import {
  ImageNetDatasetParams,
  MNISTDatasetParams,
  type ImageNetDatasetConfig,
  type MNISTDatasetConfig,
} from '../config/schema/dataloader';
import { readIdxSync } from './idx';
import { checkImagesExist, readFileList, type FileListEntry } from './file-list';
import { createOperators, outputLayout, transform, type HostArray, type Operator } from './preprocess';
import type { z } from 'zod';

export type ClasSample = [image: HostArray, label: number];

/** The Fashion-MNIST copy shipped in this package (full test split, 12,000 training images). */
export const EMBEDDED_FASHION_MNIST_DIR = path.resolve(__dirname, '../../data/fashion-mnist');

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Options for data sets built from worker specs: the main thread already checked the files. */
interface BuildOptions {
  checked?: boolean;
}

type WithoutName<T> = Omit<T, 'name'> & { name?: string };

/** Runs the operators and makes the result channel-first, wrapping errors with the file. */
async function toSample(input: data.HostArray | Uint8Array, ops: readonly Operator[], chwAlready: boolean, what: string): Promise<HostArray> {
  let img: HostArray | Uint8Array;
  try {
    img = await transform(input, ops);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  if (!data.isHostArray(img)) throw new Error(`${what}: transform_ops left encoded bytes; start them with DecodeImage`);
  if (chwAlready) return img;
  if (img.shape.length !== 3) throw new Error(`${what}: expected an HWC image after transform_ops, got shape [${img.shape.join(', ')}]`);
  return data.transforms.functional.toCHW(img);
}

/** A PaddleClas file list (`image_root`, `cls_label_path`, `delimiter`) of JPEG/PNG/... files. */
export class ImageNetDataset extends data.Dataset<ClasSample> implements data.WorkerCapable {
  readonly config: ImageNetDatasetConfig;
  readonly entries: FileListEntry[];
  readonly ops: Operator[];
  private readonly chw: boolean;

  constructor(params: WithoutName<z.input<typeof ImageNetDatasetParams>>, opts: BuildOptions = {}) {
    super();
    this.config = parseWith(ImageNetDatasetParams, { ...params, name: 'ImageNetDataset' }, 'ImageNetDataset parameters');
    const { image_root: root, cls_label_path: list } = this.config;
    this.ops = createOperators(this.config.transform_ops ?? [], 'ImageNetDataset.transform_ops');
    if (this.ops[0]?.name !== 'DecodeImage') {
      throw new Error(`ImageNetDataset: transform_ops must start with DecodeImage (the list names encoded image files), got ${this.ops[0]?.name ?? 'nothing'}`);
    }
    this.chw = outputLayout(this.ops) === 'CHW';
    if (!opts.checked && !fs.existsSync(root)) throw new Error(`ImageNetDataset: image_root ${root} does not exist`);
    this.entries = readFileList(list, this.config.delimiter);
    if (!opts.checked) checkImagesExist(this.entries, root, list);
  }

  get length(): number {
    return this.entries.length;
  }

  /** Number of distinct labels (PaddleClas's `class_num` property). */
  get classNum(): number {
    return new Set(this.entries.map((e) => e.label)).size;
  }

  imagePath(index: number): string {
    return path.join(this.config.image_root, this.entries[index]!.file);
  }

  async getItem(index: number): Promise<ClasSample> {
    data.checkIndex(index, this.length, 'ImageNetDataset');
    const e = this.entries[index]!;
    const file = this.imagePath(index);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (err) {
      throw new Error(`cannot read image ${file} (${this.config.cls_label_path}:${e.line}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const what = `${file} (${this.config.cls_label_path}:${e.line})`;
    return [await toSample(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), this.ops, this.chw, what), e.label];
  }

  workerSpec(): data.WorkerDatasetSpec {
    return { module: __filename, exportName: 'ImageNetDataset', args: [this.config, { checked: true }] };
  }
}

const IDX_NAMES = { train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'], test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] };

function findIdx(root: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const p = path.join(root, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`MNISTDataset: neither ${base}.gz nor ${base} is in ${root}`);
}

/**
 * MNIST-format IDX files: 28x28 (any HxW) uint8 images and uint8 labels. Samples go through
 * transform_ops as [H, W, 1] uint8 images (DecodeImage does not apply), then become CHW, as
 * PaddleClas's Mnist_Dataset does.
 */
export class MNISTDataset extends data.Dataset<ClasSample> implements data.WorkerCapable {
  readonly config: MNISTDatasetConfig;
  readonly imagePath: string;
  readonly labelPath: string;
  readonly images: HostArray;
  readonly labels: Uint8Array;
  readonly ops: Operator[];
  private readonly chw: boolean;

  constructor(params: WithoutName<z.input<typeof MNISTDatasetParams>>, _opts: BuildOptions = {}) {
    super();
    const name = params.name ?? new.target.defaultName;
    const given = { ...params, name };
    if (name === 'FashionMNISTDataset' && given.image_root == null && given.image_path == null) given.image_root = EMBEDDED_FASHION_MNIST_DIR;
    this.config = parseWith(MNISTDatasetParams, given, `${name} parameters`);
    const c = this.config;
    [this.imagePath, this.labelPath] =
      c.image_path != null && c.label_path != null
        ? [c.image_path, c.label_path]
        : (IDX_NAMES[c.mode].map((b) => findIdx(c.image_root!, b)) as [string, string]);
    this.ops = createOperators(c.transform_ops ?? [], `${name}.transform_ops`);
    if (this.ops.some((o) => o.name === 'DecodeImage')) {
      throw new Error(`${name}: IDX images are already decoded; remove DecodeImage from transform_ops`);
    }
    this.chw = outputLayout(this.ops) === 'CHW';
    this.images = readIdxSync(this.imagePath);
    const labels = readIdxSync(this.labelPath);
    if (this.images.dtype !== 'uint8' || this.images.shape.length !== 3) {
      throw new Error(`${this.imagePath}: expected uint8 images [N, H, W] (magic 0x00000803), got ${this.images.dtype} [${this.images.shape.join(', ')}]`);
    }
    if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
      throw new Error(`${this.labelPath}: expected uint8 labels [N] (magic 0x00000801), got ${labels.dtype} [${labels.shape.join(', ')}]`);
    }
    if (labels.shape[0] !== this.images.shape[0]) {
      throw new Error(`${name}: ${this.imagePath} has ${this.images.shape[0]} images but ${this.labelPath} has ${labels.shape[0]} labels`);
    }
    this.labels = labels.data as Uint8Array;
  }

  static defaultName = 'MNISTDataset';

  get length(): number {
    return this.images.shape[0]!;
  }

  get classNum(): number {
    return new Set(this.labels).size;
  }

  /** Image `index` as [H, W, 1] uint8, before transform_ops. */
  rawImage(index: number): HostArray {
    data.checkIndex(index, this.length, this.config.name);
    const [, h, w] = this.images.shape as [number, number, number];
    const px = (this.images.data as Uint8Array).slice(index * h * w, (index + 1) * h * w);
    return data.hostArray(px, [h, w, 1], 'uint8');
  }

  async getItem(index: number): Promise<ClasSample> {
    const img = this.rawImage(index);
    return [await toSample(img, this.ops, this.chw, `${this.imagePath} image ${index}`), this.labels[index]!];
  }

  workerSpec(): data.WorkerDatasetSpec {
    return { module: __filename, exportName: this.config.name, args: [this.config, { checked: true }] };
  }
}

/** Fashion-MNIST; without paths, the copy embedded in @oar/clas. */
export class FashionMNISTDataset extends MNISTDataset {
  static override defaultName = 'FashionMNISTDataset';
}

export type ClasDataset = ImageNetDataset | MNISTDataset;
