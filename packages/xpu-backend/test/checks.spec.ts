// Device-side data checks without a GPU: a fake driver whose "device memory" is a host array, so
// the slot protocol (zeroed slots, first record wins, reported once at verify) is tested here and
// the CUDA side (record_bad) on the GPU machine (test/device/check.ts).
import { CHECK_SLOTS, DeviceChecks } from '../src/runtime/checks';

function fakeDevice() {
  const mem = new BigInt64Array(CHECK_SLOTS * 2);
  const base = 0x1000n;
  const word = (ptr: bigint): number => Number(ptr - base) / 8;
  let copies = 0;
  const cu = {
    memsetD8: (dst: bigint, _v: number, bytes: number) => mem.fill(0n, word(dst), word(dst) + bytes / 8),
    memcpyDtoH: (dst: ArrayBufferView, src: bigint, bytes: number) => {
      copies++;
      (dst as BigInt64Array).set(mem.subarray(word(src), word(src) + bytes / 8));
    },
  };
  /** What a kernel's record_bad does: the first record of a slot wins. */
  const record = (slot: bigint, pos: number, value: number) => {
    const w = word(slot);
    if (mem[w] === 0n) {
      mem[w] = BigInt(pos + 1);
      mem[w + 1] = BigInt(value);
    }
  };
  return { checks: new DeviceChecks(cu as never, () => base), record, copies: () => copies };
}

describe('device-side data checks', () => {
  it('reports nothing, and copies nothing, when no slot is outstanding', () => {
    const d = fakeDevice();
    d.checks.verify();
    expect(d.copies()).toBe(0);
  });

  it("throws the first slot's error with the recorded position and value, once", () => {
    const d = fakeDevice();
    const a = d.checks.slot((p, v) => new Error(`a: ${p} ${v}`));
    const b = d.checks.slot((p, v) => new Error(`b: ${p} ${v}`));
    expect(b - a).toBe(16n);
    d.record(b, 5, 99);
    d.record(b, 2, 7); // later records of the same slot are dropped
    expect(() => d.checks.verify()).toThrow('b: 5 99');
    expect(d.checks.outstanding).toBe(0);
    expect(() => d.checks.verify()).not.toThrow();
    // Slots are clean for the next launches.
    const c = d.checks.slot((p, v) => new Error(`c: ${p} ${v}`));
    expect(c).toBe(a);
    expect(() => d.checks.verify()).not.toThrow();
  });

  it('checks the slots in use before handing out more than it has', () => {
    const d = fakeDevice();
    const first = d.checks.slot((p) => new Error(`first ${p}`));
    for (let i = 1; i < CHECK_SLOTS; i++) d.checks.slot(() => new Error('unused'));
    d.record(first, 3, -1);
    expect(() => d.checks.slot(() => new Error('next'))).toThrow('first 3');
  });
});
