/**
 * The core engine's Backend for one `xpu:N` device: buffers are blocks of the caching allocator on
 * that device, filled and read with synchronous driver copies. The kernels (src/kernels) reach the
 * device's libraries and compiled modules through `compute`.
 *
 * The driver is injected (the CUDA driver in production, an in-memory fake in the unit tests), so the
 * buffer bookkeeping is tested without a GPU; the CUDA path runs in the device tests (test/device).
 * Reads and synchronize are where the host waits for the device, so they also report what the
 * kernels' data checks recorded (runtime/checks.ts).
 */
import { allocArray, dtypeBytes, type Backend, type DType, type TypedArray } from '@oar/core';
import type { CudaDriver, Handle } from '../ffi/cuda';
import { CachingAllocator, type DeviceMemory } from './allocator';
import type { Compute } from './compute';

/** The driver calls a device's buffers need. */
export type MemoryDriver = Pick<CudaDriver, 'ctxSetCurrent' | 'ctxSynchronize' | 'tryMemAlloc' | 'memFree' | 'memsetD8' | 'memcpyHtoD' | 'memcpyDtoH'>;

/** What an xpu tensor's storage holds. */
export interface XpuBuffer {
  readonly ptr: bigint;
  /** Bytes the tensor uses (the block may be larger: see allocator size classes). */
  readonly bytes: number;
}

function isXpuBuffer(b: unknown): b is XpuBuffer {
  return typeof b === 'object' && b !== null && typeof (b as XpuBuffer).ptr === 'bigint' && typeof (b as XpuBuffer).bytes === 'number';
}

export class XpuBackend implements Backend {
  readonly kind = 'xpu';
  readonly allocator: CachingAllocator;

  /** `ctx` is the device's primary context, made current before every driver call (several devices share a thread). */
  constructor(
    readonly device: string,
    private readonly cu: MemoryDriver,
    private readonly ctx: Handle,
    private readonly _compute?: Compute,
  ) {
    const memory: DeviceMemory = {
      alloc: (bytes) => this.cu.tryMemAlloc(bytes),
      free: (ptr) => this.cu.memFree(ptr),
    };
    this.allocator = new CachingAllocator(memory, device);
  }

  /** The device's kernel launcher and libraries; absent for a memory-only backend (tests). */
  compute(): Compute {
    if (!this._compute) throw new Error(`${this.device}: this backend holds memory only and runs no kernels`);
    this._compute.current();
    return this._compute;
  }

  /** A buffer of `numel` elements with undefined contents, for kernels that write every element. */
  empty(dtype: DType, numel: number): XpuBuffer {
    const bytes = numel * dtypeBytes(dtype);
    this.current();
    return { ptr: this.allocator.alloc(bytes), bytes };
  }

  private current(): MemoryDriver {
    this.cu.ctxSetCurrent(this.ctx);
    return this.cu;
  }

  private buffer(b: unknown): XpuBuffer {
    if (!isXpuBuffer(b)) throw new Error(`${this.device}: not a buffer of this backend`);
    return b;
  }

  alloc(dtype: DType, numel: number): XpuBuffer {
    const bytes = numel * dtypeBytes(dtype);
    const cu = this.current();
    const ptr = this.allocator.alloc(bytes);
    // Reused blocks hold old data; the Backend contract is zero-filled.
    if (bytes > 0) cu.memsetD8(ptr, 0, bytes);
    return { ptr, bytes };
  }

  fromArray(dtype: DType, data: TypedArray): XpuBuffer {
    const bytes = data.length * dtypeBytes(dtype);
    if (bytes !== data.byteLength) throw new Error(`${this.device}: a ${data.constructor.name} is not ${dtype} storage`);
    const cu = this.current();
    const ptr = this.allocator.alloc(bytes);
    if (bytes > 0) cu.memcpyHtoD(ptr, data, bytes);
    return { ptr, bytes };
  }

  read(buffer: unknown, dtype: DType, numel: number): TypedArray {
    const b = this.buffer(buffer);
    const out = allocArray(dtype, numel);
    if (out.byteLength > b.bytes) throw new Error(`${this.device}: reading ${numel} ${dtype} (${out.byteLength} bytes) from a ${b.bytes}-byte buffer`);
    // cuMemcpyDtoH waits for work queued on the legacy default stream, which all launches use for now.
    if (out.byteLength > 0) this.current().memcpyDtoH(out, b.ptr, out.byteLength);
    this._compute?.checks.verify();
    return out;
  }

  free(buffer: unknown, _dtype?: DType, _numel?: number): void {
    this.allocator.free(this.buffer(buffer).ptr);
  }

  synchronize(): void {
    this.current().ctxSynchronize();
    this._compute?.checks.verify();
  }

  cachedBytes(): number {
    return this.allocator.memory().cached;
  }

  emptyCache(): void {
    this.current();
    this.allocator.emptyCache();
  }
}
