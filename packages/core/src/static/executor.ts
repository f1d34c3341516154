/**
 * Runs block 0 of a Paddle program by dispatching each OpDesc to the operator registry.
 *
 * Planning happens once, in the constructor: every operator is looked up (all unsupported ones
 * are reported together, before anything runs), slots are bound to variable indices, attributes
 * are decoded and coerced, `feed`/`fetch` become bindings, and variable lifetimes give, for each
 * op, the intermediates that die after it. `run` then only walks the steps: inputs by index,
 * one `engine.runOp` per op, outputs bound or released at once. Nothing but the op outputs is
 * allocated per run, and intermediates are freed at their last use (so the accelerator's caching
 * allocator recycles their blocks within the run), which keeps live memory flat across runs.
 *
 * Outputs that only carry shapes for the backward pass (`XShape`) are never bound; outputs no
 * later op reads (batch_norm's SavedMean, dropout's Mask, ...) are released right after their op.
 * Inputs Paddle passes as tensors but Oar's operators take as attributes (reshape2 `ShapeTensor`,
 * fill_constant `ShapeTensor`/`ValueTensor`, slice `StartsTensor`, concat `AxisTensor`, ...) are
 * read from those small tensors at run time and passed as the attributes.
 */
import { engine, type PreparedOp } from '../engine/engine';
import { getKernel, getOpSpec, hasOp, type AttrValue, type Attrs, type OpSpec, type SlotMap } from '../kernels/registry';
import { dtypeFromPaddle, type DType } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { convertAttrs } from './attrs';
import { ExecutionError, ProgramError, UnsupportedOpsError, type MissingOp } from './errors';
import type { BlockDesc, OpDesc, ProgramDesc } from './proto';

export interface FeedTarget {
  /** Position in the user's inputs (the feed op's `col`). */
  col: number;
  name: string;
  /** Declared element type; undefined when the program does not say. */
  dtype?: DType;
  /** Declared dims, -1 where free (usually the batch). */
  shape: number[];
  lodLevel: number;
}

export interface FetchTarget {
  col: number;
  name: string;
  dtype?: DType;
  shape: number[];
}

export interface ExecutorOptions {
  /** The program file, for messages. */
  file?: string;
  /** Device whose kernels must exist (default: the engine's default device). */
  device?: string;
  /** Free each intermediate after its last use (default true); false keeps all until the run ends. */
  releaseEarly?: boolean;
}

/** Time spent per operator type over the profiled runs (ProgramExecutor.profile). */
export interface OpProfile {
  op: string;
  calls: number;
  totalMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  /** Share of all operators' time. */
  ratio: number;
}

export interface RunOptions {
  /** Also return the final values of these variables (for debugging; they are kept alive). */
  keep?: readonly string[];
}

export interface RunResult {
  /** One tensor per fetch target, in `col` order; the caller owns (and disposes) them. */
  outputs: Tensor[];
  /** The variables asked for with `keep`, by name; owned by the caller. */
  kept: Map<string, Tensor>;
}

interface Binding {
  slot: string;
  list: boolean;
  vars: number[];
}

/** An op input that Oar's operator takes as an attribute; read from the tensor at run time. */
interface TensorAttr {
  /** Slots in priority order (the first one present wins). */
  slots: string[];
  attr: string;
  kind: 'ints' | 'int' | 'value';
}

interface Step {
  index: number;
  type: string;
  inputs: Binding[];
  outputs: Binding[];
  attrs: Attrs;
  tensorAttrs: TensorAttr[];
  /** Variables whose current value dies after this step. */
  release: number[];
  /** The op as prepared for the input shapes of the last run (see runStep). */
  prepared?: PreparedOp;
  preparedFor?: InputMeta[];
}

const SHAPE_LIST = (attr: string, tensor: string, list: string): TensorAttr => ({ slots: [tensor, list], attr, kind: 'ints' });

/**
 * Tensor-form inputs of Paddle programs that Oar's operators take as attributes (their specs
 * reject the tensors in eager mode). Priority follows Paddle's kernels: the single tensor over the
 * list of one-element tensors over the attribute.
 */
const TENSOR_ATTRS: Record<string, TensorAttr[]> = {
  reshape2: [{ slots: ['ShapeTensor', 'Shape'], attr: 'shape', kind: 'ints' }],
  reshape: [{ slots: ['ShapeTensor', 'Shape'], attr: 'shape', kind: 'ints' }],
  fill_constant: [SHAPE_LIST('shape', 'ShapeTensor', 'ShapeTensorList'), { slots: ['ValueTensor'], attr: 'value', kind: 'value' }],
  gaussian_random: [SHAPE_LIST('shape', 'ShapeTensor', 'ShapeTensorList')],
  uniform_random: [SHAPE_LIST('shape', 'ShapeTensor', 'ShapeTensorList')],
  randint: [SHAPE_LIST('shape', 'ShapeTensor', 'ShapeTensorList')],
  slice: [SHAPE_LIST('starts', 'StartsTensor', 'StartsTensorList'), SHAPE_LIST('ends', 'EndsTensor', 'EndsTensorList')],
  strided_slice: [
    SHAPE_LIST('starts', 'StartsTensor', 'StartsTensorList'),
    SHAPE_LIST('ends', 'EndsTensor', 'EndsTensorList'),
    SHAPE_LIST('strides', 'StridesTensor', 'StridesTensorList'),
  ],
  concat: [{ slots: ['AxisTensor'], attr: 'axis', kind: 'int' }],
  split: [
    { slots: ['AxisTensor'], attr: 'axis', kind: 'int' },
    { slots: ['SectionsTensorList'], attr: 'sections', kind: 'ints' },
  ],
  unsqueeze2: [SHAPE_LIST('axes', 'AxesTensor', 'AxesTensorList')],
  unsqueeze: [SHAPE_LIST('axes', 'AxesTensor', 'AxesTensorList')],
  tile: [SHAPE_LIST('repeat_times', 'RepeatTimes', 'repeat_times_tensor')],
  expand_v2: [SHAPE_LIST('shape', 'Shape', 'expand_shapes_tensor')],
};

/** Output slots that only carry shapes for Paddle's backward pass. */
const SHAPE_ONLY_OUTPUTS = new Set(['XShape']);

function numbersOf(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number | bigint>, Number);
}

interface InputMeta {
  shape: readonly number[];
  dtype: DType;
  device: string;
}

/** Whether the inputs have the shapes, dtypes and devices of `a`, tensor by tensor. */
function sameMetas(a: readonly InputMeta[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.dtype !== y.dtype || x.device !== y.device) return false;
    const xs = x.shape;
    const ys = y.shape;
    if (xs.length !== ys.length) return false;
    for (let k = 0; k < xs.length; k++) if (xs[k] !== ys[k]) return false;
  }
  return true;
}

function describeTensor(t: Tensor | undefined): string {
  if (!t) return '(missing)';
  if (t.isDisposed) return '(disposed)';
  return `${fmtShape(t.shape)} ${t.dtype}`;
}

/** A planned, reusable execution of block 0 of a program over a fixed set of parameters. */
/**
 * Throws UnsupportedOpsError listing every operator type of `program`'s block 0 that cannot run on
 * `device` (feed and fetch aside), each with its count and first position. The Predictor checks
 * the program as loaded, so positions are the user's, before any pass rewrites it.
 */
export function checkProgramOperators(program: ProgramDesc, file: string, device: string): void {
  const block = program.blocks[0];
  if (!block) throw new ProgramError(file, 'the program has no blocks');
  const backend = engine.backend(device);
  const ops: [number, OpDesc][] = [];
  block.ops.forEach((op, i) => op.type !== 'feed' && op.type !== 'fetch' && ops.push([i, op]));
  checkOperators(file, ops, backend.kind, backend.device);
}

function checkOperators(file: string, ops: [number, OpDesc][], backendKind: string, device: string): void {
  const missing = new Map<string, MissingOp>();
  for (const [i, op] of ops) {
    const known = hasOp(op.type);
    if (known && getKernel(backendKind, op.type)) continue;
    const m = missing.get(op.type);
    if (m) m.count++;
    else missing.set(op.type, { type: op.type, count: 1, first: i, reason: known ? 'no kernel on device' : 'unknown operator' });
  }
  if (missing.size) throw new UnsupportedOpsError(file, [...missing.values()], device);
}

export class ProgramExecutor {
  readonly feeds: readonly FeedTarget[];
  readonly fetches: readonly FetchTarget[];
  /** Device the kernels were checked for. */
  readonly device: string;
  /** Per op type, stored attributes that Oar's operator does not declare and that were ignored. */
  readonly droppedAttrs: ReadonlyMap<string, readonly string[]>;

  private readonly file: string;
  private readonly steps: Step[] = [];
  private readonly varNames: string[] = [];
  private readonly varIndex = new Map<string, number>();
  private readonly paramSlots: [number, Tensor][] = [];
  private readonly feedSlots: number[];
  private readonly fetchSlots: number[];
  private values: (Tensor | undefined)[] = [];
  private owned: boolean[] = [];
  /** Per op type: calls, total, min and max ms, while profiling. */
  private timings: Map<string, [number, number, number, number]> | null = null;

  /**
   * Plans `program` against `params` (persistable variable values by name; the caller keeps
   * ownership). Throws UnsupportedOpsError listing every op that cannot run, or ProgramError for
   * the first structural problem, before anything runs.
   */
  constructor(program: ProgramDesc, params: ReadonlyMap<string, Tensor>, opts: ExecutorOptions = {}) {
    this.file = opts.file ?? 'program';
    const block = program.blocks[0];
    if (!block) throw new ProgramError(this.file, 'the program has no blocks');
    const backend = engine.backend(opts.device);
    this.device = backend.device;

    const feedOps: [number, OpDesc][] = [];
    const fetchOps: [number, OpDesc][] = [];
    const ops: [number, OpDesc][] = [];
    block.ops.forEach((op, i) => (op.type === 'feed' ? feedOps : op.type === 'fetch' ? fetchOps : ops).push([i, op]));
    checkOperators(this.file, ops, backend.kind, this.device);

    this.feeds = this.targets(block, feedOps, 'feed', 'Out').map(({ col, name }) => {
      const v = block.vars.get(name);
      return {
        col,
        name,
        dtype: v?.dataType === undefined ? undefined : dtypeFromPaddle(v.dataType),
        shape: v?.dims ?? [],
        lodLevel: v?.lodLevel ?? 0,
      };
    });
    this.fetches = this.targets(block, fetchOps, 'fetch', 'X').map(({ col, name }) => {
      const v = block.vars.get(name);
      return { col, name, dtype: v?.dataType === undefined ? undefined : dtypeFromPaddle(v.dataType), shape: v?.dims ?? [] };
    });

    // Which variables hold a value before the first op runs.
    const defined = new Set<number>();
    for (const [name, t] of params) {
      const v = this.slot(name);
      this.paramSlots.push([v, t]);
      defined.add(v);
    }
    this.feedSlots = this.feeds.map((f) => this.slot(f.name));
    for (const v of this.feedSlots) defined.add(v);
    const persistent = new Set(defined);

    const dropped = new Map<string, Set<string>>();
    for (const [index, op] of ops) {
      const step = this.planStep(index, op, defined);
      if (step.dropped.length) {
        const s = dropped.get(op.type) ?? new Set<string>();
        step.dropped.forEach((a) => s.add(a));
        dropped.set(op.type, s);
      }
      this.steps.push(step.step);
    }
    this.droppedAttrs = new Map([...dropped].map(([k, s]) => [k, [...s].sort()]));

    this.fetchSlots = this.fetches.map((f) => {
      const v = this.varIndex.get(f.name);
      if (v === undefined || !defined.has(v)) {
        throw new ProgramError(this.file, `fetch target "${f.name}" (col ${f.col}) is never written by any op, and is not a parameter or a feed`);
      }
      return v;
    });
    if (opts.releaseEarly !== false) this.planReleases(persistent);
    this.values = new Array(this.varNames.length).fill(undefined);
    this.owned = new Array(this.varNames.length).fill(false);
  }

  /** Names of all variables the plan knows, by slot index. */
  get variables(): readonly string[] {
    return this.varNames;
  }

  /** Number of ops run per `run()` (feed/fetch excluded). */
  get numSteps(): number {
    return this.steps.length;
  }

  private slot(name: string): number {
    let v = this.varIndex.get(name);
    if (v === undefined) {
      v = this.varNames.length;
      this.varNames.push(name);
      this.varIndex.set(name, v);
    }
    return v;
  }

  private where(index: number, type: string): string {
    return `op #${index} (${type})`;
  }

  private targets(block: BlockDesc, list: [number, OpDesc][], kind: 'feed' | 'fetch', slot: 'Out' | 'X'): { col: number; name: string }[] {
    const out: { col: number; name: string }[] = [];
    const seen = new Map<number, string>();
    for (const [i, op] of list) {
      const name = (kind === 'feed' ? op.outputs[slot] : op.inputs[slot])?.[0];
      const colAttr = op.attrs.col;
      const col = colAttr === undefined ? NaN : Number(colAttr.value);
      if (!name) throw new ProgramError(this.file, `${this.where(i, kind)} has no ${slot} variable`);
      if (!Number.isInteger(col) || col < 0) throw new ProgramError(this.file, `${this.where(i, kind)} has no valid "col" attribute`);
      if (seen.has(col)) throw new ProgramError(this.file, `${kind} col ${col} is used twice ("${seen.get(col)}" and "${name}")`);
      seen.set(col, name);
      if (kind === 'feed' && !block.vars.has(name)) throw new ProgramError(this.file, `feed target "${name}" has no VarDesc in block 0`);
      out.push({ col, name });
    }
    out.sort((a, b) => a.col - b.col);
    out.forEach((t, k) => {
      if (t.col !== k) throw new ProgramError(this.file, `${kind} cols are not 0..${out.length - 1} (col ${k} is missing)`);
    });
    return out;
  }

  private planStep(index: number, op: OpDesc, defined: Set<number>): { step: Step; dropped: string[] } {
    const where = this.where(index, op.type);
    const fail = (msg: string): never => {
      throw new ProgramError(this.file, `${where}: ${msg}`);
    };
    const spec: OpSpec = getOpSpec(op.type);
    const inputs: Binding[] = [];
    for (const [slot, names] of Object.entries(op.inputs)) {
      if (names.length === 0) continue;
      const s = spec.inputs.find((x) => x.name === slot);
      if (!s) {
        fail(`input slot ${slot} (${names.join(', ')}) is not one Oar's ${op.type} takes (it takes ${spec.inputs.map((x) => x.name).join(', ') || 'none'})`);
      }
      if (!s!.list && names.length > 1) fail(`input slot ${slot} takes one variable, the program gives ${names.length}`);
      const vars = names.map((n) => {
        const v = this.varIndex.get(n);
        if (v === undefined || !defined.has(v)) {
          fail(`input ${slot} reads variable "${n}", which no earlier op writes and which is neither a parameter nor a feed`);
        }
        return v!;
      });
      inputs.push({ slot, list: Boolean(s!.list), vars });
    }
    for (const s of spec.inputs) {
      if (!s.optional && !inputs.some((b) => b.slot === s.name)) fail(`required input ${s.name} is not given`);
    }
    let converted: ReturnType<typeof convertAttrs>;
    try {
      converted = convertAttrs(op.attrs, spec.attrs);
    } catch (e) {
      return fail((e as Error).message);
    }
    const outputs: Binding[] = [];
    for (const [slot, names] of Object.entries(op.outputs)) {
      if (names.length === 0 || SHAPE_ONLY_OUTPUTS.has(slot)) continue;
      const s = spec.outputs.find((x) => x.name === slot);
      // An output Oar's operator does not produce stays undefined; a later reader fails above.
      if (!s) continue;
      if (!s.list && names.length > 1) fail(`output slot ${slot} takes one variable, the program gives ${names.length}`);
      const vars = names.map((n) => this.slot(n));
      vars.forEach((v) => defined.add(v));
      outputs.push({ slot, list: Boolean(s.list), vars });
    }
    const tensorAttrs = (TENSOR_ATTRS[op.type] ?? []).filter((ta) => ta.slots.some((sl) => inputs.some((b) => b.slot === sl)));
    const step: Step = {
      index,
      type: op.type,
      inputs,
      outputs,
      attrs: Object.freeze(converted!.attrs) as Attrs,
      tensorAttrs,
      release: [],
    };
    return { step, dropped: converted!.dropped };
  }

  /**
   * Lifetimes: each write starts a new value of a variable; a value dies after its last reader
   * (or its writer, when nothing reads it). Parameters, feeds and the fetched values never die.
   */
  private planReleases(persistent: Set<number>): void {
    const n = this.varNames.length;
    const lastUse = new Int32Array(n).fill(-1);
    const live = new Uint8Array(n);
    const keep = new Set<number>([...persistent, ...this.fetchSlots]);
    const close = (v: number, final: boolean): void => {
      if (persistent.has(v) || (final && keep.has(v))) return;
      this.steps[lastUse[v]!]!.release.push(v);
    };
    this.steps.forEach((st, i) => {
      for (const b of st.inputs) for (const v of b.vars) lastUse[v] = i;
      for (const b of st.outputs) {
        for (const v of b.vars) {
          // A value last read before this op dies at that read; one read by this op too is
          // replaced (and freed) when this op's output is bound.
          if (live[v] && lastUse[v]! < i) close(v, false);
          live[v] = 1;
          lastUse[v] = i;
        }
      }
    });
    for (let v = 0; v < n; v++) if (live[v]) close(v, true);
  }

  /**
   * Runs the program. `inputs` are the feed tensors by name (the caller keeps them); returns the
   * fetch targets in `col` order, owned by the caller.
   */
  run(inputs: ReadonlyMap<string, Tensor> | Record<string, Tensor>, opts: RunOptions = {}): RunResult {
    const get = (name: string): Tensor | undefined => (inputs instanceof Map ? inputs.get(name) : (inputs as Record<string, Tensor>)[name]);
    const values = this.values;
    const owned = this.owned;
    values.fill(undefined);
    owned.fill(false);
    for (const [v, t] of this.paramSlots) values[v] = t;
    this.feeds.forEach((f, k) => {
      const t = get(f.name);
      if (!t) throw new Error(`input "${f.name}" (feed col ${f.col}) was not given`);
      this.checkFeed(f, t);
      values[this.feedSlots[k]!] = t;
    });
    const keepSlots = new Set<number>();
    for (const name of opts.keep ?? []) {
      const v = this.varIndex.get(name);
      if (v === undefined) throw new Error(`keep: the program has no variable "${name}"`);
      keepSlots.add(v);
    }
    try {
      engine.noGrad(() => {
        if (this.timings) this.runTimed(keepSlots, this.timings);
        else for (const st of this.steps) this.runStep(st, keepSlots);
      });
    } catch (e) {
      this.releaseAll();
      throw e;
    }
    const take = (v: number): Tensor => {
      const t = values[v]!;
      if (owned[v]) {
        owned[v] = false;
        return t;
      }
      // Parameters and feeds stay the caller's / the model's: hand out a view.
      return engine.view(t, t.shape);
    };
    const outputs = this.fetchSlots.map((v, k) => {
      if (!values[v]) throw new Error(`fetch target "${this.fetches[k]!.name}" holds no value after the run`);
      return take(v);
    });
    const kept = new Map<string, Tensor>();
    for (const v of keepSlots) if (values[v]) kept.set(this.varNames[v]!, take(v));
    this.releaseAll();
    return { outputs, kept };
  }

  /**
   * Starts (or, with false, stops) timing every operator of later runs (Paddle Inference's
   * profile). Each step waits for the device before its time is taken, so on an accelerator the
   * times are the kernels' and the runs are slower than unprofiled ones. Restarting clears the
   * figures.
   */
  setProfiling(on: boolean): void {
    this.timings = on ? new Map() : null;
  }

  /** The figures since profiling started, the most expensive operator first. */
  profile(): OpProfile[] {
    if (!this.timings) return [];
    let all = 0;
    for (const [, t] of this.timings) all += t[1];
    return [...this.timings]
      .map(([op, [calls, total, min, max]]) => ({ op, calls, totalMs: total, minMs: min, maxMs: max, meanMs: total / calls, ratio: all > 0 ? total / all : 0 }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  private runTimed(keepSlots: Set<number>, timings: Map<string, [number, number, number, number]>): void {
    const backend = engine.backend(this.device);
    for (const st of this.steps) {
      const t0 = performance.now();
      this.runStep(st, keepSlots);
      backend.synchronize();
      const ms = performance.now() - t0;
      const t = timings.get(st.type);
      if (t) {
        t[0]++;
        t[1] += ms;
        if (ms < t[2]) t[2] = ms;
        if (ms > t[3]) t[3] = ms;
      } else timings.set(st.type, [1, ms, ms, ms]);
    }
  }

  private checkFeed(f: FeedTarget, t: Tensor): void {
    if (f.dtype && t.dtype !== f.dtype) throw new Error(`input "${f.name}" must be ${f.dtype}, got ${t.dtype}`);
    if (t.device !== this.device) throw new Error(`input "${f.name}" is on ${t.device}, the program runs on ${this.device}`);
    // Like Paddle Inference, only the rank is checked: exported programs often declare the
    // spatial extents they were traced with, and feeding other sizes is legitimate.
    const want = f.shape;
    if (want.length !== 0 && want.length !== t.shape.length) {
      throw new Error(`input "${f.name}" must have rank ${want.length} (declared ${fmtShape(want)}), got ${fmtShape(t.shape)}`);
    }
  }

  private releaseAll(): void {
    for (let v = 0; v < this.values.length; v++) {
      if (this.owned[v]) this.values[v]!.dispose();
      this.values[v] = undefined;
      this.owned[v] = false;
    }
  }

  private runStep(st: Step, keepSlots: Set<number>): void {
    const values = this.values;
    const owned = this.owned;
    const ins: SlotMap<Tensor> = {};
    const inputTensors: Tensor[] = [];
    for (const b of st.inputs) {
      const ts = b.vars.map((v) => {
        const t = values[v];
        if (!t) {
          throw new ExecutionError(st.index, st.type, `${this.file}: ${this.where(st.index, st.type)}: input ${b.slot} variable "${this.varNames[v]}" holds no value (the op that writes it did not produce it)`);
        }
        inputTensors.push(t);
        return t;
      });
      ins[b.slot] = b.list ? ts : ts[0];
    }
    let attrs: Record<string, AttrValue> = st.attrs;
    let outs: SlotMap<Tensor>;
    let outer: string | undefined;
    try {
      if (st.tensorAttrs.length) attrs = this.resolveTensorAttrs(st, ins, attrs);
      // An op left without tensor inputs (fill_constant, its shape tensors read into attributes)
      // runs on the engine's default device: make that the program's device for the call, so its
      // output lands beside the tensors it meets later.
      if (engine.getDevice() !== this.device && !Object.values(ins).some((v) => v !== undefined)) {
        outer = engine.getDevice();
        engine.setDevice(this.device);
      }
      if (st.tensorAttrs.length) {
        outs = engine.runOp(st.type, ins, attrs);
      } else {
        // Checks and shape inference depend only on the inputs' shapes, dtypes and device: a run
        // with the shapes of the previous one reuses them.
        if (!st.prepared || !sameMetas(st.preparedFor!, inputTensors)) {
          st.prepared = engine.prepareOp(st.type, ins, attrs);
          st.preparedFor = inputTensors.map((t) => ({ shape: t.shape, dtype: t.dtype, device: t.device }));
        }
        outs = engine.runPrepared(st.prepared, ins);
      }
    } catch (e) {
      const args = st.inputs
        .map((b) => `${b.slot}=${b.vars.map((v) => `${this.varNames[v]} ${describeTensor(values[v])}`).join(', ')}`)
        .join('; ');
      throw new ExecutionError(
        st.index,
        st.type,
        `${this.file}: ${this.where(st.index, st.type)} failed (inputs ${args || 'none'}): ${(e as Error)?.message ?? String(e)}`,
        e,
      );
    } finally {
      if (outer !== undefined) engine.setDevice(outer);
    }
    const bound = new Set<Tensor>();
    for (const b of st.outputs) {
      const r = outs[b.slot];
      if (r === undefined) continue;
      const list = Array.isArray(r) ? r : [r];
      if (list.length !== b.vars.length) {
        throw new ExecutionError(st.index, st.type, `${this.file}: ${this.where(st.index, st.type)}: output ${b.slot} has ${list.length} tensors, the program names ${b.vars.length} variables`);
      }
      b.vars.forEach((v, k) => {
        let t = list[k]!;
        const old = values[v];
        if (old === t) return; // updated in place (batch_norm MeanOut into Mean)
        if (inputTensors.includes(t)) t = engine.view(t, t.shape); // in place, but into another variable
        if (old && owned[v]) old.dispose();
        values[v] = t;
        owned[v] = true;
        bound.add(t);
      });
    }
    // Outputs no variable takes (XShape-like, or slots the program leaves unset).
    for (const r of Object.values(outs)) {
      if (r === undefined) continue;
      for (const t of Array.isArray(r) ? r : [r]) if (!bound.has(t) && !inputTensors.includes(t)) t.dispose();
    }
    for (const v of st.release) {
      if (keepSlots.has(v)) continue;
      if (owned[v]) values[v]!.dispose();
      values[v] = undefined;
      owned[v] = false;
    }
  }

  private resolveTensorAttrs(st: Step, ins: SlotMap<Tensor>, attrs: Record<string, AttrValue>): Record<string, AttrValue> {
    const out = { ...attrs };
    for (const ta of st.tensorAttrs) {
      const slot = ta.slots.find((s) => ins[s] !== undefined);
      if (slot === undefined) continue;
      const v = ins[slot]!;
      // A list slot holds one-element tensors (a 0-d or [1] tensor each); a single one holds all.
      const nums = Array.isArray(v) ? v.map((t) => numbersOf(t)[0]!) : numbersOf(v);
      if (ta.kind === 'ints') out[ta.attr] = nums;
      else if (ta.kind === 'int') out[ta.attr] = nums[0]!;
      else {
        const t = v as Tensor;
        out[ta.attr] = nums[0]!;
        // Keep int64 values exact: fill_constant parses str_value before value.
        if ('str_value' in out) out.str_value = String((t.dataSync() as ArrayLike<number | bigint>)[0]);
      }
    }
    for (const ta of st.tensorAttrs) for (const s of ta.slots) delete ins[s];
    return out;
  }
}
