import type { KernelFn } from '../../../kernels/registry';

export const kernels: Record<string, KernelFn> = {};
