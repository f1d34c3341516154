/**
 * Cuts the Fashion-MNIST copy embedded in @oar/clas (packages/clas/data/fashion-mnist) from the
 * full data set: the whole test split, and a class-balanced training subset: the first
 * PER_CLASS images of each class in file order, kept in that order. Files are gzip IDX
 * (level 9) under the standard names, so any MNIST reader takes them.
 *
 *   npx tsx tools/data/make_fashion_mnist_subset.ts [source_dir] [per_class]
 *
 * source_dir defaults to /work/shared/data/fashion-mnist (Debian's dataset-fashion-mnist).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { encodeIdx, readIdxSync } from '@oar/clas';

const src = process.argv[2] ?? '/work/shared/data/fashion-mnist';
const perClass = Number(process.argv[3] ?? 1200);
const out = path.resolve(__dirname, '../../packages/clas/data/fashion-mnist');
fs.mkdirSync(out, { recursive: true });

const images = readIdxSync(path.join(src, 'train-images-idx3-ubyte.gz'));
const labels = readIdxSync(path.join(src, 'train-labels-idx1-ubyte.gz'));
const [n, h, w] = images.shape as [number, number, number];
const lab = labels.data as Uint8Array;
const taken = new Array<number>(10).fill(0);
const keep: number[] = [];
for (let i = 0; i < n && keep.length < perClass * 10; i++) {
  if (taken[lab[i]!]! < perClass) {
    taken[lab[i]!]!++;
    keep.push(i);
  }
}
const px = new Uint8Array(keep.length * h * w);
keep.forEach((i, k) => px.set((images.data as Uint8Array).subarray(i * h * w, (i + 1) * h * w), k * h * w));
const subLabels = Uint8Array.from(keep, (i) => lab[i]!);

const files: [string, Buffer][] = [
  ['train-images-idx3-ubyte.gz', encodeIdx({ data: px, shape: [keep.length, h, w], dtype: 'uint8' }, { gzip: true })],
  ['train-labels-idx1-ubyte.gz', encodeIdx({ data: subLabels, shape: [keep.length], dtype: 'uint8' }, { gzip: true })],
];
for (const t of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
  // The test split is re-encoded too, so every shipped file is compressed the same way.
  files.push([t, encodeIdx(readIdxSync(path.join(src, t)), { gzip: true })]);
}
for (const [name, buf] of files) fs.writeFileSync(path.join(out, name), buf);
fs.copyFileSync(path.join(src, 'COPYRIGHT.debian'), path.join(out, 'COPYRIGHT.debian'));
// The source copy is read-only; the packaged one stays writable so the script can be rerun.
fs.chmodSync(path.join(out, 'COPYRIGHT.debian'), 0o644);

const sha = (p: string): string => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
const listing = ['COPYRIGHT.debian', ...files.map(([f]) => f)]
  .map((f) => `  ./${f} ${fs.statSync(path.join(out, f)).size} ${sha(path.join(out, f))}`)
  .join('\n');
const source = fs.readFileSync(path.join(src, 'SOURCE.txt'), 'utf8').trimEnd();
fs.writeFileSync(
  path.join(out, 'SOURCE.txt'),
  `Fashion-MNIST subset embedded in @oar/clas, so that training works with no download.

Made by tools/data/make_fashion_mnist_subset.ts from the full data set described below:
  t10k-*: the complete test split (10000 images), decoded and re-encoded unchanged (gzip level 9).
  train-*: ${keep.length} of the 60000 training images, class-balanced: for each class 0..9 the first
    ${perClass} images of that class in the original file order, kept in that order (the result is an
    ordered subsequence of the original file; last original index used: ${keep[keep.length - 1]}).
  Per-class counts: ${taken.join(', ')}.
Licence: MIT (Expat), Copyright 2017 Zalando SE -- see COPYRIGHT.debian.

Files here (bytes, sha256):
${listing}

----- SOURCE.txt of the full data set -----
${source}
`,
);
console.log(`wrote ${out}: ${keep.length} training images (${taken.join('/')}), ${files.map(([f, b]) => `${f} ${b.length}`).join(', ')}`);
