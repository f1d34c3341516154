/**
 * Paddle's serialized tensors (spec §3) and the parameter files made of them: one record per file
 * (classic layout) or records concatenated in byte-wise sorted name order (`__params__`, `params`,
 * `.pdiparams`, spec §4). Little-endian throughout; every length is checked against the bytes
 * that remain before anything is allocated, so a damaged file fails with its offset, never with
 * a huge allocation.
 */
import { HOST_LITTLE_ENDIAN, swapBytes } from '../io/ndarray';
import { allocArray, dtypeBytes, dtypeFromPaddle, dtypeToPaddle, halfToFloat, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import { ModelFormatError } from './errors';
import { VarKind, VAR_KIND_NAMES, decodeTensorDesc, encodeTensorDesc, type BlockDesc, type VarDesc } from './proto';

export interface TensorRecord {
  dtype: DType;
  dims: number[];
  /** LoD offset tables (empty for parameters). */
  lod: number[][];
  data: TypedArray;
  /** Byte range of the record in its file. */
  start: number;
  end: number;
}

/** Reads one §3 record starting at `offset`. `what` says which variable is expected there. */
export function readTensorRecord(bytes: Uint8Array, offset: number, file: string, what: string): TensorRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let pos = offset;
  const need = (n: number, field: string): void => {
    if (pos + n > len) {
      throw new ModelFormatError(file, pos, `expected ${field} (${n} bytes) of ${what}, but the file ends at byte ${len} (truncated?)`);
    }
  };
  const u32 = (field: string): number => {
    need(4, field);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (field: string): number => {
    need(8, field);
    const lo = view.getUint32(pos, true);
    const hi = view.getUint32(pos + 4, true);
    pos += 8;
    return hi * 2 ** 32 + lo;
  };

  const lodVersion = u32('the LoD version (uint32)');
  if (lodVersion !== 0) throw new ModelFormatError(file, pos - 4, `${what}: LoD version is ${lodVersion}, expected 0 (not a Paddle tensor record)`);
  const levelsAt = pos;
  const levels = u64('the LoD level count (uint64)');
  // Each level takes at least its 8-byte size, so a count beyond the remaining bytes is corrupt.
  if (levels * 8 > len - pos) {
    throw new ModelFormatError(file, levelsAt, `${what}: LoD level count ${levels} does not fit in the ${len - pos} bytes that remain`);
  }
  const lod: number[][] = [];
  for (let l = 0; l < levels; l++) {
    const sizeAt = pos;
    const n = u64(`the byte size of LoD level ${l} (uint64)`);
    if (n % 8 !== 0 || n > len - pos) {
      throw new ModelFormatError(file, sizeAt, `${what}: LoD level ${l} claims ${n} bytes, expected a multiple of 8 within the ${len - pos} bytes that remain`);
    }
    const offs: number[] = [];
    for (let i = 0; i < n / 8; i++) offs.push(u64(`LoD offset ${i}`));
    lod.push(offs);
  }
  const tensorVersion = u32('the tensor version (uint32)');
  if (tensorVersion !== 0) throw new ModelFormatError(file, pos - 4, `${what}: tensor version is ${tensorVersion}, expected 0`);
  need(4, 'the TensorDesc size (int32)');
  const descAt = pos;
  const descSize = view.getInt32(pos, true);
  pos += 4;
  if (descSize < 0 || descSize > len - pos) {
    throw new ModelFormatError(file, descAt, `${what}: TensorDesc size ${descSize} is negative or larger than the ${len - pos} bytes that remain`);
  }
  const desc = decodeTensorDesc(bytes.subarray(pos, pos + descSize), file, pos);
  if (desc.dataType === undefined) throw new ModelFormatError(file, pos, `${what}: the TensorDesc has no data_type`);
  const dtype = dtypeFromPaddle(desc.dataType);
  if (!dtype) {
    throw new ModelFormatError(file, pos, `${what}: element type ${VAR_KIND_NAMES[desc.dataType] ?? desc.dataType} is not one Oar can hold`);
  }
  for (const d of desc.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFormatError(file, pos, `${what}: TensorDesc dims ${fmtShape(desc.dims)} have an invalid extent ${d}`);
  }
  pos += descSize;
  // Paddle >= 2.5 writes 0-d tensors with no dims; they hold one element.
  const numel = desc.dims.reduce((a, b) => a * b, 1);
  const nbytes = numel * dtypeBytes(dtype);
  if (nbytes > len - pos) {
    throw new ModelFormatError(
      file,
      pos,
      `${what}: expected ${nbytes} bytes of ${dtype} data for dims ${fmtShape(desc.dims)}, but only ${len - pos} remain (truncated?)`,
    );
  }
  const data = allocArray(dtype, numel);
  const dst = new Uint8Array(data.buffer, data.byteOffset, nbytes);
  dst.set(bytes.subarray(pos, pos + nbytes));
  if (!HOST_LITTLE_ENDIAN) swapBytes(dst, dtypeBytes(dtype));
  pos += nbytes;
  return { dtype, dims: desc.dims, lod, data, start: offset, end: pos };
}

/** Bytes of the §3 record of a tensor whose TensorDesc encodes to `descBytes` bytes. */
function recordSize(descBytes: number, dtype: DType, numel: number): number {
  return 4 + 8 + 4 + 4 + descBytes + numel * dtypeBytes(dtype);
}

/** Writes a §3 record (no LoD) at `at` of `out`, which holds zeros there; returns the end. */
function putTensorRecord(out: Uint8Array, at: number, desc: Uint8Array, dtype: DType, data: TypedArray): number {
  // LoD version 0, lod_level 0, tensor version 0: the zero bytes already there.
  new DataView(out.buffer, out.byteOffset, out.byteLength).setInt32(at + 16, desc.length, true);
  out.set(desc, at + 20);
  const start = at + 20 + desc.length;
  const nbytes = data.length * dtypeBytes(dtype);
  out.set(new Uint8Array(data.buffer, data.byteOffset, nbytes), start);
  if (!HOST_LITTLE_ENDIAN) swapBytes(out.subarray(start, start + nbytes), dtypeBytes(dtype));
  return start + nbytes;
}

/** Serializes one tensor as a §3 record (no LoD), as Paddle's `save`/`save_combine` write it. */
export function writeTensorRecord(dtype: DType, dims: readonly number[], data: TypedArray): Uint8Array {
  const desc = encodeTensorDesc(dtypeToPaddle(dtype), dims);
  const out = new Uint8Array(recordSize(desc.length, dtype, data.length));
  putTensorRecord(out, 0, desc, dtype, data);
  return out;
}

// ---- which variables, in which order --------------------------------------------------------------

const NOT_IN_PARAMS: ReadonlySet<number> = new Set([VarKind.FEED_MINIBATCH, VarKind.FETCH_LIST, VarKind.RAW, VarKind.READER]);

const UTF8 = new TextEncoder();

/** Byte-wise comparison of the UTF-8 encodings, i.e. C++ `std::string` order (never localeCompare). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(UTF8.encode(a), UTF8.encode(b));
}

/**
 * The variables whose values live in the parameter file(s): persistable variables of block 0
 * except the feed/fetch holders and RAW/READER ones, sorted byte-wise by name (spec §4).
 */
export function persistableVars(block: BlockDesc): VarDesc[] {
  return [...block.vars.values()]
    .filter((v) => v.persistable && !NOT_IN_PARAMS.has(v.kind))
    .sort((a, b) => compareNames(a.name, b.name));
}

/** A record after checking it against the program's VarDesc; fp16 records of fp32 vars widen. */
export function checkRecord(rec: TensorRecord, v: VarDesc, file: string): TensorRecord {
  const at = rec.start;
  if (v.kind !== VarKind.LOD_TENSOR) {
    throw new ModelFormatError(file, at, `variable "${v.name}" is a ${VAR_KIND_NAMES[v.kind] ?? `kind ${v.kind}`} variable; only dense tensors can be loaded`);
  }
  const want = v.dims ?? [];
  const got = rec.dims;
  const scalarLike = (d: number[]): boolean => d.length === 0 || (d.length === 1 && d[0] === 1);
  const dimsOk =
    (want.length === got.length && want.every((d, i) => d < 0 || d === got[i])) || (scalarLike(want) && scalarLike(got));
  if (!dimsOk) {
    throw new ModelFormatError(file, at, `variable "${v.name}": the record has dims ${fmtShape(got)}, the program declares ${fmtShape(want)}`);
  }
  const wantDtype = v.dataType === undefined ? undefined : dtypeFromPaddle(v.dataType);
  if (wantDtype && wantDtype !== rec.dtype) {
    if (wantDtype === 'float32' && rec.dtype === 'float16') {
      // Written by `save(save_as_fp16=True)`: the program still says fp32.
      const src = rec.data as Uint16Array;
      const f = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) f[i] = halfToFloat(src[i]!);
      return { ...rec, dtype: 'float32', data: f };
    }
    throw new ModelFormatError(file, at, `variable "${v.name}": the record holds ${rec.dtype}, the program declares ${wantDtype}`);
  }
  return rec;
}

/**
 * Reads a combined parameter file: one record per variable of `vars` (already in file order),
 * and nothing after the last one.
 */
export function readCombinedParams(bytes: Uint8Array, file: string, vars: readonly VarDesc[]): Map<string, TensorRecord> {
  const out = new Map<string, TensorRecord>();
  let pos = 0;
  for (let i = 0; i < vars.length; i++) {
    const v = vars[i]!;
    if (pos >= bytes.length) {
      throw new ModelFormatError(
        file,
        pos,
        `expected the record of "${v.name}" (variable ${i + 1} of ${vars.length} in byte-wise name order), but the file ends here (truncated, or saved from another program)`,
      );
    }
    const rec = readTensorRecord(bytes, pos, file, `variable "${v.name}" (${i + 1} of ${vars.length})`);
    out.set(v.name, checkRecord(rec, v, file));
    pos = rec.end;
  }
  if (pos !== bytes.length) {
    throw new ModelFormatError(
      file,
      pos,
      `expected the end of the file after the ${vars.length} persistable variables of the program, but ${bytes.length - pos} bytes remain (saved from another program?)`,
    );
  }
  return out;
}

/** Reads a per-variable parameter file (classic layout): exactly one record. */
export function readSeparateParam(bytes: Uint8Array, file: string, v: VarDesc): TensorRecord {
  const rec = checkRecord(readTensorRecord(bytes, 0, file, `variable "${v.name}"`), v, file);
  if (rec.end !== bytes.length) {
    throw new ModelFormatError(file, rec.end, `expected the end of the file after the record of "${v.name}", but ${bytes.length - rec.end} bytes remain`);
  }
  return rec;
}

/** One persistable variable's value, as `writeCombinedParams` takes it. */
export interface ParamValue {
  name: string;
  dtype: DType;
  dims: readonly number[];
  data: TypedArray;
}

/**
 * A combined parameter file (`.pdiparams`, `__params__`) as `save_combine` writes it: one §3
 * record per variable, in byte-wise name order, nothing else. Names must be unique.
 */
export function writeCombinedParams(values: readonly ParamValue[]): Uint8Array {
  const sorted = [...values].sort((a, b) => compareNames(a.name, b.name));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.name === sorted[i - 1]!.name) throw new Error(`writeCombinedParams: variable "${sorted[i]!.name}" is given twice`);
  }
  const descs = sorted.map((v) => {
    const n = v.dims.reduce((a, b) => a * b, 1);
    if (n !== v.data.length) {
      throw new Error(`writeCombinedParams: variable "${v.name}" has dims ${fmtShape(v.dims)} (${n} elements) but ${v.data.length} values`);
    }
    return encodeTensorDesc(dtypeToPaddle(v.dtype), v.dims);
  });
  // One allocation for the whole file: parameter files reach hundreds of MB.
  const out = new Uint8Array(sorted.reduce((s, v, i) => s + recordSize(descs[i]!.length, v.dtype, v.data.length), 0));
  let pos = 0;
  sorted.forEach((v, i) => {
    pos = putTensorRecord(out, pos, descs[i]!, v.dtype, v.data);
  });
  return out;
}
