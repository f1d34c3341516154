/**
 * Paddle Inference's Predictor over the static executor: `createPredictor(config)`, input and
 * output handles found from the program's feed and fetch ops (by `col`), `run()`.
 *
 *   const predictor = createPredictor(new Config('resnet50.tar.gz'));
 *   const input = predictor.getInputHandle(predictor.getInputNames()[0]);
 *   input.reshape([1, 3, 224, 224]);
 *   input.copyFromCpu(pixels);
 *   predictor.run();
 *   const probs = predictor.getOutputHandle(predictor.getOutputNames()[0]).copyToCpu();
 *
 * The program is planned once; runs reuse the plan, the parameters, and the input tensors (an
 * input of unchanged shape is copied into its existing buffer).
 */
import { buf, fromNumbers } from '../backends/cpu/backend';
import { setCpuMathThreads } from '../backends/cpu/threads';
import { engine } from '../engine/engine';
import { allocArray, dtypeOfArray, isFloatDType, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel, shapesEqual } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { checkProgramOperators, ProgramExecutor, type FeedTarget, type FetchTarget, type OpProfile } from '../static/executor';
import { loadInferenceModel, paramsToTensors, readParams, type LoadedModel } from '../static/loader';
import { optimizeProgram, type AppliedPass } from '../static/passes';
import { decodeProgram } from '../static/proto';
import { Config } from './config';

/** Host data accepted by `copyFromCpu`. */
export type HostData = TypedArray | readonly number[] | readonly bigint[];

/** Parameters shared by a predictor and its clones; freed with the last of them. */
class SharedModel {
  refs = 1;
  constructor(readonly model: LoadedModel) {}
  release(): void {
    if (--this.refs === 0) for (const t of this.model.params.values()) t.dispose();
  }
}

/** Paddle's `paddle.inference.Tensor`: a named input or output of a predictor. */
export class InferTensor {
  /** @internal */ _tensor: Tensor | undefined;
  private _shape: number[] | undefined;

  /** @internal */
  constructor(
    private readonly _name: string,
    private readonly target: FeedTarget | FetchTarget,
    private readonly isInput: boolean,
    private readonly device: string,
  ) {}

  name(): string {
    return this._name;
  }

  /** The element type: the program's declared one, or that of the data given. */
  type(): DType | undefined {
    return this._tensor?.dtype ?? this.target.dtype;
  }

  /** The current shape: set by `reshape`, by the data copied in, or by the last run. */
  shape(): number[] {
    if (this.isInput && this._shape) return [...this._shape];
    if (this._tensor) return [...this._tensor.shape];
    return [...this.target.shape];
  }

  /** Sets the shape of the next `copyFromCpu` (inputs only). */
  reshape(shape: readonly number[]): void {
    if (!this.isInput) throw new Error(`output "${this._name}": reshape() applies to inputs`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`input "${this._name}": reshape(${fmtShape(shape)}) needs non-negative integer extents`);
    }
    // Rank only, as the executor checks: declared extents are those the model was exported with.
    const want = this.target.shape;
    if (want.length && want.length !== shape.length) {
      throw new Error(`input "${this._name}": the program declares rank ${want.length} (${fmtShape(want)}), reshape(${fmtShape(shape)}) has rank ${shape.length}`);
    }
    this._shape = [...shape];
  }

  /** Copies host data into the input, in row-major order, converting numbers to its dtype. */
  copyFromCpu(data: HostData): void {
    if (!this.isInput) throw new Error(`output "${this._name}": copyFromCpu() applies to inputs`);
    const shape = this._shape ?? (this.target.shape.length && this.target.shape.every((d) => d >= 0) ? this.target.shape : undefined);
    if (!shape) {
      throw new Error(`input "${this._name}": its shape ${fmtShape(this.target.shape)} has free extents; call reshape() before copyFromCpu()`);
    }
    if (data.length !== numel(shape)) {
      throw new Error(`input "${this._name}": ${data.length} values given for shape ${fmtShape(shape)} (${numel(shape)} elements)`);
    }
    const dtype = this.target.dtype ?? (ArrayBuffer.isView(data) ? dtypeOfArray(data as TypedArray) : 'float32');
    const arr = toStorage(this._name, data, dtype);
    const t = this._tensor;
    // Same shape on the CPU, and no view of the buffer left elsewhere: write in place.
    if (t && !t.isDisposed && t.dtype === dtype && shapesEqual(t.shape, shape) && t.device === 'cpu' && t._storage.refs === 1) {
      (buf(t) as Float32Array).set(arr as Float32Array);
      t._version++;
      return;
    }
    t?.dispose();
    this._tensor = engine.keep(engine.fromArray(arr, shape, dtype, this.device));
  }

  /** A host copy of the data (outputs after `run()`, or an input's current data). */
  copyToCpu(): TypedArray {
    if (!this._tensor) {
      throw new Error(this.isInput ? `input "${this._name}" holds no data yet` : `output "${this._name}": call predictor.run() first`);
    }
    return this._tensor.dataSync();
  }

  /** Level-of-detail offsets: Oar runs dense tensors only, so always empty. */
  lod(): number[][] {
    return [];
  }

  /** @internal */
  _set(t: Tensor | undefined): void {
    if (this._tensor && this._tensor !== t) this._tensor.dispose();
    this._tensor = t;
  }
}

function toStorage(name: string, data: HostData, dtype: DType): TypedArray {
  if (ArrayBuffer.isView(data)) {
    const a = data as TypedArray;
    const given = dtypeOfArray(a);
    if (given === dtype || (dtype === 'bool' && a instanceof Uint8Array)) return a;
    const floatIn = a instanceof Float32Array || a instanceof Float64Array;
    if (floatIn !== isFloatDType(dtype)) {
      throw new Error(`input "${name}" is ${dtype}; got a ${a.constructor.name} (convert the values explicitly)`);
    }
    if (a instanceof BigInt64Array) return fromNumbers(dtype, Array.from(a, Number));
    return fromNumbers(dtype, a as ArrayLike<number>);
  }
  const list = data as readonly (number | bigint)[];
  if (dtype === 'int64') {
    const out = allocArray('int64', list.length) as BigInt64Array;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      out[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    }
    return out;
  }
  return fromNumbers(dtype, list.map(Number));
}

export class Predictor {
  private readonly inputs = new Map<string, InferTensor>();
  private readonly outputs = new Map<string, InferTensor>();
  private disposed = false;
  /** The IR passes that ran, the fusions each made and the ops each removed (empty with IR optimization off). */
  passes: readonly AppliedPass[] = [];
  /** Ops of the program as loaded (executor.numSteps counts those left after the passes). */
  loadedOps = 0;

  /** @internal use createPredictor */
  constructor(
    readonly config: Config,
    private readonly shared: SharedModel,
    /** The planned program. */
    readonly executor: ProgramExecutor,
  ) {
    for (const f of executor.feeds) this.inputs.set(f.name, new InferTensor(f.name, f, true, executor.device));
    for (const f of executor.fetches) this.outputs.set(f.name, new InferTensor(f.name, f, false, executor.device));
    if (config.profileEnabled()) executor.setProfiling(true);
  }

  /** Per operator type, the time of the runs so far (with `config.enableProfile()`; else empty). */
  profile(): OpProfile[] {
    return this.executor.profile();
  }

  /** profile() as a table, like the one Paddle Inference prints. */
  profileReport(): string {
    const rows = this.profile();
    if (!rows.length) return this.config.profileEnabled() ? 'no runs profiled yet' : 'profiling is off (config.enableProfile())';
    const total = rows.reduce((n, r) => n + r.totalMs, 0);
    const head = ['op', 'calls', 'total ms', 'min ms', 'max ms', 'mean ms', 'ratio'];
    const body = rows.map((r) => [r.op, String(r.calls), r.totalMs.toFixed(3), r.minMs.toFixed(3), r.maxMs.toFixed(3), r.meanMs.toFixed(3), `${(r.ratio * 100).toFixed(1)}%`]);
    body.push(['all operators', String(rows.reduce((n, r) => n + r.calls, 0)), total.toFixed(3), '', '', '', '100.0%']);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
    return [line(head), ...body.map(line)].join('\n');
  }

  /** The program file the predictor runs. */
  get programFile(): string {
    return this.shared.model.programFile;
  }

  /** Feed target names, in `col` order. */
  getInputNames(): string[] {
    return this.executor.feeds.map((f) => f.name);
  }

  /** Fetch target names, in `col` order. */
  getOutputNames(): string[] {
    return this.executor.fetches.map((f) => f.name);
  }

  getInputHandle(name: string): InferTensor {
    const h = this.inputs.get(name);
    if (!h) throw new Error(`the model has no input "${name}"; inputs: ${this.getInputNames().join(', ')}`);
    return h;
  }

  getOutputHandle(name: string): InferTensor {
    const h = this.outputs.get(name);
    if (!h) throw new Error(`the model has no output "${name}"; outputs: ${this.getOutputNames().join(', ')}`);
    return h;
  }

  /** Runs the program on the inputs copied in; outputs are read with getOutputHandle(). */
  run(): void {
    if (this.disposed) throw new Error('Predictor.run: the predictor was disposed');
    const feeds = new Map<string, Tensor>();
    for (const [name, h] of this.inputs) {
      if (!h._tensor) throw new Error(`input "${name}" was not set: call getInputHandle("${name}").copyFromCpu(...) before run()`);
      feeds.set(name, h._tensor);
    }
    const { outputs } = this.executor.run(feeds);
    this.executor.fetches.forEach((f, k) => this.outputs.get(f.name)!._set(engine.keep(outputs[k]!)));
  }

  /** A predictor sharing this one's parameters, with its own plan and input/output handles (one per thread of work). */
  clone(): Predictor {
    if (this.disposed) throw new Error('Predictor.clone: the predictor was disposed');
    this.shared.refs++;
    const ex = new ProgramExecutor(this.shared.model.program, this.shared.model.params, {
      file: this.shared.model.programFile,
      device: this.executor.device,
      releaseEarly: this.config.memoryOptimEnabled(),
    });
    const p = new Predictor(this.config, this.shared, ex);
    p.passes = this.passes;
    p.loadedOps = this.loadedOps;
    return p;
  }

  /** Frees inputs, outputs and (with the last clone) the parameters. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of [...this.inputs.values(), ...this.outputs.values()]) h._set(undefined);
    this.shared.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Loads the model of `config` and plans its program (Paddle's `create_predictor`). */
export function createPredictor(config: Config): Predictor {
  const threads = config.cpuMathLibraryNumThreads();
  if (threads > 0) setCpuMathThreads(threads);
  const device = engine.backend(config.device()).device;
  let model: LoadedModel;
  let applied: AppliedPass[] = [];
  const mem = config.modelBuffers();
  if (mem) {
    const program = decodeProgram(mem.program, 'program buffer');
    const records = readParams(program, { kind: 'combined', file: 'params buffer', bytes: mem.params }, 'program buffer');
    model = { program, programFile: 'program buffer', paramsFrom: 'params buffer', params: paramsToTensors(records, device), device };
  } else {
    const dir = config.modelDir();
    const prog = config.progFile();
    if (dir === undefined && prog === undefined) throw new Error('createPredictor: the config names no model (use new Config(dir) or setModel)');
    model = dir !== undefined ? loadInferenceModel(dir, { device }) : loadInferenceModel(prog!, { params: config.paramsFile(), device });
  }
  const loadedOps = model.program.blocks[0]?.ops.filter((op) => op.type !== 'feed' && op.type !== 'fetch').length ?? 0;
  if (config.irOptim()) {
    try {
      checkProgramOperators(model.program, model.programFile, device);
      const opt = optimizeProgram(model.program, model.params, config.deletedPasses());
      model = { ...model, program: opt.program, params: opt.params };
      applied = opt.applied;
    } catch (e) {
      for (const t of model.params.values()) if (!t.isDisposed) t.dispose();
      throw e;
    }
  }
  const shared = new SharedModel(model);
  try {
    const ex = new ProgramExecutor(model.program, model.params, { file: model.programFile, device, releaseEarly: config.memoryOptimEnabled() });
    const p = new Predictor(config, shared, ex);
    p.passes = applied;
    p.loadedOps = loadedOps;
    return p;
  } catch (e) {
    shared.release();
    throw e;
  }
}
