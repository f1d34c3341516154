/**
 * A Python pickle reader and writer for the objects Paddle checkpoints hold: dicts, lists,
 * tuples, numbers, strings, bytes and NumPy arrays/scalars/dtypes.
 *
 * The reader runs the pickle machine (protocols 0-5) but calls only a fixed table of known
 * constructors (NumPy's `_reconstruct`, `dtype`, `scalar`, `_frombuffer`, `_codecs.encode`,
 * `collections.OrderedDict`, ...); any other global is an error, so a file can never run code.
 * Every failure is a `PickleError` naming the file, the byte offset and what was expected.
 *
 * The writer emits what Python's pickle writes for the same objects (protocol 2 by default, the
 * one `paddle.save` uses), so `pickle.load` + NumPy read it back as the same dict of ndarrays.
 */
import { dtypeBytes, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import {
  HOST_LITTLE_ENDIAN,
  NdArray,
  dtypeOfNumpy,
  littleEndianBytes,
  numpyByteOrder,
  numpyTypeOf,
  swapBytes,
} from './ndarray';

export class PickleError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: byte ${offset}: ${detail}`);
    this.name = 'PickleError';
  }
}

// ---- the Python object model of the reader ----------------------------------------------------

/** A Python `str` (or a Python 2 byte string, `latin1`), decoded lazily: array data can be large. */
export class PyStr {
  private cached: string | undefined;
  constructor(
    readonly raw: Uint8Array,
    /** True for Python 2 `str` (bytes read as latin-1), false for UTF-8 `unicode`/`str`. */
    readonly latin1: boolean,
    readonly at: number,
  ) {}
  value(file: string): string {
    if (this.cached === undefined) {
      if (this.latin1) this.cached = latin1ToString(this.raw);
      else {
        try {
          this.cached = UTF8.decode(this.raw);
        } catch {
          throw new PickleError(file, this.at, 'string is not valid UTF-8');
        }
      }
    }
    return this.cached;
  }
}

export class PyBytes {
  constructor(readonly data: Uint8Array) {}
}

export class PyList {
  readonly items: PyObj[] = [];
  constructor(readonly at: number) {}
}

export class PyTuple {
  constructor(
    readonly items: PyObj[],
    readonly at: number,
  ) {}
}

export class PySet {
  readonly items: PyObj[] = [];
  constructor(readonly at: number) {}
}

/** A dict with str/int/bool/None/float keys, in insertion order. */
export class PyDict {
  readonly keys: PyObj[] = [];
  readonly values: PyObj[] = [];
  private readonly index = new Map<string, number>();
  constructor(readonly at: number) {}

  set(file: string, at: number, k: PyObj, v: PyObj): void {
    const c = canonicalKey(file, at, k);
    const i = this.index.get(c);
    if (i !== undefined) this.values[i] = v;
    else {
      this.index.set(c, this.keys.length);
      this.keys.push(k);
      this.values.push(v);
    }
  }

  get(file: string, at: number, k: PyObj): PyObj | undefined {
    const i = this.index.get(canonicalKey(file, at, k));
    return i === undefined ? undefined : this.values[i];
  }

  get size(): number {
    return this.keys.length;
  }
}

/** A module-level name the reader is allowed to call. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A NumPy dtype while it is being rebuilt (BUILD sets its byte order). */
export class NpDType {
  byteOrder = '|';
  constructor(
    readonly type: string,
    readonly dtype: DType,
  ) {}
  get itemSize(): number {
    return dtypeBytes(this.dtype);
  }
}

/** The empty ndarray `_reconstruct` makes, filled in by BUILD. */
export class PendingArray {
  array: NdArray | null = null;
  constructor(readonly at: number) {}
}

/** A Python float kept as such when writing: an integral JS number is otherwise written as int. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyObj =
  | null
  | boolean
  | number
  | bigint
  | PyStr
  | PyBytes
  | PyList
  | PyTuple
  | PySet
  | PyDict
  | PyGlobal
  | NpDType
  | PendingArray
  | NdArray;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_ENC = new TextEncoder();

function latin1ToString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function canonicalKey(file: string, at: number, k: PyObj): string {
  if (k instanceof PyStr) return 's' + k.value(file);
  if (typeof k === 'number') return 'n' + String(k);
  if (typeof k === 'bigint') return 'n' + k.toString();
  if (typeof k === 'boolean') return 'n' + (k ? '1' : '0');
  if (k === null) return 'N';
  throw new PickleError(file, at, `dict key of type ${typeName(k)} is not supported (keys must be str, int, float, bool or None)`);
}

export function typeName(v: PyObj | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (v instanceof PyStr) return 'str';
  if (v instanceof PyBytes) return 'bytes';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PySet) return 'set';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyGlobal) return `global ${v.qualified}`;
  if (v instanceof NpDType) return 'numpy.dtype';
  return 'numpy.ndarray';
}

// ---- opcodes ------------------------------------------------------------------------------------

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));

/** Module aliases: Python 2 names and NumPy 2's private `_core` package map to one spelling. */
function normalizeModule(m: string): string {
  if (m === '__builtin__') return 'builtins';
  if (m === 'copy_reg') return 'copyreg';
  if (m.startsWith('numpy._core.')) return 'numpy.core.' + m.slice('numpy._core.'.length);
  return m;
}

const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy.core.numeric._frombuffer',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
  'builtins.bytes',
  'builtins.bytearray',
  'builtins.set',
  'builtins.frozenset',
  'builtins.tuple',
  'builtins.list',
  'builtins.eval',
  'collections.OrderedDict',
]);

// ---- the reader -----------------------------------------------------------------------------------

export interface UnpickleOptions {
  /** Names the source in error messages (the file path). */
  file?: string;
}

/** Runs the pickle in `bytes` and returns the object it builds (Python-side model). */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): PyObj {
  // A plain Uint8Array view: a Node Buffer's slice() would share memory instead of copying.
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Unpickler(plain, opts.file ?? '<bytes>').run();
}

class Unpickler {
  private pos = 0;
  private stack: PyObj[] = [];
  private readonly metastack: PyObj[][] = [];
  private readonly memo = new Map<number, PyObj>();
  private readonly view: DataView;
  /** Offset of the opcode being run, for error messages. */
  private opAt = 0;
  private opName = '';

  constructor(
    private readonly b: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private fail(detail: string, at = this.opAt): never {
    throw new PickleError(this.file, at, detail);
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.b.length - at) {
      this.fail(
        `truncated file: ${this.opName} needs ${n} byte${n === 1 ? '' : 's'} of ${what} at byte ${at}, but the file ends at byte ${this.b.length}`,
        at,
      );
    }
    this.pos += n;
    return at;
  }

  private u8(what: string): number {
    return this.b[this.need(1, what)]!;
  }
  private u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  private u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  private u64(what: string): number {
    const at = this.need(8, what);
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    // Any length above 2^53 cannot be satisfied by a file in memory anyway.
    return hi * 2 ** 32 + lo;
  }
  private bytes(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.b.subarray(at, at + n);
  }
  private line(what: string): string {
    const start = this.pos;
    const nl = this.b.indexOf(0x0a, start);
    if (nl < 0) this.fail(`truncated file: ${this.opName} needs a newline-terminated ${what} starting at byte ${start}`, start);
    this.pos = nl + 1;
    return latin1ToString(this.b.subarray(start, nl));
  }

  private push(v: PyObj): void {
    this.stack.push(v);
  }

  private pop(what: string): PyObj {
    if (this.stack.length === 0) {
      this.fail(
        this.metastack.length
          ? `${this.opName} expected ${what} on the stack, found the MARK`
          : `${this.opName} expected ${what} on the stack, found it empty`,
      );
    }
    return this.stack.pop()!;
  }

  private top(what: string): PyObj {
    if (this.stack.length === 0) this.fail(`${this.opName} expected ${what} on the stack, found it empty`);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyObj[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (prev === undefined) this.fail(`${this.opName} expected a MARK on the stack, there is none`);
    this.stack = prev;
    return items;
  }

  private str(v: PyObj, what: string): string {
    if (!(v instanceof PyStr)) this.fail(`${this.opName}: ${what} must be a str, got ${typeName(v)}`);
    return v.value(this.file);
  }

  private memoGet(i: number): PyObj {
    if (!this.memo.has(i)) this.fail(`${this.opName} refers to memo entry ${i}, which was never stored`);
    return this.memo.get(i)!;
  }

  private int(s: string, what: string): bigint {
    const t = s.trim();
    if (!/^[-+]?\d+$/.test(t)) this.fail(`${this.opName}: expected a decimal ${what}, got ${JSON.stringify(s.slice(0, 40))}`);
    return BigInt(t);
  }

  run(): PyObj {
    const b = this.b;
    if (b.length === 0) this.fail('empty file: expected a pickle (Paddle .pdparams/.pdopt files start with byte 0x80)', 0);
    for (;;) {
      this.opAt = this.pos;
      if (this.pos >= b.length) {
        this.fail(`truncated file: expected an opcode at byte ${this.pos} (the pickle has no STOP)`, this.pos);
      }
      const op = b[this.pos++]!;
      this.opName = OP_NAMES.get(op) ?? `opcode 0x${op.toString(16).padStart(2, '0')}`;
      switch (op) {
        case OP.PROTO: {
          const v = this.u8('protocol version');
          if (v > 5) this.fail(`unsupported pickle protocol ${v} (this reader knows protocols 0 to 5)`);
          break;
        }
        case OP.FRAME: {
          const n = this.u64('frame length');
          if (n > b.length - this.pos) {
            this.fail(`truncated file: FRAME announces ${n} bytes at byte ${this.pos}, but the file ends at byte ${b.length}`);
          }
          break;
        }
        case OP.STOP: {
          if (this.metastack.length) this.fail('STOP inside an open MARK: the pickle is incomplete');
          if (this.stack.length !== 1) this.fail(`STOP expected exactly one object on the stack, found ${this.stack.length}`);
          const v = this.stack[0]!;
          return v instanceof PendingArray ? this.fail('STOP: an ndarray was never filled in by BUILD') : v;
        }
        case OP.MARK:
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case OP.POP:
          if (this.stack.length) this.stack.pop();
          else this.popMark();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top('an object to duplicate'));
          break;
        // -- numbers
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(this.view.getInt32(this.need(4, 'int32'), true));
          break;
        case OP.BININT1:
          this.push(this.u8('uint8'));
          break;
        case OP.BININT2:
          this.push(this.u16('uint16'));
          break;
        case OP.LONG1: {
          const n = this.u8('length');
          this.push(intFromBytes(this.bytes(n, 'long integer')));
          break;
        }
        case OP.LONG4: {
          const n = this.view.getInt32(this.need(4, 'length'), true);
          if (n < 0) this.fail(`LONG4 has a negative length ${n}`);
          this.push(intFromBytes(this.bytes(n, 'long integer')));
          break;
        }
        case OP.INT: {
          const s = this.line('integer');
          // Protocol 0 writes booleans as INT 00 / 01.
          if (s === '00') this.push(false);
          else if (s === '01') this.push(true);
          else this.push(narrowInt(this.int(s, 'integer')));
          break;
        }
        case OP.LONG: {
          const s = this.line('long integer');
          this.push(narrowInt(this.int(s.endsWith('L') ? s.slice(0, -1) : s, 'long integer')));
          break;
        }
        case OP.BINFLOAT:
          this.push(this.view.getFloat64(this.need(8, 'float64'), false));
          break;
        case OP.FLOAT: {
          const s = this.line('float').trim();
          const v = Number(s);
          if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) this.fail(`FLOAT: ${JSON.stringify(s.slice(0, 40))} is not a number`);
          this.push(v);
          break;
        }
        // -- strings and bytes
        case OP.BINUNICODE: {
          const n = this.u32('length');
          const at = this.pos;
          this.push(new PyStr(this.bytes(n, 'UTF-8 text'), false, at));
          break;
        }
        case OP.SHORT_BINUNICODE: {
          const n = this.u8('length');
          const at = this.pos;
          this.push(new PyStr(this.bytes(n, 'UTF-8 text'), false, at));
          break;
        }
        case OP.BINUNICODE8: {
          const n = this.u64('length');
          const at = this.pos;
          this.push(new PyStr(this.bytes(n, 'UTF-8 text'), false, at));
          break;
        }
        case OP.UNICODE: {
          const at = this.pos;
          const s = this.line('raw-unicode-escape text');
          this.push(new PyStr(UTF8_ENC.encode(decodeRawUnicodeEscape(s)), false, at));
          break;
        }
        case OP.BINSTRING: {
          const n = this.view.getInt32(this.need(4, 'length'), true);
          if (n < 0) this.fail(`BINSTRING has a negative length ${n}`);
          const at = this.pos;
          this.push(new PyStr(this.bytes(n, 'string data'), true, at));
          break;
        }
        case OP.SHORT_BINSTRING: {
          const n = this.u8('length');
          const at = this.pos;
          this.push(new PyStr(this.bytes(n, 'string data'), true, at));
          break;
        }
        case OP.STRING: {
          const at = this.pos;
          const s = this.line('quoted string');
          const v = decodeQuoted(s);
          if (v === null) this.fail(`STRING: expected a quoted string literal, got ${JSON.stringify(s.slice(0, 40))}`);
          this.push(new PyStr(v, true, at));
          break;
        }
        case OP.BINBYTES: {
          const n = this.u32('length');
          this.push(new PyBytes(this.bytes(n, 'bytes data')));
          break;
        }
        case OP.SHORT_BINBYTES: {
          const n = this.u8('length');
          this.push(new PyBytes(this.bytes(n, 'bytes data')));
          break;
        }
        case OP.BINBYTES8:
        case OP.BYTEARRAY8: {
          const n = this.u64('length');
          this.push(new PyBytes(this.bytes(n, 'bytes data')));
          break;
        }
        case OP.NEXT_BUFFER:
          this.fail('NEXT_BUFFER: the pickle refers to an out-of-band buffer, which a file cannot supply');
          break;
        case OP.READONLY_BUFFER:
          if (!(this.top('a buffer') instanceof PyBytes)) this.fail('READONLY_BUFFER expected a buffer on the stack');
          break;
        // -- containers
        case OP.EMPTY_TUPLE:
          this.push(new PyTuple([], this.opAt));
          break;
        case OP.TUPLE1: {
          const a = this.pop('1 tuple item');
          this.push(new PyTuple([a], this.opAt));
          break;
        }
        case OP.TUPLE2: {
          const b2 = this.pop('2 tuple items');
          const a = this.pop('2 tuple items');
          this.push(new PyTuple([a, b2], this.opAt));
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop('3 tuple items');
          const b2 = this.pop('3 tuple items');
          const a = this.pop('3 tuple items');
          this.push(new PyTuple([a, b2, c], this.opAt));
          break;
        }
        case OP.TUPLE:
          this.push(new PyTuple(this.popMark(), this.opAt));
          break;
        case OP.EMPTY_LIST:
          this.push(new PyList(this.opAt));
          break;
        case OP.LIST: {
          const l = new PyList(this.opAt);
          l.items.push(...this.popMark());
          this.push(l);
          break;
        }
        case OP.APPEND: {
          const v = this.pop('a value to append');
          this.listTarget().items.push(v);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          const t = this.listTarget();
          for (const v of items) t.items.push(v);
          break;
        }
        case OP.EMPTY_DICT:
          this.push(new PyDict(this.opAt));
          break;
        case OP.DICT: {
          const items = this.popMark();
          if (items.length % 2) this.fail(`DICT expected key/value pairs, got an odd number (${items.length}) of items`);
          const d = new PyDict(this.opAt);
          for (let i = 0; i < items.length; i += 2) d.set(this.file, this.opAt, items[i]!, items[i + 1]!);
          this.push(d);
          break;
        }
        case OP.SETITEM: {
          const v = this.pop('a key and a value');
          const k = this.pop('a key and a value');
          this.dictTarget().set(this.file, this.opAt, k, v);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          if (items.length % 2) this.fail(`SETITEMS expected key/value pairs, got an odd number (${items.length}) of items`);
          const d = this.dictTarget();
          for (let i = 0; i < items.length; i += 2) d.set(this.file, this.opAt, items[i]!, items[i + 1]!);
          break;
        }
        case OP.EMPTY_SET:
          this.push(new PySet(this.opAt));
          break;
        case OP.ADDITEMS: {
          const items = this.popMark();
          const t = this.top('a set');
          if (!(t instanceof PySet)) this.fail(`ADDITEMS expected a set below the MARK, got ${typeName(t)}`);
          t.items.push(...items);
          break;
        }
        case OP.FROZENSET: {
          const s = new PySet(this.opAt);
          s.items.push(...this.popMark());
          this.push(s);
          break;
        }
        // -- memo
        case OP.PUT:
          this.memo.set(Number(this.int(this.line('memo index'), 'memo index')), this.top('an object to memoize'));
          break;
        case OP.BINPUT:
          this.memo.set(this.u8('memo index'), this.top('an object to memoize'));
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.u32('memo index'), this.top('an object to memoize'));
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top('an object to memoize'));
          break;
        case OP.GET:
          this.push(this.memoGet(Number(this.int(this.line('memo index'), 'memo index'))));
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u8('memo index')));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.u32('memo index')));
          break;
        // -- globals and object construction
        case OP.GLOBAL: {
          const module = this.line('module name');
          const name = this.line('global name');
          this.push(this.global(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.str(this.pop('a module and a name'), 'the global name');
          const module = this.str(this.pop('a module and a name'), 'the module name');
          this.push(this.global(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop('a callable and its arguments');
          const fn = this.pop('a callable and its arguments');
          if (!(fn instanceof PyGlobal)) this.fail(`REDUCE expected a callable, got ${typeName(fn)}`);
          if (!(args instanceof PyTuple)) this.fail(`REDUCE expected an argument tuple for ${fn.qualified}, got ${typeName(args)}`);
          this.push(this.call(fn, args.items));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop('a class and its arguments');
          const cls = this.pop('a class and its arguments');
          if (!(cls instanceof PyGlobal) || cls.qualified !== 'collections.OrderedDict') {
            this.fail(`NEWOBJ can only create collections.OrderedDict here, got ${typeName(cls)}`);
          }
          if (!(args instanceof PyTuple)) this.fail(`NEWOBJ expected an argument tuple, got ${typeName(args)}`);
          this.push(this.call(cls, args.items));
          break;
        }
        case OP.BUILD: {
          const state = this.pop('an object and its state');
          const target = this.top('an object and its state');
          this.build(target, state);
          break;
        }
        case OP.PERSID:
        case OP.BINPERSID:
          this.fail('the pickle refers to a persistent id (an external object), which Paddle files never contain');
          break;
        case OP.INST:
        case OP.OBJ:
        case OP.NEWOBJ_EX:
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4:
          this.fail(`${this.opName} creates an arbitrary Python object; Paddle files only hold dicts, lists, numbers, strings and arrays`);
          break;
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}: this is not a valid pickle (or the file is corrupt)`);
      }
    }
  }

  private listTarget(): PyList {
    const t = this.top('a list');
    if (!(t instanceof PyList)) this.fail(`${this.opName} expected a list to append to, got ${typeName(t)}`);
    return t;
  }

  private dictTarget(): PyDict {
    const t = this.top('a dict');
    if (!(t instanceof PyDict)) this.fail(`${this.opName} expected a dict to set items in, got ${typeName(t)}`);
    return t;
  }

  private global(module: string, name: string): PyGlobal {
    const g = new PyGlobal(normalizeModule(module.trim()), name.trim());
    if (!ALLOWED_GLOBALS.has(g.qualified)) {
      this.fail(
        `global ${JSON.stringify(`${module} ${name}`.slice(0, 80))} is not allowed: Paddle checkpoints only hold dicts, lists, numbers, strings and NumPy arrays`,
      );
    }
    return g;
  }

  private dtypeArg(v: PyObj, what: string): NpDType {
    if (!(v instanceof NpDType)) this.fail(`${this.opName}: ${what} must be a numpy.dtype, got ${typeName(v)}`);
    return v;
  }

  private shapeArg(v: PyObj): number[] {
    const items = v instanceof PyTuple || v instanceof PyList ? v.items : typeof v === 'number' ? [v] : null;
    if (!items) this.fail(`${this.opName}: the array shape must be a tuple of ints, got ${typeName(v)}`);
    const shape: number[] = [];
    for (const d of items) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
        this.fail(`${this.opName}: the array shape has an invalid extent ${typeName(d) === 'int' ? String(d) : typeName(d)}`);
      }
      shape.push(d);
    }
    return shape;
  }

  private bytesArg(v: PyObj, what: string): Uint8Array {
    if (v instanceof PyBytes) return v.data;
    // Python 2 pickles carry array data as a (latin-1) str.
    if (v instanceof PyStr && v.latin1) return v.raw;
    this.fail(`${this.opName}: ${what} must be bytes, got ${typeName(v)}`);
  }

  private call(fn: PyGlobal, args: PyObj[]): PyObj {
    const arity = (min: number, max = min): void => {
      if (args.length < min || args.length > max) {
        this.fail(`${fn.qualified} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
      }
    };
    switch (fn.qualified) {
      case 'numpy.core.multiarray._reconstruct': {
        arity(3);
        const cls = args[0];
        if (!(cls instanceof PyGlobal) || cls.qualified !== 'numpy.ndarray') {
          this.fail(`_reconstruct can only create numpy.ndarray, got ${typeName(cls)}`);
        }
        return new PendingArray(this.opAt);
      }
      case 'numpy.dtype': {
        arity(1, 3);
        let t = this.str(args[0]!, 'the dtype name');
        let order = '|';
        if (t.length > 1 && '<>|='.includes(t[0]!)) {
          order = t[0]!;
          t = t.slice(1);
        }
        const d = dtypeOfNumpy(t);
        if (!d) {
          this.fail(`numpy dtype ${JSON.stringify(t)} is not supported (expected one of b1 u1 i1 i2 i4 i8 f2 f4 f8, or u2 for bfloat16)`);
        }
        const dt = new NpDType(t, d);
        dt.byteOrder = order;
        return dt;
      }
      case 'numpy.core.multiarray.scalar': {
        arity(1, 2);
        const dt = this.dtypeArg(args[0]!, 'the scalar dtype');
        if (args.length < 2) this.fail('numpy scalar of an object dtype is not supported');
        const data = this.bytesArg(args[1]!, 'the scalar data');
        const a = this.makeArray(dt, [], data, false);
        const v = a.data[0]!;
        if (a.dtype === 'bool') return v !== 0;
        if (typeof v === 'bigint') return narrowInt(v);
        if (a.dtype === 'float16' || a.dtype === 'bfloat16') return new NdArray(a.dtype, [], a.data);
        return v;
      }
      case 'numpy.core.numeric._frombuffer': {
        arity(4);
        const data = this.bytesArg(args[0]!, 'the array buffer');
        const dt = this.dtypeArg(args[1]!, 'the array dtype');
        const shape = this.shapeArg(args[2]!);
        const order = this.str(args[3]!, 'the array order');
        if (order !== 'C' && order !== 'F') this.fail(`_frombuffer: order must be "C" or "F", got ${JSON.stringify(order)}`);
        return this.makeArray(dt, shape, data, order === 'F');
      }
      case '_codecs.encode': {
        arity(1, 2);
        const s = args[0]!;
        if (!(s instanceof PyStr)) this.fail(`_codecs.encode expected a str, got ${typeName(s)}`);
        const enc = args.length > 1 ? this.str(args[1]!, 'the encoding').toLowerCase().replace('_', '-') : 'utf-8';
        if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return new PyBytes(this.utf8ToLatin1(s));
        if (enc === 'utf-8' || enc === 'utf8') return new PyBytes(s.raw.slice());
        return this.fail(`_codecs.encode: encoding ${JSON.stringify(enc)} is not supported`);
      }
      case 'builtins.bytes':
      case 'builtins.bytearray': {
        if (args.length === 0) return new PyBytes(new Uint8Array(0));
        const a = args[0]!;
        if (args.length === 2 && a instanceof PyStr) return this.call(new PyGlobal('_codecs', 'encode'), args);
        if (args.length === 1 && a instanceof PyBytes) return a;
        if (args.length === 1 && a instanceof PyList) {
          const out = new Uint8Array(a.items.length);
          a.items.forEach((x, i) => {
            if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) this.fail(`${fn.qualified}: list item ${i} is not a byte`);
            out[i] = x;
          });
          return new PyBytes(out);
        }
        return this.fail(`${fn.qualified} called with unsupported arguments (${args.map(typeName).join(', ')})`);
      }
      case 'builtins.set':
      case 'builtins.frozenset': {
        arity(0, 1);
        const s = new PySet(this.opAt);
        if (args.length) s.items.push(...this.iterable(args[0]!, fn.qualified));
        return s;
      }
      case 'builtins.tuple':
        arity(0, 1);
        return new PyTuple(args.length ? [...this.iterable(args[0]!, fn.qualified)] : [], this.opAt);
      case 'builtins.list': {
        arity(0, 1);
        const l = new PyList(this.opAt);
        if (args.length) l.items.push(...this.iterable(args[0]!, fn.qualified));
        return l;
      }
      case 'collections.OrderedDict': {
        arity(0, 1);
        const d = new PyDict(this.opAt);
        if (args.length) {
          for (const pair of this.iterable(args[0]!, fn.qualified)) {
            if (!(pair instanceof PyTuple || pair instanceof PyList) || pair.items.length !== 2) {
              this.fail(`OrderedDict expected (key, value) pairs, got ${typeName(pair)}`);
            }
            d.set(this.file, this.opAt, pair.items[0]!, pair.items[1]!);
          }
        }
        return d;
      }
      case 'builtins.eval': {
        // Paddle pickles a LoDTensor as eval('data', {'data': ndarray}); only that lookup is done.
        arity(2, 3);
        const name = this.str(args[0]!, 'the eval expression');
        const scope = args[1]!;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !(scope instanceof PyDict)) {
          this.fail('eval is only accepted as Paddle writes it: eval(name, {name: value})');
        }
        const key = new PyStr(UTF8_ENC.encode(name), false, this.opAt);
        const v = scope.get(this.file, this.opAt, key);
        if (v === undefined) this.fail(`eval: ${JSON.stringify(name)} is not in the given namespace`);
        return v;
      }
      default:
        return this.fail(`${fn.qualified} cannot be called`);
    }
  }

  private iterable(v: PyObj, what: string): PyObj[] {
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items;
    if (v instanceof PyDict) return v.keys;
    return this.fail(`${what} expected a list or tuple, got ${typeName(v)}`);
  }

  private utf8ToLatin1(s: PyStr): Uint8Array {
    if (s.latin1) return s.raw.slice();
    const r = s.raw;
    let n = 0;
    for (let i = 0; i < r.length; i++) if ((r[i]! & 0xc0) !== 0x80) n++;
    const out = new Uint8Array(n);
    let j = 0;
    for (let i = 0; i < r.length; i++) {
      const c = r[i]!;
      if (c < 0x80) out[j++] = c;
      else if ((c === 0xc2 || c === 0xc3) && i + 1 < r.length && (r[i + 1]! & 0xc0) === 0x80) {
        out[j++] = ((c & 0x03) << 6) | (r[++i]! & 0x3f);
      } else {
        this.fail(`_codecs.encode: the text at byte ${s.at + i} is not latin-1 (a code point above 255 or invalid UTF-8)`, s.at + i);
      }
    }
    return out;
  }

  private build(target: PyObj, state: PyObj): void {
    if (target instanceof PendingArray) {
      if (target.array) this.fail('BUILD: this ndarray was already filled in');
      if (!(state instanceof PyTuple)) this.fail(`BUILD: ndarray state must be a tuple, got ${typeName(state)}`);
      // (version, shape, dtype, is_fortran, data); NumPy before 1.0 left out the version.
      let s = state.items;
      if (s.length === 5) s = s.slice(1);
      if (s.length !== 4) this.fail(`BUILD: ndarray state must have 5 items, got ${state.items.length}`);
      const shape = this.shapeArg(s[0]!);
      const dt = this.dtypeArg(s[1]!, 'the array dtype');
      const fortran = s[2];
      if (typeof fortran !== 'boolean' && fortran !== 0 && fortran !== 1) {
        this.fail(`BUILD: the array's Fortran-order flag must be a bool, got ${typeName(fortran)}`);
      }
      if (s[3] instanceof PyList) this.fail('BUILD: arrays of Python objects are not supported');
      const data = this.bytesArg(s[3]!, 'the array data');
      target.array = this.makeArray(dt, shape, data, Boolean(fortran));
      return;
    }
    if (target instanceof NpDType) {
      if (!(state instanceof PyTuple) || state.items.length < 8) {
        this.fail(`BUILD: numpy.dtype state must be a tuple of at least 8 items, got ${typeName(state)}`);
      }
      const order = this.str(state.items[1]!, 'the dtype byte order');
      if (!['<', '>', '|', '='].includes(order)) this.fail(`BUILD: unknown dtype byte order ${JSON.stringify(order)}`);
      if (state.items[3] !== null || state.items[4] !== null) this.fail('BUILD: structured numpy dtypes (with fields) are not supported');
      target.byteOrder = order;
      return;
    }
    if (target instanceof PyDict && (state instanceof PyDict || state === null)) {
      if (state) state.keys.forEach((k, i) => target.set(this.file, this.opAt, k, state.values[i]!));
      return;
    }
    this.fail(`BUILD cannot set the state of ${typeName(target)}`);
  }

  private makeArray(dt: NpDType, shape: number[], data: Uint8Array, fortran: boolean): NdArray {
    const item = dt.itemSize;
    let n = 1;
    for (const d of shape) n *= d;
    if (n * item !== data.length) {
      this.fail(
        `array data has ${data.length} bytes, but dtype ${dt.dtype} with shape ${fmtShape(shape)} needs ${n * item} (${n} elements of ${item} bytes)`,
      );
    }
    // Copy into an aligned buffer of our own; swap when the file's byte order is not the host's.
    const bytes = data.slice();
    const little = dt.byteOrder === '<' || dt.byteOrder === '|' || (dt.byteOrder === '=' && HOST_LITTLE_ENDIAN);
    if (little !== HOST_LITTLE_ENDIAN) swapBytes(bytes, item);
    let arr = typedView(dt.dtype, bytes.buffer, n);
    if (dt.dtype === 'bool') for (let i = 0; i < n; i++) if (arr[i]) arr[i] = 1;
    if (fortran && shape.length > 1) arr = fortranToC(arr, shape);
    return new NdArray(dt.dtype, shape, arr);
  }
}

function typedView(d: DType, buf: ArrayBufferLike, n: number): TypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buf, 0, n);
    default:
      return new Uint8Array(buf, 0, n);
  }
}

/** Column-major data of `shape` rearranged into row-major order. */
function fortranToC(src: TypedArray, shape: number[]): TypedArray {
  const out = src.slice() as TypedArray;
  const r = shape.length;
  const n = src.length;
  // Fortran strides: the first axis varies fastest.
  const fStride = new Array<number>(r);
  let acc = 1;
  for (let k = 0; k < r; k++) {
    fStride[k] = acc;
    acc *= shape[k]!;
  }
  const idx = new Array<number>(r).fill(0);
  let f = 0;
  for (let i = 0; i < n; i++) {
    (out as Float64Array)[i] = (src as Float64Array)[f]!;
    for (let k = r - 1; k >= 0; k--) {
      idx[k]!++;
      f += fStride[k]!;
      if (idx[k]! < shape[k]!) break;
      f -= fStride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** A little-endian two's complement integer (LONG1/LONG4). */
function intFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  // Through a hex string: linear in the length, where shifting a growing bigint is quadratic.
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += HEX[b[i]!];
  let v = BigInt('0x' + hex);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return narrowInt(v);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A JS number when the integer is exactly representable, else a bigint. */
function narrowInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's repr of a byte string (`'...'` or `"..."` with backslash escapes), as raw bytes. */
function decodeQuoted(s: string): Uint8Array | null {
  const t = s.trimEnd();
  if (t.length < 2 || (t[0] !== "'" && t[0] !== '"') || t[t.length - 1] !== t[0]) return null;
  const body = t.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e === undefined) return null;
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
    if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
      out.push(parseInt(h, 16));
      i += 2;
    } else if (/[0-7]/.test(e) && /^[0-7]{1,3}/.test(body.slice(i))) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e in simple) out.push(simple[e]!);
    else out.push(92, body.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape codec (protocol 0 UNICODE): \uXXXX and \UXXXXXXXX escapes only. */
function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt((a ?? b)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : _m;
  });
}

// ---- the writer -----------------------------------------------------------------------------------

/** What the writer accepts: JS values mapped onto Python's. */
export type PicklableValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | NdArray
  | PyTupleValue
  | PicklableValue[]
  | Map<string, PicklableValue>
  | { [key: string]: PicklableValue };

/** A Python tuple when writing (JS arrays are written as lists). */
export class PyTupleValue {
  constructor(readonly items: PicklableValue[]) {}
}

export interface PickleOptions {
  /** Pickle protocol, 2 (default, what `paddle.save` writes) to 4. */
  protocol?: 2 | 3 | 4;
}

/** Serializes `value` as Python's pickle module would (see `PicklableValue` for the mapping). */
export function pickle(value: PicklableValue, opts: PickleOptions = {}): Uint8Array {
  const protocol = opts.protocol ?? 2;
  if (protocol !== 2 && protocol !== 3 && protocol !== 4) {
    throw new RangeError(`pickle: protocol must be 2, 3 or 4, got ${String(protocol)}`);
  }
  const w = new Writer(protocol);
  w.byte(OP.PROTO);
  w.byte(protocol);
  w.value(value, '<root>');
  w.byte(OP.STOP);
  return w.finish();
}

const BATCH = 1000;

class Writer {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private len = 0;
  private readonly memo = new Map<string, number>();
  private readonly active = new Set<object>();

  constructor(private readonly protocol: number) {}

  private ensure(n: number): void {
    if (this.len + n <= this.cur.length) return;
    this.flush();
    if (n > this.cur.length) this.cur = new Uint8Array(Math.max(n, 1 << 16));
  }

  private flush(): void {
    if (this.len) this.chunks.push(this.cur.slice(0, this.len));
    this.len = 0;
  }

  byte(b: number): void {
    this.ensure(1);
    this.cur[this.len++] = b;
  }

  raw(b: Uint8Array): void {
    if (b.length > 1 << 16) {
      this.flush();
      this.chunks.push(b);
      return;
    }
    this.ensure(b.length);
    this.cur.set(b, this.len);
    this.len += b.length;
  }

  u32(v: number): void {
    this.ensure(4);
    new DataView(this.cur.buffer).setUint32(this.len, v, true);
    this.len += 4;
  }

  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Writes an object once and refers back to it later through the memo (as pickle does). */
  private memoized(key: string, write: () => void): void {
    const i = this.memo.get(key);
    if (i !== undefined) {
      if (i < 256) {
        this.byte(OP.BINGET);
        this.byte(i);
      } else {
        this.byte(OP.LONG_BINGET);
        this.u32(i);
      }
      return;
    }
    write();
    const j = this.memo.size;
    this.memo.set(key, j);
    if (j < 256) {
      this.byte(OP.BINPUT);
      this.byte(j);
    } else {
      this.byte(OP.LONG_BINPUT);
      this.u32(j);
    }
  }

  private global(module: string, name: string): void {
    this.memoized(`global:${module}.${name}`, () => {
      this.byte(OP.GLOBAL);
      this.raw(UTF8_ENC.encode(`${module}\n${name}\n`));
    });
  }

  str(s: string): void {
    const b = UTF8_ENC.encode(s);
    this.byte(OP.BINUNICODE);
    this.u32(b.length);
    this.raw(b);
  }

  /** bytes: BINBYTES from protocol 3; protocol 2 goes through _codecs.encode(latin-1 text). */
  bytes(b: Uint8Array, where: string): void {
    if (this.protocol >= 3) {
      if (b.length < 256) {
        this.byte(OP.SHORT_BINBYTES);
        this.byte(b.length);
      } else if (b.length <= 0xffffffff) {
        this.byte(OP.BINBYTES);
        this.u32(b.length);
      } else if (this.protocol >= 4) {
        this.byte(OP.BINBYTES8);
        this.ensure(8);
        new DataView(this.cur.buffer).setBigUint64(this.len, BigInt(b.length), true);
        this.len += 8;
      } else {
        throw new RangeError(`pickle: ${where} holds ${b.length} bytes; protocol 3 stores at most 4 GiB per object`);
      }
      this.raw(b);
      return;
    }
    if (b.length === 0) {
      this.global('__builtin__', 'bytes');
      this.byte(OP.EMPTY_TUPLE);
      this.byte(OP.REDUCE);
      return;
    }
    let extra = 0;
    for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) extra++;
    const n = b.length + extra;
    if (n > 0xffffffff) {
      throw new RangeError(`pickle: ${where} needs ${n} bytes of latin-1 text; protocol 2 stores at most 4 GiB per object`);
    }
    this.global('_codecs', 'encode');
    this.byte(OP.BINUNICODE);
    this.u32(n);
    const enc = new Uint8Array(n);
    let j = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c < 0x80) enc[j++] = c;
      else {
        enc[j++] = 0xc0 | (c >> 6);
        enc[j++] = 0x80 | (c & 0x3f);
      }
    }
    this.raw(enc);
    this.memoized('str:latin1', () => this.str('latin1'));
    this.byte(OP.TUPLE2);
    this.byte(OP.REDUCE);
  }

  int(v: number | bigint): void {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    if (n >= 0n && n < 256n) {
      this.byte(OP.BININT1);
      this.byte(Number(n));
    } else if (n >= 0n && n < 65536n) {
      this.byte(OP.BININT2);
      this.byte(Number(n) & 0xff);
      this.byte(Number(n) >> 8);
    } else if (n >= -(2n ** 31n) && n < 2n ** 31n) {
      this.byte(OP.BININT);
      this.ensure(4);
      new DataView(this.cur.buffer).setInt32(this.len, Number(n), true);
      this.len += 4;
    } else {
      // LONG1: minimal little-endian two's complement.
      const bytes: number[] = [];
      let x = n;
      for (;;) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const sign = bytes[bytes.length - 1]! & 0x80;
        if ((x === 0n && !sign) || (x === -1n && sign)) break;
      }
      this.byte(OP.LONG1);
      this.byte(bytes.length);
      this.raw(Uint8Array.from(bytes));
    }
  }

  float(v: number): void {
    this.byte(OP.BINFLOAT);
    this.ensure(8);
    new DataView(this.cur.buffer).setFloat64(this.len, v, false);
    this.len += 8;
  }

  private dtype(d: DType): void {
    this.memoized(`dtype:${d}`, () => {
      this.global('numpy', 'dtype');
      this.str(numpyTypeOf(d));
      this.byte(OP.NEWFALSE);
      this.byte(OP.NEWTRUE);
      this.byte(OP.TUPLE3);
      this.byte(OP.REDUCE);
      // (3, byte order, subarray, names, fields, elsize, alignment, flags) as NumPy writes it.
      this.byte(OP.MARK);
      this.int(3);
      this.memoized(`str:${numpyByteOrder(d)}`, () => this.str(numpyByteOrder(d)));
      this.byte(OP.NONE);
      this.byte(OP.NONE);
      this.byte(OP.NONE);
      this.int(-1);
      this.int(-1);
      this.int(0);
      this.byte(OP.TUPLE);
      this.byte(OP.BUILD);
    });
  }

  ndarray(a: NdArray, where: string): void {
    this.global('numpy.core.multiarray', '_reconstruct');
    this.global('numpy', 'ndarray');
    this.int(0);
    this.byte(OP.TUPLE1);
    this.bytes(Uint8Array.of(0x62), where); // b'b'
    this.byte(OP.TUPLE3);
    this.byte(OP.REDUCE);
    this.byte(OP.MARK);
    this.int(1);
    this.byte(OP.MARK);
    for (const d of a.shape) this.int(d);
    this.byte(OP.TUPLE);
    this.dtype(a.dtype);
    this.byte(OP.NEWFALSE);
    this.bytes(littleEndianBytes(a.data), where);
    this.byte(OP.TUPLE);
    this.byte(OP.BUILD);
  }

  value(v: PicklableValue, where: string): void {
    if (v === null) return this.byte(OP.NONE);
    switch (typeof v) {
      case 'boolean':
        return this.byte(v ? OP.NEWTRUE : OP.NEWFALSE);
      case 'number':
        // Integral numbers become Python ints (wrap in PyFloat to keep a float); -0 stays a float.
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) return this.int(v);
        return this.float(v);
      case 'bigint':
        return this.int(v);
      case 'string':
        return this.str(v);
      case 'object':
        break;
      default:
        throw new TypeError(`pickle: ${where} is ${typeof v}, which has no Python equivalent`);
    }
    if (v instanceof PyFloat) return this.float(v.value);
    if (v instanceof NdArray) return this.ndarray(v, where);
    if (v instanceof Uint8Array) return this.bytes(v, where);
    if (this.active.has(v)) throw new TypeError(`pickle: ${where} contains itself; recursive structures cannot be saved`);
    this.active.add(v);
    try {
      if (v instanceof PyTupleValue) {
        this.byte(OP.MARK);
        v.items.forEach((x, i) => this.value(x, `${where}[${i}]`));
        this.byte(OP.TUPLE);
      } else if (Array.isArray(v)) {
        this.byte(OP.EMPTY_LIST);
        for (let s = 0; s < v.length; s += BATCH) {
          this.byte(OP.MARK);
          for (let i = s; i < Math.min(v.length, s + BATCH); i++) this.value(v[i]!, `${where}[${i}]`);
          this.byte(OP.APPENDS);
        }
      } else {
        const entries: [string, PicklableValue][] =
          v instanceof Map ? [...v.entries()] : isPlainObject(v) ? Object.entries(v) : unsupported(v, where);
        this.byte(OP.EMPTY_DICT);
        for (let s = 0; s < entries.length; s += BATCH) {
          this.byte(OP.MARK);
          for (let i = s; i < Math.min(entries.length, s + BATCH); i++) {
            const [k, x] = entries[i]!;
            if (typeof k !== 'string') throw new TypeError(`pickle: ${where} has a key of type ${typeof k}; keys must be strings`);
            this.str(k);
            this.value(x, `${where}[${JSON.stringify(k)}]`);
          }
          this.byte(OP.SETITEMS);
        }
      }
    } finally {
      this.active.delete(v);
    }
  }
}

function isPlainObject(v: object): v is Record<string, PicklableValue> {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

function unsupported(v: object, where: string): never {
  const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  throw new TypeError(`pickle: ${where} is a ${name}, which cannot be saved (expected a tensor, array, number, string, list or dict)`);
}
