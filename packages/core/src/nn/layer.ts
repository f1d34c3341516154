/**
 * `Layer`, the base of every model part (Paddle's `paddle.nn.Layer`).
 *
 * Calling convention: TypeScript classes cannot be called like Paddle's `model(x)`, so a layer
 * is run with `layer.call(x)`, which runs the forward pre-hooks, `forward(x)` and the post-hooks
 * (exactly what Paddle's `__call__` does). `layer.forward(x)` runs the computation alone.
 * Subclasses override `forward` with their own typed signature; `call` takes and returns
 * the same types.
 *
 * Registration follows Paddle's `__setattr__`: assigning a Parameter to a property
 * (`this.weight = this.createParameter(...)`) registers a parameter, a Layer a sublayer, and a
 * plain Tensor a non-persistable buffer, all under the property name and in assignment order.
 * Registries are brought up to date from the object's own properties whenever they are read, so
 * reassigning (`this.fc = new Linear(...)`), setting to null, or `delete this.fc` all take
 * effect. `addParameter`, `addSublayer` and `registerBuffer` do the same explicitly.
 * Parameters are exempt from `tidy` scopes; a tensor merely assigned to a property is not, so a
 * buffer that must outlive the scope it was made in is registered with `registerBuffer`.
 */
import { engine } from '../engine/engine';
import { cast, clone } from '../ops/creation';
import { isFloatDType, type DType } from '../tensor/dtype';
import { Parameter } from '../tensor/parameter';
import { fmtShape, shapesEqual, type Shape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { globalInitializer, type Initializer } from './initializer/initializer';
import { Constant } from './initializer/constant';
import { XavierUniform } from './initializer/random';
import { toParamAttr, type ParamAttrLike } from './param-attr';
import { camelToSnake, generate as uniqueName } from './unique-name';

/** Runs before `forward`; may return replacement arguments (the whole argument array). */
export type ForwardPreHook = (layer: Layer, inputs: unknown[]) => unknown[] | undefined | void;
/** Runs after `forward`; a value other than undefined replaces the output. */
export type ForwardPostHook = (layer: Layer, inputs: unknown[], output: unknown) => unknown;

let nextHookId = 0;

/** Returned by the hook registrations; `remove()` unregisters the hook. */
export class HookRemoveHelper {
  constructor(
    private readonly hooks: Map<number, unknown>,
    readonly id: number,
  ) {}

  remove(): void {
    this.hooks.delete(this.id);
  }
}

export interface CreateParameterOptions {
  /** Paddle's `attr`: ParamAttr, its options, a name, an initializer, or false for none. */
  attr?: ParamAttrLike;
  /** Defaults to the layer's dtype. */
  dtype?: DType;
  /** Bias parameters default to zeros and get names `<layer>.b_N`. */
  isBias?: boolean;
  /** Used when neither the attr nor a global initializer names one. */
  defaultInitializer?: Initializer;
}

/** Parameters and persistable buffers by structured name (`conv1.weight`, `bn._mean`). */
export type StateDict = Map<string, Tensor>;

export interface SetStateDictOptions {
  /** When true (default), missing or unexpected keys are an error; otherwise they are returned. */
  strict?: boolean;
  /**
   * True (default): keys are structured names (`conv1.weight`). False: keys are the tensors' own
   * names (`conv2d_0.w_0`), as in parameter files saved from static programs.
   */
  useStructuredName?: boolean;
}

export interface SetStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface StateDictOptions {
  includeSublayers?: boolean;
  structuredNamePrefix?: string;
  /** Also include non-persistable buffers (used by tracing and export). */
  includeNonPersistableBuffer?: boolean;
}

type Kind = 'param' | 'layer' | 'buffer';

export class Layer {
  /** Training mode; switched recursively by `train()` and `eval()`. */
  training = true;
  /** @internal */
  _fullName: string;
  /** @internal default dtype of the parameters this layer creates. */
  _dtype: DType;
  /** @internal */
  readonly _parameters = new Map<string, Parameter | null>();
  /** @internal */
  readonly _subLayers = new Map<string, Layer | null>();
  /** @internal */
  readonly _buffers = new Map<string, Tensor | null>();
  /** @internal buffer names left out of stateDict. */
  readonly _nonPersistable = new Set<string>();
  private readonly _forwardPreHooks = new Map<number, ForwardPreHook>();
  private readonly _forwardPostHooks = new Map<number, ForwardPostHook>();

  /**
   * @param nameScope prefix of the full name and of generated parameter names; defaults to the
   *   snake-cased class name (`Conv2D` → `conv2d_0`).
   * @param dtype default dtype of the parameters the layer creates.
   */
  constructor(nameScope?: string, dtype: DType = 'float32') {
    this._fullName = uniqueName(nameScope ?? camelToSnake(this.constructor.name));
    this._dtype = dtype;
  }

  /** The computation. Subclasses override it; run it through `call` to include hooks. */
  forward(..._inputs: unknown[]): unknown {
    throw new Error(`${this.constructor.name} (${this._fullName}) does not define forward()`);
  }

  /** Paddle's `layer(x)`: pre-hooks, `forward`, post-hooks. */
  call<T extends Layer>(this: T, ...inputs: Parameters<T['forward']>): ReturnType<T['forward']> {
    let args: unknown[] = inputs;
    for (const hook of this._forwardPreHooks.values()) {
      const r = hook(this, args);
      if (r !== undefined) {
        if (!Array.isArray(r)) {
          throw new TypeError(`${this.constructor.name}: a forward pre-hook must return the argument array or undefined`);
        }
        args = r;
      }
    }
    let out = (this.forward as (...a: unknown[]) => unknown)(...args);
    for (const hook of this._forwardPostHooks.values()) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r;
    }
    return out as ReturnType<T['forward']>;
  }

  registerForwardPreHook(hook: ForwardPreHook): HookRemoveHelper {
    const id = nextHookId++;
    this._forwardPreHooks.set(id, hook);
    return new HookRemoveHelper(this._forwardPreHooks, id);
  }

  registerForwardPostHook(hook: ForwardPostHook): HookRemoveHelper {
    const id = nextHookId++;
    this._forwardPostHooks.set(id, hook);
    return new HookRemoveHelper(this._forwardPostHooks, id);
  }

  /** Paddle's `full_name()`: the unique name given at construction, e.g. `linear_3`. */
  fullName(): string {
    return this._fullName;
  }

  // ---- modes -------------------------------------------------------------------------------

  /** Training mode for this layer and all sublayers (dropout active, batch statistics). */
  train(): this {
    for (const l of this.sublayers({ includeSelf: true })) l.training = true;
    return this;
  }

  /** Evaluation mode for this layer and all sublayers (dropout off, running statistics). */
  eval(): this {
    for (const l of this.sublayers({ includeSelf: true })) l.training = false;
    return this;
  }

  /** Calls `fn` on every child subtree, then on this layer (Paddle's `apply`). */
  apply(fn: (layer: Layer) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- creating and registering members ------------------------------------------------------

  /**
   * Creates a parameter (Paddle's `create_parameter`). The initializer is, in order: the attr's,
   * the global one (`setGlobalInitializer`), `defaultInitializer`, then XavierUniform for weights
   * and zeros for biases. Returns null when `attr` is false. The parameter is not registered
   * until it is assigned to a property or passed to `addParameter`.
   */
  createParameter(shape: Shape, opts?: CreateParameterOptions & { attr?: Exclude<ParamAttrLike, false> }): Parameter;
  createParameter(shape: Shape, opts: CreateParameterOptions): Parameter | null;
  createParameter(shape: Shape, opts: CreateParameterOptions = {}): Parameter | null {
    const where = `${this.constructor.name}.createParameter`;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RangeError(`${where}: invalid shape ${Array.isArray(shape) ? fmtShape(shape) : String(shape)}`);
    }
    const attr = toParamAttr(opts.attr);
    if (attr === false) return null;
    const isBias = !!opts.isBias;
    const dtype = opts.dtype ?? this._dtype;
    const init =
      attr.initializer ??
      globalInitializer(isBias) ??
      opts.defaultInitializer ??
      (isBias || !isFloatDType(dtype) ? new Constant(0) : new XavierUniform());
    const name = attr.name ?? uniqueName(`${this._fullName}.${isBias ? 'b' : 'w'}`);
    const data = engine.noGrad(() => engine.tidy(() => init.generate(shape, dtype)));
    const p = Parameter.from(data, name, attr.trainable);
    p.learningRate = attr.learningRate;
    p.regularizer = attr.regularizer;
    p.needClip = attr.needClip;
    return p;
  }

  /** Registers `param` under `name` and sets `this[name]` (Paddle's `add_parameter`). */
  addParameter<P extends Parameter | null>(name: string, param: P): P {
    this.checkMemberName('addParameter', name, this._parameters);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`${this.constructor.name}.addParameter("${name}"): expected a Parameter, got ${describe(param)}`);
    }
    this.place(name, 'param', param);
    return param;
  }

  /** Registers `layer` under `name` and sets `this[name]` (Paddle's `add_sublayer`). */
  addSublayer<L extends Layer | null>(name: string, layer: L): L {
    this.checkMemberName('addSublayer', name, this._subLayers);
    if (layer !== null && !(layer instanceof Layer)) {
      throw new TypeError(`${this.constructor.name}.addSublayer("${name}"): expected a Layer, got ${describe(layer)}`);
    }
    this.place(name, 'layer', layer);
    return layer;
  }

  /**
   * Registers a non-trainable tensor (running statistics, masks). Persistable buffers are part of
   * `stateDict`. The tensor is exempted from enclosing `tidy` scopes: the layer owns it.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistable = true): void {
    this.checkMemberName('registerBuffer', name, this._buffers);
    if (tensor !== null) {
      if (!(tensor instanceof Tensor) || tensor instanceof Parameter) {
        throw new TypeError(`${this.constructor.name}.registerBuffer("${name}"): expected a Tensor that is not a Parameter, got ${describe(tensor)}`);
      }
      engine.keep(tensor);
    }
    this.place(name, 'buffer', tensor);
    if (persistable) this._nonPersistable.delete(name);
    else this._nonPersistable.add(name);
  }

  private checkMemberName(where: string, name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`${this.constructor.name}.${where}: the name must be a non-empty string`);
    }
    if (name.includes('.')) {
      throw new RangeError(`${this.constructor.name}.${where}: the name "${name}" must not contain "." (it separates structured names)`);
    }
    this._sync();
    if (name in this && !own.has(name)) {
      throw new RangeError(`${this.constructor.name}.${where}: "${name}" is already an attribute of the layer`);
    }
  }

  /** Sets `this[name]` and the registry of `kind`, removing the name from the other registries. */
  private place(name: string, kind: Kind, value: Parameter | Layer | Tensor | null): void {
    this.placeRegistry(name, kind, value);
    (this as unknown as Record<string, unknown>)[name] = value;
  }

  /**
   * Brings the registries in line with the object's own properties (the `__setattr__` rule):
   * new Parameter / Layer / Tensor properties are registered in property order, reassigned ones
   * updated in place, ones set to something else become null, deleted ones are unregistered.
   * @internal
   */
  _sync(): void {
    const self = this as unknown as Record<string, unknown>;
    const keys = Object.keys(this);
    for (const k of keys) {
      const v = self[k];
      if (v instanceof Parameter) {
        if (this._parameters.get(k) !== v) this.placeRegistry(k, 'param', v);
      } else if (v instanceof Layer) {
        if (this._subLayers.get(k) !== v) this.placeRegistry(k, 'layer', v);
      } else if (v instanceof Tensor) {
        if (this._buffers.get(k) !== v) {
          // A plain tensor property is a buffer, non-persistable unless registerBuffer said so.
          if (!this._buffers.has(k)) this._nonPersistable.add(k);
          this.placeRegistry(k, 'buffer', v);
        }
      } else if (this._parameters.has(k)) this._parameters.set(k, null);
      else if (this._subLayers.has(k)) this._subLayers.set(k, null);
      else if (this._buffers.has(k)) this._buffers.set(k, null);
    }
    const own = new Set(keys);
    for (const m of [this._parameters, this._subLayers, this._buffers] as Map<string, unknown>[]) {
      for (const k of [...m.keys()]) if (!own.has(k)) m.delete(k);
    }
    for (const k of [...this._nonPersistable]) if (!this._buffers.has(k)) this._nonPersistable.delete(k);
  }

  private placeRegistry(name: string, kind: Kind, value: Parameter | Layer | Tensor | null): void {
    if (kind !== 'param') this._parameters.delete(name);
    if (kind !== 'layer') this._subLayers.delete(name);
    if (kind !== 'buffer') {
      this._buffers.delete(name);
      this._nonPersistable.delete(name);
    }
    if (kind === 'param') this._parameters.set(name, value as Parameter | null);
    else if (kind === 'layer') this._subLayers.set(name, value as Layer | null);
    else this._buffers.set(name, value as Tensor | null);
  }

  // ---- traversal -----------------------------------------------------------------------------

  /** Direct children with their attribute names, each layer once. */
  namedChildren(): [string, Layer][] {
    this._sync();
    const seen = new Set<Layer>();
    const out: [string, Layer][] = [];
    for (const [k, l] of this._subLayers) {
      if (l && !seen.has(l)) {
        seen.add(l);
        out.push([k, l]);
      }
    }
    return out;
  }

  children(): Layer[] {
    return this.namedChildren().map(([, l]) => l);
  }

  /** Every descendant (pre-order, each once) with its structured name (`block.0.conv`). */
  namedSublayers(opts: { prefix?: string; includeSelf?: boolean } = {}): [string, Layer][] {
    const out: [string, Layer][] = [];
    const seen = new Set<Layer>();
    const visit = (layer: Layer, prefix: string, include: boolean): void => {
      if (include) {
        if (seen.has(layer)) return;
        seen.add(layer);
        out.push([prefix, layer]);
      }
      layer._sync();
      for (const [k, l] of layer._subLayers) {
        if (l) visit(l, prefix ? `${prefix}.${k}` : k, true);
      }
    };
    visit(this, opts.prefix ?? '', !!opts.includeSelf);
    return out;
  }

  sublayers(opts: { includeSelf?: boolean } = {}): Layer[] {
    return this.namedSublayers(opts).map(([, l]) => l);
  }

  /** Parameters with structured names, own first then each sublayer's, each parameter once. */
  namedParameters(prefix = '', includeSublayers = true): [string, Parameter][] {
    return this.collect('param', prefix, includeSublayers) as [string, Parameter][];
  }

  parameters(includeSublayers = true): Parameter[] {
    return this.namedParameters('', includeSublayers).map(([, p]) => p);
  }

  namedBuffers(prefix = '', includeSublayers = true): [string, Tensor][] {
    return this.collect('buffer', prefix, includeSublayers);
  }

  buffers(includeSublayers = true): Tensor[] {
    return this.namedBuffers('', includeSublayers).map(([, b]) => b);
  }

  private collect(kind: 'param' | 'buffer', prefix: string, includeSublayers: boolean): [string, Tensor][] {
    const layers: [string, Layer][] = includeSublayers ? this.namedSublayers({ prefix, includeSelf: true }) : [[prefix, this]];
    if (!includeSublayers) this._sync();
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [lp, layer] of layers) {
      const m: Map<string, Tensor | null> = kind === 'param' ? layer._parameters : layer._buffers;
      for (const [k, t] of m) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([lp ? `${lp}.${k}` : k, t]);
      }
    }
    return out;
  }

  /** Frees the gradients of all trainable parameters. */
  clearGradients(): void {
    for (const p of this.parameters()) {
      if (p.trainable && p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  // ---- state dict ----------------------------------------------------------------------------

  /**
   * Parameters and persistable buffers by structured name, in Paddle's order: a layer's own
   * parameters, then its buffers, then each sublayer's entries. The tensors are the layer's own
   * (not copies); a parameter shared by two sublayers appears under both names.
   */
  stateDict(opts: StateDictOptions = {}): StateDict {
    const dest: StateDict = new Map();
    this.fillStateDict(dest, opts.structuredNamePrefix ?? '', opts.includeSublayers ?? true, !!opts.includeNonPersistableBuffer);
    return dest;
  }

  private fillStateDict(dest: StateDict, prefix: string, sub: boolean, nonPersistable: boolean): void {
    this._sync();
    for (const [k, p] of this._parameters) if (p) dest.set(prefix + k, p);
    for (const [k, b] of this._buffers) {
      if (b && (nonPersistable || !this._nonPersistable.has(k))) dest.set(prefix + k, b);
    }
    if (!sub) return;
    for (const [k, l] of this._subLayers) if (l) l.fillStateDict(dest, `${prefix}${k}.`, sub, nonPersistable);
  }

  /**
   * Copies values from `state` into the parameters and buffers of the same structured names
   * (Paddle's `set_state_dict`). Atomic: every key, shape and value is checked before anything is
   * copied, and on any error nothing is. Shape mismatches are always errors; missing and
   * unexpected keys are errors when `strict` (default) and are returned otherwise. A source of
   * another float dtype is cast to the destination's dtype.
   */
  setStateDict(state: Map<string, Tensor> | Record<string, Tensor>, opts: SetStateDictOptions = {}): SetStateDictResult {
    const strict = opts.strict ?? true;
    const where = `${this.constructor.name} (${this._fullName}).setStateDict`;
    if (state === null || typeof state !== 'object') throw new TypeError(`${where}: expected a Map or object of tensors, got ${describe(state)}`);
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    let own = this.stateDict();
    if (opts.useStructuredName === false) {
      const byName: StateDict = new Map();
      for (const [k, t] of own) {
        const prev = byName.get(t.name);
        if (prev && prev !== t) throw new Error(`${where}: "${k}" and another entry share the tensor name "${t.name}"; load by structured names instead`);
        byName.set(t.name, t);
      }
      own = byName;
    }
    const missingKeys: string[] = [];
    const problems: string[] = [];
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, dst] of own) {
      if (!src.has(key)) {
        missingKeys.push(key);
        continue;
      }
      const s = src.get(key);
      if (!(s instanceof Tensor)) {
        problems.push(`"${key}": expected a Tensor, got ${describe(s)}`);
      } else if (s.isDisposed) {
        problems.push(`"${key}": the source tensor was disposed`);
      } else if (!shapesEqual(s.shape, dst.shape)) {
        problems.push(`"${key}": shape ${fmtShape(s.shape)} in the state dict, ${fmtShape(dst.shape)} in the layer`);
      } else if (s.dtype !== dst.dtype && !(isFloatDType(s.dtype) && isFloatDType(dst.dtype))) {
        problems.push(`"${key}": dtype ${s.dtype} in the state dict, ${dst.dtype} in the layer`);
      } else {
        pairs.push([dst, s]);
      }
    }
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (strict) {
      if (missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (problems.length) {
      throw new Error(`${where}: nothing was loaded:\n  ${problems.join('\n  ')}`);
    }
    // Make every copy first, so that a failure while copying still leaves the layer untouched.
    const copies: Tensor[] = [];
    try {
      engine.noGrad(() => {
        for (const [dst, s] of pairs) copies.push(copyTo(s, dst));
      });
    } catch (e) {
      for (const c of copies) c.dispose();
      throw e;
    }
    pairs.forEach(([dst], i) => engine.assignInPlace(dst, copies[i]!));
    return { missingKeys, unexpectedKeys };
  }

  // ---- lifetime and printing -----------------------------------------------------------------

  /** Frees this layer's parameters and buffers and those of all sublayers, including any shared with other layers. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** One-line description of the layer's configuration, shown by toString (Paddle's extra_repr). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const extra = this.extraRepr();
    const lines = this.namedChildren().map(([k, l]) => `(${k}): ${l.toString().split('\n').join('\n  ')}`);
    let s = `${this.constructor.name}(${extra}`;
    if (lines.length) s += `\n  ${lines.join('\n  ')}\n`;
    return `${s})`;
  }
}

/** A copy of `src` with `dst`'s dtype, on `dst`'s device. */
function copyTo(src: Tensor, dst: Tensor): Tensor {
  if (src.device !== dst.device) {
    const host = src.dtype === dst.dtype ? src : cast(src, dst.dtype);
    const t = engine.fromArray(host.dataSync(), dst.shape, dst.dtype, dst.device);
    if (host !== src) host.dispose();
    return t;
  }
  return src.dtype === dst.dtype ? clone(src) : cast(src, dst.dtype);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no class'})`;
  return typeof v;
}
