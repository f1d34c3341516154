import type { DType, TypedArray } from '../tensor/dtype';

/**
 * What a device provides to the engine: buffers and a name. Kernels are registered separately,
 * per backend kind, in the kernel registry. A buffer is opaque to the engine; the CPU backend's
 * buffers are typed arrays, an accelerator's are device allocations.
 */
export interface Backend {
  /** Backend kind, the key of its kernel table: `cpu`, `xpu`. */
  readonly kind: string;
  /** Device string tensors carry: `cpu`, `xpu:0`. */
  readonly device: string;
  /** A zero-filled buffer of `numel` elements. */
  alloc(dtype: DType, numel: number): unknown;
  /** A buffer holding a copy of `data` (whose element type matches `dtype`'s storage). */
  fromArray(dtype: DType, data: TypedArray): unknown;
  /** A host copy of a buffer's first `numel` elements; waits for pending work. */
  read(buffer: unknown, dtype: DType, numel: number): TypedArray;
  free(buffer: unknown, dtype: DType, numel: number): void;
  /** Waits until all queued work on this device is done. */
  synchronize(): void;
  /** Bytes the backend holds beyond live tensors (pools, caches); 0 when it keeps none. */
  cachedBytes?(): number;
  /** Releases what cachedBytes counts. */
  emptyCache?(): void;
}

export type BackendFactory = (index: number) => Backend;
