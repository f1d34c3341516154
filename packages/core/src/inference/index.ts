/** Paddle Inference for Oar: `Config`, `createPredictor`, `Predictor` and its tensor handles. */
import '../static';

export { Config } from './config';
export { Predictor, InferTensor, InferTensor as Tensor, createPredictor, type HostData } from './predictor';
