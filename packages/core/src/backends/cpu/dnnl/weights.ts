/**
 * Weights (convolution filters, fully connected matrices) reordered once into a primitive's own
 * layout and kept, per storage and primitive: a network run again with unchanged weights
 * (inference) skips their reorders; after an in-place update the reorder reuses the cached array.
 */
import type { KernelContext } from '../../../kernels/registry';
import type { Tensor } from '../../../tensor/tensor';
import type { Primitive } from './primitive';

/**
 * Identifies a weight tensor's contents: the storage it lives in and that storage's version
 * (bumped by every in-place update, e.g. an optimizer step).
 */
export interface WeightKey {
  storage: object;
  version: number;
}

/**
 * The key of a weight tensor whose reordered copy may be kept: one not being trained (stop
 * gradient, or no autograd recording), so it changes only through in-place updates, which bump
 * its version. Undefined for weights being trained.
 */
export function frozenWeights(w: Tensor, ctx: KernelContext): WeightKey | undefined {
  return w.stopGradient || !ctx.recording ? { storage: w._storage, version: w._version } : undefined;
}

interface CachedWeight {
  version: number;
  data: Float32Array;
}

const cache = new WeakMap<object, Map<Primitive, CachedWeight>>();

const READY_1: ReadonlySet<number> = new Set([1]);

/** Runs p on `arrays` ([src, weights, ...]) with the weights (argument 1) taken from, or put into, the cache. */
export function runWithWeights(p: Primitive, arrays: Float32Array[], key: WeightKey | undefined): void {
  if (!key) return p.run(arrays);
  let perPrim = cache.get(key.storage);
  if (!perPrim) cache.set(key.storage, (perPrim = new Map()));
  const hit = perPrim.get(p);
  if (hit?.version === key.version) {
    arrays[1] = hit.data;
    return p.run(arrays, READY_1);
  }
  const data = p.prepare(1, arrays[1]!, hit?.data);
  if (!data) return p.run(arrays);
  perPrim.set(p, { version: key.version, data });
  arrays[1] = data;
  p.run(arrays, READY_1);
}
