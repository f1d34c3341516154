/**
 * Decoding and encoding of Paddle's ProgramDesc (`__model__`, `*.pdmodel`) with protobufjs and the
 * union schema of framework.proto.ts, into plain objects that the executor and tools read.
 *
 * Decoding errors carry the byte offset where protobufjs stopped and the chain of messages it was
 * in; the checks after decoding (a var without a name, an attribute without a type, ...) name the
 * block, op and attribute instead, since a well-formed message has no single wrong byte.
 */
import * as protobuf from 'protobufjs';
import type { AttrValue } from '../kernels/registry';
import { ModelFormatError, ProgramError } from './errors';
import { FRAMEWORK_PROTO } from './framework.proto';

/** `AttrType` of framework.proto. */
export const AttrType = {
  INT: 0,
  FLOAT: 1,
  STRING: 2,
  INTS: 3,
  FLOATS: 4,
  STRINGS: 5,
  BOOLEAN: 6,
  BOOLEANS: 7,
  BLOCK: 8,
  LONG: 9,
  BLOCKS: 10,
  LONGS: 11,
  FLOAT64S: 12,
  VAR: 13,
  VARS: 14,
  FLOAT64: 15,
  SCALAR: 16,
  SCALARS: 17,
} as const;

/** Marks an attribute whose AttrType is missing or newer than this schema. */
export const UNKNOWN_ATTR_TYPE = -1;

export const ATTR_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AttrType).map(([k, v]) => [v, k]));

/** `VarType.Type` of framework.proto: element types and variable kinds share one enum. */
export const VarKind = {
  BOOL: 0,
  INT16: 1,
  INT32: 2,
  INT64: 3,
  FP16: 4,
  FP32: 5,
  FP64: 6,
  LOD_TENSOR: 7,
  SELECTED_ROWS: 8,
  FEED_MINIBATCH: 9,
  FETCH_LIST: 10,
  STEP_SCOPES: 11,
  LOD_RANK_TABLE: 12,
  LOD_TENSOR_ARRAY: 13,
  PLACE_LIST: 14,
  READER: 15,
  RAW: 17,
  TUPLE: 18,
  SIZE_T: 19,
  UINT8: 20,
  INT8: 21,
  BF16: 22,
  COMPLEX64: 23,
  COMPLEX128: 24,
  STRING: 25,
  STRINGS: 26,
  VOCAB: 27,
  FEED_LIST: 28,
  PSTRING: 29,
  SPARSE_COO: 30,
  SPARSE_CSR: 31,
} as const;

export const VAR_KIND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(VarKind).map(([k, v]) => [v, k]));

/** One attribute as stored: its declared AttrType and the value of the field that type selects. */
export interface AttrDesc {
  type: number;
  value: AttrValue;
}

export interface OpDesc {
  type: string;
  /** Variable names by input slot, in order; an empty list is a slot left unset. */
  inputs: Record<string, string[]>;
  outputs: Record<string, string[]>;
  attrs: Record<string, AttrDesc>;
}

export interface VarDesc {
  name: string;
  /** VarType.Type of the variable: LOD_TENSOR (7) for tensors, FEED_MINIBATCH (9), FETCH_LIST (10), ... */
  kind: number;
  /** Element type (VarType.Type 0-6, 19-24) of a tensor variable. */
  dataType?: number;
  /** Extents of a tensor variable; -1 marks one known only at run time. */
  dims?: number[];
  lodLevel: number;
  persistable: boolean;
  needCheckFeed: boolean;
}

export interface BlockDesc {
  idx: number;
  parentIdx: number;
  /** Variables by name, in file order. */
  vars: Map<string, VarDesc>;
  /** Ops in execution order. */
  ops: OpDesc[];
  forwardBlockIdx: number;
}

export interface ProgramDesc {
  blocks: BlockDesc[];
  /** The saving Paddle version as major·1e6 + minor·1e3 + patch; undefined when the file has none (old 1.x). */
  version?: number;
  /** How often each op's definition had been upgraded when the program was saved (2.0+). */
  opVersions: Record<string, number>;
}

// ---- the protobufjs schema ----------------------------------------------------------------------

interface Schema {
  program: protobuf.Type;
  tensorDesc: protobuf.Type;
}

let schema: Schema | undefined;

/** Position and message chain of a protobufjs failure, attached while the error unwinds. */
interface DecodeTrace {
  oarProtoPath?: string[];
  oarProtoPos?: number;
}

function getSchema(): Schema {
  if (schema) return schema;
  const root = protobuf.parse(FRAMEWORK_PROTO, { keepCase: true }).root;
  root.resolveAll();
  // Each message type's generated decoder calls `types[i].decode` for nested messages; wrapping
  // those methods records which message was being read and at which byte when a read fails.
  const wrap = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        obj.setup();
        const name = obj.fullName.replace(/^\.paddle\.framework\.proto\./, '');
        const inner = obj.decode;
        obj.decode = function (this: protobuf.Type, ...args: unknown[]) {
          const reader = args[0] as protobuf.Reader;
          try {
            return (inner as (...a: unknown[]) => protobuf.Message).apply(this, args);
          } catch (e) {
            const t = e as DecodeTrace;
            if (e !== null && typeof e === 'object') {
              if (t.oarProtoPos === undefined) t.oarProtoPos = reader instanceof protobuf.Reader ? reader.pos : 0;
              (t.oarProtoPath ??= []).unshift(name);
            }
            throw e;
          }
        } as typeof obj.decode;
      }
      if (obj instanceof protobuf.Namespace) wrap(obj);
    }
  };
  wrap(root);
  schema = {
    program: root.lookupType('paddle.framework.proto.ProgramDesc'),
    tensorDesc: root.lookupType('paddle.framework.proto.VarType.TensorDesc'),
  };
  return schema;
}

/** The protobufjs type of ProgramDesc, for tools that want the raw messages. */
export function programDescType(): protobuf.Type {
  return getSchema().program;
}

/** Explains a protobufjs decoding failure in the terms of the format. */
function describeDecodeFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const path = (e as DecodeTrace | null)?.oarProtoPath?.join(' > ');
  let what: string;
  if (/index out of range/.test(msg)) {
    what = 'a field runs past the end of its message or of the file (truncated or corrupt data)';
  } else if (/invalid wire type/.test(msg)) {
    what = 'an invalid protobuf wire type (corrupt data)';
  } else if (/invalid varint/.test(msg)) {
    what = 'a varint longer than 10 bytes (corrupt data)';
  } else if (/max depth/.test(msg)) {
    what = 'messages nested deeper than protobuf allows (corrupt data)';
  } else {
    what = 'undecodable protobuf data';
  }
  return `${what}${path ? ` while reading ${path}` : ''} (protobuf: ${msg})`;
}

/** Decodes `bytes` as `type`, turning any protobuf failure into a ModelFormatError at its offset. */
function decodeMessage(type: protobuf.Type, bytes: Uint8Array, file: string, base = 0, expected: string): Record<string, unknown> {
  const reader = protobuf.Reader.create(bytes);
  let msg: protobuf.Message;
  try {
    msg = type.decode(reader);
  } catch (e) {
    const pos = (e as DecodeTrace | null)?.oarProtoPos ?? reader.pos;
    throw new ModelFormatError(file, base + Math.min(pos, bytes.length), `${expected}: ${describeDecodeFailure(e)}`);
  }
  return type.toObject(msg, { longs: String, enums: Number, defaults: false, arrays: true }) as Record<string, unknown>;
}

/** A TensorDesc {data_type, dims} as the parameter records embed it (§3 field 7). */
export function decodeTensorDesc(bytes: Uint8Array, file: string, offset: number): { dataType?: number; dims: number[] } {
  const m = decodeMessage(getSchema().tensorDesc, bytes, file, offset, 'expected a VarType.TensorDesc');
  return { dataType: m.data_type as number | undefined, dims: ((m.dims as string[]) ?? []).map(Number) };
}

export function encodeTensorDesc(dataType: number, dims: readonly number[]): Uint8Array {
  const t = getSchema().tensorDesc;
  return t.encode(t.fromObject({ data_type: dataType, dims: dims.map((d) => String(d)) })).finish();
}

// ---- raw messages -> plain objects --------------------------------------------------------------

type Raw = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

function longValue(v: unknown): number | bigint {
  const b = BigInt(v as string | number);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function scalarValue(s: Raw | undefined, where: () => string): number | boolean {
  if (!s) throw new Error(`${where()}: SCALAR attribute has no scalar value`);
  switch (s.type as number | undefined) {
    case 1:
      return Boolean(s.b);
    case 2:
      return Number(s.i ?? 0);
    case 3:
      return num(s.r ?? 0);
    case 4:
      throw new Error(`${where()}: complex SCALAR attributes are not supported`);
    default:
      throw new Error(`${where()}: SCALAR attribute has unknown scalar type ${String(s.type)}`);
  }
}

function attrValue(a: Raw, where: () => string): AttrValue {
  const arr = <T>(k: string): T[] => (a[k] as T[] | undefined) ?? [];
  switch (a.type as number) {
    case AttrType.INT:
      return num(a.i ?? 0);
    case AttrType.FLOAT:
      return num(a.f ?? 0);
    case AttrType.STRING:
      return (a.s as string | undefined) ?? '';
    case AttrType.INTS:
      return arr<number>('ints').map(num);
    case AttrType.FLOATS:
      return arr<number>('floats').map(num);
    case AttrType.STRINGS:
      return arr<string>('strings');
    case AttrType.BOOLEAN:
      return Boolean(a.b);
    case AttrType.BOOLEANS:
      return arr<boolean>('bools').map(Boolean);
    case AttrType.BLOCK:
      return num(a.block_idx ?? 0);
    case AttrType.LONG:
      return longValue(a.l ?? 0);
    case AttrType.BLOCKS:
      return arr<number>('blocks_idx').map(num);
    case AttrType.LONGS:
      // Longs beyond 2^53 (INT64_MAX as "to the end" in slice ends) keep their magnitude as numbers.
      return arr<string>('longs').map(Number);
    case AttrType.FLOAT64S:
      return arr<number>('float64s').map(num);
    case AttrType.VAR:
      return (a.var_name as string | undefined) ?? '';
    case AttrType.VARS:
      return arr<string>('vars_name');
    case AttrType.FLOAT64:
      return num(a.float64 ?? 0);
    case AttrType.SCALAR:
      return scalarValue(a.scalar as Raw | undefined, where);
    case AttrType.SCALARS:
      return arr<Raw>('scalars').map((s) => Number(scalarValue(s, where)));
    default:
      throw new Error(`${where()}: unknown AttrType ${String(a.type)}`);
  }
}

function slotMap(list: Raw[] | undefined, where: () => string, what: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of list ?? []) {
    const slot = v.parameter as string | undefined;
    if (!slot) throw new Error(`${where()}: an ${what} slot has no name`);
    if (Object.prototype.hasOwnProperty.call(out, slot)) throw new Error(`${where()}: ${what} slot ${slot} appears twice`);
    const args = (v.arguments as string[] | undefined) ?? [];
    if (args.some((n) => n === '')) throw new Error(`${where()}: ${what} slot ${slot} names a variable with an empty name`);
    out[slot] = args;
  }
  return out;
}

function convertVar(v: Raw, where: () => string): VarDesc {
  const name = v.name as string | undefined;
  if (!name) throw new Error(`${where()}: a variable has no name`);
  const t = v.type as Raw | undefined;
  if (!t || t.type === undefined) throw new Error(`${where()}: variable "${name}" has no VarType`);
  const kind = t.type as number;
  const desc: VarDesc = {
    name,
    kind,
    lodLevel: 0,
    persistable: Boolean(v.persistable),
    needCheckFeed: Boolean(v.need_check_feed),
  };
  let tensor: Raw | undefined;
  if (kind === VarKind.LOD_TENSOR) {
    const lt = t.lod_tensor as Raw | undefined;
    tensor = lt?.tensor as Raw | undefined;
    desc.lodLevel = num(lt?.lod_level ?? 0);
    if (!tensor) throw new Error(`${where()}: tensor variable "${name}" has no TensorDesc`);
  } else if (kind === VarKind.SELECTED_ROWS) tensor = t.selected_rows as Raw | undefined;
  else if (kind === VarKind.LOD_TENSOR_ARRAY) tensor = (t.tensor_array as Raw | undefined)?.tensor as Raw | undefined;
  if (tensor) {
    desc.dataType = tensor.data_type as number | undefined;
    desc.dims = ((tensor.dims as string[] | undefined) ?? []).map(Number);
  }
  return desc;
}

function convertOp(o: Raw, where: () => string): OpDesc {
  const type = o.type as string | undefined;
  if (!type) throw new Error(`${where()}: op has no type`);
  const w = (): string => `${where()} (${type})`;
  const attrs: Record<string, AttrDesc> = {};
  for (const a of (o.attrs as Raw[] | undefined) ?? []) {
    const name = a.name as string | undefined;
    if (!name) throw new Error(`${w()}: an attribute has no name`);
    // A type this schema does not know (a newer Paddle's) decodes as absent; such an attribute
    // is an error only if the op's definition reads it (see attrs.ts).
    if (a.type === undefined) attrs[name] = { type: UNKNOWN_ATTR_TYPE, value: '' };
    else attrs[name] = { type: a.type as number, value: attrValue(a, () => `${w()}: attribute "${name}"`) };
  }
  return {
    type,
    inputs: slotMap(o.inputs as Raw[] | undefined, w, 'input'),
    outputs: slotMap(o.outputs as Raw[] | undefined, w, 'output'),
    attrs,
  };
}

/**
 * Decodes the bytes of a `__model__` / `.pdmodel` file. `file` names it in errors. Checks the
 * structure the executor relies on (names, types, block indices), not the op semantics.
 */
export function decodeProgram(bytes: Uint8Array, file = 'program'): ProgramDesc {
  const raw = decodeMessage(getSchema().program, bytes, file, 0, 'expected a ProgramDesc');
  const rawBlocks = (raw.blocks as Raw[] | undefined) ?? [];
  if (rawBlocks.length === 0) {
    throw new ProgramError(
      file,
      bytes.length === 0 ? 'the program file is empty' : 'the ProgramDesc has no blocks (not a Paddle program, or cut short)',
    );
  }
  try {
    const blocks = rawBlocks.map((b, bi): BlockDesc => {
      const vars = new Map<string, VarDesc>();
      for (const v of (b.vars as Raw[] | undefined) ?? []) {
        const d = convertVar(v, () => `block ${bi}`);
        if (vars.has(d.name)) throw new Error(`block ${bi}: variable "${d.name}" is declared twice`);
        vars.set(d.name, d);
      }
      const ops = ((b.ops as Raw[] | undefined) ?? []).map((o, oi) => convertOp(o, () => `block ${bi} op #${oi}`));
      const idx = num(b.idx ?? bi);
      if (idx !== bi) throw new Error(`block ${bi} says its index is ${idx}`);
      return { idx, parentIdx: num(b.parent_idx ?? -1), vars, ops, forwardBlockIdx: num(b.forward_block_idx ?? -1) };
    });
    const opVersions: Record<string, number> = {};
    for (const p of ((raw.op_version_map as Raw | undefined)?.pair as Raw[] | undefined) ?? []) {
      if (typeof p.op_name === 'string') opVersions[p.op_name] = num((p.op_version as Raw | undefined)?.version ?? 0);
    }
    const v = (raw.version as Raw | undefined)?.version;
    return { blocks, version: v === undefined ? undefined : Number(v), opVersions };
  } catch (e) {
    if (e instanceof ProgramError) throw e;
    throw new ProgramError(file, (e as Error).message);
  }
}

// ---- plain objects -> bytes ---------------------------------------------------------------------

function attrToRaw(name: string, a: AttrDesc): Raw {
  const r: Raw = { name, type: a.type };
  const v = a.value;
  const list = (): unknown[] => (Array.isArray(v) ? v : [v]);
  switch (a.type) {
    case AttrType.INT:
      r.i = Number(v);
      break;
    case AttrType.FLOAT:
      r.f = Number(v);
      break;
    case AttrType.STRING:
      r.s = String(v);
      break;
    case AttrType.INTS:
      r.ints = list().map(Number);
      break;
    case AttrType.FLOATS:
      r.floats = list().map(Number);
      break;
    case AttrType.STRINGS:
      r.strings = list().map(String);
      break;
    case AttrType.BOOLEAN:
      r.b = Boolean(v);
      break;
    case AttrType.BOOLEANS:
      r.bools = list().map(Boolean);
      break;
    case AttrType.BLOCK:
      r.block_idx = Number(v);
      break;
    case AttrType.LONG:
      r.l = String(typeof v === 'number' ? Math.trunc(v) : v);
      break;
    case AttrType.BLOCKS:
      r.blocks_idx = list().map(Number);
      break;
    case AttrType.LONGS:
      r.longs = list().map((x) => String(typeof x === 'number' ? Math.trunc(x) : x));
      break;
    case AttrType.FLOAT64S:
      r.float64s = list().map(Number);
      break;
    case AttrType.VAR:
      r.var_name = String(v);
      break;
    case AttrType.VARS:
      r.vars_name = list().map(String);
      break;
    case AttrType.FLOAT64:
      r.float64 = Number(v);
      break;
    case AttrType.SCALAR:
      r.scalar = typeof v === 'boolean' ? { type: 1, b: v } : { type: 3, r: Number(v) };
      break;
    case AttrType.SCALARS:
      r.scalars = list().map((x) => ({ type: 3, r: Number(x) }));
      break;
    default:
      throw new Error(`attribute "${name}": cannot encode AttrType ${a.type}`);
  }
  return r;
}

function varToRaw(v: VarDesc): Raw {
  const t: Raw = { type: v.kind };
  if (v.dataType !== undefined) {
    const tensor = { data_type: v.dataType, dims: (v.dims ?? []).map(String) };
    if (v.kind === VarKind.LOD_TENSOR) t.lod_tensor = { tensor, lod_level: v.lodLevel };
    else if (v.kind === VarKind.SELECTED_ROWS) t.selected_rows = tensor;
    else if (v.kind === VarKind.LOD_TENSOR_ARRAY) t.tensor_array = { tensor, lod_level: v.lodLevel };
  }
  const r: Raw = { name: v.name, type: t, persistable: v.persistable };
  if (v.needCheckFeed) r.need_check_feed = true;
  return r;
}

/** Serializes a program as Paddle writes `__model__` / `.pdmodel`. */
export function encodeProgram(p: ProgramDesc): Uint8Array {
  const slots = (m: Record<string, string[]>): Raw[] => Object.entries(m).map(([parameter, args]) => ({ parameter, arguments: args }));
  const raw: Raw = {
    blocks: p.blocks.map((b) => ({
      idx: b.idx,
      parent_idx: b.parentIdx,
      vars: [...b.vars.values()].map(varToRaw),
      ops: b.ops.map((o) => ({
        type: o.type,
        inputs: slots(o.inputs),
        outputs: slots(o.outputs),
        attrs: Object.entries(o.attrs).map(([n, a]) => attrToRaw(n, a)),
      })),
      forward_block_idx: b.forwardBlockIdx,
    })),
  };
  if (p.version !== undefined) raw.version = { version: String(p.version) };
  const pairs = Object.entries(p.opVersions);
  if (pairs.length) raw.op_version_map = { pair: pairs.map(([op_name, version]) => ({ op_name, op_version: { version } })) };
  const t = getSchema().program;
  return t.encode(t.fromObject(raw)).finish();
}
