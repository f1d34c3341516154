/**
 * Paddle's `paddle.save` / `paddle.load` for dygraph checkpoints (`.pdparams`, `.pdopt`): a
 * pickle (protocol 2) of a dict mapping names to NumPy arrays, with nested dicts of numbers
 * (an optimizer's `LR_Scheduler`) and the `StructuredToParameterName@@` table Paddle adds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dtypeBytes } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { NdArray } from './ndarray';
import {
  PendingArray,
  PickleError,
  PyBytes,
  PyDict,
  PyFloat,
  PyGlobal,
  PyList,
  PySet,
  PyStr,
  PyTuple,
  PyTupleValue,
  NpDType,
  pickle,
  typeName,
  unpickle,
  type PicklableValue,
  type PyObj,
} from './pickle';

/** The key of the table from structured names to tensor names that `paddle.save` adds. */
export const NAME_TABLE_KEY = 'StructuredToParameterName@@';
/** The key under which Paddle records arrays it split into slices (protocol 2/3 limit). */
export const UNPACK_INFO_KEY = 'UnpackBigParamInfor@@';

/** What `save` accepts. Tensors and NdArrays become NumPy arrays; JS arrays become lists. */
export type SavableValue =
  | Tensor
  | NdArray
  | number
  | bigint
  | boolean
  | string
  | null
  | Uint8Array
  | PyFloat
  | PyTupleValue
  | SavableValue[]
  | Map<string, SavableValue>
  | { [key: string]: SavableValue };

/** What `load` returns: Python dicts as objects, lists and tuples as arrays, arrays as tensors. */
export type LoadedValue =
  | Tensor
  | NdArray
  | number
  | bigint
  | boolean
  | string
  | null
  | Uint8Array
  | LoadedValue[]
  | { [key: string]: LoadedValue };

export interface SaveOptions {
  /** Pickle protocol: 2 (Paddle's default), 3 or 4. */
  protocol?: 2 | 3 | 4;
}

export interface LoadOptions {
  /** Return NumPy-style `NdArray`s instead of tensors (Paddle's `return_numpy`). */
  returnNumpy?: boolean;
  /** Keep the `StructuredToParameterName@@` entry (Paddle's `keep_name_table`). */
  keepNameTable?: boolean;
  /** Device for the loaded tensors; the default device when omitted. */
  place?: string;
}

// Paddle slices arrays above 1 GiB when pickling with protocol 2 or 3 (4 GiB opcode limits).
const MAX_SLICE_BYTES = 2 ** 30 - 1;

/** The bytes `save` writes for `obj`. */
export function dumps(obj: SavableValue, opts: SaveOptions = {}): Uint8Array {
  const protocol = opts.protocol ?? 2;
  let value: PicklableValue;
  if (isDictLike(obj)) {
    // Paddle's _build_saved_state_dict: tensors become arrays and their names go to the table.
    const table: Record<string, PicklableValue> = {};
    const out: Record<string, PicklableValue> = {};
    for (const [k, v] of dictEntries(obj, 'save')) {
      if (k === NAME_TABLE_KEY) continue;
      if (v instanceof Tensor) table[k] = v.name;
      setKey(out, k, toPicklable(v, `[${JSON.stringify(k)}]`, new Set()));
    }
    setKey(out, NAME_TABLE_KEY, table);
    value = protocol < 4 ? splitLargeArrays(out, MAX_SLICE_BYTES) : out;
  } else {
    value = toPicklable(obj, '<root>', new Set());
  }
  return pickle(value, { protocol });
}

/**
 * Saves `obj` (a state dict of tensors, an optimizer state dict, or nested dicts, lists and
 * numbers) to `path` as `paddle.save` would, so Paddle's `paddle.load` reads it. The file is
 * written to a temporary name and renamed, so a failed save never leaves a partial file.
 */
export function save(obj: SavableValue, filePath: string, opts: SaveOptions = {}): void {
  if (typeof filePath !== 'string' || path.basename(filePath) === '' || /[\\/]$/.test(filePath)) {
    throw new Error(`save: the path must name a file (dirname/filename), got ${JSON.stringify(filePath)}`);
  }
  const bytes = dumps(obj, opts);
  const dir = path.dirname(filePath);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, filePath);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`save: cannot write ${filePath}: ${(e as Error).message}`);
  }
}

/** Saves a state dict of tensors (a Layer's or an optimizer's `stateDict()`). */
export function saveStateDict(dict: Map<string, Tensor> | Record<string, Tensor>, filePath: string, opts: SaveOptions = {}): void {
  for (const [k, v] of dictEntries(dict as SavableValue, 'saveStateDict')) {
    if (!(v instanceof Tensor)) throw new TypeError(`saveStateDict: entry ${JSON.stringify(k)} is ${describe(v)}, expected a Tensor`);
  }
  save(dict as SavableValue, filePath, opts);
}

/**
 * Loads what `paddle.save` (or `save`) wrote: arrays come back as tensors (or NdArrays with
 * `returnNumpy`), dicts as objects, lists and tuples as arrays. A corrupt or truncated file throws
 * a `PickleError` naming the file, the byte offset and what was expected; nothing is returned
 * half-built and no tensor is left allocated. Tensors are not kept: an enclosing `tidy` frees
 * them unless the result is returned from it.
 */
export function load(filePath: string, opts: LoadOptions = {}): LoadedValue {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(filePath);
  } catch (e) {
    throw new Error(`load: cannot read ${filePath}: ${(e as Error).message}`);
  }
  return loads(bytes, { ...opts, name: filePath });
}

/** `load` from bytes in memory; `name` stands for the file in error messages. */
export function loads(bytes: Uint8Array, opts: LoadOptions & { name?: string } = {}): LoadedValue {
  const { host, names } = parse(bytes, opts.name ?? '<bytes>', !!opts.keepNameTable);
  return opts.returnNumpy ? host : toTensors(host, names, opts.place);
}

/** Unpickles and converts to JS values with NdArrays (no tensors yet), joining sliced arrays. */
function parse(bytes: Uint8Array, file: string, keepNameTable: boolean): { host: LoadedValue; names: Map<NdArray, string> } {
  const root = unpickle(bytes, { file });
  const conv = new Converter(file);
  let host = conv.convert(root);
  if (root instanceof PyDict && isRecord(host)) {
    host = packSlices(host, file, root.at);
    const table = host[NAME_TABLE_KEY];
    if (isRecord(table)) {
      for (const [k, n] of Object.entries(table)) {
        const a = host[k];
        if (a instanceof NdArray && typeof n === 'string' && !conv.names.has(a)) conv.names.set(a, n);
      }
    }
    if (!keepNameTable) delete host[NAME_TABLE_KEY];
  }
  return { host, names: conv.names };
}

/**
 * Loads a `.pdparams` file as a record of tensors by structured name (for `Layer.setStateDict`),
 * each named after its parameter when the file's name table says. Every entry must be an array;
 * use `load` for files with other entries (a `.pdopt`).
 */
export function loadStateDict(filePath: string, opts: { place?: string } = {}): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(filePath);
  } catch (e) {
    throw new Error(`loadStateDict: cannot read ${filePath}: ${(e as Error).message}`);
  }
  const { host, names } = parse(bytes, filePath, false);
  if (!isRecord(host)) throw new Error(`loadStateDict: ${filePath} holds ${describe(host)}, not a dict of arrays`);
  for (const [k, x] of Object.entries(host)) {
    if (!(x instanceof NdArray)) {
      throw new Error(`loadStateDict: entry ${JSON.stringify(k)} of ${filePath} is ${describe(x)}, not an array; use load() for it`);
    }
  }
  return toTensors(host, names, opts.place) as Record<string, Tensor>;
}

// ---- helpers ----------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a Tensor ${fmtShape(v.shape)}`;
  if (v instanceof NdArray) return `an array ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return (v as object).constructor?.name === 'Object' ? 'a dict' : `a ${(v as object).constructor?.name}`;
  return `a ${typeof v}`;
}

function isRecord(v: unknown): v is Record<string, LoadedValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function isDictLike(v: unknown): v is Map<string, SavableValue> | Record<string, SavableValue> {
  if (v instanceof Map) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

function dictEntries(v: SavableValue, where: string): [string, SavableValue][] {
  if (v instanceof Map) {
    for (const k of v.keys()) if (typeof k !== 'string') throw new TypeError(`${where}: Map keys must be strings, got ${typeof k}`);
    return [...v.entries()];
  }
  if (isDictLike(v)) return Object.entries(v);
  throw new TypeError(`${where}: expected a Map or an object, got ${describe(v)}`);
}

/** Sets a key on a plain object, safely for keys such as `__proto__`. */
function setKey<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function toPicklable(v: SavableValue, where: string, active: Set<object>): PicklableValue {
  if (v instanceof Tensor) {
    v._assertLive(`save ${where}`);
    return NdArray.fromTensor(v);
  }
  if (v === undefined) throw new TypeError(`save: ${where} is undefined`);
  if (v === null || typeof v !== 'object' || v instanceof NdArray || v instanceof PyFloat || v instanceof Uint8Array) {
    return v as PicklableValue;
  }
  if (active.has(v)) throw new TypeError(`save: ${where} contains itself; recursive structures cannot be saved`);
  active.add(v);
  try {
    if (Array.isArray(v)) return v.map((x, i) => toPicklable(x, `${where}[${i}]`, active));
    if (v instanceof PyTupleValue) return new PyTupleValue(v.items.map((x, i) => toPicklable(x as SavableValue, `${where}[${i}]`, active)));
    if (isDictLike(v)) {
      const out: Record<string, PicklableValue> = {};
      for (const [k, x] of dictEntries(v, `save ${where}`)) setKey(out, k, toPicklable(x, `${where}[${JSON.stringify(k)}]`, active));
      return out;
    }
  } finally {
    active.delete(v);
  }
  const name = (v as object).constructor?.name ?? 'object';
  throw new TypeError(`save: ${where} is a ${name}, which cannot be saved (expected a tensor, array, number, string, list or dict)`);
}

/**
 * Paddle's `_unpack_saved_dict`: top-level arrays above `maxBytes` are flattened and stored as
 * slices `<key>@@.<i>`, recorded under `UnpackBigParamInfor@@` so `load` can join them.
 */
export function splitLargeArrays(dict: Record<string, PicklableValue>, maxBytes: number): Record<string, PicklableValue> {
  const info: Record<string, PicklableValue> = {};
  const out: Record<string, PicklableValue> = {};
  const parts: [string, NdArray][] = [];
  for (const [k, v] of Object.entries(dict)) {
    const maxElems = v instanceof NdArray ? Math.floor(maxBytes / dtypeBytes(v.dtype)) : Infinity;
    if (!(v instanceof NdArray) || v.size <= maxElems) {
      setKey(out, k, v);
      continue;
    }
    const slices: string[] = [];
    for (let i = 0, s = 0; s < v.size; i++, s += maxElems) {
      const name = `${k}@@.${i}`;
      slices.push(name);
      const data = v.data.slice(s, Math.min(v.size, s + maxElems));
      parts.push([name, new NdArray(v.dtype, [data.length], data)]);
    }
    setKey(info, k, { OriginShape: new PyTupleValue([...v.shape]), slices });
  }
  if (!parts.length) return dict;
  for (const [k, a] of parts) setKey(out, k, a);
  setKey(out, UNPACK_INFO_KEY, info);
  return out;
}

/** Paddle's `_pack_loaded_dict`: joins the slices recorded under `UnpackBigParamInfor@@`. */
function packSlices(d: Record<string, LoadedValue>, file: string, at: number): Record<string, LoadedValue> {
  const info = d[UNPACK_INFO_KEY];
  if (info === undefined) return d;
  const bad = (msg: string): never => {
    throw new PickleError(file, at, `${UNPACK_INFO_KEY}: ${msg}`);
  };
  if (!isRecord(info)) bad('expected a dict');
  const out: Record<string, LoadedValue> = {};
  const removed = new Set<string>([UNPACK_INFO_KEY]);
  const joined: [string, NdArray][] = [];
  for (const [key, entry] of Object.entries(info as Record<string, LoadedValue>)) {
    if (!isRecord(entry)) bad(`entry ${JSON.stringify(key)} must be a dict`);
    const e = entry as Record<string, LoadedValue>;
    const shape = e.OriginShape;
    const slices = e.slices;
    if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
      bad(`entry ${JSON.stringify(key)} has no valid OriginShape`);
    }
    if (!Array.isArray(slices) || !slices.every((s) => typeof s === 'string')) bad(`entry ${JSON.stringify(key)} has no valid slices list`);
    const arrays = (slices as string[]).map((s) => {
      const a = d[s];
      if (!(a instanceof NdArray)) return bad(`slice ${JSON.stringify(s)} of ${JSON.stringify(key)} is missing or not an array`);
      return a;
    });
    const dtype = arrays[0]?.dtype ?? bad(`entry ${JSON.stringify(key)} lists no slices`);
    const total = arrays.reduce((n, a) => n + a.size, 0);
    const want = numel(shape as number[]);
    if (arrays.some((a) => a.dtype !== dtype)) bad(`the slices of ${JSON.stringify(key)} have different dtypes`);
    if (total !== want) bad(`the slices of ${JSON.stringify(key)} hold ${total} elements, OriginShape ${fmtShape(shape as number[])} needs ${want}`);
    const data = arrays[0]!.data.constructor as new (n: number) => NdArray['data'];
    const buf = new data(total);
    let o = 0;
    for (const a of arrays) {
      (buf as Float64Array).set(a.data as Float64Array, o);
      o += a.size;
    }
    joined.push([key, new NdArray(dtype, [...(shape as number[])], buf)]);
    for (const s of slices as string[]) removed.add(s);
  }
  for (const [k, v] of Object.entries(d)) if (!removed.has(k)) setKey(out, k, v);
  for (const [k, a] of joined) setKey(out, k, a);
  return out;
}

// Far beyond any checkpoint; keeps a crafted file from exhausting the JS call stack.
const MAX_DEPTH = 500;

/** PyObj → JS values with NdArrays; checks everything before any tensor is made. */
class Converter {
  /** Tensor names from Paddle's (name, ndarray) tuples and the name table. */
  readonly names = new Map<NdArray, string>();
  private readonly done = new Map<PyObj, LoadedValue>();
  private readonly active = new Set<PyObj>();

  constructor(private readonly file: string) {}

  convert(v: PyObj, depth = 0): LoadedValue {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof NdArray) return v;
    if (v instanceof PyStr) return v.value(this.file);
    if (v instanceof PyBytes) return v.data.slice();
    if (v instanceof PendingArray) {
      if (!v.array) throw new PickleError(this.file, v.at, 'an ndarray created here was never filled in by BUILD');
      return v.array;
    }
    if (v instanceof PyGlobal || v instanceof NpDType) {
      throw new PickleError(this.file, 0, `the pickle holds a bare ${typeName(v)}, not data`);
    }
    const cached = this.done.get(v);
    if (cached !== undefined) return cached;
    if (this.active.has(v)) {
      throw new PickleError(this.file, v.at, `the ${typeName(v)} created here contains itself; recursive structures are not supported`);
    }
    if (depth > MAX_DEPTH) throw new PickleError(this.file, v.at, `containers nest deeper than ${MAX_DEPTH} levels`);
    this.active.add(v);
    let out: LoadedValue;
    if (v instanceof PyTuple) {
      const items = v.items.map((x) => this.convert(x, depth + 1));
      // Paddle 2.1+ pickles a Tensor as the tuple (name, ndarray).
      if (items.length === 2 && typeof items[0] === 'string' && items[1] instanceof NdArray) {
        this.names.set(items[1], items[0]);
        out = items[1];
      } else out = items;
    } else if (v instanceof PyList || v instanceof PySet) {
      out = v.items.map((x) => this.convert(x, depth + 1));
    } else {
      const d = v as PyDict;
      const o: Record<string, LoadedValue> = {};
      d.keys.forEach((k, i) => {
        const key = this.keyString(k, d.at);
        if (Object.prototype.hasOwnProperty.call(o, key)) {
          throw new PickleError(this.file, d.at, `dict has two keys that both read as ${JSON.stringify(key)}`);
        }
        setKey(o, key, this.convert(d.values[i]!, depth + 1));
      });
      out = o;
    }
    this.active.delete(v);
    this.done.set(v, out);
    return out;
  }

  private keyString(k: PyObj, at: number): string {
    if (k instanceof PyStr) return k.value(this.file);
    if (typeof k === 'number' || typeof k === 'bigint') return String(k);
    if (typeof k === 'boolean') return k ? 'True' : 'False';
    if (k === null) return 'None';
    throw new PickleError(this.file, at, `dict key of type ${typeName(k)} is not supported`);
  }
}

/** Replaces every NdArray with a tensor; frees the ones made so far if anything fails. */
function toTensors(v: LoadedValue, names: Map<NdArray, string>, place: string | undefined): LoadedValue {
  const made = new Map<NdArray, Tensor>();
  const walk = (x: LoadedValue): LoadedValue => {
    if (x instanceof NdArray) {
      let t = made.get(x);
      if (!t) {
        t = x.toTensor(place);
        const n = names.get(x);
        if (n !== undefined) t.name = n;
        made.set(x, t);
      }
      return t;
    }
    if (Array.isArray(x)) return x.map(walk);
    if (isRecord(x)) {
      const o: Record<string, LoadedValue> = {};
      for (const [k, y] of Object.entries(x)) setKey(o, k, walk(y));
      return o;
    }
    return x;
  };
  try {
    return walk(v);
  } catch (e) {
    for (const t of made.values()) t.dispose();
    throw e;
  }
}
