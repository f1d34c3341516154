export { Vocab, VocabError } from './vocab';
export { BasicTokenizer, type BasicTokenizerOptions, type BasicToken, type MappedChar } from './basic';
export { WordPieceTokenizer, type Piece } from './wordpiece';
export {
  truncateSequences,
  buildEncoding,
  padEncoding,
  TruncationError,
  type Encoding,
  type TokenSequence,
  type TruncationStrategy,
  type PaddingStrategy,
} from './encoding';
export {
  BertTokenizer,
  DATA_DIR,
  PRETRAINED_BERT_VOCABS,
  cleanUpTokenization,
  type BertTokenizerOptions,
  type EncodeOptions,
  type BatchEncodeOptions,
  type DecodeOptions,
  type SpecialTokens,
} from './bert';
export { ErnieTokenizer, PRETRAINED_ERNIE_VOCABS } from './ernie';
