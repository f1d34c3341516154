/** What a preprocessing operator is, and the checks every operator makes on its input. */
import { data } from '@oar/core';

export type HostArray = data.HostArray;

/** A sample on its way through `transform_ops`: encoded bytes before DecodeImage, an array after. */
export type Sample = HostArray | Uint8Array;

export type Layout = 'HWC' | 'CHW';

/** A per-sample operator (PaddleClas ppcls/data/preprocess/ops). */
export interface Operator {
  /** The operator's config name (`RandCropImage`). */
  readonly name: string;
  /** The layout the operator needs; undefined: either. */
  readonly inputLayout?: Layout;
  /**
   * The layout it produces when it sets one (DecodeImage, ToCHWImage); undefined: unchanged.
   * Data sets transpose their output to CHW unless the pipeline already did, as PaddleClas
   * 2.2's CommonDataset does (its configs end at NormalizeImage; earlier ones at ToCHWImage).
   */
  readonly outputLayout?: Layout;
  apply(img: Sample): HostArray | Promise<HostArray>;
}

/** The decoded HWC image an operator works on; [H, W] arrays count as one channel. */
export function hwcImage(x: Sample, op: string): HostArray {
  if (!data.isHostArray(x)) {
    throw new Error(`${op} received encoded image bytes; DecodeImage must come first in transform_ops`);
  }
  if (x.shape.length === 2) return { ...x, shape: [x.shape[0]!, x.shape[1]!, 1] };
  if (x.shape.length !== 3) throw new Error(`${op} expects an HWC image, got shape [${x.shape.join(', ')}]`);
  return x;
}

/** Python's round(): halves go to the even neighbour. */
export function pyRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** `size: 224` or `size: [w, h]` (PaddleClas passes lists to cv2, which takes (w, h)), as [h, w]. */
export function sizeHW(size: number | readonly [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[1], size[0]];
}

/** Writes v into a uint8 array as cv2's saturate_cast does (round, clamp). */
export function sat8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
