/**
 * Checks of data that only the device sees: a kernel that indexes with tensor values (lookup_table,
 * gather) gets a slot where it records the first bad element (its flat position and value), and
 * the host looks at the slots the next time it waits for the device anyway (a read or a
 * synchronize), then throws the operator's own error. Checking at launch would cost a device round
 * trip per operator; CUDA reports faults the same deferred way.
 *
 * A slot is two int64 words, position + 1 (0: nothing recorded) and value, written by the kernel
 * with an atomic compare-and-swap so the first bad element wins.
 */
import type { CudaDriver } from '../ffi/cuda';

/** Slots per batch; when all are in use the host checks them before handing out more. */
export const CHECK_SLOTS = 64;
const SLOT_BYTES = 16;

/** Builds the operator's error from the recorded flat position and value. */
export type CheckError = (position: number, value: number) => Error;

type Driver = Pick<CudaDriver, 'memsetD8' | 'memcpyDtoH'>;

export class DeviceChecks {
  private slots = 0n;
  private readonly pending: CheckError[] = [];
  private readonly host = new BigInt64Array(CHECK_SLOTS * 2);

  constructor(
    private readonly cu: Driver,
    private readonly alloc: (bytes: number) => bigint,
  ) {}

  /** A zeroed slot for one launch, whose record `describe` turns into an error. */
  slot(describe: CheckError): bigint {
    if (this.pending.length === CHECK_SLOTS) this.verify();
    if (this.slots === 0n) {
      this.slots = this.alloc(CHECK_SLOTS * SLOT_BYTES);
      this.cu.memsetD8(this.slots, 0, CHECK_SLOTS * SLOT_BYTES);
    }
    this.pending.push(describe);
    return this.slots + BigInt((this.pending.length - 1) * SLOT_BYTES);
  }

  /** Slots handed out and not yet looked at. */
  get outstanding(): number {
    return this.pending.length;
  }

  /**
   * Waits for the device (the copy does), then throws the first recorded error, if any. The slots
   * are cleared either way: an error is reported once.
   */
  verify(): void {
    const n = this.pending.length;
    if (n === 0) return;
    const view = this.host.subarray(0, n * 2);
    this.cu.memcpyDtoH(view, this.slots, n * SLOT_BYTES);
    const pending = this.pending.splice(0, n);
    this.cu.memsetD8(this.slots, 0, n * SLOT_BYTES);
    for (let i = 0; i < n; i++) {
      const pos = view[2 * i]!;
      if (pos !== 0n) throw pending[i]!(Number(pos - 1n), Number(view[2 * i + 1]!));
    }
  }
}

/** CUDA helper that records (position, value) into a slot once: the first bad element wins. */
export const RECORD_SOURCE = `__device__ __forceinline__ void record_bad(long long* slot, long long pos, long long value) {
  if (atomicCAS((unsigned long long*)slot, 0ULL, (unsigned long long)(pos + 1)) == 0ULL) slot[1] = value;
}
`;
