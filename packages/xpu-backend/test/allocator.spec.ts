// The caching allocator against a fake device with a fixed capacity, which records every driver call.
import { CachingAllocator, formatBytes, LARGE_ROUND, OutOfMemoryError, sizeClass, type DeviceMemory } from '../src/runtime/allocator';

const MiB = 1 << 20;

/** A device with `capacity` bytes; pointers are distinct, 4 KiB-aligned and never reused while live. */
class FakeDevice implements DeviceMemory {
  readonly live = new Map<bigint, number>();
  readonly calls: string[] = [];
  private next = 0x7f0000000000n;
  used = 0;
  constructor(public capacity: number) {}
  alloc(bytes: number): bigint | null {
    this.calls.push(`alloc ${bytes}`);
    if (this.used + bytes > this.capacity) return null;
    const p = this.next;
    this.next += BigInt(Math.ceil(bytes / 4096) * 4096 + 4096);
    this.live.set(p, bytes);
    this.used += bytes;
    return p;
  }
  free(ptr: bigint): void {
    this.calls.push(`free ${this.live.get(ptr)}`);
    const n = this.live.get(ptr);
    if (n === undefined) throw new Error('fake device: bad free');
    this.live.delete(ptr);
    this.used -= n;
  }
}

describe('sizeClass', () => {
  it('rounds small requests to 512 bytes and large ones to 2 MiB', () => {
    expect(sizeClass(0)).toBe(512);
    expect(sizeClass(1)).toBe(512);
    expect(sizeClass(512)).toBe(512);
    expect(sizeClass(513)).toBe(1024);
    expect(sizeClass(MiB)).toBe(MiB); // the last small size
    expect(sizeClass(MiB + 1)).toBe(2 * MiB);
    expect(sizeClass(3 * MiB)).toBe(4 * MiB);
    expect(sizeClass(4 * MiB)).toBe(4 * MiB);
    expect(sizeClass(100 * MiB + 7)).toBe(102 * MiB);
  });

  it('rejects negative and fractional sizes', () => {
    expect(() => sizeClass(-1)).toThrow(RangeError);
    expect(() => sizeClass(1.5)).toThrow('invalid allocation size 1.5');
  });
});

describe('CachingAllocator', () => {
  it('reuses a freed block of the same size class without calling the driver', () => {
    const dev = new FakeDevice(64 * MiB);
    const a = new CachingAllocator(dev);
    const p = a.alloc(1000);
    a.free(p);
    const q = a.alloc(700); // same class (1024) as 1000
    expect(q).toBe(p);
    expect(dev.calls).toEqual(['alloc 1024']);
    expect(a.memory()).toMatchObject({ inUse: 1024, cached: 0, liveBlocks: 1, cachedBlocks: 0, driverAllocs: 1 });
  });

  it('does not hand a block of another class to a request', () => {
    const dev = new FakeDevice(64 * MiB);
    const a = new CachingAllocator(dev);
    const p = a.alloc(512);
    a.free(p);
    const q = a.alloc(2048);
    expect(q).not.toBe(p);
    expect(dev.calls).toEqual(['alloc 512', 'alloc 2048']);
    expect(a.memory()).toMatchObject({ inUse: 2048, cached: 512, reserved: 2560 });
  });

  it('runs a repeated training-step pattern with driver calls only in the first step', () => {
    const dev = new FakeDevice(1 << 30);
    const a = new CachingAllocator(dev);
    const sizes = [4 * 64 * 56 * 56, 4 * 64, 4 * 3 * 3 * 64 * 64, 4 * 10, 4 * 1000 * 2048];
    for (let step = 0; step < 5; step++) {
      const ptrs = sizes.map((s) => a.alloc(s));
      expect(new Set(ptrs).size).toBe(sizes.length); // live blocks never alias
      for (const p of ptrs) a.free(p);
    }
    expect(dev.calls.filter((c) => c.startsWith('alloc'))).toHaveLength(sizes.length);
    const m = a.memory();
    expect(m.inUse).toBe(0);
    expect(m.cached).toBe(sizes.reduce((s, n) => s + sizeClass(n), 0));
    expect(m.driverAllocs).toBe(sizes.length);
  });

  it('tracks in-use, cached and peak bytes', () => {
    const a = new CachingAllocator(new FakeDevice(64 * MiB));
    const x = a.alloc(3 * MiB); // 4 MiB
    const y = a.alloc(100); // 512
    expect(a.memory()).toMatchObject({ inUse: 4 * MiB + 512, cached: 0, peak: 4 * MiB + 512 });
    a.free(x);
    expect(a.memory()).toMatchObject({ inUse: 512, cached: 4 * MiB, peak: 4 * MiB + 512, reserved: 4 * MiB + 512 });
    a.resetPeak();
    expect(a.memory().peak).toBe(512);
    a.free(y);
    expect(a.memory()).toMatchObject({ inUse: 0, cached: 4 * MiB + 512, peak: 512 });
    expect(a.sizeOf(y)).toBeUndefined();
  });

  it('emptyCache returns cached blocks to the driver and keeps live ones', () => {
    const dev = new FakeDevice(64 * MiB);
    const a = new CachingAllocator(dev);
    const keep = a.alloc(MiB);
    const ps = [a.alloc(10), a.alloc(10), a.alloc(5 * MiB)];
    for (const p of ps) a.free(p);
    expect(dev.live.size).toBe(4);
    a.emptyCache();
    expect(dev.live.size).toBe(1);
    expect(dev.live.has(keep)).toBe(true);
    expect(a.memory()).toMatchObject({ inUse: MiB, cached: 0, cachedBlocks: 0 });
    expect(a.sizeOf(keep)).toBe(MiB);
  });

  it('on out of memory releases the cache and retries once, then succeeds', () => {
    const dev = new FakeDevice(8 * MiB);
    const a = new CachingAllocator(dev);
    const p = a.alloc(6 * MiB);
    a.free(p); // 6 MiB cached, 2 MiB left on the device
    const q = a.alloc(4 * MiB);
    expect(dev.calls).toEqual([`alloc ${6 * MiB}`, `alloc ${4 * MiB}`, `free ${6 * MiB}`, `alloc ${4 * MiB}`]);
    expect(a.memory()).toMatchObject({ inUse: 4 * MiB, cached: 0 });
    expect(a.sizeOf(q)).toBe(4 * MiB);
  });

  it('throws OutOfMemoryError saying what was asked and what is in use when the retry fails too', () => {
    const dev = new FakeDevice(10 * MiB);
    const a = new CachingAllocator(dev, 'xpu:0');
    a.alloc(6 * MiB);
    a.free(a.alloc(2 * MiB)); // 2 MiB cached
    let err: unknown;
    try {
      a.alloc(5 * MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    const oom = err as OutOfMemoryError;
    expect(oom).toMatchObject({ device: 'xpu:0', requested: 5 * MiB, rounded: 6 * MiB, inUse: 6 * MiB, released: 2 * MiB });
    expect(oom.message).toBe(
      `xpu:0 is out of memory: asked for 5.00 MiB (${5 * MiB} bytes) (rounded to 6.00 MiB (${6 * MiB} bytes)), ` +
        `with 6.00 MiB (${6 * MiB} bytes) in use by live tensors; the cache of 2.00 MiB (${2 * MiB} bytes) was released ` +
        'and the allocation retried once. Reduce the batch size or free tensors (dispose/tidy).',
    );
    // exactly one retry: two driver allocs for the failing request
    expect(dev.calls.slice(-3)).toEqual([`alloc ${6 * MiB}`, `free ${2 * MiB}`, `alloc ${6 * MiB}`]);
    // the allocator is still consistent and usable
    expect(a.memory()).toMatchObject({ inUse: 6 * MiB, cached: 0, liveBlocks: 1 });
    expect(() => a.alloc(MiB)).not.toThrow();
  });

  it('says when nothing was cached to release', () => {
    const a = new CachingAllocator(new FakeDevice(MiB), 'xpu:1');
    expect(() => a.alloc(2 * LARGE_ROUND)).toThrow(/^xpu:1 is out of memory: asked for 4\.00 MiB .* nothing was cached; the allocation retried once/);
  });

  it('rejects a double free and a foreign pointer', () => {
    const a = new CachingAllocator(new FakeDevice(MiB));
    const p = a.alloc(8);
    a.free(p);
    expect(() => a.free(p)).toThrow(/not a live block of this allocator \(double free\?\)/);
    expect(() => a.free(0x1234n)).toThrow('free of 0x1234');
    expect(a.memory()).toMatchObject({ inUse: 0, cached: 512, cachedBlocks: 1 });
  });

  it('lets driver errors other than out-of-memory through', () => {
    const dev: DeviceMemory = {
      alloc: () => {
        throw new Error('cuMemAlloc_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)');
      },
      free: () => undefined,
    };
    expect(() => new CachingAllocator(dev).alloc(1)).toThrow('CUDA_ERROR_ILLEGAL_ADDRESS');
  });
});

describe('formatBytes', () => {
  it('gives a readable unit and the exact count', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1536)).toBe('1.50 KiB (1536 bytes)');
    expect(formatBytes(3 * 2 ** 30)).toBe(`3.00 GiB (${3 * 2 ** 30} bytes)`);
  });
});
