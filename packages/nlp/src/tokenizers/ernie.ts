/**
 * ErnieTokenizer: ERNIE 1.0 tokenizes as BERT does (basic tokenization, lower-cased, then
 * WordPiece) over its own vocabulary, which comes as `token<TAB>id` lines with [PAD]=0, [CLS]=1,
 * [SEP]=2, [MASK]=3.
 */
import { BertTokenizer, resolveVocab, type BertTokenizerOptions } from './bert';

export const PRETRAINED_ERNIE_VOCABS: Record<string, { file: string; doLowerCase: boolean }> = {
  'ernie-1.0': { file: 'vocab-ernie-1.0-zh/vocab.txt', doLowerCase: true },
};

export class ErnieTokenizer extends BertTokenizer {
  /** 'ernie-1.0', a vocab file (either format), or a folder holding vocab.txt. */
  static override fromPretrained(nameOrPath: string, opts: BertTokenizerOptions = {}): ErnieTokenizer {
    const { file, doLowerCase } = resolveVocab(nameOrPath, PRETRAINED_ERNIE_VOCABS, 'ErnieTokenizer');
    return new ErnieTokenizer(file, { doLowerCase, ...opts });
  }
}
