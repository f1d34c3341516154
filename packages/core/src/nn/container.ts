/** Containers of layers and parameters: Sequential, LayerList, LayerDict, ParameterList. */
import { Parameter } from '../tensor/parameter';
import type { Tensor } from '../tensor/tensor';
import { Layer } from './layer';

function normIndex(where: string, i: number, n: number): number {
  if (!Number.isInteger(i)) throw new TypeError(`${where}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new RangeError(`${where}: index ${i} is out of range for ${n} entries`);
  return j;
}

/** Unregisters every sublayer and deletes the properties, so entries can be re-added in order. */
function clearSublayers(layer: Layer): Layer[] {
  const items = [...layer._subLayers.values()].filter((l): l is Layer => l !== null);
  for (const k of [...layer._subLayers.keys()]) {
    layer._subLayers.delete(k);
    delete (layer as unknown as Record<string, unknown>)[k];
  }
  return items;
}

/**
 * Runs its layers in order, each output feeding the next (Paddle's `Sequential`). Built from
 * layers (named "0", "1", ...) or from [name, layer] pairs.
 */
export class Sequential extends Layer {
  constructor(...layers: (Layer | [string, Layer])[]) {
    super();
    layers.forEach((item, i) => {
      if (Array.isArray(item)) {
        const [name, layer] = item;
        if (this._subLayers.has(name)) throw new RangeError(`Sequential: duplicate layer name "${name}"`);
        this.addSublayer(name, layer);
      } else {
        this.addSublayer(String(i), item);
      }
    });
  }

  override forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const l of this.layers()) x = l.call(x);
    return x as Tensor;
  }

  /** Registered layers in order; a layer added twice runs twice, as in Paddle. */
  private layers(): Layer[] {
    this._sync();
    return [...this._subLayers.values()].filter((l): l is Layer => l !== null);
  }

  get length(): number {
    return this.layers().length;
  }

  /** The layer at position `i` (negative counts from the end). */
  at(i: number): Layer {
    const ls = this.layers();
    return ls[normIndex('Sequential.at', i, ls.length)]!;
  }

  /** The layer registered as `name`. */
  get(name: string): Layer {
    const l = this._subLayers.get(name);
    if (!l) throw new RangeError(`Sequential.get: no layer named "${name}"; names are ${[...this._subLayers.keys()].join(', ')}`);
    return l;
  }

  /** A new Sequential of the same layer objects in [start, end), renamed from "0" as Paddle's slicing does. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(...this.layers().slice(start, end));
  }

  /** Appends a layer named by its position. */
  append(layer: Layer): this {
    this._sync();
    const name = String(this._subLayers.size);
    if (this._subLayers.has(name)) throw new RangeError(`Sequential.append: the name "${name}" is taken by a named layer`);
    this.addSublayer(name, layer);
    return this;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.layers()[Symbol.iterator]();
  }
}

/** A list of sublayers named "0", "1", ... (Paddle's `LayerList`); it has no forward of its own. */
export class LayerList extends Layer {
  constructor(sublayers: Iterable<Layer> = []) {
    super();
    for (const l of sublayers) this.append(l);
  }

  private items(): Layer[] {
    this._sync();
    return [...this._subLayers.values()].filter((l): l is Layer => l !== null);
  }

  private rebuild(items: Layer[]): void {
    clearSublayers(this);
    items.forEach((l, i) => this.addSublayer(String(i), l));
  }

  get length(): number {
    return this.items().length;
  }

  at(i: number): Layer {
    const it = this.items();
    return it[normIndex('LayerList.at', i, it.length)]!;
  }

  /** Replaces the layer at position `i`. */
  set(i: number, layer: Layer): void {
    const it = this.items();
    it[normIndex('LayerList.set', i, it.length)] = layer;
    this.rebuild(it);
  }

  append(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new TypeError('LayerList.append: expected a Layer');
    this.addSublayer(String(this._subLayers.size), layer);
    return this;
  }

  /** Inserts before position `index` (Paddle's `insert`; an index past the end appends). */
  insert(index: number, layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError('LayerList.insert: expected a Layer');
    const it = this.items();
    const n = it.length;
    const j = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    it.splice(j, 0, layer);
    this.rebuild(it);
  }

  extend(layers: Iterable<Layer>): this {
    for (const l of layers) this.append(l);
    return this;
  }

  /** Removes and returns the layer at `i`; the ones after it are renumbered. */
  delete(i: number): Layer {
    const it = this.items();
    const [removed] = it.splice(normIndex('LayerList.delete', i, it.length), 1);
    this.rebuild(it);
    return removed!;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.items()[Symbol.iterator]();
  }
}

/** Sublayers by name, in insertion order (Paddle's `LayerDict`). */
export class LayerDict extends Layer {
  constructor(sublayers?: Map<string, Layer> | Record<string, Layer> | [string, Layer][]) {
    super();
    if (sublayers) this.update(sublayers);
  }

  get length(): number {
    return this.keys().length;
  }

  has(key: string): boolean {
    this._sync();
    return this._subLayers.get(key) instanceof Layer;
  }

  get(key: string): Layer {
    this._sync();
    const l = this._subLayers.get(key);
    if (!l) throw new RangeError(`LayerDict.get: no layer named "${key}"`);
    return l;
  }

  set(key: string, layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`LayerDict.set("${key}"): expected a Layer`);
    this.addSublayer(key, layer);
  }

  /** Removes and returns the layer named `key`. */
  pop(key: string): Layer {
    const l = this.get(key);
    this._subLayers.delete(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return l;
  }

  clear(): void {
    clearSublayers(this);
  }

  keys(): string[] {
    return this.items().map(([k]) => k);
  }

  values(): Layer[] {
    return this.items().map(([, l]) => l);
  }

  items(): [string, Layer][] {
    this._sync();
    return [...this._subLayers.entries()].filter((e): e is [string, Layer] => e[1] !== null);
  }

  update(sublayers: Map<string, Layer> | Record<string, Layer> | [string, Layer][]): void {
    const entries: [string, Layer][] =
      sublayers instanceof Map ? [...sublayers.entries()] : Array.isArray(sublayers) ? sublayers : Object.entries(sublayers);
    for (const [k, l] of entries) this.set(k, l);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}

/** A list of parameters named "0", "1", ... (Paddle's `ParameterList`). */
export class ParameterList extends Layer {
  constructor(parameters: Iterable<Parameter> = []) {
    super();
    for (const p of parameters) this.append(p);
  }

  private items(): Parameter[] {
    this._sync();
    return [...this._parameters.values()].filter((p): p is Parameter => p !== null);
  }

  get length(): number {
    return this.items().length;
  }

  at(i: number): Parameter {
    const ps = this.items();
    return ps[normIndex('ParameterList.at', i, ps.length)]!;
  }

  /** Replaces the parameter at position `i`. */
  set(i: number, p: Parameter): void {
    if (!(p instanceof Parameter)) throw new TypeError('ParameterList.set: expected a Parameter');
    const n = this.items().length;
    this.addParameter(String(normIndex('ParameterList.set', i, n)), p);
  }

  append(p: Parameter): this {
    if (!(p instanceof Parameter)) throw new TypeError('ParameterList.append: expected a Parameter');
    this.addParameter(String(this._parameters.size), p);
    return this;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this.items()[Symbol.iterator]();
  }
}
