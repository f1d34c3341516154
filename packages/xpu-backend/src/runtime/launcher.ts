/**
 * Kernel launches: arguments are written into one native block that lives as long as the launcher,
 * and cuLaunchKernel gets an array of pointers into it. The driver copies the arguments during the
 * call, so the block is reused by the next launch (koffi only pins a typed array's address for one
 * call, and one koffi.alloc per argument would cost microseconds per launch).
 */
import type * as Koffi from 'koffi';
import type { CudaDriver, Handle } from '../ffi/cuda';

/**
 * One argument's C type, by letter: p a device pointer (bigint), i int32, l int64, f float, d double,
 * s a struct of int32 fields passed by value (an Int32Array).
 */
export type ArgType = 'p' | 'i' | 'l' | 'f' | 'd' | 's';
export type ArgValue = bigint | number | Int32Array;

const MAX_ARGS = 32;
const BLOCK_BYTES = 2048;

/** Byte offsets of each argument in the block: 8-byte aligned slots, structs rounded up to 8. */
export function argLayout(types: string, values: readonly ArgValue[]): number[] {
  if (types.length !== values.length) throw new Error(`kernel arguments: ${types.length} types for ${values.length} values`);
  if (types.length > MAX_ARGS) throw new Error(`kernel arguments: ${types.length} is more than ${MAX_ARGS}`);
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < types.length; i++) {
    offsets.push(at);
    const t = types[i] as ArgType;
    if (t === 's') {
      const v = values[i];
      if (!(v instanceof Int32Array)) throw new Error(`kernel argument ${i}: a struct must be an Int32Array`);
      at += Math.ceil(v.byteLength / 8) * 8;
    } else if ('pilfd'.includes(t)) at += 8;
    else throw new Error(`kernel argument ${i}: unknown type letter "${t}"`);
  }
  if (at > BLOCK_BYTES) throw new Error(`kernel arguments take ${at} bytes, more than the ${BLOCK_BYTES} reserved`);
  return offsets;
}

/** Writes `values` at `offsets` into `view` (little-endian, as every CUDA host is). */
export function writeArgs(view: DataView, types: string, values: readonly ArgValue[], offsets: readonly number[]): void {
  for (let i = 0; i < types.length; i++) {
    const o = offsets[i]!;
    const v = values[i]!;
    switch (types[i]) {
      case 'p':
      case 'l':
        if (typeof v === 'bigint') view.setBigInt64(o, v, true);
        else {
          // Two 32-bit halves: no BigInt made per argument (exact for |v| < 2^53, as numbers are).
          const n = v as number;
          const hi = Math.floor(n / 4294967296);
          view.setUint32(o, n - hi * 4294967296, true);
          view.setInt32(o + 4, hi, true);
        }
        break;
      case 'i':
        view.setInt32(o, v as number, true);
        break;
      case 'f':
        view.setFloat32(o, v as number, true);
        break;
      case 'd':
        view.setFloat64(o, v as number, true);
        break;
      case 's': {
        const s = v as Int32Array;
        for (let j = 0; j < s.length; j++) view.setInt32(o + 4 * j, s[j]!, true);
        break;
      }
    }
  }
}

export class Launcher {
  private readonly block: unknown;
  private readonly view: DataView;
  private readonly base: bigint;
  private readonly pointers: unknown;
  private readonly slots: BigUint64Array;
  /** Argument offsets and the pointer array's contents, by signature (types and struct sizes). */
  private readonly layouts = new Map<string, { offsets: number[]; slots: BigUint64Array }>();
  /** Launches so far (for profiles and tests). */
  launches = 0;

  constructor(
    koffi: typeof Koffi,
    private readonly cu: Pick<CudaDriver, 'launchKernel'>,
  ) {
    this.block = koffi.alloc('uint8_t', BLOCK_BYTES);
    this.view = new DataView(koffi.view(this.block, BLOCK_BYTES));
    this.base = koffi.address(this.block);
    this.pointers = koffi.alloc('void *', MAX_ARGS);
    this.slots = new BigUint64Array(koffi.view(this.pointers, MAX_ARGS * 8));
  }

  /** Launches `fn` on the default stream with `block` threads per block over `grid` blocks. */
  launch(fn: Handle, grid: [number, number, number], block: [number, number, number], sharedBytes: number, types: string, values: readonly ArgValue[]): void {
    const layout = this.layout(types, values);
    writeArgs(this.view, types, values, layout.offsets);
    this.slots.set(layout.slots);
    this.cu.launchKernel(fn, grid, block, sharedBytes, null, this.pointers);
    this.launches++;
  }

  /** The layout of a signature, worked out once: launches repeat a few dozen signatures. */
  private layout(types: string, values: readonly ArgValue[]): { offsets: number[]; slots: BigUint64Array } {
    let key = types;
    if (types.includes('s')) for (let i = 0; i < types.length; i++) if (types[i] === 's') key += `:${(values[i] as Int32Array).length ?? 0}`;
    let l = this.layouts.get(key);
    if (!l) {
      const offsets = argLayout(types, values);
      l = { offsets, slots: BigUint64Array.from(offsets, (o) => this.base + BigInt(o)) };
      this.layouts.set(key, l);
    } else if (l.offsets.length !== values.length) {
      throw new Error(`kernel arguments: ${types.length} types for ${values.length} values`);
    }
    return l;
  }

  /** A 1-D launch covering `n` elements with grid-stride loops (blocks capped for huge n). */
  launch1d(fn: Handle, n: number, types: string, values: readonly ArgValue[], threads = 256): void {
    if (n === 0) return;
    const blocks = Math.min(Math.ceil(n / threads), 65535 * 8);
    this.launch(fn, [blocks, 1, 1], [threads, 1, 1], 0, types, values);
  }
}
