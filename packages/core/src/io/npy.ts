/**
 * NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a Python-literal header
 * {'descr', 'fortran_order', 'shape'} padded to 64 bytes, then the raw elements. Used by the
 * `oar-infer` CLI for raw tensors in and out. Big-endian and Fortran-order files are converted
 * to Oar's little-endian row-major storage.
 */
import * as fs from 'fs';
import { allocArray, dtypeBytes, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';
import { HOST_LITTLE_ENDIAN, dtypeOfNumpy, numpyByteOrder, numpyTypeOf, swapBytes } from './ndarray';

export class NpyError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: byte ${offset}: ${detail}`);
    this.name = 'NpyError';
  }
}

export interface NpyArray {
  dtype: DType;
  shape: number[];
  /** Row-major elements (bool as 0/1 bytes, float16 as bit patterns). */
  data: TypedArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Reorders a column-major (Fortran) buffer of `shape` into row-major order. */
function fortranToC(src: TypedArray, shape: number[], dtype: DType): TypedArray {
  const out = allocArray(dtype, src.length);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  // Fortran strides: the first axis varies fastest.
  const fst = new Array<number>(r);
  let acc = 1;
  for (let d = 0; d < r; d++) {
    fst[d] = acc;
    acc *= shape[d]!;
  }
  for (let i = 0; i < src.length; i++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += idx[d]! * fst[d]!;
    (out as Float64Array)[i] = (src as Float64Array)[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Parses the bytes of a `.npy` file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file = 'array.npy'): NpyArray {
  const fail = (at: number, msg: string): never => {
    throw new NpyError(file, at, msg);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail(0, 'not a .npy file (expected the magic string \\x93NUMPY)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let at: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    at = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(8, 'file ends inside the header length');
    headerLen = view.getUint32(8, true);
    at = 12;
  } else {
    return fail(6, `format version ${major}.${bytes[7]} is not 1.0, 2.0 or 3.0`);
  }
  if (at + headerLen > bytes.length) fail(at, `header of ${headerLen} bytes runs past the end of the file (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(at, at + headerLen));
  const descr = /['"]descr['"]\s*:\s*['"]([<>|=]?)([a-zA-Z?]\d*)['"]/.exec(header);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) fail(at, `header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  const order = descr![1] || '=';
  const dtype = dtypeOfNumpy(descr![2]!);
  if (!dtype || (dtype === 'bfloat16' && descr![2] === 'u2')) {
    fail(at, `dtype ${descr![1]}${descr![2]} is not one Oar holds (bool, uint8, int8, int16, int32, int64, float16, float32, float64)`);
  }
  const shape = shapeM![1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(at, `shape (${shapeM![1]}) is not a tuple of non-negative integers`);
  const dataAt = at + headerLen;
  const n = numel(shape);
  const nbytes = n * dtypeBytes(dtype!);
  if (bytes.length - dataAt !== nbytes) {
    fail(dataAt, `expected ${nbytes} bytes of ${dtype} data for shape ${fmtShape(shape)}, the file has ${bytes.length - dataAt}`);
  }
  const data = allocArray(dtype!, n);
  const raw = new Uint8Array(data.buffer, data.byteOffset, nbytes);
  raw.set(bytes.subarray(dataAt, dataAt + nbytes));
  const littleInFile = order === '<' || order === '|' || (order === '=' && HOST_LITTLE_ENDIAN);
  if (littleInFile !== HOST_LITTLE_ENDIAN) swapBytes(raw, dtypeBytes(dtype!));
  const c = fortran![1] === 'True' && shape.length > 1 ? fortranToC(data, shape, dtype!) : data;
  return { dtype: dtype!, shape, data: c };
}

export function readNpy(path: string): NpyArray {
  const b = fs.readFileSync(path);
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/** A version 1.0 `.npy` file (2.0 when the header is too long), header padded to 64 bytes as NumPy does. */
export function serializeNpy(dtype: DType, shape: readonly number[], data: TypedArray): Uint8Array {
  if (data.length !== numel(shape)) throw new RangeError(`serializeNpy: shape ${fmtShape(shape)} needs ${numel(shape)} elements, data has ${data.length}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${numpyByteOrder(dtype)}${numpyTypeOf(dtype)}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const v2 = dict.length + 1 + 10 > 65535;
  const pre = v2 ? 12 : 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const nbytes = data.length * dtypeBytes(dtype);
  const out = new Uint8Array(total + nbytes);
  out.set(MAGIC);
  out[6] = v2 ? 2 : 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v2) view.setUint32(8, header.length, true);
  else view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const raw = new Uint8Array(data.buffer, data.byteOffset, nbytes);
  out.set(raw, total);
  if (!HOST_LITTLE_ENDIAN) swapBytes(out.subarray(total), dtypeBytes(dtype));
  return out;
}

export function writeNpy(path: string, a: NpyArray): void {
  fs.writeFileSync(path, serializeNpy(a.dtype, a.shape, a.data));
}
