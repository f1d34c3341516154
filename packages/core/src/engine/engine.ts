import type { Backend, BackendFactory } from '../backends/backend';
import {
  Dynamic,
  getKernel,
  getOpSpec,
  type Attrs,
  type AttrValue,
  type KernelFn,
  type KernelOutput,
  type OpSpec,
  type RngState,
  type SlotMap,
  type TensorMeta,
} from '../kernels/registry';
import { dtypeBytes, isFloatDType, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel, shapesEqual, type Shape } from '../tensor/shape';
import { Storage, Tensor } from '../tensor/tensor';
import { OpError } from '../utils/errors';
import { globalSingleton } from '../utils/global';
import { recordNode } from './autograd';
import { installEngine } from './ref';

export interface DeviceMemory {
  tensors: number;
  bytes: number;
}

/** An operator call checked and shaped by `Engine.prepareOp`. */
export interface PreparedOp {
  spec: OpSpec;
  /** The attributes with Paddle's defaults filled in. */
  attrs: Attrs;
  meta: SlotMap<TensorMeta>;
  kernel: KernelFn;
  backend: Backend;
  /** Draws random numbers (reserved per run). */
  random: boolean;
}

export interface MemoryInfo {
  /** Live (not disposed) tensors on all devices. */
  numTensors: number;
  /** Bytes of live buffers on all devices (shared buffers counted once). */
  numBytes: number;
  /** Per device string (`cpu`, `xpu:0`). */
  devices: Record<string, DeviceMemory & { cachedBytes: number }>;
}

/** Called after every operator runs; the static-graph tracer listens here. */
export type OpListener = (type: string, inputs: SlotMap<Tensor>, attrs: Attrs, outputs: SlotMap<Tensor>) => void;

interface Scope {
  tensors: Set<Tensor>;
}

export interface EngineFlags {
  /** Stop at the first operator output holding NaN or Inf, naming the operator. */
  checkNanInf: boolean;
  /**
   * Report tensors that were garbage-collected without being disposed, with the stack that
   * created them (a leak detector only: V8 runs finalizers late or never, so it frees nothing).
   */
  debugLeaks: boolean;
}

/**
 * Dispatch, scopes and memory accounting. One per process (on globalThis). Kernels run eagerly;
 * autograd recording is in autograd.ts and only `runOp` feeds it.
 */
export class Engine {
  private factories = new Map<string, BackendFactory>();
  private backends = new Map<string, Backend>();
  private defaultDevice = 'cpu';
  private scopes: Scope[] = [];
  private live = new Map<string, DeviceMemory>();
  private listeners = new Set<OpListener>();
  private gradDepth = 0;
  private rngKey: [number, number] = [0, 0];
  private rngOffset = 0;
  readonly flags: EngineFlags = { checkNanInf: process.env.OAR_CHECK_NAN === '1', debugLeaks: process.env.OAR_DEBUG_LEAKS === '1' };
  private leakRegistry: FinalizationRegistry<{ stack: string; storage: Storage }> | null = null;

  constructor() {
    const seed = (Date.now() ^ (process.pid << 16)) >>> 0;
    this.seed(seed);
  }

  // ---- devices ------------------------------------------------------------------------------

  registerBackend(kind: string, factory: BackendFactory): void {
    this.factories.set(kind, factory);
  }

  /** Normalizes `cpu`, `xpu`, `xpu:1` to a device string and returns its backend. */
  backend(device?: string): Backend {
    const dev = normalizeDevice(device ?? this.defaultDevice);
    let b = this.backends.get(dev);
    if (b) return b;
    const [kind, idx] = dev.split(':') as [string, string | undefined];
    const f = this.factories.get(kind);
    if (!f) {
      const known = [...this.factories.keys()].join(', ');
      const hint = kind === 'xpu' ? ' (import "@oar/xpu-backend" and call registerXpuBackend() first)' : '';
      throw new Error(`device "${dev}": no backend of kind "${kind}" is registered; registered: ${known}${hint}`);
    }
    b = f(idx === undefined ? 0 : Number(idx));
    this.backends.set(dev, b);
    return b;
  }

  setDevice(device: string): void {
    this.backend(device);
    this.defaultDevice = normalizeDevice(device);
  }

  getDevice(): string {
    return this.defaultDevice;
  }

  // ---- tensors and memory -------------------------------------------------------------------

  /** @internal called by the Tensor constructor. */
  track(t: Tensor): void {
    const m = this.deviceMem(t._storage.backend.device);
    m.tensors++;
    const top = this.scopes[this.scopes.length - 1];
    if (top) top.tensors.add(t);
    if (this.flags.debugLeaks) this.watchLeak(t);
  }

  private watchLeak(t: Tensor): void {
    this.leakRegistry ??= new FinalizationRegistry(({ stack, storage }) => {
      if (storage.refs > 0) {
        process.stderr.write(`[oar] leak: a tensor was garbage-collected without dispose(); created at\n${stack}\n`);
      }
    });
    const stack = (new Error().stack ?? '').split('\n').slice(3, 9).join('\n');
    this.leakRegistry.register(t, { stack, storage: t._storage }, t);
  }

  private deviceMem(device: string): DeviceMemory {
    let m = this.live.get(device);
    if (!m) this.live.set(device, (m = { tensors: 0, bytes: 0 }));
    return m;
  }

  /** Wraps a fresh backend buffer as a tensor (the buffer is owned by the new tensor). */
  makeTensor(backend: Backend, buffer: unknown, shape: Shape, dtype: DType): Tensor {
    const n = numel(shape);
    this.deviceMem(backend.device).bytes += n * dtypeBytes(dtype);
    return new Tensor(new Storage(backend, buffer, dtype, n), shape, dtype);
  }

  /** A tensor holding a copy of `data` on `device`. */
  fromArray(data: TypedArray, shape: Shape, dtype: DType, device?: string): Tensor {
    const b = this.backend(device);
    return this.makeTensor(b, b.fromArray(dtype, data), shape, dtype);
  }

  /** A new tensor sharing `src`'s buffer with another shape (same element count). */
  view(src: Tensor, shape: Shape): Tensor {
    src._assertLive('view');
    src._storage.refs++;
    return new Tensor(src._storage, shape, src.dtype);
  }

  /** @internal */
  disposeTensor(t: Tensor): void {
    if (t._disposed) return;
    t._disposed = true;
    this.leakRegistry?.unregister(t);
    const s = t._storage;
    const m = this.deviceMem(s.backend.device);
    m.tensors--;
    if (--s.refs === 0) {
      m.bytes -= s.numel * dtypeBytes(s.dtype);
      s.backend.free(s.buffer, s.dtype, s.numel);
    }
    if (t.grad && !t.grad._disposed) this.disposeTensor(t.grad);
    t.grad = null;
    t._node = null;
  }

  /** Replaces `dst`'s contents with `src`'s buffer (same shape and dtype); `src` is consumed. */
  assignInPlace(dst: Tensor, src: Tensor): void {
    if (!shapesEqual(dst.shape, src.shape) || dst.dtype !== src.dtype) {
      throw new Error(
        `assign: cannot replace ${fmtShape(dst.shape)} ${dst.dtype} with ${fmtShape(src.shape)} ${src.dtype}`,
      );
    }
    if (dst._storage === src._storage) return;
    const old = dst._storage;
    src._storage.refs++;
    dst._storage = src._storage;
    dst._version++;
    this.releaseStorage(old);
    this.disposeTensor(src);
  }

  private releaseStorage(s: Storage): void {
    if (--s.refs === 0) {
      this.deviceMem(s.backend.device).bytes -= s.numel * dtypeBytes(s.dtype);
      s.backend.free(s.buffer, s.dtype, s.numel);
    }
  }

  /** Releases the memory backends keep for reuse (CPU array pool, device caches). */
  emptyCache(): void {
    for (const b of this.backends.values()) b.emptyCache?.();
  }

  memory(): MemoryInfo {
    const devices: MemoryInfo['devices'] = {};
    let numTensors = 0;
    let numBytes = 0;
    for (const [dev, m] of this.live) {
      const cached = this.backends.get(dev)?.cachedBytes?.() ?? 0;
      devices[dev] = { ...m, cachedBytes: cached };
      numTensors += m.tensors;
      numBytes += m.bytes;
    }
    return { numTensors, numBytes, devices };
  }

  // ---- scopes --------------------------------------------------------------------------------

  /**
   * Runs `fn` and disposes every tensor created inside it, except the tensors it returns (in an
   * array or a plain object, at any depth) and those passed to `keep`.
   */
  tidy<T>(fn: () => T): T {
    const scope: Scope = { tensors: new Set() };
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.scopes.pop();
      for (const t of scope.tensors) if (!t._kept) this.disposeTensor(t);
      throw e;
    }
    this.scopes.pop();
    if (result instanceof Promise) {
      throw new Error('tidy(fn): fn returned a Promise; tidy only manages synchronous code');
    }
    const keepSet = new Set<Tensor>();
    collectTensors(result, keepSet);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope.tensors) {
      if (t._kept || t._disposed) continue;
      if (keepSet.has(t)) parent?.tensors.add(t);
      else this.disposeTensor(t);
    }
    return result;
  }

  /** Exempts `t` from disposal by the enclosing tidy scopes. */
  keep<T extends Tensor>(t: T): T {
    t._kept = true;
    for (const s of this.scopes) s.tensors.delete(t);
    return t;
  }

  // ---- autograd switches ---------------------------------------------------------------------

  isGradEnabled(): boolean {
    return this.gradDepth === 0;
  }

  /** Runs fn with autograd recording off (Paddle's `no_grad`). */
  noGrad<T>(fn: () => T): T {
    this.gradDepth++;
    try {
      return fn();
    } finally {
      this.gradDepth--;
    }
  }

  /** @internal used by backward(create_graph) to record while computing gradients. */
  withGradEnabled<T>(enabled: boolean, fn: () => T): T {
    const saved = this.gradDepth;
    this.gradDepth = enabled ? 0 : Math.max(saved, 1);
    try {
      return fn();
    } finally {
      this.gradDepth = saved;
    }
  }

  // ---- random numbers ------------------------------------------------------------------------

  /** Seeds the global Philox generator (Paddle's `paddle.seed`). */
  seed(n: number): void {
    const v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    this.rngKey = [Number(v & 0xffffffffn), Number(v >> 32n)];
    this.rngOffset = 0;
  }

  /** Reserves `blocks` Philox counter blocks and returns where they start. */
  reserveRandom(blocks: number): RngState {
    const st: RngState = { key: [this.rngKey[0], this.rngKey[1]], offset: this.rngOffset };
    this.rngOffset += blocks;
    return st;
  }

  getRngState(): { key: [number, number]; offset: number } {
    return { key: [this.rngKey[0], this.rngKey[1]], offset: this.rngOffset };
  }

  setRngState(s: { key: [number, number]; offset: number }): void {
    this.rngKey = [s.key[0], s.key[1]];
    this.rngOffset = s.offset;
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /** Whether an op listener (the static-graph tracer) is watching: ops run must then be Paddle's own. */
  hasOpListeners(): boolean {
    return this.listeners.size > 0;
  }

  addOpListener(l: OpListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Runs the Paddle operator `type`: fills attribute defaults, infers output metas (which checks
   * the inputs), dispatches to the kernel of the inputs' device, wraps the outputs and records
   * the call for autograd when an input needs a gradient.
   */
  runOp(type: string, inputs: SlotMap<Tensor>, attrs: Record<string, AttrValue | undefined> = {}): SlotMap<Tensor> {
    return this.runPrepared(this.prepareOp(type, inputs, attrs), inputs);
  }

  /**
   * Checks an operator call and infers its outputs without running it: the part of `runOp` that
   * depends only on the inputs' shapes, dtypes and device. A caller that runs the same call again
   * on inputs of unchanged shapes (the static executor) reuses the result with `runPrepared`.
   */
  prepareOp(type: string, inputs: SlotMap<Tensor>, attrs: Record<string, AttrValue | undefined> = {}): PreparedOp {
    const spec = getOpSpec(type);
    const fullAttrs = resolveAttrs(spec, attrs);
    const backend = this.inputsBackend(spec, inputs);
    const metaIn: SlotMap<TensorMeta> = {};
    for (const s of spec.inputs) {
      const v = inputs[s.name];
      if (v === undefined || (Array.isArray(v) && v.length === 0 && !s.list)) {
        if (!s.optional) throw new OpError(type, `required input ${s.name} is missing`);
        continue;
      }
      if (Array.isArray(v)) {
        if (!s.list) throw new OpError(type, `input ${s.name} takes one tensor, got a list of ${v.length}`);
        metaIn[s.name] = v.map((t) => ({ shape: t.shape, dtype: t.dtype }));
      } else {
        if (s.list) throw new OpError(type, `input ${s.name} takes a list of tensors, got one tensor`);
        metaIn[s.name] = { shape: v.shape, dtype: v.dtype };
      }
    }
    for (const k of Object.keys(inputs)) {
      if (inputs[k] !== undefined && !spec.inputs.some((s) => s.name === k)) {
        throw new OpError(type, `unknown input slot ${k}; slots are ${spec.inputs.map((s) => s.name).join(', ')}`);
      }
    }
    const meta = spec.inferMeta(metaIn, fullAttrs);
    const kernel = getKernel(backend.kind, type);
    if (!kernel) {
      throw new OpError(type, `no kernel for operator "${type}" on backend "${backend.kind}" (device ${backend.device})`);
    }
    const random = spec.random === true || (typeof spec.random === 'function' && spec.random(fullAttrs));
    return { spec, attrs: fullAttrs, meta, kernel, backend, random };
  }

  /** Runs a prepared call on inputs of the shapes, dtypes and device it was prepared for. */
  runPrepared(p: PreparedOp, inputs: SlotMap<Tensor>): SlotMap<Tensor> {
    const { spec, attrs, meta, backend } = p;
    let rng: RngState | undefined;
    if (p.random) {
      const first = meta[spec.outputs[0]!.name];
      const n = first ? (Array.isArray(first) ? first.reduce((a, m) => a + numel(m.shape), 0) : numel(first.shape)) : 1;
      rng = this.reserveRandom(Math.ceil(n / 2) + 1);
    }
    const raw = p.kernel(inputs, { backend, attrs, meta, rng, recording: this.gradDepth === 0 });
    const outputs = this.wrapOutputs(spec, inputs, meta, raw, backend);
    if (this.flags.checkNanInf) checkFinite(spec.type, outputs);
    if (this.gradDepth === 0 && spec.grad) recordNode(spec, inputs, outputs, attrs);
    for (const l of this.listeners) l(spec.type, inputs, attrs, outputs);
    return outputs;
  }

  private inputsBackend(spec: OpSpec, inputs: SlotMap<Tensor>): Backend {
    let device: string | undefined;
    let first = '';
    for (const s of spec.inputs) {
      const v = inputs[s.name];
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v : [v];
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (!(t instanceof Tensor)) {
          throw new OpError(spec.type, `input ${s.name}${Array.isArray(v) ? `[${i}]` : ''} is not a Tensor`);
        }
        t._assertLive(`${spec.type} input ${s.name}`);
        if (device === undefined) {
          device = t.device;
          first = s.name;
        } else if (t.device !== device) {
          throw new OpError(spec.type, `inputs are on different devices: ${first} on ${device}, ${s.name} on ${t.device}`);
        }
      }
    }
    return this.backend(device);
  }

  private wrapOutputs(
    spec: OpSpec,
    inputs: SlotMap<Tensor>,
    meta: SlotMap<TensorMeta>,
    raw: Record<string, KernelOutput | KernelOutput[]>,
    backend: Backend,
  ): SlotMap<Tensor> {
    // Operators have a handful of inputs and outputs: linear scans beat building maps per call.
    const inputTensors: Tensor[] = [];
    for (const v of Object.values(inputs)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) inputTensors.push(...v);
      else inputTensors.push(v);
    }
    // A buffer returned for two outputs must become one storage with two views, or freeing
    // both would release it twice.
    const produced: Tensor[] = [];
    const wrapOne = (slot: string, m: TensorMeta, r: KernelOutput): Tensor => {
      let buffer = r;
      let shape = m.shape;
      if (r instanceof Dynamic) {
        buffer = r.buffer;
        shape = r.shape;
      }
      if (buffer === undefined) throw new OpError(spec.type, `kernel on ${backend.kind} produced no output ${slot}`);
      const shared = inputTensors.find((t) => t._storage.buffer === buffer) ?? produced.find((t) => t._storage.buffer === buffer);
      if (shared) {
        if (numel(shape) !== shared._storage.numel || shared.dtype !== m.dtype) {
          throw new OpError(spec.type, `kernel returned input buffer for ${slot} with another size or dtype`);
        }
        return this.view(shared, shape);
      }
      const t = this.makeTensor(backend, buffer, shape, m.dtype);
      produced.push(t);
      return t;
    };
    const out: SlotMap<Tensor> = {};
    for (const s of spec.outputs) {
      const m = meta[s.name];
      if (m === undefined) continue;
      const target = spec.inplace?.[s.name];
      if (target !== undefined) {
        const dst = inputs[target] as Tensor;
        const r = raw[s.name];
        if (r !== undefined && r !== dst._storage.buffer) {
          // The backend could not update in place: adopt its new buffer.
          const fresh = wrapOne(s.name, m as TensorMeta, r);
          this.assignInPlace(dst, fresh);
        } else dst._version++;
        out[s.name] = dst;
        continue;
      }
      const r = raw[s.name];
      if (Array.isArray(m)) {
        if (!Array.isArray(r) || r.length !== m.length) {
          throw new OpError(spec.type, `kernel on ${backend.kind} returned a wrong list for output ${s.name}`);
        }
        out[s.name] = m.map((mm, i) => wrapOne(s.name, mm, r[i]));
      } else {
        out[s.name] = wrapOne(s.name, m, r);
      }
    }
    return out;
  }
}

/** Merges Paddle defaults into the given attributes; unknown names are an error. */
export function resolveAttrs(spec: OpSpec, attrs: Record<string, AttrValue | undefined>): Attrs {
  const full: Attrs = { ...spec.attrs };
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (!(k in spec.attrs)) {
      const known = Object.keys(spec.attrs);
      throw new OpError(spec.type, `unknown attribute "${k}"; attributes are ${known.length ? known.join(', ') : '(none)'}`);
    }
    full[k] = v;
  }
  return full;
}

function normalizeDevice(d: string): string {
  const s = d.trim().toLowerCase();
  const m = /^([a-z]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid device "${d}": expected "cpu", "xpu" or "xpu:N"`);
  if (m[1] === 'cpu') return 'cpu';
  return `${m[1]}:${m[2] ?? '0'}`;
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
  }
}

function checkFinite(type: string, outputs: SlotMap<Tensor>): void {
  for (const [slot, v] of Object.entries(outputs)) {
    if (v === undefined) continue;
    for (const t of Array.isArray(v) ? v : [v]) {
      if (!isFloatDType(t.dtype)) continue;
      const d = t.toFlatArray();
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) {
          throw new OpError(type, `output ${slot} (shape ${fmtShape(t.shape)}) holds ${d[i]} at flat index ${i} (checkNanInf is on)`);
        }
      }
    }
  }
}

export const engine: Engine = globalSingleton('engine', () => new Engine());
installEngine(engine);
