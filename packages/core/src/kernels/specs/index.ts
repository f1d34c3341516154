/** Every operator spec of @oar/core, listed explicitly by family (no globbing, no import side effects). */
import { registerOp, type OpSpec } from '../registry';
import { specs as activation } from './activation';
import { specs as conv } from './conv';
import { specs as creation } from './creation';
import { specs as elementwise } from './elementwise';
import { specs as indexing } from './indexing';
import { specs as interpolate } from './interpolate';
import { specs as loss } from './loss';
import { specs as manipulation } from './manipulation';
import { specs as matmul } from './matmul';
import { specs as norm } from './norm';
import { specs as optimizer } from './optimizer';
import { specs as pad } from './pad';
import { specs as pool } from './pool';
import { specs as random } from './random';
import { specs as range } from './range';
import { specs as reduce } from './reduce';
import { specs as shape } from './shape';
import { specs as softmax } from './softmax';
import { specs as unary } from './unary';

export const ALL_SPECS: OpSpec[] = [
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
];

export function registerAllOps(): void {
  for (const s of ALL_SPECS) registerOp(s);
}
