/**
 * @oar/clas: image classification in the manner of PaddleClas 2.x: YAML configs, data sets
 * and preprocessing operators (this layer), models and the Engine on top.
 */
export * from './arch/backbones';
export * from './config';
export * from './data';
export * from './engine';
export * from './loss';
export * from './metric';
export * from './optimizer';
export * from './postprocess';
