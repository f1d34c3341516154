/**
 * Batch operators (PaddleClas 2.2 ppcls/data/preprocess/batch_ops): they take the batch's
 * (CHW image, label) samples and return (mixed image, label_a, label_b, lam) per sample, which
 * MixCELoss reads as lam · CE(label_a) + (1 − lam) · CE(label_b). They run where samples are
 * collated, on the main thread.
 */
import { data, tensor, type Tensor } from '@oar/core';
import { parseWith } from '../../config/errors';
import {
  CutmixOperatorParams,
  MixupOperatorParams,
  type CutmixOperatorOptions,
  type MixupOperatorOptions,
} from '../../config/schema/transforms';
import type { HostArray } from './operator';
import { beta, permutation, randint } from './random';

export type LabeledSample = readonly [HostArray, number, ...unknown[]];
export type MixedSample = [image: HostArray, labelA: number, labelB: number, lam: number];

export interface BatchOperator {
  readonly name: string;
  apply(batch: readonly LabeledSample[]): MixedSample[];
}

type Num = Exclude<HostArray['data'], BigInt64Array>;

/** The batch's images as one [B, C, H, W] view of their shapes, checked to agree. */
function unpack(batch: readonly LabeledSample[], op: string): { imgs: HostArray[]; labels: number[]; shape: number[] } {
  if (batch.length === 0) throw new Error(`${op}: empty batch`);
  const imgs = batch.map((s) => s[0]);
  const labels = batch.map((s, i) => {
    const l = s[1];
    if (typeof l !== 'number' || !Number.isInteger(l)) throw new Error(`${op}: sample ${i} has label ${String(l)}, expected an integer class id`);
    return l;
  });
  const shape = imgs[0]!.shape;
  if (shape.length !== 3) throw new Error(`${op} expects CHW images, got shape [${shape.join(', ')}]`);
  imgs.forEach((im, i) => {
    if (!data.isHostArray(im) || im.shape.join() !== shape.join()) {
      throw new Error(`${op}: sample ${i} has shape [${im.shape?.join(', ')}], sample 0 [${shape.join(', ')}]; batch images must match`);
    }
  });
  return { imgs, labels, shape };
}

/** Mixup (Zhang et al. 2017): lam ~ Beta(alpha, alpha); x = lam · x + (1 − lam) · x[perm]. */
export class MixupOperator implements BatchOperator {
  readonly name = 'MixupOperator';
  readonly params;
  constructor(params: MixupOperatorOptions = {}) {
    this.params = parseWith(MixupOperatorParams, params, 'MixupOperator parameters');
  }
  apply(batch: readonly LabeledSample[]): MixedSample[] {
    const { imgs, labels, shape } = unpack(batch, this.name);
    const idx = permutation(imgs.length);
    const lam = beta(this.params.alpha, this.params.alpha);
    return imgs.map((im, i) => {
      const a = im.data as Num;
      const b = imgs[idx[i]!]!.data as Num;
      const out = new Float32Array(a.length);
      for (let k = 0; k < a.length; k++) out[k] = lam * a[k]! + (1 - lam) * b[k]!;
      return [data.hostArray(out, [...shape], 'float32'), labels[i]!, labels[idx[i]!]!, lam];
    });
  }
}

/**
 * CutMix (Yun et al. 2019): lam ~ Beta(alpha, alpha) sets a box of side fraction √(1 − lam)
 * centred uniformly (clipped to the image); the box is pasted from x[perm] and lam becomes
 * the share of the image left untouched.
 */
export class CutmixOperator implements BatchOperator {
  readonly name = 'CutmixOperator';
  readonly params;
  constructor(params: CutmixOperatorOptions = {}) {
    this.params = parseWith(CutmixOperatorParams, params, 'CutmixOperator parameters');
  }
  /** The box [y1, x1, y2, x2) for an H x W image (PaddleClas's _rand_bbox, axes 2 and 3). */
  randBox(h: number, w: number, lam: number): [number, number, number, number] {
    const cut = Math.sqrt(1 - lam);
    const ch = Math.trunc(h * cut);
    const cw = Math.trunc(w * cut);
    const cy = randint(0, h - 1);
    const cx = randint(0, w - 1);
    const clip = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
    return [clip(cy - Math.floor(ch / 2), h), clip(cx - Math.floor(cw / 2), w), clip(cy + Math.floor(ch / 2), h), clip(cx + Math.floor(cw / 2), w)];
  }
  apply(batch: readonly LabeledSample[]): MixedSample[] {
    const { imgs, labels, shape } = unpack(batch, this.name);
    const [c, h, w] = shape as [number, number, number];
    const idx = permutation(imgs.length);
    const [y1, x1, y2, x2] = this.randBox(h, w, beta(this.params.alpha, this.params.alpha));
    const lam = 1 - ((y2 - y1) * (x2 - x1)) / (h * w);
    return imgs.map((im, i) => {
      const src = imgs[idx[i]!]!.data as Num;
      const out = im.data.slice() as Num;
      for (let k = 0; k < c; k++) {
        for (let y = y1; y < y2; y++) {
          const row = (k * h + y) * w;
          out.set(src.subarray(row + x1, row + x2), row + x1);
        }
      }
      return [data.hostArray(out, [...shape], im.dtype), labels[i]!, labels[idx[i]!]!, lam];
    });
  }
}

/** [images [B, C, H, W], label_a int64 [B], label_b int64 [B], lam float32 [B]]. */
export function collateMixed(samples: readonly MixedSample[], place?: string): [Tensor, Tensor, Tensor, Tensor] {
  const images = data.defaultCollate(samples.map((s) => s[0]), place) as Tensor;
  const labelA = tensor(BigInt64Array.from(samples, (s) => BigInt(s[1])), { place });
  const labelB = tensor(BigInt64Array.from(samples, (s) => BigInt(s[2])), { place });
  // lam is a float even when it is exactly 0 or 1, so it is built here rather than collated.
  const lam = tensor(Float32Array.from(samples, (s) => s[3]), { place });
  return [images, labelA, labelB, lam];
}
