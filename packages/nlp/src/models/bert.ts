/** BERT (PaddleNLP 2.0's paddlenlp.transformers.bert): the model and its task heads. */
import { namedConfig, type EncoderConfig } from './config';
import { TransformerModel } from './encoder';
import { Pretrainer, QuestionAnswerer, SequenceClassifier, TokenClassifier } from './heads';

function configOf(c: EncoderConfig | string): EncoderConfig {
  return typeof c === 'string' ? namedConfig(c).config : c;
}

export class BertModel extends TransformerModel {
  /** A configuration or a name: bert-base-uncased, bert-base-chinese, bert-tiny-uncased, bert-mini-uncased. */
  constructor(config: EncoderConfig | string) {
    super(configOf(config), null);
  }
}

export class BertForSequenceClassification extends SequenceClassifier {
  bert: BertModel;
  constructor(bert: BertModel, numClasses = 2, dropout?: number | null) {
    super();
    this.bert = bert;
    this.buildHead(numClasses, dropout);
  }
  get backbone(): BertModel {
    return this.bert;
  }
}

export class BertForTokenClassification extends TokenClassifier {
  bert: BertModel;
  constructor(bert: BertModel, numClasses = 2, dropout?: number | null) {
    super();
    this.bert = bert;
    this.buildHead(numClasses, dropout);
  }
  get backbone(): BertModel {
    return this.bert;
  }
}

export class BertForQuestionAnswering extends QuestionAnswerer {
  bert: BertModel;
  constructor(bert: BertModel) {
    super();
    this.bert = bert;
    this.buildHead();
  }
  get backbone(): BertModel {
    return this.bert;
  }
}

/** Masked-LM (tied to the word embeddings) and next-sentence heads. */
export class BertForPretraining extends Pretrainer {
  bert: BertModel;
  constructor(bert: BertModel) {
    super();
    this.bert = bert;
    this.buildHead();
  }
  get backbone(): BertModel {
    return this.bert;
  }
}
