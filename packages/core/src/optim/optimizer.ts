/**
 * The optimizer base (Paddle 2.0's `paddle.optimizer.Optimizer`, dygraph mode). `step()` takes
 * each trainable parameter that has a gradient, clips the gradients, adds weight decay, and runs
 * the optimizer's Paddle operator once per parameter, which updates the parameter and its
 * accumulators in place. Accumulators are named as Paddle names them
 * (`<param name>_<accumulator>_0`), so `stateDict()` saved with `io.save` is a `.pdopt` Paddle
 * can load, and the other way round.
 */
import { engine } from '../engine/engine';
import { NdArray } from '../io/ndarray';
import { full } from '../ops/creation';
import { run1 } from '../ops/run';
import { isFloatDType, type DType } from '../tensor/dtype';
import { Parameter, type Regularizer } from '../tensor/parameter';
import { fmtShape, shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { ClipGradBase, type ParamGrad } from './clip';
import { LRScheduler, type SchedulerState } from './lr';
import { L2Decay, applyRegularization, isRegularizer } from './regularizer';

/** A parameter group: its own learning-rate scale, weight decay and optimizer options. */
export interface ParamGroup {
  params: Tensor[];
  /** Multiplies the optimizer's learning rate for this group. Default 1. */
  learningRate?: number;
  /** This group's weight decay (a coefficient for AdamW). */
  weightDecay?: number | Regularizer | null;
  gradClip?: ClipGradBase | null;
  /** Optimizer-specific options (`beta1`, `momentum`, ...), overriding the optimizer's. */
  [option: string]: unknown;
}

export interface OptimizerOptions {
  /** A number or an `lr` scheduler. */
  learningRate?: number | LRScheduler;
  /** The parameters to optimize, or parameter groups. Required. */
  parameters: Iterable<Tensor> | ParamGroup[];
  /** A number (L2 decay coefficient) or an `L1Decay`/`L2Decay`. */
  weightDecay?: number | Regularizer | null;
  gradClip?: ClipGradBase | null;
  name?: string;
}

/** A group as the optimizer keeps it. */
export interface Group {
  params: Tensor[];
  lrScale: number;
  regularization: Regularizer | null;
  gradClip: ClipGradBase | null;
  options: Record<string, unknown>;
}

/** One accumulator an optimizer keeps per parameter. */
export interface AccumulatorSpec {
  /** Paddle's accumulator name (`moment1`, `velocity`, ...). */
  name: string;
  fill: number;
  /** Defaults to the parameter's shape. */
  shape?: number[];
}

/** `stateDict()`: accumulators by name, plus `LR_Scheduler` when the rate is scheduled. */
export type OptimizerState = Record<string, Tensor | SchedulerState>;

export interface OptimizerConfig {
  /** `weightDecay` is a decay coefficient kept as an option (AdamW), not a regularizer. */
  decoupledWeightDecay?: boolean;
}

const LR_KEY = 'LR_Scheduler';
const NAME_TABLE_KEY = 'StructuredToParameterName@@';

function toRegularizer(where: string, v: unknown): Regularizer | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${where}: weightDecay must be a finite number, got ${v}`);
    return new L2Decay(v);
  }
  if (isRegularizer(v)) return v;
  throw new TypeError(`${where}: weightDecay must be a number, an L1Decay or an L2Decay, got ${String(v)}`);
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `Tensor ${fmtShape(v.shape)} ${v.dtype}`;
  if (v === null) return 'null';
  return typeof v;
}

export abstract class Optimizer {
  readonly name: string | undefined;
  /** The optimizer-wide weight decay (a parameter's own regularizer takes precedence). */
  readonly regularization: Regularizer | null;
  readonly gradClip: ClipGradBase | null;
  protected _learningRate: number | LRScheduler;
  protected readonly groups: Group[];
  /** Accumulator name → parameter → tensor, in creation order (the order of `stateDict`). */
  private readonly accumulators = new Map<string, Map<Tensor, Tensor>>();
  /** Accumulator name → parameter → variable name, fixed in parameter order at construction. */
  private readonly names = new Map<string, Map<Tensor, string>>();
  /** Arrays from `setStateDict` for accumulators not created yet. */
  private loaded: Map<string, NdArray> | null = null;

  constructor(
    /** The Paddle operator this optimizer runs. */
    readonly type: string,
    opts: OptimizerOptions,
    defaults: Record<string, unknown>,
    cfg: OptimizerConfig = {},
  ) {
    const where = new.target.name;
    if (typeof opts !== 'object' || opts === null || opts.parameters === undefined || opts.parameters === null) {
      throw new TypeError(`${where}: parameters must be given (the layer's parameters() or parameter groups)`);
    }
    const lr = opts.learningRate;
    if (!(lr instanceof LRScheduler) && (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)) {
      throw new TypeError(`${where}: learningRate must be a number >= 0 or an lr scheduler, got ${String(lr)}`);
    }
    this._learningRate = lr;
    this.name = opts.name;
    if (opts.gradClip !== undefined && opts.gradClip !== null && !(opts.gradClip instanceof ClipGradBase)) {
      throw new TypeError(`${where}: gradClip must be a ClipGradByValue, ClipGradByNorm or ClipGradByGlobalNorm`);
    }
    this.gradClip = opts.gradClip ?? null;
    this.regularization = cfg.decoupledWeightDecay ? null : toRegularizer(where, opts.weightDecay);
    if (cfg.decoupledWeightDecay && opts.weightDecay !== undefined) defaults = { ...defaults, weightDecay: opts.weightDecay };

    const list = [...(opts.parameters as Iterable<unknown>)];
    const isGroup = (x: unknown): x is ParamGroup => typeof x === 'object' && x !== null && !(x instanceof Tensor) && 'params' in x;
    let raw: ParamGroup[];
    if (list.length > 0 && list.every(isGroup)) raw = list;
    else {
      list.forEach((x, i) => {
        if (!(x instanceof Tensor)) throw new TypeError(`${where}: parameters[${i}] is ${describe(x)}, expected a Tensor (or give only parameter groups)`);
      });
      raw = [{ params: list as Tensor[] }];
    }
    const seen = new Map<Tensor, number>();
    this.groups = raw.map((g, gi) => {
      const at = raw.length > 1 || isGroup(list[0]) ? `${where}: parameter group ${gi}` : where;
      if (!Array.isArray(g.params)) throw new TypeError(`${at}: params must be an array of tensors`);
      g.params.forEach((p, i) => {
        if (!(p instanceof Tensor)) throw new TypeError(`${at}: params[${i}] is ${describe(p)}, expected a Tensor`);
        p._assertLive(where);
        if (!isFloatDType(p.dtype)) throw new TypeError(`${at}: parameter ${p.name} is ${p.dtype}; only float tensors can be optimized`);
        const prev = seen.get(p);
        if (prev !== undefined) throw new Error(`${at}: parameter ${p.name} is also in group ${prev}; a parameter may be in one group only`);
        seen.set(p, gi);
      });
      const options = { ...defaults };
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params' || k === 'learningRate' || k === 'gradClip' || (k === 'weightDecay' && !cfg.decoupledWeightDecay)) continue;
        if (!(k in defaults)) {
          throw new TypeError(`${at}: unknown option "${k}"; groups take learningRate, weightDecay, gradClip${Object.keys(defaults).length ? ', ' + Object.keys(defaults).join(', ') : ''}`);
        }
        options[k] = v;
      }
      this.checkOptions(options, at);
      const scale = g.learningRate ?? 1;
      if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
        throw new TypeError(`${at}: learningRate (a scale of the optimizer's rate) must be a number >= 0, got ${String(scale)}`);
      }
      if (g.gradClip !== undefined && g.gradClip !== null && !(g.gradClip instanceof ClipGradBase)) {
        throw new TypeError(`${at}: gradClip must be a ClipGradByValue, ClipGradByNorm or ClipGradByGlobalNorm`);
      }
      return {
        params: [...g.params],
        lrScale: scale,
        regularization: cfg.decoupledWeightDecay || !('weightDecay' in g) ? this.regularization : toRegularizer(at, g.weightDecay),
        gradClip: g.gradClip === undefined ? this.gradClip : g.gradClip,
        options,
      };
    });
    for (const g of this.groups) for (const p of g.params) for (const spec of this.accumulatorSpecs(p, g)) this.accumulatorName(p, spec);
  }

  // ---- what each optimizer defines -----------------------------------------------------------

  /** Validates an optimizer's options (the defaults merged with a group's); throws naming `at`. */
  protected checkOptions(_options: Record<string, unknown>, _at: string): void {}

  /** The accumulators this optimizer keeps for parameter `p`, in Paddle's creation order. */
  protected abstract accumulatorSpecs(p: Tensor, group: Group): AccumulatorSpec[];

  /** Runs the update operator for one parameter. `reg` is its weight decay, for fused updates. */
  protected abstract appendOptimizeOp(p: Tensor, grad: Tensor, lr: Tensor, group: Group, reg: Regularizer | null): void;

  /** True when `appendOptimizeOp` applies this regularizer itself (Momentum fuses L2 decay). */
  protected fusesRegularizer(_reg: Regularizer): boolean {
    return false;
  }

  protected option<T>(group: Group, key: string): T {
    return group.options[key] as T;
  }

  protected accumulator(name: string, p: Tensor): Tensor {
    const t = this.accumulators.get(name)?.get(p);
    if (!t) throw new Error(`${this.constructor.name}: no ${name} accumulator for parameter ${p.name}`);
    return t;
  }

  // ---- the public API ------------------------------------------------------------------------

  /** All parameters, in group order. */
  parameters(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** The current learning rate (the scheduler's when there is one). */
  getLr(): number {
    return this._learningRate instanceof LRScheduler ? this._learningRate.lastLr : this._learningRate;
  }

  /** Sets a constant learning rate; not allowed when the rate comes from a scheduler. */
  setLr(value: number): void {
    if (this._learningRate instanceof LRScheduler) {
      throw new Error(`${this.constructor.name}.setLr: the learning rate comes from a ${this._learningRate.constructor.name}; step the scheduler instead`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`${this.constructor.name}.setLr: the learning rate must be a number >= 0, got ${String(value)}`);
    }
    this._learningRate = value;
  }

  /** The scheduler driving the learning rate, if any. */
  get lrScheduler(): LRScheduler | null {
    return this._learningRate instanceof LRScheduler ? this._learningRate : null;
  }

  /**
   * Updates every trainable parameter that has a gradient (parameters with `stopGradient` true or
   * without a gradient are skipped). Runs without recording gradients.
   */
  step(): void {
    engine.noGrad(() =>
      engine.tidy(() => {
        const work = this.paramsWithGrads();
        // Create (or restore) every accumulator first: a state dict that lacks one fails here,
        // before any parameter has changed.
        for (const [p, , g] of work) this.ensureAccumulators(p, g);
        const lrs = new Map<string, Tensor>();
        for (const group of this.groups) {
          let pg: ParamGrad[] = work.filter((w) => w[2] === group).map(([p, g]) => [p, g]);
          if (pg.length === 0) continue;
          if (group.gradClip) pg = group.gradClip.clip(pg);
          for (const [p, grad] of pg) {
            const reg = p instanceof Parameter && p.regularizer ? p.regularizer : group.regularization;
            const g2 = reg && !this.fusesRegularizer(reg) ? applyRegularization(reg, p, grad) : grad;
            this.appendOptimizeOp(p, g2, this.paramLr(p, group, lrs), group, reg);
          }
        }
      }),
    );
  }

  /** Paddle's dygraph `minimize`: `step()` after `loss.backward()`; returns the pairs it used. */
  minimize(loss: Tensor): ParamGrad[] {
    if (!(loss instanceof Tensor)) throw new TypeError(`${this.constructor.name}.minimize: loss must be a Tensor`);
    const used = this.paramsWithGrads().map(([p, g]): ParamGrad => [p, g]);
    this.step();
    return used;
  }

  /**
   * Clears the gradients of the trainable parameters: zeroes them in place (Paddle's default),
   * or frees them when `setToZero` is false.
   */
  clearGrad(setToZero = true): void {
    engine.noGrad(() => {
      for (const p of this.parameters()) {
        if (p.stopGradient || !p.grad) continue;
        if (setToZero) {
          engine.assignInPlace(p.grad, run1('fill_any_like', { X: p.grad }, { value: 0 }));
          p.grad._zeroAtVersion = p.grad._version;
        }
        else {
          p.grad.dispose();
          p.grad = null;
        }
      }
    });
  }

  /** Frees the accumulators (moments, velocities); the optimizer starts afresh if stepped again. */
  dispose(): void {
    for (const m of this.accumulators.values()) for (const t of m.values()) t.dispose();
    this.accumulators.clear();
    this.names.clear();
  }

  /** Paddle's alias of `clearGrad`. */
  clearGradients(setToZero = true): void {
    this.clearGrad(setToZero);
  }

  /**
   * The accumulators by their Paddle names, plus `LR_Scheduler` when the rate is scheduled. The
   * tensors are the optimizer's own (not copies).
   */
  stateDict(): OptimizerState {
    const out: OptimizerState = {};
    for (const m of this.accumulators.values()) for (const t of m.values()) out[t.name] = t;
    if (this._learningRate instanceof LRScheduler) out[LR_KEY] = this._learningRate.stateDict();
    return out;
  }

  /**
   * Restores a state from `stateDict()` or a loaded `.pdopt` (tensors or NdArrays by name, and
   * `LR_Scheduler`). Checks every entry before changing anything; accumulators not created yet
   * take their values when the first `step()` creates them.
   */
  setStateDict(state: Map<string, unknown> | Record<string, unknown>): void {
    const where = `${this.constructor.name}.setStateDict`;
    if (typeof state !== 'object' || state === null) throw new TypeError(`${where}: expected a state dict, got ${describe(state)}`);
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const sched = this._learningRate instanceof LRScheduler ? this._learningRate : null;
    if (sched) {
      if (!entries.has(LR_KEY)) throw new Error(`${where}: the state dict has no "${LR_KEY}" entry for the ${sched.constructor.name} learning-rate scheduler`);
      sched.checkStateDict(entries.get(LR_KEY));
    }
    const arrays = new Map<string, NdArray>();
    for (const [k, v] of entries) {
      if (k === LR_KEY || k === NAME_TABLE_KEY) continue;
      if (v instanceof Tensor) arrays.set(k, NdArray.fromTensor(v));
      else if (v instanceof NdArray) arrays.set(k, v);
    }
    const problems: string[] = [];
    const copies: [Tensor, NdArray][] = [];
    let matched = 0;
    for (const group of this.groups) {
      for (const p of group.params) {
        for (const spec of this.accumulatorSpecs(p, group)) {
          const key = this.accumulatorName(p, spec);
          const a = arrays.get(key);
          const existing = this.accumulators.get(spec.name)?.get(p);
          if (!a) {
            if (existing) problems.push(`no entry "${key}" for the ${spec.name} of parameter ${p.name}`);
            continue;
          }
          matched++;
          const shape = spec.shape ?? p.shape;
          if (!shapesEqual(a.shape, shape)) problems.push(`"${key}": shape ${fmtShape(a.shape)} in the state dict, ${fmtShape(shape)} expected`);
          else if (a.dtype !== p.dtype) problems.push(`"${key}": dtype ${a.dtype} in the state dict, ${p.dtype} expected`);
          else if (existing) copies.push([existing, a]);
        }
      }
    }
    if (arrays.size > 0 && matched === 0) {
      const example = this.exampleName();
      problems.push(`none of its ${arrays.size} arrays belongs to this optimizer's parameters${example ? ` (expected names like "${example}")` : ''}`);
    }
    if (problems.length) throw new Error(`${where}: nothing was loaded:\n  ${problems.join('\n  ')}`);
    // Everything checked: apply.
    if (sched) sched.setStateDict(entries.get(LR_KEY) as SchedulerState);
    for (const [dst, a] of copies) engine.assignInPlace(dst, engine.fromArray(a.data, a.shape, a.dtype, dst.device));
    this.loaded = arrays.size ? arrays : null;
  }

  // ---- internals -------------------------------------------------------------------------------

  private paramsWithGrads(): [Tensor, Tensor, Group][] {
    const work: [Tensor, Tensor, Group][] = [];
    for (const g of this.groups) {
      for (const p of g.params) {
        if (p.stopGradient) continue;
        p._assertLive(`${this.constructor.name}.step`);
        if (p.grad) work.push([p, p.grad, g]);
      }
    }
    return work;
  }

  /**
   * Paddle's accumulator variable name, `<param name>_<accumulator>_<n>`: n is 0 unless two of
   * this optimizer's parameters share a name (Paddle's unique_name numbering).
   */
  protected accumulatorName(p: Tensor, spec: AccumulatorSpec): string {
    let m = this.names.get(spec.name);
    if (!m) this.names.set(spec.name, (m = new Map()));
    let n = m.get(p);
    if (n === undefined) {
      const taken = new Set(m.values());
      for (let k = 0; ; k++) {
        n = `${p.name}_${spec.name}_${k}`;
        if (!taken.has(n)) break;
      }
      m.set(p, n);
    }
    return n;
  }

  private exampleName(): string | undefined {
    for (const g of this.groups) {
      for (const p of g.params) {
        const s = this.accumulatorSpecs(p, g)[0];
        if (s) return this.accumulatorName(p, s);
      }
    }
    return undefined;
  }

  private ensureAccumulators(p: Tensor, group: Group): void {
    for (const spec of this.accumulatorSpecs(p, group)) {
      let m = this.accumulators.get(spec.name);
      if (!m) this.accumulators.set(spec.name, (m = new Map()));
      if (m.has(p)) continue;
      const name = this.accumulatorName(p, spec);
      const shape = spec.shape ?? [...p.shape];
      let t: Tensor;
      if (this.loaded) {
        // As in Paddle: once a state was loaded, every accumulator must come from it.
        const a = this.loaded.get(name);
        if (!a) {
          throw new Error(
            `${this.constructor.name}.step: the state dict given to setStateDict has no "${name}" (the ${spec.name} of parameter ${p.name}); no parameter was updated`,
          );
        }
        t = engine.fromArray(a.data, a.shape, a.dtype, p.device);
      } else {
        t = full(shape, spec.fill, { dtype: p.dtype as DType, place: p.device });
      }
      t.name = name;
      m.set(p, engine.keep(t));
    }
  }

  /** The global rate as a [1] tensor of the parameter's dtype, scaled by group and parameter. */
  private paramLr(p: Tensor, group: Group, cache: Map<string, Tensor>): Tensor {
    const key = `${p.dtype}@${p.device}`;
    let lr = cache.get(key);
    if (!lr) cache.set(key, (lr = full([1], this.getLr(), { dtype: p.dtype, place: p.device })));
    const scale = group.lrScale * (p instanceof Parameter ? p.learningRate : 1);
    return scale === 1 ? lr : run1('scale', { X: lr }, { scale });
  }
}

