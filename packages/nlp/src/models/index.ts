export { MODEL_CONFIGS, namedConfig, checkConfig, type EncoderConfig, type ModelType } from './config';
export { Embeddings, Pooler, TransformerModel, additiveMask, LAYER_NORM_EPSILON } from './encoder';
export { SequenceClassifier, TokenClassifier, QuestionAnswerer, Pretrainer, PretrainingHeads, LMPredictionHead, pretrainingLoss, type ModelInputs } from './heads';
export { BertModel, BertForSequenceClassification, BertForTokenClassification, BertForQuestionAnswering, BertForPretraining } from './bert';
export { ErnieModel, ErnieForSequenceClassification, ErnieForTokenClassification, ErnieForQuestionAnswering, ErnieForPretraining } from './ernie';
export { createBackbone, createForSequenceClassification, createForPretraining } from './factory';
