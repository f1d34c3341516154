/**
 * A caching device allocator: freed blocks go to a free list of their size class and are handed
 * out again, so a training step that allocates the same shapes every iteration stops calling the
 * driver after the first one (cuMemAlloc/cuMemFree synchronize the device and cost far more than a
 * kernel launch).
 *
 * Size classes: requests up to 1 MiB round up to a multiple of 512 bytes; larger ones to a multiple
 * of 2 MiB. A block is reused only for its own class (no splitting), which keeps the bookkeeping
 * small at the price of some slack on large tensors.
 *
 * Out of memory: the cache is released to the driver and the allocation retried once; if that
 * fails too, OutOfMemoryError says how much was asked and how much is in use.
 */

/** The device side the allocator draws on (the CUDA driver in production, a fake in tests). */
export interface DeviceMemory {
  /** A new allocation of exactly `bytes`, or null when the device is out of memory. Other failures throw. */
  alloc(bytes: number): bigint | null;
  free(ptr: bigint): void;
}

export interface AllocatorMemory {
  /** Bytes held by live blocks (rounded sizes). */
  inUse: number;
  /** Bytes in free lists, kept for reuse. */
  cached: number;
  /** Highest inUse since creation or resetPeak(). */
  peak: number;
  /** inUse + cached: what the driver has given this allocator. */
  reserved: number;
  liveBlocks: number;
  cachedBlocks: number;
  /** Allocations that reached the driver (cache misses). */
  driverAllocs: number;
}

export const SMALL_LIMIT = 1 << 20;
export const SMALL_ROUND = 512;
export const LARGE_ROUND = 2 << 20;

/** The size class of a request: its rounded size in bytes (a zero-byte request still gets a block). */
export function sizeClass(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`invalid allocation size ${bytes}`);
  const n = Math.max(bytes, 1);
  const unit = n <= SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
  return Math.ceil(n / unit) * unit;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]} (${n} bytes)`;
}

export class OutOfMemoryError extends Error {
  constructor(
    readonly device: string,
    readonly requested: number,
    readonly rounded: number,
    readonly inUse: number,
    readonly released: number,
  ) {
    super(
      `${device} is out of memory: asked for ${formatBytes(requested)}` +
        (rounded !== requested ? ` (rounded to ${formatBytes(rounded)})` : '') +
        `, with ${formatBytes(inUse)} in use by live tensors; ` +
        `${released > 0 ? `the cache of ${formatBytes(released)} was released and ` : 'nothing was cached; '}the allocation retried once. ` +
        'Reduce the batch size or free tensors (dispose/tidy).',
    );
    this.name = 'OutOfMemoryError';
  }
}

export class CachingAllocator {
  private readonly live = new Map<bigint, number>();
  private readonly freeLists = new Map<number, bigint[]>();
  private inUse = 0;
  private cached = 0;
  private peak = 0;
  private driverAllocs = 0;

  constructor(
    private readonly device: DeviceMemory,
    private readonly label = 'xpu',
  ) {}

  /** A device pointer to at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): bigint {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    let ptr = list?.pop();
    if (ptr !== undefined) {
      this.cached -= size;
    } else {
      ptr = this.device.alloc(size) ?? undefined;
      if (ptr === undefined) {
        const released = this.cached;
        this.emptyCache();
        ptr = this.device.alloc(size) ?? undefined;
        if (ptr === undefined) throw new OutOfMemoryError(this.label, bytes, size, this.inUse, released);
      }
      this.driverAllocs++;
    }
    this.live.set(ptr, size);
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return ptr;
  }

  /** Returns a block to its size class's free list; the driver keeps the memory. */
  free(ptr: bigint): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`${this.label}: free of 0x${ptr.toString(16)}, which is not a live block of this allocator (double free?)`);
    this.live.delete(ptr);
    this.inUse -= size;
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
    this.cached += size;
  }

  /** The rounded size of a live block. */
  sizeOf(ptr: bigint): number | undefined {
    return this.live.get(ptr);
  }

  /** Gives every cached block back to the driver. Live blocks are untouched. */
  emptyCache(): void {
    for (const [size, list] of this.freeLists) {
      while (list.length > 0) {
        const ptr = list.pop()!;
        this.cached -= size;
        this.device.free(ptr);
      }
    }
    this.freeLists.clear();
  }

  resetPeak(): void {
    this.peak = this.inUse;
  }

  memory(): AllocatorMemory {
    let cachedBlocks = 0;
    for (const list of this.freeLists.values()) cachedBlocks += list.length;
    return {
      inUse: this.inUse,
      cached: this.cached,
      peak: this.peak,
      reserved: this.inUse + this.cached,
      liveBlocks: this.live.size,
      cachedBlocks,
      driverAllocs: this.driverAllocs,
    };
  }
}
