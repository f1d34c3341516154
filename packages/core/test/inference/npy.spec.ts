import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NpyError, parseNpy, readNpy, serializeNpy, writeNpy } from '../../src/io/npy';
import { MODELS, readBytes } from '../static/helpers';

const NPY = path.join(MODELS, 'npy');

describe('.npy files written by NumPy', () => {
  it('float32, C order', () => {
    expect(readNpy(path.join(NPY, 'f4_c.npy'))).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([-1, -0.5, 0, 0.5, 1, 1.5]) });
  });

  it('big-endian int64 in Fortran order becomes little-endian row-major', () => {
    const a = readNpy(path.join(NPY, 'i8_big_fortran.npy'));
    expect(a.dtype).toBe('int64');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as BigInt64Array)).toEqual([-2n, -1n, 0n, 1n, 2n, 3n]);
  });

  it('bool, a version 2.0 header, and a 0-d array', () => {
    expect(readNpy(path.join(NPY, 'bool.npy'))).toEqual({ dtype: 'bool', shape: [4], data: Uint8Array.from([1, 0, 1, 1]) });
    expect(readNpy(path.join(NPY, 'f8_v2.npy'))).toEqual({ dtype: 'float64', shape: [1, 2], data: Float64Array.from([1.5, -2.25]) });
    expect(readNpy(path.join(NPY, 'scalar_i4.npy'))).toEqual({ dtype: 'int32', shape: [], data: Int32Array.from([7]) });
  });

  it('writes what NumPy writes for the same array', () => {
    const a = readNpy(path.join(NPY, 'f4_c.npy'));
    expect(Buffer.from(serializeNpy(a.dtype, a.shape, a.data)).equals(Buffer.from(readBytes(path.join(NPY, 'f4_c.npy'))))).toBe(true);
    const b = readNpy(path.join(NPY, 'bool.npy'));
    expect(Buffer.from(serializeNpy(b.dtype, b.shape, b.data)).equals(Buffer.from(readBytes(path.join(NPY, 'bool.npy'))))).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-npy-'));
    try {
      const f = path.join(dir, 'x.npy');
      writeNpy(f, { dtype: 'int64', shape: [3], data: BigInt64Array.from([1n, -(2n ** 60n), 3n]) });
      expect(readNpy(f)).toEqual({ dtype: 'int64', shape: [3], data: BigInt64Array.from([1n, -(2n ** 60n), 3n]) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file, the offset and the problem for bad files', () => {
    const good = readBytes(path.join(NPY, 'f4_c.npy'));
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'a.npy')).toThrow(
      'a.npy: byte 128: expected 24 bytes of float32 data for shape [2, 3], the file has 20',
    );
    expect(() => parseNpy(Uint8Array.from([1, 2, 3]), 'b.npy')).toThrow(NpyError);
    expect(() => parseNpy(Uint8Array.from([1, 2, 3]), 'b.npy')).toThrow('b.npy: byte 0: not a .npy file');
    const u2 = Buffer.from(good);
    u2.write("'<u2'", u2.indexOf("'<f4'"), 'latin1');
    expect(() => parseNpy(u2, 'c.npy')).toThrow("c.npy: byte 10: dtype <u2 is not one Oar holds");
    expect(() => parseNpy(good.subarray(0, 40), 'd.npy')).toThrow('d.npy: byte 10: header of 118 bytes runs past the end of the file (40 bytes)');
  });
});
