/** The engine's user-facing functions (Paddle's `paddle.seed`, `paddle.no_grad`, tfjs's `tidy`). */
import type { Tensor } from '../tensor/tensor';
import { backward as backwardImpl, grad as gradImpl, type BackwardOptions, type GradOptions } from './autograd';
import { engine, type MemoryInfo } from './engine';

/** Runs fn and disposes every tensor it created except those it returns or keeps. */
export function tidy<T>(fn: () => T): T {
  return engine.tidy(fn);
}

/** Exempts a tensor from disposal by enclosing `tidy` scopes. */
export function keep<T extends Tensor>(t: T): T {
  return engine.keep(t);
}

/** Disposes tensors found in `x` (a tensor, an array, or a plain object of them). */
export function dispose(x: unknown): void {
  if (x === null || typeof x !== 'object') return;
  if (typeof (x as Tensor).dispose === 'function' && 'shape' in (x as object)) (x as Tensor).dispose();
  else if (Array.isArray(x)) x.forEach(dispose);
  else if (Object.getPrototypeOf(x) === Object.prototype) Object.values(x).forEach(dispose);
}

/** Live tensors and bytes, per device. */
export function memory(): MemoryInfo {
  return engine.memory();
}

/** Releases the memory backends keep for reuse (reported as `cachedBytes` by `memory()`). */
export function emptyCache(): void {
  engine.emptyCache();
}

/** Runs fn without recording operations for autograd (Paddle's `no_grad`). */
export function noGrad<T>(fn: () => T): T {
  return engine.noGrad(fn);
}

export function isGradEnabled(): boolean {
  return engine.isGradEnabled();
}

/** Seeds the global Philox generator: a seeded run repeats bit for bit. */
export function seed(n: number): void {
  engine.seed(n);
}

/** Sets the default device: `cpu`, `xpu`, `xpu:N` (Paddle's `set_device`). */
export function setDevice(device: string): void {
  engine.setDevice(device);
}

export function getDevice(): string {
  return engine.getDevice();
}

/** Paddle's `Tensor.backward`: accumulates gradients into the leaves' `.grad`. */
export function backward(t: Tensor | Tensor[], gradTensors?: (Tensor | undefined)[], opts?: BackwardOptions): void {
  backwardImpl(t, gradTensors, opts);
}

/** Paddle's `paddle.grad`. */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  gradOutputs?: (Tensor | undefined)[],
  opts?: GradOptions,
): (Tensor | null)[] {
  return gradImpl(outputs, inputs, gradOutputs, opts);
}

/** Turns the NaN/Inf check on or off: when on, the first operator output with NaN or Inf throws. */
export function setCheckNanInf(on: boolean): void {
  engine.flags.checkNanInf = on;
}

export type { BackwardOptions, GradOptions, MemoryInfo };
