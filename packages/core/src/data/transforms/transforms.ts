/**
 * Vision transforms as classes (paddle.vision.transforms). Random choices draw from the core
 * Philox generator, so `seed()` makes an augmentation pipeline repeat.
 */
import { engine } from '../../engine/engine';
import { philoxUniform } from '../../random/philox';
import { hostArray, type HostArray } from '../host-array';
import * as F from './functional';

/** n uniform draws in [0, 1) from the global generator. */
export function uniforms(n: number): Float64Array {
  const st = engine.reserveRandom(Math.ceil(n / 4) + 1);
  return philoxUniform(st.key, st.offset, n);
}

export interface Transform {
  apply(img: HostArray): HostArray;
}

export class Compose implements Transform {
  constructor(readonly transforms: Transform[]) {}
  apply(img: HostArray): HostArray {
    return this.transforms.reduce((x, t) => t.apply(x), img);
  }
}

/** Resize to [h, w], or the shorter side to `size` keeping the aspect ratio. */
export class Resize implements Transform {
  constructor(
    readonly size: number | [number, number],
    readonly interpolation: F.Interpolation = 'bilinear',
  ) {}
  apply(img: HostArray): HostArray {
    return F.resize(img, this.size, this.interpolation);
  }
}

export class CenterCrop implements Transform {
  constructor(readonly size: number | [number, number]) {}
  apply(img: HostArray): HostArray {
    return F.centerCrop(img, this.size);
  }
}

/** A random [h, w] window, padding first when the image is smaller. */
export class RandomCrop implements Transform {
  constructor(
    readonly size: number | [number, number],
    readonly padding = 0,
  ) {}
  apply(img: HostArray): HostArray {
    let x = this.padding ? F.pad(img, this.padding) : img;
    const [ch, cw] = Array.isArray(this.size) ? this.size : [this.size, this.size];
    const [h, w] = x.shape as [number, number];
    if (h < ch || w < cw) x = F.pad(x, [0, 0, Math.max(0, cw - w), Math.max(0, ch - h)]);
    const [u, v] = uniforms(2);
    const top = Math.floor(u! * (x.shape[0]! - ch + 1));
    const left = Math.floor(v! * (x.shape[1]! - cw + 1));
    return F.crop(x, top, left, ch, cw);
  }
}

/**
 * A random area fraction in `scale` and aspect ratio in `ratio` (log-uniform), resized to
 * `size` (Paddle's RandomResizedCrop / PaddleClas RandCropImage); after 10 misses, a centre crop.
 */
export class RandomResizedCrop implements Transform {
  constructor(
    readonly size: number | [number, number],
    readonly scale: [number, number] = [0.08, 1.0],
    readonly ratio: [number, number] = [3 / 4, 4 / 3],
    readonly interpolation: F.Interpolation = 'bilinear',
  ) {}
  apply(img: HostArray): HostArray {
    const [h, w] = img.shape as [number, number];
    const area = h * w;
    const out: [number, number] = Array.isArray(this.size) ? this.size : [this.size, this.size];
    const r = uniforms(40);
    const logR = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let t = 0; t < 10; t++) {
      const target = area * (this.scale[0] + r[4 * t]! * (this.scale[1] - this.scale[0]));
      const aspect = Math.exp(logR[0]! + r[4 * t + 1]! * (logR[1]! - logR[0]!));
      const cw = Math.round(Math.sqrt(target * aspect));
      const ch = Math.round(Math.sqrt(target / aspect));
      if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
        const top = Math.floor(r[4 * t + 2]! * (h - ch + 1));
        const left = Math.floor(r[4 * t + 3]! * (w - cw + 1));
        return F.resize(F.crop(img, top, left, ch, cw), out, this.interpolation);
      }
    }
    // Fallback: the largest centred crop within the ratio range.
    let cw = w;
    let ch = h;
    const inRatio = w / h;
    if (inRatio < this.ratio[0]) ch = Math.round(w / this.ratio[0]);
    else if (inRatio > this.ratio[1]) cw = Math.round(h * this.ratio[1]);
    return F.resize(F.centerCrop(img, [ch, cw]), out, this.interpolation);
  }
}

export class RandomHorizontalFlip implements Transform {
  constructor(readonly prob = 0.5) {}
  apply(img: HostArray): HostArray {
    return uniforms(1)[0]! < this.prob ? F.hflip(img) : img;
  }
}

export class RandomVerticalFlip implements Transform {
  constructor(readonly prob = 0.5) {}
  apply(img: HostArray): HostArray {
    return uniforms(1)[0]! < this.prob ? F.vflip(img) : img;
  }
}

export class Pad implements Transform {
  constructor(
    readonly padding: number | [number, number] | [number, number, number, number],
    readonly fill = 0,
  ) {}
  apply(img: HostArray): HostArray {
    return F.pad(img, this.padding, this.fill);
  }
}

/** (x·scale − mean) / std per channel, float32 (Paddle's Normalize; PaddleClas uses scale 1/255). */
export class Normalize implements Transform {
  constructor(
    readonly mean: number[],
    readonly std: number[],
    readonly dataFormat: 'HWC' | 'CHW' = 'CHW',
    readonly scale = 1,
  ) {}
  apply(img: HostArray): HostArray {
    return F.normalize(img, this.mean, this.std, this.dataFormat, this.scale);
  }
}

/** HWC -> CHW. */
export class Transpose implements Transform {
  apply(img: HostArray): HostArray {
    return F.toCHW(img);
  }
}

/** HWC uint8 in [0, 255] -> CHW float32 in [0, 1] (Paddle's ToTensor, as a host array). */
export class ToTensor implements Transform {
  apply(img: HostArray): HostArray {
    const chw = F.toCHW(img);
    const out = new Float32Array(chw.data.length);
    const src = chw.data as Uint8Array;
    const div = img.dtype === 'uint8' ? 1 / 255 : 1;
    for (let i = 0; i < out.length; i++) out[i] = src[i]! * div;
    return hostArray(out, chw.shape, 'float32');
  }
}
