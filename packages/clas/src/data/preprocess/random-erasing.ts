/**
 * RandomErasing (Zhong et al. 2017) as PaddleClas has it: with probability EPSILON, up to
 * `attempt` tries to place a rectangle of area fraction in [sl, sh] and aspect ratio in
 * [r1, 1/r1] (log-uniform with use_log_aspect) inside the HWC image, filled with `mean`
 * (mode const), one normal draw per channel (rand) or per pixel (pixel).
 */
import { data } from '@oar/core';
import { parseWith } from '../../config/errors';
import { RandomErasingParams, type RandomErasingOptions } from '../../config/schema/transforms';
import { hwcImage, pyRound, sat8, type HostArray, type Operator, type Sample } from './operator';
import { normals, random, randint, uniform } from './random';

export class RandomErasing implements Operator {
  readonly name = 'RandomErasing';
  readonly inputLayout = 'HWC';
  readonly params;
  private readonly r1: [number, number];
  constructor(params: RandomErasingOptions = {}) {
    this.params = parseWith(RandomErasingParams, params, 'RandomErasing parameters');
    const r = this.params.r1;
    this.r1 = this.params.use_log_aspect ? [Math.log(r), Math.log(1 / r)] : [r, 1 / r];
  }
  apply(x: Sample): HostArray {
    const img = hwcImage(x, this.name);
    if (random() > this.params.EPSILON) return img;
    const [ih, iw] = img.shape as [number, number];
    for (let t = 0; t < this.params.attempt; t++) {
      const target = uniform(this.params.sl, this.params.sh) * ih * iw;
      let aspect = uniform(this.r1[0], this.r1[1]);
      if (this.params.use_log_aspect) aspect = Math.exp(aspect);
      const h = pyRound(Math.sqrt(target * aspect));
      const w = pyRound(Math.sqrt(target / aspect));
      if (w < iw && h < ih) {
        const top = randint(0, ih - h);
        const left = randint(0, iw - w);
        return this.erase(img, top, left, h, w);
      }
    }
    return img;
  }

  /** Fills the [top, left, h, w] window as the mode says (exposed for tests). */
  erase(img: HostArray, top: number, left: number, h: number, w: number): HostArray {
    const [, iw, c] = img.shape as [number, number, number];
    const out = data.hostArray(img.data.slice(), [...img.shape], img.dtype);
    const dst = out.data as Exclude<HostArray['data'], BigInt64Array>;
    const u8 = img.dtype === 'uint8';
    const mode = this.params.mode;
    // Three-channel images get every channel filled, others only channel 0, as in PaddleClas.
    const chans = c === 3 ? 3 : 1;
    const perChannel = mode === 'rand' ? normals(3) : null;
    const perPixel = mode === 'pixel' ? normals(h * w * chans) : null;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < chans; k++) {
          const v = perPixel ? perPixel[(y * w + x) * chans + k]! : perChannel ? perChannel[k]! : this.params.mean[k] ?? 0;
          dst[((top + y) * iw + left + x) * c + k] = u8 ? sat8(v) : v;
        }
      }
    }
    return out;
  }
}
