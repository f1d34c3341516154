/**
 * Resampling that core's transforms.functional does not have: cv2's bicubic resize (for
 * ResizeImage/RandCropImage `interpolation: bicubic`) and PIL's affine warp with a fill
 * colour (for AutoAugment's rotate, shear and translate).
 */
import { data } from '@oar/core';
import type { HostArray } from './operator';

type Num = Exclude<data.HostArray['data'], BigInt64Array>;

function cubicWeights(t: number, a: number, out: Float64Array): void {
  // Keys' cubic convolution kernel at distances 1+t, t, 1-t, 2-t.
  const w = (x: number): number => {
    x = Math.abs(x);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
  };
  out[0] = w(1 + t);
  out[1] = w(t);
  out[2] = w(1 - t);
  out[3] = w(2 - t);
}

/**
 * Bicubic resize to [oh, ow] as cv2.INTER_CUBIC: half-pixel centres, a = -0.75, edge pixels
 * replicated; uint8 results rounded and clamped.
 */
export function resizeBicubic(img: HostArray, oh: number, ow: number): HostArray {
  const [h, w, c] = img.shape as [number, number, number];
  const src = img.data as Num;
  const out = data.hostArray(new (src.constructor as new (n: number) => Num)(oh * ow * c), [oh, ow, c], img.dtype);
  const dst = out.data as Num;
  const u8 = img.dtype === 'uint8';
  const xi = new Int32Array(ow * 4);
  const xw = new Float64Array(ow * 4);
  const tmp = new Float64Array(4);
  for (let x = 0; x < ow; x++) {
    const f = (x + 0.5) * (w / ow) - 0.5;
    const i = Math.floor(f);
    cubicWeights(f - i, -0.75, tmp);
    for (let k = 0; k < 4; k++) {
      xi[x * 4 + k] = Math.min(w - 1, Math.max(0, i - 1 + k));
      xw[x * 4 + k] = tmp[k]!;
    }
  }
  const yw = new Float64Array(4);
  const yi = new Int32Array(4);
  for (let y = 0; y < oh; y++) {
    const f = (y + 0.5) * (h / oh) - 0.5;
    const i = Math.floor(f);
    cubicWeights(f - i, -0.75, yw);
    for (let k = 0; k < 4; k++) yi[k] = Math.min(h - 1, Math.max(0, i - 1 + k));
    for (let x = 0; x < ow; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let ky = 0; ky < 4; ky++) {
          const row = yi[ky]! * w;
          let r = 0;
          for (let kx = 0; kx < 4; kx++) r += src[(row + xi[x * 4 + kx]!) * c + ch]! * xw[x * 4 + kx]!;
          acc += r * yw[ky]!;
        }
        dst[(y * ow + x) * c + ch] = u8 ? (acc <= 0 ? 0 : acc >= 255 ? 255 : Math.round(acc)) : acc;
      }
    }
  }
  return out;
}

/**
 * PIL's Image.transform(size, AFFINE, (a, b, c, d, e, f)) on an HWC uint8 image: output pixel
 * (x, y) samples the input at (a·x' + b·y' + c, d·x' + e·y' + f) with x' = x + 0.5 (pixel
 * centres); points outside the image take `fill`. Nearest truncates the coordinate, as PIL
 * does; bicubic uses PIL's a = -0.5 with clamped neighbours.
 */
export function affine(
  img: HostArray,
  m: readonly [number, number, number, number, number, number],
  resample: 'nearest' | 'bicubic',
  fill: number,
): HostArray {
  const [h, w, c] = img.shape as [number, number, number];
  const src = img.data as Uint8Array;
  const out = new Uint8Array(h * w * c);
  const [a, b, cc, d, e, f] = m;
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xin = a * (x + 0.5) + b * (y + 0.5) + cc;
      const yin = d * (x + 0.5) + e * (y + 0.5) + f;
      const o = (y * w + x) * c;
      if (xin < 0 || yin < 0 || xin >= w || yin >= h) {
        out.fill(fill, o, o + c);
        continue;
      }
      if (resample === 'nearest') {
        const s = (Math.floor(yin) * w + Math.floor(xin)) * c;
        for (let k = 0; k < c; k++) out[o + k] = src[s + k]!;
        continue;
      }
      const fx = xin - 0.5;
      const fy = yin - 0.5;
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      cubicWeights(fx - ix, -0.5, wx);
      cubicWeights(fy - iy, -0.5, wy);
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let ky = 0; ky < 4; ky++) {
          const row = Math.min(h - 1, Math.max(0, iy - 1 + ky)) * w;
          let r = 0;
          for (let kx = 0; kx < 4; kx++) r += src[(row + Math.min(w - 1, Math.max(0, ix - 1 + kx))) * c + k]! * wx[kx]!;
          acc += r * wy[ky]!;
        }
        out[o + k] = acc <= 0 ? 0 : acc >= 255 ? 255 : Math.round(acc);
      }
    }
  }
  return data.hostArray(out, [h, w, c], 'uint8');
}
