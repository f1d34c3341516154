import { engine } from '../engine/engine';
import { tensor } from '../ops/creation';
import { allocArray, dtypeOfArray } from '../tensor/dtype';
import { fmtShape, shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { isHostArray, type HostArray } from './host-array';

export type Collated = Tensor | Collated[] | { [k: string]: Collated };

/**
 * Stacks a list of samples into batch tensors (Paddle's `default_collate_fn`): host arrays of
 * one shape become a [B, ...shape] tensor of their dtype, numbers become int64 when all are
 * integers and float32 otherwise, tuples and objects are collated field by field.
 */
export function defaultCollate(samples: unknown[], device?: string): Collated {
  if (samples.length === 0) throw new Error('collate: empty batch');
  const first = samples[0];
  if (isHostArray(first)) return stackHost(samples as HostArray[], device);
  if (ArrayBuffer.isView(first)) {
    return stackHost(
      (samples as HostArray['data'][]).map((d) => ({ data: d, shape: [d.length], dtype: dtypeOfArray(d) })),
      device,
    );
  }
  if (first instanceof Tensor) {
    return engine.runOp('stack', { X: samples as Tensor[] }, { axis: 0 }).Y as Tensor;
  }
  if (typeof first === 'number' || typeof first === 'boolean' || typeof first === 'bigint') {
    if (typeof first === 'boolean') return tensor(samples as boolean[], { place: device });
    if (typeof first === 'bigint') return tensor(BigInt64Array.from(samples as bigint[]), { place: device });
    const nums = samples as number[];
    const ints = nums.every(Number.isInteger);
    if (ints) return tensor(BigInt64Array.from(nums, (v) => BigInt(v)), { place: device });
    return tensor(nums, { dtype: 'float32', place: device });
  }
  if (Array.isArray(first)) {
    return first.map((_, k) => {
      const field = samples.map((s, i) => {
        if (!Array.isArray(s) || s.length !== first.length) {
          throw new Error(`collate: sample ${i} has ${Array.isArray(s) ? s.length : 'no'} fields, sample 0 has ${first.length}`);
        }
        return s[k];
      });
      return defaultCollate(field, device);
    });
  }
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, Collated> = {};
    for (const k of Object.keys(first)) out[k] = defaultCollate(samples.map((s) => (s as Record<string, unknown>)[k]), device);
    return out;
  }
  throw new TypeError(`collate: cannot batch a sample field of type ${typeof first}`);
}

function stackHost(arrays: HostArray[], device?: string): Tensor {
  const a0 = arrays[0]!;
  const n = a0.data.length;
  const out = allocArray(a0.dtype, n * arrays.length);
  arrays.forEach((a, i) => {
    if (!shapesEqual(a.shape, a0.shape) || a.dtype !== a0.dtype) {
      throw new Error(
        `collate: sample ${i} is ${fmtShape(a.shape)} ${a.dtype}, sample 0 is ${fmtShape(a0.shape)} ${a0.dtype}; samples of a batch must match`,
      );
    }
    (out as Float32Array).set(a.data as Float32Array, i * n);
  });
  return tensor(out, { shape: [arrays.length, ...a0.shape], dtype: a0.dtype, place: device });
}
