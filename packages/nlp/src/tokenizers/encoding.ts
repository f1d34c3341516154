/**
 * From token ids to model inputs: truncation of one or two sequences, `[CLS] A [SEP] (B [SEP])`
 * with token type ids, attention masks, special-token masks and offsets, and padding.
 */

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';
export type PaddingStrategy = 'do_not_pad' | 'longest' | 'max_length';

/** A tokenized sequence before special tokens: ids, tokens and UTF-16 offsets into its text. */
export interface TokenSequence {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
}

/** One encoded input, keyed as PaddleNLP's and Hugging Face's tokenizers key their dicts. */
export interface Encoding {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  special_tokens_mask: number[];
  /** [start, end) of each token in its text, in UTF-16 units (`text.slice(start, end)`); [0, 0] for special and pad tokens. */
  offset_mapping: [number, number][];
  tokens: string[];
  /** 0 for tokens of the first text, 1 of the second, null for special and pad tokens. */
  sequence_ids: (0 | 1 | null)[];
  /** Tokens before padding. */
  seq_len: number;
  /** Tokens removed by truncation. */
  num_truncated_tokens: number;
}

export class TruncationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TruncationError';
  }
}

function cut(s: TokenSequence, n: number): TokenSequence {
  return { ids: s.ids.slice(0, n), tokens: s.tokens.slice(0, n), offsets: s.offsets.slice(0, n) };
}

/**
 * Removes `remove` tokens from the ends of the sequences.
 *
 * longest_first takes one token at a time from the longer sequence (from the second when they
 * are equal), as PaddleNLP 2.0's truncate_sequences and Hugging Face's (slow) BertTokenizer do:
 * when both must be cut and an odd number of places is left, the first keeps the extra token.
 * Hugging Face's fast tokenizers (Rust) give it to the longer sequence instead (to the second on
 * a tie; since tokenizers 0.23 "longer" is judged on lengths already cut at max_length tokens),
 * as its closed-form rule (tokenizers PR #389) has it; the reference test
 * (test/tokenizers/hf-reference.spec.ts) counts the cases where the two differ.
 *
 * only_first / only_second take them all from one sequence and fail unless at least one of its
 * tokens is left, as both Hugging Face tokenizers do (the fast one raises, the slow one logs and
 * does not truncate).
 */
export function truncateSequences(
  a: TokenSequence,
  b: TokenSequence | null,
  remove: number,
  strategy: TruncationStrategy,
): [TokenSequence, TokenSequence | null] {
  if (remove <= 0) return [a, b];
  if (strategy === 'do_not_truncate') return [a, b];
  let la = a.ids.length;
  let lb = b ? b.ids.length : 0;
  if (strategy === 'longest_first') {
    for (let i = 0; i < remove; i++) {
      if (!b || la > lb) la--;
      else lb--;
    }
  } else if (strategy === 'only_first') {
    if (remove >= la) {
      throw new TruncationError(`only_first: the first text has ${la} tokens and ${remove} must go, which would leave none of it; use longest_first or a larger maximum length`);
    }
    la -= remove;
  } else {
    if (!b) throw new TruncationError('only_second: there is no second text to truncate');
    if (remove >= lb) {
      throw new TruncationError(`only_second: the second text has ${lb} tokens and ${remove} must go, which would leave none of it; use longest_first or a larger maximum length`);
    }
    lb -= remove;
  }
  return [cut(a, la), b ? cut(b, lb) : null];
}

export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  clsToken: string;
  sepToken: string;
  padToken: string;
}

export interface BuildOptions {
  maxLength?: number;
  truncation: TruncationStrategy;
  addSpecialTokens: boolean;
}

/** Special tokens one or two texts get: [CLS] A [SEP] or [CLS] A [SEP] B [SEP]. */
export function numSpecialTokens(pair: boolean): number {
  return pair ? 3 : 2;
}

/** Truncates and assembles one input (no padding). */
export function buildEncoding(a: TokenSequence, b: TokenSequence | null, sp: SpecialIds, opts: BuildOptions): Encoding {
  const extra = opts.addSpecialTokens ? numSpecialTokens(!!b) : 0;
  const total = a.ids.length + (b ? b.ids.length : 0) + extra;
  let remove = 0;
  if (opts.maxLength !== undefined && total > opts.maxLength) {
    if (opts.truncation === 'do_not_truncate') {
      throw new TruncationError(`the input has ${total} tokens, more than the maximum length ${opts.maxLength}, and truncation is off (do_not_truncate)`);
    }
    if (opts.maxLength < extra) throw new TruncationError(`a maximum length of ${opts.maxLength} leaves no room besides the ${extra} special tokens`);
    remove = total - opts.maxLength;
  }
  // A maximum length that leaves room for the special tokens only empties both texts whatever the
  // strategy, as Hugging Face's tokenizers do (they special-case a zero budget).
  const strategy = opts.maxLength === extra && remove > 0 ? 'longest_first' : opts.truncation;
  const [ta, tb] = truncateSequences(a, b, remove, strategy);
  const e: Encoding = {
    input_ids: [],
    token_type_ids: [],
    attention_mask: [],
    special_tokens_mask: [],
    offset_mapping: [],
    tokens: [],
    sequence_ids: [],
    seq_len: 0,
    num_truncated_tokens: remove,
  };
  const special = (id: number, token: string, type: number): void => {
    e.input_ids.push(id);
    e.tokens.push(token);
    e.token_type_ids.push(type);
    e.special_tokens_mask.push(1);
    e.offset_mapping.push([0, 0]);
    e.sequence_ids.push(null);
  };
  const seq = (s: TokenSequence, type: 0 | 1): void => {
    s.ids.forEach((id, i) => {
      e.input_ids.push(id);
      e.tokens.push(s.tokens[i]!);
      e.token_type_ids.push(type);
      e.special_tokens_mask.push(0);
      e.offset_mapping.push(s.offsets[i]!);
      e.sequence_ids.push(type);
    });
  };
  if (opts.addSpecialTokens) special(sp.cls, sp.clsToken, 0);
  seq(ta, 0);
  if (opts.addSpecialTokens) special(sp.sep, sp.sepToken, 0);
  if (tb) {
    seq(tb, 1);
    if (opts.addSpecialTokens) special(sp.sep, sp.sepToken, 1);
  }
  e.attention_mask = e.input_ids.map(() => 1);
  e.seq_len = e.input_ids.length;
  return e;
}

/** Pads an encoding on the right to `length` with [PAD] (token type 0, attention 0), in place. */
export function padEncoding(e: Encoding, length: number, sp: SpecialIds): Encoding {
  for (let i = e.input_ids.length; i < length; i++) {
    e.input_ids.push(sp.pad);
    e.tokens.push(sp.padToken);
    e.token_type_ids.push(0);
    e.attention_mask.push(0);
    e.special_tokens_mask.push(1);
    e.offset_mapping.push([0, 0]);
    e.sequence_ids.push(null);
  }
  return e;
}
