/** Building a model of either family from `--model_type` and a configuration. */
import type { EncoderConfig, ModelType } from './config';
import { BertForPretraining, BertForSequenceClassification, BertModel } from './bert';
import { ErnieForPretraining, ErnieForSequenceClassification, ErnieModel } from './ernie';
import type { Pretrainer, SequenceClassifier } from './heads';
import type { TransformerModel } from './encoder';

export function createBackbone(type: ModelType, config: EncoderConfig): TransformerModel {
  return type === 'bert' ? new BertModel(config) : new ErnieModel(config);
}

export function createForSequenceClassification(type: ModelType, config: EncoderConfig, numClasses: number): SequenceClassifier {
  return type === 'bert' ? new BertForSequenceClassification(new BertModel(config), numClasses) : new ErnieForSequenceClassification(new ErnieModel(config), numClasses);
}

export function createForPretraining(type: ModelType, config: EncoderConfig): Pretrainer {
  return type === 'bert' ? new BertForPretraining(new BertModel(config)) : new ErnieForPretraining(new ErnieModel(config));
}
