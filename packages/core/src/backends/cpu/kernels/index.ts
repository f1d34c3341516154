/** The CPU backend's kernel table, listed explicitly by family. */
import type { KernelFn } from '../../../kernels/registry';
import { kernels as activation } from './activation';
import { kernels as conv } from './conv';
import { kernels as creation } from './creation';
import { kernels as elementwise } from './elementwise';
import { kernels as indexing } from './indexing';
import { kernels as interpolate } from './interpolate';
import { kernels as loss } from './loss';
import { kernels as manipulation } from './manipulation';
import { kernels as matmul } from './matmul';
import { kernels as norm } from './norm';
import { kernels as optimizer } from './optimizer';
import { kernels as pad } from './pad';
import { kernels as pool } from './pool';
import { kernels as random } from './random';
import { kernels as range } from './range';
import { kernels as reduce } from './reduce';
import { kernels as shape } from './shape';
import { kernels as softmax } from './softmax';
import { kernels as unary } from './unary';

export const CPU_KERNELS: Record<string, KernelFn> = {
  ...activation,
  ...conv,
  ...creation,
  ...elementwise,
  ...indexing,
  ...interpolate,
  ...loss,
  ...manipulation,
  ...matmul,
  ...norm,
  ...optimizer,
  ...pad,
  ...pool,
  ...random,
  ...range,
  ...reduce,
  ...shape,
  ...softmax,
  ...unary,
};
