/**
 * Element types. Names follow Paddle's Python API (`paddle.float32`, ...); `code` is the
 * `VarType.Type` number used in Paddle's program and parameter files.
 */
export type DType =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | BigInt64Array;

/** Arrays whose elements read and write as JS numbers (everything but int64). */
export type NumericArray = Exclude<TypedArray, BigInt64Array>;
/** Float storage computed on directly by CPU kernels. */
export type FloatArray = Float32Array | Float64Array;

interface DTypeInfo {
  bytes: number;
  /** Paddle VarType.Type code. */
  code: number;
  ctor: new (n: number) => TypedArray;
  isFloat: boolean;
}

const INFO: Record<DType, DTypeInfo> = {
  bool: { bytes: 1, code: 0, ctor: Uint8Array, isFloat: false },
  int16: { bytes: 2, code: 1, ctor: Int16Array, isFloat: false },
  int32: { bytes: 4, code: 2, ctor: Int32Array, isFloat: false },
  int64: { bytes: 8, code: 3, ctor: BigInt64Array, isFloat: false },
  // Half types are stored as raw 16-bit patterns; CPU kernels widen them to float32.
  float16: { bytes: 2, code: 4, ctor: Uint16Array, isFloat: true },
  float32: { bytes: 4, code: 5, ctor: Float32Array, isFloat: true },
  float64: { bytes: 8, code: 6, ctor: Float64Array, isFloat: true },
  uint8: { bytes: 1, code: 20, ctor: Uint8Array, isFloat: false },
  int8: { bytes: 1, code: 21, ctor: Int8Array, isFloat: false },
  bfloat16: { bytes: 2, code: 22, ctor: Uint16Array, isFloat: true },
};

export const DTYPES = Object.keys(INFO) as DType[];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(INFO, s);
}

export function assertDType(s: unknown, where = 'dtype'): DType {
  if (!isDType(s)) {
    throw new TypeError(`${where}: unknown dtype ${JSON.stringify(s)}; expected one of ${DTYPES.join(', ')}`);
  }
  return s;
}

export function dtypeBytes(d: DType): number {
  return INFO[d].bytes;
}

export function isFloatDType(d: DType): boolean {
  return INFO[d].isFloat;
}

export function isIntDType(d: DType): boolean {
  return d === 'uint8' || d === 'int8' || d === 'int16' || d === 'int32' || d === 'int64';
}

/** Paddle's VarType.Type code of a dtype. */
export function dtypeToPaddle(d: DType): number {
  return INFO[d].code;
}

/** The dtype of a Paddle VarType.Type code, or undefined for codes Oar has no dtype for. */
export function dtypeFromPaddle(code: number): DType | undefined {
  for (const d of DTYPES) if (INFO[d].code === code) return d;
  return undefined;
}

export function allocArray(d: DType, n: number): TypedArray {
  return new INFO[d].ctor(n);
}

/** The storage dtype that a typed array holds when no dtype is given. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'float16';
  throw new TypeError('unsupported typed array');
}

// ---- float16 / bfloat16 bit conversions ----------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  e = r >>> 10;
  return sign | r;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}
