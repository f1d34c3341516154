/** `paddle.nn.initializer`. */
export { Initializer, computeFans, calculateGain, setGlobalInitializer, type Nonlinearity } from './initializer';
export { Constant } from './constant';
export {
  Uniform,
  Normal,
  TruncatedNormal,
  XavierUniform,
  XavierNormal,
  KaimingUniform,
  KaimingNormal,
  type XavierOptions,
  type KaimingOptions,
} from './random';
export { Assign } from './assign';
