/**
 * BertTokenizer: basic tokenization then WordPiece, with the special tokens [CLS], [SEP], [PAD],
 * [MASK] and [UNK]; single texts and pairs, truncation, padding, offsets, batches and decoding.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BasicTokenizer } from './basic';
import {
  buildEncoding,
  padEncoding,
  TruncationError,
  type Encoding,
  type PaddingStrategy,
  type SpecialIds,
  type TokenSequence,
  type TruncationStrategy,
} from './encoding';
import { Vocab, VocabError } from './vocab';
import { WordPieceTokenizer, type Piece } from './wordpiece';

/** The package's data folder (vocabularies, the embedded data set), from src/ or dist/. */
export const DATA_DIR = path.resolve(__dirname, '../../data');

export interface SpecialTokens {
  unkToken: string;
  sepToken: string;
  padToken: string;
  clsToken: string;
  maskToken: string;
}

export interface BertTokenizerOptions extends Partial<SpecialTokens> {
  doLowerCase?: boolean;
  tokenizeChineseChars?: boolean;
  /** Longer words become the unknown token. Default 100. */
  maxInputCharsPerWord?: number;
}

export interface EncodeOptions {
  /** Maximum length including special tokens (PaddleNLP's max_seq_len). */
  maxSeqLen?: number;
  /** Default longest_first when maxSeqLen is given. */
  truncationStrategy?: TruncationStrategy;
  /** Pad to maxSeqLen (PaddleNLP's pad_to_max_seq_len). */
  padToMaxSeqLen?: boolean;
  /** Default true. */
  addSpecialTokens?: boolean;
}

export interface BatchEncodeOptions extends Omit<EncodeOptions, 'padToMaxSeqLen'> {
  /** 'longest': to the longest input of the batch; 'max_length': to maxSeqLen. Default do_not_pad. */
  padding?: PaddingStrategy;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Removes the spaces the join puts before punctuation and English contractions. Default true. */
  cleanUpTokenizationSpaces?: boolean;
}

/** Named vocabularies shipped in data/ and the casing their models were trained with. */
export const PRETRAINED_BERT_VOCABS: Record<string, { file: string; doLowerCase: boolean }> = {
  'bert-base-uncased': { file: 'vocab-bert-base-uncased/vocab.txt', doLowerCase: true },
  'bert-base-chinese': { file: 'vocab-bert-base-chinese/vocab.txt', doLowerCase: false },
};

/** Resolves a name from `table`, a vocabulary file, or a folder with vocab.txt. */
export function resolveVocab(nameOrPath: string, table: Record<string, { file: string; doLowerCase: boolean }>, what: string): { file: string; doLowerCase?: boolean } {
  const named = table[nameOrPath];
  if (named) return { file: path.join(DATA_DIR, named.file), doLowerCase: named.doLowerCase };
  if (fs.existsSync(nameOrPath)) {
    const file = fs.statSync(nameOrPath).isDirectory() ? path.join(nameOrPath, 'vocab.txt') : nameOrPath;
    if (!fs.existsSync(file)) throw new VocabError(`${what}: ${nameOrPath} is a folder without vocab.txt`);
    return { file };
  }
  throw new VocabError(`${what}: ${nameOrPath} is neither a known name (${Object.keys(table).join(', ')}) nor an existing vocabulary file or folder`);
}

export class BertTokenizer {
  readonly vocab: Vocab;
  readonly basic: BasicTokenizer;
  readonly wordpiece: WordPieceTokenizer;
  readonly special: SpecialTokens;
  private readonly specialSet: Set<string>;
  private readonly sp: SpecialIds;

  constructor(vocab: Vocab | string, opts: BertTokenizerOptions = {}) {
    this.vocab = typeof vocab === 'string' ? Vocab.fromFile(vocab) : vocab;
    this.special = {
      unkToken: opts.unkToken ?? '[UNK]',
      sepToken: opts.sepToken ?? '[SEP]',
      padToken: opts.padToken ?? '[PAD]',
      clsToken: opts.clsToken ?? '[CLS]',
      maskToken: opts.maskToken ?? '[MASK]',
    };
    const missing = Object.values(this.special).filter((t) => !this.vocab.has(t));
    if (missing.length) throw new VocabError(`the vocabulary has no ${missing.join(', ')}: a BERT vocabulary needs [UNK], [SEP], [PAD], [CLS] and [MASK]`);
    this.specialSet = new Set(Object.values(this.special));
    this.basic = new BasicTokenizer({ doLowerCase: opts.doLowerCase ?? true, tokenizeChineseChars: opts.tokenizeChineseChars ?? true });
    this.wordpiece = new WordPieceTokenizer(this.vocab, this.special.unkToken, opts.maxInputCharsPerWord ?? 100);
    this.sp = {
      cls: this.vocab.id(this.special.clsToken)!,
      sep: this.vocab.id(this.special.sepToken)!,
      pad: this.vocab.id(this.special.padToken)!,
      clsToken: this.special.clsToken,
      sepToken: this.special.sepToken,
      padToken: this.special.padToken,
    };
  }

  /** 'bert-base-uncased', 'bert-base-chinese', a vocab.txt, or a folder holding one. */
  static fromPretrained(nameOrPath: string, opts: BertTokenizerOptions = {}): BertTokenizer {
    const { file, doLowerCase } = resolveVocab(nameOrPath, PRETRAINED_BERT_VOCABS, 'BertTokenizer');
    return new BertTokenizer(file, { doLowerCase, ...opts });
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  get padTokenId(): number {
    return this.sp.pad;
  }

  get clsTokenId(): number {
    return this.sp.cls;
  }

  get sepTokenId(): number {
    return this.sp.sep;
  }

  get maskTokenId(): number {
    return this.vocab.id(this.special.maskToken)!;
  }

  get unkTokenId(): number {
    return this.vocab.id(this.special.unkToken)!;
  }

  /**
   * Word pieces with their UTF-16 spans in `text`. Special tokens written in the text ("[SEP]")
   * stay whole, as the reference keeps them out of splitting (never_split).
   */
  tokenizeWithOffsets(text: string): Piece[] {
    const out: Piece[] = [];
    let from = 0;
    const rest = (to: number): void => {
      for (const word of this.basic.tokenize(text, from, to)) for (const p of this.wordpiece.tokenize(word)) out.push(p);
    };
    for (;;) {
      let best = -1;
      let bestToken = '';
      for (const t of this.specialSet) {
        const i = text.indexOf(t, from);
        if (i >= 0 && (best < 0 || i < best || (i === best && t.length > bestToken.length))) {
          best = i;
          bestToken = t;
        }
      }
      if (best < 0) break;
      rest(best);
      out.push({ token: bestToken, start: best, end: best + bestToken.length });
      from = best + bestToken.length;
    }
    rest(text.length);
    return out;
  }

  tokenize(text: string): string[] {
    return this.tokenizeWithOffsets(text).map((p) => p.token);
  }

  convertTokensToIds(tokens: readonly string[]): number[] {
    const unk = this.unkTokenId;
    return tokens.map((t) => this.vocab.id(t) ?? unk);
  }

  convertIdsToTokens(ids: readonly number[]): string[] {
    return ids.map((id) => {
      const t = this.vocab.token(id);
      if (t === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (ids 0..${this.vocab.size - 1})`);
      return t;
    });
  }

  private sequence(text: string): TokenSequence {
    const pieces = this.tokenizeWithOffsets(text);
    const tokens = pieces.map((p) => p.token);
    return { ids: this.convertTokensToIds(tokens), tokens, offsets: pieces.map((p) => [p.start, p.end] as [number, number]) };
  }

  /** One text or a pair: ids, token types, attention mask and offsets (PaddleNLP's `tokenizer(text, text_pair)`). */
  encode(text: string, textPair: string | null = null, opts: EncodeOptions = {}): Encoding {
    if (typeof text !== 'string') throw new TypeError(`encode: text must be a string, got ${typeof text}`);
    if (opts.padToMaxSeqLen && opts.maxSeqLen === undefined) throw new TruncationError('padToMaxSeqLen needs maxSeqLen');
    const e = buildEncoding(this.sequence(text), textPair === null ? null : this.sequence(textPair), this.sp, {
      maxLength: opts.maxSeqLen,
      truncation: opts.truncationStrategy ?? 'longest_first',
      addSpecialTokens: opts.addSpecialTokens ?? true,
    });
    return opts.padToMaxSeqLen ? padEncoding(e, opts.maxSeqLen!, this.sp) : e;
  }

  /** Many texts, or [text, pair] tuples, padded together when asked. */
  batchEncode(inputs: readonly (string | readonly [string, string])[], opts: BatchEncodeOptions = {}): Encoding[] {
    const padding = opts.padding ?? 'do_not_pad';
    if (padding === 'max_length' && opts.maxSeqLen === undefined) throw new TruncationError("padding 'max_length' needs maxSeqLen");
    const encs = inputs.map((x) => (typeof x === 'string' ? this.encode(x, null, opts) : this.encode(x[0], x[1], opts)));
    if (padding === 'do_not_pad') return encs;
    const len = padding === 'max_length' ? opts.maxSeqLen! : Math.max(0, ...encs.map((e) => e.seq_len));
    for (const e of encs) padEncoding(e, len, this.sp);
    return encs;
  }

  /** Text from ids: pieces joined, `##` continuations glued back, spaces before punctuation removed. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    let tokens = this.convertIdsToTokens(ids);
    if (opts.skipSpecialTokens) tokens = tokens.filter((t) => !this.specialSet.has(t));
    const text = tokens.join(' ').replace(/ ##/g, '').trim();
    return opts.cleanUpTokenizationSpaces === false ? text : cleanUpTokenization(text);
  }
}

/** Hugging Face's clean_up_tokenization: no space before . ? ! , and English contractions. */
export function cleanUpTokenization(s: string): string {
  return s
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}
