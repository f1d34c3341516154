/** @oar/nlp: BERT and ERNIE tokenizers, models and training, after PaddleNLP 2.0. */
export * from './tokenizers';
export * from './models';
export * from './data';
export * from './engine';
export * from './config';
