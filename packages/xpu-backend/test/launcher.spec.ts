// Kernel argument marshalling without a GPU: the layout of the argument block, and the pointer
// array cuLaunchKernel receives (decoded back through koffi, as the driver would read it).
import * as koffi from 'koffi';
import { argLayout, Launcher, writeArgs } from '../src/runtime/launcher';

describe('kernel arguments', () => {
  it('gives every argument an 8-byte slot and structs whole 8-byte multiples', () => {
    const s = new Int32Array(5); // 20 bytes -> 24
    expect(argLayout('ppsif', [1n, 2n, s, 3, 0.5])).toEqual([0, 8, 16, 40, 48]);
  });

  it('refuses unknown letters, mismatched counts and non-array structs', () => {
    expect(() => argLayout('px', [1n, 2])).toThrow('unknown type letter "x"');
    expect(() => argLayout('pp', [1n])).toThrow('2 types for 1 values');
    expect(() => argLayout('s', [3])).toThrow('a struct must be an Int32Array');
  });

  it('writes little-endian values of each C type', () => {
    const view = new DataView(new ArrayBuffer(64));
    const types = 'plifds';
    const values = [0x1234_5678_9abcn, 2 ** 40 + 3, -7, 1.5, Math.PI, Int32Array.from([4, -5])];
    writeArgs(view, types, values, argLayout(types, values));
    expect(view.getBigUint64(0, true)).toBe(0x1234_5678_9abcn);
    expect(view.getBigInt64(8, true)).toBe(BigInt(2 ** 40 + 3));
    expect(view.getInt32(16, true)).toBe(-7);
    expect(view.getFloat32(24, true)).toBe(1.5);
    expect(view.getFloat64(32, true)).toBe(Math.PI);
    expect([view.getInt32(40, true), view.getInt32(44, true)]).toEqual([4, -5]);
    // int64 from a number, written as two halves: negative and beyond 32 bits.
    for (const n of [-5, -(2 ** 40) - 7, 2 ** 52 + 1]) {
      writeArgs(view, 'l', [n], [0]);
      expect(view.getBigInt64(0, true)).toBe(BigInt(n));
    }
  });

  it('hands cuLaunchKernel an array of pointers to each argument', () => {
    const seen: { grid: number[]; block: number[]; values: unknown[] }[] = [];
    const launcher = new Launcher(koffi, {
      launchKernel: (_fn, grid, block, _shared, _stream, params) => {
        const ptrs = koffi.decode(params, koffi.array('void *', 4)) as unknown[];
        seen.push({
          grid,
          block,
          values: [koffi.decode(ptrs[0], 'uint64_t'), koffi.decode(ptrs[1], 'int'), koffi.decode(ptrs[2], 'float'), Array.from(koffi.decode(ptrs[3], koffi.array('int', 3)) as Int32Array)],
        });
      },
    });
    launcher.launch1d('fn', 1000, 'pifs', [0xdead_beefn, 42, 0.25, Int32Array.from([1, 2, 3])]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.grid).toEqual([4, 1, 1]);
    expect(seen[0]!.block).toEqual([256, 1, 1]);
    expect(seen[0]!.values.map((v) => (typeof v === 'bigint' ? Number(v) : v))).toEqual([0xdead_beef, 42, 0.25, [1, 2, 3]]);
    expect(launcher.launches).toBe(1);
    launcher.launch1d('fn', 0, 'i', [1]);
    expect(launcher.launches).toBe(1); // nothing to do: no launch
  });
});
