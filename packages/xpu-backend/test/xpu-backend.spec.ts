// The xpu Backend's buffer bookkeeping over an in-memory fake of the driver's memory calls. What this
// cannot show: that the real driver calls behave the same (that needs the GPU machine).
import type { MemoryDriver } from '../src/runtime/xpu-backend';
import { XpuBackend } from '../src/runtime/xpu-backend';

/** Device memory as a map of byte arrays keyed by pointer; records the current context per call. */
class FakeMemoryDriver implements MemoryDriver {
  readonly blocks = new Map<bigint, Uint8Array>();
  current: unknown = null;
  calls: string[] = [];
  private next = 0x1000n;
  constructor(private capacity = Infinity) {}
  private used(): number {
    let n = 0;
    for (const b of this.blocks.values()) n += b.length;
    return n;
  }
  private needCtx(call: string): void {
    if (this.current === null) throw new Error(`${call} without a current context`);
    this.calls.push(call);
  }
  ctxSetCurrent(ctx: unknown): void {
    this.current = ctx;
  }
  ctxSynchronize(): void {
    this.needCtx('sync');
  }
  tryMemAlloc(bytes: number): bigint | null {
    this.needCtx('alloc');
    if (this.used() + bytes > this.capacity) return null;
    const p = this.next;
    this.next += BigInt(bytes) + 0x1000n;
    this.blocks.set(p, new Uint8Array(bytes).fill(0xcd)); // device memory starts as garbage
    return p;
  }
  memFree(ptr: bigint): void {
    this.needCtx('free');
    this.blocks.delete(ptr);
  }
  memsetD8(dst: bigint, value: number, bytes: number): void {
    this.needCtx('memset');
    this.blocks.get(dst)!.fill(value, 0, bytes);
  }
  memcpyHtoD(dst: bigint, src: ArrayBufferView, bytes: number): void {
    this.needCtx('h2d');
    this.blocks.get(dst)!.set(new Uint8Array(src.buffer, src.byteOffset, bytes));
  }
  memcpyDtoH(dst: ArrayBufferView, src: bigint, bytes: number): void {
    this.needCtx('d2h');
    new Uint8Array(dst.buffer, dst.byteOffset, bytes).set(this.blocks.get(src)!.subarray(0, bytes));
  }
}

describe('XpuBackend', () => {
  it('round-trips typed arrays of every storage width', () => {
    const b = new XpuBackend('xpu:0', new FakeMemoryDriver(), 'ctx0');
    const f32 = new Float32Array([1.5, -2, 3e-8]);
    expect(b.read(b.fromArray('float32', f32), 'float32', 3)).toEqual(f32);
    const i64 = new BigInt64Array([1n, -(2n ** 62n)]);
    expect(b.read(b.fromArray('int64', i64), 'int64', 2)).toEqual(i64);
    const f64 = new Float64Array([Math.PI]);
    expect(b.read(b.fromArray('float64', f64), 'float64', 1)).toEqual(f64);
    const u8 = new Uint8Array([1, 0, 1]);
    expect(b.read(b.fromArray('bool', u8), 'bool', 3)).toEqual(u8);
  });

  it('zero-fills alloc even when the block is a reused one', () => {
    const b = new XpuBackend('xpu:0', new FakeMemoryDriver(), 'ctx0');
    const first = b.fromArray('float32', new Float32Array([7, 8, 9, 10]));
    b.free(first);
    const second = b.alloc('float32', 4);
    expect(second.ptr).toBe(first.ptr);
    expect(b.read(second, 'float32', 4)).toEqual(new Float32Array(4));
    expect(b.alloc('float32', 3).bytes).toBe(12);
  });

  it('keeps freed blocks cached until emptyCache and reports them as cachedBytes', () => {
    const drv = new FakeMemoryDriver();
    const b = new XpuBackend('xpu:0', drv, 'ctx0');
    const x = b.alloc('float32', 1000); // 4000 bytes → a 4096-byte block
    b.free(x, 'float32', 1000);
    expect(b.cachedBytes()).toBe(4096);
    expect(drv.blocks.size).toBe(1);
    b.emptyCache();
    expect(b.cachedBytes()).toBe(0);
    expect(drv.blocks.size).toBe(0);
  });

  it('makes its own context current before driver calls', () => {
    const drv = new FakeMemoryDriver();
    const b0 = new XpuBackend('xpu:0', drv, 'ctx0');
    const b1 = new XpuBackend('xpu:1', drv, 'ctx1');
    b0.alloc('int32', 2);
    expect(drv.current).toBe('ctx0');
    b1.read(b1.fromArray('int32', new Int32Array([4])), 'int32', 1);
    expect(drv.current).toBe('ctx1');
    b0.synchronize();
    expect(drv.current).toBe('ctx0');
    expect(drv.calls).toEqual(['alloc', 'memset', 'alloc', 'h2d', 'd2h', 'sync']);
  });

  it('handles empty tensors without copies', () => {
    const drv = new FakeMemoryDriver();
    const b = new XpuBackend('xpu:0', drv, 'ctx0');
    const e = b.alloc('float32', 0);
    expect(b.read(e, 'float32', 0)).toEqual(new Float32Array(0));
    expect(drv.calls).toEqual(['alloc']);
  });

  it('rejects foreign buffers, mismatched storage and over-long reads', () => {
    const b = new XpuBackend('xpu:0', new FakeMemoryDriver(), 'ctx0');
    expect(() => b.read(new Float32Array(2), 'float32', 2)).toThrow('xpu:0: not a buffer of this backend');
    expect(() => b.fromArray('float64', new Float32Array(2))).toThrow('xpu:0: a Float32Array is not float64 storage');
    const small = b.alloc('float32', 2);
    expect(() => b.read(small, 'float32', 3)).toThrow('reading 3 float32 (12 bytes) from a 8-byte buffer');
  });

  it('reports device out of memory through the allocator', () => {
    const b = new XpuBackend('xpu:0', new FakeMemoryDriver(4096), 'ctx0');
    b.alloc('float32', 1024);
    expect(() => b.alloc('float32', 10)).toThrow(/^xpu:0 is out of memory: asked for 40 B \(rounded to 512 B\), with 4\.00 KiB \(4096 bytes\) in use/);
  });
});
