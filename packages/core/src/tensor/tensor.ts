import { allocArray, bf16ToFloat, halfToFloat, type DType, type TypedArray } from './dtype';
import { fmtShape, numel, type Shape } from './shape';
import type { Backend } from '../backends/backend';
import { backward, type BackwardOptions, type GradNode } from '../engine/autograd';
import { engineRef } from '../engine/ref';

/** A backend buffer shared by the tensors that view it (reshape shares; nothing else does). */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly buffer: unknown,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}

let nextId = 1;

export type NestedArray = number | boolean | bigint | NestedArray[];

/**
 * An n-dimensional array on a device. Created by ops and creation functions, never with `new`
 * by users. Its memory is released by `dispose()`, by `using`, or by the enclosing `tidy`.
 */
export class Tensor {
  readonly id = nextId++;
  /** Like Paddle's `stop_gradient`: true for data, false for parameters and their results. */
  stopGradient = true;
  /** Accumulated gradient after `backward()` (leaf tensors only). */
  grad: Tensor | null = null;
  name: string;
  /** @internal the operation that produced this tensor, when recorded for autograd. */
  _node: GradNode | null = null;
  /** @internal */
  _disposed = false;
  /** @internal excluded from tidy scopes (kept, parameters, gradients). */
  _kept = false;
  /** @internal bumped by in-place updates, so autograd can tell when saved values changed. */
  _version = 0;
  /**
   * @internal the `_version` at which this tensor was known to be all zeros (a gradient cleared
   * by `clearGrad()`), or -1. Backward then stores the new gradient instead of adding to zeros.
   */
  _zeroAtVersion = -1;

  /** @internal use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(
    /** @internal */ public _storage: Storage,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {
    this.name = `tensor_${this.id}`;
    engineRef().track(this);
  }

  get device(): string {
    return this._storage.backend.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return numel(this.shape);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** @internal throws when the tensor was disposed; `where` names the caller. */
  _assertLive(where: string): void {
    if (this._disposed) {
      throw new Error(
        `${where}: tensor "${this.name}" (shape ${fmtShape(this.shape)}, ${this.dtype}) was already disposed`,
      );
    }
  }

  /** A host copy of the elements in row-major order (float16/bfloat16 as their bit patterns). */
  dataSync(): TypedArray {
    this._assertLive('dataSync');
    const s = this._storage;
    if (this.size === 0) return allocArray(this.dtype, 0);
    return s.backend.read(s.buffer, this.dtype, this.size);
  }

  /** Elements as JS numbers (int64 converted with Number, half types widened). */
  toFlatArray(): number[] {
    const d = this.dataSync();
    const out = new Array<number>(d.length);
    if (this.dtype === 'float16') for (let i = 0; i < d.length; i++) out[i] = halfToFloat(d[i] as number);
    else if (this.dtype === 'bfloat16') for (let i = 0; i < d.length; i++) out[i] = bf16ToFloat(d[i] as number);
    else for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }

  /** Nested JS arrays like `numpy().tolist()`; a 0-d tensor gives a number. */
  toArray(): NestedArray {
    const flat = this.toFlatArray();
    const asBool = this.dtype === 'bool';
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.shape.length) return asBool ? flat[off] !== 0 : flat[off]!;
      const n = this.shape[dim]!;
      let stride = 1;
      for (let i = dim + 1; i < this.shape.length; i++) stride *= this.shape[i]!;
      const res: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) res[i] = build(dim + 1, off + i * stride);
      return res;
    };
    return build(0, 0);
  }

  /** The single element of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item(): tensor has ${this.size} elements (shape ${fmtShape(this.shape)}), expected exactly 1`);
    }
    return this.toFlatArray()[0]!;
  }

  /**
   * Accumulates the gradient of this tensor (ones, or `grad`) into every leaf's `.grad`
   * (Paddle's `Tensor.backward`).
   */
  backward(grad?: Tensor, opts: BackwardOptions = {}): void {
    backward(this, grad ? [grad] : undefined, opts);
  }

  /** Drops the accumulated gradient (Paddle's `clear_gradient`). */
  clearGradient(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** Releases the memory now. Idempotent. */
  dispose(): void {
    engineRef().disposeTensor(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (this._disposed) return `Tensor(disposed, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    const body = this.size <= 64 ? JSON.stringify(this.toArray()) : `<${this.size} elements>`;
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}, stopGradient=${this.stopGradient},\n  ${body})`;
  }
}
