/**
 * Operators that only relabel a row-major shape (reshape, flatten, squeeze, unsqueeze): the output
 * shares X's device buffer, as on the CPU; the engine makes it a view.
 */
import type { KernelFn, Tensor } from '@oar/core';
import type { Backend } from './common';

const share: KernelFn<Backend> = (inputs) => ({ Out: (inputs.X as Tensor)._storage.buffer });

export const kernels: Record<string, KernelFn<Backend>> = Object.fromEntries(
  ['reshape2', 'reshape', 'flatten_contiguous_range', 'flatten2', 'flatten', 'squeeze2', 'squeeze', 'unsqueeze2', 'unsqueeze'].map((op) => [op, share]),
);
