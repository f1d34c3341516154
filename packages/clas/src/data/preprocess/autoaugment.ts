/**
 * AutoAugment with the ImageNet policy (Cubuk et al. 2018), as PaddleClas's
 * ppcls/data/preprocess/ops/autoaugment.py has it: one of 25 sub-policies, each two PIL
 * operations applied with their probabilities at fixed magnitudes. The PIL operations are
 * written out here on HWC uint8 arrays (1 or 3 channels) following Pillow's definitions
 * (ImageOps, ImageEnhance, Image.transform with fill colour 128).
 */
import { data } from '@oar/core';
import { parseWith } from '../../config/errors';
import { AutoAugmentParams } from '../../config/schema/transforms';
import { hwcImage, type HostArray, type Operator, type Sample } from './operator';
import { random, randint } from './random';
import { affine } from './resample';

type Img = HostArray;
export type AugOp =
  | 'shearX'
  | 'shearY'
  | 'translateX'
  | 'translateY'
  | 'rotate'
  | 'color'
  | 'posterize'
  | 'solarize'
  | 'contrast'
  | 'sharpness'
  | 'brightness'
  | 'autocontrast'
  | 'equalize'
  | 'invert';

const FILL = 128;

function like(img: Img, px: Uint8Array): Img {
  return data.hostArray(px, [...img.shape], 'uint8');
}

function mapLut(img: Img, luts: Uint8Array[]): Img {
  const src = img.data as Uint8Array;
  const c = img.shape[2]!;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = luts[i % c]![src[i]!]!;
  return like(img, out);
}

function histograms(img: Img): Float64Array[] {
  const src = img.data as Uint8Array;
  const c = img.shape[2]!;
  const h = Array.from({ length: c }, () => new Float64Array(256));
  for (let i = 0; i < src.length; i++) h[i % c]![src[i]!]!++;
  return h;
}

/** Image.blend(degenerate, img, factor): PIL truncates, and clips when extrapolating. */
function blend(degenerate: Uint8Array, img: Img, factor: number): Img {
  const src = img.data as Uint8Array;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = degenerate[i]! + factor * (src[i]! - degenerate[i]!);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return like(img, out);
}

/** PIL's "L" conversion: ITU-R 601-2 luma in 16-bit fixed point. */
function luma(img: Img): Uint8Array {
  const src = img.data as Uint8Array;
  const c = img.shape[2]!;
  if (c === 1) return src.slice();
  const n = src.length / c;
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = (src[p * c]! * 19595 + src[p * c + 1]! * 38470 + src[p * c + 2]! * 7471 + 0x8000) >> 16;
  return out;
}

function broadcastGray(gray: Uint8Array, c: number): Uint8Array {
  if (c === 1) return gray;
  const out = new Uint8Array(gray.length * c);
  for (let p = 0; p < gray.length; p++) out.fill(gray[p]!, p * c, p * c + c);
  return out;
}

/** The PIL operations of the policies; `magnitude` is the value from the ranges table. */
export const augment = {
  invert(img: Img): Img {
    const src = img.data as Uint8Array;
    return like(img, src.map((v) => 255 - v));
  },
  posterize(img: Img, bits: number): Img {
    const mask = ~((1 << (8 - bits)) - 1) & 0xff;
    return like(img, (img.data as Uint8Array).map((v) => v & mask));
  },
  solarize(img: Img, threshold: number): Img {
    return like(img, (img.data as Uint8Array).map((v) => (v < threshold ? v : 255 - v)));
  },
  /** ImageOps.autocontrast(cutoff=0): each channel stretched from its [min, max] to [0, 255]. */
  autocontrast(img: Img): Img {
    const luts = histograms(img).map((h) => {
      let lo = 0;
      while (lo < 256 && !h[lo]) lo++;
      let hi = 255;
      while (hi >= 0 && !h[hi]) hi--;
      const lut = new Uint8Array(256);
      if (hi <= lo) for (let i = 0; i < 256; i++) lut[i] = i;
      else {
        const scale = 255 / (hi - lo);
        const offset = -lo * scale;
        for (let i = 0; i < 256; i++) lut[i] = Math.min(255, Math.max(0, Math.trunc(i * scale + offset)));
      }
      return lut;
    });
    return mapLut(img, luts);
  },
  /** ImageOps.equalize: each channel's histogram flattened with PIL's step rule. */
  equalize(img: Img): Img {
    const luts = histograms(img).map((h) => {
      const lut = new Uint8Array(256);
      const nz = Array.from(h).filter((v) => v > 0);
      const step = nz.length <= 1 ? 0 : Math.floor((nz.reduce((a, b) => a + b, 0) - nz[nz.length - 1]!) / 255);
      if (!step) for (let i = 0; i < 256; i++) lut[i] = i;
      else {
        let n = Math.floor(step / 2);
        for (let i = 0; i < 256; i++) {
          lut[i] = Math.min(255, Math.floor(n / step));
          n += h[i]!;
        }
      }
      return lut;
    });
    return mapLut(img, luts);
  },
  /** ImageEnhance.Color: blend with the greyscale image. */
  color(img: Img, factor: number): Img {
    return blend(broadcastGray(luma(img), img.shape[2]!), img, factor);
  },
  /** ImageEnhance.Contrast: blend with the mean grey level. */
  contrast(img: Img, factor: number): Img {
    const g = luma(img);
    let sum = 0;
    for (const v of g) sum += v;
    const mean = Math.trunc(sum / g.length + 0.5);
    return blend(new Uint8Array(img.data.length).fill(mean), img, factor);
  },
  /** ImageEnhance.Brightness: blend with black. */
  brightness(img: Img, factor: number): Img {
    return blend(new Uint8Array(img.data.length), img, factor);
  },
  /** ImageEnhance.Sharpness: blend with ImageFilter.SMOOTH (3x3, centre 5, /13; border kept). */
  sharpness(img: Img, factor: number): Img {
    const [h, w, c] = img.shape as [number, number, number];
    const src = img.data as Uint8Array;
    const smooth = src.slice();
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        for (let k = 0; k < c; k++) {
          let s = 4 * src[(y * w + x) * c + k]!;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += src[((y + dy) * w + x + dx) * c + k]!;
          smooth[(y * w + x) * c + k] = Math.min(255, Math.floor(s / 13 + 0.5));
        }
      }
    }
    return blend(smooth, img, factor);
  },
  /** Image.rotate(degrees) counter-clockwise about the centre, nearest, outside filled grey. */
  rotate(img: Img, degrees: number): Img {
    const [h, w] = img.shape as [number, number];
    const t = -((degrees % 360) * Math.PI) / 180;
    const a = Math.cos(t);
    const b = Math.sin(t);
    const cx = w / 2;
    const cy = h / 2;
    const m: [number, number, number, number, number, number] = [a, b, 0, -b, a, 0];
    m[2] = a * -cx + b * -cy + cx;
    m[5] = -b * -cx + a * -cy + cy;
    return affine(img, m, 'nearest', FILL);
  },
  shearX(img: Img, m: number): Img {
    return affine(img, [1, m, 0, 0, 1, 0], 'bicubic', FILL);
  },
  shearY(img: Img, m: number): Img {
    return affine(img, [1, 0, 0, m, 1, 0], 'bicubic', FILL);
  },
  translateX(img: Img, pixels: number): Img {
    return affine(img, [1, 0, pixels, 0, 1, 0], 'nearest', FILL);
  },
  translateY(img: Img, pixels: number): Img {
    return affine(img, [1, 0, 0, 0, 1, pixels], 'nearest', FILL);
  },
};

const linspace = (a: number, b: number): number[] => Array.from({ length: 10 }, (_, i) => a + ((b - a) * i) / 9);

/** Magnitude tables of the reference implementation, indexed by the policy's magnitude index. */
export const MAGNITUDES: Record<AugOp, number[]> = {
  shearX: linspace(0, 0.3),
  shearY: linspace(0, 0.3),
  translateX: linspace(0, 150 / 331),
  translateY: linspace(0, 150 / 331),
  rotate: linspace(0, 30),
  color: linspace(0, 0.9),
  posterize: linspace(8, 4).map(Math.round),
  solarize: linspace(256, 0),
  contrast: linspace(0, 0.9),
  sharpness: linspace(0, 0.9),
  brightness: linspace(0, 0.9),
  autocontrast: new Array(10).fill(0),
  equalize: new Array(10).fill(0),
  invert: new Array(10).fill(0),
};

/** One operation at one magnitude; signed operations pick their sign at random, as the reference does. */
function runOp(img: Img, op: AugOp, mag: number): Img {
  const sign = (): number => (randint(0, 1) === 1 ? 1 : -1);
  switch (op) {
    case 'shearX':
    case 'shearY':
      return augment[op](img, mag * sign());
    case 'translateX':
      return augment.translateX(img, mag * img.shape[1]! * sign());
    case 'translateY':
      return augment.translateY(img, mag * img.shape[0]! * sign());
    case 'color':
    case 'contrast':
    case 'sharpness':
    case 'brightness':
      return augment[op](img, 1 + mag * sign());
    case 'rotate':
    case 'posterize':
    case 'solarize':
      return augment[op](img, mag);
    default:
      return augment[op](img);
  }
}

export type SubPolicy = [p1: number, op1: AugOp, m1: number, p2: number, op2: AugOp, m2: number];

/** ImageNetPolicy's sub-policies (25 entries, duplicates included, as in the reference). */
export const IMAGENET_POLICY: SubPolicy[] = [
  [0.4, 'posterize', 8, 0.6, 'rotate', 9],
  [0.6, 'solarize', 5, 0.6, 'autocontrast', 5],
  [0.8, 'equalize', 8, 0.6, 'equalize', 3],
  [0.6, 'posterize', 7, 0.6, 'posterize', 6],
  [0.4, 'equalize', 7, 0.2, 'solarize', 4],
  [0.4, 'equalize', 4, 0.8, 'rotate', 8],
  [0.6, 'solarize', 3, 0.6, 'equalize', 7],
  [0.8, 'posterize', 5, 1.0, 'equalize', 2],
  [0.2, 'rotate', 3, 0.6, 'solarize', 8],
  [0.6, 'equalize', 8, 0.4, 'posterize', 6],
  [0.8, 'rotate', 8, 0.4, 'color', 0],
  [0.4, 'rotate', 9, 0.6, 'equalize', 2],
  [0.0, 'equalize', 7, 0.8, 'equalize', 8],
  [0.6, 'invert', 4, 1.0, 'equalize', 8],
  [0.6, 'color', 4, 1.0, 'contrast', 8],
  [0.8, 'rotate', 8, 1.0, 'color', 2],
  [0.8, 'color', 8, 0.8, 'solarize', 7],
  [0.4, 'sharpness', 7, 0.6, 'invert', 8],
  [0.6, 'shearX', 5, 1.0, 'equalize', 9],
  [0.4, 'color', 0, 0.6, 'equalize', 3],
  [0.4, 'equalize', 7, 0.2, 'solarize', 4],
  [0.6, 'solarize', 5, 0.6, 'autocontrast', 5],
  [0.6, 'invert', 4, 1.0, 'equalize', 8],
  [0.6, 'color', 4, 1.0, 'contrast', 8],
  [0.8, 'equalize', 8, 0.6, 'equalize', 3],
];

export class AutoAugment implements Operator {
  readonly name = 'AutoAugment';
  readonly inputLayout = 'HWC';
  readonly policies = IMAGENET_POLICY;
  constructor(params: Record<string, never> = {}) {
    parseWith(AutoAugmentParams, params, 'AutoAugment parameters');
  }
  apply(x: Sample): HostArray {
    return this.applyPolicy(x, randint(0, this.policies.length - 1));
  }
  /** Runs sub-policy `index` (its two operations still fire with their probabilities). */
  applyPolicy(x: Sample, index: number): HostArray {
    const img = hwcImage(x, this.name);
    if (img.dtype !== 'uint8') {
      throw new Error(`AutoAugment works on uint8 images (PIL), got ${img.dtype}; put it before NormalizeImage`);
    }
    if (img.shape[2] !== 1 && img.shape[2] !== 3) throw new Error(`AutoAugment needs 1 or 3 channels, got ${img.shape[2]}`);
    const [p1, op1, m1, p2, op2, m2] = this.policies[index % this.policies.length]!;
    let out = img;
    if (random() < p1) out = runOp(out, op1, MAGNITUDES[op1][m1]!);
    if (random() < p2) out = runOp(out, op2, MAGNITUDES[op2][m2]!);
    return out;
  }
}
