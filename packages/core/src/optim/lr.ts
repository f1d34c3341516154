/**
 * Learning-rate schedulers, Paddle 2.0's `paddle.optimizer.lr`. A scheduler's `lastLr` is the
 * rate the optimizer uses; call `step()` after each optimizer step (or epoch) to advance it.
 * State dicts use Paddle's keys (`last_epoch`, `last_lr`, ...) so `.pdopt` files interoperate.
 *
 * As in Paddle, constructing a scheduler performs its first step (epoch 0). Here that step runs
 * on first use, so that subclasses can set their own fields after `super()`; user subclasses only
 * implement `getLr()`.
 */
import { Tensor } from '../tensor/tensor';

export interface SchedulerOptions {
  /** Index of the last epoch; -1 starts from the initial learning rate. */
  lastEpoch?: number;
  /** Print each change of the learning rate. */
  verbose?: boolean;
}

/** A value a scheduler state dict holds. */
export type SchedulerStateValue = number | null | SchedulerState;
export type SchedulerState = { [key: string]: SchedulerStateValue };

function finite(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${where}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function integer(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${where}: ${name} must be an integer, got ${String(v)}`);
  return v;
}

function snakeToCamel(k: string): string {
  return k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export abstract class LRScheduler {
  baseLr: number;
  verbose: boolean;
  private _lastLr: number;
  private _lastEpoch: number;
  private _pending: boolean;

  constructor(learningRate = 0.1, opts: SchedulerOptions = {}) {
    const where = new.target.name;
    this.baseLr = finite(where, 'learningRate', learningRate);
    if (learningRate < 0) throw new RangeError(`${where}: learningRate must be >= 0, got ${learningRate}`);
    this._lastLr = this.baseLr;
    this._lastEpoch = integer(where, 'lastEpoch', opts.lastEpoch ?? -1);
    this.verbose = !!opts.verbose;
    this._pending = true;
  }

  /** The current learning rate (Paddle's `last_lr`). */
  get lastLr(): number {
    this.start();
    return this._lastLr;
  }
  set lastLr(v: number) {
    this.start();
    this._lastLr = v;
  }

  /** The current epoch (Paddle's `last_epoch`). */
  get lastEpoch(): number {
    this.start();
    return this._lastEpoch;
  }
  set lastEpoch(v: number) {
    this.start();
    this._lastEpoch = v;
  }

  /** The current learning rate: Paddle's `scheduler()`. */
  call(): number {
    return this.lastLr;
  }

  /** Sets the initial state directly, for schedulers that take no construction step. */
  protected initState(lastEpoch: number, lastLr: number): void {
    this._pending = false;
    this._lastEpoch = lastEpoch;
    this._lastLr = lastLr;
  }

  /** The construction-time step, deferred to first use. */
  private start(): void {
    if (!this._pending) return;
    this._pending = false;
    this.advance(undefined);
  }

  /** Paddle's `_get_closed_form_lr`, for schedulers whose `getLr` is recursive. */
  protected closedFormLr?(): number;

  /**
   * Advances to the next epoch (or to `epoch`) and computes the new learning rate. Call after
   * `optimizer.step()`; the new rate applies to the next optimizer step.
   */
  step(epoch?: number): void {
    this.start();
    this.advance(epoch);
  }

  private advance(epoch: number | undefined): void {
    if (epoch === undefined) {
      this._lastEpoch += 1;
      this._lastLr = this.getLr();
    } else {
      this._lastEpoch = integer(this.constructor.name + '.step', 'epoch', epoch);
      this._lastLr = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    if (this.verbose) console.log(`Epoch ${this._lastEpoch}: ${this.constructor.name} set learning rate to ${this._lastLr}.`);
  }

  /** The learning rate at `lastEpoch`; subclasses implement it. */
  abstract getLr(): number;

  /** Paddle's state keys: what `stateDict` saves and `setStateDict` needs. */
  stateKeys(): string[] {
    return ['last_epoch', 'last_lr'];
  }

  /** The scheduler's state with Paddle's key names (the `LR_Scheduler` entry of a `.pdopt`). */
  stateDict(): SchedulerState {
    this.start();
    const out: SchedulerState = {};
    for (const k of this.stateKeys()) out[k] = this.readState(k);
    return out;
  }

  /** Checks a state dict without applying it; throws naming the key that is wrong. */
  checkStateDict(state: unknown): void {
    const where = `${this.constructor.name}.setStateDict`;
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new TypeError(`${where}: expected a dict of the scheduler's state, got ${state === null ? 'null' : typeof state}`);
    }
    const s = state as Record<string, unknown>;
    for (const k of this.stateKeys()) {
      if (!(k in s)) throw new Error(`${where}: the state dict has no "${k}" (needed: ${this.stateKeys().join(', ')})`);
      const v = s[k];
      const ok = k === 'last_epoch' || k.endsWith('_counter') || k === 'num_bad_epochs'
        ? typeof v === 'number' && Number.isInteger(v)
        : (typeof v === 'number' && !Number.isNaN(v)) || (v === null && this.nullable(k)) || v instanceof Tensor;
      if (!ok) throw new TypeError(`${where}: "${k}" must be ${k === 'last_epoch' ? 'an integer' : 'a number'}, got ${describe(v)}`);
    }
  }

  /** Restores a state from `stateDict()` (or a loaded `.pdopt`'s `LR_Scheduler`). */
  setStateDict(state: SchedulerState): void {
    this.checkStateDict(state);
    this.start();
    for (const k of this.stateKeys()) {
      const v = state[k];
      this.writeState(k, v instanceof Tensor ? v.item() : (v as number | null));
    }
  }

  /** Keys whose value may be None in Python (ReduceOnPlateau's `best`). */
  protected nullable(_key: string): boolean {
    return false;
  }

  protected readState(key: string): number | null {
    if (key === 'last_epoch') return this._lastEpoch;
    if (key === 'last_lr') return this._lastLr;
    return (this as unknown as Record<string, number | null>)[snakeToCamel(key)] ?? null;
  }

  protected writeState(key: string, v: number | null): void {
    if (key === 'last_epoch') this._lastEpoch = v as number;
    else if (key === 'last_lr') this._lastLr = v as number;
    else (this as unknown as Record<string, number | null>)[snakeToCamel(key)] = v;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'an object';
  return `${typeof v} ${String(v)}`;
}

/** lr = learningRate · d_model^-0.5 · min(epoch^-0.5, epoch · warmupSteps^-1.5). */
export class NoamDecay extends LRScheduler {
  readonly dModel: number;
  readonly warmupSteps: number;

  constructor(dModel: number, warmupSteps: number, opts: SchedulerOptions & { learningRate?: number } = {}) {
    super(opts.learningRate ?? 1.0, opts);
    if (!(finite('NoamDecay', 'dModel', dModel) > 0)) throw new RangeError(`NoamDecay: dModel must be > 0, got ${dModel}`);
    this.dModel = dModel;
    this.warmupSteps = finite('NoamDecay', 'warmupSteps', warmupSteps);
  }

  getLr(): number {
    const e = this.lastEpoch;
    const a = e === 0 ? 1 : e ** -0.5;
    const b = this.warmupSteps ** -1.5 * e;
    return this.baseLr * this.dModel ** -0.5 * Math.min(a, b);
  }
}

/** values[i] while epoch < boundaries[i]; the last value after the last boundary. */
export class PiecewiseDecay extends LRScheduler {
  readonly boundaries: number[];
  readonly values: number[];

  constructor(boundaries: number[], values: number[], opts: SchedulerOptions = {}) {
    super(0.1, opts);
    if (!Array.isArray(boundaries) || !Array.isArray(values)) throw new TypeError('PiecewiseDecay: boundaries and values must be arrays');
    if (values.length !== boundaries.length + 1) {
      throw new RangeError(`PiecewiseDecay: values needs one more entry than boundaries, got ${values.length} values for ${boundaries.length} boundaries`);
    }
    boundaries.forEach((b, i) => finite('PiecewiseDecay', `boundaries[${i}]`, b));
    values.forEach((v, i) => finite('PiecewiseDecay', `values[${i}]`, v));
    this.boundaries = [...boundaries];
    this.values = [...values];
  }

  getLr(): number {
    for (let i = 0; i < this.boundaries.length; i++) if (this.lastEpoch < this.boundaries[i]!) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }
}

/** lr = learningRate · e^(−gamma · epoch). */
export class NaturalExpDecay extends LRScheduler {
  readonly gamma: number;
  constructor(learningRate: number, gamma: number, opts: SchedulerOptions = {}) {
    super(learningRate, opts);
    this.gamma = finite('NaturalExpDecay', 'gamma', gamma);
  }
  getLr(): number {
    return this.baseLr * Math.exp(-1 * this.gamma * this.lastEpoch);
  }
}

/** lr = learningRate / (1 + gamma · epoch). */
export class InverseTimeDecay extends LRScheduler {
  readonly gamma: number;
  constructor(learningRate: number, gamma: number, opts: SchedulerOptions = {}) {
    super(learningRate, opts);
    this.gamma = finite('InverseTimeDecay', 'gamma', gamma);
  }
  getLr(): number {
    return this.baseLr / (1 + this.gamma * this.lastEpoch);
  }
}

export interface PolynomialDecayOptions extends SchedulerOptions {
  endLr?: number;
  power?: number;
  /** Restart the decay every decaySteps (with a growing period) instead of staying at endLr. */
  cycle?: boolean;
}

/** (learningRate − endLr)·(1 − epoch/decaySteps)^power + endLr. */
export class PolynomialDecay extends LRScheduler {
  readonly decaySteps: number;
  readonly endLr: number;
  readonly power: number;
  readonly cycle: boolean;

  constructor(learningRate: number, decaySteps: number, opts: PolynomialDecayOptions = {}) {
    super(learningRate, opts);
    if (!Number.isInteger(decaySteps) || decaySteps <= 0) {
      throw new RangeError(`PolynomialDecay: decaySteps must be a positive integer, got ${String(decaySteps)}`);
    }
    this.decaySteps = decaySteps;
    this.endLr = finite('PolynomialDecay', 'endLr', opts.endLr ?? 0.0001);
    this.power = finite('PolynomialDecay', 'power', opts.power ?? 1.0);
    this.cycle = !!opts.cycle;
  }

  getLr(): number {
    let epoch = this.lastEpoch;
    let steps = this.decaySteps;
    if (this.cycle) {
      let div = Math.ceil(epoch / this.decaySteps);
      if (epoch === 0) div = 1;
      steps = this.decaySteps * div;
    } else {
      epoch = Math.min(epoch, this.decaySteps);
    }
    return (this.baseLr - this.endLr) * (1 - epoch / steps) ** this.power + this.endLr;
  }
}

/**
 * Raises the rate linearly from startLr to endLr over warmupSteps, then follows `learningRate`
 * (a number, or another scheduler that it steps from then on).
 */
export class LinearWarmup extends LRScheduler {
  readonly learningRate: number | LRScheduler;
  readonly warmupSteps: number;
  readonly startLr: number;
  readonly endLr: number;

  constructor(learningRate: number | LRScheduler, warmupSteps: number, startLr: number, endLr: number, opts: SchedulerOptions = {}) {
    super(startLr, opts);
    if (!(learningRate instanceof LRScheduler)) finite('LinearWarmup', 'learningRate', learningRate);
    if (!Number.isInteger(warmupSteps) || warmupSteps <= 0) {
      throw new RangeError(`LinearWarmup: warmupSteps must be a positive integer, got ${String(warmupSteps)}`);
    }
    finite('LinearWarmup', 'endLr', endLr);
    if (!(endLr > startLr)) throw new RangeError(`LinearWarmup: endLr ${endLr} must be greater than startLr ${startLr}`);
    this.learningRate = learningRate;
    this.warmupSteps = warmupSteps;
    this.startLr = startLr;
    this.endLr = endLr;
  }

  getLr(): number {
    if (this.lastEpoch < this.warmupSteps) {
      return ((this.endLr - this.startLr) * this.lastEpoch) / this.warmupSteps + this.startLr;
    }
    if (this.learningRate instanceof LRScheduler) {
      const v = this.learningRate.call();
      this.learningRate.step();
      return v;
    }
    return this.learningRate;
  }

  /** Adds the wrapped scheduler's state under `LinearWarmup_LR`. */
  override stateDict(): SchedulerState {
    const s = super.stateDict();
    if (this.learningRate instanceof LRScheduler) s.LinearWarmup_LR = this.learningRate.stateDict();
    return s;
  }

  override checkStateDict(state: unknown): void {
    super.checkStateDict(state);
    if (this.learningRate instanceof LRScheduler) {
      const inner = (state as Record<string, unknown>).LinearWarmup_LR;
      if (inner === undefined) throw new Error('LinearWarmup.setStateDict: the state dict has no "LinearWarmup_LR" for the wrapped scheduler');
      this.learningRate.checkStateDict(inner);
    }
  }

  override setStateDict(state: SchedulerState): void {
    this.checkStateDict(state);
    super.setStateDict(state);
    if (this.learningRate instanceof LRScheduler) this.learningRate.setStateDict(state.LinearWarmup_LR as SchedulerState);
  }
}

/** lr = learningRate · gamma^epoch. */
export class ExponentialDecay extends LRScheduler {
  readonly gamma: number;
  constructor(learningRate: number, gamma: number, opts: SchedulerOptions = {}) {
    super(learningRate, opts);
    this.gamma = finite('ExponentialDecay', 'gamma', gamma);
  }
  getLr(): number {
    return this.baseLr * this.gamma ** this.lastEpoch;
  }
}

function checkGamma(where: string, gamma: number): number {
  finite(where, 'gamma', gamma);
  if (gamma >= 1.0) throw new RangeError(`${where}: gamma should be < 1.0, got ${gamma}`);
  return gamma;
}

/** Multiplies the rate by gamma at each milestone epoch. */
export class MultiStepDecay extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;

  constructor(learningRate: number, milestones: number[], opts: SchedulerOptions & { gamma?: number } = {}) {
    super(learningRate, opts);
    if (!Array.isArray(milestones)) throw new TypeError('MultiStepDecay: milestones must be an array');
    for (let i = 0; i + 1 < milestones.length; i++) {
      if (!(milestones[i]! < milestones[i + 1]!)) throw new RangeError(`MultiStepDecay: the elements of milestones must be increasing, got [${milestones.join(', ')}]`);
    }
    this.milestones = [...milestones];
    this.gamma = checkGamma('MultiStepDecay', opts.gamma ?? 0.1);
  }

  getLr(): number {
    for (let i = 0; i < this.milestones.length; i++) if (this.lastEpoch < this.milestones[i]!) return this.baseLr * this.gamma ** i;
    return this.baseLr * this.gamma ** this.milestones.length;
  }
}

/** Multiplies the rate by gamma every stepSize epochs. */
export class StepDecay extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(learningRate: number, stepSize: number, opts: SchedulerOptions & { gamma?: number } = {}) {
    super(learningRate, opts);
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new RangeError(`StepDecay: stepSize must be a positive integer, got ${String(stepSize)}`);
    this.stepSize = stepSize;
    this.gamma = checkGamma('StepDecay', opts.gamma ?? 0.1);
  }

  getLr(): number {
    return this.baseLr * this.gamma ** Math.floor(this.lastEpoch / this.stepSize);
  }
}

/** lr = learningRate · lrLambda(epoch). */
export class LambdaDecay extends LRScheduler {
  readonly lrLambda: (epoch: number) => number;
  constructor(learningRate: number, lrLambda: (epoch: number) => number, opts: SchedulerOptions = {}) {
    super(learningRate, opts);
    if (typeof lrLambda !== 'function') throw new TypeError(`LambdaDecay: lrLambda must be a function, got ${typeof lrLambda}`);
    this.lrLambda = lrLambda;
  }
  getLr(): number {
    return this.baseLr * this.lrLambda(this.lastEpoch);
  }
}

/** Cosine annealing from learningRate down to etaMin over tMax epochs (and back up, periodically). */
export class CosineAnnealingDecay extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(learningRate: number, tMax: number, opts: SchedulerOptions & { etaMin?: number } = {}) {
    super(learningRate, opts);
    if (!Number.isInteger(tMax) || tMax <= 0) throw new RangeError(`CosineAnnealingDecay: tMax must be a positive integer, got ${String(tMax)}`);
    this.tMax = tMax;
    this.etaMin = finite('CosineAnnealingDecay', 'etaMin', opts.etaMin ?? 0);
  }

  // Paddle's recursive form (it depends on the previous rate), as in PyTorch's CosineAnnealingLR.
  getLr(): number {
    const e = this.lastEpoch;
    const T = this.tMax;
    if (e === 0) return this.baseLr;
    if ((e - 1 - T) % (2 * T) === 0) return this.lastLr + ((this.baseLr - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (this.lastLr - this.etaMin) + this.etaMin;
  }

  protected override closedFormLr(): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2;
  }
}

export interface ReduceOnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': when it stops increasing. */
  mode?: 'min' | 'max';
  /** New rate = rate · factor (< 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. */
  patience?: number;
  threshold?: number;
  /** 'rel': improvement relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  minLr?: number;
  /** Reductions smaller than this are skipped. */
  epsilon?: number;
  verbose?: boolean;
}

/** Reduces the rate by `factor` when a metric has stopped improving for `patience` epochs. */
export class ReduceOnPlateau extends LRScheduler {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly epsilon: number;
  cooldownCounter = 0;
  best: number | null = null;
  numBadEpochs = 0;

  constructor(learningRate: number, opts: ReduceOnPlateauOptions = {}) {
    // Paddle's ReduceOnPlateau starts at epoch 0 without a construction step (initState below).
    super(learningRate, { verbose: opts.verbose });
    const mode = String(opts.mode ?? 'min').toLowerCase();
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`ReduceOnPlateau: mode must be "min" or "max", got "${mode}"`);
    this.mode = mode;
    const factor = finite('ReduceOnPlateau', 'factor', opts.factor ?? 0.1);
    if (factor >= 1.0) throw new RangeError(`ReduceOnPlateau: factor should be < 1.0 (new_lr = lr * factor), got ${factor}`);
    this.factor = factor;
    const tm = String(opts.thresholdMode ?? 'rel').toLowerCase();
    if (tm !== 'rel' && tm !== 'abs') throw new RangeError(`ReduceOnPlateau: thresholdMode must be "rel" or "abs", got "${tm}"`);
    this.thresholdMode = tm;
    this.patience = integer('ReduceOnPlateau', 'patience', opts.patience ?? 10);
    this.threshold = finite('ReduceOnPlateau', 'threshold', opts.threshold ?? 1e-4);
    this.cooldown = integer('ReduceOnPlateau', 'cooldown', opts.cooldown ?? 0);
    this.minLr = finite('ReduceOnPlateau', 'minLr', opts.minLr ?? 0);
    this.epsilon = finite('ReduceOnPlateau', 'epsilon', opts.epsilon ?? 1e-8);
    this.initState(0, this.baseLr);
  }

  override stateKeys(): string[] {
    return ['cooldown_counter', 'best', 'num_bad_epochs', 'last_epoch', 'last_lr'];
  }

  protected override nullable(key: string): boolean {
    return key === 'best';
  }

  getLr(): number {
    return this.lastLr;
  }

  /**
   * Records this epoch's metric (a number or a one-element tensor, typically the loss) and
   * reduces the rate when it has not improved for more than `patience` epochs.
   */
  override step(metrics?: number | Tensor, epoch?: number): void {
    let m: number;
    if (metrics instanceof Tensor) {
      if (metrics.size !== 1) throw new RangeError(`ReduceOnPlateau.step: metrics must have one element, got shape [${metrics.shape.join(', ')}]`);
      m = metrics.item();
    } else if (typeof metrics === 'number') m = metrics;
    else throw new TypeError(`ReduceOnPlateau.step: metrics must be a number or a one-element Tensor, got ${metrics === undefined ? 'nothing' : typeof metrics}`);
    this.lastEpoch = epoch === undefined ? this.lastEpoch + 1 : integer('ReduceOnPlateau.step', 'epoch', epoch);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      return;
    }
    if (this.best === null || this.isBetter(m, this.best)) {
      this.best = m;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.numBadEpochs > this.patience) {
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
      const newLr = Math.max(this.lastLr * this.factor, this.minLr);
      if (this.lastLr - newLr > this.epsilon) {
        this.lastLr = newLr;
        if (this.verbose) console.log(`Epoch ${this.lastEpoch}: ReduceOnPlateau set learning rate to ${newLr}.`);
      }
    }
  }

  private isBetter(current: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? current < best - best * this.threshold : current < best - this.threshold;
    return this.thresholdMode === 'rel' ? current > best + best * this.threshold : current > best + this.threshold;
  }
}
