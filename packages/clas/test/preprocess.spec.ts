import { data, seed } from '@oar/core';
import {
  AutoAugment,
  ConfigError,
  CropImage,
  DecodeImage,
  IMAGENET_POLICY,
  MAGNITUDES,
  NormalizeImage,
  RandCropImage,
  RandFlipImage,
  RandomErasing,
  ResizeImage,
  ToCHWImage,
  augment,
  createOperators,
  pyRound,
  resizeBicubic,
  transform,
  type HostArray,
} from '../src';

const F = data.transforms.functional;

/** The elements of a host array as numbers. */
const vals = (a: { data: unknown }): number[] => Array.from(a.data as ArrayLike<number>);

/** An HWC uint8 image whose pixel (y, x, k) is f(y, x, k). */
function image(h: number, w: number, c: number, f: (y: number, x: number, k: number) => number): HostArray {
  const px = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) px[(y * w + x) * c + k] = f(y, x, k);
  return data.hostArray(px, [h, w, c], 'uint8');
}

const pixel = (img: HostArray, y: number, x: number): number[] => {
  const c = img.shape[2]!;
  const w = img.shape[1]!;
  return Array.from((img.data as Uint8Array).subarray((y * w + x) * c, (y * w + x + 1) * c));
};

describe('DecodeImage', () => {
  it('decodes PNG to RGB, to BGR without to_rgb, and to CHW with channel_first', async () => {
    const img = image(2, 3, 3, (y, x, k) => 10 * y + 3 * x + 100 * k);
    const png = await data.encodePng(img);
    const rgb = await new DecodeImage().apply(png);
    expect(rgb.shape).toEqual([2, 3, 3]);
    expect(vals(rgb)).toEqual(vals(img));
    const bgr = await new DecodeImage({ to_rgb: false }).apply(png);
    expect(pixel(bgr, 1, 2)).toEqual([216, 116, 16]);
    const chw = await new DecodeImage({ channel_first: true }).apply(png);
    expect(chw.shape).toEqual([3, 2, 3]);
    expect(vals(chw).slice(6, 12)).toEqual([100, 103, 106, 110, 113, 116]);
  });

  it('gives three channels for a greyscale file, as cv2 does', async () => {
    const png = await data.encodePng(image(2, 2, 1, (y, x) => 50 * y + 20 * x));
    const rgb = await new DecodeImage().apply(png);
    expect(rgb.shape).toEqual([2, 2, 3]);
    expect(pixel(rgb, 1, 1)).toEqual([70, 70, 70]);
  });

  it('rejects arrays and undecodable bytes', async () => {
    await expect(new DecodeImage().apply(image(1, 1, 3, () => 0))).rejects.toThrow(/expects encoded image bytes/);
    await expect(new DecodeImage().apply(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/cannot decode/);
  });
});

describe('ResizeImage', () => {
  it('scales the shorter side with Python rounding', () => {
    const img = image(4, 10, 3, () => 9);
    const out = new ResizeImage({ resize_short: 1 }).apply(img);
    // 10 · 0.25 = 2.5 rounds to 2 in Python (banker's rounding), not 3.
    expect(out.shape).toEqual([1, 2, 3]);
    expect(new ResizeImage({ resize_short: 2 }).apply(image(3, 5, 1, () => 0)).shape).toEqual([2, 3, 1]);
    expect(pyRound(2.5)).toBe(2);
    expect(pyRound(3.5)).toBe(4);
    expect(pyRound(-1.5)).toBe(-2);
    expect(pyRound(0.5)).toBe(0);
  });

  it('resizes to size [w, h] or a square, with each interpolation', () => {
    const img = image(4, 4, 1, (y, x) => 16 * y + x);
    expect(new ResizeImage({ size: [6, 2] }).apply(img).shape).toEqual([2, 6, 1]);
    expect(new ResizeImage({ size: 8 }).apply(img).shape).toEqual([8, 8, 1]);
    const near = new ResizeImage({ size: 2, interpolation: 'nearest' }).apply(img);
    expect(vals(near)).toEqual([0, 2, 32, 34]);
    // Halving with half-pixel centres averages 2x2 blocks bilinearly.
    const lin = new ResizeImage({ size: 2 }).apply(img);
    expect(vals(lin)).toEqual([9, 11, 41, 43]);
    const cub = new ResizeImage({ size: [2, 2], interpolation: 'bicubic' }).apply(img);
    expect(cub.shape).toEqual([2, 2, 1]);
  });

  it('bicubic keeps constants and weighs four neighbours with cv2 kernel (a = -0.75)', () => {
    const flat = resizeBicubic(image(5, 7, 3, () => 77), 9, 4);
    expect(new Set(vals(flat)).size).toBe(1);
    expect(flat.data[0]).toBe(77);
    const ramp = data.hostArray(Float32Array.from({ length: 16 }, (_, i) => i), [1, 16, 1], 'float32');
    const up = resizeBicubic(ramp, 1, 32);
    // Output 6 samples input 2.75: weights w(1.75), w(0.75), w(0.25), w(1.25) on inputs 1..4 are
    // -0.03515625, 0.26171875, 0.87890625, -0.10546875 (with a = -0.75 a ramp is not reproduced
    // exactly, unlike PIL's a = -0.5).
    expect(up.data[6]).toBeCloseTo(2.703125, 6);
    expect(up.data[7]).toBeCloseTo(3.296875, 6);
    expect(up.data[0]).toBeCloseTo(-0.03515625 * 0 + 0.26171875 * 0 + 0.87890625 * 0 - 0.10546875 * 1, 6);
  });

  it('needs size or resize_short', () => {
    expect(() => new ResizeImage({})).toThrow('ResizeImage parameters:\n  (top level): ResizeImage needs size or resize_short');
  });
});

describe('CropImage', () => {
  it('takes the centred window with floor offsets', () => {
    const img = image(4, 6, 1, (y, x) => 10 * y + x);
    const out = new CropImage({ size: 2 }).apply(img);
    expect(out.shape).toEqual([2, 2, 1]);
    expect(vals(out)).toEqual([12, 13, 22, 23]);
    // [w, h] = [3, 2]: left = floor(3 / 2) = 1, top = 1.
    const wide = new CropImage({ size: [3, 2] }).apply(img);
    expect(wide.shape).toEqual([2, 3, 1]);
    expect(vals(wide)).toEqual([11, 12, 13, 21, 22, 23]);
  });

  it('refuses a window larger than the image', () => {
    expect(() => new CropImage({ size: 5 }).apply(image(4, 6, 1, () => 0))).toThrow(/a 5x5 \(w x h\) crop does not fit the 6x4 image/);
  });
});

describe('RandCropImage', () => {
  it('crops a random window and resizes it to size', () => {
    seed(3);
    const op = new RandCropImage({ size: 8 });
    const img = image(20, 30, 3, (y, x, k) => (y * 7 + x * 3 + k) % 256);
    const outs = Array.from({ length: 5 }, () => op.apply(img));
    for (const o of outs) expect(o.shape).toEqual([8, 8, 3]);
    expect(new Set(outs.map((o) => vals(o).join())).size).toBeGreaterThan(1);
    expect(new RandCropImage({ size: [12, 6] }).apply(img).shape).toEqual([6, 12, 3]);
  });

  it('keeps the whole image when scale and ratio are pinned to 1', () => {
    const img = image(9, 9, 1, (y, x) => y * 9 + x);
    const out = new RandCropImage({ size: 9, scale: [1, 1], ratio: [1, 1] }).apply(img);
    expect(vals(out)).toEqual(vals(img));
  });

  it('repeats after seed()', () => {
    const img = image(16, 16, 1, (y, x) => y * 16 + x);
    const op = new RandCropImage({ size: 4 });
    seed(11);
    const a = op.apply(img);
    seed(11);
    expect(vals(op.apply(img))).toEqual(vals(a));
  });
});

describe('RandFlipImage', () => {
  it('flips half the time, along the axis flip_code names', () => {
    const img = image(2, 3, 1, (y, x) => 10 * y + x);
    seed(5);
    const op = new RandFlipImage();
    const outs = Array.from({ length: 200 }, () => vals(op.apply(img)).join());
    const flipped = outs.filter((o) => o === vals(F.hflip(img)).join()).length;
    const kept = outs.filter((o) => o === vals(img).join()).length;
    expect(flipped + kept).toBe(200);
    expect(flipped).toBeGreaterThan(70);
    expect(kept).toBeGreaterThan(70);
    const seen = (code: 0 | -1): Set<string> => {
      const o = new RandFlipImage({ flip_code: code });
      return new Set(Array.from({ length: 40 }, () => vals(o.apply(img)).join()));
    };
    expect(seen(0)).toEqual(new Set([vals(img).join(), '10,11,12,0,1,2']));
    expect(seen(-1)).toEqual(new Set([vals(img).join(), '12,11,10,2,1,0']));
  });
});

describe('NormalizeImage', () => {
  it('computes (x·scale − mean) / std in float32, channel-last with order ""', () => {
    const img = image(1, 2, 3, (_y, x) => (x ? 255 : 0));
    const out = new NormalizeImage({ scale: '1.0/255.0', order: '' }).apply(img);
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([1, 2, 3]);
    const v = Array.from(out.data as Float32Array);
    expect(v[0]).toBeCloseTo(-0.485 / 0.229, 6);
    expect(v[3]).toBeCloseTo(0.515 / 0.229, 6);
    expect(v[5]).toBeCloseTo(0.594 / 0.225, 6);
    // Exactly NumPy's float32 steps: fround at every operation.
    const f = Math.fround;
    expect(v[4]).toBe(f(f(f(255 * f(1 / 255)) - f(0.456)) / f(0.224)));
  });

  it('normalizes channel-first input with the default order chw', () => {
    const chw = data.hostArray(new Uint8Array([0, 255, 255, 0]), [2, 1, 2], 'uint8');
    const out = new NormalizeImage({ scale: 1, mean: [0, 100], std: [1, 5] }).apply(chw);
    expect(vals(out)).toEqual([0, 255, 31, -20]);
  });

  it('adds a zero channel with channel_num 4 and stores float16 with output_fp16', () => {
    const img = image(1, 1, 3, () => 255);
    const four = new NormalizeImage({ order: 'hwc', mean: [0, 0, 0], std: [1, 1, 1], channel_num: 4 }).apply(img);
    expect(four.shape).toEqual([1, 1, 4]);
    expect(vals(four)).toEqual([1, 1, 1, 0]);
    const half = new NormalizeImage({ order: '', mean: [0.5], std: [0.25], output_fp16: true }).apply(img);
    expect(half.dtype).toBe('float16');
    expect(vals(half)).toEqual([0x4000, 0x4000, 0x4000]); // 2.0 in binary16
  });

  it('says when the channel count does not match the order', () => {
    expect(() => new NormalizeImage().apply(image(4, 4, 3, () => 0))).toThrow(
      "NormalizeImage: 3 mean values for an image with 4 channels (shape [4, 4, 3], order 'chw'); for channel-last images set order: ''",
    );
  });
});

describe('ToCHWImage', () => {
  it('transposes HWC to CHW', () => {
    const out = new ToCHWImage().apply(image(2, 2, 3, (y, x, k) => 100 * k + 10 * y + x));
    expect(out.shape).toEqual([3, 2, 2]);
    expect(vals(out)).toEqual([0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211]);
  });
});

describe('AutoAugment operations', () => {
  const ramp = image(2, 4, 1, (y, x) => 60 + 10 * (4 * y + x)); // 60..130

  it('invert, posterize and solarize act per pixel', () => {
    expect(vals(augment.invert(ramp))).toEqual([195, 185, 175, 165, 155, 145, 135, 125]);
    expect(vals(augment.posterize(ramp, 4))).toEqual([48, 64, 80, 80, 96, 96, 112, 128]);
    expect(vals(augment.solarize(ramp, 100))).toEqual([60, 70, 80, 90, 155, 145, 135, 125]);
    expect(MAGNITUDES.posterize).toEqual([8, 8, 7, 7, 6, 6, 5, 5, 4, 4]);
  });

  it('autocontrast stretches each channel to [0, 255] (PIL truncates)', () => {
    expect(vals(augment.autocontrast(ramp))).toEqual([0, 36, 72, 109, 145, 182, 218, 255]);
    const flat = image(2, 2, 3, () => 40);
    expect(vals(augment.autocontrast(flat))).toEqual(vals(flat));
  });

  it('equalize follows PIL step rule', () => {
    const img = image(2, 255, 1, (y) => (y ? 200 : 10));
    const out = augment.equalize(img);
    expect(pixel(out, 0, 0)).toEqual([0]);
    expect(pixel(out, 1, 0)).toEqual([255]);
  });

  it('enhancements blend with their degenerate image', () => {
    const rgb = image(3, 3, 3, (y, x, k) => [200, 100, 50][k]! + y + x);
    // Factor 0 is the degenerate image itself.
    const grey = augment.color(rgb, 0);
    expect(pixel(grey, 0, 0)).toEqual([124, 124, 124]); // (200·19595 + 100·38470 + 50·7471 + 2^15) >> 16
    expect(vals(augment.brightness(rgb, 0)).every((v) => v === 0)).toBe(true);
    expect(new Set(vals(augment.contrast(rgb, 0))).size).toBe(1);
    // Factor 1 returns the image; factors above 1 extrapolate and clip.
    expect(vals(augment.sharpness(rgb, 1))).toEqual(vals(rgb));
    expect(pixel(augment.brightness(rgb, 1.5), 2, 2)).toEqual([255, 156, 81]);
  });

  it('geometric operations: rotate by 90 degrees, shear 0 is the identity, outside is grey', () => {
    const sq = image(2, 2, 1, (y, x) => 1 + 2 * y + x); // [[1, 2], [3, 4]]
    expect(vals(augment.rotate(sq, 90))).toEqual([2, 4, 1, 3]);
    const img = image(5, 5, 3, (y, x, k) => (y * 5 + x) * 3 + k);
    expect(vals(augment.shearX(img, 0))).toEqual(vals(img));
    const moved = augment.translateX(img, 2);
    expect(pixel(moved, 0, 0)).toEqual(pixel(img, 0, 2));
    expect(pixel(moved, 0, 4)).toEqual([128, 128, 128]);
    expect(pixel(augment.translateY(img, -1), 0, 3)).toEqual([128, 128, 128]);
  });

  it('applies the ImageNet policy to uint8 images only', () => {
    expect(IMAGENET_POLICY).toHaveLength(25);
    seed(1);
    const op = new AutoAugment();
    const img = image(16, 16, 3, (y, x, k) => (y * 16 + x + 40 * k) % 256);
    const outs = Array.from({ length: 30 }, () => op.apply(img));
    for (const o of outs) {
      expect(o.shape).toEqual([16, 16, 3]);
      expect(o.dtype).toBe('uint8');
    }
    expect(outs.some((o) => vals(o).join() !== vals(img).join())).toBe(true);
    const float = data.hostArray(new Float32Array(12), [2, 2, 3], 'float32');
    expect(() => op.apply(float)).toThrow('AutoAugment works on uint8 images (PIL), got float32; put it before NormalizeImage');
    expect(() => new AutoAugment({ policy: 'cifar' } as never)).toThrow(/policy: unknown key/);
  });
});

describe('RandomErasing', () => {
  it('fills a rectangle with the mean, or leaves the image alone with probability 1 − EPSILON', () => {
    const img = data.hostArray(new Float32Array(20 * 20 * 3).fill(1), [20, 20, 3], 'float32');
    seed(2);
    const op = new RandomErasing({ EPSILON: 1, mean: [0.5, 0.25, 0] });
    const out = op.apply(img);
    const px = out.data as Float32Array;
    const erased = [];
    for (let i = 0; i < 400; i++) if (px[i * 3] !== 1) erased.push(i);
    expect(erased.length).toBeGreaterThanOrEqual(Math.round(0.02 * 400) - 10);
    for (const i of erased) expect(Array.from(px.subarray(i * 3, i * 3 + 3))).toEqual([0.5, 0.25, 0]);
    // The erased pixels form one rectangle.
    const ys = erased.map((i) => Math.floor(i / 20));
    const xs = erased.map((i) => i % 20);
    const area = (Math.max(...ys) - Math.min(...ys) + 1) * (Math.max(...xs) - Math.min(...xs) + 1);
    expect(area).toBe(erased.length);
    expect(new RandomErasing({ EPSILON: 0 }).apply(img)).toBe(img);
  });

  it('erase() fills exactly the window; pixel mode draws normals', () => {
    const img = image(4, 4, 1, () => 9);
    const out = new RandomErasing({ mean: [3] }).erase(img, 1, 2, 2, 1);
    expect(vals(out)).toEqual([9, 9, 9, 9, 9, 9, 3, 9, 9, 9, 3, 9, 9, 9, 9, 9]);
    const f = data.hostArray(new Float32Array(64 * 64 * 3), [64, 64, 3], 'float32');
    const noisy = new RandomErasing({ mode: 'pixel' }).erase(f, 0, 0, 64, 64).data as Float32Array;
    const mean = noisy.reduce((a, b) => a + b, 0) / noisy.length;
    const sd = Math.sqrt(noisy.reduce((a, b) => a + (b - mean) ** 2, 0) / noisy.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeCloseTo(1, 1);
  });

  it('reads PaddleClas arithmetic strings', () => {
    expect(new RandomErasing({ sh: '1.0/3.0' }).params.sh).toBeCloseTo(1 / 3, 12);
  });
});

describe('createOperators', () => {
  it('builds operators from one-key maps and runs them in order', async () => {
    const ops = createOperators([
      { DecodeImage: { to_rgb: true } },
      { ResizeImage: { resize_short: 4 } },
      { CropImage: { size: 4 } },
      { RandFlipImage: null },
      { NormalizeImage: { scale: '1./255.', order: '' } },
      { ToCHWImage: null },
    ]);
    expect(ops.map((o) => o.name)).toEqual(['DecodeImage', 'ResizeImage', 'CropImage', 'RandFlipImage', 'NormalizeImage', 'ToCHWImage']);
    const png = await data.encodePng(image(8, 12, 3, () => 255));
    const out = (await transform(png, ops)) as HostArray;
    expect(out.shape).toEqual([3, 4, 4]);
    expect((out.data as Float32Array)[0]).toBeCloseTo(0.515 / 0.229, 5);
  });

  it('names unknown operators, misplaced batch operators and layout mistakes by their place in the list', () => {
    const where = 'DataLoader.Train.dataset.transform_ops';
    const msg = (list: unknown): string => {
      try {
        createOperators(list, where);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`).join('\n');
      }
      throw new Error('expected an error');
    };
    expect(msg([{ DecodeImage: null }, { RandFlipImg: null }])).toBe(`${where}.1.RandFlipImg: unknown key (did you mean RandFlipImage?)`);
    expect(msg([{ ColorJitter: null }])).toBe(
      `${where}.0.ColorJitter: unknown key; valid keys here: DecodeImage, ResizeImage, RandCropImage, CropImage, RandFlipImage, NormalizeImage, ToCHWImage, AutoAugment, RandomErasing`,
    );
    expect(msg([{ MixupOperator: { alpha: 0.2 } }])).toBe(`${where}.0.MixupOperator: MixupOperator is a batch operator; list it under batch_transform_ops`);
    expect(msg([{ DecodeImage: null }, { ToCHWImage: null }, { RandFlipImage: null }])).toBe(
      `${where}.2.RandFlipImage: needs a HWC image but receives CHW here; move it before ToCHWImage`,
    );
    expect(msg([{ DecodeImage: null }, { NormalizeImage: null }])).toBe(
      `${where}.1.NormalizeImage: needs a CHW image but receives HWC here; set order: '' for a channel-last image`,
    );
    expect(msg([{ CropImage: { size: 0 } }])).toBe(`${where}.0.CropImage.size: must be > 0, got 0`);
    expect(msg([{ CropImage: { size: 'big' } }])).toBe(
      `${where}.0.CropImage.size: expected a number or a list, got string "big"`,
    );
    expect(msg({ DecodeImage: null })).toMatch(/^DataLoader.Train.dataset.transform_ops: expected a list, got a map/);
  });
});
