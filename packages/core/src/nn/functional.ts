/**
 * `paddle.nn.functional` (imported as `nn.functional`, Paddle's `F`): the functional operators
 * under Paddle's names in camelCase (`F.max_pool2d` → `maxPool2d`, `F.cross_entropy` →
 * `crossEntropy`).
 */
export {
  relu,
  relu6,
  leakyRelu,
  sigmoid,
  logSigmoid,
  hardSigmoid as hardsigmoid,
  hardSwish as hardswish,
  hardtanh,
  hardshrink,
  softshrink,
  tanhshrink,
  thresholdedRelu,
  softsign,
  softplus,
  swish,
  silu,
  mish,
  tanh,
  gelu,
  elu,
  selu,
  prelu,
  softmax,
  logSoftmax,
} from '../ops/activation';
export { conv2d, conv2dTranspose } from '../ops/conv';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d } from '../ops/pool';
export { interpolate, upsample } from '../ops/interpolate';
export { pad } from '../ops/pad';
export { dropout } from '../ops/random';
export { embedding, oneHot } from '../ops/indexing';
export { batchNorm, layerNorm, groupNorm, instanceNorm } from '../ops/norm';
export {
  crossEntropy,
  softmaxWithCrossEntropy,
  nllLoss,
  mseLoss,
  l1Loss,
  smoothL1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  klDiv,
  marginRankingLoss,
  logLoss,
} from '../ops/loss';
export { linear, dropout2d, normalize } from './functional-extra';
