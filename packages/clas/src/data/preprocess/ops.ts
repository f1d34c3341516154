/**
 * The PaddleClas per-sample operators (ppcls/data/preprocess/ops/operators.py) on HWC host
 * arrays, with PaddleClas's arithmetic: Python rounding in ResizeImage, floor division in
 * CropImage, float32 arithmetic in NormalizeImage. Parameters are checked by the schemas in
 * config/schema/transforms.ts.
 */
import { data, floatToHalf } from '@oar/core';
import { parseWith } from '../../config/errors';
import {
  CropImageParams,
  DecodeImageParams,
  NormalizeImageParams,
  RandCropImageParams,
  RandFlipImageParams,
  ResizeImageParams,
  ToCHWImageParams,
  type CropImageOptions,
  type DecodeImageOptions,
  type NormalizeImageOptions,
  type RandCropImageOptions,
  type RandFlipImageOptions,
  type ResizeImageOptions,
} from '../../config/schema/transforms';
import { hwcImage, pyRound, sizeHW, type HostArray, type Layout, type Operator, type Sample } from './operator';
import { randint, uniform } from './random';
import { resizeBicubic } from './resample';

const F = data.transforms.functional;

type Interp = 'nearest' | 'bilinear' | 'bicubic';

function resizeTo(img: HostArray, h: number, w: number, interpolation: Interp): HostArray {
  if (interpolation === 'bicubic') return h === img.shape[0] && w === img.shape[1] ? img : resizeBicubic(img, h, w);
  return F.resize(img, [h, w], interpolation);
}

/** Encoded image bytes -> HWC uint8, RGB with `to_rgb` (else BGR, as cv2 decodes). */
export class DecodeImage implements Operator {
  readonly name = 'DecodeImage';
  readonly params;
  readonly outputLayout: Layout;
  constructor(params: DecodeImageOptions = {}) {
    this.params = parseWith(DecodeImageParams, params, 'DecodeImage parameters');
    this.outputLayout = this.params.channel_first ? 'CHW' : 'HWC';
  }
  async apply(x: Sample): Promise<HostArray> {
    if (data.isHostArray(x)) throw new Error('DecodeImage expects encoded image bytes, got an already decoded array');
    // cv2.imdecode(..., IMREAD_COLOR) always yields 3 channels, grey and RGBA files included.
    const img = await data.decodeImage(x, this.params.to_rgb ? 'RGB' : 'BGR');
    return this.params.channel_first ? F.toCHW(img) : img;
  }
}

/** Resize to `size` ([w, h] or square), or the shorter side to `resize_short`. */
export class ResizeImage implements Operator {
  readonly name = 'ResizeImage';
  readonly inputLayout = 'HWC';
  readonly params;
  constructor(params: ResizeImageOptions) {
    this.params = parseWith(ResizeImageParams, params, 'ResizeImage parameters');
  }
  apply(x: Sample): HostArray {
    const img = hwcImage(x, this.name);
    const [ih, iw] = img.shape as [number, number];
    const { resize_short: short, size } = this.params;
    let h: number;
    let w: number;
    if (short != null) {
      const percent = short / Math.min(iw, ih);
      w = pyRound(iw * percent);
      h = pyRound(ih * percent);
    } else {
      [h, w] = sizeHW(size!);
    }
    return resizeTo(img, h, w, this.params.interpolation ?? 'bilinear');
  }
}

/**
 * PaddleClas's random-resized crop: an aspect ratio √r with r uniform in `ratio`, an area
 * fraction uniform in `scale` clipped so the window fits, a uniform position, then a resize
 * to `size`.
 */
export class RandCropImage implements Operator {
  readonly name = 'RandCropImage';
  readonly inputLayout = 'HWC';
  readonly params;
  private readonly scale: readonly [number, number];
  private readonly ratio: readonly [number, number];
  constructor(params: RandCropImageOptions) {
    this.params = parseWith(RandCropImageParams, params, 'RandCropImage parameters');
    this.scale = this.params.scale ?? [0.08, 1.0];
    this.ratio = this.params.ratio ?? [3 / 4, 4 / 3];
  }
  apply(x: Sample): HostArray {
    const img = hwcImage(x, this.name);
    const [ih, iw] = img.shape as [number, number];
    const aspect = Math.sqrt(uniform(this.ratio[0], this.ratio[1]));
    const fw = aspect;
    const fh = 1 / aspect;
    const bound = Math.min(iw / ih / (fw * fw), ih / iw / (fh * fh));
    const smax = Math.min(this.scale[1], bound);
    const smin = Math.min(this.scale[0], bound);
    const target = Math.sqrt(iw * ih * uniform(smin, smax));
    // int() truncates; at least one pixel so tiny images still give a window.
    const w = Math.min(iw, Math.max(1, Math.trunc(target * fw)));
    const h = Math.min(ih, Math.max(1, Math.trunc(target * fh)));
    const left = randint(0, iw - w);
    const top = randint(0, ih - h);
    const [oh, ow] = sizeHW(this.params.size);
    return resizeTo(F.crop(img, top, left, h, w), oh, ow, this.params.interpolation ?? 'bilinear');
  }
}

/** The centred `size` window (offsets floor((W - w) / 2), floor((H - h) / 2)). */
export class CropImage implements Operator {
  readonly name = 'CropImage';
  readonly inputLayout = 'HWC';
  readonly params;
  constructor(params: CropImageOptions) {
    this.params = parseWith(CropImageParams, params, 'CropImage parameters');
  }
  apply(x: Sample): HostArray {
    const img = hwcImage(x, this.name);
    const [ih, iw] = img.shape as [number, number];
    const [h, w] = sizeHW(this.params.size);
    if (h > ih || w > iw) {
      // NumPy slicing would silently return a smaller image, which then fails to batch.
      throw new Error(`CropImage: a ${w}x${h} (w x h) crop does not fit the ${iw}x${ih} image; resize it first (ResizeImage resize_short)`);
    }
    return F.crop(img, Math.floor((ih - h) / 2), Math.floor((iw - w) / 2), h, w);
  }
}

/** Flips with probability 1/2: flip_code 1 horizontally, 0 vertically, -1 both (cv2.flip). */
export class RandFlipImage implements Operator {
  readonly name = 'RandFlipImage';
  readonly inputLayout = 'HWC';
  readonly params;
  constructor(params: RandFlipImageOptions = {}) {
    this.params = parseWith(RandFlipImageParams, params, 'RandFlipImage parameters');
  }
  apply(x: Sample): HostArray {
    const img = hwcImage(x, this.name);
    if (randint(0, 1) !== 1) return img;
    const code = this.params.flip_code;
    if (code === 1) return F.hflip(img);
    if (code === 0) return F.vflip(img);
    return F.vflip(F.hflip(img));
  }
}

/**
 * (x · scale − mean) / std per channel in float32, the channel axis first for order 'chw' and
 * last for '' / 'hwc'; `channel_num: 4` appends a zero channel, `output_fp16` gives float16.
 * Written out rather than calling core's normalize so that each step rounds to float32 as
 * NumPy's float32 arrays do, and the values match PaddleClas exactly.
 */
export class NormalizeImage implements Operator {
  readonly name = 'NormalizeImage';
  readonly params;
  readonly scale: number;
  readonly mean: number[];
  readonly std: number[];
  readonly inputLayout: Layout;
  constructor(params: NormalizeImageOptions = {}) {
    this.params = parseWith(NormalizeImageParams, params, 'NormalizeImage parameters');
    this.scale = Math.fround(this.params.scale ?? 1 / 255);
    this.mean = (this.params.mean ?? [0.485, 0.456, 0.406]).map(Math.fround);
    this.std = (this.params.std ?? [0.229, 0.224, 0.225]).map(Math.fround);
    this.inputLayout = this.params.order === 'chw' ? 'CHW' : 'HWC';
  }
  apply(x: Sample): HostArray {
    if (!data.isHostArray(x)) throw new Error('NormalizeImage received encoded image bytes; DecodeImage must come first');
    if (x.shape.length !== 3) throw new Error(`NormalizeImage expects a 3-D image, got shape [${x.shape.join(', ')}]`);
    const chw = this.inputLayout === 'CHW';
    const c = chw ? x.shape[0]! : x.shape[2]!;
    for (const [what, v] of [
      ['mean', this.mean],
      ['std', this.std],
    ] as const) {
      if (v.length !== c && v.length !== 1) {
        throw new Error(
          `NormalizeImage: ${v.length} ${what} values for an image with ${c} channels (shape [${x.shape.join(', ')}], order '${this.params.order}')` +
            (chw ? "; for channel-last images set order: ''" : ''),
        );
      }
    }
    const src = x.data as Exclude<HostArray['data'], BigInt64Array>;
    const plane = src.length / c;
    const outC = this.params.channel_num === 4 && c === 3 ? 4 : c;
    const out = new Float32Array(plane * outC);
    const f = Math.fround;
    for (let k = 0; k < c; k++) {
      const m = this.mean[this.mean.length === 1 ? 0 : k]!;
      const s = this.std[this.std.length === 1 ? 0 : k]!;
      for (let p = 0; p < plane; p++) {
        const si = chw ? k * plane + p : p * c + k;
        const di = chw ? k * plane + p : p * outC + k;
        out[di] = f(f(f(src[si]! * this.scale) - m) / s);
      }
    }
    const shape = chw ? [outC, x.shape[1]!, x.shape[2]!] : [x.shape[0]!, x.shape[1]!, outC];
    if (!this.params.output_fp16) return data.hostArray(out, shape, 'float32');
    const half = new Uint16Array(out.length);
    for (let i = 0; i < out.length; i++) half[i] = floatToHalf(out[i]!);
    return data.hostArray(half, shape, 'float16');
  }
}

/** HWC -> CHW. */
export class ToCHWImage implements Operator {
  readonly name = 'ToCHWImage';
  readonly inputLayout = 'HWC';
  readonly outputLayout = 'CHW';
  constructor(params: Record<string, never> = {}) {
    parseWith(ToCHWImageParams, params, 'ToCHWImage parameters');
  }
  apply(x: Sample): HostArray {
    return F.toCHW(hwcImage(x, this.name));
  }
}
