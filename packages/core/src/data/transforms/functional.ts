/**
 * Image operations on HWC host arrays (uint8 or float32), as paddle.vision.transforms.functional
 * has them for numpy images. Rows are copied with subarray/set; only resampling touches pixels.
 */
import { allocArray, type NumericArray } from '../../tensor/dtype';
import { fmtShape } from '../../tensor/shape';
import { hostArray, type HostArray } from '../host-array';

export type Interpolation = 'bilinear' | 'nearest';

function hwc(img: HostArray, where: string): [number, number, number] {
  if (img.shape.length === 2) return [img.shape[0]!, img.shape[1]!, 1];
  if (img.shape.length !== 3) throw new Error(`${where}: expected an HWC image, got shape ${fmtShape(img.shape)}`);
  return img.shape as [number, number, number];
}

function like(img: HostArray, h: number, w: number, c: number): HostArray {
  const shape = img.shape.length === 2 ? [h, w] : [h, w, c];
  return hostArray(allocArray(img.dtype, h * w * c), shape, img.dtype);
}

/** Output size for `size`: a number resizes the shorter side keeping the aspect ratio. */
export function targetSize(h: number, w: number, size: number | [number, number]): [number, number] {
  if (Array.isArray(size)) return size;
  if (h <= w) return [size, Math.max(1, Math.round((size * w) / h))];
  return [Math.max(1, Math.round((size * h) / w)), size];
}

/**
 * Resamples to [outH, outW]. Bilinear uses half-pixel centres with edge clamping (OpenCV's
 * INTER_LINEAR, which PaddleClas's cv2 pipeline uses); uint8 results are rounded.
 */
export function resize(img: HostArray, size: number | [number, number], interpolation: Interpolation = 'bilinear'): HostArray {
  const [h, w, c] = hwc(img, 'resize');
  const [oh, ow] = targetSize(h, w, size);
  if (oh === h && ow === w) return hostArray(img.data.slice(), [...img.shape], img.dtype);
  const out = like(img, oh, ow, c);
  const src = img.data as NumericArray;
  const dst = out.data as NumericArray;
  const round = img.dtype === 'uint8';
  const sy = h / oh;
  const sx = w / ow;
  if (interpolation === 'nearest') {
    for (let y = 0; y < oh; y++) {
      const iy = Math.min(h - 1, Math.floor(y * sy));
      for (let x = 0; x < ow; x++) {
        const ix = Math.min(w - 1, Math.floor(x * sx));
        dst.set(src.subarray((iy * w + ix) * c, (iy * w + ix + 1) * c), (y * ow + x) * c);
      }
    }
    return out;
  }
  // Precompute horizontal taps once per column.
  const x0 = new Int32Array(ow);
  const x1 = new Int32Array(ow);
  const fx = new Float32Array(ow);
  for (let x = 0; x < ow; x++) {
    let f = (x + 0.5) * sx - 0.5;
    if (f < 0) f = 0;
    const i = Math.min(Math.floor(f), w - 1);
    x0[x] = i;
    x1[x] = Math.min(i + 1, w - 1);
    fx[x] = f - i;
  }
  for (let y = 0; y < oh; y++) {
    let f = (y + 0.5) * sy - 0.5;
    if (f < 0) f = 0;
    const y0 = Math.min(Math.floor(f), h - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = f - y0;
    const r0 = y0 * w * c;
    const r1 = y1 * w * c;
    for (let x = 0; x < ow; x++) {
      const a = x0[x]! * c;
      const b = x1[x]! * c;
      const wx = fx[x]!;
      const o = (y * ow + x) * c;
      for (let k = 0; k < c; k++) {
        const top = src[r0 + a + k]! + (src[r0 + b + k]! - src[r0 + a + k]!) * wx;
        const bot = src[r1 + a + k]! + (src[r1 + b + k]! - src[r1 + a + k]!) * wx;
        const v = top + (bot - top) * fy;
        dst[o + k] = round ? Math.round(v) : v;
      }
    }
  }
  return out;
}

/** The [top, left, h, w] region; must lie inside the image. */
export function crop(img: HostArray, top: number, left: number, ch: number, cw: number): HostArray {
  const [h, w, c] = hwc(img, 'crop');
  if (top < 0 || left < 0 || ch < 1 || cw < 1 || top + ch > h || left + cw > w) {
    throw new RangeError(`crop: region top=${top} left=${left} ${ch}x${cw} is outside the ${h}x${w} image`);
  }
  const out = like(img, ch, cw, c);
  const src = img.data as NumericArray;
  const dst = out.data as NumericArray;
  for (let y = 0; y < ch; y++) {
    const s = ((top + y) * w + left) * c;
    dst.set(src.subarray(s, s + cw * c), y * cw * c);
  }
  return out;
}

/** The centred [h, w] region (rounding as Paddle: top = round((H - h) / 2)). */
export function centerCrop(img: HostArray, size: number | [number, number]): HostArray {
  const [h, w] = hwc(img, 'centerCrop');
  const [ch, cw] = Array.isArray(size) ? size : [size, size];
  return crop(img, Math.round((h - ch) / 2), Math.round((w - cw) / 2), ch, cw);
}

export function hflip(img: HostArray): HostArray {
  const [h, w, c] = hwc(img, 'hflip');
  const out = like(img, h, w, c);
  const src = img.data as NumericArray;
  const dst = out.data as NumericArray;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c;
      dst.set(src.subarray(s, s + c), (y * w + (w - 1 - x)) * c);
    }
  }
  return out;
}

export function vflip(img: HostArray): HostArray {
  const [h, w, c] = hwc(img, 'vflip');
  const out = like(img, h, w, c);
  const row = w * c;
  for (let y = 0; y < h; y++) {
    (out.data as NumericArray).set((img.data as NumericArray).subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  }
  return out;
}

/** Pads by [left, top, right, bottom] with a constant. */
export function pad(img: HostArray, padding: number | [number, number] | [number, number, number, number], fill = 0): HostArray {
  const [h, w, c] = hwc(img, 'pad');
  const [l, t, r, b] =
    typeof padding === 'number'
      ? [padding, padding, padding, padding]
      : padding.length === 2
        ? [padding[0], padding[1], padding[0], padding[1]]
        : padding;
  const oh = h + t + b;
  const ow = w + l + r;
  const out = like(img, oh, ow, c);
  const dst = out.data as NumericArray;
  if (fill !== 0) dst.fill(fill);
  for (let y = 0; y < h; y++) {
    dst.set((img.data as NumericArray).subarray(y * w * c, (y + 1) * w * c), ((y + t) * ow + l) * c);
  }
  return out;
}

/** (x·scale − mean) / std per channel, as float32; `dataFormat` says where the channel axis is. */
export function normalize(
  img: HostArray,
  mean: number[],
  std: number[],
  dataFormat: 'HWC' | 'CHW' = 'HWC',
  scale = 1,
): HostArray {
  const src = img.data as NumericArray;
  const out = new Float32Array(src.length);
  const c = dataFormat === 'HWC' ? img.shape[img.shape.length - 1]! : img.shape[0]!;
  if (mean.length !== c && mean.length !== 1) throw new Error(`normalize: ${mean.length} means for ${c} channels`);
  if (std.length !== c && std.length !== 1) throw new Error(`normalize: ${std.length} stds for ${c} channels`);
  const m = (k: number): number => mean[mean.length === 1 ? 0 : k]!;
  const s = (k: number): number => std[std.length === 1 ? 0 : k]!;
  if (dataFormat === 'HWC') {
    for (let i = 0; i < src.length; i++) {
      const k = i % c;
      out[i] = (src[i]! * scale - m(k)) / s(k);
    }
  } else {
    const plane = src.length / c;
    for (let k = 0; k < c; k++) {
      const mk = m(k);
      const sk = s(k);
      for (let i = k * plane; i < (k + 1) * plane; i++) out[i] = (src[i]! * scale - mk) / sk;
    }
  }
  return hostArray(out, [...img.shape], 'float32');
}

/** HWC -> CHW (Paddle's `Transpose` / ToCHWImage). */
export function toCHW(img: HostArray): HostArray {
  const [h, w, c] = hwc(img, 'toCHW');
  const out = hostArray(allocArray(img.dtype, h * w * c), [c, h, w], img.dtype);
  const src = img.data as NumericArray;
  const dst = out.data as NumericArray;
  const plane = h * w;
  for (let k = 0; k < c; k++) for (let i = 0; i < plane; i++) dst[k * plane + i] = src[i * c + k]!;
  return out;
}
