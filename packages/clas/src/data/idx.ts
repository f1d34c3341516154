/**
 * The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a big-endian header
 * `0x00 0x00 <type> <ndims>`, one uint32 per dimension, then the elements row-major. Files may
 * be gzip-compressed (recognized by their content, not their name).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { data, type DType, type TypedArray } from '@oar/core';

const TYPES: Record<number, { dtype: DType; bytes: number; name: string }> = {
  0x08: { dtype: 'uint8', bytes: 1, name: 'unsigned byte' },
  0x09: { dtype: 'int8', bytes: 1, name: 'signed byte' },
  0x0b: { dtype: 'int16', bytes: 2, name: 'short' },
  0x0c: { dtype: 'int32', bytes: 4, name: 'int' },
  0x0d: { dtype: 'float32', bytes: 4, name: 'float' },
  0x0e: { dtype: 'float64', bytes: 8, name: 'double' },
};

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  try {
    return zlib.gunzipSync(bytes);
  } catch (e) {
    throw new Error(`${source}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** Decodes IDX bytes (gzip-compressed or not); `source` names the file in errors. */
export function parseIdx(raw: Uint8Array, source = 'IDX data'): data.HostArray {
  if (source.endsWith('.gz') && !isGzip(raw)) throw new Error(`${source}: named .gz but not gzip data (first bytes ${hex(raw, 4)})`);
  const b = isGzip(raw) ? gunzip(raw, source) : raw;
  if (b.length < 4) throw new Error(`${source}: ${b.length} bytes is too short for an IDX header`);
  const type = TYPES[b[2]!];
  const ndims = b[3]!;
  if (b[0] !== 0 || b[1] !== 0 || !type || ndims === 0) {
    throw new Error(
      `${source}: bad IDX magic number 0x${hex(b, 4)}; expected 0x0000TTNN with type TT in 08,09,0B,0C,0D,0E and NN >= 1 dimensions (MNIST images 0x00000803, labels 0x00000801)`,
    );
  }
  const header = 4 + 4 * ndims;
  if (b.length < header) throw new Error(`${source}: truncated header: ${ndims} dimensions need ${header} bytes, the file has ${b.length}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, d) => a * d, 1);
  const need = count * type.bytes;
  const have = b.length - header;
  const dims = `[${shape.join(', ')}]`;
  if (have < need) throw new Error(`${source}: truncated: shape ${dims} of ${type.name}s needs ${need} data bytes, found ${have}`);
  if (have > need) throw new Error(`${source}: ${have - need} bytes beyond the ${dims} ${type.name}s the header describes`);
  let out: TypedArray;
  if (type.bytes === 1) {
    // A copy into a buffer of its own (Buffer.slice would share Node's pooled buffer), so the
    // result can cross to the main thread by transfer.
    const own = new Uint8Array(need);
    own.set(b.subarray(header, header + need));
    out = type.dtype === 'uint8' ? own : new Int8Array(own.buffer);
  } else {
    const arr = new (type.dtype === 'int16' ? Int16Array : type.dtype === 'int32' ? Int32Array : type.dtype === 'float32' ? Float32Array : Float64Array)(count);
    const get =
      type.dtype === 'int16'
        ? (o: number) => view.getInt16(o, false)
        : type.dtype === 'int32'
          ? (o: number) => view.getInt32(o, false)
          : type.dtype === 'float32'
            ? (o: number) => view.getFloat32(o, false)
            : (o: number) => view.getFloat64(o, false);
    for (let i = 0; i < count; i++) arr[i] = get(header + i * type.bytes);
    out = arr;
  }
  return data.hostArray(out, shape, type.dtype);
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join('');
}

function readBytes(path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read IDX file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Reads an IDX file (`.idx?-ubyte` or `.gz`). */
export function readIdxSync(path: string): data.HostArray {
  return parseIdx(readBytes(path), path);
}

export async function readIdx(path: string): Promise<data.HostArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (e) {
    throw new Error(`cannot read IDX file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseIdx(bytes, path);
}

const CODES: Partial<Record<DType, number>> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** Encodes an array as IDX (gzip-compressed with `gzip`), e.g. to cut a subset of a data set. */
export function encodeIdx(arr: data.HostArray, opts: { gzip?: boolean; level?: number } = {}): Buffer {
  const code = CODES[arr.dtype];
  if (code === undefined) throw new Error(`encodeIdx: IDX has no element type for ${arr.dtype}`);
  if (arr.shape.length === 0 || arr.shape.length > 255) throw new Error(`encodeIdx: IDX needs 1 to 255 dimensions, got ${arr.shape.length}`);
  const size = TYPES[code]!.bytes;
  const header = 4 + 4 * arr.shape.length;
  const out = Buffer.alloc(header + arr.data.length * size);
  out[2] = code;
  out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const src = arr.data as Exclude<TypedArray, BigInt64Array>;
  if (code === 0x08) out.set(src as Uint8Array, header);
  else for (let i = 0; i < src.length; i++) {
    const o = header + i * size;
    if (code === 0x09) view.setInt8(o, src[i]!);
    else if (code === 0x0b) view.setInt16(o, src[i]!, false);
    else if (code === 0x0c) view.setInt32(o, src[i]!, false);
    else if (code === 0x0d) view.setFloat32(o, src[i]!, false);
    else view.setFloat64(o, src[i]!, false);
  }
  return opts.gzip ? zlib.gzipSync(out, { level: opts.level ?? 9 }) : out;
}
