/**
 * WordPiece: each basic token is split greedily into the longest vocabulary pieces from the left,
 * pieces after the first prefixed with `##`. A token with a part that matches nothing, or longer
 * than `maxInputCharsPerWord` characters, becomes the unknown token as a whole.
 */
import type { BasicToken } from './basic';
import type { Vocab } from './vocab';

/** A piece and the UTF-16 span of the input text it covers. */
export interface Piece {
  token: string;
  start: number;
  end: number;
}

export class WordPieceTokenizer {
  constructor(
    readonly vocab: Vocab,
    readonly unkToken: string,
    readonly maxInputCharsPerWord = 100,
  ) {}

  tokenize(word: BasicToken): Piece[] {
    const first = word[0];
    const last = word[word.length - 1];
    if (!first || !last) return [];
    const unk = [{ token: this.unkToken, start: first.start, end: last.end }];
    // Characters are counted in code points, as Python's len() counts them.
    if (word.length > this.maxInputCharsPerWord) return unk;
    const chars = word.map((c) => c.ch);
    const pieces: Piece[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === null) return unk;
      pieces.push({ token: found, start: word[start]!.start, end: word[end - 1]!.end });
      start = end;
    }
    return pieces;
  }
}
