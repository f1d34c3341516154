/**
 * The thread count of the CPU math libraries: oneDNN's OpenMP team and OpenBLAS's pool. Both read
 * OAR_NUM_THREADS when they load. setCpuMathThreads also resizes oneDNN's team if it is loaded
 * (Paddle's set_cpu_math_library_num_threads, process-wide as there); OpenBLAS keeps the count it
 * loaded with, since resizing its pool later made calls from Node much slower.
 */
import { setDnnlThreads } from './dnnl/lib';

export function setCpuMathThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setCpuMathThreads: expected a positive integer, got ${n}`);
  process.env.OAR_NUM_THREADS = String(n);
  setDnnlThreads(n);
}
