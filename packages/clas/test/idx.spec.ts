import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { data } from '@oar/core';
import { EMBEDDED_FASHION_MNIST_DIR, encodeIdx, parseIdx, readIdx, readIdxSync } from '../src/data';

const file = (name: string): string => path.join(EMBEDDED_FASHION_MNIST_DIR, name);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-clas-idx-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readIdx on the embedded Fashion-MNIST', () => {
  it('reads the full test split', async () => {
    const images = await readIdx(file('t10k-images-idx3-ubyte.gz'));
    const labels = readIdxSync(file('t10k-labels-idx1-ubyte.gz'));
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(images.dtype).toBe('uint8');
    expect(labels.shape).toEqual([10000]);
    // The published first test labels: ankle boot, pullover, trouser, trouser, shirt, ...
    expect(Array.from((labels.data as Uint8Array).subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const counts = new Array(10).fill(0);
    for (const l of labels.data as Uint8Array) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });

  it('reads the class-balanced training subset, which starts as the full file does', () => {
    const images = readIdxSync(file('train-images-idx3-ubyte.gz'));
    const labels = readIdxSync(file('train-labels-idx1-ubyte.gz'));
    expect(images.shape).toEqual([12000, 28, 28]);
    expect(Array.from((labels.data as Uint8Array).subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    const counts = new Array(10).fill(0);
    for (const l of labels.data as Uint8Array) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1200));
    // Image 0 (an ankle boot) has a blank first row and ink in the middle.
    const px = images.data as Uint8Array;
    expect(Array.from(px.subarray(0, 28)).every((v) => v === 0)).toBe(true);
    expect(Math.max(...px.subarray(14 * 28, 15 * 28))).toBeGreaterThan(200);
  });
});

describe('parseIdx', () => {
  it('round-trips every IDX element type, compressed or not', () => {
    const cases: data.HostArray[] = [
      data.hostArray(new Uint8Array([0, 1, 255, 7, 8, 9]), [2, 3], 'uint8'),
      data.hostArray(new Int8Array([-128, 0, 127]), [3], 'int8'),
      data.hostArray(new Int16Array([-300, 2, 30000, 4]), [2, 2], 'int16'),
      data.hostArray(new Int32Array([-70000, 1 << 30]), [2, 1], 'int32'),
      data.hostArray(new Float32Array([1.5, -2.25, 3e-8]), [3], 'float32'),
      data.hostArray(new Float64Array([Math.PI, -1e300]), [1, 1, 2], 'float64'),
    ];
    for (const a of cases) {
      for (const gzip of [false, true]) {
        const back = parseIdx(encodeIdx(a, { gzip }));
        expect(back.dtype).toBe(a.dtype);
        expect(back.shape).toEqual(a.shape);
        expect(Array.from(back.data as Float64Array)).toEqual(Array.from(a.data as Float64Array));
      }
    }
    // Big-endian on disk: the int16 -300 is 0xFED4.
    const raw = encodeIdx(data.hostArray(new Int16Array([-300]), [1], 'int16'));
    expect(Array.from(raw)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 1, 0xfe, 0xd4]);
  });

  it('names the file and what is wrong with corrupted or truncated files', () => {
    const good = fs.readFileSync(file('t10k-labels-idx1-ubyte.gz'));
    const raw = zlib.gunzipSync(good);
    const put = (name: string, b: Uint8Array): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, b);
      return p;
    };
    // Truncated data, uncompressed.
    const short = put('short-idx1-ubyte', raw.subarray(0, raw.length - 10));
    expect(() => readIdxSync(short)).toThrow(`${short}: truncated: shape [10000] of unsigned bytes needs 10000 data bytes, found 9990`);
    // Extra bytes.
    const long = put('long-idx1-ubyte', Buffer.concat([raw, Buffer.from([1, 2, 3])]));
    expect(() => readIdxSync(long)).toThrow(`${long}: 3 bytes beyond the [10000] unsigned bytes the header describes`);
    // A cut-off gzip stream.
    const cut = put('cut.gz', good.subarray(0, good.length >> 1));
    expect(() => readIdxSync(cut)).toThrow(new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: corrupt gzip data \\(unexpected end of file\\)`));
    // Bad magic (a PNG signature).
    const png = put('x-idx3-ubyte', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    expect(() => readIdxSync(png)).toThrow(/x-idx3-ubyte: bad IDX magic number 0x89504e47; expected 0x0000TTNN/);
    // Unknown element type 0x0A.
    expect(() => parseIdx(Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), 'mem')).toThrow(/mem: bad IDX magic number 0x00000a01/);
    // Header cut inside the dimensions.
    expect(() => parseIdx(Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), 'mem')).toThrow(
      'mem: truncated header: 3 dimensions need 16 bytes, the file has 10',
    );
    expect(() => parseIdx(Buffer.from([0, 0]), 'mem')).toThrow('mem: 2 bytes is too short for an IDX header');
    // A .gz name on uncompressed data.
    const fake = put('fake.gz', raw);
    expect(() => readIdxSync(fake)).toThrow(/fake\.gz: named \.gz but not gzip data \(first bytes 00000801\)/);
    expect(() => readIdxSync(path.join(dir, 'missing-idx3-ubyte'))).toThrow(/cannot read IDX file .*missing-idx3-ubyte: ENOENT/);
  });
});
