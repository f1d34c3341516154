import type { Backend } from '../backends/backend';
import type { DType } from '../tensor/dtype';
import type { Shape } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { globalSingleton } from '../utils/global';

/** An attribute value as Paddle programs carry them. */
export type AttrValue = number | boolean | string | number[] | boolean[] | string[] | bigint;
export type Attrs = Record<string, AttrValue>;

/** Shape and dtype of a tensor, as shape inference sees it. */
export interface TensorMeta {
  shape: Shape;
  dtype: DType;
}

export type Slot<T> = T | T[] | undefined;
export type SlotMap<T> = Record<string, Slot<T>>;

export interface SlotSpec {
  name: string;
  /** May be absent (Paddle's "dispensable"). */
  optional?: boolean;
  /** Takes a list of tensors (Paddle's "duplicable"). */
  list?: boolean;
  /** Gradients never flow into this input (labels, indices, shape tensors). */
  noGrad?: boolean;
}

/** Everything a gradient function sees of the forward call. */
export interface GradContext {
  inputs: SlotMap<Tensor>;
  outputs: SlotMap<Tensor>;
  attrs: Attrs;
  /** Upstream gradients by output slot; null where no gradient flows back. */
  outGrads: Record<string, Tensor | null | (Tensor | null)[]>;
  /** True for each input slot (or list entry) that needs a gradient. */
  needs(slot: string, index?: number): boolean;
}

/** Gradients by input slot; null/undefined where none is produced. */
export type GradResult = Record<string, Tensor | null | undefined | (Tensor | null | undefined)[]>;

/**
 * The backend-independent definition of one Paddle operator: its slots, attributes with
 * Paddle's defaults, shape/dtype inference, and (when differentiable) its gradient written
 * with other operators, so every backend inherits autograd.
 */
export interface OpSpec {
  type: string;
  inputs: SlotSpec[];
  outputs: SlotSpec[];
  /** Attribute names with their Paddle default values. */
  attrs: Attrs;
  /** Validates inputs and attributes and gives the outputs' shapes and dtypes. */
  inferMeta(inputs: SlotMap<TensorMeta>, attrs: Attrs): SlotMap<TensorMeta>;
  /** Output slots written in place into an input slot (optimizer updates, BN statistics). */
  inplace?: Record<string, string>;
  /**
   * Draws random numbers: the engine reserves a Philox range for the kernel. A function decides
   * per call (dropout in inference form draws nothing, as in Paddle).
   */
  random?: boolean | ((attrs: Attrs) => boolean);
  grad?(ctx: GradContext): GradResult;
}

/** Philox coordinates reserved for one random kernel launch (see random/philox.ts). */
export interface RngState {
  key: [number, number];
  /** First 128-bit counter block to use; element i draws from block offset + floor(i / 4). */
  offset: number;
}

export interface KernelContext<B extends Backend = Backend> {
  backend: B;
  attrs: Attrs;
  /** Inferred output metas, by slot. */
  meta: SlotMap<TensorMeta>;
  rng?: RngState;
  /** Autograd records this call (gradients may follow); false under noGrad. */
  recording?: boolean;
}

/** A kernel's output whose shape is only known after running (data-dependent ops). */
export class Dynamic {
  constructor(
    readonly buffer: unknown,
    readonly shape: Shape,
  ) {}
}

export type KernelOutput = unknown | Dynamic;
export type KernelFn<B extends Backend = Backend> = (
  inputs: SlotMap<Tensor>,
  ctx: KernelContext<B>,
) => Record<string, KernelOutput | KernelOutput[]>;

interface Registries {
  specs: Map<string, OpSpec>;
  kernels: Map<string, Map<string, KernelFn>>;
}

// On globalThis so that two copies of @oar/core in one process share one registry.
const reg = globalSingleton<Registries>('registries', () => ({ specs: new Map(), kernels: new Map() }));

export function registerOp(spec: OpSpec): void {
  reg.specs.set(spec.type, spec);
}

export function getOpSpec(type: string): OpSpec {
  const s = reg.specs.get(type);
  if (!s) throw new Error(`unknown operator "${type}": no operator of that type is registered in @oar/core`);
  return s;
}

export function hasOp(type: string): boolean {
  return reg.specs.has(type);
}

export function registeredOps(): string[] {
  return [...reg.specs.keys()].sort();
}

export function registerKernel<B extends Backend>(backendKind: string, type: string, fn: KernelFn<B>): void {
  let t = reg.kernels.get(backendKind);
  if (!t) reg.kernels.set(backendKind, (t = new Map()));
  t.set(type, fn as unknown as KernelFn);
}

export function getKernel(backendKind: string, type: string): KernelFn | undefined {
  return reg.kernels.get(backendKind)?.get(type);
}

export function registeredKernels(backendKind: string): string[] {
  return [...(reg.kernels.get(backendKind)?.keys() ?? [])].sort();
}
