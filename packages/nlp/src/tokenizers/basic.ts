/**
 * BERT's basic tokenization, keeping each output character's place in the input text: cleaning
 * (control characters, NUL and U+FFFD dropped, whitespace made a space), CJK ideographs as tokens
 * of their own, splitting on whitespace, lower-casing and accent stripping when uncased, and
 * splitting off punctuation.
 */
import { isCjkIdeograph, isControl, isPunctuation, isPythonSpace, isWhitespace, stripAccents } from './chars';

/** One character after normalization and the span, in UTF-16 units, of the input character it came from. */
export interface MappedChar {
  ch: string;
  start: number;
  end: number;
}

/** A token of the basic tokenizer: its characters, each mapped to the input text. */
export type BasicToken = MappedChar[];

export interface BasicTokenizerOptions {
  /** Lower-case and strip accents (uncased vocabularies). Default true. */
  doLowerCase?: boolean;
  /** Split CJK ideographs into single characters. Default true. */
  tokenizeChineseChars?: boolean;
}

export class BasicTokenizer {
  readonly doLowerCase: boolean;
  readonly tokenizeChineseChars: boolean;

  constructor(opts: BasicTokenizerOptions = {}) {
    this.doLowerCase = opts.doLowerCase ?? true;
    this.tokenizeChineseChars = opts.tokenizeChineseChars ?? true;
  }

  /** Tokens of `text[from, to)` with their characters mapped to offsets in `text`. */
  tokenize(text: string, from = 0, to = text.length): BasicToken[] {
    const words: BasicToken[] = [];
    let word: BasicToken = [];
    const endWord = (): void => {
      if (word.length) words.push(word);
      word = [];
    };
    for (let i = from; i < to; ) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const start = i;
      i += ch.length;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch) || isPythonSpace(ch)) {
        endWord();
        continue;
      }
      if (this.tokenizeChineseChars && isCjkIdeograph(cp)) {
        endWord();
        words.push([{ ch, start, end: i }]);
        continue;
      }
      word.push({ ch, start, end: i });
    }
    endWord();
    const out: BasicToken[] = [];
    for (const w of words) for (const t of splitOnPunctuation(this.doLowerCase ? lowerAndStrip(w) : w)) out.push(t);
    return out;
  }
}

/**
 * Lower-cases a word as a whole (so that a word-final Σ becomes ς, as Python's str.lower() does in
 * the reference; Hugging Face's fast tokenizer lower-cases char by char, giving σ) and strips
 * accents, keeping every output character tied to its input character: the case mapping is
 * computed per character for the lengths and taken from the whole word for the text.
 */
function lowerAndStrip(word: BasicToken): BasicToken {
  const whole = word.map((c) => c.ch).join('').toLowerCase();
  const out: BasicToken = [];
  let at = 0;
  for (const c of word) {
    const n = c.ch.toLowerCase().length;
    const lowered = whole.slice(at, at + n);
    at += n;
    for (const ch of stripAccents(lowered)) out.push({ ch, start: c.start, end: c.end });
  }
  return out;
}

function splitOnPunctuation(word: BasicToken): BasicToken[] {
  const out: BasicToken[] = [];
  let cur: BasicToken = [];
  for (const c of word) {
    if (isPunctuation(c.ch)) {
      if (cur.length) out.push(cur);
      out.push([c]);
      cur = [];
    } else cur.push(c);
  }
  if (cur.length) out.push(cur);
  return out;
}
