/** `paddle.nn`: Layer, containers, layers, initializers, ParamAttr and `functional`. */
export {
  Layer,
  HookRemoveHelper,
  type ForwardPreHook,
  type ForwardPostHook,
  type CreateParameterOptions,
  type StateDict,
  type StateDictOptions,
  type SetStateDictOptions,
  type SetStateDictResult,
} from './layer';
export { Sequential, LayerList, LayerDict, ParameterList } from './container';
export { ParamAttr, toParamAttr, type ParamAttrOptions, type ParamAttrLike } from './param-attr';
export * as initializer from './initializer';
export * as uniqueName from './unique-name';
export * from './layers/common';
export * from './layers/conv';
export * from './layers/pooling';
export * from './layers/norm';
export * from './layers/activation';
export * from './layers/loss';
export * from './layers/transformer';
export * as functional from './functional';
