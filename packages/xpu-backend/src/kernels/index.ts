/** The xpu kernel table, by family, registered with the core engine under Paddle's operator names. */
import { registerKernel, type KernelFn } from '@oar/core';
import { kernels as activation } from './activation';
import { kernels as compat } from './compat';
import { kernels as conv } from './conv';
import { kernels as creation } from './creation';
import { kernels as elementwise } from './elementwise';
import { kernels as indexing } from './indexing';
import { kernels as manipulation } from './manipulation';
import { kernels as matmul } from './matmul';
import { kernels as norm } from './norm';
import { kernels as pool } from './pool';
import { kernels as shape } from './shape';
import { kernels as softmax } from './softmax';
import type { Backend } from './common';
import { cudaSource as activationSource } from './activation';
import { cudaSource as compatSource } from './compat';
import { cudaSource as castSource } from './creation';
import { cudaSource as elementwiseSource } from './elementwise';
import { cudaSource as epilogueSource } from './epilogue';
import { cudaSource as indexingSource } from './indexing';
import { cudaSource as manipulationSource } from './manipulation';
import { cudaSource as normSource } from './norm';
import { cudaSource as poolSource } from './pool';
import { cudaSource as softmaxSource } from './softmax';

/** Every CUDA source the kernels compile, by family, for an element type ('float', 'double', ...; cast and manipulation take none). */
export const CUDA_SOURCES: Record<string, (t: string) => string> = {
  activation: activationSource,
  cast: castSource,
  compat: compatSource,
  elementwise: elementwiseSource,
  epilogue: epilogueSource,
  indexing: indexingSource,
  manipulation: manipulationSource,
  norm: normSource,
  pool: poolSource,
  softmax: softmaxSource,
};

export const XPU_KERNELS: Record<string, KernelFn<Backend>> = {
  ...activation,
  ...compat,
  ...conv,
  ...creation,
  ...elementwise,
  ...indexing,
  ...manipulation,
  ...matmul,
  ...norm,
  ...pool,
  ...shape,
  ...softmax,
};

export function registerXpuKernels(): void {
  for (const [type, fn] of Object.entries(XPU_KERNELS)) registerKernel('xpu', type, fn);
}
