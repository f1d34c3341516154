/**
 * What the xpu kernels share: the device buffers behind tensors, output allocation, C types, and
 * the CUDA prelude every kernel source starts with (index loops and the activations that
 * convolution, fc and the activation operators apply alike).
 */
import { OpError, type DType, type Tensor } from '@oar/core';
import type { XpuBackend, XpuBuffer } from '../runtime/xpu-backend';

export function ptrOf(t: Tensor): bigint {
  return (t._storage.buffer as XpuBuffer).ptr;
}

/** A float-only operator's check: the dtypes our CUDA sources are instantiated for. */
export function floatType(op: string, dtype: DType): 'float' | 'double' {
  if (dtype === 'float32') return 'float';
  if (dtype === 'float64') return 'double';
  throw new OpError(op, `on xpu this operator takes float32 or float64, got ${dtype}`);
}

/** C type of a dtype the elementwise kernels handle. */
export function cType(op: string, dtype: DType): string {
  switch (dtype) {
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'int32':
      return 'int';
    case 'int64':
      return 'long long';
    case 'bool':
    case 'uint8':
      return 'unsigned char';
    default:
      throw new OpError(op, `on xpu this operator takes float32, float64, int32, int64, uint8 or bool, got ${dtype}`);
  }
}

/** Activation codes shared by the fused epilogues and the activation operators (see ACT below). */
export const ACT_CODE: Record<string, number> = {
  '': 0,
  relu: 1,
  leaky_relu: 2,
  relu6: 3,
  swish: 4,
  hard_swish: 5,
  sigmoid: 6,
  tanh: 7,
  gelu_erf: 8,
  gelu: 8,
  gelu_tanh: 9,
};

/**
 * The prelude of every kernel source, instantiated for element type T. `act` evaluates in T:
 * alpha is leaky_relu's slope, relu6's bound or swish's beta. hard_swish uses Paddle's fused
 * defaults (threshold 6, scale 6, offset 3).
 */
export function prelude(t: string): string {
  const head = `typedef ${t} T;
typedef long long i64;
#define LOOP(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)
`;
  if (t !== 'float' && t !== 'double') return head;
  return `${head}__device__ __forceinline__ T act(int code, T v, T alpha) {
  switch (code) {
    case 1: return v > (T)0 ? v : (T)0;
    case 2: return v > (T)0 ? v : v * alpha;
    case 3: return v < (T)0 ? (T)0 : (v > alpha ? alpha : v);
    case 4: return v / ((T)1 + exp(-alpha * v));
    case 5: { T r = v + (T)3; r = r < (T)0 ? (T)0 : (r > (T)6 ? (T)6 : r); return v * r / (T)6; }
    case 6: return (T)1 / ((T)1 + exp(-v));
    case 7: return tanh(v);
    case 8: return (T)0.5 * v * ((T)1 + erf(v * (T)0.70710678118654752440));
    case 9: return (T)0.5 * v * ((T)1 + tanh((T)0.79788456080286535588 * (v + (T)0.044715 * v * v * v)));
    default: return v;
  }
}
`;
}

export type Backend = XpuBackend;
