import { decodeImage, encodePng, hostArray, readImage, transforms } from '../../src/data';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const F = transforms.functional;

describe('image decoding', () => {
  it('round-trips a PNG exactly, in RGB, BGR and grey', async () => {
    const px = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const png = await encodePng(hostArray(px, [2, 3, 3], 'uint8'));
    const rgb = await decodeImage(png);
    expect(rgb.shape).toEqual([2, 3, 3]);
    expect(Array.from(rgb.data as ArrayLike<number>)).toEqual(Array.from(px));
    const bgr = await decodeImage(png, 'BGR');
    expect(Array.from(bgr.data.slice(0, 3) as ArrayLike<number>)).toEqual([0, 0, 255]);
    const grey = await decodeImage(png, 'GRAY');
    expect(grey.shape).toEqual([2, 3, 1]);
  });

  it('says which file could not be decoded', async () => {
    const f = path.join(os.tmpdir(), `oar-bad-${process.pid}.jpg`);
    fs.writeFileSync(f, Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
    await expect(readImage(f)).rejects.toThrow(new RegExp(`cannot decode ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await expect(readImage(f + '.missing')).rejects.toThrow(/cannot read image/);
    fs.unlinkSync(f);
  });
});

describe('transforms', () => {
  const img = hostArray(Float32Array.from({ length: 5 * 7 * 2 }, (_, i) => i * 1.5), [5, 7, 2], 'float32');

  it('bilinear resize matches PyTorch (align_corners=False, half-pixel centres)', () => {
    // torch.nn.functional.interpolate(x, size=(3, 4), mode='bilinear', align_corners=False)
    const want = [8.125, 9.625, 13.375, 14.875, 18.625, 20.125, 23.875, 25.375, 43.125, 44.625, 48.375, 49.875, 53.625, 55.125, 58.875,
      60.375, 78.125, 79.625, 83.375, 84.875, 88.625, 90.125, 93.875, 95.375];
    const got = Array.from(F.resize(img, [3, 4]).data as ArrayLike<number>);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    const up = Array.from(F.resize(img, [8, 9]).data as ArrayLike<number>).slice(0, 20);
    const wantUp = [0, 1.5, 2, 3.5, 4.3333, 5.8333, 6.6667, 8.1667, 9, 10.5, 11.3333, 12.8333, 13.6667, 15.1667, 16, 17.5, 18, 19.5, 9.1875, 10.6875];
    up.forEach((v, i) => expect(v).toBeCloseTo(wantUp[i]!, 3));
  });

  it('resizes the shorter side keeping the aspect ratio', () => {
    expect(F.resize(img, 10).shape).toEqual([10, 14, 2]);
  });

  it('crops, flips, pads, normalizes and transposes', () => {
    const c = F.crop(img, 1, 2, 2, 3);
    expect(Array.from(c.data.slice(0, 2) as ArrayLike<number>)).toEqual([img.data[(1 * 7 + 2) * 2], img.data[(1 * 7 + 2) * 2 + 1]]);
    expect(() => F.crop(img, 4, 0, 2, 2)).toThrow(/outside the 5x7 image/);
    const f = F.hflip(img);
    expect(f.data[0]).toBe(img.data[6 * 2]);
    expect(Array.from(F.vflip(F.vflip(img)).data as ArrayLike<number>)).toEqual(Array.from(img.data as ArrayLike<number>));
    expect(F.pad(img, [1, 2, 3, 4]).shape).toEqual([11, 11, 2]);
    const n = F.normalize(img, [1, 2], [2, 4]);
    expect(n.data[1]).toBeCloseTo((1.5 - 2) / 4);
    const chw = F.toCHW(img);
    expect(chw.shape).toEqual([2, 5, 7]);
    expect(chw.data[35]).toBe(img.data[1]);
  });

  it('RandomResizedCrop and Compose produce the requested size', () => {
    const t = new transforms.Compose([new transforms.RandomResizedCrop(4), new transforms.RandomHorizontalFlip(), new transforms.Transpose()]);
    expect(t.apply(img).shape).toEqual([2, 4, 4]);
  });
});
