/** ERNIE 1.0 (PaddleNLP 2.0's paddlenlp.transformers.ernie): the model and its task heads. */
import { namedConfig, type EncoderConfig } from './config';
import { TransformerModel } from './encoder';
import { Pretrainer, QuestionAnswerer, SequenceClassifier, TokenClassifier } from './heads';

function configOf(c: EncoderConfig | string): EncoderConfig {
  return typeof c === 'string' ? namedConfig(c).config : c;
}

export class ErnieModel extends TransformerModel {
  /** A configuration or a name: ernie-1.0, ernie-1.0-tiny, ernie-1.0-mini. */
  constructor(config: EncoderConfig | string) {
    const c = configOf(config);
    // ERNIE's word embedding has padding_idx = pad_token_id: pad tokens embed to zeros.
    super(c, c.pad_token_id);
  }
}

export class ErnieForSequenceClassification extends SequenceClassifier {
  ernie: ErnieModel;
  constructor(ernie: ErnieModel, numClasses = 2, dropout?: number | null) {
    super();
    this.ernie = ernie;
    this.buildHead(numClasses, dropout);
  }
  get backbone(): ErnieModel {
    return this.ernie;
  }
}

export class ErnieForTokenClassification extends TokenClassifier {
  ernie: ErnieModel;
  constructor(ernie: ErnieModel, numClasses = 2, dropout?: number | null) {
    super();
    this.ernie = ernie;
    this.buildHead(numClasses, dropout);
  }
  get backbone(): ErnieModel {
    return this.ernie;
  }
}

export class ErnieForQuestionAnswering extends QuestionAnswerer {
  ernie: ErnieModel;
  constructor(ernie: ErnieModel) {
    super();
    this.ernie = ernie;
    this.buildHead();
  }
  get backbone(): ErnieModel {
    return this.ernie;
  }
}

/** Masked-LM (tied to the word embeddings) and next-sentence heads. */
export class ErnieForPretraining extends Pretrainer {
  ernie: ErnieModel;
  constructor(ernie: ErnieModel) {
    super();
    this.ernie = ernie;
    this.buildHead();
  }
  get backbone(): ErnieModel {
    return this.ernie;
  }
}
